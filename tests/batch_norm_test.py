"""XLA:CPU's batch norm is flax's `nn.BatchNorm`: values, statistics, gradients, parameters."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wgan_jax.xla_cpu import batch_norm

# As the DCGAN nets configure it (models._batch_norm).
_training = dict(use_running_average=False, momentum=0.9, epsilon=1e-5, use_fast_variance=False)
_scale_init = lambda key, shape, dtype=jnp.float32: 1.0 + 0.5 * jax.random.normal(key, shape, dtype)


def _pair():
  return (
    batch_norm.BatchNorm(
      **_training, scale_init=_scale_init, bias_init=nn.initializers.normal(0.5)
    ),
    nn.BatchNorm(**_training, scale_init=_scale_init, bias_init=nn.initializers.normal(0.5)),
  )


def _x(seed, shape):
  rng = np.random.default_rng(seed)  # per-channel offsets and scales, as after a conv
  return (
    rng.normal(size=shape) * rng.uniform(0.1, 3, shape[-1]) + rng.normal(size=shape[-1]) * 2
  ).astype(np.float32)


def test_same_parameters_and_statistics_tree_and_init():
  x = _x(0, (4, 3, 3, 5))
  ours, theirs = _pair()
  variables, variables_ref = ours.init(jax.random.key(1), x), theirs.init(jax.random.key(1), x)
  assert jax.tree.structure(variables) == jax.tree.structure(variables_ref)
  jax.tree.map(np.testing.assert_array_equal, variables, variables_ref)


@settings(max_examples=10)  # each new shape compiles
@given(
  shape=st.sampled_from([(8, 4), (3, 5, 5, 7), (2, 1, 1, 3), (16, 2, 3, 6)]),
  seed=st.integers(0, 2**16),
)
def test_values_running_statistics_and_gradients_equal_flax(shape, seed):
  x = _x(seed, shape)
  ours, theirs = _pair()
  variables = jax.jit(theirs.init)(jax.random.key(seed), x)

  def run(module, variables, x):
    y, updates = module.apply(variables, x, mutable=["batch_stats"])
    return y, updates["batch_stats"]

  (y, stats) = jax.eval_shape(functools.partial(run, ours), variables, x)
  rng = np.random.default_rng(seed + 1)
  cotangents = (
    rng.normal(size=y.shape).astype(np.float32),
    jax.tree.map(lambda s: rng.normal(size=s.shape).astype(np.float32), stats),
  )

  @jax.jit  # one program per shape: op by op, each example compiled some 20 ops anew
  def values_and_vjps(variables, x, cotangents):
    outs = []
    for module in (ours, theirs):
      apply = lambda params, x: run(module, {**variables, "params": params}, x)
      out, vjp = jax.vjp(apply, variables["params"], x)
      outs.append((out, vjp(cotangents)))
    return outs

  ((y, stats), grads), ((y_ref, stats_ref), grads_ref) = values_and_vjps(variables, x, cotangents)
  np.testing.assert_allclose(y, y_ref, atol=2e-5, rtol=2e-5)
  jax.tree.map(
    functools.partial(np.testing.assert_allclose, atol=1e-5, rtol=1e-5), stats, stats_ref
  )
  for grad, grad_ref in zip(grads, grads_ref):
    jax.tree.map(
      functools.partial(np.testing.assert_allclose, atol=1e-4, rtol=1e-4), grad, grad_ref
    )


def test_second_order_gradient_equals_flax():
  x = _x(3, (6, 2, 2, 3))
  ours, theirs = _pair()
  variables = theirs.init(jax.random.key(0), x)

  def penalty(module, params):
    f = lambda x: jnp.sum(
      jnp.tanh(
        module.apply(
          {"params": params, "batch_stats": variables["batch_stats"]}, x, mutable=["batch_stats"]
        )[0]
      )
    )
    return jnp.sum(jax.grad(f)(x) ** 2)

  grads = jax.jit(jax.grad(functools.partial(penalty, ours)))(variables["params"])
  grads_ref = jax.jit(jax.grad(functools.partial(penalty, theirs)))(variables["params"])
  jax.tree.map(
    functools.partial(np.testing.assert_allclose, atol=1e-4, rtol=1e-4), grads, grads_ref
  )


def test_sums_are_matrix_products_not_reductions():
  """What the module is for: no reduce or reduce-window left for XLA:CPU to partition."""
  x = jnp.zeros((64, 32, 32, 64))
  module = batch_norm.BatchNorm(**_training)
  variables = module.init(jax.random.key(0), x)
  loss = lambda p, x: jnp.sum(
    module.apply(
      {"params": p, "batch_stats": variables["batch_stats"]}, x, mutable=["batch_stats"]
    )[0]
    ** 2
  )
  hlo = jax.jit(jax.grad(loss)).lower(variables["params"], x).compile().as_text()
  assert "reduce-window(" not in hlo


def test_other_configurations_run_flax_code():
  """Running averages (evaluation), flax's fast variance, or a mask: nn.BatchNorm's own numbers."""
  x = _x(4, (5, 2, 2, 3))
  variables = nn.BatchNorm(**_training).init(jax.random.key(0), x)
  variables = {**variables, "batch_stats": {"mean": jnp.arange(3.0), "var": jnp.full(3, 2.0)}}
  for changed in (dict(use_running_average=True), dict(use_fast_variance=True)):
    settings_ = {**_training, **changed}
    ours = batch_norm.BatchNorm(**settings_).apply(variables, x, mutable=["batch_stats"])
    theirs = nn.BatchNorm(**settings_).apply(variables, x, mutable=["batch_stats"])
    jax.tree.map(np.testing.assert_array_equal, ours, theirs)
  mask = np.arange(x.size).reshape(x.shape) % 3 > 0
  ours = batch_norm.BatchNorm(**_training).apply(variables, x, mask=mask, mutable=["batch_stats"])
  theirs = nn.BatchNorm(**_training).apply(variables, x, mask=mask, mutable=["batch_stats"])
  jax.tree.map(np.testing.assert_array_equal, ours, theirs)
