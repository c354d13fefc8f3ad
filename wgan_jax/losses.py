"""The objectives of WGAN and its neighbours (REFERENCE.md §1, §3-4), chosen by one `LossSpec`.

WGAN, in this project's one sign convention; both players minimise:
  critic_loss    = mean f(fake) - mean f(real)
  generator_loss = -mean f(fake)
and `wasserstein_estimate = -critic_loss` is the critic's estimate of W(P_r, P_g) (times the
Lipschitz bound). It is >= 0 in healthy training. The official code prints `Loss_D`, which is
minus this estimate: do not mix the two.

WGAN-GP adds `lambda * mean (|grad f(x_hat)| - 1)^2` to the critic loss. The standard GAN's
discriminator outputs logits and minimises binary cross-entropy. BEGAN's discriminator is an
autoencoder whose "score" of an example is its L1 reconstruction error (see `began.py`).
"""
import dataclasses
import math
from typing import Callable

import jax
import jax.numpy as jnp
import optax

NAMES = ("wgan", "wgan_gp", "gan", "began")


@dataclasses.dataclass(frozen=True)
class LossSpec:
  """Which objective to train, with its hyperparameters; hashable, so a static jit argument.

  Attributes:
    name: "wgan", "wgan_gp", "gan" or "began".
    gp_weight: WGAN-GP's lambda.
    gan_generator: the standard GAN's generator loss, "non_saturating" (-log D) or "minimax"
      (log(1 - D)).
    began_gamma: BEGAN's diversity ratio gamma in [0, 1].
    began_lambda_k: BEGAN's learning rate of k_t.
    began_lr_factor, began_lr_window, began_lr_patience, began_lr_rtol, began_lr_min_scale:
      BEGAN's learning rates are multiplied by `factor` when the mean of M_global over a window
      of `window` generator steps has not fallen by a relative `rtol` below its best for
      `patience` windows, never below `min_scale` times the initial rate (optax's
      `reduce_on_plateau`; the paper gives no numbers, so these are ours).
    prior: "normal" (N(0, I)) or "uniform" (U[-1, 1]); None: uniform for BEGAN, else normal.
  """
  name: str = "wgan"
  gp_weight: float = 10.0
  gan_generator: str = "non_saturating"
  began_gamma: float = 0.5
  began_lambda_k: float = 0.001
  began_lr_factor: float = 0.5
  began_lr_window: int = 1000
  began_lr_patience: int = 2
  began_lr_rtol: float = 0.01
  began_lr_min_scale: float = 0.25
  prior: str | None = None

  def __post_init__(self):
    if self.name not in NAMES:
      raise ValueError(f"unknown loss {self.name!r}; use one of {NAMES}.")
    if self.gan_generator not in ("non_saturating", "minimax"):
      raise ValueError(f"gan_generator={self.gan_generator!r}; use 'non_saturating' or 'minimax'.")
    if not 0.0 <= self.began_gamma <= 1.0:
      raise ValueError(f"began_gamma={self.began_gamma} is outside [0, 1].")
    if self.prior not in (None, "normal", "uniform"):
      raise ValueError(f"prior={self.prior!r}; use 'normal', 'uniform' or None.")

  @property
  def noise_prior(self) -> str:
    """The prior p(z) this objective samples from: "normal" or "uniform"."""
    return self.prior or ("uniform" if self.name == "began" else "normal")

  def began_lr_plateau(self) -> optax.GradientTransformationExtraArgs:
    """optax's plateau tracker for BEGAN's learning rate; only its state's `scale` is used."""
    return optax.contrib.reduce_on_plateau(
        factor=self.began_lr_factor, patience=self.began_lr_patience, rtol=self.began_lr_rtol,
        accumulation_size=self.began_lr_window, min_scale=self.began_lr_min_scale)


# --- WGAN ---------------------------------------------------------------------------------------

def critic_loss(critic_real_B: jax.Array, critic_fake_B: jax.Array) -> jax.Array:
  """`mean f(fake) - mean f(real)`, a scalar the critic minimises."""
  return jnp.mean(critic_fake_B) - jnp.mean(critic_real_B)


def generator_loss(critic_fake_B: jax.Array) -> jax.Array:
  """`-mean f(fake)`, a scalar the generator minimises."""
  return -jnp.mean(critic_fake_B)


def wasserstein_estimate(critic_real_B: jax.Array, critic_fake_B: jax.Array) -> jax.Array:
  """`mean f(real) - mean f(fake)`: minus the critic loss."""
  return -critic_loss(critic_real_B, critic_fake_B)


# --- WGAN-GP ------------------------------------------------------------------------------------

def interpolate(real_Bx___: jax.Array, fake_Bx___: jax.Array, eps_B: jax.Array) -> jax.Array:
  """`eps_i * real_i + (1 - eps_i) * fake_i`, one epsilon per example: `[B, ...]`."""
  eps = eps_B.reshape(eps_B.shape + (1,) * (real_Bx___.ndim - 1))
  return eps * real_Bx___ + (1.0 - eps) * fake_Bx___


def _safe_norm(sq_B: jax.Array) -> jax.Array:
  """sqrt with a zero (not NaN) gradient at 0, exact elsewhere."""
  positive = sq_B > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq_B, 1.0)), 0.0)


def gradient_penalty(critic_fn: Callable[[jax.Array], jax.Array], real_Bx___: jax.Array,
                     fake_Bx___: jax.Array, eps_B: jax.Array, weight: float) -> jax.Array:
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
  """`-mean log D(G(z))` (non-saturating) or `mean log(1 - D(G(z)))` (minimax)."""
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

def began_discriminator_loss(recon_real_B: jax.Array, recon_fake_B: jax.Array,
                             k_t: jax.Array) -> jax.Array:
  """`L(x) - k_t L(G(z_D))`, L the per-example L1 reconstruction error averaged over the batch."""
  return jnp.mean(recon_real_B) - k_t * jnp.mean(recon_fake_B)


def began_k_update(k_t: jax.Array, recon_real: jax.Array, recon_fake: jax.Array, *, gamma: float,
                   lambda_k: float) -> jax.Array:
  """`clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1)`, from batch-mean losses."""
  return jnp.clip(k_t + lambda_k * (gamma * recon_real - recon_fake), 0.0, 1.0)


def began_convergence(recon_real: jax.Array, recon_fake: jax.Array, *, gamma: float) -> jax.Array:
  """BEGAN's convergence measure `M_global = L(x) + |gamma L(x) - L(G(z_G))|`."""
  return recon_real + jnp.abs(gamma * recon_real - recon_fake)


# --- One switch ---------------------------------------------------------------------------------

def critic_objective(spec: LossSpec, real_out_B: jax.Array, fake_out_B: jax.Array,
                     k_t: jax.Array | None = None):
  """The critic's loss (the gradient penalty excluded) and its metrics, for `spec.name`.

  Args:
    spec: the objective.
    real_out_B, fake_out_B: the critic's outputs on a real and a generated batch (scores, logits
      or BEGAN reconstruction errors).
    k_t: BEGAN's balance term (only used by "began").

  Returns:
    (scalar loss, dict of scalar metrics).
  """
  metrics = {"critic_real": jnp.mean(real_out_B), "critic_fake": jnp.mean(fake_out_B)}
  if spec.name in ("wgan", "wgan_gp"):
    loss = critic_loss(real_out_B, fake_out_B)
    metrics["wasserstein_estimate"] = -loss
  elif spec.name == "gan":
    loss = gan_discriminator_loss(real_out_B, fake_out_B)
    metrics["js_estimate"] = js_estimate(loss)
  else:
    loss = began_discriminator_loss(real_out_B, fake_out_B, k_t)
  return loss, metrics


def generator_objective(spec: LossSpec, fake_out_B: jax.Array) -> jax.Array:
  """The generator's scalar loss for `spec.name`, from the critic's outputs on its samples."""
  if spec.name in ("wgan", "wgan_gp"):
    return generator_loss(fake_out_B)
  if spec.name == "gan":
    return gan_generator_loss(fake_out_B, spec.gan_generator)
  return jnp.mean(fake_out_B)
