"""What XLA:CPU makes of the fast layers in a whole compiled training step: convolutions in the
library's layout, no recomputation before the kernel gradients' transposes, and the barrier that
keeps it so (`convolutions._materialized`) an identity to every order."""

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import base
from wgan_jax import recipe, steps
from wgan_jax.xla_cpu import compile_options, convolutions


def test_materialized_is_the_identity_and_so_are_its_derivatives():
  x = jnp.array([[-0.0, 0.0, 1.5e-45, -3.0], [jnp.inf, -jnp.inf, jnp.nan, 7.25]])
  out = jax.jit(convolutions._materialized)(x)
  np.testing.assert_array_equal(out, x)  # NaN where x is NaN
  assert np.array_equal(np.signbit(out), np.signbit(x))
  y = jnp.array([0.5, -2.0, 3.0])
  grad = jax.grad(lambda y: jnp.sum(jnp.sin(convolutions._materialized(y))))
  np.testing.assert_array_equal(jax.jit(grad)(y), jnp.cos(y))
  second = jax.jacfwd(jax.grad(lambda y: jnp.sum(convolutions._materialized(y) ** 3)))(y)
  np.testing.assert_allclose(second, np.diag(6 * y), rtol=1e-6)


_DATA_MOVEMENT = {
  "parameter",
  "constant",
  "bitcast",
  "broadcast",
  "copy",
  "reshape",
  "reverse",
  "slice",
  "transpose",
}


def _batch_minor_transposes_with_arithmetic(hlo: str) -> list[str]:
  """The fusions of `hlo` that transpose an array in a layer's backward pass (op_name
  `.../transpose(jvp(...))/<layer>/transpose`), changing its minor (contiguous) dimension as the
  kernel gradients' batch-minor operands need, and compute anything on the way."""
  bodies = dict(re.findall(r"^(%[\w.-]+) \(.*?\{\n(.*?)\n\}", hlo, re.S | re.M))
  found = []
  for name, called in re.findall(
    r"(%[\w.-]+) = \S+ fusion\(.*?\), kind=kLoop, "
    r"calls=(%[\w.-]+), metadata=\{op_name=\"[^\"]*transpose\(jvp\("
    r"[^\"]*/transpose\"",
    hlo,
  ):
    permutations = [
      list(map(int, p.split(",")))
      for p in re.findall(r"transpose\(.*?dimensions=\{([\d,]+)\}", bodies[called])
    ]
    arithmetic = set(re.findall(r"= \S+ ([\w-]+)\(", bodies[called])) - _DATA_MOVEMENT
    if arithmetic and any(p[-1] != len(p) - 1 for p in permutations):
      found.append(f"{name}: {sorted(arithmetic)}")
  return found


@pytest.mark.parametrize(
  "loss,overrides", [("wgan", dict(n_extra_layers=1)), ("wgan_gp", {}), ("began", {})]
)
def test_rolled_training_step_convolutions_in_library_layout_transposing_stored_arrays(
  loss, overrides
):
  """XLA:CPU ran convolutions in other layouts inside a `lax.scan` body with a generic loop, and
  recomputed the elementwise work before the kernel gradients' batch-minor transposes in
  transposed order (benchmarks/README.md has the cost of each)."""
  config = base.get_config(loss)
  config.update(image_size=16, batch_size=4, kernels="xla_cpu", **overrides)
  r = recipe.build(config, (16, 16, 3))
  state = jax.eval_shape(r.create_state, jax.random.key(0))
  step = jax.jit(
    functools.partial(steps.train_step, loss=r.loss),
    compiler_options=compile_options.step_compiler_options("cpu"),
  )
  hlo = step.lower(state, jnp.zeros((2, 4, 16, 16, 3)), jax.random.key(1)).compile().as_text()
  layouts = re.findall(r"convolution\(.*?dim_labels=([^,\s]+)", hlo)
  assert layouts and set(layouts) == {"b01f_01io->b01f"}
  assert not _batch_minor_transposes_with_arithmetic(hlo)
