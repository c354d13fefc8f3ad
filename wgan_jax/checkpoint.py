"""Checkpoints with orbax: atomic saves that tell a full disk in one line, a resume that skips
damaged steps (moving them aside, never deleting them), a refusal to mix architectures in one
workdir, and a finiteness check to run on device before each save."""

import errno
import json
import logging
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from wgan_jax import orbax_quiet
from wgan_jax.errors import CheckpointError, DiskFullError, WorkdirError

# Config fields that fix the shapes of the state: a checkpoint only resumes under the same values.
ARCHITECTURE_FIELDS = (
  "loss",
  "generator",
  "critic",
  "image_size",
  "channels",
  "nz",
  "width_g",
  "width_d",
  "n_extra_layers",
  "optimizer",
  "num_seeds",
)
# The values of fields that a config.json written before them lacks.
FIELD_DEFAULTS = {"num_seeds": 1}
# A step folder that does not restore is renamed `<step>.unrestorable`: orbax lists only folders
# named by a bare number, so it neither resumes from, overwrites nor garbage-collects it.
MOVED_SUFFIX = ".unrestorable"
_MISSING = "files missing (a partial copy?)"
_REASONS = (  # what orbax or tensorstore says -> what the user reads
  (("FileNotFoundError", "NOT_FOUND"), _MISSING),
  (
    ("JSONDecodeError", "Invalid JSON", "OUT_OF_RANGE", "DATA_LOSS"),
    "a file is truncated or corrupt",
  ),
  (("strict", "stored shape"), "another architecture (array shapes differ)"),
)
_log = logging.getLogger(__name__)


class CheckpointMismatch(CheckpointError):
  """The workdir holds a checkpoint of another architecture."""


def make_manager(workdir: str, *, max_to_keep: int) -> ocp.CheckpointManager:
  """A manager of `workdir/checkpoints` keeping the newest `max_to_keep` steps; it removes the
  temporary folders of saves that a crash interrupted."""
  # Synchronous saves: a checkpoint here is tens of MB at most, and a failure then surfaces in
  # `save` itself, told once, rather than later from orbax's writer threads.
  options = ocp.CheckpointManagerOptions(
    max_to_keep=max_to_keep,
    create=True,
    cleanup_tmp_directories=True,
    enable_async_checkpointing=False,
  )
  with orbax_quiet.quiet():  # no warnings of step folders without metadata: restore_latest tells
    return ocp.CheckpointManager(
      os.path.abspath(os.path.join(workdir, "checkpoints")),
      options=options,
      item_handlers=ocp.StandardCheckpointHandler(),
    )


def all_finite(tree) -> jax.Array:
  """A bool scalar on device: no float leaf of `tree` holds a NaN or an infinity (integer leaves
  and PRNG keys are ignored). Jit-friendly, one reduction per leaf; no host transfer."""
  leaves = [x for x in jax.tree.leaves(tree) if jnp.issubdtype(jnp.result_type(x), jnp.inexact)]
  return jnp.all(jnp.stack([jnp.isfinite(x).all() for x in leaves] or [jnp.bool_(True)]))


def save(manager: ocp.CheckpointManager, state) -> int:
  """Saves `state` under its generator step (nothing to do when that step is saved) and returns
  the step. A failed save leaves no partial folder behind.

  Raises:
    DiskFullError: the filesystem is full, over quota or the file too large (one line naming the
      failed save and the intact steps).
    WorkdirError: another OS error, e.g. a read-only filesystem (one line, likewise).
  """
  step = int(np.asarray(jax.device_get(state.step)).flat[0])  # N stacked seeds: N equal steps
  if step in manager.all_steps():
    return step
  folder = os.path.join(manager.directory, str(step))
  existed, code = os.path.exists(folder), None
  with orbax_quiet.quiet() as quiet:
    try:
      manager.save(step, args=ocp.args.StandardSave(state), force=True)
    except Exception as e:  # pylint: disable=broad-except
      quiet.failed, code = True, orbax_quiet.os_error_code(e)
      if code is None:  # not the filesystem: a bug, which keeps its traceback
        _remove_partial(manager, step, existed)
        raise
  if code is None:
    return step
  _remove_partial(manager, step, existed)
  failed = f"saving checkpoint step {step} to {folder} failed: {os.strerror(code).lower()}"
  if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
    err = DiskFullError(f"{failed}; {what_a_rerun_does(manager, 'free space')}")
    err.errno = code
    raise err
  raise WorkdirError(f"{failed}; {what_a_rerun_does(manager, 'fix the workdir')}")


def what_a_rerun_does(manager: ocp.CheckpointManager, fix: str) -> str:
  """The end of a one-line error: the intact checkpoints, `fix`, and where a rerun resumes."""
  intact = manager.all_steps()
  kept, then = (
    (f"intact checkpoints: steps {', '.join(map(str, intact))}", f"resumes from step {intact[-1]}")
    if intact
    else ("no checkpoint saved yet", "starts from step 0")
  )
  return f"{kept}; {fix} and rerun the same command (it {then})."


def restore_latest(manager: ocp.CheckpointManager, abstract_state):
  """The newest checkpoint that restores, laid out like `abstract_state` (shapes, dtypes,
  shardings), or None when there is no step at all.

  Steps that do not restore (an empty or partly copied folder, a truncated file, another
  architecture) are skipped; once an older one restores, each skipped step is renamed
  `<step>.unrestorable` (so later saves can reuse its number) with a one-line warning.

  Raises:
    CheckpointError: steps exist but none restores (one line; nothing is moved then).
  """
  with orbax_quiet.quiet() as quiet:
    manager.reload()
    skipped = []
    for step in reversed(manager.all_steps()):
      state, reason = _try_restore(manager, step, abstract_state)
      if reason is None:
        for bad, why in skipped:
          _log.warning(
            "checkpoint step %d does not restore (%s); moved to %s; resuming from step %d",
            bad,
            why,
            _move_aside(manager, bad),
            step,
          )
        manager.reload()
        return state
      quiet.failed = True
      skipped.append((step, reason))
  if skipped:
    tried = "; ".join(f"step {s}: {why}" for s, why in skipped)
    raise CheckpointError(
      f"no checkpoint in {manager.directory} restores ({tried}); use a new "
      "--workdir, or move that checkpoints/ folder away to start over."
    )
  return None


def check_compatible(workdir: str, config: dict):
  """Refuses a `config` whose architecture differs from the one recorded in
  `workdir/config.json`, when `workdir/checkpoints` holds a step with saved metadata; an empty
  `checkpoints/` (a run that stopped before its first save) is no conflict.

  A `config.json` that does not read is passed over with a warning (restoring then compares the
  checkpoints' shapes).

  Raises:
    CheckpointMismatch: an architecture field differs (one line naming each).
  """
  path, directory = os.path.join(workdir, "config.json"), os.path.join(workdir, "checkpoints")
  # orbax writes a step's tree metadata to `<step>/default/_METADATA` ("default": its item name).
  names = os.listdir(directory) if os.path.isdir(directory) else []
  if not os.path.exists(path) or not any(
    n.isdigit() and os.path.isfile(os.path.join(directory, n, "default", "_METADATA"))
    for n in names
  ):
    return
  try:
    with open(path) as f:
      saved = json.load(f)
    if not isinstance(saved, dict):
      raise ValueError("not a JSON object")
  except (OSError, ValueError) as e:  # cut by a crash or edited by hand: the shapes still decide
    _log.warning(
      "%s does not read (%s); the checkpoints' own shapes decide what restores, and the file is "
      "written again",
      path,
      e,
    )
    return
  value = lambda c, k: c.get(k, FIELD_DEFAULTS.get(k))
  diff = {
    k: (value(saved, k), value(config, k))
    for k in ARCHITECTURE_FIELDS
    if value(saved, k) != value(config, k)
  }
  if diff:
    shown = ", ".join(f"{k}: checkpoint {a!r} vs now {b!r}" for k, (a, b) in diff.items())
    raise CheckpointMismatch(
      f"{workdir} holds checkpoints of another architecture ({shown}); "
      "use a new --workdir or the same config."
    )


def _try_restore(manager, step: int, abstract_state):
  """(state, None), or (None, why the step does not restore, in a few words). Any exception
  counts: orbax and tensorstore raise ValueError, OSError, JSONDecodeError and bare Exception."""
  if not os.listdir(os.path.join(manager.directory, str(step))):
    return None, "empty folder"
  metadata_problem = None
  try:
    # Shapes are compared first, so orbax's advice ("set strict=False") never reaches the user.
    # Best effort: a step with a damaged `_sharding` file has no metadata but still restores.
    try:
      saved = manager.item_metadata(step)
    except Exception as e:  # noqa: BLE001  # pylint: disable=broad-except
      saved, metadata_problem = False, _reason(e)
    if saved is None:  # orbax's answer when `default/_METADATA` is missing
      return None, _MISSING
    difference = saved and _shape_difference(getattr(saved, "tree", saved), abstract_state)
    if difference:
      return None, f"another architecture: {difference}"
    return manager.restore(step, args=ocp.args.StandardRestore(abstract_state)), None
  except Exception as e:  # noqa: BLE001  # pylint: disable=broad-except
    return None, metadata_problem or _reason(e)


def _reason(e: Exception) -> str:
  text = f"{type(e).__name__}: {e}"
  first_line = text.strip().splitlines()[0]  # orbax's messages run to many lines
  return next(
    (why for keys, why in _REASONS if any(k in text for k in keys)),
    f"unreadable ({first_line[:160]}{'...' if len(first_line) > 160 else ''})",
  )


def _shape_difference(saved_tree, abstract_state) -> str | None:
  """The first leaf (by name) whose shape differs, e.g. 'critic.params.Dense_0.kernel is (2, 8)
  there, (2, 16) now', or None."""
  saved, wanted = (
    {
      jax.tree_util.keystr(path, simple=True, separator="."): getattr(x, "shape", ())
      for path, x in jax.tree_util.tree_flatten_with_path(tree)[0]
    }
    for tree in (saved_tree, abstract_state)
  )
  for name in sorted(saved.keys() | wanted.keys()):
    there, now = (tuple(d[name]) if name in d else "absent" for d in (saved, wanted))
    if there != now:
      return f"{name} is {there} there, {now} now"
  return None


def _move_aside(manager, step: int) -> str:
  folder = os.path.join(manager.directory, str(step))
  target, n = folder + MOVED_SUFFIX, 1
  while os.path.exists(target):
    n += 1
    target = f"{folder}{MOVED_SUFFIX}-{n}"
  if jax.process_index() == 0:
    os.rename(folder, target)
  return target


def _remove_partial(manager, step: int, existed: bool):
  """Removes what a failed save of `step` wrote: its temporary folder, and the final one when
  the failure came after orbax's rename (and the folder is not older than the save)."""
  for name in os.listdir(manager.directory):
    if name.startswith(f"{step}.orbax-checkpoint-tmp") or (name == str(step) and not existed):
      shutil.rmtree(os.path.join(manager.directory, name), ignore_errors=True)
  manager.reload()
