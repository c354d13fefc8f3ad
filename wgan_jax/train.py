"""train_and_evaluate(config, workdir): the one place that reads a whole config and jits the steps."""
import contextlib
import errno
import functools
import json
import math
import os
import signal
import time

import jax
import jax.numpy as jnp
import numpy as np

from wgan_jax import (checkpoint, config_check, data, models, parallel, pictures, progress,
                      recipe, steps)
from wgan_jax.errors import DiskFullError, TrainingDiverged, WorkdirError
from wgan_jax.xla_cpu import compile_options
from wgan_jax.run_log import RunLog

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

class _StopRequest:
  """Turns SIGINT/SIGTERM into a flag, so the loop saves a checkpoint before it exits."""

  def __init__(self):
    self.signal = None

  def __enter__(self):
    self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
    return self

  def _handle(self, signum, frame):
    if self.signal is not None:  # a second Ctrl-C: stop now
      raise KeyboardInterrupt
    self.signal = signal.Signals(signum).name

  def __exit__(self, *exc):
    for s, handler in self._old.items():
      signal.signal(s, handler)


@contextlib.contextmanager
def _finishing(manager):
  """Waits for the checkpoint save in flight and closes `manager`, also when training stops with
  an exception (a divergence, a second Ctrl-C), so the checkpoint an error names exists."""
  try:
    yield
  finally:
    manager.wait_until_finished()
    manager.close()


def _prepare_workdir(workdir: str):
  """Makes `workdir/samples`; raises WorkdirError when the workdir cannot be written."""
  try:
    os.makedirs(os.path.join(workdir, "samples"), exist_ok=True)
    probe = os.path.join(workdir, f".write_test.{jax.process_index()}")
    open(probe, "w").close()
    os.remove(probe)
  except OSError as e:
    raise WorkdirError(f"workdir {workdir!r} is not writable ({e.strerror}); pass a --workdir "
                       "you can write to.") from None


@contextlib.contextmanager
def _disk_full_is_one_line(workdir: str, manager):
  """Turns a full disk met while writing logs or pictures into one DiskFullError line that says
  which checkpoints are intact (checkpoint saves raise their own)."""
  try:
    yield
  except OSError as e:
    if isinstance(e, DiskFullError) or e.errno not in _DISK_FULL:
      raise
    steps_ = manager.all_steps()
    raise DiskFullError(
        e.errno, f"the disk holding {workdir} is full (writing {e.filename or 'the run log'}); "
        f"intact checkpoints: {', '.join(map(str, steps_)) or 'none'}; free some space and rerun "
        "the same command to resume from the newest.") from None


def _finite_players(state) -> dict[str, jax.Array]:
  """{"generator": bool, "critic": bool} on device: whether every parameter, batch statistic and
  optimizer moment of the player is finite."""
  return {name: checkpoint.all_finite((p.params, p.batch_stats, p.opt_state))
          for name, p in (("generator", state.generator), ("critic", state.critic))}


def make_iteration(r: recipe.Recipe, *, put=lambda x: x, **jit_kwargs):
  """One generator iteration as the host dispatches it: `iterate(state, real_NxBx..., key) ->
  (state, metrics)`, one rolled scan of its critic updates and the generator update.

  `put` places a host batch (e.g. as a global sharded array); `jit_kwargs` go to `jax.jit`
  (shardings, donation; `compiler_options` defaults to `compile_options.step_compiler_options()`).
  """
  jit_kwargs = {"compiler_options": compile_options.step_compiler_options(), **jit_kwargs}
  train_step = jax.jit(functools.partial(steps.train_step, loss=r.loss), **jit_kwargs)
  return lambda state, real, key: train_step(state, put(real), key)


def train_and_evaluate(config, workdir: str) -> dict:
  """Trains the run that `config` describes in `workdir`, resuming from its latest checkpoint.

  Nothing is written before the config, the data and any checkpoint there are checked.

  Returns:
    A summary: `step`, `seconds`, `wasserstein_estimate` (last), `workdir`, `stopped_by`
    (a signal name, or None when all `num_steps` ran).

  Raises:
    ConfigError, DataError, CheckpointError, WorkdirError: bad input, before anything is written.
    TrainingDiverged: a loss or a parameter became non-finite; no checkpoint of it was saved.
    DiskFullError: the workdir's disk filled up; the checkpoints it names are intact.
  """
  config_check.check(config)
  parallel.maybe_initialize_distributed()
  main = jax.process_index() == 0
  mesh = parallel.make_mesh()
  parallel.check_batch_size(config.batch_size, jax.device_count())
  source = data.make_source(
      config.dataset, image_size=config.image_size, channels=config.channels,
      batch_size=config.batch_size, seed=config.seed, data_dir=config.data_dir or None,
      process_index=jax.process_index(), process_count=jax.process_count())
  r = recipe.build(config, source.element_shape)
  checkpoint.check_compatible(workdir, config.to_dict())
  _prepare_workdir(workdir)

  repl, batches_sharding = parallel.replicated(mesh), parallel.batch_sharding(mesh)
  root_key = jax.random.key(config.seed)
  init_key, run_key, sample_key = (jax.random.fold_in(root_key, i) for i in range(3))
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=repl),
                          jax.eval_shape(r.create_state, init_key))
  manager = checkpoint.make_manager(workdir, max_to_keep=config.keep_checkpoints)
  state = checkpoint.restore_latest(manager, abstract)
  resumed = state is not None
  if state is None:
    state = jax.jit(r.create_state, out_shardings=repl)(init_key)
  if main:
    with open(os.path.join(workdir, "config.json"), "w") as f:
      json.dump(config.to_dict(), f, indent=1)
  finite_players = jax.jit(_finite_players)

  start = int(state.step)
  iterate = make_iteration(
      r, put=lambda x: parallel.global_batch(x, batches_sharding),
      in_shardings=(repl, batches_sharding, repl), out_shardings=(repl, repl), donate_argnums=0)
  sample = jax.jit(lambda g, z: steps.apply_player(g, g.params, z)[0], out_shardings=repl)
  z_fixed = steps.sample_noise(sample_key, config.num_samples, config.nz, r.loss.noise_prior)

  if main:
    print(f"devices: {jax.device_count()} x {jax.devices()[0].device_kind} "
          f"({jax.process_count()} process(es)); global batch {config.batch_size}")
    print(f"parameters: generator {models.count_params(state.generator.params):,}, "
          f"critic {models.count_params(state.critic.params):,}")
    print(f"config:\n{config}")
    print(f"{'resuming from step ' + str(start) if resumed else 'starting'} in {workdir}")

  log = RunLog(workdir, write=main, start_step=start)
  batches = data.prefetch_batches(source, (r.schedule.at(s) for s in range(start, config.num_steps)),
                                  r.schedule.batches_before(start))
  pending, last, stopped_by = None, {}, None
  shown = r.loss.progress_metric

  def diverged(what: str, step: int) -> TrainingDiverged:
    latest = manager.latest_step()
    where = "none yet" if latest is None else f"step {latest} in {workdir}/checkpoints"
    return TrainingDiverged(f"non-finite {what} at generator step {step}; last good checkpoint: "
                            f"{where} (lower the learning rate?).")

  def drain(pending):
    """Fetches a finished step's metrics, logs them, and stops on a non-finite loss."""
    nonlocal last
    step, metrics = pending
    last = {k: float(v) for k, v in jax.device_get(metrics).items()}
    bad = [k for k, v in last.items() if not math.isfinite(v)]
    if bad:
      raise diverged(", ".join(bad), step)
    warning = log.observe(step, last, log=step % config.log_every == 0 or step == config.num_steps)
    if warning:
      bar.write(f"warning: {warning}")
    bar.set_postfix({shown: f"{last.get(shown, float('nan')):.4g}"}, refresh=False)

  def save_samples(step):
    images = np.asarray(jax.device_get(sample(state.generator, z_fixed)))
    if not main:
      return
    path = os.path.join(workdir, "samples", f"step_{step:06d}.png")
    if r.data_shape == (2,):
      critic = jax.jit(lambda c, x: steps.apply_player(c, c.params, x)[0])
      real = np.concatenate([source.batch(i) for i in range(8)])
      picture = pictures.save_points_plot(
          images, real, path, title=f"step {step}",
          critic_fn=lambda x: jax.device_get(critic(state.critic, x)))
    else:
      picture = pictures.save_image_grid(images, path)
    log.image("samples", picture, step)
    log.plot()

  t0 = time.time()
  with _StopRequest() as stop, _finishing(manager), _disk_full_is_one_line(
      workdir, manager), progress.bar(total=config.num_steps, initial=start,
                                      disable=not main) as bar:
    for step in range(start, config.num_steps):
      state, metrics = iterate(state, next(batches), run_key)
      if pending:
        drain(pending)
      pending = (step + 1, metrics)
      bar.update(1)
      done = step + 1 == config.num_steps or stop.signal
      sample_now = (step + 1) % config.sample_every == 0 or done
      save_now = (step + 1) % config.checkpoint_every == 0 or done
      if sample_now or save_now:
        drain(pending)
        pending = None
        bad = [name for name, ok in jax.device_get(finite_players(state)).items() if not ok]
        if bad:  # the metrics predate the step's last updates: check what is written
          raise diverged(" and ".join(f"{name} parameters" for name in bad), step + 1)
      if sample_now:
        save_samples(step + 1)
      if save_now:
        checkpoint.save(manager, state)
      if stop.signal:
        stopped_by = stop.signal
        break
    if pending:
      drain(pending)
  log.plot()
  log.close()
  return {"step": int(state.step), "seconds": time.time() - t0,
          "wasserstein_estimate": last.get("wasserstein_estimate"), "workdir": workdir,
          "stopped_by": stopped_by, "metrics": last}
