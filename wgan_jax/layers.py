"""Layers whose fast form on XLA computes the same function as the textbook one.

The DCGAN generator's transposed convolutions are exact, parameter-for-parameter equals of
`nn.ConvTranspose(..., transpose_kernel=True, use_bias=False)`; only how XLA is asked to compute
them differs. Measured on XLA:CPU (2 cores, batch 64, 64x64 DCGAN; benchmarks/step_speed.py):
- the kernel gradient of `lax.conv_transpose` (stride 2) is lowered to a slow generic convolution
  (2.3-4.9 s for the 8x8x256 -> 16x16x128 layer, against 0.1 s here), so `conv_transpose_4x4_stride2`
  has a custom VJP that computes it as one matrix product over the 16 stride-2 windows of the
  output cotangent;
- the generator's first layer, a transposed convolution of a 1x1 input, is a matrix product
  (forward + backward 4 ms as a product, 24 ms as a convolution).
"""
import flax.linen as nn
import jax
import jax.numpy as jnp

_NHWC = ("NHWC", "HWIO", "NHWC")


def _conv_transpose(x_BxHxWxC, kernel_4x4xFxC):
  return jax.lax.conv_transpose(
      x_BxHxWxC, kernel_4x4xFxC, strides=(2, 2), padding=((2, 2), (2, 2)),
      dimension_numbers=_NHWC, transpose_kernel=True)


@jax.custom_vjp
def conv_transpose_4x4_stride2(x_BxHxWxC, kernel_4x4xFxC):
  """PyTorch's `conv_transpose2d(x, w, stride=2, padding=1)` in NHWC, with a fast gradient.

  With PyTorch's weight `w[c, f, ki, kj]` (shape `[C, F, 4, 4]`) and `kernel[ki, kj, f, c]`,
  `out[b, 2i - 1 + ki, 2j - 1 + kj, f] += x[b, i, j, c] * kernel[ki, kj, f, c]` (no flip).

  Args:
    x_BxHxWxC: input, `[B, H, W, C]`.
    kernel_4x4xFxC: `[4, 4, F, C]`, the layout of `nn.ConvTranspose(transpose_kernel=True)`.

  Returns:
    `[B, 2H, 2W, F]`, in the input's dtype. Reverse-mode differentiable (forward-mode is not
    defined, as for any `jax.custom_vjp` function).
  """
  return _conv_transpose(x_BxHxWxC, kernel_4x4xFxC)


def _forward(x_BxHxWxC, kernel_4x4xFxC):
  return _conv_transpose(x_BxHxWxC, kernel_4x4xFxC), (x_BxHxWxC, kernel_4x4xFxC)


def _backward(residuals, dy_Bx2Hx2WxF):
  """Both cotangents are correlations of `dy` with 4x4 windows at stride 2, padding 1."""
  x_BxHxWxC, kernel_4x4xFxC = residuals
  _, h, w, c = x_BxHxWxC.shape
  f = dy_Bx2Hx2WxF.shape[-1]
  dx_BxHxWxC = jax.lax.conv_general_dilated(
      dy_Bx2Hx2WxF, kernel_4x4xFxC, window_strides=(2, 2), padding=((1, 1), (1, 1)),
      dimension_numbers=_NHWC)
  dy_padded = jnp.pad(dy_Bx2Hx2WxF, ((0, 0), (1, 1), (1, 1), (0, 0)))
  windows_BxHxWx16xF = jnp.stack(
      [dy_padded[:, ki:ki + 2 * h:2, kj:kj + 2 * w:2] for ki in range(4) for kj in range(4)],
      axis=3)
  dkernel_16xFxC = jnp.einsum("bhwc,bhwkf->kfc", x_BxHxWxC, windows_BxHxWx16xF)
  return dx_BxHxWxC, dkernel_16xFxC.reshape(4, 4, f, c).astype(kernel_4x4xFxC.dtype)


conv_transpose_4x4_stride2.defvjp(_forward, _backward)


class ConvTranspose4x4Stride2(nn.Module):
  """PyTorch's `ConvTranspose2d(in, features, 4, stride=2, padding=1, bias=False)`.

  Maps `[B, H, W, C]` to `[B, 2H, 2W, features]`. Parameter: `kernel`, shape `[4, 4, features, C]`,
  the same layout and values as `nn.ConvTranspose(features, (4, 4), strides=(2, 2),
  padding=((2, 2), (2, 2)), transpose_kernel=True, use_bias=False)` would hold, so checkpoints and
  parameter counts are interchangeable with it.
  """
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, x_BxHxWxC):
    kernel = self.param("kernel", self.kernel_init, (4, 4, self.features, x_BxHxWxC.shape[-1]))
    return conv_transpose_4x4_stride2(x_BxHxWxC, kernel.astype(x_BxHxWxC.dtype))


class ProjectToSquare(nn.Module):
  """PyTorch's `ConvTranspose2d(in, features, size, stride=1, padding=0, bias=False)` on a 1x1 input.

  The DCGAN generator's first layer (size 4 at the official image sizes), computed as the matrix
  product it is: `out[b, i, j, f] = sum_c z[b, c] * kernel[i, j, f, c]`. Maps `[B, 1, 1, C]` to
  `[B, size, size, features]`. Parameter: `kernel`, shape `[size, size, features, C]`, as
  `nn.ConvTranspose(features, (size, size), padding=((size - 1, size - 1),) * 2,
  transpose_kernel=True, use_bias=False)` holds it.
  """
  features: int
  size: int = 4
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, z_Bx1x1xC):
    if z_Bx1x1xC.shape[1:3] != (1, 1):
      raise ValueError(f"ProjectToSquare expects a [B, 1, 1, C] input, got {z_Bx1x1xC.shape}.")
    kernel = self.param("kernel", self.kernel_init,
                        (self.size, self.size, self.features, z_Bx1x1xC.shape[-1]))
    return jnp.einsum("bxyc,ijfc->bijf", z_Bx1x1xC, kernel.astype(z_Bx1x1xC.dtype))
