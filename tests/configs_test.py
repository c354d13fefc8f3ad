"""Configs: one flag switches the method on every entry point, every field's domain and every
cross-field rule is checked before a run writes anything, in the command line's own terms."""

import math

import pytest
from absl import flags

from experiments import cli
from experiments.configs import base, digits, lsun, methods, mixture
from wgan_jax import config_check, recipe
from wgan_jax.errors import ConfigError

ENTRY_POINTS = {
  "digits_wgan": digits.get_config,
  "mixture_wgan": mixture.get_config,
  "lsun_wgan": lsun.get_config,
}


def parse(get_config, *args):
  """The config an entry point runs for `--workdir W *args`, parsed as absl parses it."""
  fv = flags.FlagValues()
  argv = ["prog", "--workdir", "W", *args]
  cli.define_flags(get_config, workdir_help="", argv=argv, flag_values=fv)
  fv(argv)
  return fv.config


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("loss", methods.NAMES)
def test_one_flag_switches_the_published_recipe_on_every_entry_point(entry, loss):
  c = parse(ENTRY_POINTS[entry], f"--config.loss={loss}")
  config_check.check(c)  # a valid run, as it stands
  points = entry == "mixture_wgan"
  published = {**methods.PUBLISHED[loss], **(methods.POINTS.get(loss, {}) if points else {})}
  assert c.loss == loss
  assert c.gp_weight == published.get("gp_weight", 10.0)
  assert (c.optimizer, c.beta1, c.beta2, c.n_critic) == (
    published["optimizer"],
    published["beta1"],
    published["beta2"],
    published["n_critic"],
  )
  assert c.clip_value == published["clip_value"]
  assert c.critic_warmup == (published["critic_warmup"] and entry != "mixture_wgan")
  if loss != "wgan" or entry == "lsun_wgan":  # the WGAN quickstarts keep their tuned rates
    assert c.lr_g == c.lr_d == published["lr"]
  assert c.generator == ("mlp" if points else published["generator"])
  assert (
    c.critic == ("began" if loss == "began" else "mlp")
    if points
    else (c.critic == published["critic"])
  )
  # The prior follows the objective: BEGAN's U[-1, 1]^nz.
  shape = (2,) if points else (c.image_size, c.image_size, c.channels)
  r = recipe.build(c, shape)
  assert r.loss.noise_prior == ("uniform" if loss == "began" else "normal")


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_fields_set_explicitly_win_over_the_method_recipe(entry):
  c = parse(
    ENTRY_POINTS[entry],
    "--config.lr_d=3e-4",
    "--config.loss=gan",
    "--config.n_critic=2",
    "--config.beta1=0.1",
  )
  assert (c.loss, c.optimizer, c.lr_d, c.lr_g, c.n_critic, c.beta1) == (
    "gan",
    "adam",
    3e-4,
    2e-4,
    2,
    0.1,
  )


def test_an_unknown_method_is_one_line_exit_2(capsys):
  with pytest.raises(SystemExit) as e:
    parse(digits.get_config, "--config.loss=lsgan")
  assert e.value.code == cli.EXIT_BAD_INPUT
  assert "--config.loss=lsgan: unknown loss 'lsgan'; use one of wgan, wgan_gp, gan, began" in (
    capsys.readouterr().err
  )


def test_the_last_loss_flag_counts_and_the_space_form_works():
  assert cli.config_for_argv(digits.get_config, ["p", "--config.loss", "gan"]).optimizer == "adam"
  assert (
    cli.config_for_argv(
      digits.get_config, ["p", "--config.loss=gan", "--config.loss=wgan"]
    ).optimizer
    == "rmsprop"
  )


@pytest.mark.parametrize(
  "field, value, expected",
  [
    ("lr_d", -2e-4, "--config.lr_d=-0.0002 must be a finite learning rate > 0"),
    ("lr_g", 0.0, "--config.lr_g=0.0 must be a finite learning rate > 0"),
    ("lr_g", math.inf, "--config.lr_g=inf must be a finite learning rate > 0"),
    ("lr_d", math.nan, "--config.lr_d=nan must be a finite"),
    ("lr_g", 1e39, "--config.lr_g=1e+39 must be a finite learning rate > 0"),  # inf in float32
    ("clip_value", -0.01, "--config.clip_value=-0.01 must be >= 0"),
    ("n_critic", 0, "--config.n_critic=0 must be an integer >= 1"),
    ("batch_size", 0, "--config.batch_size=0 must be an integer >= 1"),
    ("num_steps", 0, "--config.num_steps=0 must be an integer >= 1"),
    ("log_every", 0, "--config.log_every=0 must be an integer >= 1"),
    ("sample_every", -1, "--config.sample_every=-1 must be an integer >= 1"),
    ("checkpoint_every", 0, "--config.checkpoint_every=0 must be an integer >= 1"),
    ("keep_checkpoints", 0, "--config.keep_checkpoints=0 must be an integer >= 1"),
    ("num_samples", 0, "--config.num_samples=0 must be an integer >= 1"),
    ("nz", 0, "--config.nz=0 must be an integer >= 1"),
    ("width_d", 0, "--config.width_d=0 must be an integer >= 1"),
    ("n_extra_layers", -1, "--config.n_extra_layers=-1 must be an integer >= 0"),
    ("warmup_steps", -1, "--config.warmup_steps=-1 must be an integer >= 0"),
    ("seed", -3, "--config.seed=-3 must be an integer >= 0"),
    ("beta2", 1.0, "--config.beta2=1.0 must lie in [0, 1)"),
    ("gp_weight", -1.0, "--config.gp_weight=-1.0 must be >= 0"),
    ("began_gamma", 1.5, "--config.began_gamma=1.5 must lie in [0, 1]"),
    ("channels", 2, "--config.channels=2 is not supported"),
    ("image_size", 24, "--config.image_size=24 is not a multiple of 16 (>= 16)"),
    ("image_size", 0, "--config.image_size=0 is not a multiple of 16"),
    ("generator", "resnet", "--config.generator=resnet is not one of dcgan, dcgan_nobn"),
    ("critic", "vit", "--config.critic=vit is not one of"),
    ("optimizer", "sgd", "--config.optimizer=sgd is not one of rmsprop, adam"),
    ("loss", "lsgan", "--config.loss=lsgan is not one of wgan, wgan_gp, gan, began"),
    ("compute_dtype", "float16", "--config.compute_dtype=float16 is not one of float32"),
    ("dataset", "", "--config.dataset is empty"),
  ],
)
def test_every_field_is_checked_against_its_domain(field, value, expected):
  c = digits.get_config()
  c[field] = value
  with pytest.raises(ConfigError) as e:
    config_check.check(c)
  assert expected in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
  "changes, expected",
  [
    (
      dict(loss="wgan_gp", critic="dcgan", clip_value=0.0),
      "use --config.critic=dcgan_layernorm (WGAN-GP's choice)",
    ),
    (
      dict(loss="gan"),
      "--config.clip_value=0.01 is WGAN's weight clipping; set "
      "--config.clip_value=0 for --config.loss=gan",
    ),
    (dict(loss="began", clip_value=0.0), "--config.loss=began goes with --config.generator=began"),
    (dict(generator="began"), "--config.loss=began goes with"),
    (dict(dataset="ring8"), "2-D data (ring8) needs --config.generator=mlp"),
    (dict(dataset="ring8", generator="mlp"), "needs --config.critic=mlp, not 'dcgan'"),
    (dict(compute_dtype="bfloat16", generator="mlp"), "DCGAN networks only, not 'mlp'"),
    (dict(generator="mlp", critic="mlp", n_extra_layers=1), "DCGAN networks only; set it to 0"),
  ],
)
def test_rules_between_fields_name_the_flags_to_change(changes, expected):
  c = digits.get_config()
  c.update(changes)
  with pytest.raises(ConfigError, match=None) as e:
    config_check.check(c)
  assert expected in str(e.value), str(e.value)


def test_every_shipped_config_is_valid():
  for get_config in ENTRY_POINTS.values():
    for loss in methods.NAMES:
      for smoke in (False, True):
        config_check.check(get_config(loss, smoke=smoke))
  config_check.check(base.get_config())
