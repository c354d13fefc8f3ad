"""From a config to the pieces of a run: networks, optimizers, objective, critic schedule.

Together with `train.py` (and `config_check.py`, which it calls first), the only code that reads
a config; everything it builds takes explicit arguments.
"""

import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import optax

from wgan_jax import began, config_check, kernels, models, objectives, optim
from wgan_jax import state as state_lib
from wgan_jax.schedule import CriticSchedule

GENERATORS = config_check.GENERATORS
CRITICS = config_check.CRITICS
DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


@dataclasses.dataclass(frozen=True)
class Recipe:
  generator: nn.Module
  critic: nn.Module
  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  loss: objectives.Objective
  schedule: CriticSchedule
  data_shape: tuple[int, ...]
  clip_value: float | None
  nz: int

  def create_state(self, key) -> state_lib.GANState:
    """The run's initial state (pure: jit it with `out_shardings`, or `jax.eval_shape` it)."""
    return state_lib.create_state(
      key,
      generator=self.generator,
      critic=self.critic,
      generator_tx=self.generator_tx,
      critic_tx=self.critic_tx,
      data_shape=self.data_shape,
      nz=self.nz,
      clip_value=self.clip_value,
      loss=self.loss,
    )


def _generator(config, data_shape) -> nn.Module:
  kind, points = config.generator, data_shape == (2,)
  layers = kernels.layers_for(config.kernels)
  if kind == "mlp":
    return models.MLPGenerator(
      image_size=config.image_size,
      channels=config.channels,
      width=config.width_g,
      nz=config.nz,
      output_shape=data_shape if points else None,
    )
  if kind == "began":
    return began.BEGANGenerator(
      image_size=config.image_size,
      channels=config.channels,
      filters=config.width_g,
      nz=config.nz,
      layers=layers,
    )
  return models.DCGANGenerator(
    image_size=config.image_size,
    channels=config.channels,
    width=config.width_g,
    batch_norm=kind == "dcgan",
    n_extra_layers=config.n_extra_layers,
    nz=config.nz,
    constant_filters=kind == "dcgan_constant",
    dtype=DTYPES[config.compute_dtype],
    layers=layers,
  )


def _critic(config, data_shape) -> nn.Module:
  kind = config.critic
  layers = kernels.layers_for(config.kernels)
  if data_shape == (2,) and kind == "began":  # BEGAN's autoencoder for points
    return began.MLPAutoencoderCritic(features=2, width=config.width_d)
  if kind == "mlp":
    return models.MLPCritic(width=config.width_d)
  if kind == "began":
    return began.BEGANDiscriminator(
      image_size=config.image_size, channels=config.channels, filters=config.width_d, layers=layers
    )
  norm = {"dcgan": "batch", "dcgan_nobn": "none", "dcgan_layernorm": "layer"}[kind]
  return models.DCGANCritic(
    image_size=config.image_size,
    channels=config.channels,
    width=config.width_d,
    norm=norm,
    n_extra_layers=config.n_extra_layers,
    dtype=DTYPES[config.compute_dtype],
    layers=layers,
  )


def schedule(config) -> CriticSchedule:
  """The critic schedule `config` asks for: the official warm-up, or a constant `n_critic`."""
  if not config.critic_warmup:
    return CriticSchedule(n_critic=config.n_critic, warmup_steps=0, warmup_every=0)
  return CriticSchedule(
    n_critic=config.n_critic,
    warmup_n_critic=config.warmup_n_critic,
    warmup_steps=config.warmup_steps,
    warmup_every=config.warmup_every,
  )


def build(config, data_shape: tuple[int, ...]) -> Recipe:
  """The networks, optimizers, objective and schedule that `config` asks for.

  Args:
    config: the run's ConfigDict (fields as in experiments/configs/base.py).
    data_shape: one example's shape, from the data source: `(S, S, C)` or `(2,)`.

  Raises:
    ConfigError: a field out of its domain or fields that do not go together
      (`config_check.check`), in one line naming the flag to change.
  """
  config_check.check(config)
  loss = objectives.make(
    name=config.loss,
    gp_weight=config.gp_weight,
    gan_generator=config.gan_generator,
    began_gamma=config.began_gamma,
    began_lambda_k=config.began_lambda_k,
  )
  clip_value = config.clip_value or None
  tx = lambda lr, clip: optim.make_optimizer(
    config.optimizer, lr, clip_value=clip, beta1=config.beta1, beta2=config.beta2
  )
  return Recipe(
    generator=_generator(config, tuple(data_shape)),
    critic=_critic(config, tuple(data_shape)),
    generator_tx=tx(config.lr_g, None),
    critic_tx=tx(config.lr_d, clip_value),
    loss=loss,
    schedule=schedule(config),
    data_shape=tuple(data_shape),
    clip_value=clip_value,
    nz=config.nz,
  )
