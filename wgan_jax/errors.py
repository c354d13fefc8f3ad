"""The project's own exception types: what a user can fix, told in one line.

The entry points catch `InputError` (exit 2), `DiskFullError` (exit 4) and `TrainingDiverged`
(exit 1); anything else is a bug and keeps its traceback (exit 3), see `experiments/cli.py`.
Each message is one line that names the problem and the fix.
"""


class InputError(Exception):
  """Bad input from the user: flags, config, data, workdir or checkpoints."""


class ConfigError(InputError, ValueError):
  """A config field out of its domain, or fields that do not go together."""


class DataError(InputError, ValueError):
  """A dataset that cannot be used as asked: missing, unprepared, undecodable."""


class CheckpointError(InputError):
  """Checkpoints that cannot be resumed: another architecture, or none restores."""


class WorkdirError(InputError):
  """A workdir that cannot be written."""


class DiskFullError(OSError):
  """The workdir's filesystem is full (or over quota): a save failed, earlier checkpoints stand."""


class TrainingDiverged(RuntimeError):
  """A loss or a parameter became NaN or infinite."""
