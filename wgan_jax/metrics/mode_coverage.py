"""Mode coverage of 2-D Gaussian mixtures under the VEEGAN / PacGAN protocol.

The protocol (VEEGAN, Srivastava et al. 2017, Sec. 5.1; PacGAN, Lin et al. 2018, Sec. 5)
evaluates 2,500 generated samples against the known modes of an isotropic mixture with a common
standard deviation `std`:

- each sample is assigned to its nearest mode (Euclidean distance);
- it is *high quality* when that distance is below `3 * std` (strictly, as PacGAN's
  `MetricLogger` does with `sqrt(sum(d**2 / var)) < 3`);
- a mode is *captured* when at least one high-quality sample is assigned to it;
- the *reverse KL* is `KL(p || uniform)`, with `p` the histogram of the high-quality samples
  over the K modes, normalised to sum to 1.

Empty modes: `p_k = 0` contributes `0 * log 0 = 0`, as in PacGAN's `KLD`, which skips zero
entries; so the KL is finite and equals `log K - H(p)`, from 0 (uniform over all modes) to
`log K` (every high-quality sample on one mode). When there is no high-quality sample at all,
`p` is undefined and the KL is reported as NaN (use `np.nanmean` to average over seeds, and
count such runs separately).

Perfect samples are not 100 % high quality: for a 2-D isotropic Gaussian the distance to the mean
divided by `std` follows a chi distribution with 2 degrees of freedom (Rayleigh), so
`P(|x - mu| < 3 std) = 1 - exp(-9 / 2) ≈ 0.98889`, not the 1-D "three sigma" 0.9973.
"""

import numpy as np


def nearest_mode(samples_NxD, modes_KxD):
  """Index of and Euclidean distance to each sample's nearest mode.

  Args:
    samples_NxD: samples, shape [N, D].
    modes_KxD: mode centres, shape [K, D], same units as the samples.

  Returns:
    (index_N, distance_N): int index into the modes and distance in sample units.

  Raises:
    ValueError: samples or modes not `[N, 2]` / `[K, 2]`.
  """
  samples_NxD = np.asarray(samples_NxD, np.float64)
  modes_KxD = np.asarray(modes_KxD, np.float64)
  if samples_NxD.ndim != 2 or modes_KxD.ndim != 2 or samples_NxD.shape[1] != modes_KxD.shape[1]:
    raise ValueError(
      f"need samples [N, D] and modes [K, D], got {samples_NxD.shape} and {modes_KxD.shape}"
    )
  sq_dist_NxK = ((samples_NxD[:, None, :] - modes_KxD[None, :, :]) ** 2).sum(-1)
  index_N = sq_dist_NxK.argmin(axis=1)
  return index_N, np.sqrt(sq_dist_NxK[np.arange(len(index_N)), index_N])


def high_quality_counts(samples_NxD, modes_KxD, std, *, num_std=3.0):
  """Number of high-quality samples assigned to each mode.

  Args:
    samples_NxD: samples, shape [N, D].
    modes_KxD: mode centres, shape [K, D].
    std: the mixture components' common standard deviation, in sample units.
    num_std: a sample is high quality when its nearest mode is closer than `num_std * std`.

  Returns:
    counts_K: int array, shape [K].
  """
  index_N, distance_N = nearest_mode(samples_NxD, modes_KxD)
  return np.bincount(index_N[distance_N < num_std * std], minlength=len(modes_KxD))


def kl_to_uniform(counts_K):
  """KL(p || uniform) in nats, with `p = counts_K / counts_K.sum()` and `0 log 0 = 0`.

  Args:
    counts_K: non-negative counts over K bins, shape [K].

  Returns:
    The divergence, in [0, log K]; NaN when all counts are zero.
  """
  counts_K = np.asarray(counts_K, np.float64)
  total = counts_K.sum()
  if total == 0:
    return float("nan")
  p_K = counts_K[counts_K > 0] / total
  return float(np.sum(p_K * np.log(p_K * len(counts_K))))


def mode_coverage(samples_Nx2, modes_Kx2, std):
  """The VEEGAN / PacGAN mode-coverage numbers of a set of samples (see the module docstring).

  Args:
    samples_Nx2: generated samples, shape [N, 2] (the protocol uses N = 2,500).
    modes_Kx2: the mixture's mode centres, shape [K, 2].
    std: the components' common standard deviation (0.01 for the ring, 0.05 for the grid).

  Returns:
    A dict with `modes_captured` (int, 0..K), `high_quality_fraction` (float in [0, 1]; multiply
    by 100 for the published percentages) and `reverse_kl` (float, nats; NaN when no sample is
    high quality).
  """
  counts_K = high_quality_counts(samples_Nx2, modes_Kx2, std)
  return {
    "modes_captured": int(np.count_nonzero(counts_K)),
    "high_quality_fraction": float(counts_K.sum() / len(samples_Nx2)),
    "reverse_kl": kl_to_uniform(counts_K),
  }
