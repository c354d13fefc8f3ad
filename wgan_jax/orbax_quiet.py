"""Orbax calls that fail quietly, so that the caller tells the failure once, in one line.

Orbax logs each failure of its worker threads with a traceback (absl), asyncio logs the tasks
it abandoned, and tensorstore reports late callbacks as unraisable exceptions: twenty tracebacks
for one full disk. `quiet()` silences those around an orbax call; `os_error_code` finds the errno
behind what orbax raises.
"""

import contextlib
import gc
import logging
import os
import re
import sys
import threading
import traceback
import types
import warnings


def os_error_code(e: BaseException | None) -> int | None:
  """The errno behind `e`: an OSError's, or tensorstore's `[os_error_code='28']`."""
  while e is not None:
    if isinstance(e, OSError) and e.errno:
      return e.errno
    found = re.search(r"os_error_code='(\d+)'", str(e))
    if found:
      return int(found.group(1))
    e = e.__cause__ or e.__context__
  return None


def _drop_orbax_leftovers(report):
  # After a failed read or write, orbax's abandoned coroutines (when collected) and tensorstore's
  # late callbacks (`Event loop is closed`) report exceptions as unraisable: noise, as the
  # failure itself is told once.
  frames = traceback.extract_tb(report.exc_traceback)
  if not (
    "Event loop is closed" in str(report.exc_value)
    or any(f"{os.sep}orbax{os.sep}" in frame.filename for frame in frames)
  ):
    _drop_orbax_leftovers.previous(report)


class _DropAbandonedOrbaxFutures(logging.Filter):
  """asyncio's "Future/Task exception was never retrieved" for orbax's or tensorstore's futures.

  asyncio logs it when such a future is collected, which can be after `quiet()` has returned:
  noise, as the failure itself is told once.
  """

  def filter(self, record):
    message = record.getMessage()
    return not (
      "exception was never retrieved" in message
      and ("orbax" in message or "tensorstore" in message)
    )


_DROP_ABANDONED = _DropAbandonedOrbaxFutures()


@contextlib.contextmanager
def quiet():
  """Silences orbax's (absl) and asyncio's loggers while an orbax call runs, and waits for the
  threads it started. Set `.failed` on what it yields when the call failed: the garbage it left
  (abandoned asyncio tasks, which log when collected) is then collected while silenced.

  Unraisable reports from orbax's frames and asyncio's reports of orbax's abandoned futures,
  which can come at any later time, are dropped from the first use on (`sys.unraisablehook`,
  a filter on the asyncio logger; others pass).
  """
  if sys.unraisablehook is not _drop_orbax_leftovers:
    _drop_orbax_leftovers.previous = sys.unraisablehook
    sys.unraisablehook = _drop_orbax_leftovers
  if _DROP_ABANDONED not in logging.getLogger("asyncio").filters:
    logging.getLogger("asyncio").addFilter(_DROP_ABANDONED)
  loggers = [logging.getLogger(name) for name in ("absl", "asyncio")]
  was = [logger.disabled for logger in loggers]
  before, call = set(threading.enumerate()), types.SimpleNamespace(failed=False)
  for logger in loggers:
    logger.disabled = True
  try:
    yield call
  finally:
    for thread in set(threading.enumerate()) - before:
      if type(thread).__module__.startswith("orbax"):
        thread.join()
    if call.failed:
      with warnings.catch_warnings():  # its never-awaited coroutines warn when collected
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        gc.collect()
    for logger, disabled in zip(loggers, was):
      logger.disabled = disabled
