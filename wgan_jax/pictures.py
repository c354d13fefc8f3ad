"""Pictures people look at: sample grids, the Wasserstein curve, 2-D samples over the critic."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.ndimage import median_filter  # noqa: E402

from wgan_jax import atomic_files  # noqa: E402

MIN_IMAGE_PX = 64  # a sample is upscaled until its longer side has at least this many pixels
MIN_GRID_PX = 512  # ... and the grid's images together at least this width


def to_pixels(images_NxHxWxC: np.ndarray) -> np.ndarray:
  """Images in [-1, 1] as uint8 in [0, 255] (rounded, clipped), same shape."""
  pixels = np.rint((np.asarray(images_NxHxWxC, np.float32) + 1) * 127.5)
  return np.clip(pixels, 0, 255).astype(np.uint8)


def grid_columns(n: int) -> int:
  """The default number of columns for `n` images: the smallest square that holds them."""
  return math.ceil(math.sqrt(n))


def viewable_scale(height: int, width: int, columns: int) -> int:
  """The integer upscale factor that makes an image at least MIN_IMAGE_PX on its longer side and
  `columns` images side by side at least MIN_GRID_PX wide; 1 when they already are (never less)."""
  return max(
    1, math.ceil(MIN_IMAGE_PX / max(height, width)), math.ceil(MIN_GRID_PX / (columns * width))
  )


def image_grid(
  images_NxHxWxC: np.ndarray,
  *,
  padding: int = 2,
  columns: int | None = None,
  scale: int | None = None,
  background: int = 128,
) -> np.ndarray:
  """Tiles images in [-1, 1] into one uint8 picture, row by row.

  Args:
    images_NxHxWxC: the images, values in [-1, 1].
    padding: pixels between images and around the grid, in the picture's pixels (a separator
      stays thin however much the images are upscaled).
    columns: images per row (default: `grid_columns(N)`).
    scale: integer nearest-neighbour upscale factor of every image; default
      `viewable_scale(H, W, columns)`. `scale=1` gives the exact pixels.
    background: the value of the separators and of empty cells; mid-grey stands out against
      the black backgrounds of digits and the white of strokes alike.

  Returns:
    `[rows*(H*scale+padding)+padding, columns*(W*scale+padding)+padding, C]` uint8.
  """
  n, h, w, c = images_NxHxWxC.shape
  columns = columns or grid_columns(n)
  scale = scale or viewable_scale(h, w, columns)
  rows = math.ceil(n / columns)
  sh, sw = h * scale, w * scale
  grid = np.full(
    (rows * (sh + padding) + padding, columns * (sw + padding) + padding, c), background, np.uint8
  )
  pixels = to_pixels(images_NxHxWxC).repeat(scale, axis=1).repeat(scale, axis=2)
  for i, image in enumerate(pixels):
    y, x = padding + (i // columns) * (sh + padding), padding + (i % columns) * (sw + padding)
    grid[y : y + sh, x : x + sw] = image
  return grid


def save_png(pixels_HxWxC: np.ndarray, path: str):
  """Writes a uint8 picture (1, 3 or 4 channels) as a PNG, atomically."""
  image = Image.fromarray(pixels_HxWxC[..., 0] if pixels_HxWxC.shape[-1] == 1 else pixels_HxWxC)
  atomic_files.replace(path, lambda p: image.save(p, format="PNG"))


def save_image_grid(images_NxHxWxC: np.ndarray, path: str, **grid_kwargs) -> np.ndarray:
  """Writes `image_grid(images, **grid_kwargs)` as a PNG (atomically); returns that picture."""
  grid = image_grid(np.asarray(images_NxHxWxC, np.float32), **grid_kwargs)
  save_png(grid, path)
  return grid


def _figure_pixels(fig) -> np.ndarray:
  """A matplotlib figure rendered at its size and dpi: `[H, W, 3]` uint8."""
  fig.canvas.draw()
  return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def median_filtered(values: np.ndarray, taps: int = 101) -> np.ndarray:
  """The official code's smoothing of the loss curve: a `taps`-tap median filter, its window
  shortened at the ends by repeating the edge values (zero padding would bend the curve to 0)."""
  values = np.asarray(values, np.float64)
  return median_filter(values, size=taps, mode="nearest") if len(values) >= 3 else values


def save_wasserstein_plot(
  steps: np.ndarray,
  estimates: np.ndarray,
  path: str,
  *,
  taps: int = 101,
  labels: list[str] | None = None,
) -> np.ndarray:
  """The paper's Figure 3 curve: the Wasserstein estimate against generator steps, raw and
  median-filtered. Returns the picture written, `[H, W, 3]` uint8.

  Args:
    steps: `[T]` generator steps.
    estimates: `[T]`, or `[T, S]` for S runs named by `labels` (their median-filtered curves
      only, one colour each; raw curves of several runs would hide each other).
    path: the PNG to write.
    taps: the median filter's length.
    labels: the S runs' names, with `[T, S]` estimates.
  """
  fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
  if labels is None:
    ax.plot(steps, estimates, color="0.8", lw=0.8, label="estimate")
    ax.plot(
      steps, median_filtered(estimates, taps), color="C0", lw=1.5, label=f"median filter ({taps})"
    )
  else:
    for i, label in enumerate(labels):
      ax.plot(steps, median_filtered(estimates[:, i], taps), lw=1.2, label=label)
    ax.set_title(f"median filter ({taps})")
  ax.set_xlabel("generator iterations")
  ax.set_ylabel("Wasserstein estimate")
  ax.legend(loc="upper right", fontsize="small" if labels else None)
  fig.tight_layout()
  pixels = _figure_pixels(fig)
  plt.close(fig)
  save_png(pixels, path)
  return pixels


def save_points_plot(
  samples_Nx2: np.ndarray, real_Mx2: np.ndarray, path: str, *, critic_fn=None, title: str = ""
) -> np.ndarray:
  """2-D samples (orange) over real points (blue) and, given `critic_fn: [K, 2] -> [K]`, the
  critic's contours. Returns the picture written, `[H, W, 3]` uint8 (for TensorBoard)."""
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
  pixels = _figure_pixels(fig)
  plt.close(fig)
  save_png(pixels, path)
  return pixels
