"""The paper's Figures 1 and 2, measured with the library's own networks, optimizers and steps.

Figure 1 (Arjovsky et al. 2017, Sec. 2, Example 1): P_0 = (0, Z) and P_theta = (theta, Z),
Z ~ U[0, 1]. In closed form W = |theta|, JS = log 2, KL = inf and TV = 1 for theta != 0; only W
is continuous in theta and gives a useful gradient. Here a clipped MLP critic (RMSprop, the
clip as the last transform of its optimizer) and the same MLP as a GAN discriminator are trained
on samples at every theta of a grid (`jax.vmap` over the grid), and theta itself is learnt by
gradient descent from theta = 1, the critic retrained between theta steps (`steps.train_step`).

Figure 2 (Sec. 3): a real N(-2, 0.5^2) and a fake N(2, 0.5^2). A GAN discriminator trained to
convergence saturates, so the minimax generator loss log(1 - D) gives the fake samples a
vanishing gradient, while the clipped critic stays piecewise linear and gives a clean one.

The generator of both figures has one parameter, theta (`ParallelLine`, `ShiftedGaussian`), so
`state.create_state` and `steps.critic_steps` / `steps.train_step` run the figures unchanged.
"""

import dataclasses
import functools
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from wgan_jax import losses, models, objectives, optim, steps
from wgan_jax import state as state_lib

# Any clip gives an estimate K |theta|; only K changes, roughly as clip^4 for 4 layers. With the
# paper's 0.01 this MLP (width 32, 600 updates) measured K = 2e-5 with R^2 0.89; 0.1 gives K of
# order 1 (0.44, R^2 0.98), estimates well above float32 noise.
CLIP = 0.1
CRITIC_LR = 2e-3  # RMSprop, the critic and the discriminator alike (the GAN one is not clipped)
# theta learns by plain gradient descent (optax.sgd) at the rate THETA_STEP / K, K the fitted
# slope of the critic's estimate, so that a WGAN step moves theta by about THETA_STEP whatever
# the critic's scale; the rate decays to 0 along a cosine, since |theta| has a kink at 0 where a
# constant step would oscillate. The GAN runs use the same rates.
THETA_STEP = 0.03
EVAL_SIZE = 4096  # fresh real and fake samples for every estimate and gradient
REAL_MEAN, FAKE_MEAN, STD = -2.0, 2.0, 0.5  # Figure 2's Gaussians
WGAN = objectives.make("wgan", prior="uniform")
MINIMAX = objectives.make("gan", gan_generator="minimax", prior="uniform")
NON_SATURATING = objectives.make("gan", gan_generator="non_saturating", prior="uniform")


class ParallelLine(nn.Module):
  """Example 1's generator: z ~ U[-1, 1] -> (theta, (z + 1) / 2), i.e. P_theta = (theta, Z)."""

  theta_init: float = 1.0

  @nn.compact
  def __call__(self, z_Bx1):
    theta = self.param("theta", nn.initializers.constant(self.theta_init), ())
    return jnp.stack([theta * jnp.ones_like(z_Bx1[:, 0]), (z_Bx1[:, 0] + 1.0) / 2.0], axis=1)


class ShiftedGaussian(nn.Module):
  """Figure 2's generator: z ~ N(0, 1) -> theta + std * z, `[B, 1]`."""

  theta_init: float = FAKE_MEAN
  std: float = STD

  @nn.compact
  def __call__(self, z_Bx1):
    return self.param("theta", nn.initializers.constant(self.theta_init), ()) + self.std * z_Bx1


def _line_points(key, shape):
  """Samples of P_0 = (0, Z), Z ~ U[0, 1]: `[*shape, 2]`."""
  return jnp.stack([jnp.zeros(shape), jax.random.uniform(key, shape)], axis=-1)


def _gaussian_points(key, shape):
  """Samples of the real N(REAL_MEAN, STD^2): `[*shape, 1]`."""
  return REAL_MEAN + STD * jax.random.normal(key, (*shape, 1))


def _init(spec, generator, data_shape, width, theta_lr=0.0, theta_steps=1):
  """`key -> GANState`: the MLP critic (clipped for WGAN) against a one-parameter generator."""
  clip = CLIP if spec.name == "wgan" else None
  return functools.partial(
    state_lib.create_state,
    generator=generator,
    critic=models.MLPCritic(width=width),
    generator_tx=optax.sgd(optax.cosine_decay_schedule(theta_lr, theta_steps)),
    critic_tx=optim.make_optimizer("rmsprop", CRITIC_LR, clip_value=clip),
    data_shape=data_shape,
    nz=1,
    clip_value=clip,
    loss=spec,
  )


def _generator_loss(state, spec, z_Bx1, params=None):
  """The generator's loss under `spec` against the current critic (differentiable in params)."""
  g = state.generator
  fake, _ = steps.apply_player(g, g.params if params is None else params, z_Bx1)
  return spec.generator_loss(steps.apply_player(state.critic, state.critic.params, fake)[0])


def _evaluate(state, spec, real, key):
  """The trained critic's estimate and the gradients it gives theta, on fresh samples."""
  z = steps.sample_noise(key, EVAL_SIZE, 1, spec.noise_prior)
  fake, _ = steps.apply_player(state.generator, state.generator.params, z)
  out_real = steps.apply_player(state.critic, state.critic.params, real)[0]
  out_fake = steps.apply_player(state.critic, state.critic.params, fake)[0]
  grad = lambda s: jax.grad(lambda p: _generator_loss(state, s, z, p))(state.generator.params)[
    "theta"
  ]
  if spec.name == "wgan":
    return {"estimate": -losses.critic_loss(out_real, out_fake), "grad_wgan": grad(WGAN)}
  return {
    "estimate": losses.js_estimate(losses.gan_discriminator_loss(out_real, out_fake)),
    "grad_minimax": grad(MINIMAX),
    "grad_non_saturating": grad(NON_SATURATING),
  }


def _keys(seed, n):
  """n keys of `seed`: [initial weights, then the run's data, noise and evaluation keys]."""
  return [jax.random.fold_in(jax.random.key(seed), i) for i in range(n)]


def _initial_states(spec, generator, data_shape, sizes, theta_lr=0.0):
  """One state per seed, stacked. Initialised outside the compiled programs: compiling the
  initialisers costs more than running them."""
  init = _init(spec, generator, data_shape, sizes.width, theta_lr, sizes.theta_steps)
  return jax.tree.map(lambda *x: jnp.stack(x), *(init(_keys(seed, 1)[0]) for seed in sizes.seeds))


def _estimates_on_grid(spec, thetas_G, sizes):
  """Critics trained at every theta of the grid for every seed, one program (`jax.vmap` over
  both): `_evaluate` dicts of `[S, G]` arrays."""

  def one(state, seed, theta):
    _, data_key, run_key, eval_key = _keys(seed, 4)
    state = state.replace(generator=state.generator.replace(params={"theta": theta}))
    real = _line_points(data_key, (sizes.critic_steps, sizes.batch))
    state, _ = steps.critic_steps(state, real, run_key, loss=spec)
    return _evaluate(state, spec, _line_points(eval_key, (EVAL_SIZE,)), eval_key)

  over_grid = jax.vmap(one, (None, None, 0))
  return jax.device_get(
    jax.jit(jax.vmap(over_grid, (0, 0, None)))(
      _initial_states(spec, ParallelLine(), (2,), sizes),
      jnp.asarray(sizes.seeds),
      jnp.asarray(thetas_G),
    )
  )


def _learn_theta(spec, sizes, theta_lr):
  """theta over `theta_steps` descent steps from 1, every seed at once: `[S, T + 1]`."""
  states = _initial_states(spec, ParallelLine(theta_init=1.0), (2,), sizes, theta_lr)

  def one(state, seed):
    _, warmup_key, data_key, run_key = _keys(seed, 4)
    # The critic starts near optimal, as in the official code's long first critic phase.
    real = _line_points(warmup_key, (sizes.critic_steps, sizes.batch))
    state, _ = steps.critic_steps(state, real, warmup_key, loss=spec)

    def body(state, t):
      real = _line_points(jax.random.fold_in(data_key, t), (sizes.n_critic, sizes.batch))
      state, _ = steps.train_step(state, real, run_key, loss=spec)
      return state, state.generator.params["theta"]

    thetas = jax.lax.scan(body, state, jnp.arange(sizes.theta_steps))[1]
    return jnp.concatenate([jnp.ones(1), thetas])

  return np.asarray(jax.jit(jax.vmap(one))(states, jnp.asarray(sizes.seeds)), np.float64)


def fit_line(x, y):
  """Least squares `y = K x + b`: (K, b, R^2)."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  K, b = np.polyfit(x, y, 1)
  residual = y - (K * x + b)
  return float(K), float(b), float(1.0 - residual.var() / y.var())


@dataclasses.dataclass
class ParallelLines:
  """Figure 1's measurements.

  Attributes:
    thetas: the grid `[G]`.
    wgan, gan: `_evaluate` dicts of arrays `[S, G]`, one row per seed: the critic's or the
      discriminator's estimate and the gradients of the generator losses with respect to theta.
    slope, intercept, r2: the fit of the critic's estimate (mean over seeds) against |theta|.
    theta_lr: the descent's learning rate, THETA_STEP / slope.
    paths: "wgan", "minimax", "non_saturating" -> theta over the descent steps `[S, T + 1]`.
    seconds: wall time, compilation included.
  """

  thetas: np.ndarray
  wgan: dict
  gan: dict
  slope: float
  intercept: float
  r2: float
  theta_lr: float
  paths: dict
  seconds: float


def parallel_lines(sizes) -> ParallelLines:
  """Figure 1 at `sizes` (`settings.FoundationSizes`)."""
  t0 = time.time()
  thetas = np.linspace(-1.0, 1.0, sizes.grid)
  wgan = _estimates_on_grid(WGAN, thetas, sizes)
  gan = _estimates_on_grid(MINIMAX, thetas, sizes)
  slope, intercept, r2 = fit_line(np.abs(thetas), wgan["estimate"].mean(axis=0))
  if not slope > 0:
    raise FloatingPointError(
      f"the critic's estimate does not grow with |theta| (slope {slope}): "
      "train it longer (critic_steps) or check the clip."
    )
  paths = {
    name: _learn_theta(spec, sizes, THETA_STEP / slope)
    for name, spec in (("wgan", WGAN), ("minimax", MINIMAX), ("non_saturating", NON_SATURATING))
  }
  return ParallelLines(
    thetas, wgan, gan, slope, intercept, r2, THETA_STEP / slope, paths, time.time() - t0
  )


@dataclasses.dataclass
class TwoGaussians:
  """Figure 2's measurements, one row per seed.

  Attributes:
    x: where the networks are drawn, `[X]`.
    critic, discriminator: f(x) and D(x) = sigmoid(logit(x)), `[S, X]`.
    critic_grad, minimax_grad: d/dx of the generator's loss at x, -f(x) and log(1 - D(x)),
      `[S, X]`.
    critic_at_mode, minimax_at_mode: |gradient| at the fake mode x = FAKE_MEAN, `[S]`.
    critic_at_fake, minimax_at_fake: mean |gradient| over fresh fake samples, `[S]` (the few
      samples in the far tail, near the decision boundary, can dominate the GAN's).
    seconds: wall time, compilation included.
  """

  x: np.ndarray
  critic: np.ndarray
  discriminator: np.ndarray
  critic_grad: np.ndarray
  minimax_grad: np.ndarray
  critic_at_mode: np.ndarray
  minimax_at_mode: np.ndarray
  critic_at_fake: np.ndarray
  minimax_at_fake: np.ndarray
  seconds: float


def _one_gaussian_player(spec, sizes, x_X):
  """The critic (or discriminator) of every seed trained on the two Gaussians: its output, the
  gradient it gives at x, |gradient| at the fake mode, mean |gradient| at the fake samples."""

  def one(state, seed):
    _, data_key, run_key, eval_key = _keys(seed, 4)
    real = _gaussian_points(data_key, (sizes.gaussian_steps, sizes.batch))
    state, _ = steps.critic_steps(state, real, run_key, loss=spec)
    out = lambda x_B: steps.apply_player(state.critic, state.critic.params, x_B[:, None])[0]
    # Each sample's own loss term, differentiated in its position: the gradient it is given.
    loss_grad = jax.vmap(jax.grad(lambda x: spec.generator_loss(out(x[None]))))
    fake = FAKE_MEAN + STD * jax.random.normal(eval_key, (EVAL_SIZE,))
    return (
      out(x_X),
      loss_grad(x_X),
      jnp.abs(loss_grad(jnp.full(1, FAKE_MEAN))[0]),
      jnp.mean(jnp.abs(loss_grad(fake))),
    )

  states = _initial_states(spec, ShiftedGaussian(), (1,), sizes)
  return jax.device_get(jax.jit(jax.vmap(one))(states, jnp.asarray(sizes.seeds)))


def two_gaussians(sizes) -> TwoGaussians:
  """Figure 2 at `sizes` (`settings.FoundationSizes`)."""
  t0 = time.time()
  x = np.linspace(-5.0, 5.0, 401)
  f, f_grad, f_mode, f_fake = _one_gaussian_player(
    dataclasses.replace(WGAN, noise_prior="normal"), sizes, x
  )
  logit, d_grad, d_mode, d_fake = _one_gaussian_player(
    dataclasses.replace(MINIMAX, noise_prior="normal"), sizes, x
  )
  modes_and_fakes = (np.asarray(a, np.float64) for a in (f_mode, d_mode, f_fake, d_fake))
  discriminator = np.asarray(jax.nn.sigmoid(logit), np.float64)
  return TwoGaussians(x, f, discriminator, f_grad, d_grad, *modes_and_fakes, time.time() - t0)
