"""A directory tree of JPEG, PNG or WebP files (the official code's `folder` dataset)."""

import concurrent.futures
import os
import pathlib
import warnings

import numpy as np
from PIL import Image

from wgan_jax.data import images
from wgan_jax.data.errors import DataError

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def image_files(root: str | os.PathLike) -> list[pathlib.Path]:
  """The image files under `root` that decode, sorted by path; a warning names each one skipped.

  Every candidate (by extension, case-insensitive, recursive) is decoded once in a thread pool
  (`images.decodes`: about 0.3 ms per JPEG on one core), so a corrupt file is found here rather
  than in the middle of training. Its mode is checked too (`images.check_mode`): a corrupt file
  is one lost sample, but a refused mode (say 32-bit integer TIFF pixels) most likely holds for
  the whole set and needs the user's decision, so it stops here.

  Raises:
    DataError: `root` is not a directory, holds no image files, none of them decodes, or one
      decodes to a mode whose pixel range is unknown (naming the file and the mode).
  """
  root = pathlib.Path(root).expanduser()
  if not root.is_dir():
    raise DataError(
      f"image folder {str(root)!r} does not exist or is not a directory; "
      "pass folder:PATH with PATH a directory of JPEG/PNG/WebP files"
    )
  candidates = sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
  if not candidates:
    raise DataError(
      f"image folder {str(root)!r} holds no {'/'.join(EXTENSIONS)} files; "
      "put the training images there (subfolders are searched)"
    )
  with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
    good = list(pool.map(_usable, candidates))
  for path, ok in zip(candidates, good):
    if not ok:
      warnings.warn(f"skipping {str(path)!r}: not a decodable image", stacklevel=2)
  files = [path for path, ok in zip(candidates, good) if ok]
  if not files:
    raise DataError(
      f"none of the {len(candidates)} image files in {str(root)!r} decodes "
      "(all corrupt or mislabelled); replace them with valid JPEG/PNG/WebP files"
    )
  return files


def _usable(path: pathlib.Path) -> bool:
  """Whether `path` decodes; raises DataError if its mode is refused."""
  if not images.decodes(path):
    return False
  with Image.open(path) as image:
    images.check_mode(image, name=str(path))
  return True


def loader(files: list[pathlib.Path], *, image_size: int, channels: int):
  """`load_rows` for `indexing.FiniteSource`: int64 rows `[n]` -> float32 `[n, S, S, C]`."""

  def load_rows(rows: np.ndarray) -> np.ndarray:
    out = np.empty((len(rows), image_size, image_size, channels), np.float32)
    for i, row in enumerate(rows):
      with Image.open(files[row]) as image:
        out[i] = images.to_model_input(image, image_size=image_size, channels=channels)
    return out

  return load_rows
