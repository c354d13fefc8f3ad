"""Samples from a trained run: rebuild the networks from `workdir/config.json`, restore the latest
checkpoint, run the generator, write the results."""
import dataclasses
import json
import os

import jax
import ml_collections
import numpy as np
from PIL import Image

from wgan_jax import checkpoint, config_check, pictures, recipe, state as state_lib, steps
from wgan_jax.errors import CheckpointError, ConfigError


@dataclasses.dataclass(frozen=True)
class Trained:
  """A restored run: its config, the generator step it reached, its state and recipe."""
  config: ml_collections.ConfigDict
  step: int
  state: state_lib.GANState
  recipe: recipe.Recipe


def _data_shape(config) -> tuple[int, ...]:
  if config_check.is_points(config.dataset):
    return (2,)
  return (config.image_size, config.image_size, config.channels)


def restore(workdir: str) -> Trained:
  """The latest checkpoint of the run in `workdir`, on the first device.

  Raises:
    CheckpointError: `workdir` holds no config.json, no checkpoint that restores, or one whose
      generator is not finite (one-line message).
    ConfigError: its config.json is not a valid config.
  """
  path = os.path.join(workdir, "config.json")
  if not os.path.isfile(path):
    raise CheckpointError(f"{workdir!r} holds no config.json: not the workdir of a training run.")
  with open(path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  if not os.path.isdir(os.path.join(workdir, "checkpoints")):
    raise CheckpointError(f"{workdir!r} holds no checkpoints/ yet: train first.")
  r = recipe.build(config, _data_shape(config))
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
                          jax.eval_shape(r.create_state, jax.random.key(0)))
  manager = checkpoint.make_manager(workdir, max_to_keep=config.keep_checkpoints)
  try:
    state = checkpoint.restore_latest(manager, abstract)
  finally:
    manager.close()
  if state is None:
    raise CheckpointError(f"{workdir}/checkpoints holds no checkpoint yet: train first.")
  if not all(bool(jax.numpy.isfinite(x).all()) for x in jax.tree.leaves(state.generator.params)):
    raise CheckpointError(f"the generator of {workdir}/checkpoints step {int(state.step)} is not "
                          "finite (saved by a version that did not check); train again in a new "
                          "--workdir.")
  return Trained(config=config, step=int(state.step), state=state, recipe=r)


def sample(trained: Trained, num: int, *, seed: int = 0) -> np.ndarray:
  """`num` generator outputs, `[num, *data_shape]` float32 (images in [-1, 1]).

  The generator runs in training mode, as during training (batch norm uses each batch's
  statistics), on batches of the run's `batch_size` drawn from the prior with key `seed`.
  """
  if num < 1:
    raise ConfigError(f"--num={num}: ask for at least one sample.")
  g, batch = trained.state.generator, trained.config.batch_size
  noise = jax.jit(steps.sample_noise, static_argnums=(1, 2, 3))
  run = jax.jit(lambda params, z: steps.apply_player(g, params, z)[0])
  key = jax.random.key(seed)
  chunks = [run(g.params, noise(jax.random.fold_in(key, i), batch, trained.config.nz,
                                trained.recipe.loss.noise_prior))
            for i in range(-(-num // batch))]
  return np.concatenate(jax.device_get(chunks))[:num]


def write(samples: np.ndarray, out_dir: str, *, step: int, grid: bool) -> list[str]:
  """Writes samples under `out_dir`: one grid PNG (`grid`) or one PNG per image
  (`step_XXXXXX/NNNNN.png`); 2-D points go to `points_step_XXXXXX.npy`. Returns the paths."""
  os.makedirs(out_dir, exist_ok=True)
  if samples.ndim == 2:
    path = os.path.join(out_dir, f"points_step_{step:06d}.npy")
    np.save(path, samples)
    return [path]
  if grid:
    path = os.path.join(out_dir, f"grid_step_{step:06d}.png")
    pictures.save_image_grid(samples, path)
    return [path]
  folder = os.path.join(out_dir, f"step_{step:06d}")
  os.makedirs(folder, exist_ok=True)
  paths = []
  for i, image_HxWxC in enumerate(samples):
    pixels = pictures.image_grid(image_HxWxC[None], padding=0)
    paths.append(os.path.join(folder, f"{i:05d}.png"))
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(paths[-1])
  return paths
