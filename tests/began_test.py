"""BEGAN: its networks, k_t and M_global by hand and through the train step, the learning-rate
plateau and its floor, and the train step as its parts."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import began, models, objectives, optim, steps
from wgan_jax import state as state_lib

SPEC = objectives.make("began", began_lambda_k=0.1)
# Jitted once for the module, so tests that share shapes share the compiled step.
train_step = jax.jit(steps.train_step, static_argnames="loss")
critic_step = jax.jit(steps.critic_step, static_argnames="loss")
generator_step = jax.jit(steps.generator_step, static_argnames=("batch_size", "loss"))


def conv_nets(size=16):
  return (
    began.BEGANGenerator(image_size=size, channels=1, filters=4, nz=8),
    began.BEGANDiscriminator(image_size=size, channels=1, filters=4, embedding=8),
  )


@functools.cache
def point_state(spec=SPEC, lr=1e-3):
  return state_lib.create_state(
    jax.random.key(0),
    generator=models.MLPGenerator(width=16, nz=4, num_hidden=2, output_shape=(2,)),
    critic=began.MLPAutoencoderCritic(width=16),
    generator_tx=optim.make_optimizer("adam", lr),
    critic_tx=optim.make_optimizer("adam", lr),
    data_shape=(2,),
    nz=4,
    loss=spec,
  )


def points(n, b=16, seed=1):
  return jax.random.normal(jax.random.key(seed), (n, b, 2))


def test_num_scales_and_bad_sizes():
  assert [began.num_scales(s) for s in (8, 16, 32, 64, 128)] == [1, 2, 3, 4, 5]
  for bad in (4, 24, 48):
    with pytest.raises(ValueError, match="8 \\* 2\\^k"):
      began.num_scales(bad)


def test_conv_nets_shapes_and_no_batch_norm():
  generator, critic = conv_nets()
  g_vars = jax.eval_shape(generator.init, jax.random.key(0), jnp.zeros((2, 8)))
  c_vars = jax.eval_shape(critic.init, jax.random.key(1), jnp.zeros((2, 16, 16, 1)))
  assert set(g_vars) == set(c_vars) == {"params"}
  x = jax.eval_shape(generator.apply, g_vars, jnp.zeros((3, 8)))
  assert x.shape == (3, 16, 16, 1)
  assert jax.eval_shape(critic.apply, c_vars, x).shape == (3,)
  assert (
    jax.eval_shape(functools.partial(critic.apply, method="reconstruct"), c_vars, x).shape
    == x.shape
  )
  # Encoder filters n, 2n at the two scales, a stride-2 conv between them; the embedding is 8.
  enc = c_vars["params"]["encoder"]
  assert [enc[f"Conv_{i}"]["kernel"].shape[-1] for i in range(6)] == [4, 4, 4, 8, 8, 8]
  assert enc["Dense_0"]["kernel"].shape == (8 * 8 * 8, 8)
  assert c_vars["params"]["decoder"]["Dense_0"]["kernel"].shape == (8, 8 * 8 * 4)


def test_conv_critic_scores_each_example_by_its_l1_reconstruction_error():
  _, critic = conv_nets(size=8)
  x = jax.random.uniform(jax.random.key(2), (3, 8, 8, 1), minval=-1)
  c_vars = jax.jit(critic.init)(jax.random.key(1), x)
  score_and_recon = jax.jit(
    lambda x: (critic.apply(c_vars, x), critic.apply(c_vars, x, method="reconstruct"))
  )
  score, recon = score_and_recon(x)
  np.testing.assert_allclose(score, jnp.mean(jnp.abs(x - recon), axis=(1, 2, 3)), rtol=1e-6)
  # One score per example, independent of the rest of the batch.
  np.testing.assert_allclose(score_and_recon(x.at[1:].set(0.0))[0][0], score[0], rtol=1e-6)


def test_conv_train_step_runs_with_uniform_noise_and_logs_began_metrics():
  generator, critic = conv_nets(size=8)
  s = state_lib.create_state(
    jax.random.key(0),
    generator=generator,
    critic=critic,
    generator_tx=optim.make_optimizer("adam", 1e-4),
    critic_tx=optim.make_optimizer("adam", 1e-4),
    data_shape=(8, 8, 1),
    nz=8,
    loss=SPEC,
  )
  real = jax.random.uniform(jax.random.key(1), (1, 4, 8, 8, 1), minval=-1)
  s, m = train_step(s, real, jax.random.key(2), loss=SPEC)
  assert {"k_t", "m_global", "recon_real", "recon_fake", "lr_scale"} <= set(m)
  assert all(np.isfinite(float(v)) for v in m.values())
  assert int(s.step) == 1 and int(s.critic.step) == 1


def test_k_update_clip_and_convergence_by_hand():
  # k + lambda_k (gamma L(x) - L(G)) = 0.5 + 0.1 (0.5 * 0.2 - 0.05).
  k = began.k_update(jnp.float32(0.5), 0.2, 0.05, gamma=0.5, lambda_k=0.1)
  assert float(k) == pytest.approx(0.505)
  assert float(began.k_update(jnp.float32(0.999), 0.2, 0.05, gamma=0.5, lambda_k=1.0)) == 1.0
  assert float(began.k_update(jnp.float32(0.001), 0.2, 0.3, gamma=0.5, lambda_k=1.0)) == 0.0
  # M = L(x) + |gamma L(x) - L(G)|, on both sides of the equilibrium.
  assert float(began.convergence(0.2, 0.05, gamma=0.5)) == pytest.approx(0.25)
  assert float(began.convergence(0.2, 0.3, gamma=0.5)) == pytest.approx(0.4)


def test_k_t_and_m_global_follow_the_formulas_through_train_step():
  s = point_state()
  k = 0.0
  for i in range(4):
    s, m = train_step(s, points(1, seed=i), jax.random.key(3), loss=SPEC)
    lx, lg = float(m["critic_real"]), float(m["generator_loss"])
    assert float(m["recon_real"]) == lx and float(m["recon_fake"]) == lg
    k = min(max(k + 0.1 * (0.5 * lx - lg), 0.0), 1.0)
    assert float(s.balance.k_t) == pytest.approx(k, rel=1e-5, abs=1e-7)
    assert float(m["k_t"]) == float(s.balance.k_t)
    assert float(m["m_global"]) == pytest.approx(lx + abs(0.5 * lx - lg), rel=1e-6)


def test_k_t_weighs_the_fake_term_of_the_critic_loss():
  s = point_state()
  s = s.replace(balance=s.balance.replace(k_t=jnp.float32(0.25)))
  _, m = critic_step(s, points(1)[0], jax.random.key(0), loss=SPEC)
  assert float(m["critic_loss"]) == pytest.approx(
    float(m["critic_real"]) - 0.25 * float(m["critic_fake"]), rel=1e-6
  )


def test_learning_rate_halves_on_a_plateau_down_to_its_floor():
  spec = objectives.make("began", began_lr_window=2, began_lr_patience=1, began_lr_min_scale=0.25)
  balance = spec.init_state()
  scales = []
  for m in [1.0, 1.0, 0.5, 0.5] + [0.6] * 8:  # windows: 1.0 (best), 0.5 (best), then stalls
    balance, metrics = spec.end_of_iteration(
      balance, {"critic_real": jnp.float32(m), "generator_loss": jnp.float32(0.5 * m)}
    )
    scales.append(float(metrics["lr_scale"]))
  assert scales == [1.0] * 5 + [0.5] * 2 + [0.25] * 5


def test_the_scale_multiplies_both_players_updates():
  s0 = point_state()
  halved = s0.replace(
    balance=s0.balance.replace(plateau=s0.balance.plateau._replace(scale=jnp.float32(0.5)))
  )
  critic = lambda s: critic_step(s, points(1)[0], jax.random.key(4), loss=SPEC)[0]
  generator = lambda s: generator_step(s, jax.random.key(4), 16, loss=SPEC)[0]
  for player, step in (("critic", critic), ("generator", generator)):
    delta = lambda s, p=player: jax.tree.map(
      lambda a, b: a - b, getattr(step(s), p).params, getattr(s0, p).params
    )
    # Adam's moments do not depend on the step size, so the update halves.
    jax.tree.map(
      lambda a, b: np.testing.assert_allclose(a, 0.5 * b, rtol=1e-5, atol=2e-7),
      delta(halved),
      delta(s0),
    )


def test_train_step_is_critic_updates_generator_update_then_the_balance():
  s0, real, key = point_state(), points(2), jax.random.key(5)
  whole, m_whole = train_step(s0, real, key, loss=SPEC)
  critic_root, generator_key = jax.random.split(jax.random.fold_in(key, s0.step))
  part = s0
  for i in range(2):
    part, m_critic = critic_step(part, real[i], jax.random.fold_in(critic_root, i), loss=SPEC)
  part, m_generator = generator_step(part, generator_key, 16, loss=SPEC)
  balance, m_part = SPEC.end_of_iteration(part.balance, {**m_critic, **m_generator})
  part = part.replace(balance=balance)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), whole, part)
  assert float(m_whole["k_t"]) == float(m_part["k_t"])


def test_began_needs_its_balance_and_only_began_has_one():
  s = point_state()
  with pytest.raises(ValueError, match="balance"):
    steps.train_step(s.replace(balance=None), points(1), jax.random.key(0), loss=SPEC)
  with pytest.raises(ValueError, match="balance"):
    steps.train_step(s, points(1), jax.random.key(0), loss=objectives.make("gan"))
