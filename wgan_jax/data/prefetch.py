"""Reads critic batches ahead of the trainer in a thread pool.

Decoding (PIL) and resizing release the GIL, so threads use every core without the start-up and
pickling cost of processes. Batches are submitted in order, one `source.batch(index)` per task, up
to `buffer` generator steps ahead of the one being consumed.
"""

import collections
import concurrent.futures
import itertools
import os
from collections.abc import Iterable, Iterator

import numpy as np


def prefetch_batches(
  source, counts: Iterable[int], start: int, *, buffer: int = 2, workers: int | None = None
) -> Iterator[np.ndarray]:
  """Yields the critic batches of consecutive generator steps, read ahead in background threads.

  Step `k` (counting from 0) gets `counts[k]` batches with indices following on from those of step
  `k - 1`, the first step's starting at `start`. Closing the iterator (or letting it end) cancels
  the reads not yet started and waits for the running ones, so no thread outlives it.

  Args:
    source: anything with `batch(index) -> np.ndarray` (see `make_source`).
    counts: n_critic of each generator step, e.g. 100, 100, ..., 5, 5; may be infinite.
    start: index of the first batch (the number of critic batches consumed before).
    buffer: generator steps read ahead of the one being consumed.
    workers: threads (default: the number of CPU cores).

  Yields:
    `[n, *batch_shape]` arrays: the batches `index, ..., index + n - 1` stacked, e.g.
    `real_NxBxHxWxC`.
  """
  counts = iter(counts)
  pool = concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count(), "wgan_jax_data")
  pending = collections.deque()
  next_index = start

  def submit_step() -> None:
    nonlocal next_index
    for n in itertools.islice(counts, 1):
      pending.append([pool.submit(source.batch, i) for i in range(next_index, next_index + n)])
      next_index += n

  try:
    for _ in range(buffer + 1):
      submit_step()
    while pending:
      step = pending.popleft()
      submit_step()
      yield np.stack([future.result() for future in step])
  finally:
    pool.shutdown(wait=True, cancel_futures=True)
