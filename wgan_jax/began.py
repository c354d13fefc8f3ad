"""BEGAN's networks (Berthelot, Schumm, Metz 2017, Sec. 3.4 and Fig. 1), Flax Linen, NHWC.

The discriminator is an autoencoder. To fit the critic interface of `steps` (`[B, ...] -> [B]`),
calling it returns each example's L1 reconstruction error `mean |v - D(v)|` (eta = 1), the
quantity BEGAN's losses are made of; `reconstruct` returns the reconstructions themselves.
Convolutional nets: 3x3 convs with ELU, two per scale, stride-2 convs down, nearest-neighbour up,
no batch norm, an 8x8 smallest map and a dense embedding. `MLPAutoencoderCritic` is a small
dense autoencoder for 2-D points (the tests' mixtures), used with `models.MLPGenerator`. The
convolutional nets take their conv type in `layers`, as `models`' DCGAN nets do.

The last section, apart from the networks, is BEGAN's equilibrium: k_t and the learning-rate
scale, which `objectives.BEGAN` hands to the train step as its own state and end-of-iteration
hook.
"""

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

from wgan_jax import kernels, models


def num_scales(image_size: int) -> int:
  """Resolutions from `image_size` down to 8 (4 at 64x64); `image_size` must be 8 * 2^k.

  Raises:
    ValueError: `image_size` is not 8 * 2^k.
  """
  if image_size < 8 or image_size & (image_size - 1):
    raise ValueError(
      f"BEGAN nets need image_size = 8 * 2^k (8, 16, 32, 64, 128, ...), got {image_size}."
    )
  return (image_size // 8).bit_length()


def l1_per_example(x_Bx___: jax.Array, recon_Bx___: jax.Array) -> jax.Array:
  """`mean |x - recon|` over all but the batch axis: `[B]`."""
  return jnp.mean(jnp.abs(x_Bx___ - recon_Bx___).reshape(x_Bx___.shape[0], -1), axis=1)


def _conv3x3(layers: kernels.LayerSet | None):
  """A constructor of PyTorch's `Conv2d(in, features, 3, strides, padding=1)` (with bias), of
  `layers` (None: the backend's)."""
  conv = models.resolve_layers(layers).conv
  return functools.partial(conv, kernel_size=(3, 3), padding=((1, 1), (1, 1)))


class Encoder(nn.Module):
  """`[B, S, S, C] -> [B, embedding]`: filters n, 2n, 3n, ... at successive scales."""

  image_size: int = 64
  filters: int = 64
  embedding: int = 64
  layers: kernels.LayerSet | None = None

  @nn.compact
  def __call__(self, x_BxSxSxC):
    scales = num_scales(self.image_size)
    conv = _conv3x3(self.layers)
    h = nn.elu(conv(self.filters)(x_BxSxSxC))
    for i in range(scales):
      h = nn.elu(conv(self.filters * (i + 1))(h))
      h = nn.elu(conv(self.filters * (i + 1))(h))
      if i < scales - 1:
        h = nn.elu(conv(self.filters * (i + 2), strides=(2, 2))(h))
    return nn.Dense(self.embedding)(h.reshape(h.shape[0], -1))


class Decoder(nn.Module):
  """`[B, Z] -> [B, S, S, C]`: dense to 8x8xn, two convs per scale, nearest-neighbour upsampling,
  a linear 3x3 conv to the output channels (no tanh, as the BEGAN code)."""

  image_size: int = 64
  channels: int = 3
  filters: int = 64
  layers: kernels.LayerSet | None = None

  @nn.compact
  def __call__(self, h_BxZ):
    scales = num_scales(self.image_size)
    conv = _conv3x3(self.layers)
    h = nn.Dense(8 * 8 * self.filters)(h_BxZ).reshape(h_BxZ.shape[0], 8, 8, self.filters)
    for i in range(scales):
      h = nn.elu(conv(self.filters)(h))
      h = nn.elu(conv(self.filters)(h))
      if i < scales - 1:
        h = jnp.repeat(jnp.repeat(h, 2, axis=1), 2, axis=2)
    return conv(self.channels)(h)


class BEGANGenerator(nn.Module):
  """BEGAN's generator, the decoder's architecture with its own weights: `z_BxZ -> [B, S, S, C]`.

  Attributes:
    image_size: output side, 8 * 2^k.
    channels: output channels.
    filters: n, channels of every conv.
    nz: noise length (64 in the paper; z ~ U[-1, 1]).
    layers: the conv type; None (default): the backend's (`kernels.layers_for()`).
  """

  image_size: int = 64
  channels: int = 3
  filters: int = 64
  nz: int = 64
  layers: kernels.LayerSet | None = None

  @nn.compact
  def __call__(self, z_BxZ):
    if z_BxZ.ndim != 2 or z_BxZ.shape[1] != self.nz:
      raise ValueError(f"generator expects noise [B, {self.nz}], got {z_BxZ.shape}")
    return Decoder(self.image_size, self.channels, self.filters, layers=self.layers)(z_BxZ)


class BEGANDiscriminator(nn.Module):
  """BEGAN's autoencoder discriminator: `[B, S, S, C] -> [B]` reconstruction errors.

  Attributes:
    image_size: input side, 8 * 2^k.
    channels: input channels.
    filters: n; the encoder uses n, 2n, 3n, ... per scale, the decoder n.
    embedding: h, the bottleneck (64 in the paper).
    layers: the conv type; None (default): the backend's (`kernels.layers_for()`).
  """

  image_size: int = 64
  channels: int = 3
  filters: int = 64
  embedding: int = 64
  layers: kernels.LayerSet | None = None

  def setup(self):
    self.encoder = Encoder(self.image_size, self.filters, self.embedding, layers=self.layers)
    self.decoder = Decoder(self.image_size, self.channels, self.filters, layers=self.layers)

  def reconstruct(self, x_BxSxSxC):
    """D(x): the autoencoder's output, `[B, S, S, C]`."""
    if x_BxSxSxC.shape[1:] != (self.image_size, self.image_size, self.channels):
      raise ValueError(
        f"discriminator expects images [B, {self.image_size}, {self.image_size}, "
        f"{self.channels}], got {x_BxSxSxC.shape}"
      )
    return self.decoder(self.encoder(x_BxSxSxC))

  def __call__(self, x_BxSxSxC):
    return l1_per_example(x_BxSxSxC, self.reconstruct(x_BxSxSxC))


class MLPAutoencoderCritic(nn.Module):
  """A dense autoencoder for points, `[B, D] -> [B]` L1 reconstruction errors (ELU hidden layers).

  Attributes:
    features: D, the points' dimension.
    width: hidden width of the encoder and of the decoder.
    num_hidden: hidden layers in each.
    embedding: the bottleneck's size, below D so that the autoencoder cannot learn the identity
      (as BEGAN's 64 is far below an image's size).
  """

  features: int = 2
  width: int = 128
  num_hidden: int = 2
  embedding: int = 1

  def setup(self):
    self.encoder = [nn.Dense(self.width) for _ in range(self.num_hidden)] + [
      nn.Dense(self.embedding)
    ]
    self.decoder = [nn.Dense(self.width) for _ in range(self.num_hidden)] + [
      nn.Dense(self.features)
    ]

  def reconstruct(self, x_BxD):
    """D(x): `[B, D]`."""
    h = x_BxD
    for layers in (self.encoder, self.decoder):
      for layer in layers[:-1]:
        h = nn.elu(layer(h))
      h = layers[-1](h)
    return h

  def __call__(self, x_BxD):
    return l1_per_example(x_BxD, self.reconstruct(x_BxD))


# --- Equilibrium: k_t and the learning-rate scale (not networks) ------------------------------


class Balance(struct.PyTreeNode):
  """BEGAN's equilibrium state: k_t and the plateau tracker whose `scale` multiplies both
  players' learning rates (optax's `ReduceLROnPlateauState`)."""

  k_t: jax.Array
  plateau: Any


def k_update(
  k_t: jax.Array, recon_real: jax.Array, recon_fake: jax.Array, *, gamma: float, lambda_k: float
) -> jax.Array:
  """`clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1)`, from batch-mean losses (Berthelot
  et al. 2017, Sec. 3.4)."""
  return jnp.clip(k_t + lambda_k * (gamma * recon_real - recon_fake), 0.0, 1.0)


def convergence(recon_real: jax.Array, recon_fake: jax.Array, *, gamma: float) -> jax.Array:
  """BEGAN's convergence measure `M_global = L(x) + |gamma L(x) - L(G(z_G))|` (Sec. 3.4.1)."""
  return recon_real + jnp.abs(gamma * recon_real - recon_fake)


def lr_plateau(
  *, factor: float, window: int, patience: int, rtol: float, min_scale: float
) -> optax.GradientTransformationExtraArgs:
  """optax's plateau tracker for BEGAN's learning rate, fed M_global; only its state's `scale` is
  used: multiplied by `factor` when the mean of M_global over `window` generator steps has not
  fallen by a relative `rtol` below its best for `patience` windows, never below `min_scale`."""
  return optax.contrib.reduce_on_plateau(
    factor=factor, patience=patience, rtol=rtol, accumulation_size=window, min_scale=min_scale
  )


def init_balance(plateau: optax.GradientTransformationExtraArgs) -> Balance:
  """k_0 = 0 and a fresh `plateau` tracker (scale 1), in float32."""
  return Balance(k_t=jnp.zeros((), jnp.float32), plateau=plateau.init(jnp.zeros((), jnp.float32)))


def update_balance(
  balance: Balance,
  recon_real: jax.Array,
  recon_fake: jax.Array,
  *,
  gamma: float,
  lambda_k: float,
  plateau: optax.GradientTransformationExtraArgs,
) -> tuple[Balance, dict]:
  """BEGAN's end-of-iteration update: k_t, and the plateau tracker fed M_global.

  Args:
    balance: the current k_t and plateau state.
    recon_real: L(x), the batch-mean reconstruction error of the last critic step's real batch.
    recon_fake: L(G(z_G)), that of the generator step's samples (the generator's loss).
    gamma: the diversity ratio.
    lambda_k: the learning rate of k_t.
    plateau: the tracker `balance.plateau` belongs to (`lr_plateau`).

  Returns:
    (new balance, metrics: `k_t` (the new value), `m_global`, `lr_scale`, `recon_real`,
    `recon_fake`).
  """
  k_t = k_update(balance.k_t, recon_real, recon_fake, gamma=gamma, lambda_k=lambda_k)
  m_global = convergence(recon_real, recon_fake, gamma=gamma)
  _, state = plateau.update(None, balance.plateau, value=m_global)
  metrics = {
    "k_t": k_t,
    "m_global": m_global,
    "lr_scale": state.scale,
    "recon_real": recon_real,
    "recon_fake": recon_fake,
  }
  return Balance(k_t=k_t, plateau=state), metrics
