"""Pictures: the grid layout, the official median filter, files written whole."""
import os

import numpy as np
from PIL import Image
from scipy.signal import medfilt

from wgan_jax import pictures


def test_image_grid_places_every_image_and_maps_range():
  images = np.stack([np.full((3, 4, 1), v, np.float32) for v in (-1.0, 0.0, 1.0)])
  grid = pictures.image_grid(images, padding=1)
  assert grid.shape == (2 * 4 + 1, 2 * 5 + 1, 1)  # ceil(sqrt(3)) = 2 columns, 2 rows
  assert np.all(grid[1:4, 1:5] == 0) and np.all(grid[1:4, 6:10] == 128)
  assert np.all(grid[5:8, 1:5] == 255) and np.all(grid[5:8, 6:10] == 0)  # empty cell stays black


def test_median_filter_is_101_taps_without_bending_the_ends():
  x = np.random.default_rng(0).normal(size=500)
  filtered = pictures.median_filtered(x)
  np.testing.assert_array_equal(filtered[50:-50], medfilt(x, 101)[50:-50])  # the full windows
  assert filtered[0] == np.median(np.concatenate([np.full(50, x[0]), x[:51]]))
  np.testing.assert_array_equal(pictures.median_filtered(np.full(300, 0.7)), np.full(300, 0.7))
  np.testing.assert_array_equal(pictures.median_filtered(x[:2]), x[:2])


def test_saved_files_are_complete_pngs(tmp_path):
  path = str(tmp_path / "grid.png")
  pictures.save_image_grid(np.zeros((4, 8, 8, 3)), path)
  pictures.save_wasserstein_plot(np.arange(300), np.linspace(1, 0, 300), str(tmp_path / "w.png"))
  rng = np.random.default_rng(0)
  pictures.save_points_plot(rng.normal(size=(50, 2)), rng.normal(size=(50, 2)),
                            str(tmp_path / "p.png"), critic_fn=lambda x: x[:, 0])
  assert Image.open(path).size == (22, 22)
  assert sorted(os.listdir(tmp_path)) == ["grid.png", "p.png", "w.png"]  # no temporary files left
