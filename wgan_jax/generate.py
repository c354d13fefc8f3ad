"""Samples from a trained run: rebuild the networks from `workdir/config.json`, restore the latest
checkpoint, run the generator on prior draws or along paths between them (latent walks), write
the results."""

import dataclasses
import json
import os

import jax
import ml_collections
import numpy as np

from wgan_jax import (
  checkpoint,
  config_check,
  pictures,
  recipe,
  steps,
)
from wgan_jax import (
  seeds as seeds_lib,
)
from wgan_jax import (
  state as state_lib,
)
from wgan_jax.errors import CheckpointError, ConfigError


@dataclasses.dataclass(frozen=True)
class Trained:
  """A restored run: its config, the generator step it reached, its state and recipe (of the one
  seed asked for, in a workdir of several)."""

  config: ml_collections.ConfigDict
  step: int
  state: state_lib.GANState
  recipe: recipe.Recipe
  num_seeds: int = 1  # runs in its workdir


def _data_shape(config) -> tuple[int, ...]:
  if config_check.is_points(config.dataset):
    return (2,)
  return (config.image_size, config.image_size, config.channels)


def _seeds_and_index(config, seed_index: int, where: str) -> seeds_lib.Seeds:
  seeds = seeds_lib.Seeds.of(config.seed, config.get("num_seeds", 1))
  if not 0 <= seed_index < len(seeds.values):
    raise ConfigError(
      f"--seed_index={seed_index}: {where} holds the runs of seeds "
      f"{seeds.values[0]}..{seeds.values[-1]}; pick an index in "
      f"[0, {len(seeds.values)})."
    )
  return seeds


def from_state(config, state, *, seed_index: int = 0) -> Trained:
  """Run `seed_index` of a training state, as `restore` gives it from a checkpoint.

  Args:
    config: the run's config.
    state: its `GANState` as training holds it (stacked `[S, ...]` over the config's
      `num_seeds` runs when there are several), e.g. in a `train.train_and_evaluate` hook.
    seed_index: which run (0: `config.seed`, 1: `config.seed + 1`, ...).

  Raises:
    ConfigError: `seed_index` is not one of the config's runs.
  """
  seeds = _seeds_and_index(config, seed_index, "the config")
  config = ml_collections.ConfigDict(config.to_dict())
  r = recipe.build(config, _data_shape(config))
  state = seeds.split(state)[seed_index][1]
  config.seed, config.num_seeds = seeds.values[seed_index], 1
  return Trained(
    config=config, step=int(state.step), state=state, recipe=r, num_seeds=len(seeds.values)
  )


def restore(workdir: str, *, seed_index: int = 0) -> Trained:
  """The latest checkpoint of the run in `workdir`, on the first device.

  Args:
    workdir: a training run's workdir.
    seed_index: in a workdir of `num_seeds` runs, which one (0: `seed`, 1: `seed + 1`, ...); its
      `Trained.config` then reads as that run's alone (`seed + seed_index`, one seed).

  Raises:
    CheckpointError: `workdir` holds no config.json, no checkpoint that restores, or one whose
      generator is not finite (one-line message).
    ConfigError: its config.json is not a valid config, or `seed_index` is not one of its runs.
  """
  path = os.path.join(workdir, "config.json")
  if not os.path.isfile(path):
    raise CheckpointError(f"{workdir!r} holds no config.json: not the workdir of a training run.")
  with open(path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  if not os.path.isdir(os.path.join(workdir, "checkpoints")):
    raise CheckpointError(f"{workdir!r} holds no checkpoints/ yet: train first.")
  r = recipe.build(config, _data_shape(config))
  seeds = _seeds_and_index(config, seed_index, workdir)
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  abstract = jax.tree.map(
    lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
    jax.eval_shape(seeds.vmap(r.create_state), seeds.keys(seeds_lib.INIT)),
  )
  manager = checkpoint.make_manager(workdir, max_to_keep=config.keep_checkpoints)
  try:
    state = checkpoint.restore_latest(manager, abstract)
  finally:
    manager.close()
  if state is None:
    raise CheckpointError(f"{workdir}/checkpoints holds no checkpoint yet: train first.")
  trained = from_state(config, state, seed_index=seed_index)
  params = trained.state.generator.params
  if not all(bool(jax.numpy.isfinite(x).all()) for x in jax.tree.leaves(params)):
    raise CheckpointError(
      f"the generator of {workdir}/checkpoints step {trained.step} is not "
      "finite (saved by a version that did not check); train again in a new "
      "--workdir."
    )
  return trained


PATHS = ("linear", "slerp")  # the kinds of `interpolate`

# Compiled once per generator and batch shape, so that sampling many runs or many times (the
# report's evaluations) does not compile again.
_apply_generator = jax.jit(lambda g, z: steps.apply_player(g, g.params, z)[0])
_sample_noise = jax.jit(steps.sample_noise, static_argnums=(1, 2, 3))


def _generate(trained: Trained, z_NxZ: np.ndarray) -> np.ndarray:
  """The generator on `z_NxZ` (N a multiple of the run's batch size), batch by batch, in training
  mode as during training (batch norm uses each batch's statistics)."""
  g = trained.state.generator
  batch = trained.config.batch_size
  return np.concatenate(
    jax.device_get([_apply_generator(g, z_NxZ[i : i + batch]) for i in range(0, len(z_NxZ), batch)])
  )


def _noise(trained: Trained, key: jax.Array, num: int) -> np.ndarray:
  """`num` draws from the run's prior, in batches of its batch size keyed `fold_in(key, i)`."""
  batch, prior = trained.config.batch_size, trained.recipe.loss.noise_prior
  noise = _sample_noise
  return np.concatenate(
    jax.device_get(
      [
        noise(jax.random.fold_in(key, i), batch, trained.config.nz, prior)
        for i in range(-(-num // batch))
      ]
    )
  )[:num]


def sample(trained: Trained, num: int, *, seed: int = 0) -> np.ndarray:
  """`num` generator outputs, `[num, *data_shape]` float32 (images in [-1, 1]).

  The generator runs in training mode, as during training (batch norm uses each batch's
  statistics), on batches of the run's `batch_size` drawn from the prior with key `seed`.

  Raises:
    ConfigError: `num` < 1.
  """
  if num < 1:
    raise ConfigError(f"--num={num}: ask for at least one sample.")
  batch = trained.config.batch_size
  return _generate(trained, _noise(trained, jax.random.key(seed), -(-num // batch) * batch))[:num]


def interpolate(z0_Z: np.ndarray, z1_Z: np.ndarray, num: int, kind: str = "linear") -> np.ndarray:
  """`num` points from `z0` to `z1` (both included, exactly), at evenly spaced t in [0, 1].

  "linear": the straight line (1 - t) z0 + t z1. "slerp": the great circle
  (sin((1 - t) W) z0 + sin(t W) z1) / sin W, W the angle between z0 and z1 (White 2016,
  "Sampling Generative Networks", Sec. 2.1): between endpoints of equal norm it keeps that norm,
  where most of a normal prior's mass lies; the straight line's midpoint between two independent
  N(0, I) draws has only 1/sqrt(2) of their norm. Parallel or opposite endpoints fall back to
  the line.

  Args:
    z0_Z, z1_Z: the endpoints, `[Z]`.
    num: points on the path, at least 2.
    kind: "linear" or "slerp".

  Returns:
    `[num, Z]`, the endpoints' dtype.

  Raises:
    ValueError: `num` < 2 or an unknown `kind`.
  """
  if num < 2:
    raise ValueError(f"num={num}: a path needs at least its 2 endpoints.")
  if kind not in PATHS:
    raise ValueError(f"unknown path {kind!r}; use one of {', '.join(PATHS)}.")
  z0, z1 = np.asarray(z0_Z, np.float64), np.asarray(z1_Z, np.float64)
  t_Tx1 = np.linspace(0.0, 1.0, num)[:, None]
  w0_Tx1, w1_Tx1 = 1 - t_Tx1, t_Tx1
  if kind == "slerp":
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    angle = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(angle) > 1e-6:
      w0_Tx1 = np.sin((1 - t_Tx1) * angle) / np.sin(angle)
      w1_Tx1 = np.sin(t_Tx1 * angle) / np.sin(angle)
  return (w0_Tx1 * z0 + w1_Tx1 * z1).astype(np.result_type(z0_Z, z1_Z))


def latent_walk(
  trained: Trained, rows: int, num: int, *, kind: str = "linear", seed: int = 0
) -> np.ndarray:
  """Generator outputs along `rows` paths of `num` points between pairs of prior draws.

  The paths' points go through the generator together, in batches of the run's size (the last
  one filled up with other prior draws), so batch norm sees batches like the training's.

  Returns:
    `[rows, num, *data_shape]` float32.

  Raises:
    ConfigError: `rows` < 1, or "slerp" for a uniform prior (the great circle leaves its cube).
    ValueError: `num` < 2 or an unknown `kind` (see `interpolate`).
  """
  prior = trained.recipe.loss.noise_prior
  if rows < 1:
    raise ConfigError(f"--rows={rows}: ask for at least one row.")
  if kind == "slerp" and prior != "normal":
    raise ConfigError(
      f"--path=slerp (the great circle) suits a normal prior; this run's is "
      f"{prior!r}, whose cube it leaves: use --path=linear."
    )
  ends_key, fill_key = (jax.random.fold_in(jax.random.key(seed), i) for i in range(2))
  ends_2RxZ = _noise(trained, ends_key, 2 * rows)
  z_NxZ = np.concatenate(
    [interpolate(ends_2RxZ[2 * i], ends_2RxZ[2 * i + 1], num, kind) for i in range(rows)]
  )
  fill = -len(z_NxZ) % trained.config.batch_size
  if fill:
    z_NxZ = np.concatenate([z_NxZ, _noise(trained, fill_key, fill)])
  out = _generate(trained, z_NxZ)[: rows * num]
  return out.reshape(rows, num, *out.shape[1:])


def write(samples: np.ndarray, out_dir: str, *, step: int, grid: bool) -> list[str]:
  """Writes samples under `out_dir`: one grid (`grid`: `grid_step_XXXXXX.png`, upscaled to be
  seen, with the values in `grid_step_XXXXXX.npy`) or one exact PNG per image
  (`step_XXXXXX/NNNNN.png`); 2-D points go to `points_step_XXXXXX.npy`. Returns the paths."""
  os.makedirs(out_dir, exist_ok=True)
  if samples.ndim == 2:
    path = os.path.join(out_dir, f"points_step_{step:06d}.npy")
    np.save(path, samples)
    return [path]
  if grid:
    stem = os.path.join(out_dir, f"grid_step_{step:06d}")
    pictures.save_image_grid(samples, stem + ".png")
    np.save(stem + ".npy", samples)
    return [stem + ".png", stem + ".npy"]
  folder = os.path.join(out_dir, f"step_{step:06d}")
  os.makedirs(folder, exist_ok=True)
  paths = []
  for i, image_HxWxC in enumerate(samples):
    paths.append(os.path.join(folder, f"{i:05d}.png"))
    pictures.save_png(pictures.to_pixels(image_HxWxC), paths[-1])
  return paths


def write_walk(walk_RxTx: np.ndarray, out_dir: str, *, step: int, kind: str) -> list[str]:
  """Writes `latent_walk`'s output under `out_dir` as `walk_KIND_step_XXXXXX`: a grid of one path
  per row (`.png`) and the values (`.npy`, `[rows, num, ...]`); 2-D points as `.npy` only."""
  os.makedirs(out_dir, exist_ok=True)
  stem = os.path.join(out_dir, f"walk_{kind}_step_{step:06d}")
  if walk_RxTx.ndim == 3:
    np.save(stem + ".npy", walk_RxTx)
    return [stem + ".npy"]
  rows, num = walk_RxTx.shape[:2]
  pictures.save_image_grid(
    walk_RxTx.reshape(rows * num, *walk_RxTx.shape[2:]), stem + ".png", columns=num
  )
  np.save(stem + ".npy", walk_RxTx)
  return [stem + ".png", stem + ".npy"]
