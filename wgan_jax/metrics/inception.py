"""The FID InceptionV3 (TF 2015-12-05 weights, as pytorch-fid's `FIDInceptionA/C/E` blocks) in Flax.

Module and parameter names follow torchvision / pytorch-fid (`Conv2d_1a_3x3`, `Mixed_5b`,
`branch1x1`, ...) so that `convert_inception` maps the `.pth` state dict one to one. The network
runs in inference mode (batch norm uses its stored statistics); its output is the 2048-d pool3
feature vector that FID and KID are computed on.
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

FEATURE_DIM = 2048
INPUT_SIZE = 299


class BasicConv(nn.Module):
  """Convolution without bias, batch norm (eps 1e-3, stored statistics), ReLU."""

  features: int
  kernel: tuple[int, int] = (1, 1)
  strides: int = 1
  padding: tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    x = nn.Conv(
      self.features,
      self.kernel,
      self.strides,
      use_bias=False,
      name="conv",
      padding=tuple((p, p) for p in self.padding),
    )(x)
    return nn.relu(nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x))


_avg_pool = functools.partial(
  nn.avg_pool,
  window_shape=(3, 3),
  strides=(1, 1),
  padding=((1, 1), (1, 1)),
  count_include_pad=False,
)


def _max_pool_stride2(x):
  return nn.max_pool(x, (3, 3), strides=(2, 2))


class InceptionA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(
      BasicConv(48, name="branch5x5_1")(x)
    )
    b3 = BasicConv(64, name="branch3x3dbl_1")(x)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    pool = BasicConv(self.pool_features, name="branch_pool")(_avg_pool(x))
    return jnp.concatenate([BasicConv(64, name="branch1x1")(x), b5, b3, pool], axis=-1)


class InceptionB(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(384, (3, 3), strides=2, name="branch3x3")(x)
    bd = BasicConv(64, name="branch3x3dbl_1")(x)
    bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = BasicConv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool_stride2(x)], axis=-1)


class InceptionC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c = self.channels_7x7
    b7 = BasicConv(c, name="branch7x7_1")(x)
    b7 = BasicConv(c, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = BasicConv(c, name="branch7x7dbl_1")(x)
    bd = BasicConv(c, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = BasicConv(c, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = BasicConv(c, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    pool = BasicConv(192, name="branch_pool")(_avg_pool(x))
    return jnp.concatenate([BasicConv(192, name="branch1x1")(x), b7, bd, pool], axis=-1)


class InceptionD(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(320, (3, 3), strides=2, name="branch3x3_2")(
      BasicConv(192, name="branch3x3_1")(x)
    )
    b7 = BasicConv(192, name="branch7x7x3_1")(x)
    b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = BasicConv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool_stride2(x)], axis=-1)


class InceptionE(nn.Module):
  """`FIDInceptionE_1` (average pool, padding not counted) or `_2` (`max_pool=True`)."""

  max_pool: bool = False

  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(384, name="branch3x3_1")(x)
    b3 = jnp.concatenate(
      [
        BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
        BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3),
      ],
      -1,
    )
    bd = BasicConv(448, name="branch3x3dbl_1")(x)
    bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate(
      [
        BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
        BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd),
      ],
      -1,
    )
    pooled = nn.max_pool(x, (3, 3), padding=((1, 1), (1, 1))) if self.max_pool else _avg_pool(x)
    pool = BasicConv(192, name="branch_pool")(pooled)
    return jnp.concatenate([BasicConv(320, name="branch1x1")(x), b3, bd, pool], axis=-1)


class FIDInceptionV3(nn.Module):
  """Maps images [N, 299, 299, 3] in [-1, 1] to pool3 features [N, 2048]."""

  @nn.compact
  def __call__(self, x_NxHxWx3):
    x = BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3")(x_NxHxWx3)
    x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)
    x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
    x = BasicConv(80, name="Conv2d_3b_1x1")(_max_pool_stride2(x))
    x = _max_pool_stride2(BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x))
    for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
      x = InceptionA(pool_features, name=name)(x)
    x = InceptionB(name="Mixed_6a")(x)
    for name, channels in (
      ("Mixed_6b", 128),
      ("Mixed_6c", 160),
      ("Mixed_6d", 160),
      ("Mixed_6e", 192),
    ):
      x = InceptionC(channels, name=name)(x)
    x = InceptionD(name="Mixed_7a")(x)
    x = InceptionE(name="Mixed_7b")(x)
    x = InceptionE(max_pool=True, name="Mixed_7c")(x)
    return x.mean(axis=(1, 2))


def preprocess(images_NxHxWxC, size=INPUT_SIZE):
  """Images in [-1, 1] with 1 or 3 channels to [N, size, size, 3], as pytorch-fid feeds them.

  Grey images are repeated over 3 channels; resizing is bilinear without antialiasing
  (`F.interpolate(..., mode="bilinear", align_corners=False)`), from any input size.
  """
  x = jnp.asarray(images_NxHxWxC, jnp.float32)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  return jax.image.resize(x, (x.shape[0], size, size, 3), "bilinear", antialias=False)


def variable_shapes():
  """The variables' structure, as a pytree of `jax.ShapeDtypeStruct`."""
  return jax.eval_shape(
    FIDInceptionV3().init,
    jax.random.key(0),
    jax.ShapeDtypeStruct((1, INPUT_SIZE, INPUT_SIZE, 3), jnp.float32),
  )


def init_variables(seed=0):
  """Random variables with the real structure and shapes, for tests (no pretrained weights).

  Kernels are He-normal, batch norm is the identity (scale 1, bias 0, mean 0, variance 1).
  Filled with numpy from `jax.eval_shape`, because `init` op by op takes about a minute on CPU.
  """
  rng = np.random.default_rng(seed)

  def fill(path, leaf):
    name = path[-1].key
    if name == "kernel":
      return rng.normal(0, np.sqrt(2 / np.prod(leaf.shape[:-1])), leaf.shape).astype(np.float32)
    return np.full(leaf.shape, 1.0 if name in ("scale", "var") else 0.0, np.float32)

  return jax.tree_util.tree_map_with_path(fill, variable_shapes())
