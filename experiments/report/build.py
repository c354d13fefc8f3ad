"""Runs every experiment of the report and writes `report.md` with its figures."""

import json
import os
import time

import numpy as np
from scipy import stats

from experiments.configs import digits
from experiments.report import document, figures, foundations, mixture_runs
from experiments.report import settings as settings_lib
from experiments.report.digits_runs import train_digits
from wgan_jax import data, pictures
from wgan_jax.metrics import digits_classifier, wasserstein
from wgan_jax.metrics.digits_quality import DigitsScorer

DATASETS = ("ring8", "grid25")
MIXTURE_METHODS = tuple(mixture_runs.RECIPES)
# The critics whose value estimates W1 (times K), set beside the exact distance.
W1_METHODS = ("wgan", "wgan_gp")
W1_DIGITS_RUNS = ("wgan_dcgan", "wgan_mlp")


def filtered_estimates_at_scores(run) -> tuple[np.ndarray, np.ndarray]:
  """(median-filtered estimate, mask) at the scored steps; the mask leaves out step 0, where no
  estimate exists yet."""
  filtered = np.asarray(
    pictures.median_filtered(run.estimates, figures.filter_taps(len(run.estimates)))
  )
  at = run.eval_steps > 0
  return filtered[np.maximum(run.eval_steps - 1, 0)], at


def correlation(run, key: str = "frechet_distance") -> dict:
  """Spearman's rho between the median-filtered estimate and score `key` at the scored steps
  after step 0."""
  filtered, at = filtered_estimates_at_scores(run)
  rho, p = stats.spearmanr(filtered[at], run.score_series(key)[at])
  return {"rho": float(rho), "p": float(p), "points": int(at.sum())}


def w1_agreement(track) -> dict:
  """Spearman's rho between the estimate and the exact W1 over the evaluated steps of each
  tracked 2-D seed, and the ratio estimate / W1 at the last step (`mixture_runs.train_mixture`'s
  track)."""
  rhos = [stats.spearmanr(e, w)[0] for e, w in zip(track["estimate"], track["w1"])]
  ratios = [e[-1] / w[-1] for e, w in zip(track["estimate"], track["w1"])]
  return {
    "rho": float(np.mean(rhos)),
    "rhos": [float(r) for r in rhos],
    "ratio": float(np.mean(ratios)),
    "points": len(track["steps"]),
  }


def _heldout_digits(image_size, num_train):
  """(held-out real digits, W1 between `num_train` training digits and them: the floor a perfect
  generator would reach with as many images)."""
  images, _ = digits_classifier.digits_images(image_size)
  train_index, heldout_index = digits_classifier.split_indices()
  pick = np.random.default_rng(0).choice(train_index, num_train, replace=False)
  flat = lambda x: x.reshape(len(x), -1)
  return images[heldout_index], wasserstein.exact_w1(
    flat(images[pick]), flat(images[heldout_index])
  )


def _foundations_section(fig_dir, s, log):
  f = s.foundations
  lines = foundations.parallel_lines(f)
  log(f"Figure 1: {lines.seconds:.0f} s, K {lines.slope:.3f} (R^2 {lines.r2:.3f})")
  figures.parallel_lines(
    lines,
    os.path.join(fig_dir, "parallel_lines.png"),
    title=f"seeds {', '.join(map(str, f.seeds))}; {f.critic_steps} critic updates per θ; "
    f"{f.theta_steps} θ steps of {f.n_critic} critic updates each; "
    f"{lines.seconds:.0f} s wall",
  )
  gaussians = foundations.two_gaussians(f)
  log(f"Figure 2: {gaussians.seconds:.0f} s")
  figures.two_gaussians(
    gaussians,
    os.path.join(fig_dir, "two_gaussians.png"),
    title=f"seed {f.seeds[0]} of {len(f.seeds)} drawn; {f.gaussian_steps} updates of each "
    f"network; {gaussians.seconds:.0f} s wall (all seeds)",
  )
  return lines, gaussians


def _digits_section(workdir, s, log):
  scorer = DigitsScorer.load_or_train(digits.get_config().image_size)
  heldout, floor = _heldout_digits(digits.get_config().image_size, s.eval_images)
  runs = {}
  for name in settings_lib.DIGITS_RUNS:
    config = settings_lib.digits_config(name, s)
    runs[name] = train_digits(
      config, scorer, eval_every=s.eval_every, num_eval_images=s.eval_images, w1_reference=heldout
    )
    final = runs[name].scores[-1]
    log(f"digits {name}: {runs[name].seconds:.0f} s, Frechet {final['frechet_distance']:.1f}")
    run_dir = os.path.join(workdir, "digits", name)
    os.makedirs(run_dir, exist_ok=True)
    pictures.save_image_grid(runs[name].final_images[:64], os.path.join(run_dir, "samples.png"))
    with open(os.path.join(run_dir, "run.json"), "w") as f:
      json.dump(
        {
          "config": config.to_dict(),
          "estimates": runs[name].estimates.tolist(),
          "eval_steps": runs[name].eval_steps.tolist(),
          "scores": runs[name].scores,
          "seconds": runs[name].seconds,
        },
        f,
      )
  return scorer, runs, floor


def _mixture_section(workdir, s, log):
  results, half, panels, tracks = {}, {}, {}, {}
  for dataset in DATASETS:
    modes, _ = data.mixture_modes(dataset)
    panels[dataset] = []
    for method in MIXTURE_METHODS:
      run_dir = os.path.join(workdir, "mixtures", dataset, method)
      tracked = method in W1_METHODS
      coverage, half_coverage, seconds, track = mixture_runs.train_mixture(
        method, dataset, s, workdir=run_dir, track_w1=tracked
      )
      results[dataset, method] = (coverage, seconds)
      half[dataset, method] = half_coverage
      if tracked:
        tracks[dataset, method] = track
        with open(os.path.join(run_dir, "w1_track.json"), "w") as f:
          json.dump(track, f)
      log(
        f"{dataset} {method}: {seconds:.0f} s, modes "
        f"{np.mean([c['modes_captured'] for c in half_coverage]):.1f} at step "
        f"{s.mixture_steps // 2}, {np.mean([c['modes_captured'] for c in coverage]):.1f} at "
        f"{s.mixture_steps}"
      )
      samples = np.load(os.path.join(run_dir, "seed_0", "samples.npy"))
      panels[dataset].append((f"{document.METHOD_NAMES[method]}, {dataset}", samples, modes))
  return results, half, panels, tracks


def _w1_figure(fig_dir, s, tracks, runs, digits_floor):
  panels = [
    {
      "title": f"{document.METHOD_NAMES[m]}, {d} (ρ = {w1_agreement(t)['rho']:.2f})",
      "w1": t["w1"],
      "estimate": t["estimate"],
      "steps": t["steps"],
      "floor": t["real_w1"],
      "identity": m == "wgan_gp",
    }
    for (d, m), t in tracks.items()
  ]
  for name in W1_DIGITS_RUNS:
    filtered, at = filtered_estimates_at_scores(runs[name])
    panels.append(
      {
        "title": f"digits, {document.run_title(name, s)} "
        f"(ρ = {correlation(runs[name], 'pixel_w1')['rho']:.2f})",
        "w1": [runs[name].score_series("pixel_w1")[at]],
        "estimate": [filtered[at]],
        "steps": runs[name].eval_steps[at],
        "floor": digits_floor,
        "identity": False,
      }
    )
  seconds = sum(t["seconds"] for t in tracks.values())
  figures.estimate_against_w1(
    panels,
    os.path.join(fig_dir, "estimate_vs_w1.png"),
    title=f"2-D: first {s.w1_seeds} seed(s), {s.w1_points} points per set, exact W1 every "
    f"{s.w1_every} steps ({seconds:.0f} s of W1); digits: seed 0, "
    f"{s.eval_images} images against the 297 held-out digits",
  )


def build_report(workdir: str, s: settings_lib.Settings, log=print) -> str:
  """Trains every run of the report at sizes `s` and writes `workdir/report.md`.

  Args:
    workdir: output folder (created); figures go to `workdir/figures/`, runs to `digits/` and
      `mixtures/<dataset>/<method>/seed_<s>/samples.npy` (with `w1_track.json` beside the
      seeds of WGAN and WGAN-GP).
    s: the sizes.
    log: called with one line of progress after every run.

  Returns:
    The path of report.md.
  """
  t0 = time.time()
  fig_dir = os.path.join(workdir, "figures")
  os.makedirs(fig_dir, exist_ok=True)
  lines, gaussians = _foundations_section(fig_dir, s, log)
  scorer, runs, digits_floor = _digits_section(workdir, s, log)
  seconds = lambda names: sum(runs[n].seconds for n in names)
  names = ["wgan_dcgan", "wgan_mlp", "gan_dcgan", "wgan_dcgan_high_lr"]
  figures.estimate_and_quality(
    [(document.run_title(n, s), runs[n]) for n in names],
    os.path.join(fig_dir, "meaningful_loss.png"),
    title=f"seed 0, {s.digits_steps} generator steps each, {seconds(names):.0f} s wall",
  )
  robust = ["wgan_dcgan", "wgan_nobn", "wgan_mlp", "gan_dcgan", "gan_nobn", "gan_mlp"]
  figures.sample_grids(
    [(document.run_title(n, s), runs[n].final_images) for n in robust],
    os.path.join(fig_dir, "robustness.png"),
    columns=3,
    title=f"seed 0, {s.digits_steps} generator steps each, {seconds(robust):.0f} s wall",
  )
  mixtures, half, panels, tracks = _mixture_section(workdir, s, log)
  _w1_figure(fig_dir, s, tracks, runs, digits_floor)
  figures.point_samples(
    panels,
    os.path.join(fig_dir, "mode_coverage.png"),
    title=f"seed 0 of {s.mixture_seeds}, {s.mixture_steps} generator "
    f"steps, {sum(v[1] for v in mixtures.values()):.0f} s wall (all seeds)",
  )
  text = document.render(
    s,
    scorer=scorer,
    runs=runs,
    correlations={n: correlation(runs[n]) for n in names},
    mixtures=mixtures,
    half=half,
    configs={m: mixture_runs.mixture_config(m, DATASETS[0], s) for m in MIXTURE_METHODS},
    lines=lines,
    gaussians=gaussians,
    w1={k: w1_agreement(t) for k, t in tracks.items()},
    tracks=tracks,
    w1_digits={n: correlation(runs[n], "pixel_w1") for n in names},
    digits_floor=digits_floor,
    seconds=time.time() - t0,
  )
  path = os.path.join(workdir, "report.md")
  with open(path, "w") as f:
    f.write(text)
  return path
