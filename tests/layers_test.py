"""The fast layers compute PyTorch's convolutions and transposed convolutions, values and gradients
(to any order) and hold the same parameters as the flax layers they replace."""
import functools

import flax.linen as nn
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import layers

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


_CASES = [  # (fast module, reference module, input shape without batch)
    (layers.ConvTranspose4x4Stride2, _reference_stride2, None),
    (layers.ProjectToSquare, _reference_project, (1, 1)),
    (layers.Conv4x4Stride2, _reference_conv, None),
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
  if fast is layers.Conv4x4Stride2:
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
  assert params["params"]["kernel"].shape == ((4, 4, 6, 5) if fast is layers.Conv4x4Stride2
                                              else (4, 4, 5, 6))


def test_default_init_is_dcgan_normal():
  params = layers.ConvTranspose4x4Stride2(64).init(jax.random.key(0), jnp.zeros((1, 4, 4, 128)))
  std = float(jnp.std(params["params"]["kernel"]))
  assert 0.019 < std < 0.021


@pytest.mark.parametrize("fast,reference,kernel_shape", [
    (layers.conv_transpose_4x4_stride2, _reference_stride2, (4, 4, 2, 3)),
    (layers.conv_4x4_stride2, _reference_conv, (4, 4, 3, 2)),
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
