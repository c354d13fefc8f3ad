"""The report's 2-D runs: one method on one mixture, all its seeds as one run of the library.

A run is what `python -m experiments.mixture_wgan --config.loss=METHOD
--config.num_seeds=N` trains (`experiments/configs/mixture.py`, at the report's sizes, with a
short-run recipe): `train.train_and_evaluate` steps the N seeds in one compiled program, writes
their checkpoints, metrics and pictures to the run's folder, and calls this module's evaluation
as a hook; the final samples come from the checkpoint through `generate`, as
`python -m experiments.generate --seed_index=i` would draw them.
"""

import contextlib
import os
import shutil
import time

import jax
import ml_collections
import numpy as np

from experiments.configs import mixture
from wgan_jax import data, generate, steps, train
from wgan_jax.metrics import mode_coverage, wasserstein

NUM_SAMPLES = 2500  # the VEEGAN / PacGAN protocol
# Short-run recipes: each method's published optimizer with larger steps
# (tests/baselines_test.py shows them moving samples onto the ring within a few hundred steps),
# since CPU budgets allow thousands of generator steps, not the 100,000 of WGAN-GP's toy code.
RECIPES = {
  "wgan": {"lr_g": 1e-3, "lr_d": 1e-3, "clip_value": 0.05},
  "wgan_gp": {"lr_g": 1e-3, "lr_d": 1e-3},
  "gan": {"lr_g": 1e-3, "lr_d": 1e-3},
  "began": {"lr_g": 3e-4, "lr_d": 3e-4, "began_lambda_k": 0.01},
}
# Real points of the W1 evaluations: batch `step` of this stream, which no training run reads
# (those read their own seed's).
EVAL_STREAM = 2**31 - 1


class Stopped(Exception):
  """A run stopped by a signal (its training loop saves a checkpoint and returns early); the
  argument is the signal's name."""


def mixture_config(method: str, dataset: str, s) -> ml_collections.ConfigDict:
  """The config of the report's run of `method` on `dataset` at sizes `s` (`Settings`): the 2-D
  experiment's, with `RECIPES[method]`, seeds 0..N-1, and pictures and a checkpoint at half the
  steps and at the end."""
  c = mixture.get_config(method)
  c.update(RECIPES[method])
  c.dataset = dataset
  c.seed, c.num_seeds = 0, s.mixture_seeds
  c.num_steps = s.mixture_steps
  c.width_g = c.width_d = s.mixture_width
  c.batch_size = s.mixture_batch
  c.sample_every = c.checkpoint_every = s.mixture_steps // 2
  c.keep_checkpoints = 2
  c.num_samples = 512
  return c


class _Evaluation:
  """The hook of one run: every `w1_every` steps, the critic's estimate against the exact W1 of
  the first `w1_seeds` seeds; at half the steps, every seed's mode coverage."""

  def __init__(self, config, s, track_w1: bool):
    self.config, self.s = config, s
    self.modes, self.std = data.mixture_modes(config.dataset)
    self.half: list[dict] = []
    self.track = None
    self.seconds = 0.0
    if track_w1:
      self.track = {
        "steps": [],
        "estimate": [[] for _ in range(s.w1_seeds)],
        "w1": [[] for _ in range(s.w1_seeds)],
        "points": s.w1_points,
        "seconds": 0.0,
      }
      self.real = data.make_source(
        config.dataset,
        image_size=0,
        channels=0,
        batch_size=s.w1_points,
        seed=EVAL_STREAM,
      )
      self.critic_fn = jax.jit(lambda c, x: steps.apply_player(c, c.params, x)[0])

  def __call__(self, step: int, state) -> None:
    t0 = time.time()
    if self.track and step % self.s.w1_every == 0:
      self._w1(step, state)
    if step == self.config.num_steps // 2:
      self.half = [
        mode_coverage.mode_coverage(
          generate.sample(trained, NUM_SAMPLES, seed=trained.config.seed), self.modes, self.std
        )
        for trained in self._runs(state, self.s.mixture_seeds)
      ]
    self.seconds += time.time() - t0

  def _runs(self, state, count: int):
    return [generate.from_state(self.config, state, seed_index=i) for i in range(count)]

  def _w1(self, step: int, state) -> None:
    t0 = time.time()
    track = self.track
    real = self.real.batch(step)
    track["steps"].append(step)
    for i, trained in enumerate(self._runs(state, self.s.w1_seeds)):
      fake = generate.sample(trained, len(real), seed=step)
      critic = trained.state.critic
      values = jax.device_get([self.critic_fn(critic, x) for x in (real, fake)])
      track["estimate"][i].append(float(np.mean(values[0]) - np.mean(values[1])))
      track["w1"][i].append(wasserstein.exact_w1(real, fake))
    if "real_w1" not in track:  # Two independent real sets: W1 at a perfect generator.
      track["real_w1"] = wasserstein.exact_w1(real, self.real.batch(0 if step else 1))
    track["seconds"] += time.time() - t0


def train_mixture(method: str, dataset: str, s, *, workdir: str, track_w1: bool = False):
  """Trains the report's run of `method` on `dataset` (all `s.mixture_seeds` seeds at once) in
  `workdir` and scores each seed's final 2,500 samples.

  With `track_w1` (WGAN and WGAN-GP, whose critic estimates W1), every `s.w1_every` steps the
  critic's estimate mean f(real) - mean f(fake) on `s.w1_points` fresh real and generated points
  is set beside the exact W1 between those two sets, for the first `s.w1_seeds` seeds.

  Replaces anything in `workdir`. Writes the run's own outputs (`train.train_and_evaluate`'s:
  checkpoints, metrics.jsonl, samples/, its printed log as `train.log`) and
  `workdir/seed_<s>/samples.npy`, float32 `[2500, 2]` per seed.

  Returns:
    (final `mode_coverage` dicts, one per seed; the same at half the steps; wall seconds of the
    training, compilation included, the evaluations not; None without `track_w1`, else a dict:
    `steps` [E], `estimate` and `w1` [w1_seeds][E], `real_w1` (W1 between two independent real
    sets, the sampling floor), `points`, `seconds` (of the W1 evaluations)).

  Raises:
    ConfigError: sizes that do not make a valid run (`wgan_jax/config_check.py`).
    Stopped: SIGINT or SIGTERM stopped the training before its last step.
  """
  t0 = time.time()
  config = mixture_config(method, dataset, s)
  evaluation = _Evaluation(config, s, track_w1)
  shutil.rmtree(workdir, ignore_errors=True)  # every number from the run just made, not a resume
  os.makedirs(workdir)
  with (
    open(os.path.join(workdir, "train.log"), "w") as log,
    contextlib.redirect_stdout(log),
    contextlib.redirect_stderr(log),
  ):
    summary = train.train_and_evaluate(config, workdir, hooks=(evaluation,))
  if summary["stopped_by"]:  # a row cut short must not enter the table
    raise Stopped(summary["stopped_by"])
  seconds = time.time() - t0 - evaluation.seconds
  modes, std = data.mixture_modes(dataset)
  final = []
  for i in range(s.mixture_seeds):
    trained = generate.restore(workdir, seed_index=i)
    samples_Nx2 = generate.sample(trained, NUM_SAMPLES, seed=trained.config.seed)
    run_dir = os.path.join(workdir, f"seed_{trained.config.seed}")
    os.makedirs(run_dir, exist_ok=True)
    np.save(os.path.join(run_dir, "samples.npy"), samples_Nx2.astype(np.float32))
    final.append(mode_coverage.mode_coverage(samples_Nx2, modes, std))
  return final, evaluation.half, seconds, evaluation.track
