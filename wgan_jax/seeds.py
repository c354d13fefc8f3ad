"""N independent runs of one config as one compiled program (`--config.num_seeds=N`).

Run i is the run of `--config.seed=seed+i`: its own initial weights, noise and data order, drawn
exactly as that single run draws them. With N > 1 the state, the run's keys and the critic batches
carry a leading seed axis `[S, ...]` and the steps are `jax.vmap`ped over it; with N = 1 nothing
is stacked, so a one-seed run keeps its layout (and its checkpoints resume).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

# The run's three key streams, `fold_in(key(seed), stream)`.
INIT, RUN, SAMPLES = 0, 1, 2


class StackedSource:
  """One data source per seed, read together: `batch(index)` is `[S, B, ...]`, row i being
  `sources[i].batch(index)`."""

  def __init__(self, sources):
    self.sources = tuple(sources)
    self.element_shape = self.sources[0].element_shape

  def batch(self, index: int) -> np.ndarray:
    return np.stack([s.batch(index) for s in self.sources])


@dataclasses.dataclass(frozen=True)
class Seeds:
  """The seeds a run trains, and what stacking them means for each piece of the run.

  Attributes:
    values: the runs' seeds, `seed, seed + 1, ..., seed + N - 1`.
  """

  values: tuple[int, ...]

  @classmethod
  def of(cls, seed: int, num_seeds: int) -> "Seeds":
    return cls(tuple(range(seed, seed + num_seeds)))

  @property
  def stacked(self) -> bool:
    """Whether state, keys and batches carry a leading seed axis (N > 1)."""
    return len(self.values) > 1

  @property
  def batch_axis(self) -> int:
    """The axis of B in the critic batches: `[S, n_critic, B, ...]` stacked, else `[n_critic, B,
    ...]`."""
    return 2 if self.stacked else 1

  def vmap(self, fn):
    """`fn` over the seed axis of every argument and result when stacked; else `fn` itself."""
    return jax.vmap(fn) if self.stacked else fn

  def keys(self, stream: int) -> jax.Array:
    """Key `stream` (INIT, RUN or SAMPLES) of every run: `[S]` stacked, else a scalar key."""
    keys = [jax.random.fold_in(jax.random.key(s), stream) for s in self.values]
    return jnp.stack(keys) if self.stacked else keys[0]

  def source(self, make_source):
    """`make_source(seed)` for every seed: a `StackedSource` when stacked, else the one source."""
    sources = [make_source(s) for s in self.values]
    return StackedSource(sources) if self.stacked else sources[0]

  def batches(self, steps_):
    """Host batches `[n_critic, S, B, ...]` (prefetched from a `StackedSource`) as
    `[S, n_critic, B, ...]`; unstacked ones pass through."""
    for real in steps_:
      yield np.ascontiguousarray(np.moveaxis(real, 1, 0)) if self.stacked else real

  def split(self, tree) -> list[tuple[int, object]]:
    """`[(seed, that run's part of tree)]`: row i of every leaf when stacked, else `tree`."""
    if not self.stacked:
      return [(self.values[0], tree)]
    return [(s, jax.tree.map(lambda x, i=i: x[i], tree)) for i, s in enumerate(self.values)]

  def prefix(self, seed: int) -> str:
    """What names of run `seed`'s outputs start with: `seed_<s>/` when stacked, else ''."""
    return f"seed_{seed}/" if self.stacked else ""


def step_of(state) -> int:
  """The generator step of a state, stacked (N equal steps) or not."""
  return int(np.asarray(jax.device_get(state.step)).flat[0])
