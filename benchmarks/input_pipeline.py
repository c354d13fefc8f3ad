r"""Images per second of the LSUN pipeline on this machine's CPU, against what training consumes.

  python -m benchmarks.input_pipeline [--images 2000] [--steps 60] [--workers N]

Writes `--images` JPEGs shaped like LSUN bedrooms (shorter side 256, longer side 256..384,
quality 75, about 15 KiB each: smooth scenes plus sensor-like noise) into a temporary folder,
prepares them with the `wgan_lsun` tfds builder, then reads `--steps` generator steps of 5 critic
batches of 64 at 64x64 through `data.prefetch_batches` and reports images/s. The same is timed for
the `folder:` source on the same files.

A generator iteration of the paper's DCGAN (5 critic batches of 64) takes about 1.5 s on this CPU,
so training consumes about 213 images/s; the target is a pipeline at least 5x faster. The machine
may be shared, so the load average and the images per CPU-second (which contention does not
change) are printed too.

Measured on the 2-core development machine while shared (load average 5.5), 2,000 images, 60
steps: lsun/bedroom 657 images/s (3.1x) and 980 images per CPU-second (9.2x on 2 idle cores);
folder: 1076 images/s (5.0x), 1188 per CPU-second (11.1x). Feeding a step costs about a fifth of
one core.
"""

import argparse
import io
import os
import pathlib
import tempfile
import time

import numpy as np
from PIL import Image

from wgan_jax import data
from wgan_jax.data import prepare_lsun

_STEP_IMAGES_PER_S = 5 * 64 / 1.5


def _write_jpegs(folder: pathlib.Path, count: int, seed: int = 0) -> float:
  """Writes `count` LSUN-like JPEGs; returns their mean size in bytes."""
  rng = np.random.default_rng(seed)
  folder.mkdir(parents=True)
  sizes = []
  for i in range(count):
    long_side = int(rng.integers(256, 385))
    height, width = (256, long_side) if rng.random() < 0.8 else (long_side, 256)
    coarse = rng.integers(0, 256, (height // 16, width // 16, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC), np.int16)
    noisy = np.clip(smooth + rng.integers(-12, 13, smooth.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, format="JPEG", quality=75)
    (folder / f"{i:06d}.jpg").write_bytes(buffer.getvalue())
    sizes.append(buffer.tell())
  return float(np.mean(sizes))


def _images_per_s(source, steps: int, workers: int | None) -> tuple[float, float]:
  """Returns (images per wall second, images per CPU second of this process)."""
  batches = data.prefetch_batches(source, [5] * (steps + 1), 0, workers=workers)
  next(batches)  # Warm-up: thread start, first reads.
  start, start_cpu = time.perf_counter(), time.process_time()
  count = sum(real_NxBxHxWxC.shape[0] * real_NxBxHxWxC.shape[1] for real_NxBxHxWxC in batches)
  return count / (time.perf_counter() - start), count / (time.process_time() - start_cpu)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--images", type=int, default=2000)
  parser.add_argument("--steps", type=int, default=60, help="generator steps of 5x64 images timed")
  parser.add_argument("--workers", type=int, default=None, help="threads (default: CPU cores)")
  args = parser.parse_args()
  with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    start = time.perf_counter()
    mean_bytes = _write_jpegs(tmp / "manual" / "bedroom", args.images)
    print(
      f"wrote {args.images} JPEGs, mean {mean_bytes / 1024:.1f} KiB, "
      f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    prepare_lsun.prepare(manual_dir=str(tmp / "manual"), data_dir=str(tmp / "tfds"))
    print(f"prepared wgan_lsun/bedroom (array_record): {time.perf_counter() - start:.1f} s")
    workers = args.workers or os.cpu_count()
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    kwargs = dict(image_size=64, channels=3, batch_size=64, seed=0)
    for name in ("lsun/bedroom", f"folder:{tmp / 'manual' / 'bedroom'}"):
      source = data.make_source(name, data_dir=str(tmp / "tfds"), **kwargs)
      rate, per_cpu_s = _images_per_s(source, args.steps, args.workers)
      step_ratio = rate / _STEP_IMAGES_PER_S
      idle_ratio = per_cpu_s * workers / _STEP_IMAGES_PER_S
      print(
        f"{name.split(':')[0]:>13}: {rate:5.0f} images/s at 64x64 with {workers} threads "
        f"= {step_ratio:.1f}x the {_STEP_IMAGES_PER_S:.0f} images/s a train step consumes "
        f"(target >= 5x); {per_cpu_s:.0f} images per CPU-second, so {idle_ratio:.1f}x on "
        f"{workers} idle cores"
      )


if __name__ == "__main__":
  main()
