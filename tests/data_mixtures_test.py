"""The 2-D mixtures: protocol modes and spreads, determinism, and the per-process split."""

import numpy as np
import pytest

from wgan_jax import data

_GRID = np.array([(i, j) for i in range(-2, 3) for j in range(-2, 3)], np.float64)


def _source(name, batch_size=64, seed=0, process_index=0, process_count=1):
  return data.make_source(
    name,
    image_size=64,
    channels=3,
    batch_size=batch_size,
    seed=seed,
    process_index=process_index,
    process_count=process_count,
  )


@pytest.mark.parametrize(
  "name, modes, std",
  [
    ("ring8", [(np.cos(a), np.sin(a)) for a in np.arange(8) * np.pi / 4], 0.01),
    ("grid25", 2 * _GRID, 0.05),
    (
      "gp_8gaussians",
      [
        (2, 0),
        (-2, 0),
        (0, 2),
        (0, -2),
        (2**0.5, 2**0.5),
        (2**0.5, -(2**0.5)),
        (-(2**0.5), 2**0.5),
        (-(2**0.5), -(2**0.5)),
      ]
      / np.float64(1.414),
      0.02 / 1.414,
    ),
    ("gp_25gaussians", 2 * _GRID / 2.828, 0.05 / 2.828),
  ],
)
def test_modes_and_spread_follow_the_protocol(name, modes, std):
  got_modes, got_std = data.mixture_modes(name)
  modes = np.asarray(modes, np.float64)
  # Same set of modes, in any order.
  order = np.argmin(np.linalg.norm(got_modes[:, None] - modes[None], axis=-1), axis=1)
  assert sorted(order) == list(range(len(modes)))
  np.testing.assert_allclose(got_modes, modes[order], atol=1e-12)
  assert got_std == pytest.approx(std, rel=1e-12)

  points = _source(name, batch_size=40_000).batch(3).astype(np.float64)
  nearest = np.argmin(np.linalg.norm(points[:, None] - modes[None], axis=-1), axis=1)
  residual = points - modes[nearest]
  np.testing.assert_allclose(residual.std(axis=0), [std, std], rtol=0.03)
  np.testing.assert_allclose(residual.mean(axis=0), [0, 0], atol=4 * std / np.sqrt(len(points)))
  assert np.abs(residual).max() < 6 * std
  counts = np.bincount(nearest, minlength=len(modes))  # uniform over modes
  expected = len(points) / len(modes)
  assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected)), counts


def test_swissroll_matches_wgan_gp_toy_code():
  from sklearn import datasets  # pylint: disable=g-import-not-at-top

  ours = _source("swissroll", batch_size=20_000).batch(0).astype(np.float64)
  reference = datasets.make_swiss_roll(20_000, noise=0.25, random_state=0)[0][:, [0, 2]] / 7.5
  quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
  for f in (lambda p: np.linalg.norm(p, axis=1), lambda p: p[:, 0], lambda p: p[:, 1]):
    np.testing.assert_allclose(
      np.quantile(f(ours), quantiles), np.quantile(f(reference), quantiles), atol=0.03
    )


@pytest.mark.parametrize(
  "name", ["ring8", "grid25", "gp_8gaussians", "gp_25gaussians", "swissroll"]
)
def test_batches_are_deterministic_and_split_across_processes(name):
  source = _source(name, batch_size=8, seed=1)
  batch = source.batch(5)
  assert source.element_shape == (2,)
  assert batch.shape == (8, 2) and batch.dtype == np.float32
  np.testing.assert_array_equal(batch, _source(name, batch_size=8, seed=1).batch(5))
  assert not np.array_equal(batch, source.batch(6))
  assert not np.array_equal(batch, _source(name, batch_size=8, seed=2).batch(5))
  parts = [
    _source(name, batch_size=8, seed=1, process_index=p, process_count=4).batch(5) for p in range(4)
  ]
  assert all(part.shape == (2, 2) for part in parts)
  np.testing.assert_array_equal(np.concatenate(parts), batch)
