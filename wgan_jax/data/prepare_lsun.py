r"""Prepares an LSUN category for `make_source("lsun/<category>")`, once, without TensorFlow.

  python -m wgan_jax.data.prepare_lsun --manual_dir ~/lsun --data_dir ~/tensorflow_datasets

reads `~/lsun/bedroom_train_lmdb` (or the image folder `~/lsun/bedroom/`) and writes array_record
files under `~/tensorflow_datasets/wgan_lsun/bedroom/`. See `lsun.WganLsun` for where to get the
data. Nothing is downloaded. The 3M bedroom images take on the order of an hour on one core.

Exit codes: 0 prepared (the dataset folder is printed); 2 bad input: a missing or unknown flag, a
manual dir without the lmdb or image folder (a `data.mdb` found deeper is named, with the
--manual_dir that finds it), an lmdb that does not open, a data dir that cannot be written. Each
one is a single `error: ...` line on stderr.
"""

import argparse
import os
import pathlib
import sys
import tempfile

import tensorflow_datasets as tfds

from wgan_jax.data import lsun
from wgan_jax.data.errors import DataError


def _check_writable(data_dir: str) -> None:
  path = pathlib.Path(data_dir).expanduser()
  if path.exists() and not path.is_dir():
    raise DataError(
      f"data_dir {str(path)!r} is a file, not a folder; pass --data_dir a folder you can write"
    )
  try:
    path.mkdir(parents=True, exist_ok=True)
    tempfile.TemporaryFile(dir=path).close()
  except OSError as e:
    raise DataError(
      f"data_dir {str(path)!r} cannot be written ({e.strerror or e}); pass "
      "--data_dir a folder you can write"
    ) from None


def prepare(*, manual_dir: str, data_dir: str | None, category: str = "bedroom") -> str:
  """Builds `wgan_lsun/<category>` from `manual_dir` into `data_dir`; returns the dataset folder.

  Args:
    manual_dir: folder holding `<category>_train_lmdb/data.mdb` or an image folder `<category>/`.
    data_dir: tfds data dir (None: tfds's default, `~/tensorflow_datasets` or `$TFDS_DATA_DIR`).
    category: one of `lsun.CATEGORIES`.

  Raises:
    DataError: one line naming the problem and the fix; a bad manual dir or data dir is found
      before anything is written (see `lsun.find_source`).
  """
  if category not in lsun.CATEGORIES:
    raise DataError(f"unknown LSUN category {category!r}; use one of {', '.join(lsun.CATEGORIES)}")
  data_dir = os.fspath(pathlib.Path(data_dir or tfds.core.constants.DATA_DIR).expanduser())
  info = pathlib.Path(
    data_dir, "wgan_lsun", category, str(lsun.WganLsun.VERSION), "dataset_info.json"
  )
  if not info.is_file():  # prepared already: tfds reuses it, the manual dir may be gone
    lsun.find_source(manual_dir, category)
    _check_writable(data_dir)
  builder = lsun.WganLsun(config=category, data_dir=data_dir, file_format="array_record")
  builder.download_and_prepare(
    download_config=tfds.download.DownloadConfig(
      manual_dir=os.fspath(pathlib.Path(manual_dir).expanduser())
    )
  )
  return str(builder.data_dir)


def _fail(message: str) -> None:
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
  sys.exit(2)


class _Parser(argparse.ArgumentParser):
  """argparse with its usage block replaced by one line (the usage stays under --help)."""

  def error(self, message):
    _fail(f"{message}; see `python -m wgan_jax.data.prepare_lsun --help`")


def main(argv: list[str] | None = None) -> None:
  parser = _Parser(description=__doc__.split("\n", 1)[0])
  parser.add_argument(
    "--manual_dir",
    required=True,
    help="folder holding <category>_train_lmdb/ or <category>/ of images",
  )
  parser.add_argument(
    "--data_dir", default=None, help="tfds data dir (default ~/tensorflow_datasets)"
  )
  parser.add_argument("--category", default="bedroom", choices=lsun.CATEGORIES)
  args = parser.parse_args(argv)
  try:
    print(prepare(manual_dir=args.manual_dir, data_dir=args.data_dir, category=args.category))
  except DataError as e:
    _fail(e)


if __name__ == "__main__":
  main()
