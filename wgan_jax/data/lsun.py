"""LSUN scenes as a TensorFlow-free tfds builder: lmdb or JPEG folder in, array_record out.

tfds's own `lsun` builder needs tensorflow-io to read the lmdb, which does not load with current
TensorFlow. This builder reads the official `<category>_train_lmdb` with the `lmdb` package (or a
folder of images) and stores each image's encoded bytes unchanged, so writing needs no TensorFlow
(tfds only calls TensorFlow to *encode* numpy images, never for bytes). Read it back with
`tfds.data_source("wgan_lsun/bedroom", split="train")`; `wgan_jax.data.make_source("lsun/bedroom")`
does so. Prepare it once with `python -m wgan_jax.data.prepare_lsun`.

Every image is checked with `images.decodes` while preparing; one that fails is skipped with a
warning. Images that are not RGB JPEG (the lmdb holds some WebP in some mirrors) are stored as
lossless 8-bit RGB PNG, so readers see three channels; `images.to_rgb8` converts them by the same
range rule as training input (a 16-bit image is scaled by 65535, not clipped). A manual dir laid
out wrongly is a one-line `DataError` from `find_source`, before anything is written.
"""

import io
import os
import pathlib
import warnings

import lmdb
import tensorflow_datasets as tfds
from PIL import Image

from wgan_jax.data import images
from wgan_jax.data.errors import DataError
from wgan_jax.data.folder import EXTENSIONS

CATEGORIES = (
  "bedroom",
  "bridge",
  "church_outdoor",
  "classroom",
  "conference_room",
  "dining_room",
  "kitchen",
  "living_room",
  "restaurant",
  "tower",
)


class WganLsun(tfds.core.GeneratorBasedBuilder):
  """LSUN scene categories, train split, images of any size stored as their original bytes."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release: lmdb or image folder, array_record, no TensorFlow."}
  BUILDER_CONFIGS = [
    tfds.core.BuilderConfig(name=c, description=f"LSUN {c}, train split") for c in CATEGORIES
  ]
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
      features=tfds.features.FeaturesDict(
        {
          "id": tfds.features.Text(),
          "image": tfds.features.Image(shape=(None, None, 3)),
        }
      ),
      homepage="https://www.yf.io/p/lsun",
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    kind, path = find_source(dl_manager.manual_dir, self.builder_config.name)
    records = _lmdb_records(path) if kind == "lmdb" else _folder_records(path)
    return {"train": self._generate_examples(records, path)}

  def _generate_examples(self, records, path: pathlib.Path):
    total = kept = 0
    for key, encoded in records:
      total += 1
      if not images.decodes(encoded):
        warnings.warn(f"skipping LSUN image {key!r}: not a decodable image", stacklevel=2)
        continue
      kept += 1
      yield key, {"id": key, "image": _rgb_jpeg_or_png(encoded, key)}
    if not kept:
      raise DataError(
        f"none of the {total} images in {str(path)!r} decodes; "
        f"{_download(self.builder_config.name)}"
      )


def _download(category: str, manual_dir: str | os.PathLike = "the manual dir") -> str:
  return (
    f"download {category}_train_lmdb.zip from http://dl.yf.io/lsun/scenes/ and unzip it "
    f"into {manual_dir}"
  )


def _open_lmdb(lmdb_dir: pathlib.Path) -> lmdb.Environment:
  try:
    return lmdb.open(os.fspath(lmdb_dir), readonly=True, lock=False, readahead=False, max_readers=1)
  except lmdb.Error as e:
    advice = _download(_category(lmdb_dir), lmdb_dir.parent)
    raise DataError(
      f"{str(lmdb_dir / 'data.mdb')!r} does not open as an lmdb ({e}); the download "
      f"or the unzip is incomplete: {advice}"
    ) from None


def _category(lmdb_dir: pathlib.Path) -> str:
  return lmdb_dir.name.removesuffix("_train_lmdb")


def _lmdb_records(lmdb_dir: pathlib.Path):
  """Yields (key, encoded image bytes) from an LSUN lmdb, in key order."""
  env = _open_lmdb(lmdb_dir)
  try:
    with env.begin(write=False) as txn:
      for key, value in txn.cursor():
        yield key.decode(), bytes(value)
  except lmdb.Error as e:
    raise DataError(
      f"reading {str(lmdb_dir / 'data.mdb')!r} failed ({e}); the file is damaged: "
      f"{_download(_category(lmdb_dir), lmdb_dir.parent)}"
    ) from None
  finally:
    env.close()


def _data_mdb_below(root: pathlib.Path, max_depth: int = 4) -> list[pathlib.Path]:
  """`data.mdb` files at most `max_depth` folders below `root`, shallowest first."""
  found = []
  for folder, subfolders, files in os.walk(root):
    depth = len(pathlib.Path(folder).relative_to(root).parts)
    if "data.mdb" in files:
      found.append(pathlib.Path(folder) / "data.mdb")
    subfolders[:] = sorted(subfolders) if depth < max_depth else []
  return sorted(found, key=lambda p: (len(p.parts), p))


def _misplaced_lmdb_advice(manual_dir: pathlib.Path, category: str) -> str:
  """Where a `data.mdb` below `manual_dir` is, and the --manual_dir that would find it."""
  found = _data_mdb_below(manual_dir)
  if not found:
    return _download(category, manual_dir)
  lmdb_dir = found[0].parent
  others = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
  if lmdb_dir.name == f"{category}_train_lmdb":
    fix = f"pass --manual_dir {lmdb_dir.parent}"
  else:
    fix = f"move {lmdb_dir} to {manual_dir / f'{category}_train_lmdb'}"
  return f"found {found[0]}{others}: {fix}"


def find_source(manual_dir: str | os.PathLike, category: str) -> tuple[str, pathlib.Path]:
  """The LSUN `category` under `manual_dir`: `("lmdb", lmdb_dir)` or `("folder", image_dir)`.

  The lmdb is checked to open and hold records. Nothing is written.

  Raises:
    DataError: `manual_dir` is missing or empty, holds neither `<category>_train_lmdb/data.mdb`
      nor an image folder `<category>/` (naming any `data.mdb` found deeper, e.g. one unzipped
      into a same-named folder, and the --manual_dir that finds it), or the lmdb does not open.
  """
  manual_dir = pathlib.Path(manual_dir).expanduser()
  if not manual_dir.is_dir():
    raise DataError(
      f"manual_dir {str(manual_dir)!r} does not exist or is not a directory; pass "
      f"--manual_dir the folder {category}_train_lmdb.zip was unzipped into"
    )
  lmdb_dir = manual_dir / f"{category}_train_lmdb"
  image_dir = manual_dir / category
  if (lmdb_dir / "data.mdb").is_file():
    env = _open_lmdb(lmdb_dir)
    with env:
      if not env.stat()["entries"]:
        raise DataError(
          f"the lmdb {str(lmdb_dir)!r} holds no records; {_download(category, manual_dir)}"
        )
    return "lmdb", lmdb_dir
  if image_dir.is_dir() and not lmdb_dir.is_dir():
    if not any(p.suffix.lower() in EXTENSIONS for p in image_dir.rglob("*")):
      raise DataError(
        f"image folder {str(image_dir)!r} holds no {'/'.join(EXTENSIONS)} files; "
        f"put the {category} images there or {_download(category, manual_dir)}"
      )
    return "folder", image_dir
  if not any(manual_dir.iterdir()):
    raise DataError(
      f"manual_dir {str(manual_dir)!r} is empty; {_misplaced_lmdb_advice(manual_dir, category)}"
    )
  raise DataError(
    f"no {lmdb_dir / 'data.mdb'} (nor an image folder {image_dir}); "
    f"{_misplaced_lmdb_advice(manual_dir, category)}"
  )


def _folder_records(image_dir: pathlib.Path):
  """Yields (relative path, file bytes) for every image file under `image_dir`, sorted."""
  for path in sorted(image_dir.rglob("*")):
    if path.suffix.lower() in EXTENSIONS and path.is_file():
      yield path.relative_to(image_dir).as_posix(), path.read_bytes()


def _rgb_jpeg_or_png(encoded: bytes, key: str) -> bytes:
  """RGB JPEG bytes unchanged, anything else as 8-bit RGB PNG by `images.to_rgb8`'s range rule."""
  with Image.open(io.BytesIO(encoded)) as image:
    if image.format == "JPEG" and image.mode == "RGB":
      return encoded
    buffer = io.BytesIO()
    images.to_rgb8(image, name=f"LSUN image {key}").save(buffer, format="PNG")
  return buffer.getvalue()
