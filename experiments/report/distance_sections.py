"""report.md's first two sections: the paper's Figures 1-2, and the estimate against the exact
W1. Every number is taken from the runs just made."""

import numpy as np

from experiments.report import foundations


def _values(values, fmt=".3f") -> str:
  return ", ".join(f"{v:{fmt}}" for v in np.asarray(values).ravel())


def _gradient_rows(lines) -> str:
  rows = [
    "| θ | WGAN: -E f | GAN minimax: E log(1 - D) | GAN non-saturating: -E log D |",
    "|---|---|---|---|",
  ]
  nearest = {int(np.argmin(np.abs(lines.thetas - t))) for t in (-1, -0.5, -0.1, 0, 0.1, 0.5, 1)}
  for i in sorted(nearest):
    cells = [
      np.abs(source[key][:, i]).mean()
      for source, key in (
        (lines.wgan, "grad_wgan"),
        (lines.gan, "grad_minimax"),
        (lines.gan, "grad_non_saturating"),
      )
    ]
    rows.append(f"| {lines.thetas[i]:.2f} | " + " | ".join(f"{c:.3g}" for c in cells) + " |")
  return "\n".join(rows)


def _path_rows(lines) -> str:
  rows = [
    "| generator loss | θ at the end, per seed | largest \\|θ - 1\\| on the way | "
    "largest \\|θ\\| |",
    "|---|---|---|---|",
  ]
  for name, title in (
    ("wgan", "WGAN"),
    ("minimax", "GAN minimax log(1 - D)"),
    ("non_saturating", "GAN non-saturating -log D"),
  ):
    paths = lines.paths[name]
    rows.append(
      f"| {title} | {_values(paths[:, -1], '.4f')} | {np.abs(paths - 1).max():.4g} | "
      f"{np.abs(paths).max():.3g} |"
    )
  return "\n".join(rows)


def _path_verdict(lines) -> str:
  """What the three descents did, said from their numbers."""
  wgan, minimax, ns = (lines.paths[k] for k in ("wgan", "minimax", "non_saturating"))
  at_1 = int(np.argmin(np.abs(lines.thetas - 1.0)))
  grad = lambda source, key: np.abs(source[key][:, at_1]).mean()
  end = np.abs(wgan[:, -1]).max()
  text = [
    f"WGAN takes θ to 0 (|θ| ≤ {end:.3g} at the end)."
    if end < 0.1
    else f"WGAN does not reach 0 here: |θ| up to {end:.3g} at the end."
  ]
  moved = np.abs(minimax - 1).max()
  minimax_at_1 = grad(lines.gan, "grad_minimax")
  text.append(
    f"With the minimax loss θ moves by {moved:.2g} at most: the discriminator, "
    "near-optimal from its first updates on, saturates, and the gradient of "
    f"log(1 - D) vanishes as D(fake) goes to 0 (its mean |d/dθ| at θ = 1: {minimax_at_1:.2g})."
    if moved < 0.1
    else f"With the minimax loss θ moves by up to {moved:.2g}."
  )
  ns_end = np.abs(ns[:, -1]).max()
  text.append(
    f"The non-saturating loss -log D does not vanish (|gradient| "
    f"{grad(lines.gan, 'grad_non_saturating'):.3g} at θ = 1 against WGAN's "
    f"{grad(lines.wgan, 'grad_wgan'):.3g}), but its size follows the slope of a discriminator "
    f"that keeps sharpening, so at the same rate θ is thrown as far as "
    f"|θ| = {np.abs(ns).max():.3g}; "
    + (
      f"it ends within {ns_end:.2g} of 0 only because the rate decays to 0."
      if ns_end < 0.1
      else f"it ends at {_values(ns[:, -1], '.3g')}."
    )
    + " Arjovsky & Bottou (2017) describe this loss as unstable."
  )
  return "\n".join(text)


def foundations_section(s, lines, gaussians) -> str:
  """Section 1: Figures 1 and 2 (`foundations.ParallelLines`, `foundations.TwoGaussians`)."""
  f = s.foundations
  js = lines.gan["estimate"].mean(0)
  nonzero = lines.thetas != 0
  ratio_mode = gaussians.critic_at_mode / gaussians.minimax_at_mode
  return f"""## 1. Why the Wasserstein distance (paper Figures 1-2)

![Figure 1](figures/parallel_lines.png)

**Figure 1, Example 1 (paper Sec. 2).** P_0 = (0, Z) and P_θ = (θ, Z), Z ~ U[0, 1]: two parallel
segments. In closed form W(P_0, P_θ) = |θ|, while JS = log 2, TV = 1 and KL = +∞ for every
θ ≠ 0: only W is continuous in θ. At {f.grid} values of θ in [-1, 1], for seeds
{", ".join(map(str, f.seeds))}, a WGAN critic (`models.MLPCritic`, 3 hidden ReLU layers of width
{f.width}; RMSprop lr {foundations.CRITIC_LR:g}; every parameter clipped to ±{foundations.CLIP:g}
by the last transform of its optimizer) and the same MLP as a GAN discriminator (same RMSprop,
no clip, cross-entropy) were trained for {f.critic_steps} updates on batches of {f.batch}
(`steps.critic_steps`; the generator is `foundations.ParallelLine`, one parameter θ), then
evaluated on {foundations.EVAL_SIZE} fresh samples. The critic's estimate is K·|θ| for a K that
the clip and the network set and nobody knows in advance (a clip of 0.1, not the paper's 0.01,
keeps K of order 1 for this small MLP): a least-squares fit of the seed-mean estimate against
|θ| gives **K = {lines.slope:.3f}**, intercept {lines.intercept:.3f}, **R² = {lines.r2:.3f}**.
The discriminator's JS estimate is {js[nonzero].min():.4f} to {js[nonzero].max():.4f} at every
θ ≠ 0 (log 2 = {np.log(2):.4f}) and {js[~nonzero].mean():.1e} at θ = 0: the closed form's jump.

The gradient each trained network gives θ (|d generator loss / dθ|, mean over seeds):

{_gradient_rows(lines)}

**Learning θ.** From θ = 1, θ takes {f.theta_steps} steps of plain gradient descent (`optax.sgd`,
lr {lines.theta_lr:.3g} = {foundations.THETA_STEP:g} / K, decayed to 0 along a cosine), with
{f.n_critic} critic or discriminator updates before every step (`steps.train_step`, Algorithm 1
with n_critic = {f.n_critic}) after {f.critic_steps} at the start; the same rates for the three
generator losses, seeds {", ".join(map(str, f.seeds))}.

{_path_rows(lines)}

{_path_verdict(lines)}

![Figure 2](figures/two_gaussians.png)

**Figure 2 (paper Sec. 3).** Real N({foundations.REAL_MEAN:g}, {foundations.STD:g}²), fake
N({foundations.FAKE_MEAN:g}, {foundations.STD:g}²), {f.gaussian_steps} updates of each network
(as above) against the fixed fake. At the fake mode x = {foundations.FAKE_MEAN:g}, the gradient
the minimax loss log(1 - D) gives a fake sample is {_values(gaussians.minimax_at_mode, '.2e')}
(one per seed); the critic's is {_values(gaussians.critic_at_mode, '.3f')}:
**{ratio_mode.min():.3g} times larger or more** (per seed: {_values(ratio_mode, '.3g')}).
The saturated discriminator gives vanishing gradients; the clipped critic, piecewise linear,
gives clean ones everywhere. Averaged over {foundations.EVAL_SIZE} fake samples the
discriminator's is {_values(gaussians.minimax_at_fake, '.2e')}: the few samples in the far
tail, near its decision boundary, are the only ones still pushed (critic:
{_values(gaussians.critic_at_fake, '.3f')}).
"""


def w1_section(s, *, w1, tracks, runs, w1_digits, digits_floor, run_title, method_names) -> str:
  """Section 2: the critics' estimates against the exact W1 (2-D runs and digits)."""
  rows = [
    "| method | mixture | Spearman ρ(estimate, W1), per seed | estimate / W1 at the end | "
    "W1 first → last | W1 of two real sets |",
    "|---|---|---|---|---|---|",
  ]
  for (dataset, method), a in w1.items():
    t = tracks[dataset, method]
    first, last = (np.mean([w[i] for w in t["w1"]]) for i in (0, -1))
    rows.append(
      f"| {method_names[method]} | {dataset} | **{a['rho']:.2f}** "
      f"({_values(a['rhos'], '.2f')}) | **{a['ratio']:.3g}** | "
      f"{first:.3f} → {last:.3f} | {t['real_w1']:.3f} |"
    )
  digits = []
  for name, c in w1_digits.items():
    series = runs[name].score_series("pixel_w1")
    estimate = runs[name].estimate_name.replace("_", " ")
    digits.append(
      f"- {run_title(name, s)}: Spearman rho({estimate}, pixel W1) = "
      f"**{c['rho']:.2f}** (p = {c['p']:.2g}, {c['points']} scored steps); pixel W1 "
      f"{series[0]:.2f} → {series[-1]:.2f}"
    )
  tracked = "seed 0" if s.w1_seeds == 1 else f"seeds 0-{s.w1_seeds - 1}"
  return f"""## 2. The estimate against the exact distance

![estimate against W1](figures/estimate_vs_w1.png)

The paper's central claim is that the critic's value estimates W1, up to its Lipschitz
constant K (Sec. 3). Here it is measured: after every {s.w1_every} generator steps of the
WGAN and WGAN-GP 2-D runs of section 3 ({tracked}; ρ over
{s.mixture_steps // s.w1_every} evaluations), the estimate mean f(real) - mean f(fake) on
{s.w1_points} fresh real and {s.w1_points} generated points is set
beside the exact W1 between the same two sets (`wgan_jax.metrics.wasserstein.exact_w1`: POT's
exact network simplex, Euclidean cost). W1 between two independent real sets of that size is the
floor a perfect generator would show.

{chr(10).join(rows)}

A rank correlation near 1 says the estimate moves with W1. WGAN-GP's critic is pushed towards
gradient norm 1, so its estimate should approach W1 itself: by duality no 1-Lipschitz function
scores more than W1 on the same two sets, so the ratio is at most 1 for such a critic, and near
1 for a good one; above 1, the penalty (a soft constraint) has left the critic steeper than 1
between these points. WGAN's clipped critic has a K far from 1: only its rank correlation means
something.

Digits: exact W1 between the {s.eval_images} generated images of the fixed noise batch and the
297 held-out digits, each a vector of 256 pixels in [-1, 1], at every scored step (step 0
excluded from ρ, as in section 4). The floor, {s.eval_images} training digits against the same
held-out ones, is {digits_floor:.2f}. The GAN run's JS estimate is listed for contrast.

{chr(10).join(digits)}
"""
