"""Image datasets read with `tfds.data_source` (array_record, no TensorFlow), `lsun/*` included.

Nothing is downloaded or prepared here: a dataset that is not prepared is a DataError that says
which command prepares it.
"""

import numpy as np
import tensorflow_datasets as tfds

from wgan_jax.data import images, lsun
from wgan_jax.data.errors import DataError


def _tfds_name(name: str) -> str:
  """The registered tfds name: `lsun/<category>` is our TensorFlow-free `wgan_lsun/<category>`."""
  if name != "lsun" and not name.startswith("lsun/"):
    return name
  category = name.partition("/")[2]
  if category not in lsun.CATEGORIES:
    raise DataError(
      f"unknown LSUN category in {name!r}; use lsun/ followed by one of "
      f"{', '.join(lsun.CATEGORIES)}"
    )
  return f"wgan_lsun/{category}"


def _not_prepared(name: str, data_dir: str | None) -> DataError:
  where = data_dir or "~/tensorflow_datasets"
  if name.startswith("lsun/"):
    category = name.split("/", 1)[1]
    return DataError(
      f"dataset {name!r} is not prepared in {where}; download {category}_train_lmdb.zip from "
      f"http://dl.yf.io/lsun/scenes/, unzip it into MANUAL_DIR and run `python -m "
      f"wgan_jax.data.prepare_lsun --category {category} --manual_dir MANUAL_DIR --data_dir "
      f"{where}` (nothing is downloaded at run time)"
    )
  return DataError(
    f"tfds dataset {name!r} is not prepared as array_record in {where}; prepare it once with "
    f"`tfds build {name} --file_format=array_record --data_dir={where}` (needs network and "
    "TensorFlow then; a manual-download dataset wants its files in <data_dir>/downloads/manual); "
    "nothing is downloaded at run time"
  )


def open_train_split(name: str, data_dir: str | None, builtin_names: tuple[str, ...]):
  """The prepared train split of `name` as a random-access sequence of example dicts.

  `builtin_names` are the other valid names, listed in the error for an unknown one.

  Raises:
    DataError: unknown name, not prepared, prepared in a format without random access, or no
      `image` feature.
  """
  tfds_name = _tfds_name(name)
  try:
    source = tfds.data_source(tfds_name, split="train", data_dir=data_dir, download=False)
  except tfds.core.registered.DatasetNotFoundError:
    raise DataError(
      f"unknown dataset {name!r}; use one of {', '.join(builtin_names)}, "
      "folder:PATH, lsun/<category> or a tfds image dataset (mnist, cifar10, ...)"
    ) from None
  except (NotImplementedError, FileNotFoundError):
    raise _not_prepared(name, data_dir) from None
  if "image" not in source.dataset_info.features:
    raise DataError(f"tfds dataset {name!r} has no 'image' feature; use an image dataset")
  return source


def loader(source, *, image_size: int, channels: int, name: str = "tfds"):
  """`load_rows` for `indexing.FiniteSource`: int64 rows `[n]` -> float32 `[n, S, S, C]`.

  tfds decodes `image` to uint8 or uint16 arrays (float32 for a few sets); `images.model_pixels`
  scales each by its range (uint16 by 65535). `name` is the dataset, for error messages.
  """

  def load_rows(rows: np.ndarray) -> np.ndarray:
    out = np.empty((len(rows), image_size, image_size, channels), np.float32)
    for i, row in enumerate(rows):
      out[i] = images.to_model_input(
        source[row]["image"], image_size=image_size, channels=channels, name=f"{name} example {row}"
      )
    return out

  return load_rows
