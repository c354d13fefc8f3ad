"""From a config to the pieces of a run: networks, optimizers, objective, critic schedule.

Together with `train.py`, the only code that reads a config; everything it builds takes
explicit arguments.
"""
import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import optax

from wgan_jax import began, kernels, losses, models, optim, state as state_lib
from wgan_jax.schedule import CriticSchedule

GENERATORS = ("dcgan", "dcgan_nobn", "dcgan_constant", "mlp", "began")
CRITICS = ("dcgan", "dcgan_nobn", "dcgan_layernorm", "mlp", "began")


@dataclasses.dataclass(frozen=True)
class Recipe:
  generator: nn.Module
  critic: nn.Module
  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  loss: losses.LossSpec
  schedule: CriticSchedule
  data_shape: tuple[int, ...]
  clip_value: float | None
  nz: int

  def create_state(self, key) -> state_lib.GANState:
    """The run's initial state (pure: jit it with `out_shardings`, or `jax.eval_shape` it)."""
    return state_lib.create_state(
        key, generator=self.generator, critic=self.critic, generator_tx=self.generator_tx,
        critic_tx=self.critic_tx, data_shape=self.data_shape, nz=self.nz,
        clip_value=self.clip_value, loss=self.loss)


def _compute_dtype(config, kind: str):
  """The compute dtype `config.compute_dtype` names, for the network `kind`; only the DCGAN
  networks implement bfloat16."""
  dtypes = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}
  if config.compute_dtype not in dtypes:
    raise ValueError(f"unknown compute_dtype {config.compute_dtype!r}; use 'float32' or "
                     "'bfloat16'.")
  if config.compute_dtype != "float32" and kind in ("mlp", "began"):
    raise ValueError(f"compute_dtype={config.compute_dtype!r} is implemented for the DCGAN "
                     f"networks only, not {kind!r}; use compute_dtype='float32' with it.")
  return dtypes[config.compute_dtype]


def _generator(config, data_shape) -> nn.Module:
  kind, points = config.generator, data_shape == (2,)
  if kind not in GENERATORS:
    raise ValueError(f"unknown generator {kind!r}; use one of {GENERATORS}.")
  if points and kind != "mlp":
    raise ValueError(f"2-D data needs generator='mlp', not {kind!r}.")
  dtype, layers = _compute_dtype(config, kind), kernels.layers_for(config.kernels)
  if kind == "mlp":
    return models.MLPGenerator(image_size=config.image_size, channels=config.channels,
                               width=config.width_g, nz=config.nz,
                               output_shape=data_shape if points else None)
  if kind == "began":
    return began.BEGANGenerator(image_size=config.image_size, channels=config.channels,
                                filters=config.width_g, nz=config.nz, layers=layers)
  return models.DCGANGenerator(image_size=config.image_size, channels=config.channels,
                               width=config.width_g, batch_norm=kind == "dcgan",
                               n_extra_layers=config.n_extra_layers, nz=config.nz,
                               constant_filters=kind == "dcgan_constant",
                               dtype=dtype, layers=layers)


def _critic(config, data_shape) -> nn.Module:
  kind = config.critic
  if kind not in CRITICS:
    raise ValueError(f"unknown critic {kind!r}; use one of {CRITICS}.")
  dtype, layers = _compute_dtype(config, kind), kernels.layers_for(config.kernels)
  if data_shape == (2,) and kind == "began":  # BEGAN's autoencoder for points
    return began.MLPAutoencoderCritic(features=2, width=config.width_d)
  if data_shape == (2,) and kind != "mlp":
    raise ValueError(f"2-D data needs critic='mlp' (or 'began' with loss='began'), not {kind!r}.")
  if kind == "mlp":
    return models.MLPCritic(width=config.width_d)
  if kind == "began":
    return began.BEGANDiscriminator(image_size=config.image_size, channels=config.channels,
                                    filters=config.width_d, layers=layers)
  norm = {"dcgan": "batch", "dcgan_nobn": "none", "dcgan_layernorm": "layer"}[kind]
  return models.DCGANCritic(image_size=config.image_size, channels=config.channels,
                            width=config.width_d, norm=norm, n_extra_layers=config.n_extra_layers,
                            dtype=dtype, layers=layers)


def build(config, data_shape: tuple[int, ...]) -> Recipe:
  """The networks, optimizers, objective and schedule that `config` asks for.

  Args:
    config: the run's ConfigDict (fields as in experiments/configs/base.py).
    data_shape: one example's shape, from the data source: `(S, S, C)` or `(2,)`.
  """
  loss = losses.LossSpec(name=config.loss, gp_weight=config.gp_weight,
                         gan_generator=config.gan_generator, began_gamma=config.began_gamma,
                         began_lambda_k=config.began_lambda_k)
  is_began, points = config.loss == "began", tuple(data_shape) == (2,)
  if (config.critic == "began") != is_began or (not points and (config.generator == "began") != is_began):
    raise ValueError("loss='began' goes with critic='began' and generator='began' (generator='mlp' "
                     "for 2-D data), and only with them; set them together.")
  clip_value = config.clip_value or None
  if clip_value and config.loss != "wgan":
    raise ValueError(f"clip_value={config.clip_value} is WGAN's; set clip_value=0 for "
                     f"loss={config.loss!r}.")
  tx = lambda lr, clip: optim.make_optimizer(config.optimizer, lr, clip_value=clip,
                                             beta1=config.beta1, beta2=config.beta2)
  warmup = dict(warmup_steps=25, warmup_every=500) if config.critic_warmup else dict(
      warmup_steps=0, warmup_every=0)
  return Recipe(generator=_generator(config, data_shape), critic=_critic(config, data_shape),
                generator_tx=tx(config.lr_g, None), critic_tx=tx(config.lr_d, clip_value),
                loss=loss, schedule=CriticSchedule(n_critic=config.n_critic, **warmup),
                data_shape=tuple(data_shape), clip_value=clip_value, nz=config.nz)
