"""Test-wide settings: strict rank promotion and a deterministic hypothesis profile."""
import os

import hypothesis
import jax

jax.config.update("jax_numpy_rank_promotion", "raise")

hypothesis.settings.register_profile(
    "ci", max_examples=30, deadline=None, derandomize=True, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
