"""Every config field's domain and the rules between fields, checked before a run writes anything.

`check(config)` raises `ConfigError` with one line in the command line's own terms
(`--config.FIELD=VALUE`), so the fix is what the user types next. `recipe.build` and
`train.train_and_evaluate` call it first; the library below them keeps its own argument checks.
"""

import math

from wgan_jax import data
from wgan_jax.data.images import check_image_size
from wgan_jax.errors import ConfigError

FLOAT32_MAX = 3.4028234663852886e38  # a rate past it is infinite in the float32 update
LOSSES = ("wgan", "wgan_gp", "gan", "began")
GENERATORS = ("dcgan", "dcgan_nobn", "dcgan_constant", "mlp", "began")
CRITICS = ("dcgan", "dcgan_nobn", "dcgan_layernorm", "mlp", "began")
CHOICES = {
  "loss": LOSSES,
  "generator": GENERATORS,
  "critic": CRITICS,
  "optimizer": ("rmsprop", "adam"),
  "gan_generator": ("non_saturating", "minimax"),
  "compute_dtype": ("float32", "bfloat16"),
  "kernels": ("auto", "xla_cpu", "flax"),
}
POSITIVE_INTS = (
  "batch_size",
  "width_g",
  "width_d",
  "nz",
  "n_critic",
  "warmup_n_critic",
  "num_steps",
  "log_every",
  "sample_every",
  "checkpoint_every",
  "keep_checkpoints",
  "num_samples",
)
NON_NEGATIVE_INTS = ("n_extra_layers", "warmup_steps", "warmup_every", "seed")
BATCH_NORM_CRITICS = ("dcgan",)  # WGAN-GP's per-example penalty is wrong with these


def _flag(field, value) -> str:
  return f"--config.{field}={value}"


def _check_domains(c):
  for field, allowed in CHOICES.items():
    if c[field] not in allowed:
      raise ConfigError(f"{_flag(field, c[field])} is not one of {', '.join(allowed)}; pick one.")
  for field in POSITIVE_INTS + NON_NEGATIVE_INTS:
    value, low = c[field], 1 if field in POSITIVE_INTS else 0
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
      raise ConfigError(f"{_flag(field, value)} must be an integer >= {low}.")
  num_seeds = c.get("num_seeds", 1)  # absent from the config.json of runs older than the field
  if not isinstance(num_seeds, int) or isinstance(num_seeds, bool) or num_seeds < 1:
    raise ConfigError(
      f"{_flag('num_seeds', num_seeds)} must be an integer >= 1 (the number of "
      "runs, of seeds seed, seed+1, ..., trained together)."
    )
  for field in ("lr_g", "lr_d"):
    if not (math.isfinite(c[field]) and 0 < c[field] <= FLOAT32_MAX):
      raise ConfigError(
        f"{_flag(field, c[field])} must be a finite learning rate > 0 (the "
        "paper's is 5e-5); a negative one trains backwards."
      )
  for field in ("beta1", "beta2"):
    if not 0.0 <= c[field] < 1.0:
      raise ConfigError(f"{_flag(field, c[field])} must lie in [0, 1) (Adam's moment decay).")
  if not (math.isfinite(c.clip_value) and c.clip_value >= 0):
    raise ConfigError(
      f"{_flag('clip_value', c.clip_value)} must be >= 0 (0 = no clipping; the paper's is 0.01)."
    )
  if not (math.isfinite(c.gp_weight) and c.gp_weight >= 0):
    raise ConfigError(f"{_flag('gp_weight', c.gp_weight)} must be >= 0 (WGAN-GP's is 10).")
  if not 0.0 <= c.began_gamma <= 1.0:
    raise ConfigError(f"{_flag('began_gamma', c.began_gamma)} must lie in [0, 1] (0.5 typical).")
  if not (math.isfinite(c.began_lambda_k) and c.began_lambda_k >= 0):
    raise ConfigError(
      f"{_flag('began_lambda_k', c.began_lambda_k)} must be >= 0 (0.001 in the paper)."
    )
  if c.channels not in (1, 3):
    raise ConfigError(
      f"{_flag('channels', c.channels)} is not supported; use 1 (grayscale) or 3 (RGB)."
    )
  if not isinstance(c.dataset, str) or not c.dataset.strip():
    raise ConfigError(
      "--config.dataset is empty; name a dataset (digits, folder:PATH, a tfds "
      "name, or a 2-D mixture such as ring8)."
    )


def _check_image_size(c, points: bool):
  if points:
    return
  size = c.image_size
  check_image_size(size, name="--config.image_size")
  if "began" in (c.generator, c.critic) and size & (size - 1):
    raise ConfigError(
      f"{_flag('image_size', size)}: BEGAN's networks need 8 * 2^k (16, 32, 64, 128, ...)."
    )


def _check_rules(c, points: bool):
  began = c.loss == "began"
  if points:
    if c.generator != "mlp":
      raise ConfigError(
        f"2-D data ({c.dataset}) needs --config.generator=mlp, not {c.generator!r}."
      )
    want = "began" if began else "mlp"
    if c.critic != want:
      raise ConfigError(
        f"2-D data ({c.dataset}) with --config.loss={c.loss} needs "
        f"--config.critic={want}, not {c.critic!r}."
      )
  elif (began and (c.generator, c.critic) != ("began", "began")) or (
    not began and "began" in (c.generator, c.critic)
  ):
    raise ConfigError(
      "--config.loss=began goes with --config.generator=began and "
      "--config.critic=began, and only with them; set the three together "
      "(--config.loss=began alone sets all three)."
    )
  if c.loss == "wgan_gp" and c.critic in BATCH_NORM_CRITICS:
    raise ConfigError(
      f"--config.loss=wgan_gp penalises each example's gradient, but "
      f"--config.critic={c.critic} has batch norm, which couples the examples of "
      "a batch; use --config.critic=dcgan_layernorm (WGAN-GP's choice) or "
      "dcgan_nobn."
    )
  if c.clip_value and c.loss != "wgan":
    raise ConfigError(
      f"{_flag('clip_value', c.clip_value)} is WGAN's weight clipping; set "
      f"--config.clip_value=0 for --config.loss={c.loss}."
    )
  if c.compute_dtype != "float32":
    for kind in {c.generator, c.critic} & {"mlp", "began"}:
      raise ConfigError(
        f"--config.compute_dtype={c.compute_dtype} is implemented for the DCGAN "
        f"networks only, not {kind!r}; use --config.compute_dtype=float32."
      )
  if c.n_extra_layers and not (c.generator.startswith("dcgan") or c.critic.startswith("dcgan")):
    raise ConfigError(
      f"{_flag('n_extra_layers', c.n_extra_layers)} adds layers to the DCGAN "
      "networks only; set it to 0 with these networks."
    )


def is_points(dataset: str) -> bool:
  """Whether `dataset` names a 2-D mixture (points) rather than images."""
  return dataset in data.mixtures.NAMES


def check(config) -> None:
  """Raises ConfigError (one line, naming the flag and the fix) unless every field of `config`
  lies in its domain and the fields go together.

  Args:
    config: a ConfigDict with the fields of `experiments/configs/base.py`.

  Raises:
    ConfigError: the first field or rule that fails.
  """
  missing = [f for f in CHOICES if f not in config]
  if missing:
    raise ConfigError(
      f"the config lacks {', '.join(missing)}; build it from experiments/configs/base.py."
    )
  _check_domains(config)
  points = is_points(config.dataset)
  _check_image_size(config, points)
  _check_rules(config, points)
