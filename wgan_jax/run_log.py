"""What a run writes as it goes: metrics.jsonl, TensorBoard events, the Wasserstein plot, and the
warning the paper's authors describe (a negative estimate that persists)."""

import itertools
import json
import logging
import math
import os
import socket
import struct
import time
import warnings

import numpy as np
from tensorboardX import summary as tb_summary
from tensorboardX.proto.event_pb2 import Event, SessionLog
from tensorboardX.record_writer import masked_crc32c

from wgan_jax import atomic_files, pictures

_file_numbers = itertools.count()
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
        warnings.warn(
          f"{path}:{number}: dropping an unreadable record ({e}; the end of a run "
          "that crashed or filled its disk)",
          stacklevel=3,
        )
        continue
      records.append(record)
  return records


def _keep_records_up_to(path: str, step: int) -> list[dict]:
  """Drops records after `step` (written past the checkpoint a run resumes from) and unreadable
  ones; returns the rest."""
  if not os.path.exists(path):
    return []
  records = [r for r in _read_records(path) if r["step"] <= step]
  atomic_files.replace_text(path, "".join(json.dumps(r) + "\n" for r in records))
  return records


class TensorBoardEvents:
  """A TensorBoard event file in `logdir` (TFRecords of `Event` protos), written in the calling
  thread: `flush` appends the events since the last one in one write, or raises (a full disk)
  where the run tells it in one line and leaves the file as it was.

  tensorboardX's `SummaryWriter` writes from a thread of its own: a disk error there kills that
  thread with a traceback, the queue behind it fills and the next `add_*` blocks the run for good,
  and its exit handler prints another traceback. Its summary protos and CRC are used as they are.
  """

  def __init__(self, logdir: str, *, purge_step: int | None = None):
    os.makedirs(logdir, exist_ok=True)
    # TensorBoard reads a folder's event files in name order: the time first, then what makes
    # two files of one second (a resume, a test) distinct.
    name = (
      f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}."
      f"{next(_file_numbers)}"
    )
    self._file, self._pending = open(os.path.join(logdir, name), "wb", buffering=0), []
    self._write(Event(file_version="brain.Event:2"))
    if purge_step is not None:  # TensorBoard hides older events from this step on
      self._write(Event(step=purge_step, session_log=SessionLog(status=SessionLog.START)))
    self.flush()

  def _write(self, event: Event):
    event.wall_time = time.time()
    data = event.SerializeToString()
    header = struct.pack("<Q", len(data))
    crc = lambda b: struct.pack("<I", masked_crc32c(b))
    self._pending.append(header + crc(header) + data + crc(data))

  def scalar(self, tag: str, value: float, step: int):
    self._write(Event(summary=tb_summary.scalar(tag, value), step=step))

  def image(self, tag: str, pixels_HxWxC: np.ndarray, step: int):
    """`pixels_HxWxC`: uint8, 1 or 3 channels."""
    self._write(Event(summary=tb_summary.image(tag, pixels_HxWxC, dataformats="HWC"), step=step))

  def flush(self):
    """Raises: OSError: the write failed; those events are dropped."""
    data, self._pending = b"".join(self._pending), []
    if data:
      atomic_files.append_whole(self._file, data)

  def close(self):
    """Flushes and closes the file (closed also when the flush fails, which raises)."""
    try:
      self.flush()
    finally:
      self._file.close()


class RunLog:
  """Appends one JSON object per logged step to `workdir/metrics.jsonl` and mirrors it, with the
  sample pictures, to TensorBoard (`workdir/tensorboard`). Only the main process writes; the
  others just count.

  A run of several seeds writes one record per seed per logged step, with a `seed` field, and
  tags its TensorBoard scalars `seed_<s>/NAME`.

  A run resumed at `start_step` keeps the records up to it and drops later ones, so the file
  reads as one uninterrupted run; TensorBoard is told the same (`purge_step`), so the steps
  written past the checkpoint do not show twice.
  """

  def __init__(self, workdir: str, *, write: bool, start_step: int = 0):
    self.workdir, self.write = workdir, write
    self.start_time = time.time()  # wall_time counts on from the resumed run's last record
    self.curves = {}  # seed (None: a one-seed run) -> ([steps], [estimates])
    self.negative_run, self.warned = {}, set()
    if write:
      path = os.path.join(workdir, "metrics.jsonl")
      for r in _keep_records_up_to(path, start_step):
        self.start_time = time.time() - r.get("wall_time", 0.0)
        if "wasserstein_estimate" in r:
          self._add(r.get("seed"), r["step"], r["wasserstein_estimate"])
      self._jsonl = open(path, "ab", buffering=0)
      self._tb = TensorBoardEvents(
        os.path.join(workdir, "tensorboard"), purge_step=start_step + 1 if start_step else None
      )
    self.closed = not write

  def _add(self, seed, step, estimate):
    steps, estimates = self.curves.setdefault(seed, ([], []))
    steps.append(step)
    estimates.append(estimate)

  def observe(self, step: int, metrics: dict, *, log: bool, seed: int | None = None) -> str | None:
    """Records step `step`'s scalars (already on the host); writes them when `log`.

    Args:
      step: the generator step.
      metrics: {name: float}.
      log: whether to write them (metrics.jsonl, TensorBoard).
      seed: the run's seed in a run of several seeds (recorded, and named in TensorBoard
        tags); None in a one-seed run.

    Returns a warning to show when the Wasserstein estimate has been negative for
    NEGATIVE_PATIENCE steps in a row (once per seed), else None.
    """
    estimate = metrics.get("wasserstein_estimate")
    warning = None
    if estimate is not None:
      self._add(seed, step, estimate)
      run = self.negative_run[seed] = self.negative_run.get(seed, 0) + 1 if estimate < 0 else 0
      if run >= NEGATIVE_PATIENCE and seed not in self.warned:
        self.warned.add(seed)
        which = "" if seed is None else f" of seed {seed}"
        warning = (
          f"the Wasserstein estimate{which} has been negative for {run} steps "
          f"(step {step}): the critic is not estimating W; check the sign convention, "
          "the learning rate and the clip value."
        )
        logging.warning(warning)
    if log and self.write:
      tagged = {} if seed is None else {"seed": seed}
      record = {
        "step": step,
        **tagged,
        **metrics,
        "wall_time": round(time.time() - self.start_time, 3),
      }
      atomic_files.append_whole(self._jsonl, (json.dumps(record) + "\n").encode())
      prefix = "" if seed is None else f"seed_{seed}/"
      for name, value in metrics.items():
        if math.isfinite(value):
          self._tb.scalar(prefix + name, value, step)
      self._tb.flush()
    return warning

  def image(self, tag: str, pixels_HxWxC: np.ndarray, step: int):
    """Sends a uint8 picture (1 or 3 channels) to TensorBoard as image `tag` at `step`."""
    if self.write:
      self._tb.image(tag, pixels_HxWxC, step)
      self._tb.flush()

  def plot(self):
    """Refreshes `workdir/wasserstein.png` (median filter of 101 taps, as the official code; one
    curve per seed in a run of several)."""
    if not self.write or not self.curves:
      return
    length = min(len(steps) for steps, _ in self.curves.values())
    if length < 2:
      return
    seeds = sorted(self.curves, key=lambda s: -1 if s is None else s)
    steps = np.asarray(self.curves[seeds[0]][0][:length])
    estimates_TxS = np.stack([self.curves[s][1][:length] for s in seeds], axis=1)
    labels = None if seeds == [None] else [f"seed {s}" for s in seeds]
    pictures.save_wasserstein_plot(
      steps,
      estimates_TxS if labels else estimates_TxS[:, 0],
      os.path.join(self.workdir, "wasserstein.png"),
      labels=labels,
    )

  def close(self):
    """Closes metrics.jsonl and the event file (both, even when the first fails).

    Raises:
      OSError: a buffered write failed (a full disk).
    """
    if self.closed:
      return
    self.closed = True
    try:
      self._jsonl.close()
    finally:
      self._tb.close()

  def __enter__(self):
    return self

  def __exit__(self, exc_type, *_):
    try:
      self.close()
    except OSError:
      if exc_type is None:
        raise
      # an error is already on its way out (often the same full disk): it is the one to tell
