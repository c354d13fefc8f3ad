"""report.md: the text around the figures, every number taken from the runs just made."""

import numpy as np

from experiments.report import distance_sections, figures
from experiments.report import settings as settings_lib

METHOD_NAMES = {"wgan": "WGAN", "wgan_gp": "WGAN-GP", "gan": "GAN", "began": "BEGAN"}
# Published mode-coverage rows (PacGAN, Lin et al. 2018, Tables 1-2, 10 trials).
PUBLISHED = [
  ("GAN (PacGAN paper)", {"ring8": (6.3, 98.2), "grid25": (17.3, 94.8)}),
  ("VEEGAN (PacGAN paper)", {"ring8": (8.0, 52.9), "grid25": (24.6, 40.0)}),
]


def run_title(name: str, s: settings_lib.Settings) -> str:
  """ "WGAN, DCGAN generator" (and the learning rate of the high-lr run)."""
  loss, generator, high_lr = settings_lib.DIGITS_RUNS[name]
  title = f"{METHOD_NAMES[loss]}, {settings_lib.GENERATOR_NAMES[generator]} generator"
  return title + (f", lr {s.high_lr:g}" if high_lr else "")


def mean_se(values) -> str:
  """ "mean ± standard error" over seeds (NaN entries left out; "n/a" when none is left)."""
  v = np.asarray(values, np.float64)
  v = v[np.isfinite(v)]
  if not len(v):
    return "n/a"
  if len(v) == 1:
    return f"{v[0]:.2f} (1 run)"
  return f"{v.mean():.2f} ± {v.std(ddof=1) / np.sqrt(len(v)):.2f}"


def _digits_table(runs, names, s):
  rows = [
    "| run | Frechet distance (start → end) | pixel W1 (start → end) | class coverage | "
    "class KL | confidence | wall s |",
    "|---|---|---|---|---|---|---|",
  ]
  for n in names:
    first, last = runs[n].scores[0], runs[n].scores[-1]
    rows.append(
      f"| {run_title(n, s)} | {first['frechet_distance']:.1f} → "
      f"{last['frechet_distance']:.1f} | {first['pixel_w1']:.2f} → "
      f"{last['pixel_w1']:.2f} | {last['class_coverage']}/10 | "
      f"{last['class_kl']:.2f} | {last['mean_confidence']:.2f} | "
      f"{runs[n].seconds:.0f} |"
    )
  return "\n".join(rows)


def _correlation_lines(correlations, runs, s):
  lines = []
  for n, c in correlations.items():
    estimate = runs[n].estimate_name.replace("_", " ")
    lines.append(
      f"- {run_title(n, s)}: Spearman rho({estimate}, Frechet distance) = "
      f"**{c['rho']:.2f}** (p = {c['p']:.2g}, {c['points']} scored steps)"
    )
  return "\n".join(lines)


def _mixture_table(mixtures, half):
  rows = [
    "| method | mixture | modes captured, half → all steps | high-quality %, half → all | "
    "reverse KL, half → all | wall s |",
    "|---|---|---|---|---|---|",
  ]
  column = lambda key, coverage, scale: mean_se([scale * c[key] for c in coverage])
  both = lambda key, at_half, at_end, scale=1: (
    f"{column(key, at_half, scale)} → **{column(key, at_end, scale)}**"
  )
  for (dataset, method), (coverage, seconds) in mixtures.items():
    no_hq = sum(not np.isfinite(c["reverse_kl"]) for c in coverage)
    rows.append(
      f"| {METHOD_NAMES[method]} | {dataset} | "
      f"{both('modes_captured', half[dataset, method], coverage)} | "
      f"{both('high_quality_fraction', half[dataset, method], coverage, 100)} | "
      f"{both('reverse_kl', half[dataset, method], coverage)}"
      f"{f' (at the end, no HQ sample in {no_hq} of {len(coverage)} runs)' if no_hq else ''} | "
      f"{seconds:.0f} |"
    )
  for name, row in PUBLISHED:
    for dataset, (modes, hq) in row.items():
      rows.append(f"| {name} | {dataset} | {modes} | {hq} | — | — |")
  return "\n".join(rows)


# A row has settled when its seed-mean moved by at most this over the second half of its steps.
SETTLED_WITHIN = {"modes_captured": 1.0, "high_quality_fraction": 0.05}


def _settled(mixtures, half) -> str:
  """How much the seed-mean modes captured and high-quality fraction moved over the second half
  of the steps, and which rows moved by more than `SETTLED_WITHIN`."""
  sentences = []
  for key, what, scale, unit in (
    ("modes_captured", "modes captured", 1, ""),
    ("high_quality_fraction", "high-quality fraction", 100, " points"),
  ):
    moves = {
      row: np.mean([c[key] for c in coverage]) - np.mean([c[key] for c in half[row]])
      for row, (coverage, _) in mixtures.items()
    }
    (dataset, method), most = max(moves.items(), key=lambda kv: abs(kv[1]))
    moving = [
      f"{METHOD_NAMES[m]} {d} ({v * scale:+.1f})"
      for (d, m), v in moves.items()
      if abs(v) > SETTLED_WITHIN[key]
    ]
    sentences.append(
      f"mean {what} moved by at most {abs(most) * scale:.1f}{unit} ({METHOD_NAMES[method]}, "
      f"{dataset}; median over the rows {np.median(np.abs(list(moves.values()))) * scale:.1f}); "
      + (
        f"by more than {SETTLED_WITHIN[key] * scale:g}{unit} in {', '.join(moving)}"
        if moving
        else f"no row moved by more than {SETTLED_WITHIN[key] * scale:g}{unit}"
      )
    )
  return f"Over the second half of the steps the {sentences[0]}. The {sentences[1]}."


def _recipe_lines(configs) -> str:
  return "\n".join(
    f"- {METHOD_NAMES[m]}: {c.optimizer} lr {c.lr_g:g}"
    + (f" (beta1 {c.beta1:g}, beta2 {c.beta2:g})" if c.optimizer == "adam" else "")
    + (f", clip {c.clip_value:g}" if m == "wgan" and c.clip_value else "")
    + f", n_critic {c.n_critic}"
    + (f", lambda_k {c.began_lambda_k:g}" if m == "began" else "")
    for m, c in configs.items()
  )


def mixture_section(s, mixtures, half, configs) -> str:
  """Section 3: mode coverage of the 2-D runs at half and all of their steps."""
  seconds = sum(v[1] for v in mixtures.values())
  return f"""## 3. Mode coverage on 2-D mixtures (VEEGAN / PacGAN protocol)

![2-D samples](figures/mode_coverage.png)

Budget: {s.mixture_seeds} seeds (0-{s.mixture_seeds - 1}) per row, {s.mixture_steps} generator
steps, {seconds:.0f} s of training for the {len(mixtures)} rows; every row is one
`python -m experiments.mixture_wgan --config.num_seeds={s.mixture_seeds}` run at the report's
settings below (`mixture_runs.mixture_config`; the seeds vmapped in one compiled program).
MLPs of width {s.mixture_width} (3 hidden layers, 2-D noise), batch {s.mixture_batch}.
2,500 samples per seed scored as in VEEGAN (Srivastava et al. 2017,
Sec. 5.1), at half the steps ({s.mixture_steps // 2}) and at the end, mean ± standard error
over seeds: a row that still changes between the two has not settled. {_settled(mixtures, half)}
Each seed's final samples are in `mixtures/<mixture>/<method>/seed_<s>/samples.npy`, its
checkpoints, metrics and pictures in `mixtures/<mixture>/<method>/`.
BEGAN on points uses the 2-D MLP autoencoder of `wgan_jax.began.MLPAutoencoderCritic` (1-D
bottleneck) and a uniform prior, at the shared batch size rather than BEGAN's 16. The published
rows come from other code, networks and step counts: they show the protocol's scale, not a
matched comparison. No WGAN row has been published under this protocol. Recipes: each method's
published optimizer, with learning rates raised (and WGAN's clip, BEGAN's lambda_k) so that a
short CPU run gets somewhere:

{_recipe_lines(configs)}

{_mixture_table(mixtures, half)}
"""


def render(
  s,
  *,
  scorer,
  runs,
  correlations,
  mixtures,
  half,
  configs,
  lines,
  gaussians,
  w1,
  tracks,
  w1_digits,
  digits_floor,
  seconds,
) -> str:
  """The whole report.md.

  Args:
    s: the sizes it was run at.
    scorer: the `DigitsScorer` (its protocol is printed).
    runs: name -> `DigitsRun`.
    correlations: name -> `build.correlation` dict, for the Figure 3-4 runs.
    mixtures: (dataset, method) -> (coverage dicts per seed, wall seconds).
    half: (dataset, method) -> coverage dicts per seed at half the steps.
    configs: method -> the config of its 2-D runs (`mixture_runs.mixture_config`).
    lines, gaussians: `foundations.ParallelLines` and `foundations.TwoGaussians`.
    w1: (dataset, method) -> `build.w1_agreement` dict, for the tracked 2-D runs.
    tracks: (dataset, method) -> the run's W1 track (`mixture_runs.train_mixture`).
    w1_digits: name -> `build.correlation` dict against `pixel_w1`, for the Figure 3-4 runs.
    digits_floor: W1 between as many training digits and the held-out ones.
    seconds: the report's total wall time.
  """
  robust = ["wgan_dcgan", "wgan_nobn", "wgan_mlp", "gan_dcgan", "gan_nobn", "gan_mlp"]
  return f"""# WGAN paper claims, reproduced offline ({s.name} settings)

Made by `python -m experiments.paper_report` in {seconds:.0f} s of wall time. Every number below
comes from the runs of this invocation.

{distance_sections.foundations_section(s, lines, gaussians)}
{
    distance_sections.w1_section(
      s,
      w1=w1,
      tracks=tracks,
      runs=runs,
      w1_digits=w1_digits,
      digits_floor=digits_floor,
      run_title=run_title,
      method_names=METHOD_NAMES,
    )
  }
{mixture_section(s, mixtures, half, configs)}
## 4. A meaningful loss (paper Figures 3-4)

Quality metric: {scorer.protocol}. Lower Frechet distance is better; it is measured on
{s.eval_images} images from one fixed noise batch, every {s.eval_every} generator steps.
Digits runs: scikit-learn digits at 16x16, seed 0, {s.digits_steps} generator steps, DCGAN critic
(width {s.width}) with batch norm in every run; the MLP generator has width {s.mlp_width}.
WGAN: RMSprop, clip 0.01, n_critic 5, critic warm-up {"on" if s.critic_warmup else "off"}.
GAN: Adam 2e-4 (beta1 0.5), -log D generator loss, n_critic 1.

![estimate and quality](figures/meaningful_loss.png)

Grey: the critic's estimate at every generator step (its last critic update); blue: median
filter ({
    figures.filter_taps(s.digits_steps)
  } taps); red: digits Frechet distance at the scored steps. The paper's
claim is that the WGAN estimate falls as the samples improve (a positive rank correlation with
the Frechet distance), that the GAN's JS estimate does not track quality, and that a too-high
learning rate breaks training.

{_correlation_lines(correlations, runs, s)}

{_digits_table(runs, list(correlations), s)}

## 5. Robustness to the architecture (paper Figures 5-7)

![samples](figures/robustness.png)

Final samples (first 64 of the fixed noise batch) of WGAN (top) and the standard GAN (bottom)
with the DCGAN generator, the generator without batch norm (constant filters, the paper's
Figure 6) and the MLP generator.

{_digits_table(runs, robust, s)}
"""
