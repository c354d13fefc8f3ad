"""Config -> networks and optimizers: the paper's defaults and one-line refusals."""
import jax.numpy as jnp
import pytest

from experiments.configs import base
from wgan_jax import models, recipe


def test_paper_defaults():
  r = recipe.build(base.get_config(), (64, 64, 3))
  assert isinstance(r.generator, models.DCGANGenerator) and r.generator.batch_norm
  assert isinstance(r.critic, models.DCGANCritic) and r.clip_value == 0.01
  assert [r.schedule.at(s) for s in (0, 25, 500)] == [100, 5, 100]
  assert r.loss.name == "wgan"


@pytest.mark.parametrize("field,value,match", [
    ("generator", "resnet", "unknown generator"), ("critic", "vit", "unknown critic"),
    ("optimizer", "sgd", "unknown optimizer"), ("loss", "lsgan", "unknown loss")])
def test_unknown_choices_are_refused(field, value, match):
  c = base.get_config()
  c[field] = value
  with pytest.raises(ValueError, match=match):
    recipe.build(c, (64, 64, 3))


def test_points_need_mlp_nets_and_clip_is_wgan_only():
  with pytest.raises(ValueError, match="2-D data needs generator='mlp'"):
    recipe.build(base.get_config(), (2,))
  c = base.get_config("wgan_gp")
  c.clip_value = 0.01
  with pytest.raises(ValueError, match="clip_value=0.01 is WGAN's"):
    recipe.build(c, (64, 64, 3))


def test_compute_dtype_reaches_the_dcgan_nets_and_is_refused_elsewhere():
  c = base.get_config()
  c.compute_dtype = "bfloat16"
  r = recipe.build(c, (64, 64, 3))
  assert r.generator.dtype == jnp.bfloat16 and r.critic.dtype == jnp.bfloat16
  c.generator = "mlp"
  with pytest.raises(ValueError, match="DCGAN networks only, not 'mlp'"):
    recipe.build(c, (64, 64, 3))
  c.generator, c.compute_dtype = "dcgan", "float16"
  with pytest.raises(ValueError, match="unknown compute_dtype 'float16'"):
    recipe.build(c, (64, 64, 3))
