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
from wgan_jax import began, data, losses, models, objectives, optim, state as state_lib, steps
from wgan_jax.metrics import mode_coverage

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
    return cls(name, hp["optimizer"], hp["lr"], hp["beta1"], hp["beta2"],
               hp["clip_value"] or None, hp["n_critic"],
               hp.get("began_lambda_k", cls.began_lambda_k))


@functools.cache
def _init_fn(rec: PointRecipe, width: int, nz: int):
  """(objective, jitted `keys_S -> GANState` of S runs): MLP generator; MLP critic, or an MLP
  autoencoder for an objective that needs one (BEGAN)."""
  spec = objectives.make(rec.name, began_lambda_k=rec.began_lambda_k)
  tx = lambda clip: optim.make_optimizer(rec.optimizer, rec.lr, clip_value=clip, beta1=rec.beta1,
                                         beta2=rec.beta2)
  critic = (began.MLPAutoencoderCritic(width=width) if spec.autoencoder_critic
            else models.MLPCritic(width=width))
  return spec, jax.jit(jax.vmap(functools.partial(
      state_lib.create_state, generator=models.MLPGenerator(width=width, nz=nz, output_shape=(2,)),
      critic=critic, generator_tx=tx(None), critic_tx=tx(rec.clip_value), data_shape=(2,), nz=nz,
      clip_value=rec.clip_value, loss=spec)))


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
      real = _real_points(jax.random.fold_in(data_key, first_step + i), modes_Mx2, num_modes,
                          std, (n_critic, batch_size))
      return steps.train_step(state, real, run_key, loss=spec)[0], None
    return jax.lax.scan(body, state, jnp.arange(steps_per_call))[0]

  return jax.jit(jax.vmap(one_run, (0, 0, 0, None, None, None, None)), donate_argnums=0)


def train_mixture(rec: PointRecipe, dataset: str, seeds, *, num_steps: int, width: int,
                  batch_size: int, nz: int = 2, steps_per_call: int = 100, workdir: str):
  """Trains `rec` on `dataset` once per seed and scores each run's final 2,500 samples.

  Each run writes `workdir/seed_<s>/samples.npy`, float32 `[2500, 2]`.

  Args:
    rec: the method.
    dataset: "ring8" or "grid25".
    seeds: the seeds (initial weights, noise and data of each run).
    num_steps: generator iterations of every run.
    width: hidden width of the MLPs.
    batch_size: examples per critic and generator batch.
    nz: noise length.
    steps_per_call: generator iterations scanned in one call.
    workdir: the folder of this method's runs.

  Returns:
    (list of `mode_coverage` dicts, one per seed; wall seconds, compilation included).
  """
  t0 = time.time()
  if num_steps % steps_per_call:
    raise ValueError(f"steps_per_call={steps_per_call} does not divide num_steps={num_steps}")
  modes, std = data.mixture_modes(dataset)
  # Padded to MAX_MODES rows, so every mixture runs the same compiled program.
  padded = np.zeros((MAX_MODES, 2), np.float32)
  padded[:len(modes)] = modes
  spec, init = _init_fn(rec, width, nz)
  keys = jax.vmap(jax.random.key)(jnp.asarray(seeds))
  init_keys, run_keys, data_keys, sample_keys = (
      jax.vmap(jax.random.fold_in, (0, None))(keys, i) for i in range(4))
  state = init(init_keys)

  advance = _advance(spec, rec.n_critic, batch_size, steps_per_call)
  for first in range(0, num_steps, steps_per_call):
    state = advance(state, run_keys, data_keys, first, padded, len(modes), std)
  sample = jax.vmap(lambda g, k: steps.apply_player(
      g, g.params, steps.sample_noise(k, NUM_SAMPLES, nz, spec.noise_prior))[0])
  samples_SxNx2 = np.asarray(jax.jit(sample)(state.generator, sample_keys), np.float32)
  results = []
  for seed, samples_Nx2 in zip(seeds, samples_SxNx2):
    run_dir = os.path.join(workdir, f"seed_{seed}")
    os.makedirs(run_dir, exist_ok=True)
    np.save(os.path.join(run_dir, "samples.npy"), samples_Nx2)
    results.append(mode_coverage.mode_coverage(samples_Nx2, modes, std))
  return results, time.time() - t0
