"""train_and_evaluate(config, workdir): the one place that reads a whole config and jits the
steps."""

import functools
import json
import math
import os
import time

import jax
import numpy as np

from wgan_jax import (
  atomic_files,
  checkpoint,
  config_check,
  data,
  models,
  parallel,
  pictures,
  progress,
  recipe,
  run_guards,
  steps,
)
from wgan_jax import (
  seeds as seeds_lib,
)
from wgan_jax.errors import TrainingDiverged
from wgan_jax.run_log import RunLog
from wgan_jax.xla_cpu import compile_options


def _finite_players(state) -> dict[str, jax.Array]:
  """{"generator": bool, "critic": bool} on device: whether every parameter, batch statistic and
  optimizer moment of the player is finite."""
  return {
    name: checkpoint.all_finite((p.params, p.batch_stats, p.opt_state))
    for name, p in (("generator", state.generator), ("critic", state.critic))
  }


def make_source(config, seeds: seeds_lib.Seeds):
  """This process's critic batches for every seed of `seeds` (stacked when there are several),
  read from the dataset `config` names.

  Raises:
    DataError: the dataset cannot be used as asked.
  """
  return seeds.source(
    lambda seed: data.make_source(
      config.dataset,
      image_size=config.image_size,
      channels=config.channels,
      batch_size=config.batch_size,
      seed=seed,
      data_dir=config.data_dir or None,
      process_index=jax.process_index(),
      process_count=jax.process_count(),
    )
  )


def make_iteration(r: recipe.Recipe, *, put=lambda x: x, vmap=lambda f: f, **jit_kwargs):
  """One generator iteration as the host dispatches it: `iterate(state, real_NxBx..., key) ->
  (state, metrics)`, one rolled scan of its critic updates and the generator update.

  `put` places a host batch (e.g. as a global sharded array); `vmap` maps the step over stacked
  runs (`Seeds.vmap`: then `iterate(state_S, real_SxNxBx..., key_S)`); `jit_kwargs` go to
  `jax.jit` (shardings, donation; `compiler_options` defaults to
  `compile_options.step_compiler_options()`).
  """
  jit_kwargs = {"compiler_options": compile_options.step_compiler_options(), **jit_kwargs}
  train_step = jax.jit(vmap(functools.partial(steps.train_step, loss=r.loss)), **jit_kwargs)
  return lambda state, real, key: train_step(state, put(real), key)


def train_and_evaluate(config, workdir: str, *, hooks=()) -> dict:
  """Trains the run that `config` describes in `workdir`, resuming from its latest checkpoint.

  With `config.num_seeds` = N > 1, trains the N runs of seeds `seed, ..., seed + N - 1` at once,
  one compiled program `jax.vmap`ped over their stacked states (see `seeds.py`): each equals
  the run of its seed alone.

  Nothing is written before the config, the data and any checkpoint there are checked.

  Args:
    config: the run's config (`experiments/configs/base.py` lists and explains every field).
    workdir: the run's folder: checkpoints, metrics.jsonl, samples, TensorBoard events.
    hooks: callables `hook(step, state)`, called after every generator step (and its sample
      grid or checkpoint, if any) with the step reached and the state (stacked `[S, ...]` over
      seeds when there are several); evaluations such as the report's. The next step donates
      that state's buffers, so a hook must be done with it when it returns.

  Returns:
    A summary: `step`, `seconds`, `wasserstein_estimate` (last; the mean over seeds), `workdir`,
    `stopped_by` (a signal name, or None when all `num_steps` ran), `metrics` (last; the means
    over seeds) and `seed_metrics` ({seed: its last metrics}).

  Raises:
    ConfigError, DataError, CheckpointError, WorkdirError: bad input, before anything is written.
    TrainingDiverged: a loss or a parameter became non-finite; no checkpoint of it was saved.
    DiskFullError: the workdir's disk filled up; the checkpoints it names are intact.
  """
  config_check.check(config)
  parallel.maybe_initialize_distributed()
  main = jax.process_index() == 0
  parallel.check_batch_size(config.batch_size, jax.device_count())
  seeds = seeds_lib.Seeds.of(config.seed, config.get("num_seeds", 1))
  mesh = parallel.make_mesh(explicit=not seeds.stacked)
  source = make_source(config, seeds)
  r = recipe.build(config, source.element_shape)
  checkpoint.check_compatible(workdir, config.to_dict())
  run_guards.prepare_workdir(workdir)

  repl = parallel.replicated(mesh)
  batches_sharding = parallel.batch_sharding(mesh, batch_axis=seeds.batch_axis)
  init_key, run_key, sample_key = (
    seeds.keys(k) for k in (seeds_lib.INIT, seeds_lib.RUN, seeds_lib.SAMPLES)
  )
  create_state = seeds.vmap(r.create_state)
  abstract = jax.tree.map(
    lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
    jax.eval_shape(create_state, init_key),
  )
  manager = checkpoint.make_manager(workdir, max_to_keep=config.keep_checkpoints)
  state = checkpoint.restore_latest(manager, abstract)
  resumed = state is not None
  if state is None:
    state = jax.jit(create_state, out_shardings=repl)(init_key)
  if main:
    with run_guards.disk_full_is_one_line(workdir, manager):
      atomic_files.replace_text(
        os.path.join(workdir, "config.json"), json.dumps(config.to_dict(), indent=1)
      )
  finite_players = jax.jit(seeds.vmap(_finite_players))

  start = seeds_lib.step_of(state)
  iterate = make_iteration(
    r,
    put=lambda x: parallel.global_batch(x, batches_sharding),
    vmap=seeds.vmap,
    in_shardings=(repl, batches_sharding, repl),
    out_shardings=(repl, repl),
    donate_argnums=0,
  )
  sample = jax.jit(
    seeds.vmap(lambda g, z: steps.apply_player(g, g.params, z)[0]), out_shardings=repl
  )
  z_fixed = seeds.vmap(
    lambda key: steps.sample_noise(key, config.num_samples, config.nz, r.loss.noise_prior)
  )(sample_key)

  if main:
    print(
      f"devices: {jax.device_count()} x {jax.devices()[0].device_kind} "
      f"({jax.process_count()} process(es)); global batch {config.batch_size}"
    )
    print(
      f"parameters: generator {models.count_params(state.generator.params):,}, "
      f"critic {models.count_params(state.critic.params):,}"
      + (f" (all {len(seeds.values)} seeds)" if seeds.stacked else "")
    )
    print(f"config:\n{config}")
    print(f"{'resuming from step ' + str(start) if resumed else 'starting'} in {workdir}")
    if start > config.num_steps:
      print(
        f"warning: {workdir} is already at step {start}, past --config.num_steps="
        f"{config.num_steps}: nothing to train (raise --config.num_steps to go on)."
      )

  batches = seeds.batches(
    data.prefetch_batches(
      source,
      (r.schedule.at(s) for s in range(start, config.num_steps)),
      r.schedule.batches_before(start),
    )
  )
  pending, last, stopped_by = None, [], None
  # The progress line shows the mean over seeds of the objective's progress metric.
  shown = r.loss.progress_metric
  shown_as = f"mean_{shown}" if seeds.stacked else shown

  def diverged(what: str, step: int, seed: int) -> TrainingDiverged:
    latest = manager.latest_step()
    where = "none yet" if latest is None else f"step {latest} in {workdir}/checkpoints"
    which = f" of seed {seed}" if seeds.stacked else ""
    return TrainingDiverged(
      f"non-finite {what}{which} at generator step {step}; last good "
      f"checkpoint: {where} (lower the learning rate?)."
    )

  def drain(pending):
    """Fetches a finished step's metrics, logs them, and stops on a non-finite loss."""
    nonlocal last
    step, metrics = pending
    last = [
      (seed, {k: float(v) for k, v in m.items()})
      for seed, m in seeds.split(jax.device_get(metrics))
    ]
    for seed, m in last:
      bad = [k for k, v in m.items() if not math.isfinite(v)]
      if bad:
        raise diverged(", ".join(bad), step, seed)
    for seed, m in last:
      warning = log.observe(
        step,
        m,
        log=step % config.log_every == 0 or step == config.num_steps,
        seed=seed if seeds.stacked else None,
      )
      if warning:
        bar.write(f"warning: {warning}")
    value = np.mean([m.get(shown, float("nan")) for _, m in last])
    bar.set_postfix({shown_as: f"{value:.4g}"}, refresh=False)
    bar.update(step - bar.n)  # the bar counts fetched steps, so its estimate is its step's

  critic_values = jax.jit(lambda c, x: steps.apply_player(c, c.params, x)[0])  # 2-D contours

  def save_samples(step):
    """One picture per seed: `samples/step_XXXXXX.png`, or `samples/seed_<s>/...` stacked."""
    images = np.asarray(jax.device_get(sample(state.generator, z_fixed)))
    if not main:
      return
    points = r.data_shape == (2,)
    if points:
      real = np.concatenate([source.batch(i) for i in range(8)], axis=-2)
      players = seeds.split(state.critic)
    for i, (seed, images_i) in enumerate(seeds.split(images)):
      path = os.path.join(workdir, "samples", seeds.prefix(seed) + f"step_{step:06d}.png")
      os.makedirs(os.path.dirname(path), exist_ok=True)
      if points:
        picture = pictures.save_points_plot(
          images_i,
          seeds.split(real)[i][1],
          path,
          title=f"step {step}",
          critic_fn=lambda x, c=players[i][1]: jax.device_get(critic_values(c, x)),
        )
      else:
        picture = pictures.save_image_grid(images_i, path)
      log.image(seeds.prefix(seed) + "samples", picture, step)
    log.plot()

  t0 = time.time()
  with (
    run_guards.StopRequest() as stop,
    run_guards.finishing(manager),
    run_guards.disk_full_is_one_line(workdir, manager),
    RunLog(workdir, write=main, start_step=start) as log,
    progress.bar(total=config.num_steps, initial=start, disable=not main) as bar,
  ):
    for step in range(start, config.num_steps):
      state, metrics = iterate(state, next(batches), run_key)
      if pending:
        drain(pending)
      pending = (step + 1, metrics)
      # One reading of the flag per step: a signal landing after it is seen a step later, so a
      # stopped run always saves the step it stops at.
      stopped_by = stop.signal
      done = step + 1 == config.num_steps or stopped_by is not None
      sample_now = (step + 1) % config.sample_every == 0 or done
      save_now = (step + 1) % config.checkpoint_every == 0 or done
      if sample_now or save_now:
        drain(pending)
        pending = None
        for seed, finite in seeds.split(jax.device_get(finite_players(state))):
          bad = [name for name, ok in finite.items() if not ok]
          if bad:  # the metrics predate the step's last updates: check what is written
            raise diverged(" and ".join(f"{name} parameters" for name in bad), step + 1, seed)
      if sample_now:
        save_samples(step + 1)
      if save_now:
        checkpoint.save(manager, state)
      for hook in hooks:
        hook(step + 1, state)
      if stopped_by:
        break
    if pending:
      drain(pending)
    log.plot()
  means = {k: float(np.mean([m[k] for _, m in last])) for k in (last[0][1] if last else {})}
  return {
    "step": seeds_lib.step_of(state),
    "seconds": time.time() - t0,
    "wasserstein_estimate": means.get("wasserstein_estimate"),
    "progress_metric": shown,
    "workdir": workdir,
    "stopped_by": stopped_by,
    "metrics": means,
    "seed_metrics": dict(last),
  }
