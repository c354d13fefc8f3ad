"""Image preprocessing as the official WGAN code does it, for every image mode Pillow opens.

Official pipeline (torchvision of 2017 on PIL images): `Scale(size)` resizes the shorter side to
`size` with bilinear filtering (antialiased when shrinking) and the longer side to
`int(size * long / short)`; `CenterCrop(size)` takes the offset `int(round((long - size) / 2))`;
`ToTensor` and `Normalize(0.5, 0.5)` map `[0, 255]` to `[-1, 1]`.

Pixel values: each mode's black maps to -1 and its white to +1, by the mode's own range.
`model_pixels` holds this one rule; image folders, the LSUN builder and tfds datasets all use it.

- 8-bit modes (`1`, `L`, `P`, `PA`, `LA`, `La`, `RGB`, `RGBA`, `RGBa`, `RGBX`, `CMYK`, `YCbCr`,
  `HSV`, `LAB`): Pillow's own conversion to `L` or `RGB`, then `/255`, which is the official path
  unchanged. Alpha is dropped. `1` is 0 or 255. `LAB` is converted to sRGB, so L* = 50 is sRGB
  119, not 128. Pillow reduces 16-bit RGB, RGBA and grey+alpha PNGs and 16-bit RGB TIFFs to
  8 bits (the high byte) when it opens them, so they arrive here as 8-bit modes.
- `I;16`, `I;16B`, `I;16L`, `I;16N` (16-bit grey PNG, TIFF, PGM): `/65535`. Calling
  `convert("L")` would clip every value above 255 to white.
- `I` (Pillow's 32-bit signed integers): also `/65535`. Pillow gives `I` for PGM/PPM files with
  maxval > 255 (it rescales them to 0..65535 whatever the maxval) and, in older versions, for
  16-bit grey PNG. A file whose decoder reads other integer samples (`I;32S`, `I;16S`:
  32-bit or signed TIFF, FITS) has no agreed black and white, so it is refused. So is any
  pixel outside 0..65535.
- `F` (32-bit float: TIFF, FITS, PFM): read as [0, 1], the usual range of float images
  (scikit-image's convention). A file with a pixel outside [0, 1] or not finite is refused, not
  guessed at.
- numpy arrays (tfds's decoded `image` feature): uint8 as 8-bit, uint16 `/65535`, float32 [0, 1].

Any other mode is refused. A refusal is a `DataError` that names the image and its mode.

8-bit images are resized by Pillow in 8 bits, as the official code does. Others are resized one
channel at a time in float32 (Pillow's `F` mode, same filter), so their extra bits survive.
"""

import io
import os
from typing import BinaryIO

import numpy as np
from PIL import Image

from wgan_jax.data.errors import DataError
from wgan_jax.errors import ConfigError

EIGHT_BIT_MODES = (
  "1",
  "L",
  "P",
  "PA",
  "LA",
  "La",
  "RGB",
  "RGBA",
  "RGBa",
  "RGBX",
  "CMYK",
  "YCbCr",
  "HSV",
  "LAB",
)
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
_MAX_16 = 65535
# ITU-R 601-2 luma, the weights of Pillow's own RGB -> L conversion.
_LUMA_3 = np.array([0.299, 0.587, 0.114], np.float32)
_FIX = "convert it to an 8- or 16-bit PNG"


def check_image_size(image_size, *, name: str = "image_size") -> None:
  """The one image-size rule of the project: a multiple of 16, at least 16 (the DCGAN networks
  halve it to a 4-7 pixel map and double it back; official code, models/dcgan.py asserts
  `isize % 16 == 0`).

  Args:
    image_size: the side S of the square images.
    name: how the message names the setting (`--config.image_size` from the command line).

  Raises:
    ConfigError: one line naming the value and the nearest valid size.
  """
  if (
    not isinstance(image_size, int)
    or isinstance(image_size, bool)
    or image_size < 16
    or (image_size % 16)
  ):
    near = max(16, 16 * round(image_size / 16)) if isinstance(image_size, (int, float)) else 64
    raise ConfigError(
      f"{name}={image_size!r} is not a multiple of 16 (>= 16), which the DCGAN "
      f"networks need; use e.g. {name}={near}."
    )


def check_image_args(image_size: int, channels: int) -> None:
  """Raises ConfigError unless `image_size` passes `check_image_size`, DataError unless
  `channels` is 1 or 3."""
  check_image_size(image_size)
  if channels not in (1, 3):
    raise DataError(f"channels={channels!r} is not supported; use 1 (grayscale) or 3 (RGB)")


def _name(image, name: str | None) -> str:
  return repr(str(name or getattr(image, "filename", "") or "(in memory)"))


def _decoder_rawmode(image: Image.Image) -> str | None:
  """How the decoder reads the file's samples (`I;16B`, `I;32S`, ...); None once loaded."""
  tile = getattr(image, "tile", None)
  if not tile:
    return None
  args = tile[0][3]
  rawmode = args[0] if isinstance(args, tuple) and args else args
  return rawmode if isinstance(rawmode, str) else None


def check_mode(image: Image.Image, *, name: str | None = None) -> None:
  """Raises DataError if `image`'s mode is refused; reads only the header, no pixels.

  Call it before the image is loaded: for mode `I` it checks the decoder's raw mode.
  """
  mode = image.mode
  if mode in EIGHT_BIT_MODES or mode in SIXTEEN_BIT_MODES or mode == "F":
    return
  if mode != "I":
    raise DataError(
      f"image {_name(image, name)} has mode {mode}, which has no known pixel range; {_FIX}"
    )
  rawmode = _decoder_rawmode(image)
  # The PPM decoder's raw mode is `L` or `RGB` with a maxval, which it rescales to 0..65535.
  if rawmode and rawmode.startswith("I") and rawmode not in SIXTEEN_BIT_MODES:
    raise DataError(
      f"image {_name(image, name)} has mode I with {rawmode} samples (32-bit or "
      f"signed integers), which have no agreed black and white; {_FIX}"
    )


def _unit(values: np.ndarray, image, name: str | None, what: str) -> np.ndarray:
  """Float pixels checked to lie in [0, 1]."""
  values = np.asarray(values, np.float32)
  if not np.isfinite(values).all():
    found = "pixels that are not finite"
  elif values.size and (values.min() < 0 or values.max() > 1):
    found = f"pixels in [{values.min():g}, {values.max():g}]"
  else:
    return values
  raise DataError(
    f"image {_name(image, name)} has {what} {found}, outside the [0, 1] that float "
    f"images are read in; scale it to [0, 1] or {_FIX}"
  )


def _to_channels(unit_HxWxK: np.ndarray, channels: int) -> np.ndarray:
  """[0, 1] grey (K=1) or RGB (K=3) pixels in `channels` channels, float32 `[H, W, channels]`."""
  if unit_HxWxK.shape[-1] == channels:
    return unit_HxWxK
  if channels == 3:
    return np.repeat(unit_HxWxK, 3, axis=-1)
  return unit_HxWxK @ _LUMA_3[:, None]


def _array_pixels(pixels: np.ndarray, channels: int, name: str | None):
  """`model_pixels` of a decoded array `[H, W]` or `[H, W, K]`, K in 1..4 (alpha dropped)."""
  if not (pixels.ndim == 2 or pixels.ndim == 3 and 1 <= pixels.shape[-1] <= 4):
    raise DataError(
      f"image {_name(None, name)} has shape {pixels.shape}, not [H, W] or "
      "[H, W, 1..4]; use a dataset of grey or RGB images"
    )
  if pixels.ndim == 3 and pixels.shape[-1] == 1:
    pixels = pixels[..., 0]
  if pixels.dtype == np.uint8:  # Pillow reads [H, W, 2] as LA and [H, W, 4] as RGBA
    return model_pixels(Image.fromarray(pixels), channels=channels, name=name)
  pixels = pixels[..., None] if pixels.ndim == 2 else pixels
  pixels = pixels[..., :1] if pixels.shape[-1] <= 2 else pixels[..., :3]
  if pixels.dtype == np.uint16:
    unit = pixels.astype(np.float32) / np.float32(_MAX_16)
  elif pixels.dtype in (np.float32, np.float64):
    unit = _unit(pixels, None, name, str(pixels.dtype))
  else:
    raise DataError(
      f"image {_name(None, name)} has {pixels.dtype} pixels, which have no known "
      "range; use uint8, uint16 or float32 in [0, 1]"
    )
  return _to_channels(unit, channels)


def model_pixels(
  image: Image.Image | np.ndarray, *, channels: int, name: str | None = None
) -> Image.Image | np.ndarray:
  """The image in `channels` channels, before resizing, by the range rule of the module doc.

  Args:
    image: a PIL image of any mode, preferably not yet loaded (for mode `I` the decoder's raw
      mode decides), or a decoded array `[H, W]` / `[H, W, K]` of uint8, uint16 or float32.
    channels: 1 (luminance) or 3 (RGB).
    name: what an error calls the image (default: the file it was opened from).

  Returns:
    For 8-bit sources, a PIL image in mode `L` or `RGB` (0..255). Otherwise, float32
    `[H, W, channels]` in [0, 1].

  Raises:
    DataError: a refused mode, dtype or pixel value, naming the image and its mode.
  """
  if isinstance(image, np.ndarray):
    return _array_pixels(image, channels, name)
  check_mode(image, name=name)
  mode, target = image.mode, "L" if channels == 1 else "RGB"
  if mode in EIGHT_BIT_MODES:
    if mode == "La":  # premultiplied alpha: Pillow converts it only to LA
      image = image.convert("LA")
    elif mode == "LAB" and target == "L":  # Pillow converts LAB only to RGB
      image = image.convert("RGB")
    return image.convert(target)
  if mode == "F":
    unit = _unit(np.asarray(image), image, name, "mode F")
  else:
    values = np.asarray(image)
    if values.size and (values.min() < 0 or values.max() > _MAX_16):
      raise DataError(
        f"image {_name(image, name)} has mode {mode} pixels in [{values.min()}, "
        f"{values.max()}], outside the 0..65535 it is read in; {_FIX}"
      )
    unit = values.astype(np.float32) / np.float32(_MAX_16)
  return _to_channels(unit[..., None], channels)


def _resize_and_crop(image: Image.Image, image_size: int) -> Image.Image:
  width, height = image.size
  if width <= height:
    size = (image_size, int(image_size * height / width))
  else:
    size = (int(image_size * width / height), image_size)
  image = image.resize(size, Image.BILINEAR)
  left = int(round((size[0] - image_size) / 2.0))
  top = int(round((size[1] - image_size) / 2.0))
  return image.crop((left, top, left + image_size, top + image_size))


def to_model_input(
  image: Image.Image | np.ndarray, *, image_size: int, channels: int, name: str | None = None
) -> np.ndarray:
  """Resizes the shorter side, centre-crops and scales one image.

  Args:
    image: a PIL image of any mode or a decoded array (see `model_pixels`).
    image_size: output side S.
    channels: 1 (luminance) or 3 (RGB).
    name: what an error calls the image (default: the file it was opened from).

  Returns:
    float32 `[S, S, channels]` in `[-1, 1]`: each mode's black is -1, its white +1.

  Raises:
    DataError: a mode, dtype or pixel value that `model_pixels` refuses.
  """
  pixels = model_pixels(image, channels=channels, name=name)
  if isinstance(pixels, Image.Image):
    pixels = np.asarray(_resize_and_crop(pixels, image_size), np.float32)
    return pixels.reshape(image_size, image_size, channels) / np.float32(127.5) - np.float32(1.0)
  planes = [
    np.asarray(_resize_and_crop(Image.fromarray(np.ascontiguousarray(pixels[..., c])), image_size))
    for c in range(channels)
  ]
  return np.stack(planes, axis=-1) * np.float32(2.0) - np.float32(1.0)


def to_rgb8(image: Image.Image, *, name: str | None = None) -> Image.Image:
  """`image` as 8-bit RGB by the same range rule (rounded to the nearest of 256 levels)."""
  pixels = model_pixels(image, channels=3, name=name)
  if isinstance(pixels, Image.Image):
    return pixels
  return Image.fromarray(np.round(pixels * 255).astype(np.uint8))


def decodes(file: str | os.PathLike | bytes | BinaryIO) -> bool:
  """Whether `file` (a path, the encoded bytes or a file object) is an image PIL can decode fully.

  JPEGs are decoded at 1/8 scale (every entropy-coded block is still read, so truncation shows),
  which costs about 0.3 ms for a 256x341 image; other formats are decoded in full.
  """
  if isinstance(file, bytes):
    file = io.BytesIO(file)
  try:
    with Image.open(file) as image:
      image.draft("RGB", (1, 1))
      image.load()
  except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
    return False
  return True
