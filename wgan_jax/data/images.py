"""Image preprocessing as the official WGAN code does it, and a cheap check that a file decodes.

Official pipeline (torchvision of 2017 on PIL images): `Scale(size)` resizes the shorter side to
`size` with bilinear filtering (antialiased when shrinking) and the longer side to
`int(size * long / short)`; `CenterCrop(size)` takes the offset `int(round((long - size) / 2))`;
`ToTensor` and `Normalize(0.5, 0.5)` map `[0, 255]` to `[-1, 1]`.
"""
import io
import os
from typing import BinaryIO

import numpy as np
from PIL import Image

from wgan_jax.data.errors import DataError


def check_image_args(image_size: int, channels: int) -> None:
  """Raises DataError unless `image_size` is a positive multiple of 16 and `channels` is 1 or 3."""
  if not isinstance(image_size, int) or image_size <= 0 or image_size % 16:
    raise DataError(f"image_size={image_size!r} is not a positive multiple of 16, which the DCGAN "
                    "models need (4x4 maps doubled to isize); use 16, 32, 64, 128, ...")
  if channels not in (1, 3):
    raise DataError(f"channels={channels!r} is not supported; use 1 (grayscale) or 3 (RGB)")


def to_model_input(image: Image.Image, *, image_size: int, channels: int) -> np.ndarray:
  """Resizes the shorter side, centre-crops and scales one image.

  Args:
    image: any PIL image; grayscale, palette and RGBA are converted (alpha dropped).
    image_size: output side S.
    channels: 1 (luminance) or 3 (RGB).

  Returns:
    float32 `[S, S, channels]` in `[-1, 1]`.
  """
  image = image.convert("L" if channels == 1 else "RGB")
  width, height = image.size
  if width <= height:
    size = (image_size, int(image_size * height / width))
  else:
    size = (int(image_size * width / height), image_size)
  image = image.resize(size, Image.BILINEAR)
  left = int(round((size[0] - image_size) / 2.0))
  top = int(round((size[1] - image_size) / 2.0))
  image = image.crop((left, top, left + image_size, top + image_size))
  pixels = np.asarray(image, np.float32).reshape(image_size, image_size, channels)
  return pixels / np.float32(127.5) - np.float32(1.0)


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
