"""The report's sizes (tiny for the test, quick, full) and the configs of its digits runs.

The digits runs start from `experiments/configs/base.py` with each method's published recipe
(`configs.methods.PUBLISHED`), on the data and image size of the offline quickstart
(`experiments/configs/digits.py`, whose tuned learning rate the WGAN runs keep). Every run uses
the DCGAN critic with batch norm, as the paper's Figures 5-7; only the generator changes.
"""

import dataclasses

import ml_collections

from experiments.configs import base, digits


@dataclasses.dataclass(frozen=True)
class FoundationSizes:
  """Sizes of the paper's Figures 1-2 (`experiments/report/foundations.py`).

  Attributes:
    seeds: seeds of the critics (initial weights, data, noise), all in one vmapped program.
    width: hidden width of the MLP critic and GAN discriminator (3 hidden ReLU layers).
    batch: real and generated examples per critic update.
    grid: values of theta in [-1, 1] at which Figure 1's critics are trained.
    critic_steps: critic updates at every theta of the grid, and before the first theta step.
    theta_steps: gradient-descent steps on theta, from theta = 1.
    n_critic: critic updates between two theta steps.
    gaussian_steps: critic updates of Figure 2.
  """

  seeds: tuple[int, ...]
  width: int
  batch: int
  grid: int
  critic_steps: int
  theta_steps: int
  n_critic: int
  gaussian_steps: int


@dataclasses.dataclass(frozen=True)
class Settings:
  """How big the report's runs are.

  Attributes:
    name: "tiny", "quick" or "full".
    width: ngf = ndf of the DCGAN nets on digits.
    mlp_width: hidden width of the MLP generator on digits.
    digits_steps: generator iterations of every digits run.
    eval_every: generator iterations between two quality scores.
    eval_images: images generated (one fixed noise batch) for every score.
    critic_warmup: the official critic warm-up (100 updates for 25 steps and every 500th) in
      the WGAN digits runs.
    high_lr: the "too high" learning rate of the Figure 3 failure run (both players).
    mixture_seeds: seeds (0, 1, ...) of every 2-D method and mixture, trained together as one
      `--config.num_seeds` run.
    mixture_steps: generator iterations of every 2-D run (even: the mode table is also taken
      at half of them). The full report's 9,000 is what its ~40-minute budget allows: in GAN and
      WGAN-GP runs to 12,000 steps (10 seeds, these recipes, 2026-11-30) the seed-mean modes
      captured stayed within 1.7 of their value at 4,500 steps, while the high-quality
      fractions (but GAN's on ring8) were still rising at 12,000.
    mixture_width: hidden width of the 2-D MLPs.
    mixture_batch: 2-D batch size (WGAN-GP's toy code: 256).
    w1_every: 2-D generator iterations between two evaluations of the WGAN and WGAN-GP runs
      against the exact W1.
    w1_seeds: how many 2-D seeds (the first ones) are evaluated against the exact W1; each
      evaluation is one exact transport problem of w1_points x w1_points (2,500: 1.5-5 s on 2
      busy cores; 1,000: 0.2-0.5 s), so one seed in every size.
    w1_points: real and generated points of every 2-D W1 evaluation (the full report: 2,500,
      the protocol's).
    foundations: sizes of Figures 1-2.
  """

  name: str
  width: int
  mlp_width: int
  digits_steps: int
  eval_every: int
  eval_images: int
  critic_warmup: bool
  high_lr: float
  mixture_seeds: int
  mixture_steps: int
  mixture_width: int
  mixture_batch: int
  w1_every: int
  w1_seeds: int
  w1_points: int
  foundations: FoundationSizes


SETTINGS = {
  "tiny": Settings(
    "tiny",
    width=8,
    mlp_width=16,
    digits_steps=12,
    eval_every=4,
    eval_images=64,
    critic_warmup=False,
    high_lr=5e-2,
    mixture_seeds=2,
    mixture_steps=20,
    mixture_width=16,
    mixture_batch=64,
    w1_every=5,
    w1_seeds=1,
    w1_points=500,
    foundations=FoundationSizes(
      seeds=(0, 1),
      width=32,
      batch=64,
      grid=9,
      critic_steps=600,
      theta_steps=150,
      n_critic=20,
      gaussian_steps=500,
    ),
  ),
  "quick": Settings(
    "quick",
    width=16,
    mlp_width=128,
    digits_steps=200,
    eval_every=20,
    eval_images=256,
    critic_warmup=False,
    high_lr=5e-2,
    mixture_seeds=3,
    mixture_steps=400,
    mixture_width=64,
    mixture_batch=128,
    w1_every=100,
    w1_seeds=1,
    w1_points=1000,
    foundations=FoundationSizes(
      seeds=(0, 1, 2),
      width=32,
      batch=64,
      grid=21,
      critic_steps=1000,
      theta_steps=150,
      n_critic=20,
      gaussian_steps=2000,
    ),
  ),
  "full": Settings(
    "full",
    width=32,
    mlp_width=256,
    digits_steps=800,
    eval_every=40,
    eval_images=500,
    critic_warmup=True,
    high_lr=5e-2,
    mixture_seeds=10,
    mixture_steps=9000,
    mixture_width=64,
    mixture_batch=128,
    w1_every=900,
    w1_seeds=1,
    w1_points=2500,
    foundations=FoundationSizes(
      seeds=tuple(range(5)),
      width=32,
      batch=64,
      grid=41,
      critic_steps=2000,
      theta_steps=300,
      n_critic=20,
      gaussian_steps=3000,
    ),
  ),
}

# name -> (loss, generator, high learning rate?)
DIGITS_RUNS = {
  "wgan_dcgan": ("wgan", "dcgan", False),
  "wgan_nobn": ("wgan", "dcgan_constant", False),
  "wgan_mlp": ("wgan", "mlp", False),
  "wgan_dcgan_high_lr": ("wgan", "dcgan", True),
  "gan_dcgan": ("gan", "dcgan", False),
  "gan_nobn": ("gan", "dcgan_constant", False),
  "gan_mlp": ("gan", "mlp", False),
}
GENERATOR_NAMES = {"dcgan": "DCGAN", "dcgan_constant": "no-BN (constant filters)", "mlp": "MLP"}


def digits_config(run: str, s: Settings) -> ml_collections.ConfigDict:
  """The config of digits run `run` (a key of `DIGITS_RUNS`) at sizes `s`."""
  loss, generator, high_lr = DIGITS_RUNS[run]
  quickstart = digits.get_config()
  c = base.get_config(loss)
  for field in ("dataset", "image_size", "channels"):
    c[field] = quickstart[field]
  c.generator = generator
  c.critic = "dcgan"
  c.width_g = s.mlp_width if generator == "mlp" else s.width
  c.width_d = s.width
  if loss == "wgan":
    c.lr_g = c.lr_d = s.high_lr if high_lr else quickstart.lr_g
    c.critic_warmup = s.critic_warmup
  c.num_steps = s.digits_steps
  return c
