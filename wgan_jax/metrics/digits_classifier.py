"""A small MLP classifier of the scikit-learn digits, the feature network of `digits_quality`.

The digits (1,797 images, 8x8, values 0..16) are upsampled to `image_size` with PIL's bilinear
filter and scaled to [-1, 1], one channel, as the project's digits data are. A fixed permutation
(independent of the training seed) splits them into 1,500 training and 297 held-out images.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from PIL import Image
from sklearn import datasets

NUM_CLASSES = 10
NUM_TRAIN = 1500
NUM_HELDOUT = 297
_SPLIT_SEED = 0


def digits_images(image_size):
  """All scikit-learn digits at `image_size`, in [-1, 1].

  Args:
    image_size: output height and width in pixels (8 keeps the originals).

  Returns:
    (images_NxSxSx1 float32, labels_N int32), N = 1,797, in scikit-learn's order.
  """
  digits = datasets.load_digits()
  images = [
    np.asarray(
      Image.fromarray(image.astype(np.float32) / 16.0, mode="F").resize(
        (image_size, image_size), Image.Resampling.BILINEAR
      )
    )
    for image in digits.images
  ]
  images_NxSxSx1 = (np.stack(images)[..., None] * 2.0 - 1.0).clip(-1.0, 1.0)
  return images_NxSxSx1.astype(np.float32), digits.target.astype(np.int32)


def split_indices():
  """(train_indices [1500], heldout_indices [297]): a fixed split of the 1,797 digits."""
  order = np.random.default_rng(_SPLIT_SEED).permutation(NUM_TRAIN + NUM_HELDOUT)
  return np.sort(order[:NUM_TRAIN]), np.sort(order[NUM_TRAIN:])


class DigitsMLP(nn.Module):
  """Flatten, two ReLU hidden layers, 10 logits; the last hidden layer is the feature layer."""

  hidden: tuple[int, ...] = (128, 64)

  @nn.compact
  def __call__(self, images_NxHxWx1):
    """Maps images [N, H, W, 1] in [-1, 1] to (logits [N, 10], features [N, hidden[-1]])."""
    x = images_NxHxWx1.reshape(images_NxHxWx1.shape[0], -1)
    for width in self.hidden:
      x = nn.relu(nn.Dense(width)(x))
    return nn.Dense(NUM_CLASSES)(x), x


def train_classifier(
  images_NxHxWx1,
  labels_N,
  *,
  seed=0,
  steps=400,
  batch_size=64,
  learning_rate=1e-3,
  weight_decay=1e-4,
):
  """Trains `DigitsMLP` with AdamW on cross-entropy; deterministic given `seed`.

  Args:
    images_NxHxWx1: training images in [-1, 1].
    labels_N: their classes, 0..9.
    seed: seeds the initialisation and the minibatch draws.
    steps: optimiser steps (minibatches drawn with replacement).
    batch_size: images per step.
    learning_rate: AdamW learning rate.
    weight_decay: AdamW decoupled weight decay.

  Returns:
    The trained parameters (a pytree for `DigitsMLP().apply`).
  """
  model = DigitsMLP()
  images = jnp.asarray(images_NxHxWx1)
  labels = jnp.asarray(labels_N)
  init_key, data_key = jax.random.split(jax.random.key(seed))
  params = model.init(init_key, images[:1])
  optimizer = optax.adamw(learning_rate, weight_decay=weight_decay)

  def loss_fn(params, batch_images, batch_labels):
    logits, _ = model.apply(params, batch_images)
    return optax.softmax_cross_entropy_with_integer_labels(logits, batch_labels).mean()

  def step(carry, step_index):
    params, opt_state = carry
    index_B = jax.random.randint(
      jax.random.fold_in(data_key, step_index), (batch_size,), 0, len(labels)
    )
    grads = jax.grad(loss_fn)(params, images[index_B], labels[index_B])
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return (optax.apply_updates(params, updates), opt_state), None

  train = jax.jit(
    lambda params: jax.lax.scan(step, (params, optimizer.init(params)), jnp.arange(steps))[0][0]
  )
  return train(params)
