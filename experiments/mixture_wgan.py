"""WGAN on a 2-D Gaussian mixture with MLP networks.

    python -m experiments.mixture_wgan --workdir runs/mixture [--config.dataset=ring8]

Each `samples/step_XXXXXX.png` shows 1,024 generated points (orange) over real points (blue) and
the critic's contours (grey), drawn every 500 generator steps. On 2 CPU cores the default
(`gp_8gaussians`, 3,000 generator steps) takes a few minutes; the points gather on the modes
while the critic's level sets bend around them. Config: experiments/configs/mixture.py.
"""
from experiments import cli
from experiments.configs import mixture

if __name__ == "__main__":
  cli.run(mixture.get_config())
