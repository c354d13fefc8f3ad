"""What a run writes as it goes: metrics.jsonl, TensorBoard events, the Wasserstein plot, and the
warning the paper's authors describe (a negative estimate that persists)."""
import json
import logging
import math
import os
import time
import warnings

import numpy as np
from tensorboardX import SummaryWriter

from wgan_jax import pictures

NEGATIVE_PATIENCE = 200  # consecutive generator steps with a negative estimate before warning


def _read_records(path: str) -> list[dict]:
  """The records of `path`, one JSON object per line; a line that does not parse as a record
  (torn by a crash or a full disk) is dropped with a warning naming the file and the line."""
  records = []
  with open(path, errors="replace") as f:
    for number, line in enumerate(f, 1):
      if not line.strip():
        continue
      try:
        record = json.loads(line)
        if not isinstance(record, dict) or not isinstance(record.get("step"), int):
          raise ValueError("not a record with an integer step")
      except ValueError as e:
        warnings.warn(f"{path}:{number}: dropping an unreadable record ({e}; the end of a run "
                      "that crashed or filled its disk)", stacklevel=3)
        continue
      records.append(record)
  return records


def _keep_records_up_to(path: str, step: int) -> list[dict]:
  """Drops records after `step` (written past the checkpoint a run resumes from) and unreadable
  ones; returns the rest."""
  if not os.path.exists(path):
    return []
  records = [r for r in _read_records(path) if r["step"] <= step]
  with open(path + ".tmp", "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in records)
  os.replace(path + ".tmp", path)
  return records


class RunLog:
  """Appends one JSON object per logged step to `workdir/metrics.jsonl` and mirrors it, with the
  sample pictures, to TensorBoard (`workdir/tensorboard`). Only the main process writes; the
  others just count.

  A run resumed at `start_step` keeps the records up to it and drops later ones, so the file
  reads as one uninterrupted run; TensorBoard is told the same (`purge_step`), so the steps
  written past the checkpoint do not show twice.
  """

  def __init__(self, workdir: str, *, write: bool, start_step: int = 0):
    self.workdir, self.write = workdir, write
    self.start_time = time.time()  # wall_time counts on from the resumed run's last record
    self.steps, self.estimates = [], []
    self.negative_run, self.warned = 0, False
    if write:
      path = os.path.join(workdir, "metrics.jsonl")
      for r in _keep_records_up_to(path, start_step):
        self.start_time = time.time() - r.get("wall_time", 0.0)
        if "wasserstein_estimate" in r:
          self.steps.append(r["step"])
          self.estimates.append(r["wasserstein_estimate"])
      self._jsonl = open(path, "a", buffering=1)
      self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"),
                               purge_step=start_step + 1 if start_step else None)

  def observe(self, step: int, metrics: dict, *, log: bool) -> str | None:
    """Records step `step`'s scalars (already on the host); writes them when `log`.

    Returns a warning to show when the Wasserstein estimate has been negative for
    NEGATIVE_PATIENCE steps in a row (once per run), else None.
    """
    estimate = metrics.get("wasserstein_estimate")
    warning = None
    if estimate is not None:
      self.steps.append(step)
      self.estimates.append(estimate)
      self.negative_run = self.negative_run + 1 if estimate < 0 else 0
      if self.negative_run >= NEGATIVE_PATIENCE and not self.warned:
        self.warned = True
        warning = (f"the Wasserstein estimate has been negative for {self.negative_run} steps "
                   f"(step {step}): the critic is not estimating W; check the sign convention, "
                   "the learning rate and the clip value.")
        logging.warning(warning)
    if log and self.write:
      record = {"step": step, **metrics, "wall_time": round(time.time() - self.start_time, 3)}
      self._jsonl.write(json.dumps(record) + "\n")
      for name, value in metrics.items():
        if math.isfinite(value):
          self._tb.add_scalar(name, value, step)
    return warning

  def image(self, tag: str, pixels_HxWxC: np.ndarray, step: int):
    """Sends a uint8 picture (1 or 3 channels) to TensorBoard as image `tag` at `step`."""
    if self.write:
      self._tb.add_image(tag, pixels_HxWxC, step, dataformats="HWC")

  def plot(self):
    """Refreshes `workdir/wasserstein.png` (median filter of 101 taps, as the official code)."""
    if self.write and len(self.estimates) >= 2:
      pictures.save_wasserstein_plot(np.asarray(self.steps), np.asarray(self.estimates),
                                     os.path.join(self.workdir, "wasserstein.png"))

  def close(self):
    if self.write:
      self._jsonl.close()
      self._tb.close()
