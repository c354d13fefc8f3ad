"""Sliced Wasserstein distance: exact 1-D cases from scipy, a shift's closed form, monotonicity."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.special
import scipy.stats

from wgan_jax.metrics import sliced_wasserstein as sw


def _images(n, seed, shape=(8, 8, 1)):
  return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype(np.float32)


def test_identical_and_permuted_sets_are_zero():
  x = _images(64, seed=0)
  assert sw.sliced_wasserstein(x, x) == 0.0
  assert sw.sliced_wasserstein(x, x[::-1]) == pytest.approx(0.0, abs=1e-6)


@hypothesis.given(
  hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-1, 1)),
  hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-1, 1)),
)
def test_one_pixel_images_give_the_exact_1d_distance(a, b):
  got = sw.sliced_wasserstein(a.reshape(-1, 1, 1, 1), b.reshape(-1, 1, 1, 1), num_projections=4)
  assert got == pytest.approx(scipy.stats.wasserstein_distance(a, b), abs=1e-6)


def test_wasserstein_1d_rows_match_scipy():
  rng = np.random.default_rng(1)
  a, b = rng.normal(size=(5, 40)), rng.exponential(size=(5, 17))
  expected = [scipy.stats.wasserstein_distance(a[i], b[i]) for i in range(5)]
  np.testing.assert_allclose(sw.wasserstein_1d(a, b), expected, rtol=1e-12)


def test_a_constant_shift_has_a_closed_form():
  # Shifting every pixel by delta shifts each projection by delta * <theta, 1>, so each 1-D W1 is
  # exactly |delta| |<theta, 1>|, and over the sphere E|<theta, 1>| = sqrt(D) E|theta_1| with
  # E|theta_1| = Gamma(D/2) / (sqrt(pi) Gamma((D + 1) / 2)) (about sqrt(2 / pi) for large D).
  x, delta, d = _images(100, seed=2), 0.3, 64
  got = sw.sliced_wasserstein(x, x + delta, num_projections=2000, seed=7)
  exact = delta * np.mean(np.abs(sw.random_directions(2000, d, seed=7).sum(axis=0)))
  assert got == pytest.approx(exact, rel=1e-4)
  expectation = (
    delta
    * np.sqrt(d)
    * np.exp(scipy.special.gammaln(d / 2) - scipy.special.gammaln((d + 1) / 2))
    / np.sqrt(np.pi)
  )
  assert got == pytest.approx(expectation, rel=0.05)  # Monte Carlo: 2000 directions, ~1.7 %.


def test_directions_are_unit_and_seeded():
  directions = sw.random_directions(10, 5, seed=3)
  np.testing.assert_allclose(np.linalg.norm(directions, axis=0), 1.0)
  np.testing.assert_array_equal(directions, sw.random_directions(10, 5, seed=3))
  assert not np.allclose(directions, sw.random_directions(10, 5, seed=4))


def test_grows_with_noise_and_is_deterministic():
  x = _images(200, seed=4, shape=(8, 8, 3))
  noise = np.random.default_rng(5).standard_normal(x.shape).astype(np.float32)
  distances = [sw.sliced_wasserstein(x, x + s * noise) for s in (0.05, 0.2, 0.5, 1.0)]
  assert np.all(np.diff(distances) > 0), distances
  assert sw.sliced_wasserstein(x, x + 0.2 * noise) == distances[1]


def test_shape_mismatch_raises():
  with pytest.raises(ValueError):
    sw.sliced_wasserstein(_images(4, 0), _images(4, 0, shape=(4, 4, 1)))
