"""Layers whose fast form on XLA computes the same function as the textbook one."""
import flax.linen as nn
import jax


class ConvTranspose4x4Stride2(nn.Module):
  """PyTorch's `ConvTranspose2d(in, features, 4, stride=2, padding=1, bias=False)`.

  Maps `[B, H, W, C]` to `[B, 2H, 2W, features]`. Parameter: `kernel`, shape `[4, 4, features, C]`,
  the same layout and values as `nn.ConvTranspose(..., transpose_kernel=True)` would hold.
  """
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, x_BxHxWxC):
    kernel = self.param("kernel", self.kernel_init, (4, 4, self.features, x_BxHxWxC.shape[-1]))
    return jax.lax.conv_transpose(
        x_BxHxWxC, kernel.astype(x_BxHxWxC.dtype), strides=(2, 2), padding=((2, 2), (2, 2)),
        dimension_numbers=("NHWC", "HWIO", "NHWC"), transpose_kernel=True)
