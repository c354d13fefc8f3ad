"""Sliced Wasserstein distance between two sets of images (no network, no weights).

`SW1(P, Q) = E_theta W1(<theta, X>, <theta, Y>)`, theta uniform on the unit sphere of the
flattened image space (dimension H * W * C), estimated with `num_projections` seeded directions.
Each 1-D W1 is exact between the two empirical distributions of projections (sets of any sizes),
so for 1-pixel images the result equals `scipy.stats.wasserstein_distance`.

Units: pixel values, for images in [-1, 1]. This is W1 on whole images, not the
Laplacian-pyramid patch SWD of Karras et al. (2018): compare numbers only with the same
`num_projections`, `seed`, image size and sample counts.
"""

import numpy as np


def random_directions(num_projections, dim, *, seed=0):
  """Unit vectors drawn uniformly on the sphere (normalised Gaussians), reproducible from `seed`.

  Returns:
    directions_DxP: float64, shape [dim, num_projections], each column of norm 1.
  """
  directions_DxP = np.random.default_rng(seed).standard_normal((dim, num_projections))
  return directions_DxP / np.linalg.norm(directions_DxP, axis=0, keepdims=True)


def wasserstein_1d(a_PxN, b_PxM):
  """Exact W1 between the empirical distributions of each row of `a` and the same row of `b`.

  W1 = integral |F_a(t) - F_b(t)| dt, evaluated on the merged sorted values.

  Args:
    a_PxN: P sets of N values.
    b_PxM: P sets of M values.

  Returns:
    w1_P: float64, shape [P].
  """
  a_PxN, b_PxM = np.asarray(a_PxN, np.float64), np.asarray(b_PxM, np.float64)
  n, m = a_PxN.shape[1], b_PxM.shape[1]
  values_PxT = np.concatenate([a_PxN, b_PxM], axis=1)
  order_PxT = np.argsort(values_PxT, axis=1, kind="stable")
  values_PxT = np.take_along_axis(values_PxT, order_PxT, axis=1)
  steps_T = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
  cdf_gap_PxT = np.cumsum(steps_T[order_PxT], axis=1)
  return np.sum(np.abs(cdf_gap_PxT[:, :-1]) * np.diff(values_PxT, axis=1), axis=1)


def sliced_wasserstein(images_a_NxHxWxC, images_b_MxHxWxC, *, num_projections=256, seed=0):
  """Sliced 1-Wasserstein distance between two image sets (see the module docstring).

  Args:
    images_a_NxHxWxC: first set, shape [N, H, W, C], values in [-1, 1].
    images_b_MxHxWxC: second set, shape [M, H, W, C], same H, W, C.
    num_projections: number of random directions P; the Monte Carlo error falls as 1/sqrt(P).
    seed: seed of the directions; the same seed gives the same directions for every call.

  Returns:
    The mean over directions of the exact 1-D W1, in pixel-value units, as a Python float.

  Raises:
    ValueError: image sets of different shapes, or empty.
  """
  if (
    np.ndim(images_a_NxHxWxC) != 4
    or np.shape(images_a_NxHxWxC)[1:] != np.shape(images_b_MxHxWxC)[1:]
  ):
    raise ValueError(
      f"need [N, H, W, C] and [M, H, W, C], got {np.shape(images_a_NxHxWxC)} and "
      f"{np.shape(images_b_MxHxWxC)}"
    )
  a_NxD = np.asarray(images_a_NxHxWxC, np.float32).reshape(len(images_a_NxHxWxC), -1)
  b_MxD = np.asarray(images_b_MxHxWxC, np.float32).reshape(len(images_b_MxHxWxC), -1)
  directions_DxP = random_directions(num_projections, a_NxD.shape[1], seed=seed).astype(np.float32)
  return float(np.mean(wasserstein_1d((a_NxD @ directions_DxP).T, (b_MxD @ directions_DxP).T)))
