"""What keeps a run's workdir whole around the training loop: the workdir check, signals turned
into a checkpoint and a clean stop, the last save awaited, and a full disk told in one line."""

import contextlib
import errno
import os
import signal

import jax

from wgan_jax import checkpoint
from wgan_jax.errors import DiskFullError, WorkdirError

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class StopRequest:
  """Turns SIGINT/SIGTERM into a flag, so the loop saves a checkpoint before it exits.

  After the first signal, a SIGINT (Ctrl-C pressed again) raises KeyboardInterrupt: stop now,
  without that checkpoint. A repeated SIGTERM is ignored: supervisors send it again before
  SIGKILL, and the save it would cut short takes seconds.
  """

  def __init__(self):
    self.signal = None

  def __enter__(self):
    self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
    return self

  def _handle(self, signum, frame):
    del frame
    if self.signal is None:
      self.signal = signal.Signals(signum).name
    elif signum == signal.SIGINT:
      raise KeyboardInterrupt

  def __exit__(self, *exc):
    for s, handler in self._old.items():
      signal.signal(s, handler)


@contextlib.contextmanager
def finishing(manager):
  """Waits for the checkpoint save in flight and closes `manager`, also when training stops with
  an exception (a divergence, a second Ctrl-C), so the checkpoint an error names exists."""
  try:
    yield
  finally:
    manager.wait_until_finished()
    manager.close()


def prepare_workdir(workdir: str, folder: str = "samples"):
  """Makes `workdir/folder`; raises WorkdirError when the workdir cannot be written."""
  try:
    os.makedirs(os.path.join(workdir, folder), exist_ok=True)
    probe = os.path.join(workdir, f".write_test.{jax.process_index()}")
    open(probe, "w").close()
    os.remove(probe)
  except OSError as e:
    raise WorkdirError(
      f"workdir {workdir!r} is not writable ({e.strerror}); pass a --workdir you can write to."
    ) from None


@contextlib.contextmanager
def disk_full_is_one_line(workdir: str, manager):
  """Turns a full disk met while writing logs or pictures into one DiskFullError line that says
  which checkpoints are intact (checkpoint saves raise their own)."""
  try:
    yield
  except OSError as e:
    if isinstance(e, DiskFullError) or e.errno not in _DISK_FULL:
      raise
    raise DiskFullError(
      e.errno,
      f"the disk holding {workdir} is full (writing {e.filename or 'the run log'}); "
      + checkpoint.what_a_rerun_does(manager, "free space"),
    ) from None
