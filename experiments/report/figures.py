"""The report's figures: estimate beside quality, sample grids side by side, 2-D samples."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from wgan_jax import pictures  # noqa: E402


def filter_taps(num_steps: int) -> int:
  """The paper's 101-tap median filter, shortened to an odd tenth of a short run."""
  return max(1, min(101, (num_steps // 10) | 1))


def _save(fig, path: str):
  fig.tight_layout()
  fig.savefig(path, format="png")
  plt.close(fig)


def estimate_and_quality(panels, path: str, *, title: str):
  """One panel per run: the raw and median-filtered estimate (left axis) and the Frechet
  distance at the scored steps (right axis).

  Args:
    panels: list of (panel title, `DigitsRun`).
    path: PNG to write.
    title: the figure's title (seeds, steps, wall time).
  """
  fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), dpi=90, squeeze=False)
  for ax, (name, run) in zip(axes[0], panels):
    steps = np.arange(1, len(run.estimates) + 1)
    ax.plot(steps, run.estimates, color="0.8", lw=0.7)
    ax.plot(steps, pictures.median_filtered(run.estimates, filter_taps(len(steps))), color="C0")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(run.estimate_name.replace("_", " "), color="C0")
    ax.set_title(name, fontsize=9)
    twin = ax.twinx()
    twin.plot(run.eval_steps, run.score_series(), "o-", color="C3", ms=3)
    twin.set_ylabel("digits Frechet distance", color="C3")
  fig.suptitle(title, fontsize=9)
  _save(fig, path)


def sample_grids(grids, path: str, *, title: str, columns: int):
  """Sample grids side by side, `columns` per row.

  Args:
    grids: list of (caption, images `[N, S, S, 1]` in [-1, 1]).
    path: PNG to write.
    title: the figure's title.
    columns: grids per row.
  """
  rows = -(-len(grids) // columns)
  fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.4 * rows), dpi=90,
                           squeeze=False)
  for ax in axes.ravel():
    ax.axis("off")
  for ax, (caption, images) in zip(axes.ravel(), grids):
    ax.imshow(pictures.image_grid(images[:64])[..., 0], cmap="gray", vmin=0, vmax=255)
    ax.set_title(caption, fontsize=8)
  fig.suptitle(title, fontsize=9)
  _save(fig, path)


def point_samples(panels, path: str, *, title: str):
  """2-D samples over the mixture's modes: one row per mixture, one column per method.

  Args:
    panels: `{dataset: [(caption, samples [N, 2], modes [K, 2]), ...]}`.
    path: PNG to write.
    title: the figure's title.
  """
  rows, columns = len(panels), max(len(v) for v in panels.values())
  fig, axes = plt.subplots(rows, columns, figsize=(2.8 * columns, 2.9 * rows), dpi=90,
                           squeeze=False)
  for row, items in zip(axes, panels.values()):
    for ax, (caption, samples_Nx2, modes_Kx2) in zip(row, items):
      span = np.abs(modes_Kx2).max() * 1.5
      ax.scatter(*np.clip(samples_Nx2, -span, span).T, s=1, alpha=0.4, c="C1")
      ax.scatter(*modes_Kx2.T, s=12, marker="x", c="C0")
      ax.set_xlim(-span, span)
      ax.set_ylim(-span, span)
      ax.set_title(caption, fontsize=8)
      ax.set_xticks([])
      ax.set_yticks([])
  fig.suptitle(title, fontsize=9)
  _save(fig, path)
