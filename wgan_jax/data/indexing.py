"""Which rows of a finite dataset make up critic batch `index`: a pure function, so resume is exact.

The stream is the concatenation of epochs, epoch `e` being a permutation of the rows seeded by
`(seed, e)`. Global batch `index` covers stream positions `[index * B, (index + 1) * B)`, and
process `p` of `P` takes the contiguous slice `[p * B / P, (p + 1) * B / P)` of it: processes are
disjoint and their concatenation is the one-process batch. Nothing needs checkpointing but the
index.
"""

import functools
from collections.abc import Callable

import numpy as np


@functools.lru_cache(maxsize=4)
def _epoch_permutation(seed: int, epoch: int, num_rows: int) -> np.ndarray:
  return np.random.default_rng([seed, epoch]).permutation(num_rows)


def batch_rows(
  index: int, *, num_rows: int, batch_size: int, seed: int, process_index: int, process_count: int
) -> np.ndarray:
  """Rows of this process's part of global batch `index`.

  Args:
    index: global count of batches consumed before this one (>= 0).
    num_rows: dataset size N.
    batch_size: global batch size B, divisible by `process_count`.
    seed: shuffling seed (>= 0).
    process_index: this process, in `[0, process_count)`.
    process_count: number of processes P.

  Returns:
    int64 `[B / P]`, row numbers in `[0, N)`.
  """
  local = batch_size // process_count
  first = index * batch_size + process_index * local
  positions = np.arange(first, first + local, dtype=np.int64)
  epochs, offsets = np.divmod(positions, num_rows)
  rows = np.empty_like(positions)
  for epoch in np.unique(epochs):
    here = epochs == epoch
    rows[here] = _epoch_permutation(seed, int(epoch), num_rows)[offsets[here]]
  return rows


class FiniteSource:
  """A finite dataset read through `load_rows`, shuffled per epoch and split across processes.

  Attributes:
    element_shape: shape of one example, e.g. `(64, 64, 3)`.
    num_rows: dataset size.
  """

  def __init__(
    self,
    load_rows: Callable[[np.ndarray], np.ndarray],
    *,
    num_rows: int,
    element_shape: tuple[int, ...],
    batch_size: int,
    seed: int,
    process_index: int,
    process_count: int,
  ):
    """Args: `load_rows` maps int64 rows `[n]` to float32 `[n, *element_shape]`; rest as above."""
    self._load_rows = load_rows
    self.num_rows = num_rows
    self.element_shape = tuple(element_shape)
    self._rows = functools.partial(
      batch_rows,
      num_rows=num_rows,
      batch_size=batch_size,
      seed=seed,
      process_index=process_index,
      process_count=process_count,
    )

  def batch(self, index: int) -> np.ndarray:
    """This process's part of critic batch `index`: float32 `[B_local, *element_shape]`."""
    return self._load_rows(self._rows(index))
