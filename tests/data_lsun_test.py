"""LSUN through our TensorFlow-free tfds builder: a tiny real lmdb end to end, and mock_data."""
import io
import os

import lmdb
import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from wgan_jax import data
from wgan_jax.data import images
from wgan_jax.data import prepare_lsun


def _encoded(pixels, fmt):
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format=fmt)
  return buffer.getvalue()


@pytest.fixture(name="lsun_dir", scope="module")
def _lsun_dir(tmp_path_factory):
  """A prepared `wgan_lsun/bedroom` built from an lmdb laid out like `bedroom_train_lmdb`."""
  root = tmp_path_factory.mktemp("lsun")
  rng = np.random.default_rng(0)
  originals = {f"{i:040x}": rng.integers(0, 256, (40 + 3 * i, 60 - 2 * i, 3), np.uint8)
               for i in range(7)}
  values = {key: _encoded(pixels, "WEBP" if i == 1 else "JPEG")
            for i, (key, pixels) in enumerate(originals.items())}
  values["f" * 40] = b"not an image"
  lmdb_dir = root / "manual" / "bedroom_train_lmdb"
  lmdb_dir.mkdir(parents=True)
  with lmdb.open(os.fspath(lmdb_dir), map_size=1 << 24) as env, env.begin(write=True) as txn:
    for key, value in values.items():
      txn.put(key.encode(), value)
  with pytest.warns(UserWarning, match="skipping LSUN image 'f{40}'"):
    prepare_lsun.prepare(manual_dir=str(root / "manual"), data_dir=str(root / "tfds"))
  return root, values


def _make(data_dir, seed=0, p=0, c=1, batch_size=4, image_size=16):
  return data.make_source("lsun/bedroom", image_size=image_size, channels=3, batch_size=batch_size,
                          seed=seed, data_dir=data_dir, process_index=p, process_count=c)


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
  by_hand = [images.to_model_input(Image.open(io.BytesIO(v)), image_size=16, channels=3)
             for k, v in values.items() if not k.startswith("f")]
  for expected in by_hand:
    assert any(np.array_equal(expected, row) for row in epoch)
  # Threads reading the array_record files at once see the same data.
  steps = list(data.prefetch_batches(source, [3, 2] * 3, 0))
  np.testing.assert_array_equal(np.concatenate(steps), np.stack([source.batch(i)
                                                                 for i in range(15)]))


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
        name, image_size=64, channels=channels, batch_size=8, seed=seed, process_index=p,
        process_count=c)
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
