"""The 2-D benchmark mixtures as infinite samplers.

`ring8` (radius 1, std 0.01) and `grid25` ({-4, ..., 4}^2, std 0.05) follow the VEEGAN / PacGAN
protocol (Srivastava et al. 2017, Sec. 5.1; Lin et al. 2018, Sec. 5); `gp_8gaussians`,
`gp_25gaussians` and `swissroll` follow WGAN-GP's toy code (Gulrajani et al. 2017, gan_toy.py, its
scale divisions included). A mixture picks each sample's
mode uniformly at random and adds isotropic Gaussian noise.
"""

import numpy as np

_RING = np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], 1)
_GRID = np.stack(np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij"), -1).reshape(25, 2)
_GP_RING = (
  np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)], np.float64)
  / np.sqrt([1, 1, 1, 1, 2, 2, 2, 2])[:, None]
)

# name -> (modes [K, 2], std): positions and noise as the published code writes them.
_MIXTURES = {
  "ring8": (_RING, 0.01),
  "grid25": (2.0 * _GRID, 0.05),
  "gp_8gaussians": (2.0 * _GP_RING / 1.414, 0.02 / 1.414),
  "gp_25gaussians": (2.0 * _GRID / 2.828, 0.05 / 2.828),
}
NAMES = (*_MIXTURES, "swissroll")


def mixture_modes(name: str) -> tuple[np.ndarray, float]:
  """Modes and per-coordinate standard deviation of a Gaussian mixture.

  Args:
    name: one of `ring8`, `grid25`, `gp_8gaussians`, `gp_25gaussians`.

  Returns:
    `(modes, std)`: float64 `[K, 2]` mode centres and the std of every component.
  """
  modes, std = _MIXTURES[name]
  return modes.copy(), std


def _swissroll(rng: np.random.Generator, n: int) -> np.ndarray:
  # WGAN-GP: sklearn.datasets.make_swiss_roll(n, noise=0.25)[0][:, [0, 2]] / 7.5. Imported here:
  # sklearn.datasets costs about 2 s to import, which no other mixture should pay.
  from sklearn import datasets  # pylint: disable=g-import-not-at-top

  seed = int(rng.integers(2**31))
  return datasets.make_swiss_roll(n, noise=0.25, random_state=seed)[0][:, [0, 2]] / 7.5


class MixtureSource:
  """An infinite 2-D sampler; batch `index` is drawn from a Generator seeded by `(seed, index)`.

  The global batch is drawn and this process keeps its slice, so processes are disjoint and their
  concatenation is the one-process batch (the draw is 2-D points, so this costs nothing).
  """

  element_shape = (2,)

  def __init__(
    self, name: str, *, batch_size: int, seed: int, process_index: int, process_count: int
  ):
    self._name = name
    self._batch_size = batch_size
    self._seed = seed
    local = batch_size // process_count
    self._slice = slice(process_index * local, (process_index + 1) * local)

  def batch(self, index: int) -> np.ndarray:
    """This process's part of batch `index`: float32 `[B_local, 2]`."""
    rng = np.random.default_rng([self._seed, index])
    if self._name == "swissroll":
      points = _swissroll(rng, self._batch_size)
    else:
      modes, std = _MIXTURES[self._name]
      points = modes[rng.integers(len(modes), size=self._batch_size)]
      points = points + std * rng.standard_normal((self._batch_size, 2))
    return points[self._slice].astype(np.float32)
