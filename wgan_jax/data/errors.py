"""The data package's exception type (defined with the others in `wgan_jax.errors`)."""

from wgan_jax.errors import DataError

__all__ = ["DataError"]
