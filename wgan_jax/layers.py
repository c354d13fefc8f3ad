"""Layers whose fast form on XLA computes the same function as the textbook one.

The DCGAN critic's 4x4 stride-2 convolutions and the generator's transposed convolutions are
exact, parameter-for-parameter equals of `nn.Conv(features, (4, 4), (2, 2), ((1, 1), (1, 1)),
use_bias=False)` and `nn.ConvTranspose(..., transpose_kernel=True, use_bias=False)`; only how XLA
is asked to compute them differs. Each is the other's input gradient, so three primitives serve
both: the stride-2 convolution (XLA's), its input gradient, which is the transposed convolution
(`_conv_transpose`), and its kernel gradient (XLA's). Measured on XLA:CPU (2 cores, batch 64,
the 64x64 DCGAN's layers; benchmarks/step_speed.py for the whole step):
- XLA computes a transposed convolution as an input-dilated convolution: 44-68 ms for the 8x8 and
  16x16 inputs (Eigen, as `compile_options` sets), against 21-26 ms for the same sums as stride-1
  2x2 convolutions per output parity, interleaved (`_conv_transpose`);
- XLA's kernel gradient of `lax.conv_transpose` is a slow generic convolution (2.3-4.9 s for the
  8x8x256 -> 16x16x128 layer); the kernel gradient of the stride-2 convolution it transposes is
  the same sum and takes 38 ms;
- the generator's first layer, a transposed convolution of a 1x1 input, is a matrix product
  (forward + backward 4 ms as a product, 24 ms as a convolution).
"""
import flax.linen as nn
import jax
import jax.numpy as jnp

_NHWC = ("NHWC", "HWIO", "NHWC")
_MAX_POSITIONS_FOR_FOUR = 64  # h * w up to which `_conv_transpose` runs four exact convolutions


def _conv(x_BxHxWxC, kernel_4x4xCxF):
  """`[B, H, W, C] -> [B, floor(H/2), floor(W/2), F]`: 4x4 windows at stride 2, padding 1."""
  return jax.lax.conv_general_dilated(x_BxHxWxC, kernel_4x4xCxF, window_strides=(2, 2),
                                      padding=((1, 1), (1, 1)), dimension_numbers=_NHWC)


def _conv_kernel_grad(x_BxHxWxC, dy_BxhxwxF, kernel_4x4xCxF):
  """`[4, 4, C, F]`: the gradient of `sum(_conv(x, kernel) * dy)` in `kernel`, which it does not
  depend on; `kernel` gives the result's sharding (jit drops the unused forward convolution)."""
  return jax.vjp(lambda kernel: _conv(x_BxHxWxC, kernel), kernel_4x4xCxF)[1](dy_BxhxwxF)[0]


def _interleave(parities_Bxhx2xwx2xC):
  """`[B, h, 2, w, 2, C] -> [B, 2h, 2w, C]`, one merge per reshape: jax infers the sharding of
  a batch-sharded array through those."""
  b, h, _, w, _, c = parities_Bxhx2xwx2xC.shape
  return parities_Bxhx2xwx2xC.reshape(b, h, 2, 2 * w, c).reshape(b, 2 * h, 2 * w, c)


def _conv_transpose(y_BxhxwxF, kernel_4x4xCxF, height, width):
  """The transpose of `_conv`: `[B, h, w, F] -> [B, height, width, C]` for `h = floor(height/2)`.

  `out[b, 2i - 1 + ki, 2j - 1 + kj, c] += y[b, i, j, f] * kernel[ki, kj, c, f]`, which is
  PyTorch's `conv_transpose2d(y, w, stride=2, padding=1)` with `w[f, c, ki, kj] = kernel[ki, kj,
  c, f]`. Output row `2m - 1 + p` (p = 0, 1) sums rows m - 1 and m of `y` with kernel rows p + 2
  and p: a stride-1 2x2 convolution per (row, column) parity, interleaved. Small maps (even
  output) run the four convolutions at their exact sizes; larger ones one convolution of `y`
  padded by one to all four parities as 4C channels, which computes a border of (h + 1)(w + 1)
  - hw positions too many, cropped (13% at h = w = 16, 27% at 8, 56% at 4). On XLA:CPU, 2 cores,
  batch 64, the one convolution took 26, 25, 34 ms for h = 16, 8, 4 and the four 27, 21, 24 ms.
  """
  b, h, w, f = y_BxhxwxF.shape
  c = kernel_4x4xCxF.shape[2]
  conv = lambda y, k, pad: jax.lax.conv_general_dilated(y, k, (1, 1), pad, dimension_numbers=_NHWC)
  if h * w <= _MAX_POSITIONS_FOR_FOUR and (height, width) == (2 * h, 2 * w):
    # Output row 2m + p sums y[m - 1 + p] and y[m + p] with kernel rows 3 - p and 1 - p.
    pads = ((1, 0), (0, 1))
    parities = [[conv(y_BxhxwxF, kernel_4x4xCxF[3 - p::-2, 3 - q::-2].transpose(0, 1, 3, 2),
                      (pads[p], pads[q]))
                 for q in (0, 1)] for p in (0, 1)]
    return _interleave(jnp.stack([jnp.stack(row, 3) for row in parities], 2))
  # kernel[2A + p, 2B + q, c, f] -> taps[1 - A, 1 - B, f, (p, q, c)].
  taps = kernel_4x4xCxF.reshape(2, 2, 2, 2, c, f)[::-1, :, ::-1]
  taps_2x2xFx4C = taps.transpose(0, 2, 5, 1, 3, 4).reshape(2, 2, f, 4 * c)
  phases = conv(y_BxhxwxF, taps_2x2xFx4C, ((1, 1), (1, 1)))
  out = _interleave(phases.reshape(b, h + 1, w + 1, 2, 2, c).transpose(0, 1, 3, 2, 4, 5))
  return out[:, 1:1 + height, 1:1 + width]


@jax.custom_vjp
def conv_4x4_stride2(x_BxHxWxC, kernel_4x4xCxF):
  """PyTorch's `conv2d(x, w, stride=2, padding=1)` in NHWC, with a fast input gradient.

  Args:
    x_BxHxWxC: input, `[B, H, W, C]`.
    kernel_4x4xCxF: `[4, 4, C, F]`, the layout of `nn.Conv` (`w[f, c, ki, kj]` in PyTorch).

  Returns:
    `[B, floor(H/2), floor(W/2), F]`, in the input's dtype. Reverse-mode differentiable to any
    order (forward mode is not defined, as for any `jax.custom_vjp` function).
  """
  return _conv(x_BxHxWxC, kernel_4x4xCxF)


def _conv_forward(x_BxHxWxC, kernel_4x4xCxF):
  return _conv(x_BxHxWxC, kernel_4x4xCxF), (x_BxHxWxC, kernel_4x4xCxF)


def _conv_backward(residuals, dy_BxhxwxF):
  x_BxHxWxC, kernel_4x4xCxF = residuals
  dx_BxHxWxC = _conv_transpose(dy_BxhxwxF, kernel_4x4xCxF, *x_BxHxWxC.shape[1:3])
  return dx_BxHxWxC, _conv_kernel_grad(x_BxHxWxC, dy_BxhxwxF, kernel_4x4xCxF)


conv_4x4_stride2.defvjp(_conv_forward, _conv_backward)


@jax.custom_vjp
def conv_transpose_4x4_stride2(x_BxHxWxC, kernel_4x4xFxC):
  """PyTorch's `conv_transpose2d(x, w, stride=2, padding=1)` in NHWC, fast both ways.

  With PyTorch's weight `w[c, f, ki, kj]` (shape `[C, F, 4, 4]`) and `kernel[ki, kj, f, c]`,
  `out[b, 2i - 1 + ki, 2j - 1 + kj, f] += x[b, i, j, c] * kernel[ki, kj, f, c]` (no flip): the
  transpose of `conv_4x4_stride2` with the kernel `[4, 4, F, C]` read as `[in, out]`.

  Args:
    x_BxHxWxC: input, `[B, H, W, C]`.
    kernel_4x4xFxC: `[4, 4, F, C]`, the layout of `nn.ConvTranspose(transpose_kernel=True)`.

  Returns:
    `[B, 2H, 2W, F]`, in the input's dtype. Reverse-mode differentiable to any order.
  """
  return _conv_transpose(x_BxHxWxC, kernel_4x4xFxC, 2 * x_BxHxWxC.shape[1], 2 * x_BxHxWxC.shape[2])


def _conv_transpose_forward(x_BxHxWxC, kernel_4x4xFxC):
  return conv_transpose_4x4_stride2(x_BxHxWxC, kernel_4x4xFxC), (x_BxHxWxC, kernel_4x4xFxC)


def _conv_transpose_backward(residuals, dy_Bx2Hx2WxF):
  x_BxHxWxC, kernel_4x4xFxC = residuals
  dkernel = _conv_kernel_grad(dy_Bx2Hx2WxF, x_BxHxWxC, kernel_4x4xFxC)
  return _conv(dy_Bx2Hx2WxF, kernel_4x4xFxC), dkernel


conv_transpose_4x4_stride2.defvjp(_conv_transpose_forward, _conv_transpose_backward)


class Conv4x4Stride2(nn.Module):
  """PyTorch's `Conv2d(in, features, 4, stride=2, padding=1, bias=False)`.

  Maps `[B, H, W, C]` to `[B, floor(H/2), floor(W/2), features]`. Parameter: `kernel`, shape
  `[4, 4, C, features]`, as `nn.Conv(features, (4, 4), (2, 2), ((1, 1), (1, 1)), use_bias=False)`
  holds it, so checkpoints and parameter counts are interchangeable with it.
  """
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, x_BxHxWxC):
    kernel = self.param("kernel", self.kernel_init, (4, 4, x_BxHxWxC.shape[-1], self.features))
    return conv_4x4_stride2(x_BxHxWxC, kernel.astype(x_BxHxWxC.dtype))


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
