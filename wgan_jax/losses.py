"""WGAN objectives in this project's one sign convention (REFERENCE.md §1).

Both players minimise:
  critic_loss    = mean f(fake) - mean f(real)
  generator_loss = -mean f(fake)
and `wasserstein_estimate = -critic_loss` is the critic's estimate of W(P_r, P_g) (times the
Lipschitz bound). It is >= 0 in healthy training. The official code prints `Loss_D`, which is
minus this estimate: do not mix the two.
"""
import jax
import jax.numpy as jnp


def critic_loss(critic_real_B: jax.Array, critic_fake_B: jax.Array) -> jax.Array:
  """`mean f(fake) - mean f(real)`, a scalar the critic minimises."""
  return jnp.mean(critic_fake_B) - jnp.mean(critic_real_B)


def generator_loss(critic_fake_B: jax.Array) -> jax.Array:
  """`-mean f(fake)`, a scalar the generator minimises."""
  return -jnp.mean(critic_fake_B)


def wasserstein_estimate(critic_real_B: jax.Array, critic_fake_B: jax.Array) -> jax.Array:
  """`mean f(real) - mean f(fake)`: minus the critic loss."""
  return -critic_loss(critic_real_B, critic_fake_B)
