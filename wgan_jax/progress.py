"""Training progress as people read it: tqdm's redrawn bar in a terminal; elsewhere (a log file,
CI output, a notebook that captures output) one plain line every few steps or seconds, since a
redrawn bar there becomes hundreds of carriage-return updates on one line."""

import sys
import time
from typing import TextIO

from tqdm import tqdm

EVERY_SECONDS = 60.0  # the longest wait between two plain lines
LINES_PER_RUN = 20  # plain lines a run writes at most by step count (one per 5% of the steps)


def is_terminal(stream: TextIO) -> bool:
  """Whether `stream` is an interactive terminal (False for files, pipes and captured output)."""
  try:
    return stream.isatty()
  except (AttributeError, ValueError):  # no isatty, or a closed stream
    return False


class LineProgress:
  """Progress as plain lines, with the subset of tqdm's interface that training uses.

  A line is written when the step reaches a multiple of `every_steps` or `every_seconds` have
  passed since the last line, and once more on `close()` (so a log ends where the run stopped):

      step 300/1500 (20%) wasserstein_estimate=0.0412 [00:45<03:00, 6.67 step/s]

  that is the step, the shown estimate, then elapsed<remaining and the rate since the previous
  line, as tqdm writes them (the remaining time assumes that rate). Rates count from the end of
  the first step, which includes compiling.
  """

  def __init__(
    self,
    *,
    total: int,
    initial: int = 0,
    file: TextIO | None = None,
    every_steps: int | None = None,
    every_seconds: float = EVERY_SECONDS,
    disable: bool = False,
    clock=time.monotonic,
  ):
    self.total, self.n, self.disable = total, initial, disable
    self.file = file or sys.stderr
    self.every_steps = every_steps or max(1, total // LINES_PER_RUN)
    self.every_seconds, self.clock = every_seconds, clock
    self.postfix = ""
    self.start_time = self.last_time = clock()
    self.last_n = initial
    self.rate_from = None  # (step, time) the next line's rate counts from

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.close()

  def set_postfix(self, ordered_dict=None, refresh: bool = True, **values):
    """Shows `name=value` pairs (tqdm's signature; `refresh` is ignored) on the next line."""
    del refresh
    values = {**(ordered_dict or {}), **values}
    self.postfix = " ".join(f"{k}={v}" for k, v in values.items())

  def update(self, n: int = 1):
    """Counts `n` more steps; writes a line when one is due."""
    self.n += n
    now = self.clock()
    if self.rate_from is None:
      self.rate_from = (self.n, now)
    if (
      self.n // self.every_steps > self.last_n // self.every_steps
      or now - self.last_time >= self.every_seconds
    ):
      self._line(now)

  def write(self, message: str):
    """Writes `message` on its own line (a warning between progress lines)."""
    if not self.disable:
      print(message, file=self.file, flush=True)

  def close(self):
    """Writes a last line unless the last one already showed the current step."""
    if self.n != self.last_n:
      self._line(self.clock())

  def _line(self, now: float):
    steps, seconds = self.n - self.rate_from[0], now - self.rate_from[1]
    rate = steps / seconds if steps and seconds > 0 else None
    left = tqdm.format_interval((self.total - self.n) / rate) if rate else "?"
    shown = f" {self.postfix}" if self.postfix else ""
    speed = f"{rate:.3g} step/s" if rate else "? step/s"
    self.write(
      f"step {self.n}/{self.total} ({100 * self.n // max(self.total, 1)}%){shown} "
      f"[{tqdm.format_interval(now - self.start_time)}<{left}, {speed}]"
    )
    self.last_n, self.last_time = self.n, now
    self.rate_from = (self.n, now)


def bar(*, total: int, initial: int = 0, disable: bool = False, file: TextIO | None = None):
  """The progress display for `total` steps, starting at `initial`: a tqdm bar when `file`
  (default stderr) is a terminal, else a `LineProgress`. Both are context managers with
  `update(n)`, `set_postfix(dict, refresh=False)` and `write(message)`."""
  file = file or sys.stderr
  if is_terminal(file):
    return tqdm(
      total=total, initial=initial, disable=disable, unit="step", dynamic_ncols=True, file=file
    )
  return LineProgress(total=total, initial=initial, disable=disable, file=file)
