"""The report's 2-D runs: one method on one mixture, all seeds at once (`jax.vmap` over seeds).

Small MLPs on 2-D points cost little per step, so the seeds share one compiled program and every
call scans `steps_per_call` generator iterations. Real points are drawn inside the program from
the mixture's modes and spread (`data.mixture_modes`), a fresh batch for every critic update.
"""

import dataclasses
import functools
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from experiments.configs import methods
from wgan_jax import began, data, losses, models, objectives, optim, steps
from wgan_jax import state as state_lib
from wgan_jax.metrics import mode_coverage, wasserstein

NUM_SAMPLES = 2500  # the VEEGAN / PacGAN protocol
MAX_MODES = 25


@dataclasses.dataclass(frozen=True)
class PointRecipe:
  """One method's optimizer and objective for points (MLP nets, batch and width shared).

  Attributes:
    name: "wgan", "wgan_gp", "gan" or "began".
    optimizer, lr, beta1, beta2, clip_value, n_critic: as in `configs.methods.PUBLISHED`.
    began_lambda_k: BEGAN's learning rate of k_t.
  """

  name: str
  optimizer: str
  lr: float
  beta1: float
  beta2: float
  clip_value: float | None
  n_critic: int
  began_lambda_k: float = 0.001

  @classmethod
  def published(cls, name: str, **overrides):
    """The method's published recipe (`configs.methods.PUBLISHED`), with `overrides`."""
    hp = {**methods.PUBLISHED[name], **overrides}
    return cls(
      name,
      hp["optimizer"],
      hp["lr"],
      hp["beta1"],
      hp["beta2"],
      hp["clip_value"] or None,
      hp["n_critic"],
      hp.get("began_lambda_k", cls.began_lambda_k),
    )


@functools.cache
def _init_fn(rec: PointRecipe, width: int, nz: int):
  """(objective, jitted `keys_S -> GANState` of S runs): MLP generator; MLP critic, or an MLP
  autoencoder for an objective that needs one (BEGAN)."""
  spec = objectives.make(rec.name, began_lambda_k=rec.began_lambda_k)
  tx = lambda clip: optim.make_optimizer(
    rec.optimizer, rec.lr, clip_value=clip, beta1=rec.beta1, beta2=rec.beta2
  )
  critic = (
    began.MLPAutoencoderCritic(width=width)
    if spec.autoencoder_critic
    else models.MLPCritic(width=width)
  )
  return spec, jax.jit(
    jax.vmap(
      functools.partial(
        state_lib.create_state,
        generator=models.MLPGenerator(width=width, nz=nz, output_shape=(2,)),
        critic=critic,
        generator_tx=tx(None),
        critic_tx=tx(rec.clip_value),
        data_shape=(2,),
        nz=nz,
        clip_value=rec.clip_value,
        loss=spec,
      )
    )
  )


def _real_points(key, modes_Mx2, num_modes, std, shape):
  """Points of the mixture: one of the first `num_modes` modes, drawn uniformly, plus
  N(0, std^2 I) noise: `[*shape, 2]`."""
  mode_key, noise_key = jax.random.split(key)
  index = jax.random.randint(mode_key, shape, 0, num_modes)
  return modes_Mx2[index] + std * jax.random.normal(noise_key, (*shape, 2))


@functools.cache
def _advance(spec, n_critic, batch_size, steps_per_call):
  """`steps_per_call` generator iterations of every seed's run, compiled once per method."""

  def one_run(state, run_key, data_key, first_step, modes_Mx2, num_modes, std):
    def body(state, i):
      real = _real_points(
        jax.random.fold_in(data_key, first_step + i),
        modes_Mx2,
        num_modes,
        std,
        (n_critic, batch_size),
      )
      return steps.train_step(state, real, run_key, loss=spec)[0], None

    return jax.lax.scan(body, state, jnp.arange(steps_per_call))[0]

  return jax.jit(jax.vmap(one_run, (0, 0, 0, None, None, None, None)), donate_argnums=0)


@functools.cache
def _estimate_fn(spec, nz, num_points):
  """Every seed's fresh real and generated points `[S, P, 2]` and the critic's estimate
  mean f(real) - mean f(fake) on them `[S]`."""

  def one_run(state, key, modes_Mx2, num_modes, std):
    real_key, noise_key = jax.random.split(key)
    real = _real_points(real_key, modes_Mx2, num_modes, std, (num_points,))
    z = steps.sample_noise(noise_key, num_points, nz, spec.noise_prior)
    fake = steps.apply_player(state.generator, state.generator.params, z)[0]
    f = lambda x: steps.apply_player(state.critic, state.critic.params, x)[0]
    return real, fake, -losses.critic_loss(f(real), f(fake))

  return jax.jit(jax.vmap(one_run, (0, 0, None, None, None)))


def _evaluate_w1(track, state, spec, nz, keys, step, modes_Mx2, num_modes, std):
  """Appends the estimate and the exact W1 of the first seeds at `step` to `track`."""
  t0 = time.time()
  num_seeds, num_points = len(track["w1"]), track["points"]
  eval_keys = jax.vmap(jax.random.fold_in, (0, None))(keys, 4 + step)
  real, fake, estimate = jax.device_get(
    _estimate_fn(spec, nz, num_points)(state, eval_keys, modes_Mx2, num_modes, std)
  )
  track["steps"].append(step)
  for i in range(num_seeds):
    track["estimate"][i].append(float(estimate[i]))
    track["w1"][i].append(wasserstein.exact_w1(real[i], fake[i]))
  if "real_w1" not in track:  # Two independent real sets: W1 at a perfect generator.
    other = jax.device_get(
      _real_points(jax.random.fold_in(eval_keys[0], 1), modes_Mx2, num_modes, std, (num_points,))
    )
    track["real_w1"] = wasserstein.exact_w1(real[0], other)
  track["seconds"] += time.time() - t0


def train_mixture(
  rec: PointRecipe,
  dataset: str,
  seeds,
  *,
  num_steps: int,
  width: int,
  batch_size: int,
  nz: int = 2,
  steps_per_call: int = 100,
  workdir: str,
  w1_seeds: int = 0,
  w1_points: int = NUM_SAMPLES,
):
  """Trains `rec` on `dataset` once per seed and scores each run's final 2,500 samples.

  With `w1_seeds` > 0 (WGAN and WGAN-GP, whose critic estimates W1), after every call the
  critic's estimate mean f(real) - mean f(fake) on `w1_points` fresh real and generated points
  is set beside the exact W1 between those two sets, for the first `w1_seeds` seeds.

  Each run writes `workdir/seed_<s>/samples.npy`, float32 `[2500, 2]`.

  Args:
    rec: the method.
    dataset: "ring8" or "grid25".
    seeds: the seeds (initial weights, noise and data of each run).
    num_steps: generator iterations of every run.
    width: hidden width of the MLPs.
    batch_size: examples per critic and generator batch.
    nz: noise length.
    steps_per_call: generator iterations scanned in one call (and between two W1 evaluations).
    workdir: the folder of this method's runs.
    w1_seeds: how many seeds (the first ones) to evaluate against the exact W1; 0: none.
    w1_points: real and generated points per W1 evaluation.

  Returns:
    (list of `mode_coverage` dicts, one per seed; wall seconds of the training, compilation
    included, the W1 evaluations not; None without `w1_seeds`, else a dict: `steps` [E],
    `estimate` and `w1` [w1_seeds][E], `real_w1` (W1 between two independent real sets, the
    sampling floor), `points`, `seconds` (of the evaluations)).
  """
  t0 = time.time()
  if num_steps % steps_per_call:
    raise ValueError(f"steps_per_call={steps_per_call} does not divide num_steps={num_steps}")
  modes, std = data.mixture_modes(dataset)
  # Padded to MAX_MODES rows, so every mixture runs the same compiled program.
  padded = np.zeros((MAX_MODES, 2), np.float32)
  padded[: len(modes)] = modes
  spec, init = _init_fn(rec, width, nz)
  keys = jax.vmap(jax.random.key)(jnp.asarray(seeds))
  init_keys, run_keys, data_keys, sample_keys = (
    jax.vmap(jax.random.fold_in, (0, None))(keys, i) for i in range(4)
  )
  state = init(init_keys)

  advance = _advance(spec, rec.n_critic, batch_size, steps_per_call)
  track = None
  if w1_seeds:
    track = {
      "steps": [],
      "estimate": [[] for _ in range(w1_seeds)],
      "w1": [[] for _ in range(w1_seeds)],
      "points": w1_points,
      "seconds": 0.0,
    }
  for first in range(0, num_steps, steps_per_call):
    state = advance(state, run_keys, data_keys, first, padded, len(modes), std)
    if track:
      _evaluate_w1(track, state, spec, nz, keys, first + steps_per_call, padded, len(modes), std)
  sample = jax.vmap(
    lambda g, k: steps.apply_player(
      g, g.params, steps.sample_noise(k, NUM_SAMPLES, nz, spec.noise_prior)
    )[0]
  )
  samples_SxNx2 = np.asarray(jax.jit(sample)(state.generator, sample_keys), np.float32)
  results = []
  for seed, samples_Nx2 in zip(seeds, samples_SxNx2):
    run_dir = os.path.join(workdir, f"seed_{seed}")
    os.makedirs(run_dir, exist_ok=True)
    np.save(os.path.join(run_dir, "samples.npy"), samples_Nx2)
    results.append(mode_coverage.mode_coverage(samples_Nx2, modes, std))
  return results, time.time() - t0 - (track["seconds"] if track else 0.0), track
