"""Latent walks: the path math (endpoints, midpoint, great circle), the walk through a saved
generator, and `experiments.generate --interpolate`."""

import json
import os
import subprocess
import sys
import types

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import jax
import numpy as np
import pytest
from PIL import Image

from experiments.configs import digits, mixture
from wgan_jax import checkpoint, generate, objectives, pictures, recipe, steps
from wgan_jax.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_vectors = hnp.arrays(
  np.float64,
  st.integers(2, 64).map(lambda z: (2, z)),
  elements=st.floats(-3, 3, allow_subnormal=False),
)


@hypothesis.given(_vectors, st.integers(2, 9), st.sampled_from(generate.PATHS))
def test_paths_start_and_end_exactly_at_the_endpoints(ends, num, kind):
  path = generate.interpolate(ends[0], ends[1], num, kind)
  assert path.shape == (num, ends.shape[1]) and path.dtype == np.float64
  np.testing.assert_array_equal(path[0], ends[0])
  np.testing.assert_array_equal(path[-1], ends[1])


def test_the_linear_midpoint_is_the_mean_and_float32_stays_float32():
  z0, z1 = np.float32([1, 2, -4]), np.float32([3, -2, 0])
  path = generate.interpolate(z0, z1, 5, "linear")
  assert path.dtype == np.float32
  np.testing.assert_allclose(path[2], [2, 0, -2], rtol=1e-7)
  np.testing.assert_allclose(np.diff(path, axis=0), np.tile((z1 - z0) / 4, (4, 1)), rtol=1e-6)


@hypothesis.given(_vectors, st.floats(0.1, 10), st.integers(3, 9))
def test_slerp_is_the_great_circle_between_equal_norm_endpoints(ends, norm, num):
  lengths = np.linalg.norm(ends, axis=1, keepdims=True)
  hypothesis.assume(np.all(lengths > 1e-3))
  z0, z1 = ends / lengths * norm
  cos = np.dot(z0, z1) / norm**2
  hypothesis.assume(-0.999 < cos < 0.999)  # not (anti)parallel: one great circle
  path = generate.interpolate(z0, z1, num, "slerp")
  np.testing.assert_allclose(np.linalg.norm(path, axis=1), norm, rtol=1e-9)  # on the sphere
  basis, _ = np.linalg.qr(np.stack([z0, z1], 1))  # in the plane of z0 and z1
  np.testing.assert_allclose(basis @ (basis.T @ path.T), path.T, atol=1e-9 * norm)
  angles = np.arccos(np.clip(path @ z0 / norm**2, -1, 1))  # at evenly spaced angles from z0
  np.testing.assert_allclose(angles, np.linspace(0, np.arccos(cos), num), atol=1e-6)


def test_slerp_falls_back_to_the_line_for_parallel_ends_and_bad_input_is_refused():
  z = np.float64([1.0, 2.0])
  np.testing.assert_allclose(generate.interpolate(z, 3 * z, 3, "slerp"), [z, 2 * z, 3 * z])
  with pytest.raises(ValueError, match="at least its 2 endpoints"):
    generate.interpolate(z, z, 1)
  with pytest.raises(ValueError, match="unknown path 'circle'"):
    generate.interpolate(z, z, 3, "circle")
  began = generate.Trained(
    config=None,
    step=0,
    state=None,
    recipe=types.SimpleNamespace(loss=objectives.make(name="began")),
  )
  with pytest.raises(ConfigError, match="this run's is 'uniform'.*use --path=linear"):
    generate.latent_walk(began, 2, 3, kind="slerp")


def _saved_run(workdir, config, data_shape) -> str:
  """A workdir holding `config.json` and an untrained step-0 checkpoint of `config`'s networks."""
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    json.dump(config.to_dict(), f)
  state = recipe.build(config, data_shape).create_state(jax.random.key(0))
  manager = checkpoint.make_manager(str(workdir), max_to_keep=1)
  checkpoint.save(manager, state)
  manager.wait_until_finished()
  manager.close()
  return str(workdir)


@pytest.mark.slow
def test_a_walk_runs_each_row_from_one_prior_draw_to_the_next(tmp_path):
  config = mixture.get_config(smoke=True)  # MLP generator without batch norm: per-example outputs
  trained = generate.restore(_saved_run(tmp_path, config, (2,)))
  assert not trained.state.generator.batch_stats
  walk = generate.latent_walk(trained, 3, 5, seed=4)  # 15 points: one batch of 32, filled up
  assert walk.shape == (3, 5, 2)
  ends_key = jax.random.fold_in(jax.random.key(4), 0)
  ends = steps.sample_noise(jax.random.fold_in(ends_key, 0), config.batch_size, config.nz)[:6]
  g = trained.state.generator
  np.testing.assert_allclose(walk[:, 0], steps.apply_player(g, g.params, ends[0::2])[0], atol=1e-6)
  np.testing.assert_allclose(walk[:, -1], steps.apply_player(g, g.params, ends[1::2])[0], atol=1e-6)
  middle = steps.apply_player(g, g.params, (ends[0::2] + ends[1::2]) / 2)[0]
  np.testing.assert_allclose(walk[:, 2], middle, atol=1e-5)
  np.testing.assert_array_equal(generate.latent_walk(trained, 3, 5, seed=4), walk)
  paths = generate.write_walk(walk, str(tmp_path / "out"), step=0, kind="linear")
  assert [os.path.basename(p) for p in paths] == ["walk_linear_step_000000.npy"]


@pytest.mark.slow
def test_generate_interpolate_writes_a_viewable_walk_and_its_values(tmp_path):
  workdir = _saved_run(tmp_path / "run", digits.get_config(smoke=True), (16, 16, 1))
  command = [sys.executable, "-m", "experiments.generate", "--workdir", workdir]
  env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT)
  done = subprocess.run(
    [*command, "--interpolate", "6", "--rows", "3", "--path", "slerp"],
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
    check=False,
  )
  assert done.returncode == 0, done.stderr[-3000:]
  stem = os.path.join(workdir, "generated", "walk_slerp_step_000000")
  assert done.stdout.strip() == (f"3 slerp walks of 6 of generator step 0: {stem}.png, {stem}.npy")
  walk = np.load(stem + ".npy")
  assert walk.shape == (3, 6, 16, 16, 1) and -1 <= walk.min() < walk.max() <= 1
  picture = np.asarray(Image.open(stem + ".png"))
  np.testing.assert_array_equal(  # one walk per row, upscaled to be seen
    picture, pictures.image_grid(walk.reshape(18, 16, 16, 1), columns=6)[..., 0]
  )
  assert picture.shape == (3 * (16 * 6 + 2) + 2, 6 * (16 * 6 + 2) + 2)  # 6 columns: 6x
  bad = subprocess.run(
    [*command, "--interpolate", "1"],
    env=env,
    capture_output=True,
    text=True,
    timeout=300,
    check=False,
  )
  assert bad.returncode == 2
  assert bad.stderr.strip() == (
    "error: --interpolate 1: a walk needs at least 2 images per row (its ends)"
  )
