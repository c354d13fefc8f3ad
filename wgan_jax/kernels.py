"""The one place that chooses the networks' layer implementations per backend.

XLA:CPU runs flax's convolutions' gradients inside the critic's rolled `lax.scan` as generic
loops, so on CPU the networks use `wgan_jax.xla_cpu`'s forms of flax's layers (the same
parameters and functions); GPU and TPU compilers are built around their own convolutions
(cuDNN, the TPU's), which flax's layers reach directly. Both sets hold identical parameter trees,
so a checkpoint written with one restores and samples with the other.
"""

import dataclasses
from typing import Any

import flax.linen as nn
import jax

from wgan_jax import xla_cpu

ModuleDef = Any
KERNELS = ("auto", "xla_cpu", "flax")


@dataclasses.dataclass(frozen=True)
class LayerSet:
  """The layer types a network is built from, each taking the arguments of the flax layer it
  defaults to."""

  conv: ModuleDef = nn.Conv
  conv_transpose: ModuleDef = nn.ConvTranspose
  batch_norm: ModuleDef = nn.BatchNorm


FLAX_LAYERS = LayerSet()
XLA_CPU_LAYERS = LayerSet(
  conv=xla_cpu.Conv, conv_transpose=xla_cpu.ConvTranspose, batch_norm=xla_cpu.BatchNorm
)


def layers_for(kernels: str = "auto", backend: str | None = None) -> LayerSet:
  """The layer types for `kernels` on `backend` (default: JAX's default backend).

  Args:
    kernels: "auto" (XLA:CPU's forms on CPU, flax's layers elsewhere), "xla_cpu" or "flax".
    backend: "cpu", "gpu", "tpu", ...; only "auto" reads it.

  Returns:
    `XLA_CPU_LAYERS` or `FLAX_LAYERS`.

  Raises:
    ValueError: `kernels` is none of `KERNELS`.
  """
  if kernels not in KERNELS:
    raise ValueError(f"unknown kernels {kernels!r}; use one of {KERNELS}.")
  if kernels == "auto":
    kernels = "xla_cpu" if (backend or jax.default_backend()) == "cpu" else "flax"
  return XLA_CPU_LAYERS if kernels == "xla_cpu" else FLAX_LAYERS
