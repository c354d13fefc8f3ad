"""WGAN on a 2-D Gaussian mixture with MLP networks: the sample pictures show the generator's
points (orange) over the data (blue) and the critic's contours (grey).

Choices, after WGAN-GP's toy script (Gulrajani et al. 2017, gan_toy.py, its `wgan` mode): MLP
critic and generator with 3 hidden ReLU layers, batch 256, 2-D noise, RMSprop with clipping at
0.01 and n_critic 5, no warm-up. The width (128, not 512) and the WGAN lr (5e-4, not 5e-5) are
scaled so that a CPU run shows the mixture forming within a few minutes: at 1e-4 the samples
were still a curve across the modes after 3,000 steps; at 5e-4 they form the ring within 5,000
steps (~2 min on 2 busy CPU cores). The clipped critic stays nearly linear (the capacity problem
WGAN-GP describes), so the samples drift around the modes rather than settle on each; the
contours in the pictures show it. Other methods (`--config.loss=...`) keep their published
optimizers (WGAN-GP: with its toy code's lambda 0.1 and betas (0.5, 0.9)), with MLP networks
(BEGAN: its dense autoencoder critic). Pick the data with `--config.dataset` (`gp_8gaussians`,
`ring8`, `grid25`, `gp_25gaussians`, `swissroll`).
"""

import ml_collections

from experiments.configs import base, methods


def get_config(loss: str = "wgan", smoke: bool = False) -> ml_collections.ConfigDict:
  """The 2-D experiment with `loss`'s recipe; `smoke=True` shrinks it to seconds for tests."""
  c = base.get_config(loss)
  methods.apply(c, loss, points=True)
  c.dataset = "gp_8gaussians"
  c.width_g = 128
  c.width_d = 128
  c.nz = 2
  c.batch_size = 256
  if loss == "wgan":
    c.lr_g = c.lr_d = 5e-4
    c.critic_warmup = False
  c.num_steps = 5000
  c.log_every = 10
  c.sample_every = 500
  c.checkpoint_every = 1000
  c.num_samples = 1024
  if smoke:
    base.shrink_for_tests(c, width_g=16, width_d=16, nz=2, batch_size=32, num_samples=64)
  return c
