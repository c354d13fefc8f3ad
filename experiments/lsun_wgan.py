"""The paper's experiment: WGAN on LSUN bedrooms at 64x64 (Arjovsky et al. 2017, Figures 3, 5-7).

Data, once (nothing is downloaded for you): get `bedroom_train_lmdb.zip` (about 43 GB) from
http://dl.yf.io/lsun/scenes/ (or `python download.py -c bedroom` from github.com/fyu/lsun), unzip
it into MANUAL_DIR so that `MANUAL_DIR/bedroom_train_lmdb/data.mdb` exists, then

    python -m wgan_jax.data.prepare_lsun --manual_dir MANUAL_DIR --data_dir DATA_DIR

(about an hour on one core for the 3M images; a folder `MANUAL_DIR/bedroom/` of JPEGs works
too). Train:

    python -m experiments.lsun_wgan --workdir runs/lsun --config.data_dir=DATA_DIR

The defaults are the paper's (experiments/configs/lsun.py): DCGAN nets (ngf = ndf = 64), RMSprop
5e-5, clip 0.01, batch 64, n_critic 5 with the official warm-up, 100,000 generator steps, sample
grids every 500 steps. Variants of Figures 5-7: `--config.generator=dcgan_nobn` (or
`dcgan_constant`, `mlp`), `--config.critic=dcgan_nobn`, `--config.optimizer=adam`; the too-high
learning rate of Figure 3: `--config.lr_d=1e-3 --config.lr_g=1e-3`.

Hardware: meant for one GPU or TPU (or several: the batch is split over all local devices); on
CPU a generator step takes seconds, so the full run is out of reach. Step speed was not measured
in this repository on an accelerator; `python -m benchmarks.step_speed` measures yours. What to
expect (paper, Figure 3): the median-filtered Wasserstein estimate (`wasserstein.png`) falls as
the samples (`samples/step_XXXXXX.png`) turn from noise into bedroom-like scenes. Interrupt at
any time (Ctrl-C, SIGTERM): a checkpoint is saved and the same command resumes exactly.
"""

from experiments import cli
from experiments.configs import lsun

if __name__ == "__main__":
  cli.run(lsun.get_config)
