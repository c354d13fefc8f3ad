"""One object per training objective: what the train step asks of WGAN, WGAN-GP, the standard GAN
and BEGAN, so that `steps.train_step` reads as Algorithm 1 and nothing else branches on a name.

Each object says how the critic's and the generator's losses are made of the critic's outputs
(`losses.py`), which metric shows progress, whether a gradient penalty is added and from which
key, which prior the noise has, what extra state the method keeps (BEGAN's `began.Balance`), what
happens at the end of an iteration (BEGAN's k_t and learning-rate plateau), how the optimizer
updates are scaled, and which states it refuses. They are frozen dataclasses, hashable, so a
static jit argument; `make` builds one from a config's flat fields.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from wgan_jax import began, losses

_BALANCE = (
  "BEGAN needs the state's `balance` and the other objectives must not have one: pass "
  "the same `loss=` to create_state and to the steps."
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Objective:
  """What the train step asks of a method. The defaults here suit the plain methods; each method
  overrides what differs.

  Attributes:
    name: the config's `loss`.
    progress_metric: the metric that shows training progress (the progress bar's).
    autoencoder_critic: whether the critic must be an autoencoder that scores each example by its
      reconstruction error (BEGAN's), rather than a network of scores or logits.
    noise_prior: p(z), "normal" (N(0, I)) or "uniform" (U[-1, 1]).
  """

  name: ClassVar[str]
  progress_metric: ClassVar[str]
  autoencoder_critic: ClassVar[bool] = False
  noise_prior: str = "normal"

  def __post_init__(self):
    if self.noise_prior not in ("normal", "uniform"):
      raise ValueError(f"prior={self.noise_prior!r}; use 'normal' or 'uniform'.")

  def check(self, state) -> None:
    """Refuses a `GANState` this objective cannot train.

    Raises:
      ValueError: saying what to change.
    """
    if state.balance is not None:
      raise ValueError(_BALANCE)

  def init_state(self) -> Any:
    """The objective's own state, kept in `GANState.balance`: None."""
    return None

  def split_key(self, key: jax.Array) -> tuple[jax.Array, jax.Array | None]:
    """(noise key, gradient penalty's key) of one critic update: all of `key` for the noise."""
    return key, None

  def critic_loss(
    self, critic_real_B: jax.Array, critic_fake_B: jax.Array, balance: Any
  ) -> tuple[jax.Array, dict]:
    """The critic's loss without the gradient penalty, and its metrics.

    Args:
      critic_real_B, critic_fake_B: the critic's outputs on a real and a generated batch.
      balance: the objective's own state (`init_state`).

    Returns:
      (scalar loss, dict of scalar metrics).
    """
    raise NotImplementedError

  def gradient_penalty(
    self,
    critic_fn: Callable[[jax.Array], jax.Array],
    real_Bx___: jax.Array,
    fake_Bx___: jax.Array,
    key: jax.Array | None,
  ) -> jax.Array | None:
    """A term added to the critic's loss, from `split_key`'s second key: None (no term)."""
    return None

  def generator_loss(self, critic_fake_B: jax.Array) -> jax.Array:
    """The generator's scalar loss, from the critic's outputs on its samples."""
    raise NotImplementedError

  def update_scale(self, balance: Any) -> jax.Array | None:
    """A scalar multiplying both players' optimizer updates: None (unscaled)."""
    return None

  def end_of_iteration(self, balance: Any, metrics: dict) -> tuple[Any, dict]:
    """After the generator update, from the iteration's metrics: (new own state, extra
    metrics). Here nothing changes."""
    return balance, {}


def _means(critic_real_B, critic_fake_B) -> dict:
  return {"critic_real": jnp.mean(critic_real_B), "critic_fake": jnp.mean(critic_fake_B)}


@dataclasses.dataclass(frozen=True, kw_only=True)
class WGAN(Objective):
  """WGAN: the critic's scores, their difference of means, the clip in the critic's optimizer."""

  name: ClassVar[str] = "wgan"
  progress_metric: ClassVar[str] = "wasserstein_estimate"

  def critic_loss(self, critic_real_B, critic_fake_B, balance):
    metrics = _means(critic_real_B, critic_fake_B)
    loss = losses.critic_loss(critic_real_B, critic_fake_B)
    return loss, {**metrics, "wasserstein_estimate": -loss}

  def generator_loss(self, critic_fake_B):
    return losses.generator_loss(critic_fake_B)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WGANGP(WGAN):
  """WGAN-GP: WGAN's losses plus the gradient penalty of weight `gp_weight` (lambda); each critic
  update splits its key into the noise's and the interpolation weights'."""

  name: ClassVar[str] = "wgan_gp"
  gp_weight: float = 10.0

  def check(self, state):
    super().check(state)
    if state.critic.batch_stats:
      raise ValueError(
        "WGAN-GP penalises each example's gradient, but this critic has batch "
        "norm, which couples the examples of a batch: use a critic without batch "
        "norm (DCGANCritic(norm='layer'), the WGAN-GP paper's choice, or "
        "norm='none')."
      )

  def split_key(self, key):
    z_key, eps_key = jax.random.split(key)
    return z_key, eps_key

  def gradient_penalty(self, critic_fn, real_Bx___, fake_Bx___, key):
    eps_B = jax.random.uniform(key, (real_Bx___.shape[0],))
    return losses.gradient_penalty(critic_fn, real_Bx___, fake_Bx___, eps_B, self.gp_weight)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GAN(Objective):
  """The standard GAN: logits, binary cross-entropy; `generator` is its generator loss,
  "non_saturating" (-log D) or "minimax" (log(1 - D))."""

  name: ClassVar[str] = "gan"
  progress_metric: ClassVar[str] = "js_estimate"
  generator: str = "non_saturating"

  def __post_init__(self):
    super().__post_init__()
    if self.generator not in ("non_saturating", "minimax"):
      raise ValueError(f"gan_generator={self.generator!r}; use 'non_saturating' or 'minimax'.")

  def critic_loss(self, critic_real_B, critic_fake_B, balance):
    metrics = _means(critic_real_B, critic_fake_B)
    loss = losses.gan_discriminator_loss(critic_real_B, critic_fake_B)
    return loss, {**metrics, "js_estimate": losses.js_estimate(loss)}

  def generator_loss(self, critic_fake_B):
    return losses.gan_generator_loss(critic_fake_B, self.generator)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BEGAN(Objective):
  """BEGAN: reconstruction errors weighed by k_t, whose update and the learning-rate plateau run
  at the end of every iteration (`began.update_balance`).

  Attributes:
    gamma: the diversity ratio in [0, 1].
    lambda_k: the learning rate of k_t.
    lr_factor, lr_window, lr_patience, lr_rtol, lr_min_scale: the learning-rate plateau
      (`began.lr_plateau`; the paper gives no numbers, so these are ours).
  """

  name: ClassVar[str] = "began"
  progress_metric: ClassVar[str] = "m_global"
  autoencoder_critic: ClassVar[bool] = True
  noise_prior: str = "uniform"
  gamma: float = 0.5
  lambda_k: float = 0.001
  lr_factor: float = 0.5
  lr_window: int = 1000
  lr_patience: int = 2
  lr_rtol: float = 0.01
  lr_min_scale: float = 0.25

  def __post_init__(self):
    super().__post_init__()
    if not 0.0 <= self.gamma <= 1.0:
      raise ValueError(f"began_gamma={self.gamma} is outside [0, 1].")

  def plateau(self):
    """The learning-rate plateau tracker of `init_state`'s balance."""
    return began.lr_plateau(
      factor=self.lr_factor,
      window=self.lr_window,
      patience=self.lr_patience,
      rtol=self.lr_rtol,
      min_scale=self.lr_min_scale,
    )

  def check(self, state):
    if not isinstance(state.balance, began.Balance):
      raise ValueError(_BALANCE)

  def init_state(self):
    return began.init_balance(self.plateau())

  def critic_loss(self, critic_real_B, critic_fake_B, balance):
    metrics = _means(critic_real_B, critic_fake_B)
    return losses.began_discriminator_loss(critic_real_B, critic_fake_B, balance.k_t), metrics

  def generator_loss(self, critic_fake_B):
    return jnp.mean(critic_fake_B)

  def update_scale(self, balance):
    return balance.plateau.scale

  def end_of_iteration(self, balance, metrics):
    # L(x) of the last critic update's real batch, L(G(z_G)) of the generator update's samples.
    return began.update_balance(
      balance,
      metrics["critic_real"],
      metrics["generator_loss"],
      gamma=self.gamma,
      lambda_k=self.lambda_k,
      plateau=self.plateau(),
    )


OBJECTIVES = {o.name: o for o in (WGAN, WGANGP, GAN, BEGAN)}
NAMES = tuple(OBJECTIVES)


def make(
  name: str = "wgan",
  *,
  gp_weight: float = 10.0,
  gan_generator: str = "non_saturating",
  began_gamma: float = 0.5,
  began_lambda_k: float = 0.001,
  began_lr_factor: float = 0.5,
  began_lr_window: int = 1000,
  began_lr_patience: int = 2,
  began_lr_rtol: float = 0.01,
  began_lr_min_scale: float = 0.25,
  prior: str | None = None,
) -> Objective:
  """The objective a config's flat fields describe: `name` (the config's `loss`) picks it, the
  fields named after it set its hyperparameters.

  Args:
    name: "wgan", "wgan_gp", "gan" or "began".
    gp_weight: `WGANGP.gp_weight`.
    gan_generator: `GAN.generator`.
    began_gamma, began_lambda_k, began_lr_factor, began_lr_window, began_lr_patience,
      began_lr_rtol, began_lr_min_scale: `BEGAN`'s fields without the prefix.
    prior: the noise prior, "normal" or "uniform"; None: the method's own (uniform for BEGAN).

  Returns:
    A `WGAN`, `WGANGP`, `GAN` or `BEGAN`.

  Raises:
    ValueError: an unknown name, or any method's hyperparameter out of its range (a config holds
      every method's, so a bad one is refused whichever method runs).
  """
  if name not in OBJECTIVES:
    raise ValueError(f"unknown loss {name!r}; use one of {NAMES}.")
  own = {
    "wgan_gp": dict(gp_weight=gp_weight),
    "gan": dict(generator=gan_generator),
    "began": dict(
      gamma=began_gamma,
      lambda_k=began_lambda_k,
      lr_factor=began_lr_factor,
      lr_window=began_lr_window,
      lr_patience=began_lr_patience,
      lr_rtol=began_lr_rtol,
      lr_min_scale=began_lr_min_scale,
    ),
  }
  prior_kw = {} if prior is None else {"noise_prior": prior}
  built = {n: cls(**own.get(n, {}), **prior_kw) for n, cls in OBJECTIVES.items()}
  return built[name]
