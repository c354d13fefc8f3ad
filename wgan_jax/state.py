"""The two players' training state: one pytree holding both, created by a pure function."""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct
from flax.training import train_state

from wgan_jax import objectives
from wgan_jax.optim import project_params


class Player(train_state.TrainState):
  """One network's params, batch-norm statistics ({} without batch norm) and optimizer state."""

  batch_stats: Any


class GANState(struct.PyTreeNode):
  """Generator and critic. `step` counts generator iterations; `nz` is the noise length;
  `balance` is the objective's own state (`Objective.init_state`: BEGAN's `began.Balance`, None
  for the others; the name is BEGAN's, kept so that checkpoints keep their layout)."""

  generator: Player
  critic: Player
  nz: int = struct.field(pytree_node=False)
  balance: Any = None

  @property
  def step(self) -> jax.Array:
    return self.generator.step


def _player(module: nn.Module, variables, tx: optax.GradientTransformation, params=None) -> Player:
  params = variables["params"] if params is None else params
  return Player.create(
    apply_fn=module.apply, params=params, tx=tx, batch_stats=variables.get("batch_stats", {})
  )


def create_state(
  key: jax.Array,
  *,
  generator: nn.Module,
  critic: nn.Module,
  generator_tx: optax.GradientTransformation,
  critic_tx: optax.GradientTransformation,
  data_shape: tuple[int, ...],
  nz: int,
  clip_value: float | None = None,
  loss: objectives.Objective = objectives.WGAN(),
) -> GANState:
  """Initialises both players; pure, so `jax.jit(..., out_shardings=...)` can place the result.

  Args:
    key: PRNG key for the initial weights.
    generator, critic: Flax modules (`z_BxZ -> [B, *data_shape]`, `[B, *data_shape] -> [B]`).
    generator_tx, critic_tx: their optimizers.
    data_shape: one example's shape, e.g. (64, 64, 3) or (2,).
    nz: noise length.
    clip_value: when given, the critic's initial params are clipped to [-c, c] too, so the clip
      invariant holds from step 0.
    loss: the objective, whose `init_state()` becomes `balance`.
  """
  key_g, key_c = jax.random.split(key)
  g_vars = generator.init(key_g, jnp.zeros((2, nz)))
  c_vars = critic.init(key_c, jnp.zeros((2, *data_shape)))
  c_params = c_vars["params"]
  if clip_value is not None:
    c_params = project_params(c_params, clip_value)
  return GANState(
    generator=_player(generator, g_vars, generator_tx),
    critic=_player(critic, c_vars, critic_tx, c_params),
    nz=nz,
    balance=loss.init_state(),
  )
