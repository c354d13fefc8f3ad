"""Checkpoints with orbax: atomic saves (orbax writes to a temporary folder and renames it),
exact resume, and a refusal to mix architectures in one workdir."""
import json
import os

import jax
import orbax.checkpoint as ocp

from wgan_jax.errors import CheckpointError

# Config fields that fix the shapes of the state: a checkpoint only resumes under the same values.
ARCHITECTURE_FIELDS = ("loss", "generator", "critic", "image_size", "channels", "nz", "width_g",
                       "width_d", "n_extra_layers", "optimizer")


class CheckpointMismatch(CheckpointError):
  """The workdir holds a checkpoint of another architecture."""


def make_manager(workdir: str, *, max_to_keep: int) -> ocp.CheckpointManager:
  """A manager of `workdir/checkpoints`, keeping the newest `max_to_keep` steps."""
  return ocp.CheckpointManager(
      os.path.abspath(os.path.join(workdir, "checkpoints")),
      options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))


def save(manager: ocp.CheckpointManager, state) -> int:
  """Saves `state` under its generator step (asynchronously; `manager.wait_until_finished()`)."""
  step = int(jax.device_get(state.step))
  if manager.latest_step() != step:
    manager.save(step, args=ocp.args.StandardSave(state), force=True)
  return step


def restore_latest(manager: ocp.CheckpointManager, abstract_state):
  """The newest checkpoint laid out like `abstract_state` (shapes, dtypes, shardings), or None."""
  step = manager.latest_step()
  if step is None:
    return None
  return manager.restore(step, args=ocp.args.StandardRestore(abstract_state))


def check_compatible(workdir: str, config: dict):
  """Raises CheckpointMismatch when `workdir/config.json` (written by the run that made the
  checkpoints there) differs from `config` in an architecture field."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path) or not os.path.isdir(os.path.join(workdir, "checkpoints")):
    return
  with open(path) as f:
    saved = json.load(f)
  diff = {k: (saved.get(k), config.get(k)) for k in ARCHITECTURE_FIELDS
          if saved.get(k) != config.get(k)}
  if diff:
    shown = ", ".join(f"{k}: checkpoint {a!r} vs now {b!r}" for k, (a, b) in diff.items())
    raise CheckpointMismatch(f"{workdir} holds checkpoints of another architecture ({shown}); "
                             "use a new --workdir or the same config.")
