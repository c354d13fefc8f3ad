"""prefetch_batches: the same arrays as source.batch, read ahead by a bounded amount, clean stop."""

import itertools
import threading
import time

import numpy as np
import pytest

from wgan_jax import data


class _CountingSource:
  """batch(i) = i everywhere, recording the calls."""

  element_shape = (3,)

  def __init__(self, fail_at=None):
    self.calls = []
    self._fail_at = fail_at

  def batch(self, index):
    self.calls.append(index)
    if index == self._fail_at:
      raise RuntimeError(f"bad batch {index}")
    return np.full((2, 3), index, np.float32)


def _data_threads():
  return [t for t in threading.enumerate() if t.name.startswith("wgan_jax_data")]


def test_yields_the_batches_of_each_generator_step_in_order():
  source = data.make_source("digits", image_size=16, channels=1, batch_size=8, seed=0)
  counts = [3, 1, 2]
  steps = list(data.prefetch_batches(source, counts, 7))
  assert [s.shape for s in steps] == [(n, 8, 16, 16, 1) for n in counts]
  expected = iter(range(7, 13))
  for step in steps:
    for batch in step:
      np.testing.assert_array_equal(batch, source.batch(next(expected)))
  assert not _data_threads()


def test_reads_a_bounded_amount_ahead_and_stops_cleanly_on_close():
  source = _CountingSource()
  batches = data.prefetch_batches(source, itertools.repeat(5), 100, buffer=2)
  np.testing.assert_array_equal(next(batches)[:, 0, 0], [100, 101, 102, 103, 104])
  time.sleep(0.2)
  assert len(source.calls) <= 4 * 5  # the step yielded, 2 buffered, 1 submitted on yield
  assert _data_threads()
  batches.close()
  assert not _data_threads()


def test_a_failing_read_reaches_the_consumer_and_stops_the_threads():
  batches = data.prefetch_batches(_CountingSource(fail_at=6), [5, 5], 0)
  assert next(batches).shape == (5, 2, 3)
  with pytest.raises(RuntimeError, match="bad batch 6"):
    next(batches)
  assert not _data_threads()
