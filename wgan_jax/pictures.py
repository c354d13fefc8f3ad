"""Pictures people look at: sample grids, the Wasserstein curve, 2-D samples over the critic."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.ndimage import median_filter  # noqa: E402


def _atomic_save(save_fn, path: str):
  tmp = f"{path}.tmp{os.path.splitext(path)[1]}"
  save_fn(tmp)
  os.replace(tmp, path)


def image_grid(images_NxHxWxC: np.ndarray, *, padding: int = 2) -> np.ndarray:
  """Tiles images in [-1, 1] into one uint8 `[rows*(H+p)+p, cols*(W+p)+p, C]` picture."""
  n, h, w, c = images_NxHxWxC.shape
  cols = math.ceil(math.sqrt(n))
  rows = math.ceil(n / cols)
  grid = np.zeros((rows * (h + padding) + padding, cols * (w + padding) + padding, c), np.uint8)
  pixels = np.clip(np.rint((images_NxHxWxC + 1) * 127.5), 0, 255).astype(np.uint8)
  for i, image in enumerate(pixels):
    y, x = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
    grid[y:y + h, x:x + w] = image
  return grid


def save_image_grid(images_NxHxWxC: np.ndarray, path: str):
  """Writes `image_grid(images)` as a PNG (atomically)."""
  grid = image_grid(np.asarray(images_NxHxWxC, np.float32))
  image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
  _atomic_save(lambda p: image.save(p, format="PNG"), path)


def median_filtered(values: np.ndarray, taps: int = 101) -> np.ndarray:
  """The official code's smoothing of the loss curve: a `taps`-tap median filter, its window
  shortened at the ends by repeating the edge values (zero padding would bend the curve to 0)."""
  values = np.asarray(values, np.float64)
  return median_filter(values, size=taps, mode="nearest") if len(values) >= 3 else values


def save_wasserstein_plot(steps: np.ndarray, estimates: np.ndarray, path: str, *, taps: int = 101):
  """The paper's Figure 3 curve: the Wasserstein estimate against generator steps, raw and
  median-filtered."""
  fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
  ax.plot(steps, estimates, color="0.8", lw=0.8, label="estimate")
  ax.plot(steps, median_filtered(estimates, taps), color="C0", lw=1.5, label=f"median filter ({taps})")
  ax.set_xlabel("generator iterations")
  ax.set_ylabel("Wasserstein estimate")
  ax.legend(loc="upper right")
  fig.tight_layout()
  _atomic_save(lambda p: fig.savefig(p, format="png"), path)
  plt.close(fig)


def save_points_plot(samples_Nx2: np.ndarray, real_Mx2: np.ndarray, path: str, *,
                     critic_fn=None, title: str = ""):
  """2-D samples (orange) over real points (blue) and, given `critic_fn: [K, 2] -> [K]`, the
  critic's contours."""
  fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
  lo = np.minimum(samples_Nx2.min(0), real_Mx2.min(0)) - 0.5
  hi = np.maximum(samples_Nx2.max(0), real_Mx2.max(0)) + 0.5
  lo, hi = np.maximum(lo, -10), np.minimum(hi, 10)
  if critic_fn is not None:
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 100), np.linspace(lo[1], hi[1], 100))
    values = np.asarray(critic_fn(np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)))
    ax.contourf(xs, ys, values.reshape(xs.shape), levels=20, cmap="Greys", alpha=0.6)
  ax.scatter(*real_Mx2.T, s=2, c="C0", label="data")
  ax.scatter(*samples_Nx2.T, s=2, c="C1", label="samples")
  ax.set_xlim(lo[0], hi[0])
  ax.set_ylim(lo[1], hi[1])
  ax.set_title(title)
  ax.legend(loc="upper right", markerscale=4)
  fig.tight_layout()
  _atomic_save(lambda p: fig.savefig(p, format="png"), path)
  plt.close(fig)
