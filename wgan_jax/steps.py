"""Training steps of WGAN (Arjovsky et al. 2017, Algorithm 1) and, through the objective passed as
`loss=` (`objectives.py`), of WGAN-GP, the standard GAN and BEGAN: pure functions of
(state, data, key), never jitted here."""

import jax
import jax.numpy as jnp
import optax

from wgan_jax import objectives
from wgan_jax.state import GANState, Player


def apply_player(player: Player, params, x):
  """Runs one network in training mode. Returns (output, new batch_stats)."""
  if not player.batch_stats:
    return player.apply_fn({"params": params}, x), player.batch_stats
  out, updates = player.apply_fn(
    {"params": params, "batch_stats": player.batch_stats}, x, mutable=["batch_stats"]
  )
  return out, updates["batch_stats"]


def sample_noise(key: jax.Array, batch_size: int, nz: int, prior: str = "normal") -> jax.Array:
  """The prior p(z), N(0, I) ("normal") or U[-1, 1] ("uniform"): `[batch_size, nz]` float32."""
  if prior == "uniform":
    return jax.random.uniform(key, (batch_size, nz), minval=-1.0, maxval=1.0)
  return jax.random.normal(key, (batch_size, nz))


def _apply_gradients(player: Player, grads, batch_stats, scale: jax.Array | None) -> Player:
  """`player.apply_gradients`, with the optimizer's updates multiplied by `scale` if any (for
  Adam and RMSprop, whose moments ignore the step size, the same as scaling the rate)."""
  if scale is None:
    return player.apply_gradients(grads=grads, batch_stats=batch_stats)
  updates, opt_state = player.tx.update(grads, player.opt_state, player.params)
  updates = jax.tree.map(lambda u: (scale * u).astype(u.dtype), updates)
  return player.replace(
    step=player.step + 1,
    params=optax.apply_updates(player.params, updates),
    opt_state=opt_state,
    batch_stats=batch_stats,
  )


def critic_step(
  state: GANState,
  real_BxHxWxC: jax.Array,
  key: jax.Array,
  *,
  loss: objectives.Objective = objectives.WGAN(),
):
  """One critic update on a real batch and a fresh fake batch. Returns (state, metrics).

  Real and fake go through separate critic calls, so batch norm normalises each on its own
  statistics, as in the official code. The clip lives in the critic's optimizer chain. The
  objective says which part of `key` draws the noise and which its gradient penalty, if any.
  """
  loss.check(state)
  z_key, penalty_key = loss.split_key(key)
  z_BxZ = sample_noise(z_key, real_BxHxWxC.shape[0], state.nz, loss.noise_prior)
  fake, _ = apply_player(state.generator, state.generator.params, z_BxZ)
  fake = jax.lax.stop_gradient(fake)
  critic, balance = state.critic, state.balance

  def loss_fn(params):
    critic_real_B, stats = apply_player(critic, params, real_BxHxWxC)
    critic_fake_B, stats = apply_player(critic.replace(batch_stats=stats), params, fake)
    value, metrics = loss.critic_loss(critic_real_B, critic_fake_B, balance)
    penalty = loss.gradient_penalty(
      lambda x: apply_player(critic, params, x)[0], real_BxHxWxC, fake, penalty_key
    )
    if penalty is not None:
      value, metrics = value + penalty, {**metrics, "gradient_penalty": penalty}
    return value, (stats, metrics)

  (value, (stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(critic.params)
  critic = _apply_gradients(critic, grads, stats, loss.update_scale(balance))
  metrics = {"critic_loss": value, **metrics, "critic_grad_norm": optax.tree.norm(grads)}
  return state.replace(critic=critic), metrics


def generator_step(
  state: GANState,
  key: jax.Array,
  batch_size: int,
  *,
  loss: objectives.Objective = objectives.WGAN(),
):
  """One generator update against the current critic. Returns (state, metrics).

  The critic's params and batch statistics are left as they are.
  """
  loss.check(state)
  z_BxZ = sample_noise(key, batch_size, state.nz, loss.noise_prior)
  generator, critic = state.generator, state.critic

  def loss_fn(params):
    fake, stats = apply_player(generator, params, z_BxZ)
    critic_fake_B, _ = apply_player(critic, critic.params, fake)
    return loss.generator_loss(critic_fake_B), stats

  (value, stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(generator.params)
  generator = _apply_gradients(generator, grads, stats, loss.update_scale(state.balance))
  metrics = {"generator_loss": value, "generator_grad_norm": optax.tree.norm(grads)}
  return state.replace(generator=generator), metrics


def _iteration_keys(key: jax.Array, step: jax.Array):
  """(critic root key, generator key) of generator iteration `step`, derived from the run's key."""
  critic_root, generator_key = jax.random.split(jax.random.fold_in(key, step))
  return critic_root, generator_key


def critic_steps(
  state: GANState,
  real_NxBxHxWxC: jax.Array,
  key: jax.Array,
  *,
  unroll: int | bool = 1,
  loss: objectives.Objective = objectives.WGAN(),
):
  """N critic updates in a `lax.scan`, a fresh real batch and noise key for each.

  Critic update i of the current generator iteration draws its randomness from
  `fold_in(critic_root, i)`, a key of (run key, step, i) alone.

  Args:
    state: both players.
    real_NxBxHxWxC: N real batches (any example shape, e.g. `[N, B, 2]` for points).
    key: the run's root key (see `train_step`).
    unroll: `lax.scan`'s unroll. Rolled (1) compiles in about half the time; the steps run as
      fast either way, on XLA:CPU too, with `xla_cpu`'s forms.
    loss: the objective (static: pass it with `functools.partial` or `static_argnames`).

  Returns:
    (new state, metrics of every update, each `[N]`).
  """
  critic_root, _ = _iteration_keys(key, state.step)
  keys = jax.vmap(lambda i: jax.random.fold_in(critic_root, i))(jnp.arange(real_NxBxHxWxC.shape[0]))
  return jax.lax.scan(
    lambda s, xs: critic_step(s, *xs, loss=loss), state, (real_NxBxHxWxC, keys), unroll=unroll
  )


def train_step(
  state: GANState,
  real_NxBxHxWxC: jax.Array,
  key: jax.Array,
  *,
  unroll: int | bool = 1,
  loss: objectives.Objective = objectives.WGAN(),
):
  """One generator iteration of Algorithm 1: N critic updates (a `lax.scan`), one generator
  update against the updated critic, then the objective's end-of-iteration hook (BEGAN's k_t and
  learning-rate plateau; nothing for the others).

  Args:
    state: both players.
    real_NxBxHxWxC: N real batches, a fresh one for every critic step (N = n_critic).
    key: the run's root key; the iteration's randomness is derived from it and `state.step`, so
      a resumed run draws the same noise without a checkpointed key.
    unroll: `lax.scan`'s unroll.
    loss: the objective (static).

  Returns:
    (new state, metrics): scalars; the critic's are those of its last update, as the official
    code prints them.
  """
  _, generator_key = _iteration_keys(key, state.step)
  state, critic_metrics = critic_steps(state, real_NxBxHxWxC, key, unroll=unroll, loss=loss)
  state, generator_metrics = generator_step(
    state, generator_key, real_NxBxHxWxC.shape[1], loss=loss
  )
  metrics = {**jax.tree.map(lambda m: m[-1], critic_metrics), **generator_metrics}
  balance, objective_metrics = loss.end_of_iteration(state.balance, metrics)
  return state.replace(balance=balance), {**metrics, **objective_metrics}
