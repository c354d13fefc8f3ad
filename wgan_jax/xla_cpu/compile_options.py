"""XLA compiler options for the jitted training steps on CPU; other backends keep the defaults.

Why: jaxlib 0.10 hands XLA:CPU's dot products and convolutions to YNNPACK, and for the DCGAN step
Eigen's convolutions were faster, so on CPU only the dot products stay with YNNPACK.
Measurements: benchmarks/README.md.
"""

import functools
import warnings

import jax
import jax.numpy as jnp

_CPU = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}


@functools.cache
def _accepted(options: tuple[tuple[str, str], ...]) -> bool:
  """Whether this jaxlib compiles with `options` (a later one may rename an experimental flag)."""
  try:
    jax.jit(jnp.negative, compiler_options=dict(options)).lower(jnp.zeros(1)).compile()
  except Exception as e:  # pylint: disable=broad-except  # jaxlib raises its own error types.
    warnings.warn(
      f"this jaxlib rejects the CPU compiler options {dict(options)} ({e}); the "
      "train step compiles with XLA's defaults and may run slower on CPU.",
      stacklevel=2,
    )
    return False
  return True


def step_compiler_options(backend: str | None = None) -> dict[str, str] | None:
  """`compiler_options` for `jax.jit` of a train step on `backend` (default: JAX's default).

  Returns the CPU options above, or None (XLA's defaults) on other backends and on a jaxlib
  that no longer knows them (with a warning, once).
  """
  if (backend or jax.default_backend()) != "cpu" or not _accepted(tuple(_CPU.items())):
    return None
  return dict(_CPU)
