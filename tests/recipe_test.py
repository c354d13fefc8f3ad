"""Config -> networks and optimizers: the paper's defaults and one-line refusals."""

import jax.numpy as jnp
import pytest

from experiments.configs import base
from wgan_jax import models, recipe
from wgan_jax.errors import ConfigError


def test_paper_defaults():
  r = recipe.build(base.get_config(), (64, 64, 3))
  assert isinstance(r.generator, models.DCGANGenerator) and r.generator.batch_norm
  assert isinstance(r.critic, models.DCGANCritic) and r.clip_value == 0.01
  assert [r.schedule.at(s) for s in (0, 25, 500)] == [100, 5, 100]
  assert r.loss.name == "wgan"


@pytest.mark.parametrize(
  "field,value",
  [("generator", "resnet"), ("critic", "vit"), ("optimizer", "sgd"), ("loss", "lsgan")],
)
def test_unknown_choices_are_refused(field, value):
  c = base.get_config()
  c[field] = value
  with pytest.raises(ConfigError, match=f"--config.{field}={value} is not one of"):
    recipe.build(c, (64, 64, 3))


def test_points_need_mlp_nets_and_clip_is_wgan_only():
  c = base.get_config()
  c.dataset = "ring8"
  with pytest.raises(ConfigError, match="needs --config.generator=mlp"):
    recipe.build(c, (2,))
  c = base.get_config("wgan_gp")
  c.clip_value = 0.01
  with pytest.raises(ConfigError, match="clip_value=0.01 is WGAN's"):
    recipe.build(c, (64, 64, 3))


def test_warmup_lengths_are_config_fields():
  c = base.get_config()
  c.warmup_steps, c.warmup_every, c.warmup_n_critic = 2, 0, 7
  assert [recipe.build(c, (64, 64, 3)).schedule.at(s) for s in (0, 1, 2, 500)] == [7, 7, 5, 5]
  c.critic_warmup = False
  assert recipe.build(c, (64, 64, 3)).schedule.at(0) == 5


def test_compute_dtype_reaches_the_dcgan_nets_and_is_refused_elsewhere():
  c = base.get_config()
  c.compute_dtype = "bfloat16"
  r = recipe.build(c, (64, 64, 3))
  assert r.generator.dtype == jnp.bfloat16 and r.critic.dtype == jnp.bfloat16
  c.generator = "mlp"
  with pytest.raises(ConfigError, match="DCGAN networks only, not 'mlp'"):
    recipe.build(c, (64, 64, 3))
  c.generator, c.compute_dtype = "dcgan", "float16"
  with pytest.raises(ConfigError, match="--config.compute_dtype=float16 is not one of"):
    recipe.build(c, (64, 64, 3))
