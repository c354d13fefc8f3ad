"""The paper's LSUN bedroom 64x64 run (REFERENCE §1-3): exactly `base.get_config()`.

DCGAN generator and critic (ngf = ndf = 64, nz = 100), RMSprop lr 5e-5, clip 0.01, batch 64,
n_critic 5 with the official warm-up (100 critic updates for the first 25 generator steps and
every 500th), 100,000 generator steps, samples every 500 steps.
"""
import ml_collections

from experiments.configs import base


def get_config(smoke: bool = False) -> ml_collections.ConfigDict:
  """The paper's setup; `smoke=True` is a 16x16, width-8, 4-step run for tests on mock data."""
  c = base.get_config()
  if smoke:
    c.image_size = 16
    c.width_g = 8
    c.width_d = 8
    c.nz = 16
    c.batch_size = 8
    c.critic_warmup = False
    c.num_steps = 4
    c.log_every = 1
    c.sample_every = 2
    c.checkpoint_every = 2
    c.num_samples = 16
  return c
