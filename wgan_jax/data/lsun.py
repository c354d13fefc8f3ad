"""LSUN scenes as a TensorFlow-free tfds builder: lmdb or JPEG folder in, array_record out.

tfds's own `lsun` builder needs tensorflow-io to read the lmdb, which does not load with current
TensorFlow. This builder reads the official `<category>_train_lmdb` with the `lmdb` package (or a
folder of images) and stores each image's encoded bytes unchanged, so writing needs no TensorFlow
(tfds only calls TensorFlow to *encode* numpy images, never for bytes). Read it back with
`tfds.data_source("wgan_lsun/bedroom", split="train")`; `wgan_jax.data.make_source("lsun/bedroom")`
does so. Prepare it once with `python -m wgan_jax.data.prepare_lsun`.

Every image is checked with `images.decodes` while preparing; one that fails is skipped with a
warning. Images that are not RGB JPEG (the lmdb holds some WebP in some mirrors) are stored as
lossless PNG in RGB, so readers see three channels.
"""
import io
import os
import pathlib
import warnings

import lmdb
from PIL import Image
import tensorflow_datasets as tfds

from wgan_jax.data import images
from wgan_jax.data.folder import EXTENSIONS

CATEGORIES = ("bedroom", "bridge", "church_outdoor", "classroom", "conference_room", "dining_room",
              "kitchen", "living_room", "restaurant", "tower")


class WganLsun(tfds.core.GeneratorBasedBuilder):
  """LSUN scene categories, train split, images of any size stored as their original bytes."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release: lmdb or image folder, array_record, no TensorFlow."}
  BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=c, description=f"LSUN {c}, train split")
                     for c in CATEGORIES]
  MANUAL_DOWNLOAD_INSTRUCTIONS = """\
  Download `<category>_train_lmdb.zip` (bedroom: about 43 GB) from http://dl.yf.io/lsun/scenes/ (or
  `python download.py -c bedroom` from github.com/fyu/lsun) and unzip it into the manual dir, giving
  `<manual_dir>/bedroom_train_lmdb/data.mdb`. A folder of JPEG/PNG/WebP files at
  `<manual_dir>/bedroom/` (subfolders searched) is used instead when there is no lmdb.
  Then run `python -m wgan_jax.data.prepare_lsun --manual_dir <manual_dir> --data_dir <data_dir>`.
  """

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description="LSUN scene images (Yu et al. 2015), train split, original encoding.",
        features=tfds.features.FeaturesDict({
            "id": tfds.features.Text(),
            "image": tfds.features.Image(shape=(None, None, 3)),
        }),
        homepage="https://www.yf.io/p/lsun",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    manual_dir = pathlib.Path(dl_manager.manual_dir)
    category = self.builder_config.name
    lmdb_dir = manual_dir / f"{category}_train_lmdb"
    if lmdb_dir.is_dir():
      return {"train": self._generate_examples(_lmdb_records(lmdb_dir))}
    image_dir = manual_dir / category
    if image_dir.is_dir():
      return {"train": self._generate_examples(_folder_records(image_dir))}
    raise FileNotFoundError(
        f"neither {lmdb_dir} nor {image_dir} exists. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}")

  def _generate_examples(self, records):
    for key, encoded in records:
      if not images.decodes(encoded):
        warnings.warn(f"skipping LSUN image {key!r}: not a decodable image")
        continue
      yield key, {"id": key, "image": _rgb_jpeg_or_png(encoded)}


def _lmdb_records(lmdb_dir: pathlib.Path):
  """Yields (key, encoded image bytes) from an LSUN lmdb, in key order."""
  env = lmdb.open(os.fspath(lmdb_dir), readonly=True, lock=False, readahead=False, max_readers=1)
  try:
    with env.begin(write=False) as txn:
      for key, value in txn.cursor():
        yield key.decode(), bytes(value)
  finally:
    env.close()


def _folder_records(image_dir: pathlib.Path):
  """Yields (relative path, file bytes) for every image file under `image_dir`, sorted."""
  for path in sorted(image_dir.rglob("*")):
    if path.suffix.lower() in EXTENSIONS and path.is_file():
      yield path.relative_to(image_dir).as_posix(), path.read_bytes()


def _rgb_jpeg_or_png(encoded: bytes) -> bytes:
  with Image.open(io.BytesIO(encoded)) as image:
    if image.format == "JPEG" and image.mode == "RGB":
      return encoded
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
  return buffer.getvalue()
