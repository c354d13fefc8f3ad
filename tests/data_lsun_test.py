"""LSUN through our TensorFlow-free tfds builder: a tiny real lmdb end to end, mock_data, and
prepare_lsun's one-line errors."""

import io
import os
import pathlib
import shutil
import subprocess
import sys

import lmdb
import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from wgan_jax import data
from wgan_jax.data import images, prepare_lsun


def _encoded(pixels, fmt):
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format=fmt)
  return buffer.getvalue()


def _write_lmdb(lmdb_dir, values):
  """An lmdb at `lmdb_dir` (data.mdb and lock.mdb, as in the LSUN zips) holding `values`."""
  lmdb_dir.mkdir(parents=True)
  with lmdb.open(os.fspath(lmdb_dir), map_size=1 << 24) as env, env.begin(write=True) as txn:
    for key, value in values.items():
      txn.put(key.encode(), value)
  return lmdb_dir


@pytest.fixture(name="lsun_dir", scope="module")
def _lsun_dir(tmp_path_factory):
  """A prepared `wgan_lsun/bedroom` built from an lmdb laid out like `bedroom_train_lmdb`."""
  root = tmp_path_factory.mktemp("lsun")
  rng = np.random.default_rng(0)
  originals = {
    f"{i:040x}": rng.integers(0, 256, (40 + 3 * i, 60 - 2 * i, 3), np.uint8) for i in range(7)
  }
  values = {
    key: _encoded(pixels, "WEBP" if i == 1 else "JPEG")
    for i, (key, pixels) in enumerate(originals.items())
  }
  values["f" * 40] = b"not an image"
  _write_lmdb(root / "manual" / "bedroom_train_lmdb", values)
  with pytest.warns(UserWarning, match="skipping LSUN image 'f{40}'"):
    prepare_lsun.prepare(manual_dir=str(root / "manual"), data_dir=str(root / "tfds"))
  return root, values


def _make(data_dir, seed=0, p=0, c=1, batch_size=4, image_size=16):
  return data.make_source(
    "lsun/bedroom",
    image_size=image_size,
    channels=3,
    batch_size=batch_size,
    seed=seed,
    data_dir=data_dir,
    process_index=p,
    process_count=c,
  )


def test_builder_stores_the_lmdb_images_and_reads_back_without_tensorflow(lsun_dir):
  root, values = lsun_dir
  split = tfds.data_source("wgan_lsun/bedroom", split="train", data_dir=str(root / "tfds"))
  assert len(split) == 7  # the undecodable value was skipped
  for example in split:
    key = example["id"].decode()
    with Image.open(io.BytesIO(values[key])) as original:
      np.testing.assert_array_equal(example["image"], np.asarray(original.convert("RGB")))


def test_lsun_batches_are_preprocessed_deterministic_and_split(lsun_dir):
  root, values = lsun_dir
  data_dir = str(root / "tfds")
  source = _make(data_dir)
  assert source.num_rows == 7 and source.element_shape == (16, 16, 3)
  batch = source.batch(2)
  assert batch.shape == (4, 16, 16, 3) and batch.dtype == np.float32
  assert batch.min() >= -1 and batch.max() <= 1
  np.testing.assert_array_equal(batch, _make(data_dir).batch(2))
  assert not np.array_equal(batch, _make(data_dir, seed=1).batch(2))
  parts = [_make(data_dir, p=p, c=2).batch(2) for p in range(2)]
  np.testing.assert_array_equal(np.concatenate(parts), batch)
  # Every stored image, preprocessed from its original bytes, is one of the 7 rows of an epoch.
  epoch = _make(data_dir, batch_size=7).batch(0)
  by_hand = [
    images.to_model_input(Image.open(io.BytesIO(v)), image_size=16, channels=3)
    for k, v in values.items()
    if not k.startswith("f")
  ]
  for expected in by_hand:
    assert any(np.array_equal(expected, row) for row in epoch)
  # Threads reading the array_record files at once see the same data.
  steps = list(data.prefetch_batches(source, [3, 2] * 3, 0))
  np.testing.assert_array_equal(
    np.concatenate(steps), np.stack([source.batch(i) for i in range(15)])
  )


def test_builder_reads_an_image_folder_when_there_is_no_lmdb(tmp_path):
  rng = np.random.default_rng(1)
  for i in range(3):
    path = tmp_path / "manual" / "bedroom" / f"{i}" / "x.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(_encoded(rng.integers(0, 256, (30, 20 + i, 3), np.uint8), "JPEG"))
  prepare_lsun.prepare(manual_dir=str(tmp_path / "manual"), data_dir=str(tmp_path / "tfds"))
  source = _make(str(tmp_path / "tfds"), batch_size=3)
  assert source.num_rows == 3 and source.batch(0).shape == (3, 16, 16, 3)


@pytest.mark.parametrize("name, channels", [("lsun/bedroom", 3), ("mnist", 1), ("cifar10", 3)])
def test_tfds_sources_on_mock_data(name, channels):
  with tfds.testing.mock_data(num_examples=20, policy=tfds.testing.MockPolicy.USE_CODE):
    make = lambda seed=0, p=0, c=1: data.make_source(
      name,
      image_size=64,
      channels=channels,
      batch_size=8,
      seed=seed,
      process_index=p,
      process_count=c,
    )
    source = make()
    batch = source.batch(1)
    assert source.num_rows == 20 and source.element_shape == (64, 64, channels)
    assert batch.shape == (8, 64, 64, channels) and batch.dtype == np.float32
    assert batch.min() >= -1 and batch.max() <= 1 and batch.std() > 0.1
    np.testing.assert_array_equal(batch, make().batch(1))
    assert not np.array_equal(batch, make(seed=1).batch(1))
    parts = [make(p=p, c=4).batch(1) for p in range(4)]
    assert all(part.shape == (2, 64, 64, channels) for part in parts)
    np.testing.assert_array_equal(np.concatenate(parts), batch)


def test_builder_scales_a_sixteen_bit_image_instead_of_clipping_it(tmp_path):
  rng = np.random.default_rng(2)
  values = {
    "a": _encoded(np.full((20, 24), 32768, np.uint16), "PNG"),
    "b": _encoded(rng.integers(0, 256, (20, 24, 3), np.uint8), "JPEG"),
  }
  _write_lmdb(tmp_path / "manual" / "bedroom_train_lmdb", values)
  prepare_lsun.prepare(manual_dir=str(tmp_path / "manual"), data_dir=str(tmp_path / "tfds"))
  split = tfds.data_source("wgan_lsun/bedroom", split="train", data_dir=str(tmp_path / "tfds"))
  stored = {example["id"].decode(): example["image"] for example in split}
  np.testing.assert_array_equal(stored["a"], np.full((20, 24, 3), 128, np.uint8))  # was 255


_REPO = pathlib.Path(__file__).resolve().parents[1]
_GET = "download bedroom_train_lmdb.zip from http://dl.yf.io/lsun/scenes/ and unzip it into"


def _bad_input(tmp_path, case):
  """(prepare_lsun arguments, the one stderr line expected) for one kind of bad input."""
  manual, data_dir = tmp_path / "manual", tmp_path / "tfds"
  jpeg = {"k": _encoded(np.zeros((8, 8, 3), np.uint8), "JPEG")}
  if case == "no flags":
    return [], (
      "error: the following arguments are required: --manual_dir; see `python -m "
      "wgan_jax.data.prepare_lsun --help`"
    )
  if case == "unknown category":
    return ["--manual_dir", str(manual), "--category", "garage"], (
      "error: argument --category: invalid choice: 'garage' (choose from 'bedroom', 'bridge', "
      "'church_outdoor', 'classroom', 'conference_room', 'dining_room', 'kitchen', "
      "'living_room', 'restaurant', 'tower'); see `python -m wgan_jax.data.prepare_lsun --help`"
    )
  args = ["--manual_dir", str(manual), "--data_dir", str(data_dir)]
  if case == "missing manual_dir":
    return args, (
      f"error: manual_dir '{manual}' does not exist or is not a directory; pass "
      "--manual_dir the folder bedroom_train_lmdb.zip was unzipped into"
    )
  manual.mkdir()
  if case == "empty manual_dir":
    return args, f"error: manual_dir '{manual}' is empty; {_GET} {manual}"
  if case == "lmdb one folder too deep":  # unzipped into a folder of the same name
    _write_lmdb(manual / "bedroom_train_lmdb" / "bedroom_train_lmdb", jpeg)
    return args, (
      f"error: no {manual}/bedroom_train_lmdb/data.mdb (nor an image folder "
      f"{manual}/bedroom); found {manual}/bedroom_train_lmdb/bedroom_train_lmdb/"
      f"data.mdb: pass --manual_dir {manual}/bedroom_train_lmdb"
    )
  if case == "lmdb under another name":
    _write_lmdb(manual / "lsun" / "bedroom", jpeg)
    return args, (
      f"error: no {manual}/bedroom_train_lmdb/data.mdb (nor an image folder "
      f"{manual}/bedroom); found {manual}/lsun/bedroom/data.mdb: move "
      f"{manual}/lsun/bedroom to {manual}/bedroom_train_lmdb"
    )
  if case == "lmdb does not open":
    (manual / "bedroom_train_lmdb").mkdir()
    (manual / "bedroom_train_lmdb" / "data.mdb").write_bytes(b"half a download")
    with pytest.raises(lmdb.Error) as lmdb_error:
      lmdb.open(os.fspath(manual / "bedroom_train_lmdb"), readonly=True, lock=False)
    return args, (
      f"error: '{manual}/bedroom_train_lmdb/data.mdb' does not open as an lmdb "
      f"({lmdb_error.value}); the download or the unzip is incomplete: {_GET} {manual}"
    )
  if case == "lmdb without records":
    _write_lmdb(manual / "bedroom_train_lmdb", {})
    return args, (
      f"error: the lmdb '{manual}/bedroom_train_lmdb' holds no records; {_GET} {manual}"
    )
  if case == "image folder without images":
    (manual / "bedroom" / "sub").mkdir(parents=True)
    (manual / "bedroom" / "notes.txt").write_text("no images here")
    return args, (
      f"error: image folder '{manual}/bedroom' holds no .jpg/.jpeg/.png/.webp files; "
      f"put the bedroom images there or {_GET} {manual}"
    )
  _write_lmdb(manual / "bedroom_train_lmdb", jpeg)
  (tmp_path / "file").write_text("a file, not a folder")
  if case == "data_dir is a file":
    return args[:3] + [str(tmp_path / "file")], (
      f"error: data_dir '{tmp_path}/file' is a file, not a folder; pass --data_dir a folder "
      "you can write"
    )
  assert case == "data_dir cannot be written"
  return args[:3] + [str(tmp_path / "file" / "tfds")], (
    f"error: data_dir '{tmp_path}/file/tfds' cannot be written (Not a directory); pass "
    "--data_dir a folder you can write"
  )


@pytest.mark.parametrize(
  "case",
  [
    "no flags",
    "unknown category",
    "missing manual_dir",
    "empty manual_dir",
    "lmdb one folder too deep",
    "lmdb under another name",
    "lmdb does not open",
    "lmdb without records",
    "image folder without images",
    "data_dir is a file",
    "data_dir cannot be written",
  ],
)
def test_prepare_lsun_bad_input_is_one_line_and_exit_2(tmp_path, case):
  args, expected = _bad_input(tmp_path, case)
  result = subprocess.run(
    [sys.executable, "-m", "wgan_jax.data.prepare_lsun", *args],
    cwd=_REPO,
    env=os.environ | {"PYTHONPATH": str(_REPO)},
    capture_output=True,
    text=True,
    timeout=300,
    check=False,
  )
  assert (result.returncode, result.stderr, result.stdout) == (2, expected + "\n", "")
  assert not (tmp_path / "tfds").exists()  # refused before anything was written


def test_the_suggested_manual_dir_for_a_nested_lmdb_works(tmp_path):
  nested = tmp_path / "manual" / "bedroom_train_lmdb"
  _write_lmdb(nested / "bedroom_train_lmdb", {"k": _encoded(np.zeros((8, 8, 3), np.uint8), "JPEG")})
  folder = prepare_lsun.prepare(manual_dir=str(nested), data_dir=str(tmp_path / "tfds"))
  assert (
    len(tfds.data_source("wgan_lsun/bedroom", split="train", data_dir=str(tmp_path / "tfds"))) == 1
  )
  shutil.rmtree(nested)  # a prepared dataset is reused: the 43 GB lmdb may be deleted
  assert prepare_lsun.prepare(manual_dir=str(nested), data_dir=str(tmp_path / "tfds")) == folder
