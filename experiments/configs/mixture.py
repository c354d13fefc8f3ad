"""WGAN on a 2-D Gaussian mixture (REFERENCE §5) with MLP networks: the sample pictures show the
generator's points (orange) over the data (blue) and the critic's contours (grey).

Choices, after WGAN-GP's toy script (its `wgan` mode): MLP critic and generator with 3 hidden
ReLU layers, batch 256, 2-D noise, RMSprop with clipping at 0.01 and n_critic 5, no warm-up. The
width (128, not 512) and lr (5e-4, not 5e-5) are scaled so that a CPU run shows the mixture
forming within a few minutes: at 1e-4 the samples were still a curve across the modes after 3,000
steps; at 5e-4 they form the ring within 5,000 steps (~2 min on 2 busy CPU cores). The clipped
critic stays nearly linear (the capacity problem WGAN-GP describes), so the samples drift around
the modes rather than settle on each; the contours in the pictures show it. Pick the data with `--config.dataset` (`gp_8gaussians`,
`ring8`, `grid25`, `gp_25gaussians`, `swissroll`).
"""
import ml_collections

from experiments.configs import base


def get_config(smoke: bool = False) -> ml_collections.ConfigDict:
  """The 2-D experiment; `smoke=True` shrinks it to a few seconds for tests."""
  c = base.get_config()
  c.dataset = "gp_8gaussians"
  c.generator = "mlp"
  c.critic = "mlp"
  c.width_g = 128
  c.width_d = 128
  c.nz = 2
  c.batch_size = 256
  c.lr_g = 5e-4
  c.lr_d = 5e-4
  c.critic_warmup = False
  c.num_steps = 5000
  c.log_every = 10
  c.sample_every = 500
  c.checkpoint_every = 1000
  c.num_samples = 1024
  if smoke:
    c.width_g = 16
    c.width_d = 16
    c.batch_size = 32
    c.num_steps = 4
    c.log_every = 1
    c.sample_every = 2
    c.checkpoint_every = 2
    c.num_samples = 64
  return c
