"""The fast layers compute PyTorch's convolutions and transposed convolutions, values and gradients
(to any order) and hold the same parameters as the flax layers they replace."""
import functools
import re

import flax.linen as nn
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import base
from wgan_jax import recipe, steps
from wgan_jax.xla_cpu import compile_options, convolutions, layers

_ATOL = 1e-4  # float32, sums of up to 4 * 16 * C products of unit-scale numbers.


def torch_conv_transpose2d(x_BxCxHxW, w_CxFxKxK, *, stride, padding):
  """numpy, float64: PyTorch's ConvTranspose2d definition, written out.

  out[b, f, i * stride - padding + ki, j * stride - padding + kj] += x[b, c, i, j] * w[c, f, ki, kj]
  """
  b, _, h, w = x_BxCxHxW.shape
  f, k = w_CxFxKxK.shape[1], w_CxFxKxK.shape[2]
  full = np.zeros((b, f, (h - 1) * stride + k, (w - 1) * stride + k))
  for ki in range(k):
    for kj in range(k):
      full[:, :, ki:ki + (h - 1) * stride + 1:stride, kj:kj + (w - 1) * stride + 1:stride] += (
          np.einsum("bchw,cf->bfhw", x_BxCxHxW, w_CxFxKxK[:, :, ki, kj]))
  return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]


def flax_kernel_to_torch(kernel_KxKxFxC):
  """The stated mapping: PyTorch `w[c, f, ki, kj] == kernel[ki, kj, f, c]` (no spatial flip)."""
  return np.transpose(kernel_KxKxFxC, (3, 2, 0, 1))


def _reference_stride2(features):
  return nn.ConvTranspose(features, (4, 4), strides=(2, 2), padding=((2, 2), (2, 2)),
                          transpose_kernel=True, use_bias=False)


def _reference_project(features, size=4):
  return nn.ConvTranspose(features, (size, size), padding=((size - 1, size - 1),) * 2,
                          transpose_kernel=True, use_bias=False)


def _reference_conv(features):
  return nn.Conv(features, (4, 4), (2, 2), ((1, 1), (1, 1)), use_bias=False)


_CONV_4X4_STRIDE2 = functools.partial(layers.Conv, kernel_size=4, strides=2, padding=1,
                                      use_bias=False)
_CASES = [  # (fast module, reference module, input shape without batch)
    (layers.ConvTranspose4x4Stride2, _reference_stride2, None),
    (layers.ProjectToSquare, _reference_project, (1, 1)),
    (_CONV_4X4_STRIDE2, _reference_conv, None),
]


def _arrays(seed, batch, hw, channels, features, size=4):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(batch, *hw, channels)).astype(np.float32)
  kernel = rng.normal(size=(size, size, features, channels)).astype(np.float32)
  return x, kernel


shapes = st.tuples(st.integers(1, 3), st.integers(2, 11), st.integers(2, 11), st.integers(1, 8),
                   st.integers(1, 8))  # odd sides too: the conv's last row or column is unused


@pytest.mark.parametrize("fast,reference,hw", _CASES)
@settings(max_examples=10)  # every new shape compiles: about a second each
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_forward_and_gradients_equal_flax_conv_transpose(fast, reference, hw, shape, seed):
  batch, h, w, channels, features = shape
  x, kernel = _arrays(seed, batch, hw or (h, w), channels, features)
  if fast is _CONV_4X4_STRIDE2:
    kernel = kernel.transpose(0, 1, 3, 2)  # [4, 4, C, F], as nn.Conv holds it
  fast_fn = lambda x, k: fast(features).apply({"params": {"kernel": k}}, x)
  reference_fn = lambda x, k: reference(features).apply({"params": {"kernel": k}}, x)
  y, fast_vjp = jax.vjp(fast_fn, x, kernel)
  y_ref, reference_vjp = jax.vjp(reference_fn, x, kernel)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  cotangent = np.random.default_rng(seed + 1).normal(size=y.shape).astype(np.float32)
  for grad, grad_ref in zip(fast_vjp(cotangent), reference_vjp(cotangent)):
    np.testing.assert_allclose(grad, grad_ref, atol=_ATOL, rtol=0)


@pytest.mark.parametrize("fast,stride,padding,hw,size", [
    (layers.ConvTranspose4x4Stride2, 2, 1, (5, 3), 4),
    (functools.partial(layers.ProjectToSquare, size=4), 1, 0, (1, 1), 4),
    (functools.partial(layers.ProjectToSquare, size=6), 1, 0, (1, 1), 6),
])
def test_equals_numpy_pytorch_definition(fast, stride, padding, hw, size):
  x, kernel = _arrays(0, 2, hw, 5, 7, size)
  y_BxHxWxF = fast(7).apply({"params": {"kernel": kernel}}, x)
  y_torch = torch_conv_transpose2d(np.transpose(x, (0, 3, 1, 2)).astype(np.float64),
                                   flax_kernel_to_torch(kernel).astype(np.float64),
                                   stride=stride, padding=padding)
  np.testing.assert_allclose(np.transpose(y_BxHxWxF, (0, 3, 1, 2)), y_torch, atol=_ATOL, rtol=0)


@pytest.mark.parametrize("fast,reference,hw", _CASES)
def test_parameter_tree_identical_to_flax(fast, reference, hw):
  x = jnp.zeros((2, *(hw or (4, 4)), 6))
  key = jax.random.key(3)
  init = nn.initializers.normal(0.02)
  params = fast(5, kernel_init=init).init(key, x)
  params_ref = reference(5).clone(kernel_init=init).init(key, x)
  assert jax.tree.structure(params) == jax.tree.structure(params_ref)
  jax.tree.map(np.testing.assert_array_equal, params, params_ref)
  assert params["params"]["kernel"].shape == ((4, 4, 6, 5) if fast is _CONV_4X4_STRIDE2
                                              else (4, 4, 5, 6))


def test_default_init_is_dcgan_normal():
  params = layers.ConvTranspose4x4Stride2(64).init(jax.random.key(0), jnp.zeros((1, 4, 4, 128)))
  std = float(jnp.std(params["params"]["kernel"]))
  assert 0.019 < std < 0.021


@pytest.mark.parametrize("fast,reference,kernel_shape", [
    (convolutions.conv_transpose_4x4_stride2, _reference_stride2, (4, 4, 2, 3)),
    (lambda x, k: convolutions.conv(x, k, 2, 1), _reference_conv, (4, 4, 3, 2)),
])
def test_jitted_second_order_reverse_mode_matches_reference(fast, reference, kernel_shape):
  """The custom VJPs are themselves differentiable, twice: a gradient penalty (WGAN-GP) takes
  the gradient in the parameters of a norm of the critic's gradient in its input."""
  rng = np.random.default_rng(1)
  x = rng.normal(size=(2, 6, 5, 3)).astype(np.float32)
  kernel = rng.normal(size=kernel_shape).astype(np.float32)

  def grad_norm(conv):
    def f(k):
      g = jax.grad(lambda x: jnp.sum(jnp.tanh(conv(x, k)) ** 2))(x)
      return jnp.sum(g**2)
    return jax.jit(jax.grad(f))(kernel)

  reference_fn = lambda x, k: reference(2).apply({"params": {"kernel": k}}, x)
  np.testing.assert_allclose(grad_norm(fast), grad_norm(reference_fn), atol=1e-3, rtol=1e-5)


def test_bfloat16_input_keeps_dtype():
  x, kernel = _arrays(0, 1, (2, 2), 3, 4)
  module = layers.ConvTranspose4x4Stride2(4)
  fn = lambda k, x: module.apply({"params": {"kernel": k}}, x).astype(jnp.float32).sum()
  y = module.apply({"params": {"kernel": kernel}}, x.astype(jnp.bfloat16))
  grad = jax.grad(fn)(kernel, x.astype(jnp.bfloat16))
  assert y.dtype == jnp.bfloat16 and y.shape == (1, 4, 4, 4)
  assert grad.dtype == jnp.float32


def test_project_other_sizes_equal_flax_and_reject_spatial_input():
  x, kernel = _arrays(2, 3, (1, 1), 4, 5, size=7)
  y = layers.ProjectToSquare(5, size=7).apply({"params": {"kernel": kernel}}, x)
  y_ref = _reference_project(5, size=7).apply({"params": {"kernel": kernel}}, x)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  with pytest.raises(ValueError, match="1, 1, C"):
    layers.ProjectToSquare(3).init(jax.random.key(0), jnp.zeros((1, 2, 2, 3)))


_CONV_CASES = [(3, 1, 1, True), (3, 2, 1, True), (3, 1, 1, False), (5, 2, 2, False)]


@pytest.mark.parametrize("size,stride,padding,use_bias", _CONV_CASES)
@settings(max_examples=5)  # every new shape compiles
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_conv_forward_and_gradients_equal_flax_conv(size, stride, padding, use_bias, shape, seed):
  batch, h, w, channels, features = shape
  h, w = h + size, w + size  # at least one output position
  x, kernel = _arrays(seed, batch, (h, w), channels, features, size)
  params = {"kernel": kernel.transpose(0, 1, 3, 2)}  # [K, K, C, F]
  if use_bias:
    params["bias"] = np.random.default_rng(seed + 2).normal(size=features).astype(np.float32)
  fast = layers.Conv(features, size, stride, padding, use_bias)
  reference = nn.Conv(features, (size, size), stride, ((padding, padding),) * 2, use_bias=use_bias)
  y, fast_vjp = jax.vjp(lambda x, p: fast.apply({"params": p}, x), x, params)
  y_ref, reference_vjp = jax.vjp(lambda x, p: reference.apply({"params": p}, x), x, params)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  cotangent = np.random.default_rng(seed + 1).normal(size=y.shape).astype(np.float32)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=_ATOL, rtol=0),
               fast_vjp(cotangent), reference_vjp(cotangent))


def test_conv_second_order_matches_flax():
  rng = np.random.default_rng(2)
  x = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)
  kernel = rng.normal(size=(3, 3, 3, 2)).astype(np.float32)
  reference = nn.Conv(2, (3, 3), (2, 2), ((1, 1), (1, 1)), use_bias=False)

  def grad_norm(conv):
    def f(k):
      g = jax.grad(lambda x: jnp.sum(jnp.tanh(conv(x, k)) ** 2))(x)
      return jnp.sum(g**2)
    return jax.jit(jax.grad(f))(kernel)

  np.testing.assert_allclose(
      grad_norm(lambda x, k: convolutions.conv(x, k, 2, 1)),
      grad_norm(lambda x, k: reference.apply({"params": {"kernel": k}}, x)), atol=1e-3, rtol=1e-5)


def test_conv_is_a_drop_in_for_nn_conv_parameter_names_and_init():
  class Net(nn.Module):
    conv: type

    @nn.compact
    def __call__(self, x):
      kwargs = {} if self.conv is layers.Conv else dict(padding=((1, 1), (1, 1)))
      size = 3 if self.conv is layers.Conv else (3, 3)
      return self.conv(4, size, **kwargs)(self.conv(5, size, **kwargs)(x))

  x = jnp.zeros((1, 6, 6, 2))
  params = Net(layers.Conv).init(jax.random.key(0), x)
  params_ref = Net(nn.Conv).init(jax.random.key(0), x)
  assert jax.tree.structure(params) == jax.tree.structure(params_ref)
  jax.tree.map(np.testing.assert_array_equal, params, params_ref)


@pytest.mark.parametrize("size", [4, 2])
def test_conv_whole_square_equals_flax_valid_conv(size):
  x, kernel = _arrays(4, 3, (size, size), 6, 1, size)
  kernel = kernel.transpose(0, 1, 3, 2)  # [S, S, C, 1]
  reference = nn.Conv(1, (size, size), padding="VALID", use_bias=False)
  fast_fn = lambda x, k: layers.ConvWholeSquare(1).apply({"params": {"kernel": k}}, x)[:, None,
                                                                                       None]
  reference_fn = lambda x, k: reference.apply({"params": {"kernel": k}}, x)
  y, fast_vjp = jax.vjp(fast_fn, x, kernel)
  y_ref, reference_vjp = jax.vjp(reference_fn, x, kernel)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  for grad, grad_ref in zip(fast_vjp(np.ones_like(y)), reference_vjp(np.ones_like(y_ref))):
    np.testing.assert_allclose(grad, grad_ref, atol=_ATOL, rtol=0)
  params = layers.ConvWholeSquare(1).init(jax.random.key(0), x)
  assert jax.tree.map(jnp.shape, params) == {"params": {"kernel": (size, size, 6, 1)}}
  with pytest.raises(ValueError, match="square"):
    layers.ConvWholeSquare(1).init(jax.random.key(0), jnp.zeros((1, 4, 3, 2)))


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


_DATA_MOVEMENT = {"parameter", "constant", "bitcast", "broadcast", "copy", "reshape", "reverse",
                  "slice", "transpose"}


def _batch_minor_transposes_with_arithmetic(hlo: str) -> list[str]:
  """The fusions of `hlo` that transpose an array in a layer's backward pass (op_name
  `.../transpose(jvp(...))/<layer>/transpose`), changing its minor (contiguous) dimension as the
  kernel gradients' batch-minor operands need, and compute anything on the way."""
  bodies = dict(re.findall(r"^(%[\w.-]+) \(.*?\{\n(.*?)\n\}", hlo, re.S | re.M))
  found = []
  for name, called in re.findall(r"(%[\w.-]+) = \S+ fusion\(.*?\), kind=kLoop, "
                                 r"calls=(%[\w.-]+), metadata=\{op_name=\"[^\"]*transpose\(jvp\("
                                 r"[^\"]*/transpose\"", hlo):
    permutations = [list(map(int, p.split(","))) for p in
                    re.findall(r"transpose\(.*?dimensions=\{([\d,]+)\}", bodies[called])]
    arithmetic = set(re.findall(r"= \S+ ([\w-]+)\(", bodies[called])) - _DATA_MOVEMENT
    if arithmetic and any(p[-1] != len(p) - 1 for p in permutations):
      found.append(f"{name}: {sorted(arithmetic)}")
  return found


@pytest.mark.parametrize("loss,overrides", [
    ("wgan", dict(n_extra_layers=1)), ("wgan_gp", {}), ("began", {})])
def test_rolled_training_step_convolutions_in_library_layout_transposing_stored_arrays(
    loss, overrides):
  """XLA:CPU ran convolutions in other layouts inside a `lax.scan` body with a generic loop: one
  64x64 DCGAN iteration took 176 s instead of 3.2 s. And it recomputed the elementwise work
  before the kernel gradients' batch-minor transposes in transposed order: 38 ms for one
  generator layer's, where transposing the stored array takes 8 ms."""
  config = base.get_config(loss)
  config.update(image_size=16, batch_size=4, **overrides)
  r = recipe.build(config, (16, 16, 3))
  state = jax.eval_shape(r.create_state, jax.random.key(0))
  step = jax.jit(functools.partial(steps.train_step, loss=r.loss),
                 compiler_options=compile_options.step_compiler_options("cpu"))
  hlo = step.lower(state, jnp.zeros((2, 4, 16, 16, 3)), jax.random.key(1)).compile().as_text()
  layouts = re.findall(r"convolution\(.*?dim_labels=([^,\s]+)", hlo)
  assert layouts and set(layouts) == {"b01f_01io->b01f"}
  assert not _batch_minor_transposes_with_arithmetic(hlo)
