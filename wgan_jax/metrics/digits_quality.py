"""Digits quality: an offline, weight-free stand-in for FID on the scikit-learn digits.

A small classifier (`digits_classifier.DigitsMLP`, trained in seconds and cached) scores a batch
of generated images `[N, S, S, 1]` in [-1, 1] by

- `frechet_distance`: the Frechet distance between the Gaussian statistics of its 64-d
  penultimate-layer features on the 297 held-out real digits and on the generated images;
- `class_coverage`: how many of the 10 classes get at least `min_class_fraction` of the
  predicted labels, and `class_kl`: KL(predicted class histogram || uniform), in nats;
- `mean_confidence`: the mean of the maximum softmax probability.

These numbers compare runs of this project with each other (same image size, classifier seed and
number of generated images, since the Frechet distance is biased upwards at small N); they are on
no common scale with published FIDs, which use InceptionV3 on natural images.
"""

import dataclasses
import os
import pathlib

import flax
import jax
import numpy as np

from wgan_jax.metrics import digits_classifier, frechet, mode_coverage

_CACHE_VERSION = 1
_apply = jax.jit(digits_classifier.DigitsMLP().apply)


@dataclasses.dataclass(frozen=True)
class DigitsScorer:
  """A trained digits classifier and the feature statistics of the held-out real digits.

  Attributes:
    image_size: height and width of the images it scores.
    seed: the classifier's training seed.
    params: `DigitsMLP` parameters.
    real_mu: mean of the held-out real features, shape [F].
    real_sigma: their covariance, shape [F, F].
    heldout_accuracy: classification accuracy on the held-out digits, in [0, 1].
  """

  image_size: int
  seed: int
  params: dict
  real_mu: np.ndarray
  real_sigma: np.ndarray
  heldout_accuracy: float

  @classmethod
  def load_or_train(cls, image_size, cache_dir=None, seed=0):
    """Loads the scorer from `cache_dir`, or trains it (a few seconds) and saves it there.

    Args:
      image_size: height and width of the images to score (16 or 32 in this project).
      cache_dir: folder of the cached `.npz`; default `~/.cache/wgan_jax`.
      seed: the classifier's training seed; each (image_size, seed) has its own cache file.

    Returns:
      A `DigitsScorer`.
    """
    cache_dir = pathlib.Path(cache_dir or pathlib.Path.home() / ".cache" / "wgan_jax")
    path = cache_dir / f"digits_mlp_v{_CACHE_VERSION}_size{image_size}_seed{seed}.npz"
    if path.exists():
      with np.load(path) as saved:
        flat = {tuple(k.split("/")[1:]): saved[k] for k in saved.files if k.startswith("params/")}
        return cls(
          image_size,
          seed,
          flax.traverse_util.unflatten_dict(flat),
          saved["real_mu"],
          saved["real_sigma"],
          float(saved["heldout_accuracy"]),
        )
    scorer = cls.train(image_size, seed=seed)
    cache_dir.mkdir(parents=True, exist_ok=True)
    flat = flax.traverse_util.flatten_dict(jax.device_get(scorer.params), sep="/")
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(
      tmp,
      real_mu=scorer.real_mu,
      real_sigma=scorer.real_sigma,
      heldout_accuracy=scorer.heldout_accuracy,
      **{f"params/{k}": np.asarray(v) for k, v in flat.items()},
    )
    os.replace(tmp, path)  # Atomic: concurrent runs never read a half-written file.
    return scorer

  @classmethod
  def train(cls, image_size, *, seed=0):
    """Trains the classifier on the 1,500 training digits; no cache involved."""
    images, labels = digits_classifier.digits_images(image_size)
    train_index, heldout_index = digits_classifier.split_indices()
    params = jax.device_get(
      digits_classifier.train_classifier(images[train_index], labels[train_index], seed=seed)
    )
    scorer = cls(image_size, seed, params, np.zeros(0), np.zeros((0, 0)), 0.0)
    logits, features = scorer.logits_and_features(images[heldout_index])
    real_mu, real_sigma = frechet.gaussian_statistics(features)
    accuracy = float(np.mean(logits.argmax(axis=1) == labels[heldout_index]))
    return dataclasses.replace(
      scorer, real_mu=real_mu, real_sigma=real_sigma, heldout_accuracy=accuracy
    )

  def logits_and_features(self, images_NxSxSx1):
    """(logits [N, 10], features [N, 64]) as float64 numpy arrays, for images in [-1, 1]."""
    expected = (self.image_size, self.image_size, 1)
    if np.ndim(images_NxSxSx1) != 4 or tuple(np.shape(images_NxSxSx1)[1:]) != expected:
      raise ValueError(
        f"need images [N, {self.image_size}, {self.image_size}, 1], got {np.shape(images_NxSxSx1)}"
      )
    logits, features = _apply(self.params, np.asarray(images_NxSxSx1, np.float32))
    return np.asarray(logits, np.float64), np.asarray(features, np.float64)

  def score(self, images_NxSxSx1, *, min_class_fraction=0.02):
    """Quality numbers of a batch of generated images (see the module docstring).

    Args:
      images_NxSxSx1: generated images in [-1, 1], N >= 2 (use the same N to compare runs).
      min_class_fraction: a class is covered when at least this fraction of the images is
        predicted to be of it.

    Returns:
      A dict of `frechet_distance` (squared feature units), `class_coverage` (int, 0..10),
      `class_kl` (nats, 0 for uniform, log 10 = 2.30 for one class), `mean_confidence`
      (in [0.1, 1]) and `num_images`.
    """
    logits, features = self.logits_and_features(images_NxSxSx1)
    counts = np.bincount(logits.argmax(axis=1), minlength=digits_classifier.NUM_CLASSES)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return {
      "frechet_distance": frechet.frechet_distance(
        self.real_mu, self.real_sigma, *frechet.gaussian_statistics(features)
      ),
      "class_coverage": int(np.sum(counts >= min_class_fraction * len(logits))),
      "class_kl": mode_coverage.kl_to_uniform(counts),
      "mean_confidence": float(probabilities.max(axis=1).mean()),
      "num_images": len(logits),
    }

  @property
  def protocol(self):
    """One line to print beside every number, saying how it was measured."""
    return (
      f"digits quality: MLP classifier (seed {self.seed}, held-out accuracy "
      f"{self.heldout_accuracy:.1%}) at {self.image_size}x{self.image_size}; Frechet "
      f"distance of {len(self.real_mu)}-d penultimate features against "
      f"{digits_classifier.NUM_HELDOUT} held-out real digits; not comparable with "
      "published FIDs"
    )
