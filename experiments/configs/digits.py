"""The offline quickstart: the paper's WGAN (DCGAN networks, RMSprop, clipping, the official
critic warm-up) on the 1,797 scikit-learn digits, sized to finish in a few minutes on 2 CPU cores.

Choices (measured on 2 shared CPU cores; see experiments/digits_wgan.py for the timing):
- image_size 16 (the 8x8 digits upsampled; the smallest size the DCGAN nets allow), 1 channel:
  ~7-13 generator steps/s (n_critic 5) at width 32 depending on the machine's load.
- width 32 (ngf = ndf = 32): generator 135,872 and critic 34,432 parameters.
- WGAN: lr 2e-4 for both players, 4x the paper's 5e-5 so the digits form within the time
  budget; it stayed stable with clipping at 0.01 (the estimate falls smoothly; samples digit-like
  by step 500). Other methods (`--config.loss=gan`, `wgan_gp`, `began`) keep their published
  recipes (`methods.py`).
- n_critic 5 with the official warm-up (100 critic updates for the first 25 generator steps and
  every 500th), as in the paper.
- 1,500 generator steps (~10,000 critic updates).
"""

import ml_collections

from experiments.configs import base


def get_config(loss: str = "wgan", smoke: bool = False) -> ml_collections.ConfigDict:
  """The quickstart with `loss`'s recipe; `smoke=True` shrinks it to seconds for tests."""
  c = base.get_config(loss)
  c.dataset = "digits"
  c.image_size = 16
  c.channels = 1
  c.width_g = 32
  c.width_d = 32
  if loss == "wgan":
    c.lr_g = c.lr_d = 2e-4
  c.num_steps = 1500
  c.log_every = 10
  c.sample_every = 250
  c.checkpoint_every = 500
  if smoke:
    base.shrink_for_tests(
      c, batch_size=min(c.batch_size, 16), num_steps=6, sample_every=3, checkpoint_every=3
    )
  return c
