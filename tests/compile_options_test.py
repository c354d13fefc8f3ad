"""The CPU compiler options are accepted, keep convolutions with Eigen, and change no result."""

import jax
import jax.numpy as jnp
import numpy as np

from wgan_jax.xla_cpu import compile_options, convolutions


def _conv_hlo(options):
  x, kernel = jnp.zeros((64, 16, 16, 128)), jnp.zeros((4, 4, 128, 256))  # a 64x64 critic layer
  conv = lambda x, k: convolutions.conv(x, k, 2, 1)
  return jax.jit(conv, compiler_options=options).lower(x, kernel).compile()


def test_cpu_options_take_convolutions_away_from_ynnpack():
  options = compile_options.step_compiler_options("cpu")
  assert options is not None
  assert "ynn_fusion" not in _conv_hlo(options).as_text()
  assert "ynn_fusion" in _conv_hlo(None).as_text()  # what the option changes, on this jaxlib


def test_other_backends_keep_xla_defaults():
  assert compile_options.step_compiler_options("gpu") is None
  assert compile_options.step_compiler_options("tpu") is None


def test_same_numbers_with_and_without_options():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(2, 8, 8, 4)).astype(np.float32)
  kernel = rng.normal(size=(4, 4, 4, 8)).astype(np.float32)
  grad = lambda x, k: jax.grad(lambda k: jnp.sum(jnp.tanh(convolutions.conv(x, k, 2, 1))))(k)
  tuned = jax.jit(grad, compiler_options=compile_options.step_compiler_options("cpu"))(x, kernel)
  np.testing.assert_allclose(tuned, jax.jit(grad)(x, kernel), rtol=1e-5, atol=1e-5)
