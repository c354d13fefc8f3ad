"""The report's figures: Figures 1-2 of the paper, the estimate against the exact W1, estimate
beside quality, sample grids side by side, 2-D samples."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from experiments.report import foundations  # noqa: E402
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
  fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.4 * rows), dpi=90, squeeze=False)
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
  fig, axes = plt.subplots(
    rows, columns, figsize=(2.8 * columns, 2.9 * rows), dpi=90, squeeze=False
  )
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


def parallel_lines(r, path: str, *, title: str):
  """Figure 1: distances of Example 1 against theta, the gradients they give, theta learnt.

  Args:
    r: a `foundations.ParallelLines`.
    path: PNG to write.
    title: the figure's title (seeds, steps, wall time).
  """
  fig, (ax_d, ax_g, ax_t) = plt.subplots(1, 3, figsize=(14, 3.8), dpi=90)
  fine = np.linspace(-1, 1, 401)
  ax_d.plot(fine, np.abs(fine), "k-", lw=1, label="W = |θ| (closed form)")
  # JS and TV jump to 0 at theta = 0 only: the lines with a hole there, the value as a dot.
  for value, style, label in (
    (np.log(2), "k--", "JS = log 2, θ ≠ 0"),
    (1.0, "k:", "TV = 1, θ ≠ 0 (KL = +∞)"),
  ):
    ax_d.plot(fine, np.where(fine == 0, np.nan, value), style, lw=1, label=label)
    ax_d.plot([0], [value], "o", mfc="white", mec="k", ms=4)
  ax_d.plot([0], [0], "ko", ms=3)
  scaled = r.wgan["estimate"] / r.slope
  ax_d.errorbar(
    r.thetas,
    scaled.mean(0),
    yerr=[scaled.mean(0) - scaled.min(0), scaled.max(0) - scaled.mean(0)],
    fmt="o",
    ms=3,
    color="C0",
    label=f"critic estimate / K (K = {r.slope:.3g})",
  )
  ax_d.plot(r.thetas, r.gan["estimate"].mean(0), "s", ms=3, color="C3", label="GAN's JS estimate")
  ax_d.set_xlabel("θ")
  ax_d.set_ylim(-0.05, 1.6)
  ax_d.set_title("distance between P_0 and P_θ", fontsize=9)
  ax_d.legend(fontsize=6, loc="upper center", ncol=2)
  for key, source, color, name in (
    ("grad_wgan", r.wgan, "C0", "WGAN: -E f"),
    ("grad_minimax", r.gan, "C3", "GAN minimax: E log(1 - D)"),
    ("grad_non_saturating", r.gan, "C1", "GAN non-saturating: -E log D"),
  ):
    ax_g.semilogy(r.thetas, np.abs(source[key]).mean(0), "o-", ms=3, color=color, label=name)
  ax_g.set_xlabel("θ")
  ax_g.set_ylim(bottom=ax_g.get_ylim()[0] / 1e3)
  ax_g.set_title("|d generator loss / dθ| at the trained critic / D", fontsize=9)
  ax_g.legend(fontsize=6, loc="lower center")
  # The non-saturating runs underneath, thin: they swing across the whole frame.
  for name, color, lw in (
    ("non_saturating", "C1", 0.6),
    ("minimax", "C3", 1.5),
    ("wgan", "C0", 1.5),
  ):
    for i, path_T in enumerate(r.paths[name]):
      ax_t.plot(path_T, color=color, lw=lw, label=name.replace("_", "-") if i == 0 else None)
  ax_t.axhline(0, color="k", lw=0.5)
  ax_t.set_ylim(-1.5, 1.5)
  ax_t.set_xlabel("gradient-descent steps on θ")
  ax_t.set_ylabel("θ")
  ax_t.set_title(f"θ learnt from 1 (lr {r.theta_lr:.3g}, cosine decay)", fontsize=9)
  ax_t.legend(fontsize=7)
  fig.suptitle(title, fontsize=9)
  _save(fig, path)


def two_gaussians(r, path: str, *, title: str):
  """Figure 2: discriminator and critic on two Gaussians, and the gradients they give.

  Args:
    r: a `foundations.TwoGaussians` (its first seed is drawn).
    path: PNG to write.
    title: the figure's title.
  """
  fig, (ax, ax_g) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=90)
  density = lambda mean: (
    np.exp(-0.5 * ((r.x - mean) / foundations.STD) ** 2) / (foundations.STD * np.sqrt(2 * np.pi))
  )
  ax.fill_between(r.x, density(foundations.REAL_MEAN), color="C0", alpha=0.25, label="real")
  ax.fill_between(r.x, density(foundations.FAKE_MEAN), color="C1", alpha=0.25, label="fake")
  ax.plot(r.x, r.discriminator[0], color="C3", label="GAN discriminator D(x)")
  ax.set_xlabel("x")
  ax.set_ylim(-0.05, 1.05)
  twin = ax.twinx()
  twin.plot(r.x, r.critic[0], color="C2", label="WGAN critic f(x)")
  twin.set_ylabel("critic f(x)", color="C2")
  ax.legend(
    handles=ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0],
    fontsize=7,
    loc="center left",
  )
  ax.set_title("trained to convergence", fontsize=9)
  ax_g.semilogy(r.x, np.abs(r.critic_grad[0]), color="C2", label="WGAN: |d(-f)/dx|")
  ax_g.semilogy(
    r.x,
    np.maximum(np.abs(r.minimax_grad[0]), 1e-30),
    color="C3",
    label="GAN minimax: |d log(1 - D)/dx|",
  )
  ax_g.axvline(foundations.FAKE_MEAN, color="C1", ls="--", lw=1, label="fake mode")
  ax_g.set_xlabel("x")
  ax_g.set_title("gradient a fake sample at x receives", fontsize=9)
  ax_g.legend(fontsize=7)
  fig.suptitle(title, fontsize=9)
  _save(fig, path)


def estimate_against_w1(panels, path: str, *, title: str, columns: int = 3):
  """The critic's estimate against the exact W1, one panel per run, coloured by progress.

  Args:
    panels: list of dicts: `title`, `w1` and `estimate` (lists of `[E]` arrays, one per seed),
      `steps` `[E]`, `floor` (W1 between two real sets, or None), `identity` (draw y = x).
    path: PNG to write.
    title: the figure's title.
    columns: panels per row.
  """
  rows = -(-len(panels) // columns)
  # Constrained layout makes room for the shared colour bar, which tight_layout does not.
  fig, axes = plt.subplots(
    rows, columns, figsize=(3.6 * columns, 3.3 * rows), dpi=90, squeeze=False, layout="constrained"
  )
  for ax in axes.ravel()[len(panels) :]:
    ax.axis("off")
  for ax, p in zip(axes.ravel(), panels):
    # Runs differ in length: the colour is the step as a fraction of the run's last one.
    progress = np.asarray(p["steps"], np.float64) / np.max(p["steps"])
    for w1, estimate in zip(p["w1"], p["estimate"]):
      points = ax.scatter(w1, estimate, c=progress, cmap="viridis", vmin=0, vmax=1, s=14)
    if p["identity"]:
      top = max(np.max(p["w1"]), np.max(p["estimate"]))
      ax.plot([0, top], [0, top], "k:", lw=1, label="estimate = W1")
    if p["floor"] is not None:
      ax.axvline(p["floor"], color="0.6", ls="--", lw=1, label="W1 of two real sets")
    ax.set_xlabel("exact W1")
    ax.set_ylabel("critic's estimate")
    ax.set_title(p["title"], fontsize=8)
    ax.legend(fontsize=6)
  fig.colorbar(points, ax=axes, label="step / last step", shrink=0.6)
  fig.suptitle(title, fontsize=9)
  fig.savefig(path, format="png")
  plt.close(fig)
