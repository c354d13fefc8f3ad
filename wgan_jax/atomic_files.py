"""Files a run rewrites (pictures, config.json, metrics.jsonl when a resume trims it) are replaced
whole, and records it appends (metrics.jsonl, TensorBoard events) are appended whole: a full disk
or a kill mid-write leaves the old file, never a truncated one that a rerun would trip over."""

import contextlib
import errno
import os
from collections.abc import Callable


def replace(path: str, write: Callable[[str], None]):
  """Calls `write(tmp)` for a temporary name beside `path` (with its extension, for writers that
  pick the format by it), then renames it over `path`, so readers see the old file or the new.

  Raises:
    Whatever `write` raises, after removing the temporary file; an OSError without a filename
    (PIL's, matplotlib's) gets `path` as its filename, so a one-line message can name it.
  """
  tmp = f"{path}.tmp{os.path.splitext(path)[1]}"
  try:
    write(tmp)
    os.replace(tmp, path)
  except BaseException as e:
    with contextlib.suppress(OSError):
      os.remove(tmp)
    if isinstance(e, OSError) and not e.filename:
      e.filename = path
    raise


def replace_text(path: str, text: str):
  """`replace(path, ...)` with `text` as the new contents."""

  def write(tmp):
    with open(tmp, "w") as f:
      f.write(text)

  replace(path, write)


def append_whole(f, data: bytes):
  """Appends `data` to the unbuffered binary file `f` in one write, or not at all: a short or
  failed write (a full disk) is cut off again and raised, so the file never ends in a torn
  record.

  Raises:
    OSError: the write failed (ENOSPC for a short one).
  """
  end = f.seek(0, os.SEEK_END)
  try:
    if f.write(data) != len(data):
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f.name)
  except OSError as e:
    f.truncate(end)
    e.filename = e.filename or f.name  # the one-line disk-full message names the file
    raise
