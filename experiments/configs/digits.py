"""The offline quickstart: the paper's WGAN (DCGAN networks, RMSprop, clipping, the official
critic warm-up) on the 1,797 scikit-learn digits, sized to finish in a few minutes on 2 CPU cores.

Choices, by measurement on a 2-core CPU (see experiments/digits_wgan.py for the timing):
- image_size 16 (the 8x8 digits upsampled; the smallest size the DCGAN nets allow) with 1 channel:
  a critic update costs ~4x less than at 32x32.
- width 32 (ngf = ndf = 32): the generator starts from 64 channels at 4x4.
- lr 2e-4 for both players, 4x the paper's 5e-5: with 5e-5 the samples are still blobs after
  1,500 generator steps; 2e-4 stays stable with clipping at 0.01.
- n_critic 5 with the official warm-up (100 critic updates for the first 25 generator steps and
  every 500th), as in the paper.
- 1,500 generator steps (~10,000 critic updates).
"""
import ml_collections

from experiments.configs import base


def get_config(smoke: bool = False) -> ml_collections.ConfigDict:
  """The quickstart; `smoke=True` shrinks it to a few seconds of compute for tests."""
  c = base.get_config()
  c.dataset = "digits"
  c.image_size = 16
  c.channels = 1
  c.width_g = 32
  c.width_d = 32
  c.lr_g = 2e-4
  c.lr_d = 2e-4
  c.num_steps = 1500
  c.log_every = 10
  c.sample_every = 250
  c.checkpoint_every = 500
  if smoke:
    c.width_g = 8
    c.width_d = 8
    c.nz = 16
    c.batch_size = 16
    c.critic_warmup = False
    c.num_steps = 6
    c.log_every = 1
    c.sample_every = 3
    c.checkpoint_every = 3
    c.num_samples = 16
  return c
