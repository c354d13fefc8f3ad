"""The paper's LSUN bedroom 64x64 run (Arjovsky et al. 2017, Sec. 4): `base.get_config(loss)`.

DCGAN generator and critic (ngf = ndf = 64, nz = 100), RMSprop lr 5e-5, clip 0.01, batch 64,
n_critic 5 with the official warm-up (100 critic updates for the first 25 generator steps and
every 500th), 100,000 generator steps, samples every 500 steps.
"""

import ml_collections

from experiments.configs import base


def get_config(loss: str = "wgan", smoke: bool = False) -> ml_collections.ConfigDict:
  """The paper's setup with `loss`'s recipe; `smoke=True`: 16x16, 4 steps, for tests on mock
  data."""
  c = base.get_config(loss)
  if smoke:
    base.shrink_for_tests(c, image_size=16, batch_size=8)
  return c
