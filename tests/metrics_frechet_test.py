"""Frechet distance against closed forms on known Gaussians, and its metric properties."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats

from wgan_jax.metrics import frechet


def _random_orthogonal(d, seed):
  return scipy.stats.ortho_group.rvs(d, random_state=seed) if d > 1 else np.ones((1, 1))


def _w2_squared_reference(mu1, s1, mu2, s2):
  """The textbook form tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), via symmetric eigensolves."""
  w, v = np.linalg.eigh(s1)
  root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
  inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
  return float(
    np.sum((mu1 - mu2) ** 2)
    + np.trace(s1)
    + np.trace(s2)
    - 2 * np.sum(np.sqrt(np.clip(inner, 0, None)))
  )


def test_a_set_with_itself_is_zero():
  features = np.random.default_rng(0).normal(size=(1000, 16)) @ np.diag(np.arange(1, 17))
  mu, sigma = frechet.gaussian_statistics(features)
  assert frechet.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_statistics_match_numpy():
  features = np.random.default_rng(1).normal(size=(50, 3))
  mu, sigma = frechet.gaussian_statistics(features.astype(np.float32))
  np.testing.assert_allclose(mu, features.mean(0), rtol=1e-6)
  np.testing.assert_allclose(sigma, np.cov(features.T), rtol=1e-5)
  assert frechet.gaussian_statistics(features[:, :1])[1].shape == (1, 1)


def test_diagonal_covariances_closed_form():
  rng = np.random.default_rng(2)
  mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
  s1, s2 = rng.uniform(0.1, 3, size=5), rng.uniform(0.1, 3, size=5)
  expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
  got = frechet.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
  assert got == pytest.approx(expected, rel=1e-10)
  # The same Gaussians in a rotated frame are the same distance apart.
  q = _random_orthogonal(5, seed=3)
  rotated = frechet.frechet_distance(q @ mu1, q @ np.diag(s1) @ q.T, q @ mu2, q @ np.diag(s2) @ q.T)
  assert rotated == pytest.approx(expected, rel=1e-8)


def test_one_dimensional_closed_form():
  # W2^2 between N(m1, a^2) and N(m2, b^2) is (m1 - m2)^2 + (a - b)^2.
  assert frechet.frechet_distance([1.0], [[4.0]], [-2.0], [[0.25]]) == pytest.approx(9 + 1.5**2)


def test_general_covariances_match_the_symmetric_form():
  rng = np.random.default_rng(4)
  a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
  s1, s2 = a @ a.T, b @ b.T + 0.1 * np.eye(6)
  mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
  assert frechet.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
    _w2_squared_reference(mu1, s1, mu2, s2), rel=1e-8
  )


def test_sample_statistics_converge_to_the_closed_form():
  rng = np.random.default_rng(5)
  x = rng.normal(size=(200_000, 2)) * [1.0, 2.0]
  y = rng.normal(size=(200_000, 2)) * [3.0, 0.5] + [1.0, 0.0]
  got = frechet.frechet_distance(*frechet.gaussian_statistics(x), *frechet.gaussian_statistics(y))
  assert got == pytest.approx(1.0 + (1 + 9 - 2 * 3) + (4 + 0.25 - 2 * 1), rel=0.01)


def test_singular_covariances():
  # Variances on orthogonal axes: the product is 0, so its root is 0 and d^2 = tr S1 + tr S2.
  assert frechet.frechet_distance([0, 0], np.diag([1.0, 0.0]), [0, 0], np.diag([0.0, 1.0])) == (
    pytest.approx(2.0)
  )


def test_shape_mismatch_raises():
  with pytest.raises(ValueError):
    frechet.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def _gaussians(d):
  matrices = hnp.arrays(np.float64, (d, d), elements=st.floats(-2, 2))
  vectors = hnp.arrays(np.float64, (d,), elements=st.floats(-3, 3))
  return st.tuples(vectors, matrices, vectors, matrices)


@hypothesis.given(st.integers(1, 5).flatmap(_gaussians))
def test_symmetric_non_negative_and_equal_to_reference(args):
  mu1, a, mu2, b = args
  s1, s2 = a @ a.T + 1e-3 * np.eye(len(a)), b @ b.T + 1e-3 * np.eye(len(b))
  d12 = frechet.frechet_distance(mu1, s1, mu2, s2)
  d21 = frechet.frechet_distance(mu2, s2, mu1, s1)
  scale = 1 + np.trace(s1) + np.trace(s2)
  assert d12 >= -1e-9 * scale
  assert d12 == pytest.approx(d21, abs=1e-7 * scale)
  assert d12 == pytest.approx(_w2_squared_reference(mu1, s1, mu2, s2), abs=1e-6 * scale)
