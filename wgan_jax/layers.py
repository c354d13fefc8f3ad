"""Layers whose fast form on XLA computes the same function as the textbook one."""
import flax.linen as nn


class ConvTranspose4x4Stride2(nn.Module):
  """PyTorch's `ConvTranspose2d(in, features, 4, stride=2, padding=1, bias=False)`.

  Maps `[B, H, W, C]` to `[B, 2H, 2W, features]`. Parameter: `kernel`, shape `[4, 4, C, features]`.
  """
  features: int
  kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

  @nn.compact
  def __call__(self, x_BxHxWxC):
    return nn.ConvTranspose(
        self.features, (4, 4), strides=(2, 2), padding=((2, 2), (2, 2)),
        transpose_kernel=True, use_bias=False, kernel_init=self.kernel_init,
        name="ConvTranspose_0")(x_BxHxWxC)
