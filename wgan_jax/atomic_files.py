"""Files a run rewrites (pictures, config.json, metrics.jsonl when a resume trims it) are replaced
whole: a full disk or a kill mid-write leaves the old file, never a truncated one that a rerun
would trip over."""

import contextlib
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
