"""Flax's convolution and batch-norm layers in forms XLA:CPU runs fast, and its compiler flags.

Why: XLA:CPU runs the textbook forms' gradients inside the critic's rolled `lax.scan` as generic
loops; these compute the same functions with the same parameters, so `wgan_jax.kernels` can pick
them on CPU and flax's own layers elsewhere.
"""

from wgan_jax.xla_cpu.batch_norm import BatchNorm
from wgan_jax.xla_cpu.layers import Conv, ConvTranspose

__all__ = ["BatchNorm", "Conv", "ConvTranspose"]
