"""Pictures: grids upscaled to be seen with their exact pixels kept, the official median filter,
files written whole."""

import os

import numpy as np
import pytest
from PIL import Image
from scipy.signal import medfilt

from wgan_jax import pictures


def test_image_grid_places_every_image_and_maps_range():
  images = np.stack([np.full((3, 4, 1), v, np.float32) for v in (-1.0, 0.0, 1.0)])
  grid = pictures.image_grid(images, padding=1, scale=1, background=7)
  assert grid.shape == (2 * 4 + 1, 2 * 5 + 1, 1)  # ceil(sqrt(3)) = 2 columns, 2 rows
  assert np.all(grid[1:4, 1:5] == 0) and np.all(grid[1:4, 6:10] == 128)
  assert np.all(grid[5:8, 1:5] == 255) and np.all(grid[5:8, 6:10] == 7)  # empty cell: background
  assert np.all(grid[[0, 4, 8]] == 7) and np.all(grid[:, [0, 5, 10]] == 7)  # the separators


@pytest.mark.parametrize("size, channels, scale", [(16, 1, 4), (64, 3, 1), (8, 3, 8)])
def test_grid_of_64_images_is_upscaled_to_be_seen(size, channels, scale):
  """64 images: 8 columns; 16 px images become 64 px, 64 px ones stay exact, 8 px ones 64 px."""
  images = np.random.default_rng(0).uniform(-1, 1, (64, size, size, channels))
  grid = pictures.image_grid(images)
  assert pictures.viewable_scale(size, size, 8) == scale
  side = 8 * (size * scale + 2) + 2  # each image, its 2 px separator, and the closing one
  assert grid.shape == (side, side, channels) and side >= pictures.MIN_GRID_PX


def test_one_image_in_the_grid_is_its_nearest_neighbour_upscale():
  images = np.random.default_rng(1).uniform(-1, 1, (64, 16, 16, 1))
  grid, exact = pictures.image_grid(images), pictures.image_grid(images, padding=0, scale=1)
  i, scale, cell = 13, 4, 16 * 4 + 2  # row 1, column 5
  y, x = 2 + (i // 8) * cell, 2 + (i % 8) * cell
  upscaled = np.repeat(np.repeat(pictures.to_pixels(images[i]), scale, 0), scale, 1)
  np.testing.assert_array_equal(grid[y : y + 64, x : x + 64], upscaled)
  assert np.all(grid[y - 2 : y, x : x + 64] == 128) and np.all(grid[y : y + 64, x - 2 : x] == 128)
  np.testing.assert_array_equal(exact[16:32, 80:96], pictures.to_pixels(images[i]))  # scale=1


def test_scale_only_grows_and_few_images_still_make_a_wide_grid():
  assert pictures.viewable_scale(128, 128, 8) == 1  # never downscaled
  assert pictures.viewable_scale(64, 64, 4) == 2  # 4 columns of 64 px: 256 px, too narrow
  grid = pictures.image_grid(np.zeros((3, 16, 16, 1)), columns=3)
  assert grid.shape[1] >= pictures.MIN_GRID_PX and grid.shape[0] == 16 * 11 + 4


def test_median_filter_is_101_taps_without_bending_the_ends():
  x = np.random.default_rng(0).normal(size=500)
  filtered = pictures.median_filtered(x)
  np.testing.assert_array_equal(filtered[50:-50], medfilt(x, 101)[50:-50])  # the full windows
  assert filtered[0] == np.median(np.concatenate([np.full(50, x[0]), x[:51]]))
  np.testing.assert_array_equal(pictures.median_filtered(np.full(300, 0.7)), np.full(300, 0.7))
  np.testing.assert_array_equal(pictures.median_filtered(x[:2]), x[:2])


def test_saved_files_are_complete_pngs_of_the_returned_pictures(tmp_path):
  path = str(tmp_path / "grid.png")
  grid = pictures.save_image_grid(np.zeros((4, 8, 8, 3)), path)
  curve = pictures.save_wasserstein_plot(
    np.arange(300), np.linspace(1, 0, 300), str(tmp_path / "w.png")
  )
  rng = np.random.default_rng(0)
  points = pictures.save_points_plot(
    rng.normal(size=(50, 2)),
    rng.normal(size=(50, 2)),
    str(tmp_path / "p.png"),
    critic_fn=lambda x: x[:, 0],
  )
  assert Image.open(path).size == (2 * (8 * 32 + 2) + 2,) * 2  # 2 columns of 8 px: 32x, 512 px
  for name, picture in (("grid.png", grid), ("w.png", curve), ("p.png", points)):
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / name)), picture)
  assert curve.shape == (350, 600, 3) and points.shape == (500, 500, 3)
  assert sorted(os.listdir(tmp_path)) == ["grid.png", "p.png", "w.png"]  # no temporary files left
