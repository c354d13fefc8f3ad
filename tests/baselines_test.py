"""WGAN, WGAN-GP, the standard GAN and BEGAN through their objectives: each moves samples of a 2-D
mixture toward its modes; WGAN-GP refuses a batch-norm critic; its critic updates draw their
noise and interpolation weights from the keys of (run key, step, i) alone."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import began, data, models, objectives, optim, steps
from wgan_jax import state as state_lib

WGAN_KEYS = {
  "critic_loss",
  "critic_real",
  "critic_fake",
  "critic_grad_norm",
  "generator_loss",
  "generator_grad_norm",
  "wasserstein_estimate",
}
EXTRA_KEYS = {
  "wgan": set(),
  "wgan_gp": {"gradient_penalty"},
  "gan": {"js_estimate"},
  "began": {"k_t", "m_global", "recon_real", "recon_fake", "lr_scale"},
}

# Test-sized recipes: the published optimizers with larger steps, so a few hundred iterations
# on small MLPs show the trend. BEGAN's autoencoder has a 1-D bottleneck (below the data's 2).
RECIPES = {
  "wgan": dict(optimizer="rmsprop", lr=1e-3, clip_value=0.05, n_critic=5, steps=300),
  "wgan_gp": dict(optimizer="adam", lr=1e-3, beta1=0.0, beta2=0.9, n_critic=5, steps=300),
  "gan": dict(optimizer="adam", lr=1e-3, beta1=0.5, n_critic=1, steps=300),
  "began": dict(
    optimizer="adam", lr=3e-4, beta1=0.5, n_critic=1, steps=400, spec=dict(began_lambda_k=0.01)
  ),
}
BATCH, NZ, CHUNK = 128, 2, 25


def point_state(name, *, seed=0, spec=None, **recipe):
  spec = spec or objectives.make(name)
  tx = lambda clip=None: optim.make_optimizer(
    recipe.get("optimizer", "adam"),
    recipe.get("lr", 1e-3),
    clip_value=clip,
    beta1=recipe.get("beta1", 0.5),
    beta2=recipe.get("beta2", 0.999),
  )
  critic = (
    began.MLPAutoencoderCritic(width=128)
    if spec.autoencoder_critic
    else models.MLPCritic(width=128, num_hidden=2)
  )
  # Eager, not jitted: the small init ops compile once for every test of the process.
  return state_lib.create_state(
    jax.random.key(seed),
    generator=models.MLPGenerator(width=128, nz=NZ, num_hidden=2, output_shape=(2,)),
    critic=critic,
    generator_tx=tx(),
    critic_tx=tx(recipe.get("clip_value")),
    data_shape=(2,),
    nz=NZ,
    clip_value=recipe.get("clip_value"),
    loss=spec,
  )


def mean_distance_to_nearest_mode(samples_Nx2, modes_Kx2):
  d = np.linalg.norm(samples_Nx2[:, None, :] - modes_Kx2[None], axis=-1)
  return float(np.mean(np.min(d, axis=1)))


@pytest.mark.parametrize("name", list(RECIPES))
def test_each_method_moves_samples_toward_the_ring(name):
  recipe = dict(RECIPES[name])
  spec = objectives.make(name, **recipe.pop("spec", {}))
  n_critic, num_steps = recipe["n_critic"], recipe["steps"]
  state = point_state(name, spec=spec, **recipe)
  source = data.make_source("ring8", image_size=16, channels=1, batch_size=BATCH, seed=0)
  modes, _ = data.mixture_modes("ring8")
  key = jax.random.key(1)
  chunk = jax.jit(
    lambda s, real_KxNxBx2: jax.lax.scan(
      lambda s, r: steps.train_step(s, r, key, loss=spec), s, real_KxNxBx2
    )
  )
  z = steps.sample_noise(jax.random.key(99), 1000, NZ, spec.noise_prior)
  sample = jax.jit(lambda g: steps.apply_player(g, g.params, z)[0])
  before = mean_distance_to_nearest_mode(np.asarray(sample(state.generator)), modes)
  for c in range(num_steps // CHUNK):
    first = c * CHUNK * n_critic
    real = np.stack([source.batch(first + j) for j in range(CHUNK * n_critic)])
    state, metrics = chunk(state, real.reshape(CHUNK, n_critic, BATCH, 2))
  after = mean_distance_to_nearest_mode(np.asarray(sample(state.generator)), modes)
  # The untrained generator sits near the centre (distance ~0.85); the data's own is ~0.013.
  assert after < 0.5 * before, f"{name}: mean distance to the nearest mode {before} -> {after}"
  common = WGAN_KEYS - ({"wasserstein_estimate"} if name in ("gan", "began") else set())
  assert set(metrics) == common | EXTRA_KEYS[name] and spec.progress_metric in metrics
  assert all(np.all(np.isfinite(v)) for v in metrics.values())


def _abstract_step(critic):
  """Traces one WGAN-GP train step (shapes only, nothing runs) with a DCGAN critic."""
  create = functools.partial(
    state_lib.create_state,
    generator=models.MLPGenerator(width=8, nz=4, image_size=16, channels=1),
    critic=critic,
    generator_tx=optim.make_optimizer("adam", 1e-4),
    critic_tx=optim.make_optimizer("adam", 1e-4),
    data_shape=(16, 16, 1),
    nz=4,
  )
  real = jax.ShapeDtypeStruct((1, 2, 16, 16, 1), jnp.float32)
  return jax.eval_shape(
    lambda k, r: steps.train_step(create(k), r, k, loss=objectives.WGANGP()),
    jax.random.key(0),
    real,
  )


def test_wgan_gp_refuses_a_batch_norm_critic_and_accepts_layer_norm():
  dcgan = functools.partial(models.DCGANCritic, image_size=16, channels=1, width=4)
  with pytest.raises(ValueError, match="batch norm"):
    _abstract_step(dcgan())
  _, metrics = _abstract_step(dcgan(norm="layer"))
  assert "gradient_penalty" in metrics
  _abstract_step(dcgan(norm="none"))


def test_layer_norm_critic_scores_each_example_on_its_own():
  critic = models.DCGANCritic(image_size=16, channels=1, width=4, norm="layer")
  x, y = jax.random.normal(jax.random.key(0), (2, 3, 16, 16, 1))
  variables = jax.jit(critic.init)(jax.random.key(1), x)
  assert "batch_stats" not in variables and "LayerNorm_0" in variables["params"]
  apply = jax.jit(critic.apply)
  # Example 0's score does not move when the others change (batch norm's would).
  np.testing.assert_allclose(
    apply(variables, x)[0], apply(variables, y.at[0].set(x[0]))[0], rtol=1e-6
  )


train_step = jax.jit(steps.train_step, static_argnames="loss")
critic_step = jax.jit(steps.critic_step, static_argnames="loss")
generator_step = jax.jit(steps.generator_step, static_argnames=("batch_size", "loss"))


def test_wgan_gp_train_step_equals_its_updates_one_by_one():
  # WGAN-GP splits each critic key for its interpolation weights; update i still draws from
  # fold_in(critic_root, i) alone.
  s0, spec, key = point_state("wgan_gp"), objectives.WGANGP(), jax.random.key(3)
  real = jax.random.normal(jax.random.key(4), (2, 16, 2))
  whole, m_whole = train_step(s0, real, key, loss=spec)
  critic_root, generator_key = jax.random.split(jax.random.fold_in(key, s0.step))
  part = s0
  for i in range(2):
    part, _ = critic_step(part, real[i], jax.random.fold_in(critic_root, i), loss=spec)
  part, m_part = generator_step(part, generator_key, 16, loss=spec)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7), whole, part)
  np.testing.assert_allclose(m_whole["generator_loss"], m_part["generator_loss"], rtol=1e-5)
  # The critic minimises minus the estimate plus the penalty.
  assert float(m_whole["gradient_penalty"]) > 0
  assert float(m_whole["critic_loss"]) == pytest.approx(
    float(m_whole["gradient_penalty"] - m_whole["wasserstein_estimate"]), rel=1e-5
  )
