"""Every loss against hand-computed values (signs included); the gradient penalty against finite
differences and a linear critic's closed form. The objectives built of them: objectives_test.py."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import losses

LOG2 = math.log(2.0)


def test_wgan_losses_by_hand():
  real, fake = jnp.array([1.0, 3.0]), jnp.array([0.0, -2.0])
  assert float(losses.critic_loss(real, fake)) == pytest.approx(-1.0 - 2.0)
  assert float(losses.generator_loss(fake)) == pytest.approx(1.0)


# Logits 0 and log 3 are D = 1/2 and 3/4; -log 3 is D = 1/4.
REAL_LOGITS = jnp.array([0.0, math.log(3.0)])
FAKE_LOGITS = jnp.array([0.0, -math.log(3.0)])


def test_gan_discriminator_bce_by_hand():
  # -mean log D(x) - mean log(1 - D(G(z))) = -(log 1/2 + log 3/4)/2 - (log 1/2 + log 3/4)/2.
  want = -(math.log(0.5) + math.log(0.75))
  got = losses.gan_discriminator_loss(REAL_LOGITS, FAKE_LOGITS)
  assert float(got) == pytest.approx(want, rel=1e-6)
  assert float(losses.js_estimate(got)) == pytest.approx(LOG2 - want / 2, rel=1e-6)


def test_gan_generator_losses_by_hand_and_their_signs():
  non_saturating = losses.gan_generator_loss(FAKE_LOGITS, "non_saturating")
  minimax = losses.gan_generator_loss(FAKE_LOGITS, "minimax")
  assert float(non_saturating) == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2, rel=1e-6)
  assert float(minimax) == pytest.approx((math.log(0.5) + math.log(0.75)) / 2, rel=1e-6)
  # Both fall as the discriminator believes the fakes more (larger fake logits).
  for kind in ("non_saturating", "minimax"):
    grad = jax.grad(lambda l, kind=kind: losses.gan_generator_loss(l, kind))(FAKE_LOGITS)
    assert np.all(np.asarray(grad) < 0)
  # The minimax loss saturates where D rejects the fakes; the non-saturating one does not.
  confident = jnp.array([-10.0])
  minimax_grad = jax.grad(lambda l: losses.gan_generator_loss(l, "minimax"))(confident)
  assert abs(float(minimax_grad[0])) < 1e-4
  assert float(jax.grad(losses.gan_generator_loss)(confident)[0]) == pytest.approx(-1.0, abs=1e-4)


def test_js_estimate_is_zero_at_equal_distributions_and_log2_when_separated():
  even = losses.gan_discriminator_loss(jnp.zeros(4), jnp.zeros(4))  # D = 1/2 everywhere
  assert float(losses.js_estimate(even)) == pytest.approx(0.0, abs=1e-6)
  perfect = losses.gan_discriminator_loss(jnp.full(4, 40.0), jnp.full(4, -40.0))
  assert float(losses.js_estimate(perfect)) == pytest.approx(LOG2, abs=1e-6)


def test_interpolate_uses_one_epsilon_per_example():
  real, fake = jnp.ones((2, 3, 3, 1)), jnp.zeros((2, 3, 3, 1))
  x_hat = losses.interpolate(real, fake, jnp.array([0.25, 1.0]))
  np.testing.assert_array_equal(x_hat[0], 0.25)
  np.testing.assert_array_equal(x_hat[1], 1.0)


@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 2, 1)])
def test_gradient_penalty_of_a_linear_critic_is_lambda_times_norm_minus_one_squared(shape):
  keys = jax.random.split(jax.random.key(0), 4)
  w = jax.random.normal(keys[0], shape[1:])
  critic = lambda x: jnp.sum((x * w[None]).reshape(x.shape[0], -1), axis=1) + 0.3
  real, fake = jax.random.normal(keys[1], shape), jax.random.normal(keys[2], shape)
  eps = jax.random.uniform(keys[3], shape[:1])
  want = 10.0 * (float(jnp.linalg.norm(w)) - 1.0) ** 2
  penalty = jax.jit(lambda: losses.gradient_penalty(critic, real, fake, eps, 10.0))
  assert float(penalty()) == pytest.approx(want, rel=1e-5)
  # d/dw of lambda (|w| - 1)^2 is 2 lambda (|w| - 1) w / |w|.
  grad_w = jax.jit(
    jax.grad(
      lambda w: losses.gradient_penalty(
        lambda x: jnp.sum((x * w[None]).reshape(x.shape[0], -1), axis=1), real, fake, eps, 10.0
      )
    )
  )(w)
  norm = jnp.linalg.norm(w)
  np.testing.assert_allclose(grad_w, 20.0 * (norm - 1.0) * w / norm, rtol=1e-5)


def _tanh_critic(params, x_Bx2):
  return jnp.tanh(x_Bx2 @ params["a"]) @ params["b"]


def test_gradient_penalty_matches_finite_differences():
  with jax.enable_x64(True):
    keys = jax.random.split(jax.random.key(1), 5)
    params = {
      "a": jax.random.normal(keys[0], (2, 7), jnp.float64),
      "b": jax.random.normal(keys[1], (7,), jnp.float64),
    }
    real = jax.random.normal(keys[2], (4, 2), jnp.float64)
    fake = jax.random.normal(keys[3], (4, 2), jnp.float64)
    eps_B = jax.random.uniform(keys[4], (4,), jnp.float64)
    penalty = jax.jit(  # jitted: op by op this test compiled some 80 small programs
      lambda p: losses.gradient_penalty(lambda x: _tanh_critic(p, x), real, fake, eps_B, 10.0)
    )
    # The value: per-example input gradients by central differences.
    x_hat, h = losses.interpolate(real, fake, eps_B), 1e-6
    f = jax.jit(lambda x: _tanh_critic(params, x))
    numeric = np.stack(
      [(f(x_hat + h * e[None]) - f(x_hat - h * e[None])) / (2 * h) for e in np.eye(2)], axis=1
    )
    want = 10.0 * np.mean((np.linalg.norm(numeric, axis=1) - 1.0) ** 2)
    assert float(penalty(params)) == pytest.approx(want, rel=1e-7)
    # The gradient in the critic's params (double backprop): a directional finite difference.
    direction = jax.tree.map(
      lambda x: jax.random.normal(jax.random.key(2), x.shape, x.dtype), params
    )
    step = lambda t: jax.tree.map(lambda p, d: p + t * d, params, direction)
    numeric_dir = (penalty(step(h)) - penalty(step(-h))) / (2 * h)
    grads = jax.jit(jax.grad(penalty))(params)
    analytic_dir = sum(
      jnp.sum(g * d) for g, d in zip(jax.tree.leaves(grads), jax.tree.leaves(direction))
    )
    assert float(analytic_dir) == pytest.approx(float(numeric_dir), rel=1e-6)


def test_gradient_penalty_of_a_flat_critic_is_lambda_with_a_finite_gradient():
  critic = lambda w: lambda x: w * jnp.zeros(x.shape[0])
  x = jnp.ones((3, 2))
  value, grad = jax.value_and_grad(
    lambda w: losses.gradient_penalty(critic(w), x, -x, jnp.full(3, 0.5), 10.0)
  )(1.0)
  assert float(value) == pytest.approx(10.0) and np.isfinite(float(grad))


def test_began_discriminator_loss_by_hand():
  recon_real, recon_fake = jnp.array([0.1, 0.3]), jnp.array([0.2, 0.4])
  assert float(losses.began_discriminator_loss(recon_real, recon_fake, 0.5)) == pytest.approx(
    0.2 - 0.5 * 0.3
  )
