"""Mode coverage against closed forms: the Rayleigh 3-sigma mass, log K and uniform histograms."""

import itertools

import numpy as np
import pytest

from wgan_jax.metrics import mode_coverage as mc

RING_MODES = np.stack(
  [np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1
)
GRID_MODES = np.array(list(itertools.product(range(-4, 5, 2), repeat=2)), np.float64)


def _mixture(modes, std, n, seed):
  rng = np.random.default_rng(seed)
  return modes[rng.integers(len(modes), size=n)] + std * rng.standard_normal((n, 2))


@pytest.mark.parametrize("modes,std", [(RING_MODES, 0.01), (GRID_MODES, 0.05)])
def test_perfect_samples_capture_every_mode_with_the_rayleigh_fraction(modes, std):
  result = mc.mode_coverage(_mixture(modes, std, 200_000, seed=0), modes, std)
  assert result["modes_captured"] == len(modes)
  # 2-D: |x - mu| / std is Rayleigh, P(< 3) = 1 - exp(-4.5) = 0.98889 (not 1-D's 0.9973).
  # Binomial standard error at n = 200,000 is 2.3e-4.
  assert result["high_quality_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=1e-3)
  assert result["reverse_kl"] == pytest.approx(0.0, abs=1e-3)


def test_protocol_size_perfect_samples():
  result = mc.mode_coverage(_mixture(GRID_MODES, 0.05, 2500, seed=1), GRID_MODES, 0.05)
  assert result["modes_captured"] == 25
  assert result["high_quality_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)


@pytest.mark.parametrize("modes,std", [(RING_MODES, 0.01), (GRID_MODES, 0.05)])
def test_samples_on_one_mode_give_one_mode_and_log_k(modes, std):
  samples = modes[3] + std * np.random.default_rng(0).standard_normal((2500, 2))
  result = mc.mode_coverage(samples, modes, std)
  assert result["modes_captured"] == 1
  assert result["reverse_kl"] == pytest.approx(np.log(len(modes)), rel=1e-12)


def test_exactly_uniform_histogram_has_zero_kl():
  samples = np.repeat(GRID_MODES, 100, axis=0)
  result = mc.mode_coverage(samples, GRID_MODES, 0.05)
  assert result == {"modes_captured": 25, "high_quality_fraction": 1.0, "reverse_kl": 0.0}


def test_kl_closed_form_for_two_of_four_modes():
  # p = (3/4, 1/4, 0, 0): KL = 3/4 log 3 + 1/4 log 1 = 3/4 log 3 (empty modes add 0).
  assert mc.kl_to_uniform([3, 1, 0, 0]) == pytest.approx(0.75 * np.log(3), rel=1e-12)
  assert np.isnan(mc.kl_to_uniform([0, 0, 0]))


def test_high_quality_threshold_is_three_std_and_strict():
  modes = np.zeros((1, 2))
  samples = np.array([[0.0299, 0.0], [0.0, -0.0301], [0.03, 0.0]])
  np.testing.assert_array_equal(mc.high_quality_counts(samples, modes, 0.01), [1])


def test_far_samples_are_not_high_quality_and_kl_is_nan():
  result = mc.mode_coverage(np.full((10, 2), 10.0), RING_MODES, 0.01)
  assert result["modes_captured"] == 0
  assert result["high_quality_fraction"] == 0.0
  assert np.isnan(result["reverse_kl"])


def test_nearest_mode_assignment():
  samples = np.array([[1.9, 0.1], [-2.9, -3.2], [0.0, 0.0]])
  index, distance = mc.nearest_mode(samples, GRID_MODES)
  np.testing.assert_array_equal(GRID_MODES[index], [[2, 0], [-2, -4], [0, 0]])
  np.testing.assert_allclose(distance, [np.hypot(0.1, 0.1), np.hypot(0.9, 0.8), 0.0])
