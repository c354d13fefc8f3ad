"""flax's layers and XLA:CPU's forms of them build the same networks: identical parameter trees,
equal outputs, gradients and batch statistics; a checkpoint of one runs in the other. And the one
place that chooses between them."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import base
from wgan_jax import began, checkpoint, kernels, models, recipe, steps

FLAX, XLA_CPU = kernels.FLAX_LAYERS, kernels.XLA_CPU_LAYERS

_NOISE, _IMAGES_16, _IMAGES_48 = (5, 8), (5, 16, 16, 3), (5, 48, 48, 3)
_NETS = {  # name: (the network for a layer set, input shape)
  "generator": (lambda l: models.DCGANGenerator(image_size=16, width=4, nz=8, layers=l), _NOISE),
  "generator_nobn": (
    lambda l: models.DCGANGenerator(image_size=16, width=4, nz=8, batch_norm=False, layers=l),
    _NOISE,
  ),
  "generator_constant": (
    lambda l: models.DCGANGenerator(
      image_size=16, width=4, nz=8, constant_filters=True, batch_norm=False, layers=l
    ),
    _NOISE,
  ),
  "generator_48_extra": (
    lambda l: models.DCGANGenerator(image_size=48, width=4, nz=8, n_extra_layers=1, layers=l),
    _NOISE,
  ),
  "critic": (lambda l: models.DCGANCritic(image_size=16, width=4, layers=l), _IMAGES_16),
  "critic_nobn": (
    lambda l: models.DCGANCritic(image_size=16, width=4, norm="none", layers=l),
    _IMAGES_16,
  ),
  "critic_layernorm": (
    lambda l: models.DCGANCritic(image_size=16, width=4, norm="layer", layers=l),
    _IMAGES_16,
  ),
  "critic_48_extra": (
    lambda l: models.DCGANCritic(image_size=48, width=4, n_extra_layers=1, layers=l),
    _IMAGES_48,
  ),
  "began_generator": (
    lambda l: began.BEGANGenerator(image_size=16, filters=4, nz=8, layers=l),
    _NOISE,
  ),
  "began_discriminator": (
    lambda l: began.BEGANDiscriminator(image_size=16, filters=4, embedding=8, layers=l),
    _IMAGES_16,
  ),
  "generator_bfloat16": (
    lambda l: models.DCGANGenerator(image_size=16, width=4, nz=8, dtype=jnp.bfloat16, layers=l),
    _NOISE,
  ),
  "critic_bfloat16": (
    lambda l: models.DCGANCritic(image_size=16, width=4, dtype=jnp.bfloat16, layers=l),
    _IMAGES_16,
  ),
}


def _vjp(net, variables, x, cotangent):
  """(output, updated batch statistics) and the gradients of `<output, cotangent>` plus a
  weighted sum of the statistics, in the parameters and the input."""

  def run(params, x):
    y, updates = net.apply({**variables, "params": params}, x, mutable=["batch_stats"])
    return y, updates.get("batch_stats", {})

  (y, new_stats), vjp = jax.vjp(run, variables["params"], x)
  stats_cotangent = jax.tree.map(
    lambda s: jnp.linspace(-1.0, 1.0, s.size).reshape(s.shape), new_stats
  )
  return y, new_stats, vjp((cotangent, stats_cotangent))


@pytest.mark.parametrize("name", list(_NETS))
def test_both_forms_same_parameters_outputs_gradients_and_statistics(name):
  make, shape = _NETS[name]
  x = jax.random.uniform(jax.random.key(0), shape, minval=-1.0, maxval=1.0)
  # Jitted, as training initializes: one program per form, not one per parameter shape.
  variables = jax.jit(make(FLAX).init)(jax.random.key(1), x)
  variables_cpu = jax.jit(make(XLA_CPU).init)(jax.random.key(1), x)
  # Identical trees: paths, shapes, dtypes and the values init draws.
  assert jax.tree.structure(variables_cpu) == jax.tree.structure(variables)
  for got, want in zip(jax.tree.leaves(variables_cpu), jax.tree.leaves(variables)):
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
  y_ref = jax.eval_shape(lambda v: make(FLAX).apply(v, x, mutable=["batch_stats"])[0], variables)
  cotangent = jax.random.normal(jax.random.key(2), y_ref.shape)
  flax_out = jax.jit(functools.partial(_vjp, make(FLAX)))(variables, x, cotangent)
  cpu_out = jax.jit(functools.partial(_vjp, make(XLA_CPU)))(variables, x, cotangent)
  for got, want in zip(jax.tree.leaves(cpu_out), jax.tree.leaves(flax_out)):
    assert got.dtype == want.dtype and got.shape == want.shape
    got, want = np.asarray(got, np.float32), np.asarray(want, np.float32)
    if "bfloat16" in name:
      # Sums in other orders, rounded to 8 bits: gradients differ by up to 3.4% (in norm) between
      # the forms, where each differs from the float32 network's by up to 10%.
      assert np.linalg.norm(got - want) <= 5e-2 * np.linalg.norm(want)
    else:
      scale = max(float(np.max(np.abs(want))), 1e-3)
      np.testing.assert_allclose(got / scale, want / scale, rtol=1e-4, atol=1e-5)
  # Compared: output, statistics, input gradient and every parameter's gradient.
  assert len(jax.tree.leaves(flax_out)) == 2 + len(jax.tree.leaves(variables))


def test_each_form_runs_its_own_computation():
  """A test that could fail: the XLA:CPU set really computes through its custom VJPs and matrix
  products, flax's through `lax` convolutions only."""
  make, shape = _NETS["generator"]
  z = jnp.ones(shape)
  variables = make(FLAX).init(jax.random.key(0), z)
  jaxpr = lambda layers: str(
    jax.make_jaxpr(lambda v: make(layers).apply(v, z, mutable=["batch_stats"]))(variables)
  )
  assert "custom_vjp_call" not in jaxpr(FLAX) and "dot_general" not in jaxpr(FLAX)
  assert "custom_vjp_call" in jaxpr(XLA_CPU) and "dot_general" in jaxpr(XLA_CPU)


def _recipe(kernel_choice, loss="wgan"):
  config = base.get_config(loss)
  config.update(
    image_size=16, channels=1, width_g=4, width_d=4, batch_size=4, kernels=kernel_choice
  )
  return recipe.build(config, (16, 16, 1))


@pytest.mark.parametrize("loss", ["wgan", "began"])
def test_a_checkpoint_of_one_form_restores_and_trains_in_the_other(tmp_path, loss):
  """As a state trained on a TPU (flax's layers) restores on a laptop (XLA:CPU's)."""
  trained_with, restored_with = _recipe("flax", loss), _recipe("xla_cpu", loss)
  state = jax.jit(trained_with.create_state)(jax.random.key(0))  # as training does (one program)
  manager = checkpoint.make_manager(str(tmp_path), max_to_keep=1)
  checkpoint.save(manager, state)
  manager.wait_until_finished()
  restored = checkpoint.restore_latest(
    manager, jax.eval_shape(restored_with.create_state, jax.random.key(0))
  )
  manager.close()
  assert restored.generator.apply_fn == restored_with.generator.apply
  for got, want in zip(jax.tree.leaves(restored), jax.tree.leaves(state), strict=True):
    np.testing.assert_array_equal(got, want)
  real = jax.random.uniform(jax.random.key(1), (2, 4, 16, 16, 1), minval=-1.0, maxval=1.0)
  step = lambda r, s: jax.jit(functools.partial(steps.train_step, loss=r.loss))(
    s, real, jax.random.key(2)
  )
  after, metrics = step(restored_with, restored)
  after_ref, metrics_ref = step(trained_with, state)
  jax.tree.map(
    functools.partial(np.testing.assert_allclose, rtol=1e-4, atol=1e-6),
    (after.generator.params, after.critic.params, metrics),
    (after_ref.generator.params, after_ref.critic.params, metrics_ref),
  )
  z = jax.random.normal(jax.random.key(3), (6, trained_with.nz))
  sample = jax.jit(
    lambda s: s.generator.apply_fn(
      {"params": s.generator.params, "batch_stats": s.generator.batch_stats},
      z,
      mutable=["batch_stats"],
    )[0]
  )
  np.testing.assert_allclose(sample(restored), sample(state), rtol=1e-4, atol=1e-5)


def test_auto_picks_xla_cpu_on_cpu_and_flax_elsewhere():
  assert kernels.layers_for("auto", "cpu") is XLA_CPU
  assert kernels.layers_for("auto", "gpu") is FLAX and kernels.layers_for("auto", "tpu") is FLAX
  assert kernels.layers_for("flax", "cpu") is FLAX
  assert kernels.layers_for("xla_cpu", "tpu") is XLA_CPU
  assert kernels.layers_for() is (XLA_CPU if jax.default_backend() == "cpu" else FLAX)


@pytest.mark.parametrize(
  "network, x",
  [
    (models.DCGANCritic(image_size=16, width=4), np.zeros((2, 16, 16, 3), np.float32)),
    (models.DCGANGenerator(image_size=16, width=4, nz=8), np.zeros((2, 8), np.float32)),
    (began.BEGANDiscriminator(image_size=16, filters=4, embedding=8), np.zeros((2, 16, 16, 3))),
  ],
  ids=["dcgan_critic", "dcgan_generator", "began_discriminator"],
)
def test_a_network_built_without_layers_runs_the_backends_own(network, x):
  """A library user's `DCGANCritic()` traces to the program of `layers=kernels.layers_for()`
  (on CPU XLA:CPU's forms: flax's run as generic loops there, ~10x slower in the critic's scan),
  not to flax's own."""
  trace = lambda net: str(jax.make_jaxpr(lambda v: net.apply(v, x, mutable=True))(variables))
  variables = network.init(jax.random.PRNGKey(0), x)
  default = trace(network)
  assert default == trace(network.clone(layers=kernels.layers_for()))
  if jax.default_backend() == "cpu":
    assert default != trace(network.clone(layers=FLAX))


def test_the_config_field_reaches_every_convolutional_network():
  for loss in ("wgan", "began"):
    for choice, layers in (("auto", kernels.layers_for()), ("flax", FLAX), ("xla_cpu", XLA_CPU)):
      r = _recipe(choice, loss)
      assert r.generator.layers is layers and r.critic.layers is layers
  config = base.get_config()
  config.kernels = "cudnn"
  with pytest.raises(ValueError, match="--config.kernels=cudnn is not one of auto, xla_cpu, flax"):
    recipe.build(config, (64, 64, 3))
