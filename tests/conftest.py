"""Test-wide settings: fast XLA compilation, strict rank promotion, a deterministic hypothesis
profile."""

import os

# The suite's time is mostly XLA:CPU compiling small programs; with the backend's optimisation
# off, compiling the generator and critic of a width-8 DCGAN took 2.0 s instead of 8.8 s. What
# is computed does not change (no fast-math either way), and subprocesses inherit it.
FAST_COMPILE = "--xla_backend_optimization_level=0"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip()

import hypothesis  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax  # pylint: disable=g-import-not-at-top,wrong-import-position

jax.config.update("jax_numpy_rank_promotion", "raise")

hypothesis.settings.register_profile(
  "ci", max_examples=30, deadline=None, derandomize=True, print_blob=True
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
