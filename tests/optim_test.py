"""The clip transform's invariants (hypothesis) and RMSprop against PyTorch's update rule."""

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wgan_jax import optim

DTYPES = [jnp.float32, jnp.bfloat16]
clip_values = st.floats(1e-4, 1.0, allow_nan=False)


@st.composite
def params_and_updates(draw):
  """Params near and across the box edge, updates from tiny to huge, in float32 or bfloat16.

  The transform is elementwise, so a few shapes suffice; each new shape would recompile every
  eager operation (most of these tests' time).
  """
  dtype = draw(st.sampled_from(DTYPES))
  c = draw(clip_values)
  shape = draw(st.sampled_from([(), (17,), (3, 5)]))
  p = draw(hnp.arrays(np.float64, shape, elements=st.floats(-2 * c, 2 * c)))
  scale = draw(st.sampled_from([1e-9, 1e-6, 1e-3, 1.0, 1e3]))
  u = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1))) * scale
  return jnp.asarray(p, dtype), jnp.asarray(u, dtype), c


def _apply(tx, p, u):
  updates, _ = tx.update(u, tx.init(p), p)
  return updates, optax.apply_updates(p, updates)


@given(params_and_updates())
def test_bound_holds_exactly_after_apply_updates(case):
  p, u, c = case
  _, new = _apply(optim.clip_params(c), p, u)
  assert new.dtype == p.dtype
  assert np.all(np.abs(np.asarray(new, np.float64)) <= c)  # in exact arithmetic, not just dtype
  assert np.all(np.abs(new) <= jnp.asarray(c, p.dtype))  # and in the params' own precision


def test_naive_clip_overshoots_where_ours_does_not():
  """The reason for the transform: clip(p + u) - p rounds out of the box for some entries."""
  rng = np.random.default_rng(0)
  p = jnp.asarray(rng.uniform(-0.0101, 0.0101, 100_000), jnp.float32)
  u = jnp.asarray(rng.normal(0, 1e-2, 100_000), jnp.float32)
  naive = optax.apply_updates(p, jnp.clip(p + u, -0.01, 0.01) - p)
  assert np.sum(np.abs(np.asarray(naive, np.float64)) > 0.01) > 0
  _, ours = _apply(optim.clip_params(0.01), p, u)
  assert np.all(np.abs(np.asarray(ours, np.float64)) <= 0.01)


@given(params_and_updates())
def test_inside_the_box_updates_are_untouched(case):
  p, u, c = case
  p = jnp.clip(p, -jnp.asarray(c / 2, p.dtype), jnp.asarray(c / 2, p.dtype))
  u = u.astype(jnp.float32)
  u = jnp.clip(u, -c / 4, c / 4).astype(p.dtype)
  updates, new = _apply(optim.clip_params(c), p, u)
  np.testing.assert_array_equal(updates, u)
  np.testing.assert_array_equal(new, optax.apply_updates(p, u))


@given(params_and_updates())
def test_applying_twice_changes_nothing_more(case):
  p, u, c = case
  tx = optim.clip_params(c)
  once, _ = tx.update(u, tx.init(p), p)
  twice, _ = tx.update(once, tx.init(p), p)
  np.testing.assert_array_equal(once, twice)
  after, _ = tx.update(jnp.zeros_like(p), tx.init(p), optax.apply_updates(p, once))
  np.testing.assert_array_equal(after, jnp.zeros_like(p))


@given(params_and_updates())
def test_jit_agrees_with_eager(case):
  p, u, c = case
  tx = optim.clip_params(c)
  eager, _ = tx.update(u, tx.init(p), p)
  jitted, _ = jax.jit(tx.update)(u, tx.init(p), p)
  np.testing.assert_array_equal(eager, jitted)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tree_structure_and_dtypes_preserved(dtype):
  params = {
    "a": jnp.full((3, 2), 0.5, dtype),
    "b": [jnp.zeros(4, dtype), {"c": jnp.ones((), dtype)}],
  }
  updates = jax.tree.map(lambda x: jnp.full_like(x, 0.25), params)
  tx = optim.clip_params(0.1)
  out, _ = tx.update(updates, tx.init(params), params)
  assert jax.tree.structure(out) == jax.tree.structure(params)
  assert all(
    o.dtype == dtype and o.shape == q.shape
    for o, q in zip(jax.tree.leaves(out), jax.tree.leaves(params))
  )
  new = optax.apply_updates(params, out)
  assert all(float(jnp.max(jnp.abs(x))) <= 0.1 for x in jax.tree.leaves(new))


def test_missing_params_is_a_clear_error():
  tx = optim.clip_params(0.01)
  with pytest.raises(ValueError, match="needs the current params"):
    tx.update(jnp.ones(3), tx.init(jnp.ones(3)))


def test_nan_is_not_hidden():
  tx = optim.clip_params(0.01)
  updates, _ = tx.update(jnp.array([jnp.nan, 1.0]), optax.EmptyState(), jnp.zeros(2))
  assert np.isnan(updates[0]) and float(updates[1]) == pytest.approx(0.01, rel=1e-6)


@pytest.mark.parametrize("bad", [0.0, -0.01])
def test_non_positive_clip_value_refused(bad):
  with pytest.raises(ValueError, match="clip_value"):
    optim.clip_params(bad)


def _torch_rmsprop(params, grads_seq, lr, alpha=0.99, eps=1e-8):
  """PyTorch's RMSprop (defaults: not centred, no momentum), written out in float64."""
  p, v = params.astype(np.float64), np.zeros_like(params, np.float64)
  for g in grads_seq:
    v = alpha * v + (1 - alpha) * g.astype(np.float64) ** 2
    p = p - lr * g / (np.sqrt(v) + eps)
  return p


def test_rmsprop_matches_pytorch_rule_over_many_steps():
  rng = np.random.default_rng(0)
  p0 = rng.normal(size=64).astype(np.float32)
  # Gradients of very different scales, including ~1e-6 where eps placement matters.
  grads = [
    (rng.normal(size=64) * 10.0 ** rng.integers(-7, 1, 64)).astype(np.float32) for _ in range(200)
  ]
  tx = optim.rmsprop(5e-5)
  p, state = jnp.asarray(p0), tx.init(jnp.asarray(p0))
  for g in grads:
    u, state = tx.update(jnp.asarray(g), state, p)
    p = optax.apply_updates(p, u)
  np.testing.assert_allclose(np.asarray(p), _torch_rmsprop(p0, grads, 5e-5), rtol=1e-6, atol=1e-7)
  optax_default = optax.rmsprop(5e-5)
  q, s2 = jnp.asarray(p0), optax_default.init(jnp.asarray(p0))
  for g in grads:
    u, s2 = optax_default.update(jnp.asarray(g), s2, q)
    q = optax.apply_updates(q, u)
  assert np.max(np.abs(np.asarray(q) - _torch_rmsprop(p0, grads, 5e-5))) > 1e-5  # defaults differ


def test_make_optimizer_critic_chain_clips_and_adam_option():
  p = jnp.full(5, 0.0099)
  tx = optim.make_optimizer("rmsprop", 1.0, clip_value=0.01)
  u, _ = tx.update(jnp.full(5, -1.0), tx.init(p), p)
  np.testing.assert_array_equal(optax.apply_updates(p, u), jnp.full(5, jnp.float32(0.01)))
  assert isinstance(optim.make_optimizer("adam", 1e-4), optax.GradientTransformation)
  with pytest.raises(ValueError, match="unknown optimizer"):
    optim.make_optimizer("sgd", 1e-4)
