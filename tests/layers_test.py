"""The fast layers compute PyTorch's convolutions and transposed convolutions, values and gradients
(to any order) and hold the same parameters as the flax layers they replace."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wgan_jax import xla_cpu
from wgan_jax.xla_cpu import convolutions

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
      full[
        :, :, ki : ki + (h - 1) * stride + 1 : stride, kj : kj + (w - 1) * stride + 1 : stride
      ] += np.einsum("bchw,cf->bfhw", x_BxCxHxW, w_CxFxKxK[:, :, ki, kj])
  return full[:, :, padding : full.shape[2] - padding, padding : full.shape[3] - padding]


def flax_kernel_to_torch(kernel_KxKxFxC):
  """The stated mapping: PyTorch `w[c, f, ki, kj] == kernel[ki, kj, f, c]` (no spatial flip)."""
  return np.transpose(kernel_KxKxFxC, (3, 2, 0, 1))


# Each case: a flax layer's arguments, and the input shape without batch (None: drawn).
_STRIDE2 = (
  nn.ConvTranspose,
  dict(
    kernel_size=(4, 4),
    strides=(2, 2),
    padding=((2, 2), (2, 2)),
    transpose_kernel=True,
    use_bias=False,
  ),
  None,
)
_PROJECT = (
  nn.ConvTranspose,
  dict(kernel_size=(4, 4), padding=((3, 3), (3, 3)), transpose_kernel=True, use_bias=False),
  (1, 1),
)
_CONV_4X4_STRIDE2 = (
  nn.Conv,
  dict(kernel_size=(4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), use_bias=False),
  None,
)
_CASES = [_STRIDE2, _PROJECT, _CONV_4X4_STRIDE2]


def _pair(layer, kwargs):
  """(the XLA:CPU form, flax's layer) of one configuration, as functions of features."""
  fast = getattr(xla_cpu, layer.__name__)
  return (
    lambda f, **more: fast(f, **{**kwargs, **more}),
    lambda f, **more: layer(f, **{**kwargs, **more}),
  )


def _arrays(seed, batch, hw, channels, features, size=4):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(batch, *hw, channels)).astype(np.float32)
  kernel = rng.normal(size=(size, size, features, channels)).astype(np.float32)
  return x, kernel


def _cotangent(seed, fn, *args):
  """A standard normal array shaped like `fn(*args)`."""
  shape = jax.eval_shape(fn, *args).shape
  return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _values_and_vjps(fns, x, params, cotangent):
  """[(fn(x, params), its VJP at `cotangent` in x and params)] for each of `fns`, as one jitted
  program: each hypothesis example has shapes of its own, and op by op every operation of
  every example compiled on its own."""

  def run(x, params, cotangent):
    outs = []
    for fn in fns:
      y, vjp = jax.vjp(fn, x, params)
      outs.append((y, vjp(cotangent)))
    return outs

  return jax.jit(run)(x, params, cotangent)


shapes = st.tuples(
  st.integers(1, 3), st.integers(2, 11), st.integers(2, 11), st.integers(1, 8), st.integers(1, 8)
)  # odd sides too: the conv's last row or column is unused


@pytest.mark.parametrize("layer,kwargs,hw", _CASES)
@settings(max_examples=10)  # every new shape compiles: about a second each
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_forward_and_gradients_equal_flax(layer, kwargs, hw, shape, seed):
  batch, h, w, channels, features = shape
  x, kernel = _arrays(seed, batch, hw or (h, w), channels, features)
  if layer is nn.Conv:
    kernel = kernel.transpose(0, 1, 3, 2)  # [4, 4, C, F], as nn.Conv holds it
  fast, reference = _pair(layer, kwargs)
  fast_fn = lambda x, k: fast(features).apply({"params": {"kernel": k}}, x)
  reference_fn = lambda x, k: reference(features).apply({"params": {"kernel": k}}, x)
  cotangent = _cotangent(seed + 1, fast_fn, x, kernel)
  (y, grads), (y_ref, grads_ref) = _values_and_vjps((fast_fn, reference_fn), x, kernel, cotangent)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  for grad, grad_ref in zip(grads, grads_ref):
    np.testing.assert_allclose(grad, grad_ref, atol=_ATOL, rtol=0)


@pytest.mark.parametrize(
  "size,stride,padding,hw",
  [
    (4, 2, 1, (5, 3)),
    (4, 1, 0, (1, 1)),
    (6, 1, 0, (1, 1)),
    (3, 2, 1, (4, 3)),
    (5, 3, 2, (3, 2)),
  ],
)
def test_transposed_conv_equals_numpy_pytorch_definition_and_flax(size, stride, padding, hw):
  x, kernel = _arrays(0, 2, hw, 5, 7, size)
  q = size - 1 - padding  # flax pads the dilated input
  layer = xla_cpu.ConvTranspose(
    7, (size, size), (stride, stride), ((q, q), (q, q)), transpose_kernel=True, use_bias=False
  )
  y_BxHxWxF = layer.apply({"params": {"kernel": kernel}}, x)
  y_torch = torch_conv_transpose2d(
    np.transpose(x, (0, 3, 1, 2)).astype(np.float64),
    flax_kernel_to_torch(kernel).astype(np.float64),
    stride=stride,
    padding=padding,
  )
  np.testing.assert_allclose(np.transpose(y_BxHxWxF, (0, 3, 1, 2)), y_torch, atol=_ATOL, rtol=0)
  y_flax = nn.ConvTranspose(
    7, (size, size), (stride, stride), ((q, q), (q, q)), transpose_kernel=True, use_bias=False
  ).apply({"params": {"kernel": kernel}}, x)
  np.testing.assert_allclose(y_BxHxWxF, y_flax, atol=_ATOL, rtol=0)
  assert "custom_vjp_call" in str(
    jax.make_jaxpr(lambda k: layer.apply({"params": {"kernel": k}}, x))(kernel)
  ) or hw == (1, 1)  # the fast form, not flax's


@pytest.mark.parametrize("layer,kwargs,hw", _CASES)
def test_parameter_tree_identical_to_flax(layer, kwargs, hw):
  x = jnp.zeros((2, *(hw or (4, 4)), 6))
  fast, reference = _pair(layer, kwargs)
  for more in ({}, dict(use_bias=True, kernel_init=nn.initializers.normal(0.02))):
    params = fast(5, **more).init(jax.random.key(3), x)
    params_ref = reference(5, **more).init(jax.random.key(3), x)
    assert jax.tree.structure(params) == jax.tree.structure(params_ref)
    jax.tree.map(np.testing.assert_array_equal, params, params_ref)
  assert params["params"]["kernel"].shape == ((4, 4, 6, 5) if layer is nn.Conv else (4, 4, 5, 6))


@pytest.mark.parametrize(
  "fast,reference,kernel_shape",
  [
    (lambda x, k: convolutions.conv_transpose(x, k, 2, 1), _pair(*_STRIDE2[:2])[1], (4, 4, 2, 3)),
    (lambda x, k: convolutions.conv(x, k, 2, 1), _pair(*_CONV_4X4_STRIDE2[:2])[1], (4, 4, 3, 2)),
  ],
)
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


@pytest.mark.parametrize("layer,kwargs,hw", _CASES)
def test_bfloat16_compute_dtype_as_flax(layer, kwargs, hw):
  """`dtype=bfloat16` computes in bfloat16 with float32 parameters and gradients, as flax does."""
  x, kernel = _arrays(0, 1, hw or (2, 2), 3, 4)
  if layer is nn.Conv:
    kernel = kernel.transpose(0, 1, 3, 2)
  fast, reference = _pair(layer, kwargs)
  run = lambda make, k: make(4, dtype=jnp.bfloat16).apply({"params": {"kernel": k}}, x)
  y, y_ref = run(fast, kernel), run(reference, kernel)
  assert y.dtype == y_ref.dtype == jnp.bfloat16 and y.shape == y_ref.shape
  np.testing.assert_allclose(y.astype(np.float32), y_ref.astype(np.float32), rtol=2e-2, atol=2e-2)
  grad = jax.grad(lambda k: run(fast, k).astype(jnp.float32).sum())(kernel)
  assert grad.dtype == jnp.float32


def test_configurations_without_a_fast_form_run_flax_code():
  """Asymmetric "SAME" padding, a dilated kernel, an unbatched input: flax's own computation."""
  x = jax.random.normal(jax.random.key(0), (2, 7, 7, 3))
  for kwargs, x_in in [
    (dict(kernel_size=(4, 4), strides=(2, 2), padding="SAME"), x),
    (dict(kernel_size=(3, 3), kernel_dilation=(2, 2)), x),
    (dict(kernel_size=(3, 3), padding=((1, 1), (1, 1))), x[0]),
  ]:
    for layer in ("Conv", "ConvTranspose"):
      fast, reference = getattr(xla_cpu, layer)(5, **kwargs), getattr(nn, layer)(5, **kwargs)
      variables = reference.init(jax.random.key(1), x_in)
      jax.tree.map(np.testing.assert_array_equal, fast.init(jax.random.key(1), x_in), variables)
      np.testing.assert_array_equal(fast.apply(variables, x_in), reference.apply(variables, x_in))
      assert "custom_vjp_call" not in str(jax.make_jaxpr(fast.apply)(variables, x_in))


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
  fast = xla_cpu.Conv(features, (size, size), stride, ((padding, padding),) * 2, use_bias=use_bias)
  reference = nn.Conv(features, (size, size), stride, ((padding, padding),) * 2, use_bias=use_bias)
  fast_fn = lambda x, p: fast.apply({"params": p}, x)
  reference_fn = lambda x, p: reference.apply({"params": p}, x)
  cotangent = _cotangent(seed + 1, fast_fn, x, params)
  (y, grads), (y_ref, grads_ref) = _values_and_vjps((fast_fn, reference_fn), x, params, cotangent)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=_ATOL, rtol=0), grads, grads_ref)


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
    grad_norm(lambda x, k: reference.apply({"params": {"kernel": k}}, x)),
    atol=1e-3,
    rtol=1e-5,
  )


def test_conv_is_a_drop_in_for_nn_conv_parameter_names_and_init():
  class Net(nn.Module):
    conv: type

    @nn.compact
    def __call__(self, x):
      conv = lambda f: self.conv(f, (3, 3), padding=((1, 1), (1, 1)))
      return conv(4)(conv(5)(x))

  x = jnp.zeros((1, 6, 6, 2))
  params = Net(xla_cpu.Conv).init(jax.random.key(0), x)
  params_ref = Net(nn.Conv).init(jax.random.key(0), x)
  assert jax.tree.structure(params) == jax.tree.structure(params_ref)
  jax.tree.map(np.testing.assert_array_equal, params, params_ref)


@pytest.mark.parametrize("size", [4, 2])
def test_conv_whole_square_is_a_product_equal_to_flax_valid_conv(size):
  x, kernel = _arrays(4, 3, (size, size), 6, 1, size)
  kernel = kernel.transpose(0, 1, 3, 2)  # [S, S, C, 1]
  fast = xla_cpu.Conv(1, (size, size), padding="VALID", use_bias=False)
  reference = nn.Conv(1, (size, size), padding="VALID", use_bias=False)
  fast_fn = lambda x, k: fast.apply({"params": {"kernel": k}}, x)
  reference_fn = lambda x, k: reference.apply({"params": {"kernel": k}}, x)
  y, fast_vjp = jax.vjp(fast_fn, x, kernel)
  y_ref, reference_vjp = jax.vjp(reference_fn, x, kernel)
  np.testing.assert_allclose(y, y_ref, atol=_ATOL, rtol=0)
  for grad, grad_ref in zip(fast_vjp(np.ones_like(y)), reference_vjp(np.ones_like(y_ref))):
    np.testing.assert_allclose(grad, grad_ref, atol=_ATOL, rtol=0)
  assert "conv_general_dilated" not in str(jax.make_jaxpr(fast_fn)(x, kernel))
