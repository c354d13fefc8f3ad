"""Runs every experiment of the report and writes `report.md` with its figures."""
import json
import os
import time

import numpy as np
from scipy import stats

from experiments.configs import digits
from experiments.report import document, figures, mixture_runs, settings as settings_lib
from experiments.report.digits_runs import train_digits
from wgan_jax import data, pictures
from wgan_jax.metrics.digits_quality import DigitsScorer

DATASETS = ("ring8", "grid25")
# Short-run recipes: each method's published optimizer with larger steps (tests/baselines_test.py
# shows them moving samples onto the ring within a few hundred steps), since CPU budgets allow
# thousands of generator steps, not the 100,000 of WGAN-GP's toy code.
MIXTURE_RECIPES = {
    "wgan": mixture_runs.PointRecipe.published("wgan", lr=1e-3, clip_value=0.05),
    "wgan_gp": mixture_runs.PointRecipe.published("wgan_gp", lr=1e-3),
    "gan": mixture_runs.PointRecipe.published("gan", lr=1e-3),
    "began": mixture_runs.PointRecipe.published("began", lr=3e-4, began_lambda_k=0.01),
}


def correlation(run) -> dict:
  """Spearman's rho between the median-filtered estimate and the Frechet distance at the scored
  steps after step 0 (where no estimate exists yet)."""
  filtered = np.asarray(pictures.median_filtered(
      run.estimates, figures.filter_taps(len(run.estimates))))
  at = run.eval_steps > 0
  rho, p = stats.spearmanr(filtered[run.eval_steps[at] - 1], run.score_series()[at])
  return {"rho": float(rho), "p": float(p), "points": int(at.sum())}


def _digits_section(workdir, s, log):
  scorer = DigitsScorer.load_or_train(digits.get_config().image_size)
  runs = {}
  for name in settings_lib.DIGITS_RUNS:
    config = settings_lib.digits_config(name, s)
    runs[name] = train_digits(config, scorer, eval_every=s.eval_every,
                              num_eval_images=s.eval_images)
    final = runs[name].scores[-1]
    log(f"digits {name}: {runs[name].seconds:.0f} s, Frechet {final['frechet_distance']:.1f}")
    run_dir = os.path.join(workdir, "digits", name)
    os.makedirs(run_dir, exist_ok=True)
    pictures.save_image_grid(runs[name].final_images[:64],
                                     os.path.join(run_dir, "samples.png"))
    with open(os.path.join(run_dir, "run.json"), "w") as f:
      json.dump({"config": config.to_dict(), "estimates": runs[name].estimates.tolist(),
                 "eval_steps": runs[name].eval_steps.tolist(), "scores": runs[name].scores,
                 "seconds": runs[name].seconds}, f)
  return scorer, runs


def _mixture_section(workdir, s, log):
  results, panels = {}, {}
  for dataset in DATASETS:
    modes, _ = data.mixture_modes(dataset)
    panels[dataset] = []
    for method, rec in MIXTURE_RECIPES.items():
      run_dir = os.path.join(workdir, "mixtures", dataset, method)
      coverage, seconds = mixture_runs.train_mixture(
          rec, dataset, s.mixture_seeds, num_steps=s.mixture_steps, width=s.mixture_width,
          batch_size=s.mixture_batch, steps_per_call=s.steps_per_call, workdir=run_dir)
      results[dataset, method] = (coverage, seconds)
      log(f"{dataset} {method}: {seconds:.0f} s, modes "
          f"{np.mean([c['modes_captured'] for c in coverage]):.1f}")
      samples = np.load(os.path.join(run_dir, f"seed_{s.mixture_seeds[0]}", "samples.npy"))
      panels[dataset].append((f"{document.METHOD_NAMES[method]}, {dataset}", samples, modes))
  return results, panels


def build_report(workdir: str, s: settings_lib.Settings, log=print) -> str:
  """Trains every run of the report at sizes `s` and writes `workdir/report.md`.

  Args:
    workdir: output folder (created); figures go to `workdir/figures/`, runs to `digits/` and
      `mixtures/<dataset>/<method>/seed_<s>/samples.npy`.
    s: the sizes.
    log: called with one line of progress after every run.

  Returns:
    The path of report.md.
  """
  t0 = time.time()
  fig_dir = os.path.join(workdir, "figures")
  os.makedirs(fig_dir, exist_ok=True)
  scorer, runs = _digits_section(workdir, s, log)
  seconds = lambda names: sum(runs[n].seconds for n in names)
  names = ["wgan_dcgan", "wgan_mlp", "gan_dcgan", "wgan_dcgan_high_lr"]
  figures.estimate_and_quality(
      [(document.run_title(n, s), runs[n]) for n in names],
      os.path.join(fig_dir, "meaningful_loss.png"),
      title=f"seed 0, {s.digits_steps} generator steps each, {seconds(names):.0f} s wall")
  robust = ["wgan_dcgan", "wgan_nobn", "wgan_mlp", "gan_dcgan", "gan_nobn", "gan_mlp"]
  figures.sample_grids(
      [(document.run_title(n, s), runs[n].final_images) for n in robust],
      os.path.join(fig_dir, "robustness.png"), columns=3,
      title=f"seed 0, {s.digits_steps} generator steps each, {seconds(robust):.0f} s wall")
  mixtures, panels = _mixture_section(workdir, s, log)
  figures.point_samples(
      panels, os.path.join(fig_dir, "mode_coverage.png"),
      title=f"seed {s.mixture_seeds[0]} of {len(s.mixture_seeds)}, {s.mixture_steps} generator "
            f"steps, {sum(v[1] for v in mixtures.values()):.0f} s wall (all seeds)")
  text = document.render(
      s, scorer=scorer, runs=runs, correlations={n: correlation(runs[n]) for n in names},
      mixtures=mixtures, recipes=MIXTURE_RECIPES, seconds=time.time() - t0)
  path = os.path.join(workdir, "report.md")
  with open(path, "w") as f:
    f.write(text)
  return path
