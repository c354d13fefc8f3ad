"""Each objective's answers by hand: its critic loss and metrics, its generator loss, its prior and
progress metric; `make` maps a config's flat fields onto them and refuses bad values."""

import jax
import jax.numpy as jnp
import pytest

from wgan_jax import began, losses, objectives


def test_wgan_estimate_is_minus_the_critic_loss_by_hand():
  real, fake = jnp.array([1.0, 3.0]), jnp.array([0.0, -2.0])
  loss, metrics = objectives.WGAN().critic_loss(real, fake, None)
  assert float(loss) == pytest.approx(-3.0)
  assert float(metrics["wasserstein_estimate"]) == pytest.approx(3.0)


def test_began_generator_loss_is_the_fakes_mean_reconstruction_error():
  got = objectives.make("began").generator_loss(jnp.array([0.2, 0.4]))
  assert float(got) == pytest.approx(0.3)


@pytest.mark.parametrize(
  "name,keys",
  [
    ("wgan", {"wasserstein_estimate"}),
    ("wgan_gp", {"wasserstein_estimate"}),
    ("gan", {"js_estimate"}),
    ("began", set()),
  ],
)
def test_critic_loss_and_metrics_of_each_objective(name, keys):
  real, fake = jnp.array([0.5, 1.5]), jnp.array([0.25, -0.25])
  spec = objectives.make(name)
  balance = spec.init_state()
  if balance is not None:
    balance = balance.replace(k_t=jnp.float32(0.5))
  loss, metrics = spec.critic_loss(real, fake, balance)
  assert set(metrics) == {"critic_real", "critic_fake"} | keys
  want = {
    "wgan": -1.0,
    "wgan_gp": -1.0,
    "began": 1.0 - 0.5 * 0.0,
    "gan": float(losses.gan_discriminator_loss(real, fake)),
  }[name]
  assert float(loss) == pytest.approx(want)


def test_only_wgan_gp_adds_a_penalty_and_splits_the_critic_key():
  key, critic_fn = jax.random.key(0), lambda x: jnp.sum(x, axis=1)
  x = jnp.ones((3, 2))
  for name in ("wgan", "gan", "began"):
    spec = objectives.make(name)
    assert spec.split_key(key) == (key, None)
    assert spec.gradient_penalty(critic_fn, x, -x, None) is None
  gp = objectives.make("wgan_gp", gp_weight=2.0)
  z_key, eps_key = gp.split_key(key)
  want_z, want_eps = jax.random.split(key)
  assert bool(jnp.all(jax.random.key_data(z_key) == jax.random.key_data(want_z)))
  assert bool(jnp.all(jax.random.key_data(eps_key) == jax.random.key_data(want_eps)))
  # A linear critic of slope (1, 1) has |grad| = sqrt 2 everywhere: 2 (sqrt 2 - 1)^2.
  assert float(gp.gradient_penalty(critic_fn, x, -x, eps_key)) == pytest.approx(
    2.0 * (2.0**0.5 - 1.0) ** 2, rel=1e-6
  )


def test_only_began_keeps_state_and_scales_updates():
  for name in ("wgan", "wgan_gp", "gan"):
    spec = objectives.make(name)
    assert spec.init_state() is None and spec.update_scale(None) is None
    assert spec.end_of_iteration(None, {"critic_real": 1.0}) == (None, {})
  balance = objectives.make("began").init_state()
  assert isinstance(balance, began.Balance) and float(balance.k_t) == 0.0
  assert float(objectives.make("began").update_scale(balance)) == 1.0


def test_make_is_hashable_validated_and_picks_the_prior():
  assert hash(objectives.make()) == hash(objectives.make("wgan"))
  assert objectives.make() == objectives.WGAN() != objectives.make("wgan_gp")
  assert objectives.make().noise_prior == "normal"
  assert objectives.make("began").noise_prior == "uniform"
  assert objectives.make("began", prior="normal").noise_prior == "normal"
  for bad in (
    dict(name="lsgan"),
    dict(gan_generator="log"),
    dict(began_gamma=1.5),
    dict(prior="cauchy"),
  ):
    with pytest.raises(ValueError):
      objectives.make(**bad)


def test_make_hands_each_method_its_own_fields():
  assert objectives.make("wgan_gp", gp_weight=5.0) == objectives.WGANGP(gp_weight=5.0)
  assert objectives.make("gan", gan_generator="minimax") == objectives.GAN(generator="minimax")
  assert objectives.make(
    "began",
    began_gamma=0.7,
    began_lambda_k=0.1,
    began_lr_factor=0.2,
    began_lr_window=3,
    began_lr_patience=4,
    began_lr_rtol=0.05,
    began_lr_min_scale=0.1,
  ) == objectives.BEGAN(
    gamma=0.7,
    lambda_k=0.1,
    lr_factor=0.2,
    lr_window=3,
    lr_patience=4,
    lr_rtol=0.05,
    lr_min_scale=0.1,
  )


def test_the_registry_names_each_objective_once():
  assert objectives.NAMES == ("wgan", "wgan_gp", "gan", "began")
  assert all(objectives.make(n).name == n for n in objectives.NAMES)
  assert {n: objectives.make(n).progress_metric for n in objectives.NAMES} == {
    "wgan": "wasserstein_estimate",
    "wgan_gp": "wasserstein_estimate",
    "gan": "js_estimate",
    "began": "m_global",
  }
  assert [n for n in objectives.NAMES if objectives.make(n).autoencoder_critic] == ["began"]
