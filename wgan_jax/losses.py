"""The losses of WGAN and its neighbours, as pure functions.

WGAN (Arjovsky et al. 2017, Algorithm 1), in this project's one sign convention; both players
minimise:
  critic_loss    = mean f(fake) - mean f(real)
  generator_loss = -mean f(fake)
and the metric `wasserstein_estimate = -critic_loss` is the critic's estimate of W(P_r, P_g)
(times the Lipschitz bound). It is >= 0 in healthy training. The official code
(github.com/martinarjovsky/WassersteinGAN, main.py) prints `Loss_D`, which is minus this
estimate: do not mix the two.

WGAN-GP (Gulrajani et al. 2017, Algorithm 1) adds `lambda * mean (|grad f(x_hat)| - 1)^2` to the
critic loss. The standard GAN's discriminator (Goodfellow et al. 2014) outputs logits and
minimises binary cross-entropy. BEGAN's discriminator (Berthelot et al. 2017) is an autoencoder
whose "score" of an example is its L1 reconstruction error; its equilibrium lives in `began.py`.

`objectives.py` makes one object per method of these functions.
"""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

# --- WGAN ---------------------------------------------------------------------------------------


def critic_loss(critic_real_B: jax.Array, critic_fake_B: jax.Array) -> jax.Array:
  """`mean f(fake) - mean f(real)`, a scalar the critic minimises."""
  return jnp.mean(critic_fake_B) - jnp.mean(critic_real_B)


def generator_loss(critic_fake_B: jax.Array) -> jax.Array:
  """`-mean f(fake)`, a scalar the generator minimises."""
  return -jnp.mean(critic_fake_B)


# --- WGAN-GP ------------------------------------------------------------------------------------


def interpolate(real_Bx___: jax.Array, fake_Bx___: jax.Array, eps_B: jax.Array) -> jax.Array:
  """`eps_i * real_i + (1 - eps_i) * fake_i`, one epsilon per example: `[B, ...]`."""
  eps = eps_B.reshape(eps_B.shape + (1,) * (real_Bx___.ndim - 1))
  return eps * real_Bx___ + (1.0 - eps) * fake_Bx___


def _safe_norm(sq_B: jax.Array) -> jax.Array:
  """sqrt with a zero (not NaN) gradient at 0, exact elsewhere."""
  positive = sq_B > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq_B, 1.0)), 0.0)


def gradient_penalty(
  critic_fn: Callable[[jax.Array], jax.Array],
  real_Bx___: jax.Array,
  fake_Bx___: jax.Array,
  eps_B: jax.Array,
  weight: float,
) -> jax.Array:
  """WGAN-GP's two-sided penalty `weight * mean_i (|grad_x f(x_hat_i)|_2 - 1)^2`.

  Per-example gradients come from the gradient of `sum_i f(x_hat_i)`, which is exact only when
  `f(x)_i` depends on `x_i` alone: a critic without batch norm.

  Args:
    critic_fn: `[B, ...] -> [B]`, differentiable in its input.
    real_Bx___, fake_Bx___: real and generated examples, the same shape.
    eps_B: interpolation weights in [0, 1], one per example.
    weight: lambda (10 in the paper).

  Returns:
    The scalar penalty, differentiable in whatever `critic_fn` closes over.
  """
  x_hat = interpolate(real_Bx___, fake_Bx___, eps_B)
  grads = jax.grad(lambda x: jnp.sum(critic_fn(x)))(x_hat)
  norm_B = _safe_norm(jnp.sum(jnp.square(grads.reshape(grads.shape[0], -1)), axis=1))
  return weight * jnp.mean(jnp.square(norm_B - 1.0))


# --- Standard GAN -------------------------------------------------------------------------------


def gan_discriminator_loss(logit_real_B: jax.Array, logit_fake_B: jax.Array) -> jax.Array:
  """`-mean log D(x) - mean log(1 - D(G(z)))` with `D = sigmoid(logit)`: minus L(D, g)."""
  return jnp.mean(jax.nn.softplus(-logit_real_B)) + jnp.mean(jax.nn.softplus(logit_fake_B))


def gan_generator_loss(logit_fake_B: jax.Array, kind: str = "non_saturating") -> jax.Array:
  """`-mean log D(G(z))` (non-saturating) or `mean log(1 - D(G(z)))` (minimax).

  Raises:
    ValueError: an unknown `kind`.
  """
  if kind == "non_saturating":
    return jnp.mean(jax.nn.softplus(-logit_fake_B))
  if kind == "minimax":
    return -jnp.mean(jax.nn.softplus(logit_fake_B))
  raise ValueError(f"unknown GAN generator loss {kind!r}")


def js_estimate(discriminator_loss: jax.Array) -> jax.Array:
  """The paper's Jensen-Shannon estimate `1/2 L(D, g) + log 2`, L = minus the discriminator loss.

  Equals JSD(P_r, P_g) for the optimal discriminator, lies in [0, log 2] near it.
  """
  return math.log(2.0) - 0.5 * discriminator_loss


# --- BEGAN --------------------------------------------------------------------------------------


def began_discriminator_loss(
  recon_real_B: jax.Array, recon_fake_B: jax.Array, k_t: jax.Array
) -> jax.Array:
  """`L(x) - k_t L(G(z_D))`, L the per-example L1 reconstruction error averaged over the batch."""
  return jnp.mean(recon_real_B) - k_t * jnp.mean(recon_fake_B)
