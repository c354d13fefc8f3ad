"""Frechet distance between Gaussians fitted to feature sets (the maths behind FID).

`d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`, computed as pytorch-fid's
`calculate_frechet_distance` does, so numbers agree with it given the same statistics.
"""

import warnings

import numpy as np
import scipy.linalg


def gaussian_statistics(features_NxD):
  """Mean and unbiased covariance of a feature set, in float64.

  Args:
    features_NxD: features, shape [N, D], N >= 2.

  Returns:
    (mu_D, sigma_DxD): the mean, shape [D], and covariance (divided by N - 1), shape [D, D].

  Raises:
    ValueError: features not `[N, D]` with N >= 2.
  """
  features_NxD = np.asarray(features_NxD, np.float64)
  if features_NxD.ndim != 2 or len(features_NxD) < 2:
    raise ValueError(f"need features [N, D] with N >= 2, got shape {features_NxD.shape}")
  return features_NxD.mean(axis=0), np.cov(features_NxD, rowvar=False).reshape(
    features_NxD.shape[1], features_NxD.shape[1]
  )


def frechet_distance(mu1_D, sigma1_DxD, mu2_D, sigma2_DxD, *, eps=1e-6):
  """Squared Frechet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

  Robust as pytorch-fid: when `sqrtm(sigma1 @ sigma2)` is not finite (singular product), `eps`
  is added to both diagonals and the root taken again; an imaginary part left by rounding is
  dropped when its diagonal is below 1e-3, else a ValueError is raised. scipy's singular-matrix
  warning is silenced, as pytorch-fid's `disp=False` does. The result can be a rounding error
  below zero (about 1e-12 times the traces) for identical inputs.

  Args:
    mu1_D: mean of the first Gaussian, shape [D].
    sigma1_DxD: its covariance, shape [D, D].
    mu2_D: mean of the second Gaussian, shape [D].
    sigma2_DxD: its covariance, shape [D, D].
    eps: diagonal offset used only when the plain square root fails.

  Returns:
    The squared distance, in squared feature units (what FID reports), as a Python float.

  Raises:
    ValueError: the covariances' product has no usable square root (see above).
  """
  mu1_D, mu2_D = (
    np.atleast_1d(np.asarray(mu1_D, np.float64)),
    np.atleast_1d(np.asarray(mu2_D, np.float64)),
  )
  sigma1_DxD, sigma2_DxD = (
    np.atleast_2d(np.asarray(sigma1_DxD, np.float64)),
    np.atleast_2d(np.asarray(sigma2_DxD, np.float64)),
  )
  if (
    mu1_D.shape != mu2_D.shape
    or sigma1_DxD.shape != sigma2_DxD.shape
    or (sigma1_DxD.shape != mu1_D.shape * 2)
  ):
    raise ValueError(
      f"shapes disagree: mu {mu1_D.shape}, {mu2_D.shape}; sigma "
      f"{sigma1_DxD.shape}, {sigma2_DxD.shape}"
    )
  diff_D = mu1_D - mu2_D
  with warnings.catch_warnings():  # Singular products are expected and handled below.
    warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
    covmean_DxD = scipy.linalg.sqrtm(sigma1_DxD @ sigma2_DxD)
    if not np.isfinite(covmean_DxD).all():
      offset_DxD = np.eye(len(mu1_D)) * eps
      covmean_DxD = scipy.linalg.sqrtm((sigma1_DxD + offset_DxD) @ (sigma2_DxD + offset_DxD))
  if np.iscomplexobj(covmean_DxD):
    if not np.allclose(np.diagonal(covmean_DxD).imag, 0, atol=1e-3):
      raise ValueError(f"imaginary component {np.abs(covmean_DxD.imag).max()} in sqrtm")
    covmean_DxD = covmean_DxD.real
  return float(
    diff_D @ diff_D + np.trace(sigma1_DxD) + np.trace(sigma2_DxD) - 2 * np.trace(covmean_DxD)
  )
