"""Flax layers whose fast form on XLA computes the same function as the textbook one.

Exact, parameter-for-parameter equals of the flax layers they replace, so checkpoints and
parameter counts are interchangeable: `Conv` of `nn.Conv` (square kernels; the critic's 4x4
stride-2 layers, the extra 3x3 layers, BEGAN's nets) and `ConvTranspose4x4Stride2` of
`nn.ConvTranspose`, both through `convolutions.py`, whose gradients stay fast inside a
`lax.scan` on XLA:CPU; `ProjectToSquare` and `ConvWholeSquare`, the generator's first and the
critic's last layer, are the matrix products they are (the first: forward + backward 4 ms as a
product, 24 ms as a convolution, on 2 cores at batch 64).
"""
import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.xla_cpu.convolutions import conv, conv_transpose_4x4_stride2


class Conv(nn.Module):
  """PyTorch's `Conv2d(in, features, kernel_size, stride, padding)`, square, through `conv`.

  Maps `[B, H, W, C]` to `[B, (H + 2 padding - K) // strides + 1, ..., features]` in the input's
  dtype. Parameters `kernel` (`[K, K, C, features]`) and `bias` (`[features]`, if `use_bias`)
  with the names, shapes and default initialisers of `nn.Conv(features, (K, K), strides,
  ((padding, padding),) * 2)`, and auto-named `Conv_i` as it is: a drop-in for it whose gradients
  run at library speed inside a `lax.scan` on XLA:CPU.
  """
  features: int
  kernel_size: int = 3
  strides: int = 1
  padding: int = 1
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros

  @nn.compact
  def __call__(self, x_BxHxWxC):
    k = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (k, k, x_BxHxWxC.shape[-1], self.features))
    y = conv(x_BxHxWxC, kernel.astype(x_BxHxWxC.dtype), self.strides, self.padding)
    if self.use_bias:
      bias = self.param("bias", self.bias_init, (self.features,))
      y = y + bias.astype(y.dtype)[None, None, None]
    return y


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


class ConvWholeSquare(nn.Module):
  """PyTorch's `Conv2d(in, features, size, stride=1, padding=0, bias=False)` on a size x size input.

  The DCGAN critic's last layer (size 4 at the official image sizes), computed as the matrix
  product it is: `out[b, f] = sum_{i, j, c} x[b, i, j, c] * kernel[i, j, c, f]`. Maps `[B, size,
  size, C]` to `[B, features]`. Parameter: `kernel`, shape `[size, size, C, features]`, as
  `nn.Conv(features, (size, size), padding="VALID", use_bias=False)` holds it. As a convolution,
  XLA:CPU left its gradients inside a `lax.scan` loop body in layouts its library convolution
  does not take, and ran them far slower.
  """
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, x_BxSxSxC):
    _, height, width, c = x_BxSxSxC.shape
    if height != width:
      raise ValueError(f"ConvWholeSquare expects a square [B, S, S, C] input, got "
                       f"{x_BxSxSxC.shape}.")
    kernel = self.param("kernel", self.kernel_init, (height, width, c, self.features))
    return jnp.einsum("bijc,ijcf->bf", x_BxSxSxC, kernel.astype(x_BxSxSxC.dtype))
