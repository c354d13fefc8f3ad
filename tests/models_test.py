"""Models: the official code's parameter counts, shapes, init statistics, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import models


def _variables(module, x):
  return jax.eval_shape(module.init, jax.random.key(0), x)


@pytest.mark.parametrize(
  "size,gen_count,critic_count", [(64, 3_576_704, 2_765_568), (32, 1_068_928, 663_296)]
)
def test_dcgan_param_counts_equal_official_code(size, gen_count, critic_count):
  g = _variables(models.DCGANGenerator(image_size=size), jnp.zeros((2, 100)))
  c = _variables(models.DCGANCritic(image_size=size), jnp.zeros((2, size, size, 3)))
  assert models.count_params(g["params"]) == gen_count
  assert models.count_params(c["params"]) == critic_count


def test_no_bn_generator_has_no_batch_norm_and_fewer_params():
  with_bn = _variables(models.DCGANGenerator(image_size=32), jnp.zeros((2, 100)))
  without = _variables(models.DCGANGenerator(image_size=32, batch_norm=False), jnp.zeros((2, 100)))
  assert "batch_stats" not in without
  # BN adds scale and bias per channel: 2 * (256 + 128 + 64) at 32x32.
  assert models.count_params(with_bn["params"]) - models.count_params(without["params"]) == 896


def test_constant_filter_generator_uses_width_everywhere():
  v = _variables(
    models.DCGANGenerator(image_size=32, batch_norm=False, constant_filters=True, width=48),
    jnp.zeros((2, 100)),
  )
  kernels = sorted(x.shape for x in jax.tree.leaves(v["params"]))
  assert kernels == sorted([(4, 4, 48, 100), (4, 4, 48, 48), (4, 4, 48, 48), (4, 4, 3, 48)])


@pytest.mark.parametrize("size,channels,extra", [(16, 1, 0), (32, 3, 1), (48, 3, 0), (64, 1, 2)])
def test_dcgan_shapes_any_multiple_of_16(size, channels, extra):
  g = models.DCGANGenerator(image_size=size, channels=channels, n_extra_layers=extra, width=8)
  c = models.DCGANCritic(image_size=size, channels=channels, n_extra_layers=extra, width=8)

  @jax.jit  # one program: op by op, each size compiled some 60 of its own
  def generate_and_score(z):
    x, _ = g.apply(g.init(jax.random.key(1), z), z, mutable=["batch_stats"])
    return x, c.apply(c.init(jax.random.key(2), x), x, mutable=["batch_stats"])[0]

  x, out = generate_and_score(jax.random.normal(jax.random.key(0), (3, 100)))
  assert x.shape == (3, size, size, channels)
  assert float(jnp.max(jnp.abs(x))) <= 1.0  # tanh
  assert out.shape == (3,)


def test_image_size_not_multiple_of_16_is_refused():
  with pytest.raises(ValueError, match="multiple of 16"):
    models.DCGANCritic(image_size=40).init(jax.random.key(0), jnp.zeros((2, 40, 40, 3)))


def test_dcgan_init_statistics():
  # Jitted, as training initializes (one program, not some 80 op by op).
  v = jax.jit(models.DCGANGenerator(image_size=64).init)(jax.random.key(0), jnp.zeros((2, 100)))
  flat = {
    "/".join(str(k.key) for k in path): x
    for path, x in jax.tree_util.tree_leaves_with_path(v["params"])
  }
  kernel = np.concatenate([np.ravel(x) for k, x in flat.items() if k.endswith("kernel")])
  scale = np.concatenate([np.ravel(x) for k, x in flat.items() if k.endswith("scale")])
  bias = np.concatenate([np.ravel(x) for k, x in flat.items() if k.endswith("bias")])
  assert abs(kernel.std() - 0.02) < 1e-3 and abs(kernel.mean()) < 1e-4
  assert abs(scale.mean() - 1) < 3e-3 and abs(scale.std() - 0.02) < 3e-3
  assert np.all(bias == 0)


def test_mlp_init_is_pytorch_default_uniform():
  v = models.MLPCritic(width=512).init(jax.random.key(0), jnp.zeros((2, 8, 8, 1)))
  k, b = v["params"]["Dense_1"]["kernel"], v["params"]["Dense_1"]["bias"]
  bound = 1 / np.sqrt(512)
  for x in (k, b):
    assert float(jnp.max(jnp.abs(x))) <= bound
    assert float(jnp.max(jnp.abs(x))) > 0.95 * bound  # uniform, not a narrow normal


def test_mlp_shapes_and_no_tanh():
  g = models.MLPGenerator(image_size=16, channels=1, width=32, nz=10)
  z = 100 * jnp.ones((4, 10))
  v = g.init(jax.random.key(0), z)
  x = g.apply(v, z)
  assert x.shape == (4, 16, 16, 1) and float(jnp.max(jnp.abs(x))) > 1  # linear output
  pts = models.MLPGenerator(output_shape=(2,), nz=2, width=16)
  assert pts.apply(pts.init(jax.random.key(0), z[:, :2]), z[:, :2]).shape == (4, 2)
  c = models.MLPCritic(width=16)
  assert c.apply(c.init(jax.random.key(0), x), x).shape == (4,)


def test_critic_bn_uses_batch_statistics():
  """Training-mode batch norm: a per-channel shift of the whole batch changes nothing after BN."""
  c = models.DCGANCritic(image_size=16, channels=1, width=4)
  x = jax.random.normal(jax.random.key(0), (8, 16, 16, 1))
  v = c.init(jax.random.key(1), x)
  out1, _ = c.apply(v, x, mutable=["batch_stats"])
  out2, _ = c.apply(v, x[::-1], mutable=["batch_stats"])
  np.testing.assert_allclose(out1[::-1], out2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
  "kind,option",
  [
    ("critic", "batch"),
    ("critic", "layer"),
    ("critic", "none"),
    ("generator", True),
    ("generator", False),
  ],
)
def test_bfloat16_compute_float32_parameters_and_outputs(kind, option):
  """Mixed precision: the convolutions run in bfloat16; parameters (the same values as float32's),
  images and scores stay float32 and within bfloat16 rounding of the float32 network's."""
  if kind == "critic":
    make = lambda dtype: models.DCGANCritic(
      image_size=16, channels=1, width=8, norm=option, dtype=dtype
    )
    x = jax.random.uniform(jax.random.key(0), (6, 16, 16, 1), minval=-1, maxval=1)
  else:
    make = lambda dtype: models.DCGANGenerator(
      image_size=16, channels=1, width=8, nz=8, batch_norm=option, dtype=dtype
    )
    x = jax.random.normal(jax.random.key(0), (6, 8))
  # Jitted, one program each (op by op, each case compiled some 100 small ones).
  init = lambda dtype: jax.jit(make(dtype).init)(jax.random.key(1), x)
  variables = init(jnp.float32)
  jax.tree.map(np.testing.assert_array_equal, init(jnp.bfloat16), variables)
  run = jax.jit(
    lambda dtype, v: make(dtype).apply(v, x, mutable=["batch_stats"])[0], static_argnums=0
  )
  y32, y16 = run(jnp.float32, variables), run(jnp.bfloat16, variables)
  assert y16.dtype == jnp.float32 and y16.shape == y32.shape
  scale = float(jnp.max(jnp.abs(y32)))
  np.testing.assert_allclose(y16, y32, atol=0.03 * scale)
  assert float(jnp.max(jnp.abs(y16 - y32))) > 1e-6 * scale  # really computed in bfloat16
  hlo = run.lower(jnp.bfloat16, variables).as_text()
  assert "bf16" in hlo.split("convolution")[1][:400]
  grads = jax.jit(
    jax.grad(
      lambda p: jnp.sum(
        make(jnp.bfloat16).apply({**variables, "params": p}, x, mutable=["batch_stats"])[0]
      )
    )
  )(variables["params"])
  assert {g.dtype for g in jax.tree.leaves(grads)} == {jnp.dtype(jnp.float32)}
