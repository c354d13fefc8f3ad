"""Pixel values for every image mode Pillow opens: black -1, mid-grey 0, white +1, or refused."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from wgan_jax import data
from wgan_jax.data import folder, images, tfds_source

MID_TOL = 1 / 255 + 1e-6  # 8-bit mid-grey 128 is 0.5 / 127.5 = 1/255 above 0
_GREY_PALETTE = [v for i in range(256) for v in (i, i, i)]

# mode -> (black, mid-grey or None, white), each a pixel value of that mode.
MODES = {
  "1": (0, None, 1),
  "L": (0, 128, 255),
  "P": (0, 128, 255),  # with the grey palette: index i is (i, i, i)
  "PA": ((0, 255), (128, 255), (255, 255)),
  "LA": ((0, 255), (128, 255), (255, 255)),
  "La": ((0, 255), (128, 255), (255, 255)),
  "RGB": ((0,) * 3, (128,) * 3, (255,) * 3),
  "RGBA": ((0, 0, 0, 255), (128, 128, 128, 255), (255,) * 4),
  "RGBa": ((0, 0, 0, 255), (128, 128, 128, 255), (255,) * 4),
  "RGBX": ((0, 0, 0, 255), (128, 128, 128, 255), (255,) * 4),
  "CMYK": ((0, 0, 0, 255), (0, 0, 0, 128), (0, 0, 0, 0)),
  "YCbCr": ((0, 128, 128), (128, 128, 128), (255, 128, 128)),
  "HSV": ((0, 0, 0), (0, 0, 128), (0, 0, 255)),
  "LAB": ((0, 128, 128), None, (255, 128, 128)),  # mid-grey: test_lab_follows_the_cie_formula
  "I;16": (0, 32768, 65535),
  "I;16B": (0, 32768, 65535),
  "I;16L": (0, 32768, 65535),
  "I;16N": (0, 32768, 65535),
  "I": (0, 32768, 65535),
  "F": (0.0, 0.5, 1.0),
}


def _flat(mode, value, size=(20, 12)):
  image = Image.new(mode, size, value)
  if mode in ("P", "PA"):
    image.putpalette(_GREY_PALETTE)
  return image


def test_every_mode_pillow_knows_has_a_decided_range():
  assert set(Image.MODES) <= set(MODES), (
    f"Pillow has new modes {set(Image.MODES) - set(MODES)}: decide their range in "
    "images.model_pixels (scale or refuse) and add them here"
  )


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_black_mid_grey_and_white_of_every_mode(mode, channels):
  black, mid, white = MODES[mode]
  tol = 2.5 / 255 if mode == "LAB" else 1e-6  # Pillow's LAB white is sRGB (254, 255, 254)
  for value, expected, atol in [(black, -1, tol), (mid, 0, MID_TOL), (white, 1, tol)]:
    if value is None:
      continue
    out = images.to_model_input(_flat(mode, value), image_size=16, channels=channels)
    assert out.shape == (16, 16, channels) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=atol, rtol=0, err_msg=f"{mode} {value}")


def test_lab_follows_the_cie_formula():
  for lightness_byte in (64, 128, 137, 200):
    l_star = lightness_byte / 2.55
    luminance = ((l_star + 16) / 116) ** 3 if l_star > 8 else l_star / 903.3
    srgb = 1.055 * luminance ** (1 / 2.4) - 0.055  # luminance > 0.0031308 for these
    out = images.to_model_input(_flat("LAB", (lightness_byte, 128, 128)), image_size=16, channels=3)
    np.testing.assert_allclose(out, 2 * srgb - 1, atol=2 / 255, rtol=0)


def test_sixteen_bit_values_scale_linearly_and_are_not_clipped():
  ramp_32x32 = np.arange(32 * 32, dtype=np.uint16).reshape(32, 32) * 64  # 0 .. 65472
  out = images.to_model_input(Image.fromarray(ramp_32x32), image_size=32, channels=1)
  np.testing.assert_allclose(out[..., 0], ramp_32x32 / 65535 * 2 - 1, atol=1e-6)


def test_sixteen_bit_resize_and_crop_match_the_eight_bit_path():
  rng = np.random.default_rng(0)
  pixels_8 = rng.integers(0, 256, (40, 97), dtype=np.uint8)  # 64 * 97 / 40 -> 155 wide, crop 46
  pixels_16 = pixels_8.astype(np.uint16) * 257  # the same image, 255 -> 65535
  out_8 = images.to_model_input(Image.fromarray(pixels_8), image_size=64, channels=3)
  out_16 = images.to_model_input(Image.fromarray(pixels_16), image_size=64, channels=3)
  # Pillow's 8-bit resize rounds after each of its two passes: at most one 8-bit step (2/255) off.
  # A crop or scale off by one pixel would be off by far more on this noise.
  np.testing.assert_allclose(out_16, out_8, atol=2 / 255 + 1e-6)


def _png(pixels, color_type):
  """A PNG with 16-bit samples (Pillow writes none in colour); color types 0, 2, 4, 6."""
  rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)

  def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

  header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 16, color_type, 0, 0, 0)
  return (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", header)
    + chunk(b"IDAT", zlib.compress(rows))
    + chunk(b"IEND", b"")
  )


def _saved(array, fmt):
  buffer = io.BytesIO()
  Image.fromarray(array).save(buffer, format=fmt)
  return buffer.getvalue()


def _pnm(magic, maxval, samples):
  dtype = ">u2" if maxval > 255 else "u1"
  return (
    f"{magic} 8 8 {maxval}\n".encode()
    + np.full((8, 8, samples), (maxval + 1) // 2, dtype).tobytes()
  )


@pytest.mark.parametrize(
  "label, encoded",
  [
    ("16-bit grey PNG", _saved(np.full((8, 8), 32768, np.uint16), "PNG")),
    ("16-bit grey TIFF", _saved(np.full((8, 8), 32768, np.uint16), "TIFF")),
    ("16-bit RGB PNG", _png(np.full((8, 8, 3), 32768), 2)),
    ("16-bit RGBA PNG", _png(np.full((8, 8, 4), 32768), 6)),
    ("16-bit grey+alpha PNG", _png(np.full((8, 8, 2), 32768), 4)),
    ("16-bit PGM", _pnm("P5", 65535, 1)),
    ("10-bit PGM", _pnm("P5", 1023, 1)),
    ("16-bit PPM", _pnm("P6", 65535, 3)),
    ("float TIFF", _saved(np.full((8, 8), 0.5, np.float32), "TIFF")),
  ],
)
@pytest.mark.parametrize("channels", [1, 3])
def test_mid_grey_files_of_high_bit_depth_read_as_zero(label, encoded, channels):
  with Image.open(io.BytesIO(encoded)) as image:
    out = images.to_model_input(image, image_size=16, channels=channels)
  np.testing.assert_allclose(out, 0, atol=MID_TOL, err_msg=label)


def test_folder_of_sixteen_bit_pngs_reads_mid_grey_as_zero(tmp_path):
  """Issue 15, kind 1: these were +1.0 everywhere (convert("L") clipped 32768 to 255)."""
  for i in range(4):
    Image.fromarray(np.full((32, 32), 32768, np.uint16)).save(tmp_path / f"{i}.png")
  for channels in (1, 3):
    batch = data.make_source(
      f"folder:{tmp_path}", image_size=32, channels=channels, batch_size=4, seed=0
    ).batch(0)
    assert batch.shape == (4, 32, 32, channels)
    np.testing.assert_allclose(batch, 0, atol=1e-4)


@pytest.mark.parametrize(
  "pixels, channels, expected",
  [
    (np.full((8, 8, 3), 32768, np.uint16), 3, 0),
    (np.full((8, 8, 1), 32768, np.uint16), 3, 0),
    (np.full((8, 8), 65535, np.uint16), 1, 1),
    (np.zeros((8, 8, 3), np.uint16), 1, -1),
    (np.tile(np.array([65535, 0, 0], np.uint16), (8, 8, 1)), 1, 2 * 0.299 - 1),  # Pillow's luma
    (np.full((8, 8, 1), 0.5, np.float32), 3, 0),
    (np.full((8, 8, 3), 255, np.uint8), 1, 1),
    (np.full((8, 8, 4), 255, np.uint8), 3, 1),
    (np.dstack([np.full((8, 8, 3), 32768, np.uint16), np.zeros((8, 8), np.uint16)]), 3, 0),
    (np.dstack([np.full((8, 8), 65535, np.uint16), np.zeros((8, 8), np.uint16)]), 1, 1),
  ],
)
def test_tfds_arrays_scale_by_their_dtype(pixels, channels, expected):
  load_rows = tfds_source.loader([{"image": pixels}], image_size=16, channels=channels)
  np.testing.assert_allclose(load_rows(np.array([0, 0])), expected, atol=1e-4)  # 32768: 1.5e-5


def test_tfds_uint8_arrays_read_exactly_as_before():
  rng = np.random.default_rng(1)
  for pixels in (
    rng.integers(0, 256, (30, 50, 3), np.uint8),
    rng.integers(0, 256, (30, 50, 1), np.uint8),
  ):
    squeezed = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
    for channels in (1, 3):
      np.testing.assert_array_equal(
        images.to_model_input(pixels, image_size=16, channels=channels),
        images.to_model_input(Image.fromarray(squeezed), image_size=16, channels=channels),
      )


def test_lsun_builder_conversion_scales_sixteen_bit_too():
  with Image.open(io.BytesIO(_saved(np.full((8, 8), 32768, np.uint16), "PNG"))) as image:
    rgb = images.to_rgb8(image)
  assert rgb.mode == "RGB"
  np.testing.assert_array_equal(np.asarray(rgb), 128)


def _one_line(error, *words):
  message = str(error.value)
  assert "\n" not in message
  for word in words:
    assert word in message, message


def test_thirty_two_bit_integer_tiff_is_refused_by_name_and_mode(tmp_path):
  path = tmp_path / "deep.tif"
  Image.fromarray(np.full((8, 8), 7, np.int32)).save(path)
  with Image.open(path) as image, pytest.raises(data.DataError) as error:
    images.to_model_input(image, image_size=16, channels=1)
  _one_line(error, str(path), "mode I", "I;32S", "8- or 16-bit PNG")


def test_folder_scan_refuses_a_mode_before_training(tmp_path, monkeypatch):
  monkeypatch.setattr(folder, "EXTENSIONS", folder.EXTENSIONS + (".tif",))
  Image.fromarray(np.full((8, 8), 7, np.uint8)).save(tmp_path / "a.png")
  Image.fromarray(np.full((8, 8), 7, np.int32)).save(tmp_path / "b.tif")
  with pytest.raises(data.DataError) as error:
    folder.image_files(tmp_path)
  _one_line(error, "b.tif", "mode I", "I;32S")


@pytest.mark.parametrize(
  "image, words",
  [
    (Image.new("F", (8, 8), 1.5), ["mode F", "[1.5, 1.5]", "[0, 1]"]),
    (Image.new("F", (8, 8), float("nan")), ["mode F", "not finite"]),
    (Image.new("I", (8, 8), 70000), ["mode I", "70000", "0..65535"]),
    (Image.new("I", (8, 8), -1), ["mode I", "-1", "0..65535"]),
    (np.full((8, 8), 7, np.int32), ["int32", "uint8, uint16 or float32"]),
    (np.full((8, 8, 3), 2.0, np.float32), ["float32", "[0, 1]"]),
    (np.zeros((8, 8, 5), np.uint16), ["shape (8, 8, 5)"]),
    (np.zeros((8, 8, 5), np.uint8), ["shape (8, 8, 5)"]),
  ],
)
def test_values_outside_the_range_rule_are_refused(image, words):
  with pytest.raises(data.DataError) as error:
    images.to_model_input(image, image_size=16, channels=3, name="x.img")
  _one_line(error, "'x.img'", *words)


def test_a_mode_without_a_known_range_is_refused():

  class FutureImage:  # what a newer Pillow might open: a mode nobody decided a range for
    mode = "BGR;15"
    filename = "odd.bmp"

  with pytest.raises(data.DataError) as error:
    images.model_pixels(FutureImage(), channels=3)
  _one_line(error, "'odd.bmp'", "mode BGR;15", "8- or 16-bit PNG")
