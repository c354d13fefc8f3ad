r"""Prepares an LSUN category for `make_source("lsun/<category>")`, once, without TensorFlow.

  python -m wgan_jax.data.prepare_lsun --manual_dir ~/lsun --data_dir ~/tensorflow_datasets

reads `~/lsun/bedroom_train_lmdb` (or the image folder `~/lsun/bedroom/`) and writes array_record
files under `~/tensorflow_datasets/wgan_lsun/bedroom/`. See `lsun.WganLsun` for where to get the
data. Nothing is downloaded. The 3M bedroom images take on the order of an hour on one core.
"""
import argparse

import tensorflow_datasets as tfds

from wgan_jax.data import lsun


def prepare(*, manual_dir: str, data_dir: str | None, category: str = "bedroom") -> str:
  """Builds `wgan_lsun/<category>` from `manual_dir` into `data_dir`; returns the dataset folder."""
  builder = lsun.WganLsun(config=category, data_dir=data_dir, file_format="array_record")
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
  return str(builder.data_dir)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--manual_dir", required=True,
                      help="folder holding <category>_train_lmdb/ or <category>/ of images")
  parser.add_argument("--data_dir", default=None,
                      help="tfds data dir (default ~/tensorflow_datasets)")
  parser.add_argument("--category", default="bedroom", choices=lsun.CATEGORIES)
  args = parser.parse_args()
  print(prepare(manual_dir=args.manual_dir, data_dir=args.data_dir, category=args.category))


if __name__ == "__main__":
  main()
