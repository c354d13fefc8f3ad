"""The offline quickstart: WGAN on the scikit-learn digits, no download needed.

    python -m experiments.digits_wgan --workdir runs/digits

Hardware and result: on 2 CPU cores (JAX on CPU) it runs 1,500 generator steps (~10,000 critic
updates) of the paper's DCGAN WGAN at 16x16 in about 3 minutes (longer on a busy machine), and
`runs/digits/samples/step_001500.png` shows an 8x8 grid of recognisable handwritten digits. The
Wasserstein estimate (`runs/digits/wasserstein.png`) rises while the critic warms up, then falls
as the samples improve. Rerunning the command resumes from the last checkpoint (a finished run
stops at once); `--config.num_steps=3000` trains on. Config choices: experiments/configs/digits.py.
"""
from experiments import cli
from experiments.configs import digits

if __name__ == "__main__":
  cli.run(digits.get_config())
