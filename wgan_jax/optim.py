"""Optimizers of the two players: PyTorch-numerics RMSprop, Adam, and WGAN's parameter clipping."""

import jax
import jax.numpy as jnp
import numpy as np
import optax


def rmsprop(
  learning_rate: optax.ScalarOrSchedule, *, decay: float = 0.99, eps: float = 1e-8
) -> optax.GradientTransformation:
  """RMSprop with PyTorch's numerics, as the official WGAN code uses it.

  `v = decay * v + (1 - decay) * g**2` (v starts at 0) and `update = -lr * g / (sqrt(v) + eps)`:
  eps outside the square root, no momentum, not centred. optax's own defaults differ (decay 0.9,
  eps inside the root), which changes early step sizes where sqrt(v) < 1e-4.
  """
  return optax.rmsprop(learning_rate, decay=decay, eps=eps, eps_in_sqrt=False)


def _bound(clip_value: float, dtype) -> jax.Array:
  """The largest value of `dtype` that is <= clip_value, so the box holds in any precision."""
  bound = np.asarray(clip_value, dtype)
  if float(bound) > clip_value:
    bound = np.nextafter(bound, np.asarray(0, dtype))
  return jnp.asarray(bound, dtype)


def _check_clip_value(clip_value: float):
  if not clip_value > 0:
    raise ValueError(f"clip_value must be > 0, got {clip_value}")


def project_params(params, clip_value: float):
  """Clips every leaf of `params` to [-c, c] (c rounded down to the leaf's dtype)."""
  _check_clip_value(clip_value)
  return jax.tree.map(
    lambda p: jnp.clip(p, -_bound(clip_value, p.dtype), _bound(clip_value, p.dtype)), params
  )


def _clipped_update(p, u, clip_value):
  """An update u' such that `p + u'`, rounded in p's dtype, is clip(p + u) or a neighbour in
  [-b, b].

  Where `p + u` already lies in the box the update is returned unchanged. Elsewhere `t - p`
  (t the clipped target) can round so that `p + (t - p)` leaves the box by an ulp; then the update
  is nudged one ulp inward, and if even that fails (|p| >> c) it becomes `-p`, landing on 0.
  NaNs stay NaN, so a diverged step is seen, not hidden.
  """
  b = _bound(clip_value, p.dtype)
  u = u.astype(p.dtype)
  inside = lambda v: jnp.abs(v) <= b
  moved = p + u
  exact = jnp.clip(moved, -b, b) - p
  nudged = jnp.nextafter(exact, jnp.where(p + exact > 0, -jnp.inf, jnp.inf).astype(p.dtype))
  last_resort = jnp.where(inside(p + nudged) | jnp.isnan(moved), nudged, -p)
  return jnp.where(inside(moved), u, jnp.where(inside(p + exact), exact, last_resort))


def clip_params(clip_value: float) -> optax.GradientTransformation:
  """WGAN's weight clipping as an optax transformation: after `optax.apply_updates`, every
  parameter lies in [-c, c] exactly (c rounded down to the parameter's dtype; no one-ulp overshoot).

  This must be the LAST transformation of a chain, since it rewrites the final updates from the
  current params: `optax.chain(rmsprop(lr), clip_params(c))`. Updates come back in the params'
  dtype; where `params + updates` already lies in the box they are unchanged, so applying the
  transformation twice changes nothing more.

  Args:
    clip_value: c > 0, the half-width of the box (0.01 in the paper).

  Raises:
    ValueError: `clip_value` <= 0, or `update` called without `params`.
  """
  _check_clip_value(clip_value)

  def init_fn(params):
    del params
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    if params is None:
      raise ValueError(
        "clip_params needs the current params: call tx.update(grads, state, params)."
      )
    return jax.tree.map(lambda u, p: _clipped_update(p, u, clip_value), updates, params), state

  return optax.GradientTransformation(init_fn, update_fn)


def make_optimizer(
  name: str,
  learning_rate: float,
  *,
  clip_value: float | None = None,
  beta1: float = 0.5,
  beta2: float = 0.999,
) -> optax.GradientTransformation:
  """One player's optimizer: `rmsprop` (the paper's) or `adam`, followed by clipping when
  `clip_value` is given (the WGAN critic).

  Args:
    name: "rmsprop" or "adam".
    learning_rate: step size (5e-5 in the paper for both players).
    clip_value: clip every parameter to [-clip_value, clip_value] after each update; None: no clip.
    beta1, beta2: Adam's moment decays (the official code's Adam option uses beta1 0.5).

  Raises:
    ValueError: an unknown `name`, or `clip_value` <= 0.
  """
  if name == "rmsprop":
    base = rmsprop(learning_rate)
  elif name == "adam":
    base = optax.adam(learning_rate, b1=beta1, b2=beta2)
  else:
    raise ValueError(f"unknown optimizer {name!r}; use 'rmsprop' or 'adam'.")
  return base if clip_value is None else optax.chain(base, clip_params(clip_value))
