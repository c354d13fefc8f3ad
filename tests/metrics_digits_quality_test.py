"""Digits quality: an accurate, cached, deterministic classifier that ranks real digits first."""

import jax
import numpy as np
import pytest
import scipy.ndimage

from wgan_jax.metrics import digits_classifier
from wgan_jax.metrics.digits_quality import DigitsScorer


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
  return tmp_path_factory.mktemp("digits_cache")


@pytest.fixture(scope="module")
def scorer(cache_dir):
  return DigitsScorer.load_or_train(32, cache_dir=cache_dir, seed=0)


@pytest.fixture(scope="module")
def digits32():
  images, labels = digits_classifier.digits_images(32)
  train_index, heldout_index = digits_classifier.split_indices()
  return images[train_index], images[heldout_index], labels[heldout_index]


def test_images_match_the_data_convention():
  images, labels = digits_classifier.digits_images(16)
  assert images.shape == (1797, 16, 16, 1) and images.dtype == np.float32
  assert images.min() == -1.0 and images.max() == 1.0
  assert set(np.unique(labels)) == set(range(10))
  train_index, heldout_index = digits_classifier.split_indices()
  assert len(train_index) == 1500 and len(heldout_index) == 297
  assert not set(train_index) & set(heldout_index)


def test_heldout_accuracy_is_at_least_95_percent(scorer, digits32):
  assert scorer.heldout_accuracy >= 0.95
  _, heldout, labels = digits32
  logits, features = scorer.logits_and_features(heldout)
  assert logits.shape == (297, 10) and features.shape == (297, 64)
  assert np.mean(logits.argmax(1) == labels) == pytest.approx(scorer.heldout_accuracy)


def test_cache_is_reused_without_training(scorer, cache_dir, monkeypatch):
  def fail(*args, **kwargs):
    raise AssertionError("trained again instead of loading the cache")

  monkeypatch.setattr(DigitsScorer, "train", fail)
  loaded = DigitsScorer.load_or_train(32, cache_dir=cache_dir, seed=0)
  jax.tree.map(np.testing.assert_array_equal, loaded.params, scorer.params)
  np.testing.assert_array_equal(loaded.real_sigma, scorer.real_sigma)
  assert loaded.heldout_accuracy == scorer.heldout_accuracy
  assert len(list(cache_dir.iterdir())) == 1  # No temporary file left behind.


def test_training_is_deterministic_given_the_seed():
  first, again, other = (DigitsScorer.train(16, seed=s) for s in (0, 0, 1))
  jax.tree.map(np.testing.assert_array_equal, first.params, again.params)
  np.testing.assert_array_equal(first.real_mu, again.real_mu)
  assert not np.allclose(first.real_mu, other.real_mu)
  assert min(first.heldout_accuracy, other.heldout_accuracy) >= 0.95


def test_real_digits_score_far_better_than_noise_blank_and_blur(scorer, digits32):
  train, heldout, _ = digits32
  real = scorer.score(train[:297])
  noise = scorer.score(np.random.default_rng(0).uniform(-1, 1, (297, 32, 32, 1)))
  blank = scorer.score(-np.ones((297, 32, 32, 1)))
  blurred = scorer.score(scipy.ndimage.gaussian_filter(train[:297], (0, 3, 3, 0)))
  assert real["frechet_distance"] < 30
  assert min(noise["frechet_distance"], blank["frechet_distance"]) > 10 * real["frechet_distance"]
  assert blurred["frechet_distance"] > 3 * real["frechet_distance"]
  assert real["class_coverage"] == 10 and blank["class_coverage"] == 1
  assert real["class_kl"] < 0.05
  assert blank["class_kl"] == pytest.approx(np.log(10))
  assert real["mean_confidence"] > 0.9 and noise["mean_confidence"] < 0.5
  # The reference set scored against itself: identical statistics.
  assert scorer.score(heldout)["frechet_distance"] == pytest.approx(0.0, abs=1e-6)


def test_wrong_image_size_raises(scorer):
  with pytest.raises(ValueError):
    scorer.score(np.zeros((4, 16, 16, 1)))
