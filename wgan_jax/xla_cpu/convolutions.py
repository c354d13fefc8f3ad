"""Convolutions and their gradients written in the layouts XLA:CPU's library convolution takes.

Why: inside a rolled `lax.scan` (the critic loop) XLA:CPU runs a convolution whose operands are
not in those layouts as a generic loop, and it computes a transposed convolution and its kernel
gradient in slow generic forms, so the custom VJPs here spell out every derivative fast.

Three primitives, each the others' gradients to any order: the convolution (`conv`, XLA's), its
input gradient, which is the transposed convolution (`conv_transpose`; for the DCGAN's 4x4
stride-2 layers by output parities), and its kernel gradient (`_conv_kernel_grad`, written as a
convolution of batch-minor operands). `_materialized` stores each operand before the kernel
gradient transposes it, so XLA:CPU does not recompute its producers in transposed order.
Measurements: benchmarks/README.md.
"""

import functools

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec

_NHWC = ("NHWC", "HWIO", "NHWC")
_MAX_POSITIONS_FOR_FOUR = 64  # h * w up to which `_conv_transpose` runs four exact convolutions


def _max_of_two_copies(x):
  return jnp.max(jnp.broadcast_to(x[..., None], (*x.shape, 2)), axis=-1)


@jax.custom_jvp
def _materialized(x):
  """`x` exactly, computed once into memory on XLA:CPU (elsewhere just `x`).

  Each operand of a convolution here is also transposed for a kernel gradient. XLA:CPU copies
  cheap elementwise producers into every consumer, so the transpose recomputed them; a
  reduction (here a max over two copies of x, which is x for every value, NaN and -0.0
  included) counts as expensive and is not copied, so the transpose reads the stored array.
  """
  return jax.lax.platform_dependent(x, cpu=_max_of_two_copies, default=lambda x: x)


_materialized.defjvp(lambda primals, tangents: (_materialized(*primals), *tangents))


def _conv(x_BxHxWxC, kernel_KxKxCxF, stride, padding):
  """`[B, H, W, C] -> [B, (H + 2 padding - K) // stride + 1, ..., F]`: XLA's convolution."""
  return jax.lax.conv_general_dilated(
    x_BxHxWxC, kernel_KxKxCxF, (stride, stride), ((padding, padding),) * 2, dimension_numbers=_NHWC
  )


def _conv_kernel_grad(x_BxHxWxC, dy_BxhxwxF, size, stride, padding):
  """`[K, K, C, F]` (K = `size`): the gradient of `sum(_conv(x, kernel) * dy)` in `kernel`.

  `dk[ki, kj, c, f] = sum_{b, i, j} x[b, s i - p + ki, s j - p + kj, c] * dy[b, i, j, f]`: a
  convolution of x as a batch of C maps of B features by dy as a kernel dilated by s. It is
  written here in the layouts XLA:CPU's library convolution takes (input `[C, H, W, B]`, kernel
  `[h, w, B, F]`); XLA's own gradient leaves that to a compiler pass, which skips a `lax.scan`'s
  loop body, whose kernel gradients then ran as generic loops.
  """
  _, height, width, _ = x_BxHxWxC.shape
  _, h, w, _ = dy_BxhxwxF.shape
  mesh = jax.typeof(x_BxHxWxC).sharding.mesh  # a sum over a sharded batch is replicated
  replicated = None if mesh.empty else NamedSharding(mesh, PartitionSpec())
  high = lambda n, out: size + stride * (out - 1) - n - padding  # negative: unused last rows
  dk_CxKxKxF = jax.lax.conv_general_dilated(
    x_BxHxWxC.transpose(3, 1, 2, 0),
    dy_BxhxwxF.transpose(1, 2, 0, 3),
    window_strides=(1, 1),
    padding=((padding, high(height, h)), (padding, high(width, w))),
    rhs_dilation=(stride, stride),
    dimension_numbers=_NHWC,
    out_sharding=replicated,
  )
  return dk_CxKxKxF.transpose(1, 2, 0, 3)


def _interleave(parities_Bxhx2xwx2xC):
  """`[B, h, 2, w, 2, C] -> [B, 2h, 2w, C]`, one merge per reshape: jax infers the sharding of
  a batch-sharded array through those."""
  b, h, _, w, _, c = parities_Bxhx2xwx2xC.shape
  return parities_Bxhx2xwx2xC.reshape(b, h, 2, 2 * w, c).reshape(b, 2 * h, 2 * w, c)


def _conv_transpose_4x4_stride2(y_BxhxwxF, kernel_4x4xCxF, height, width):
  """The transpose of the 4x4, stride-2, padding-1 `_conv`: `[B, h, w, F] -> [B, height, width,
  C]` for `h = floor(height/2)`.

  `out[b, 2i - 1 + ki, 2j - 1 + kj, c] += y[b, i, j, f] * kernel[ki, kj, c, f]`, which is
  PyTorch's `conv_transpose2d(y, w, stride=2, padding=1)` with `w[f, c, ki, kj] = kernel[ki, kj,
  c, f]`. Output row `2m - 1 + p` (p = 0, 1) sums rows m - 1 and m of `y` with kernel rows p + 2
  and p: a stride-1 2x2 convolution per (row, column) parity, interleaved. Small maps (even
  output) run the four convolutions at their exact sizes; larger ones one convolution of `y`
  padded by one to all four parities as 4C channels, which computes a border of (h + 1)(w + 1)
  - hw positions too many, cropped (13% at h = w = 16, 27% at 8, 56% at 4), and is faster there.
  """
  b, h, w, f = y_BxhxwxF.shape
  c = kernel_4x4xCxF.shape[2]
  conv = lambda y, k, pad: jax.lax.conv_general_dilated(y, k, (1, 1), pad, dimension_numbers=_NHWC)
  if h * w <= _MAX_POSITIONS_FOR_FOUR and (height, width) == (2 * h, 2 * w):
    # Output row 2m + p sums y[m - 1 + p] and y[m + p] with kernel rows 3 - p and 1 - p.
    pads = ((1, 0), (0, 1))
    parities = [
      [
        conv(
          y_BxhxwxF,
          kernel_4x4xCxF[3 - p :: -2, 3 - q :: -2].transpose(0, 1, 3, 2),
          (pads[p], pads[q]),
        )
        for q in (0, 1)
      ]
      for p in (0, 1)
    ]
    return _interleave(jnp.stack([jnp.stack(row, 3) for row in parities], 2))
  # kernel[2A + p, 2B + q, c, f] -> taps[1 - A, 1 - B, f, (p, q, c)].
  taps = kernel_4x4xCxF.reshape(2, 2, 2, 2, c, f)[::-1, :, ::-1]
  taps_2x2xFx4C = taps.transpose(0, 2, 5, 1, 3, 4).reshape(2, 2, f, 4 * c)
  phases = conv(y_BxhxwxF, taps_2x2xFx4C, ((1, 1), (1, 1)))
  out = _interleave(phases.reshape(b, h + 1, w + 1, 2, 2, c).transpose(0, 1, 3, 2, 4, 5))
  return out[:, 1 : 1 + height, 1 : 1 + width]


def _conv_transpose(y_BxhxwxF, kernel_KxKxCxF, stride, padding, height, width):
  """The transpose (input gradient) of `_conv`: `[B, h, w, F] -> [B, height, width, C]`.

  The 4x4 stride-2 case by parities (`_conv_transpose_4x4_stride2`); any other as XLA computes
  it, a convolution of `y` dilated by the stride with the flipped kernel, here with the kernel
  laid out `[K, K, F, C]` for XLA:CPU's library convolution (see `_conv_kernel_grad`).
  """
  size = kernel_KxKxCxF.shape[0]
  if (size, stride, padding) == (4, 2, 1):
    return _conv_transpose_4x4_stride2(y_BxhxwxF, kernel_KxKxCxF, height, width)
  _, h, w, _ = y_BxhxwxF.shape
  high = lambda n, out: n - stride * (out - 1) - 1 + padding
  return jax.lax.conv_general_dilated(
    y_BxhxwxF,
    kernel_KxKxCxF[::-1, ::-1].transpose(0, 1, 3, 2),
    (1, 1),
    ((size - 1 - padding, high(height, h)), (size - 1 - padding, high(width, w))),
    lhs_dilation=(stride, stride),
    dimension_numbers=_NHWC,
  )


# The three primitives as custom VJPs whose gradients are each other: the sums are bilinear, and
# `<g, conv(x, k)> = <transpose(g, k), x> = <kernel_grad(x, g), k>`. The forward rules call the
# custom functions too, so that a gradient of a gradient (WGAN-GP's penalty) differentiates them
# by these rules as well: derivatives of any order are these fast forms, in the layouts
# `_conv_kernel_grad` describes.


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def conv(x_BxHxWxC, kernel_KxKxCxF, stride, padding):
  """PyTorch's `conv2d(x, w, stride=stride, padding=padding)` in NHWC, with fast gradients.

  Args:
    x_BxHxWxC: input, `[B, H, W, C]`.
    kernel_KxKxCxF: `[K, K, C, F]`, the layout of `nn.Conv` (`w[f, c, ki, kj]` in PyTorch).
    stride, padding: ints, the same along both axes.

  Returns:
    `[B, (H + 2 padding - K) // stride + 1, (W + ...) // stride + 1, F]`, in the input's dtype.
    Reverse-mode differentiable to any order (forward mode is not defined, as for any
    `jax.custom_vjp` function).
  """
  return _conv(x_BxHxWxC, kernel_KxKxCxF, stride, padding)


def _conv_forward(x_BxHxWxC, kernel_KxKxCxF, stride, padding):
  x_BxHxWxC = _materialized(x_BxHxWxC)
  return conv(x_BxHxWxC, kernel_KxKxCxF, stride, padding), (x_BxHxWxC, kernel_KxKxCxF)


def _conv_backward(stride, padding, residuals, g_BxhxwxF):
  x_BxHxWxC, kernel_KxKxCxF = residuals
  g_BxhxwxF = _materialized(g_BxhxwxF)
  return (
    _transpose(g_BxhxwxF, kernel_KxKxCxF, stride, padding, *x_BxHxWxC.shape[1:3]),
    _kernel_grad(x_BxHxWxC, g_BxhxwxF, kernel_KxKxCxF.shape[0], stride, padding),
  )


conv.defvjp(_conv_forward, _conv_backward)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _transpose(y_BxhxwxF, kernel_KxKxCxF, stride, padding, height, width):
  """`_conv_transpose` with the gradients of `conv`'s family."""
  return _conv_transpose(y_BxhxwxF, kernel_KxKxCxF, stride, padding, height, width)


def _transpose_forward(y_BxhxwxF, kernel_KxKxCxF, stride, padding, height, width):
  y_BxhxwxF = _materialized(y_BxhxwxF)
  return (
    _transpose(y_BxhxwxF, kernel_KxKxCxF, stride, padding, height, width),
    (y_BxhxwxF, kernel_KxKxCxF),
  )


def _transpose_backward(stride, padding, height, width, residuals, g_BxHxWxC):
  del height, width
  y_BxhxwxF, kernel_KxKxCxF = residuals
  g_BxHxWxC = _materialized(g_BxHxWxC)
  return (
    conv(g_BxHxWxC, kernel_KxKxCxF, stride, padding),
    _kernel_grad(g_BxHxWxC, y_BxhxwxF, kernel_KxKxCxF.shape[0], stride, padding),
  )


_transpose.defvjp(_transpose_forward, _transpose_backward)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _kernel_grad(x_BxHxWxC, dy_BxhxwxF, size, stride, padding):
  """`_conv_kernel_grad` with the gradients of `conv`'s family."""
  return _conv_kernel_grad(x_BxHxWxC, dy_BxhxwxF, size, stride, padding)


def _kernel_grad_forward(x_BxHxWxC, dy_BxhxwxF, size, stride, padding):
  return _kernel_grad(x_BxHxWxC, dy_BxhxwxF, size, stride, padding), (x_BxHxWxC, dy_BxhxwxF)


def _kernel_grad_backward(size, stride, padding, residuals, g_KxKxCxF):
  del size
  x_BxHxWxC, dy_BxhxwxF = residuals
  return (
    _transpose(dy_BxhxwxF, g_KxKxCxF, stride, padding, *x_BxHxWxC.shape[1:3]),
    conv(x_BxHxWxC, g_KxKxCxF, stride, padding),
  )


_kernel_grad.defvjp(_kernel_grad_forward, _kernel_grad_backward)


def conv_transpose(x_BxHxWxC, kernel_KxKxFxC, stride, padding):
  """PyTorch's `conv_transpose2d(x, w, stride=stride, padding=padding)` in NHWC, fast both ways.

  With PyTorch's weight `w[c, f, ki, kj]` (shape `[C, F, K, K]`) and `kernel[ki, kj, f, c]`,
  `out[b, s i - p + ki, s j - p + kj, f] += x[b, i, j, c] * kernel[ki, kj, f, c]` (no flip): the
  transpose of `conv(., kernel, stride, padding)` with the kernel `[K, K, F, C]` read as `[in,
  out]`.

  Args:
    x_BxHxWxC: input, `[B, H, W, C]`.
    kernel_KxKxFxC: `[K, K, F, C]`, the layout of `nn.ConvTranspose(transpose_kernel=True)`.
    stride, padding: ints, the same along both axes (PyTorch's meaning of `padding`).

  Returns:
    `[B, (H - 1) stride + K - 2 padding, (W - 1) stride + K - 2 padding, F]`, in the input's
    dtype. Reverse-mode differentiable to any order.
  """
  size = kernel_KxKxFxC.shape[0]
  out = lambda n: (n - 1) * stride + size - 2 * padding
  return _transpose(
    x_BxHxWxC, kernel_KxKxFxC, stride, padding, out(x_BxHxWxC.shape[1]), out(x_BxHxWxC.shape[2])
  )
