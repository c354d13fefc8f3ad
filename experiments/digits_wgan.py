"""The offline quickstart: WGAN on the scikit-learn digits, no download needed.

    python -m experiments.digits_wgan --workdir runs/digits

Hardware and result: 1,500 generator steps (~10,000 critic updates) of the paper's DCGAN WGAN at
16x16 took 118 s wall (111 s in the process, 102 s of them training) on an idle 2-core machine
(2026-11-30). `runs/digits/samples/step_001500.png`
shows an 8x8 grid of recognisable handwritten digits (0-9, most classes present; strokes blurry at
16x16; digit-like already at step 500). The Wasserstein estimate (`runs/digits/wasserstein.png`)
starts near 0.15 after the critic's warm-up and falls to ~0.004 as the samples improve (the paper's
Figure 3). Rerunning the command resumes from the last checkpoint (a finished run stops at once);
`--config.num_steps=3000` trains on. Config choices: experiments/configs/digits.py.
"""

from experiments import cli
from experiments.configs import digits

if __name__ == "__main__":
  cli.run(digits.get_config)
