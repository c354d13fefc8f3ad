"""FID and KID with the standard FID InceptionV3, from a weights file the user provides.

Weights: pytorch-fid's port of the TF 2015-12-05 Inception graph,
https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
(its SHA-256 starts with `6726825d`, the torch-hub convention pytorch-fid relies on). Convert it
once, on a machine with torch: `python -m wgan_jax.metrics.convert_inception --pth FILE --out
FILE.npz`; nothing here downloads anything or needs torch. We port the network (`inception.py`)
because no maintained JAX package fits: jax-fid 0.0.2 (2021) pins numpy 1.19, fidjax 1.0.1's
source distribution does not build, and fidax requires `jax[cuda12]`.

Protocol (print `protocol(...)` beside every number): pool3 features of images in [-1, 1],
grey repeated to RGB, resized bilinearly (no antialiasing) to 299x299 as pytorch-fid does;
FID from the Gaussian statistics (`frechet.py`); KID is the unbiased MMD^2 with the cubic
polynomial kernel `k(x, y) = (x.y / d + 1)^3`, averaged over random subsets (Binkowski et al.
2018). Both are biased by the sample counts: compare numbers with equal counts only.
"""

import hashlib
import pathlib

import flax
import jax
import numpy as np

from wgan_jax.metrics import frechet, inception

SHA256_PREFIX = "6726825d"
_features_fn = jax.jit(
  lambda variables, x: inception.FIDInceptionV3().apply(variables, inception.preprocess(x))
)


def sha256_of(path):
  """Hex SHA-256 of a file."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def load_inception(npz_path):
  """Variables of `inception.FIDInceptionV3` from a file written by `convert_inception`.

  Raises:
    ValueError: the file was not converted from the checked `.pth`, or a parameter is missing,
      unexpected or of the wrong shape.
  """
  with np.load(npz_path) as saved:
    source = str(saved["source_sha256"]) if "source_sha256" in saved.files else ""
    flat = {k: saved[k] for k in saved.files if k != "source_sha256"}
  if not source.startswith(SHA256_PREFIX):
    raise ValueError(
      f"{npz_path} was converted from a file with SHA-256 {source or 'unknown'}, "
      f"not pt_inception-2015-12-05-{SHA256_PREFIX}.pth"
    )
  expected = flax.traverse_util.flatten_dict(inception.variable_shapes(), sep="/")
  if set(flat) != set(expected):
    raise ValueError(
      f"missing {sorted(set(expected) - set(flat))[:5]}, unexpected "
      f"{sorted(set(flat) - set(expected))[:5]}"
    )
  for key, leaf in expected.items():
    if flat[key].shape != leaf.shape:
      raise ValueError(f"{key}: shape {flat[key].shape}, expected {leaf.shape}")
  return flax.traverse_util.unflatten_dict(flat, sep="/")


def inception_features(variables, images_NxHxWxC, *, batch_size=50):
  """Pool3 features of images in [-1, 1] (1 or 3 channels, any size), shape [N, 2048].

  Batches are padded to `batch_size` so that one compilation serves every call.
  """
  images = np.asarray(images_NxHxWxC, np.float32)
  features = []
  for start in range(0, len(images), batch_size):
    batch = images[start : start + batch_size]
    padded = np.concatenate(
      [batch, np.zeros((batch_size - len(batch), *batch.shape[1:]), np.float32)]
    )
    features.append(np.asarray(_features_fn(variables, padded))[: len(batch)])
  return np.concatenate(features).astype(np.float64)


def fid(features_a_NxD, features_b_MxD):
  """Frechet distance between the Gaussian statistics of two feature sets."""
  return frechet.frechet_distance(
    *frechet.gaussian_statistics(features_a_NxD), *frechet.gaussian_statistics(features_b_MxD)
  )


def kid(features_a_NxD, features_b_MxD, *, num_subsets=100, subset_size=1000, seed=0):
  """Kernel Inception Distance: unbiased MMD^2, cubic polynomial kernel, over random subsets.

  Each subset draws `m = min(subset_size, N, M)` rows of each set without replacement; with
  `K(x, y) = (x.y / d + 1)^3`, MMD^2 = sum_{i!=j} Kaa / (m(m-1)) + sum_{i!=j} Kbb / (m(m-1))
  - 2 sum_{i,j} Kab / m^2.

  Returns:
    (mean, std) over the subsets, in the kernel's units (published KIDs are often x1000).
  """
  a, b = np.asarray(features_a_NxD, np.float64), np.asarray(features_b_MxD, np.float64)
  m, d = min(subset_size, len(a), len(b)), a.shape[1]
  rng = np.random.default_rng(seed)
  values = []
  for _ in range(num_subsets):
    x, y = a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
    k_xx, k_yy, k_xy = ((u @ v.T / d + 1) ** 3 for u, v in ((x, x), (y, y), (x, y)))
    same = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    values.append(same - 2 * k_xy.mean())
  return float(np.mean(values)), float(np.std(values))


def cached_features(path, compute_fn):
  """Features loaded from `path` (.npz), or `compute_fn()` saved there first: reference sets."""
  path = pathlib.Path(path)
  if path.exists():
    with np.load(path) as saved:
      return saved["features"]
  features = np.asarray(compute_fn())
  path.parent.mkdir(parents=True, exist_ok=True)
  np.savez(path, features=features)
  return features


def protocol(num_real, num_generated, reference):
  """One line stating how FID / KID were measured, to print beside the numbers."""
  return (
    f"FID/KID: pytorch-fid InceptionV3 (TF 2015-12-05 weights), pool3 2048-d, bilinear "
    f"resize to 299x299, grey->RGB; {num_real} real images ({reference}) vs "
    f"{num_generated} generated; KID subsets of min(1000, N)"
  )
