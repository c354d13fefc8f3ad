"""Exact W1: closed forms (point masses, translates), symmetry, the 1-D case against scipy."""

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats

from wgan_jax.errors import DataError
from wgan_jax.metrics.wasserstein import exact_w1


def _points(n, d, seed):
  return np.random.default_rng(seed).normal(size=(n, d))


def test_two_point_masses_are_their_distance_apart():
  a, b = np.array([[1.0, 2.0, -1.0]]), np.array([[4.0, -2.0, -1.0]])
  assert exact_w1(a, b) == pytest.approx(5.0, rel=1e-12)
  # The same two masses as repeated points, in sets of different sizes.
  assert exact_w1(np.repeat(a, 3, axis=0), np.repeat(b, 7, axis=0)) == pytest.approx(5.0)


@hypothesis.given(hnp.arrays(np.float64, 3, elements=st.floats(-5, 5)))
def test_a_set_and_its_translate_are_the_length_of_the_shift_apart(v):
  # Moving every point by v costs |v|; no coupling does better, since W1 >= |mean x - mean y|.
  x = _points(40, 3, seed=0)
  assert exact_w1(x, x + v) == pytest.approx(np.linalg.norm(v), abs=1e-9)


def test_symmetric_and_zero_for_identical_sets():
  x, y = _points(30, 4, seed=1), _points(45, 4, seed=2) + 0.5
  assert exact_w1(x, y) == pytest.approx(exact_w1(y, x), rel=1e-12)
  assert exact_w1(x, x) == pytest.approx(0.0, abs=1e-12)
  assert exact_w1(x, x[::-1]) == pytest.approx(0.0, abs=1e-12)


@hypothesis.given(
  hnp.arrays(np.float64, st.integers(1, 25), elements=st.floats(-3, 3)),
  hnp.arrays(np.float64, st.integers(1, 25), elements=st.floats(-3, 3)),
)
def test_one_dimension_equals_scipy(a, b):
  assert exact_w1(a[:, None], b[:, None]) == pytest.approx(
    scipy.stats.wasserstein_distance(a, b), abs=1e-9
  )


def test_weights_move_the_mass():
  x, y = np.array([[0.0], [1.0]]), np.array([[0.0]])
  assert exact_w1(x, y) == pytest.approx(0.5)
  assert exact_w1(x, y, weights=([0.9, 0.1], [1.0])) == pytest.approx(0.1)


def test_the_report_size_reaches_the_optimum():
  # 2,500 x 2,500 is past POT's default pivot budget; 1-D keeps scipy as the reference.
  rng = np.random.default_rng(3)
  a, b = rng.normal(size=2500), rng.normal(1.0, 0.5, size=2500)
  assert exact_w1(a[:, None], b[:, None]) == pytest.approx(
    scipy.stats.wasserstein_distance(a, b), rel=1e-9
  )


@pytest.mark.parametrize(
  "x, y, weights, match",
  [
    (np.zeros(3), np.zeros((3, 1)), None, r"\[N, D\]"),
    (np.zeros((0, 2)), np.zeros((3, 2)), None, r"\[N, D\]"),
    (np.zeros((2, 2)), np.zeros((3, 3)), None, "same dimension"),
    (np.array([[np.nan]]), np.zeros((1, 1)), None, "NaN"),
    (np.zeros((2, 1)), np.zeros((1, 1)), ([0.5, 0.6], [1.0]), "summing to 1"),
    (np.zeros((2, 1)), np.zeros((1, 1)), ([1.0], [1.0]), "2 non-negative masses"),
  ],
)
def test_bad_input_says_what_is_wrong(x, y, weights, match):
  with pytest.raises(DataError, match=match):
    exact_w1(x, y, weights)
