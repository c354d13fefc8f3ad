"""One image run of the report: train a config on the digits and score the generator as it learns.

The loop is `train.py`'s (`train.make_iteration`: each generator iteration one compiled scan),
without checkpoints and logs, plus a quality score
of a fixed noise batch every `eval_every` generator steps, so the estimate and the quality are
measured at the same steps in one process.
"""

import dataclasses
import time

import jax
import numpy as np

from wgan_jax import data, recipe, steps, train
from wgan_jax.metrics import wasserstein


@dataclasses.dataclass
class DigitsRun:
  """What one run produced.

  Attributes:
    estimate_name: the objective's progress metric: "wasserstein_estimate" (WGAN),
      "js_estimate" (standard GAN).
    estimates: the critic's estimate of every generator step (its last critic update), `[T]`.
    eval_steps: generator steps at which the samples were scored, `[E]`.
    scores: one `DigitsScorer.score` dict per evaluation, with `pixel_w1` added when the run
      had real images to compare with.
    final_images: the fixed noise batch's images after the last step, `[N, S, S, 1]`.
    seconds: wall time of the run, compilation and scoring included.
  """

  estimate_name: str
  estimates: np.ndarray
  eval_steps: np.ndarray
  scores: list
  final_images: np.ndarray
  seconds: float

  def score_series(self, key: str = "frechet_distance") -> np.ndarray:
    """One score over the evaluations, `[E]`."""
    return np.array([s[key] for s in self.scores], np.float64)


def train_digits(
  config, scorer, *, eval_every: int, num_eval_images: int, w1_reference=None
) -> DigitsRun:
  """Trains `config` (a digits config, see experiments/configs) and scores it as it goes.

  Args:
    config: the run's ConfigDict; `num_steps`, `seed`, `loss` and the networks are read from it.
    scorer: a `DigitsScorer` at `config.image_size`.
    eval_every: generator steps between two scores (step 0, the untrained generator, included).
    num_eval_images: images generated from one fixed noise batch for every score.
    w1_reference: real images `[M, S, S, 1]` in [-1, 1] (the held-out digits); when given, every
      score also holds `pixel_w1`, the exact W1 between them and the generated images, each
      flattened to a vector of S * S pixels.

  Returns:
    A `DigitsRun`.
  """
  t0 = time.time()
  source = data.make_source(
    config.dataset,
    image_size=config.image_size,
    channels=config.channels,
    batch_size=config.batch_size,
    seed=config.seed,
  )
  r = recipe.build(config, source.element_shape)
  root_key = jax.random.key(config.seed)
  init_key, run_key, sample_key = (jax.random.fold_in(root_key, i) for i in range(3))
  state = jax.jit(r.create_state)(init_key)
  iterate = train.make_iteration(r, donate_argnums=0)
  sample = jax.jit(lambda g, z: steps.apply_player(g, g.params, z)[0])
  z_fixed = steps.sample_noise(sample_key, num_eval_images, config.nz, r.loss.noise_prior)
  estimate_name = r.loss.progress_metric

  eval_steps, scores, metrics = [], [], []

  def evaluate(step):
    eval_steps.append(step)
    images = np.asarray(sample(state.generator, z_fixed))
    scores.append(scorer.score(images))
    if w1_reference is not None:
      scores[-1]["pixel_w1"] = wasserstein.exact_w1(
        images.reshape(len(images), -1), w1_reference.reshape(len(w1_reference), -1)
      )

  evaluate(0)
  batches = data.prefetch_batches(source, (r.schedule.at(s) for s in range(config.num_steps)), 0)
  for step in range(config.num_steps):
    state, m = iterate(state, next(batches), run_key)
    metrics.append(m[estimate_name])
    if (step + 1) % eval_every == 0 or step + 1 == config.num_steps:
      evaluate(step + 1)
  batches.close()
  estimates = np.asarray(jax.device_get(metrics), np.float64)
  if not np.all(np.isfinite(estimates)):
    raise FloatingPointError(f"{estimate_name} became non-finite in a report run: {config}")
  return DigitsRun(
    estimate_name,
    estimates,
    np.array(eval_steps),
    scores,
    np.asarray(sample(state.generator, z_fixed)),
    time.time() - t0,
  )
