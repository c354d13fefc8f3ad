"""Generators and critics of the WGAN paper, as in its official code
(github.com/martinarjovsky/WassersteinGAN, models/dcgan.py and models/mlp.py).

Images are NHWC. Generators map `z_BxZ` to `[B, H, W, C]`; critics map `[B, H, W, C]` to `[B]`
(one score per example; the losses average). Batch norm always uses the statistics of the batch
it sees, as the official code keeps both networks in training mode: call `apply` with
`mutable=["batch_stats"]` when the model has batch norm.

The convolutional networks take their layer types as one attribute, `layers` (by default the
set `wgan_jax.kernels` chooses for the backend), as Flax's ImageNet example takes `conv` and
`norm`. The DCGAN networks take a compute `dtype`: bfloat16 runs their convolutions in bfloat16
(mixed precision) while parameters, batch-norm statistics and the returned images and scores
stay float32, so the optimizers and the clip act on float32 master weights.
"""

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from wgan_jax import kernels
from wgan_jax.data.images import check_image_size
from wgan_jax.kernels import LayerSet

conv_init = nn.initializers.normal(0.02)


def resolve_layers(layers: LayerSet | None) -> LayerSet:
  """`layers`, or for None the set `kernels.layers_for()` picks for JAX's default backend
  (XLA:CPU's forms on CPU, flax's elsewhere; the parameters are the same either way)."""
  return kernels.layers_for() if layers is None else layers


def _bn_scale_init(key, shape, dtype=jnp.float32):
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def _batch_norm(layers: LayerSet, dtype):
  """PyTorch's `BatchNorm2d` in training mode (its momentum 0.1 is flax's 0.9; the variance in
  two passes, not flax's default fast one), initialised as the official code's `weights_init`
  (scale N(1, 0.02), bias 0), as a constructor of `layers.batch_norm`."""
  return functools.partial(
    layers.batch_norm,
    use_running_average=False,
    momentum=0.9,
    epsilon=1e-5,
    use_fast_variance=False,
    scale_init=_bn_scale_init,
    dtype=dtype,
  )


def base_size(image_size: int) -> int:
  """Side of the smallest feature map: `image_size` halved while the half is at least 4.

  4 for the official code's sizes (16, 32, 64, 128, ...), whose critic ends in a 4x4 conv and
  whose generator starts with one; other multiples of 16 end at 5, 6 or 7 (48 -> 6), where the
  first and last layers use that kernel size instead: the same design, any multiple of 16.
  """
  check_image_size(image_size)
  size = image_size
  while size % 2 == 0 and size // 2 >= 4:
    size //= 2
  return size


def dcgan_generator_base_width(image_size: int, width: int) -> int:
  """Channels of the generator's first map: `width * image_size / 8` at the official sizes
  (512 at 64x64, width 64), i.e. `width` doubled once per stride-2 layer after the first."""
  doublings = (image_size // base_size(image_size)).bit_length() - 1
  return width * 2 ** (doublings - 1)


def _torch_dense(features: int, fan_in: int, name: str):
  """A Dense layer initialised as PyTorch's nn.Linear: weights and bias U(±1/sqrt(fan_in))."""
  bound = 1.0 / math.sqrt(fan_in)
  bias_init = lambda key, shape, dtype=jnp.float32: jax.random.uniform(
    key, shape, dtype, -bound, bound
  )
  return nn.Dense(
    features,
    kernel_init=nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform"),
    bias_init=bias_init,
    name=name,
  )


def _critic_norm(kind: str, layers: LayerSet, dtype):
  """A constructor of the critic's normalisation layer: "batch", "layer" or "none"."""
  if kind == "batch":
    return _batch_norm(layers, dtype)
  if kind == "layer":
    return functools.partial(nn.LayerNorm, epsilon=1e-5, reduction_axes=(-3, -2, -1), dtype=dtype)
  if kind == "none":
    return lambda: lambda h: h
  raise ValueError(f"unknown critic norm {kind!r}; use 'batch', 'layer' or 'none'.")


class DCGANCritic(nn.Module):
  """DCGAN_D of the official code without the sigmoid: `[B, H, W, C] -> [B]`.

  Attributes:
    image_size: side of the square input, a multiple of 16.
    channels: input channels (3 for RGB).
    width: ndf, channels of the first conv; doubled at every stride-2 conv.
    norm: the normalisation after every conv but the first and the last: "batch" (DCGAN_D),
      "layer" (per example over H, W, C, a scale and bias per channel, as WGAN-GP's critic) or
      "none" (DCGAN_D_nobn).
    n_extra_layers: extra 3x3 conv layers at the first resolution.
    dtype: compute dtype of the layers (float32, or bfloat16 for mixed precision); the scores
      are float32 either way.
    layers: the conv, transposed-conv and batch-norm types; None (default): the backend's
      (`kernels.layers_for()`: XLA:CPU's forms on CPU, flax's on GPU and TPU).
  """

  image_size: int = 64
  channels: int = 3
  width: int = 64
  norm: str = "batch"
  n_extra_layers: int = 0
  dtype: jnp.dtype = jnp.float32
  layers: LayerSet | None = None

  @nn.compact
  def __call__(self, x_BxHxWxC):
    check_image_size(self.image_size)
    if x_BxHxWxC.shape[1:] != (self.image_size, self.image_size, self.channels):
      raise ValueError(
        f"critic expects images [B, {self.image_size}, {self.image_size}, "
        f"{self.channels}], got {x_BxHxWxC.shape}"
      )
    layers = resolve_layers(self.layers)
    conv = functools.partial(layers.conv, use_bias=False, kernel_init=conv_init, dtype=self.dtype)
    down = lambda features: conv(features, (4, 4), (2, 2), padding=((1, 1), (1, 1)))
    norm = _critic_norm(self.norm, layers, self.dtype)
    act = lambda h: nn.leaky_relu(h, 0.2)
    h = act(down(self.width)(x_BxHxWxC))
    size, features, last = self.image_size // 2, self.width, base_size(self.image_size)
    for _ in range(self.n_extra_layers):
      h = act(norm()(conv(features, (3, 3), padding=((1, 1), (1, 1)))(h)))
    while size > last:
      features, size = features * 2, size // 2
      h = act(norm()(down(features)(h)))
    # The official Conv2d(features, 1, last, 1, 0): one score per example.
    return conv(1, (last, last), padding="VALID")(h).reshape(-1).astype(jnp.float32)


class DCGANGenerator(nn.Module):
  """DCGAN_G of the official code (DCGAN_G_nobn without batch norm): `z_BxZ -> [B, H, W, C]`.

  Attributes:
    image_size: side of the square output, a multiple of 16.
    channels: output channels.
    width: ngf; the first map has `dcgan_generator_base_width` channels (512 at 64x64), halved
      at every upsampling.
    batch_norm: batch norm after every layer but the last.
    n_extra_layers: extra 3x3 conv layers at the last hidden resolution.
    nz: length of the noise vector.
    constant_filters: the paper's Figure 6 generator: `width` channels at every layer.
    dtype: compute dtype of the layers (float32, or bfloat16 for mixed precision); the images
      are float32 either way.
    layers: the conv, transposed-conv and batch-norm types; None (default): the backend's
      (`kernels.layers_for()`: XLA:CPU's forms on CPU, flax's on GPU and TPU).
  """

  image_size: int = 64
  channels: int = 3
  width: int = 64
  batch_norm: bool = True
  n_extra_layers: int = 0
  nz: int = 100
  constant_filters: bool = False
  dtype: jnp.dtype = jnp.float32
  layers: LayerSet | None = None

  @nn.compact
  def __call__(self, z_BxZ):
    check_image_size(self.image_size)
    if z_BxZ.ndim != 2 or z_BxZ.shape[1] != self.nz:
      raise ValueError(f"generator expects noise [B, {self.nz}], got {z_BxZ.shape}")
    layers = resolve_layers(self.layers)
    norm = _batch_norm(layers, self.dtype) if self.batch_norm else lambda: lambda h: h
    # flax pads the stride-dilated input: PyTorch's ConvTranspose2d padding p is K - 1 - p here.
    conv_t = functools.partial(
      layers.conv_transpose,
      use_bias=False,
      kernel_init=conv_init,
      transpose_kernel=True,
      dtype=self.dtype,
    )
    up = lambda features: conv_t(features, (4, 4), (2, 2), padding=((2, 2), (2, 2)))
    features = (
      self.width
      if self.constant_filters
      else dcgan_generator_base_width(self.image_size, self.width)
    )
    size = base_size(self.image_size)
    # The official ConvTranspose2d(nz, features, size, 1, 0) on the noise as a 1x1 map.
    h = conv_t(features, (size, size), padding=((size - 1, size - 1),) * 2)(z_BxZ[:, None, None])
    h = nn.relu(norm()(h))
    while size < self.image_size // 2:
      features = features if self.constant_filters else features // 2
      h = nn.relu(norm()(up(features)(h)))
      size *= 2
    for _ in range(self.n_extra_layers):
      h = layers.conv(
        features,
        (3, 3),
        padding=((1, 1), (1, 1)),
        use_bias=False,
        kernel_init=conv_init,
        dtype=self.dtype,
      )(h)
      h = nn.relu(norm()(h))
    return jnp.tanh(up(self.channels)(h).astype(jnp.float32))


class MLPCritic(nn.Module):
  """MLP_D of the official code: flatten, 3 hidden ReLU layers of `width`, one score:
  `[B, ...] -> [B]`.

  Works on images `[B, H, W, C]` and on points `[B, D]` alike. Dense layers keep PyTorch's
  default initialisation, as the official code does.
  """

  width: int = 512
  num_hidden: int = 3

  @nn.compact
  def __call__(self, x_Bx___):
    h = x_Bx___.reshape(x_Bx___.shape[0], -1)
    for i in range(self.num_hidden):
      h = nn.relu(_torch_dense(self.width, h.shape[-1], f"Dense_{i}")(h))
    return _torch_dense(1, h.shape[-1], f"Dense_{self.num_hidden}")(h).reshape(-1)


class MLPGenerator(nn.Module):
  """MLP_G of the official code: 3 hidden ReLU layers of `width`, linear output (no tanh).

  Maps `z_BxZ` to `[B, image_size, image_size, channels]`, or to `[B, *output_shape]` when
  `output_shape` is given (e.g. `(2,)` for points in the plane).
  """

  image_size: int = 64
  channels: int = 3
  width: int = 512
  nz: int = 100
  num_hidden: int = 3
  output_shape: tuple[int, ...] | None = None

  @nn.compact
  def __call__(self, z_BxZ):
    if z_BxZ.ndim != 2 or z_BxZ.shape[1] != self.nz:
      raise ValueError(f"generator expects noise [B, {self.nz}], got {z_BxZ.shape}")
    shape = self.output_shape or (self.image_size, self.image_size, self.channels)
    h = z_BxZ
    for i in range(self.num_hidden):
      h = nn.relu(_torch_dense(self.width, h.shape[-1], f"Dense_{i}")(h))
    h = _torch_dense(math.prod(shape), h.shape[-1], f"Dense_{self.num_hidden}")(h)
    return h.reshape(z_BxZ.shape[0], *shape)


def count_params(params) -> int:
  """Number of scalars in a parameter pytree (batch-norm running statistics are not params)."""
  return sum(x.size for x in jax.tree.leaves(params))
