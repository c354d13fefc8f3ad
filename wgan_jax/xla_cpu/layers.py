"""`nn.Conv` and `nn.ConvTranspose` computed through `convolutions`, or as matrix products.

Why: XLA:CPU ran flax's convolutions' gradients inside a rolled `lax.scan` as generic loops, and
a convolution whose kernel covers its whole input (the DCGAN generator's first layer, the
critic's last) runs faster as the matrix product it is. Subclasses keep flax's fields, parameter
names, shapes, dtypes, initialisers and auto-names (`Conv_0`, `ConvTranspose_0`), so a network
holds the same variables with either; a configuration without a fast form here runs flax's own
code. Measurements: benchmarks/README.md.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.linear import canonicalize_padding

from wgan_jax.xla_cpu import convolutions


def _same_pair(value, default=1) -> int | None:
  """`n` for `n`, `(n, n)` (or `default` for None); None for anything else."""
  value = default if value is None else value
  if isinstance(value, int):
    return value
  value = tuple(value)
  return value[0] if len(value) == 2 and value[0] == value[1] else None


def _square_kernel(module, inputs) -> tuple[int, int] | None:
  """`(K, stride)` of a 2-D square-kernel layer on `[B, H, W, C]` with plain settings."""
  if (
    inputs.ndim != 4
    or isinstance(module.kernel_size, int)
    or module.mask is not None
    or module.precision is not None
    or _same_pair(module.kernel_dilation) != 1
  ):
    return None
  size, stride = _same_pair(module.kernel_size), _same_pair(module.strides)
  return None if size is None or stride is None else (size, stride)


class Conv(nn.Conv):
  """`nn.Conv`, fast on XLA:CPU for square kernels with equal strides and symmetric padding.

  A kernel covering the whole unpadded input (`[B, K, K, C] -> [B, 1, 1, F]`) is the product
  `out[b, f] = sum_{i, j, c} x[b, i, j, c] * kernel[i, j, c, f]`; any other such layer is
  `convolutions.conv` (PyTorch's `Conv2d` padding `p` is flax's `((p, p), (p, p))`).
  """

  @nn.compact
  def __call__(self, inputs):
    square = _square_kernel(self, inputs)
    plain = (
      _same_pair(self.input_dilation) == 1
      and self.feature_group_count == 1
      and self.conv_general_dilated is None
      and self.conv_general_dilated_cls is None
    )
    if square is None or not plain or self.padding in ("CIRCULAR", "REFLECT", "CAUSAL"):
      return super().__call__(inputs)
    size, stride = square
    pads = (
      jax.lax.padtype_to_pads(inputs.shape[1:3], (size, size), (stride, stride), self.padding)
      if isinstance(self.padding, str)
      else canonicalize_padding(self.padding, 2)
    )
    pads = [tuple(p) for p in pads]
    if pads[0][0] != pads[0][1] or pads[0] != pads[1]:
      return super().__call__(inputs)
    padding = pads[0][0]
    kernel = self.param(
      "kernel", self.kernel_init, (size, size, inputs.shape[-1], self.features), self.param_dtype
    )
    bias = (
      self.param("bias", self.bias_init, (self.features,), self.param_dtype)
      if self.use_bias
      else None
    )
    x, kernel, bias = self.promote_dtype(inputs, kernel, bias, dtype=self.dtype)
    if padding == 0 and inputs.shape[1:3] == (size, size):
      y = jnp.einsum("bijc,ijcf->bf", x, kernel)[:, None, None]
    else:
      y = convolutions.conv(x, kernel, stride, padding)
    return y if bias is None else y + bias.reshape(1, 1, 1, -1)


class ConvTranspose(nn.ConvTranspose):
  """`nn.ConvTranspose(transpose_kernel=True)`, fast on XLA:CPU for square kernels, equal
  strides and symmetric explicit padding.

  flax pads the stride-dilated input: its padding `((q, q), (q, q))` is PyTorch's
  `ConvTranspose2d` padding `p = K - 1 - q`. On a `[B, 1, 1, C]` input with `p = 0` (the DCGAN
  generator's first layer) the layer is the product `out[b, i, j, f] = sum_c x[b, c] *
  kernel[i, j, f, c]`; any other such layer is `convolutions.conv_transpose`.
  """

  @nn.compact
  def __call__(self, inputs):
    square = _square_kernel(self, inputs)
    if (
      square is None
      or not self.transpose_kernel
      or isinstance(self.padding, str)
      or self.preferred_element_type is not None
    ):
      return super().__call__(inputs)
    size, stride = square
    pads = [tuple(p) for p in canonicalize_padding(self.padding, 2)]
    padding = size - 1 - pads[0][0]
    if pads[0][0] != pads[0][1] or pads[0] != pads[1] or not 0 <= padding <= size - 1:
      return super().__call__(inputs)
    kernel = self.param(
      "kernel", self.kernel_init, (size, size, self.features, inputs.shape[-1]), self.param_dtype
    )
    bias = (
      self.param("bias", self.bias_init, (self.features,), self.param_dtype)
      if self.use_bias
      else None
    )
    x, kernel, bias = self.promote_dtype(inputs, kernel, bias, dtype=self.dtype)
    if padding == 0 and inputs.shape[1:3] == (1, 1):
      y = jnp.einsum("bxyc,ijfc->bijf", x, kernel)
    else:
      y = convolutions.conv_transpose(x, kernel, stride, padding)
    return y if bias is None else y + bias.reshape(1, 1, 1, -1)
