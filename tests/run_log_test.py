"""What a run shows in TensorBoard: every sample picture as an image at its step, read back from
the event files; and plain progress lines when stderr is not a terminal."""

import errno
import glob
import io
import os
import struct
import threading
import warnings

import numpy as np
import pytest
from PIL import Image
from tensorboardX.proto import event_pb2

from experiments.configs import digits, mixture
from wgan_jax import pictures, run_log, train


def read_events(logdir) -> list[event_pb2.Event]:
  """Every event in `logdir`'s event files. Each TFRecord is a little-endian uint64 length, its
  4-byte CRC, the serialized Event, and the Event's 4-byte CRC."""
  events = []
  for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
    with open(path, "rb") as f:
      data = f.read()
    pos = 0
    while pos < len(data):
      (length,) = struct.unpack("<Q", data[pos : pos + 8])
      events.append(event_pb2.Event.FromString(data[pos + 12 : pos + 12 + length]))
      pos += 12 + length + 4
  return events


def images_by_step(logdir, tag: str = "samples") -> dict[int, np.ndarray]:
  """The decoded image summaries named `tag`, by step."""
  return {
    e.step: np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
    for e in read_events(logdir)
    for v in e.summary.value
    if v.tag == tag and v.HasField("image")
  }


def test_an_image_reaches_tensorboard_at_its_step_pixel_for_pixel(tmp_path):
  log = run_log.RunLog(str(tmp_path), write=True)
  gray = pictures.image_grid(np.random.default_rng(0).uniform(-1, 1, (64, 16, 16, 1)))
  rgb = np.random.default_rng(1).integers(0, 256, (350, 600, 3), np.uint8)
  log.image("samples", gray, 250)
  log.image("samples", rgb, 500)
  log.close()
  shown = images_by_step(tmp_path / "tensorboard")
  assert sorted(shown) == [250, 500]
  assert shown[250].shape == (530, 530, 3)  # gray arrives as RGB, at its size
  np.testing.assert_array_equal(shown[250], np.repeat(gray, 3, axis=2))
  np.testing.assert_array_equal(shown[500], rgb)


def test_a_resumed_log_tells_tensorboard_to_drop_the_steps_after_its_checkpoint(tmp_path):
  run_log.RunLog(str(tmp_path), write=True).close()
  assert not [e for e in read_events(tmp_path / "tensorboard") if e.HasField("session_log")]
  run_log.RunLog(str(tmp_path), write=True, start_step=300).close()
  starts = [
    e.step
    for e in read_events(tmp_path / "tensorboard")
    if e.session_log.status == event_pb2.SessionLog.START
  ]
  assert starts == [301]  # TensorBoard discards older events from step 301 on


@pytest.mark.slow
def test_digits_training_sends_every_sample_grid_and_writes_plain_progress(tmp_path, capsys):
  config = digits.get_config(smoke=True)  # 6 steps, 16 samples of 16 px every 3 steps
  train.train_and_evaluate(config, str(tmp_path))
  shown = images_by_step(tmp_path / "tensorboard")
  assert sorted(shown) == [3, 6]
  for step, image in shown.items():
    assert image.shape == (4 * (16 * 8 + 2) + 2,) * 2 + (3,)  # 4 columns, 8x: 522 px
    saved = np.asarray(Image.open(tmp_path / "samples" / f"step_{step:06d}.png"))
    np.testing.assert_array_equal(image, np.repeat(saved[..., None], 3, axis=2))
  err = capsys.readouterr().err  # captured: not a terminal, so lines instead of a bar
  assert "\r" not in err
  assert [line.split(" (")[0] for line in err.splitlines() if line.startswith("step ")] == [
    f"step {s}/6" for s in range(1, 7)
  ]
  assert "wasserstein_estimate=" in err and "step/s]" in err


@pytest.mark.slow
def test_mixture_training_sends_its_point_plots(tmp_path):
  config = mixture.get_config(smoke=True)  # 4 steps, samples every 2
  train.train_and_evaluate(config, str(tmp_path))
  shown = images_by_step(tmp_path / "tensorboard")
  assert sorted(shown) == [2, 4]
  for step, image in shown.items():
    saved = np.asarray(Image.open(tmp_path / "samples" / f"step_{step:06d}.png"))
    assert image.shape == saved.shape == (500, 500, 3)
    np.testing.assert_array_equal(image, saved)


def test_a_full_disk_while_logging_raises_here_and_leaves_no_writer_behind(small_disk):
  """Every write error reaches the caller as one OSError, in this thread; closing after it (as
  `with RunLog(...)` does when that error is on its way out) neither raises nor leaves a thread,
  so nothing prints a second traceback at exit."""
  threads = threading.active_count()
  (small_disk / "filler").write_bytes(b"\0" * (3 * 2**20 - 64 * 2**10))  # leaves ~64 KB
  picture = np.random.default_rng(0).integers(0, 256, (128, 128, 3), np.uint8)  # ~49 KB as PNG
  with pytest.raises(OSError) as raised:
    with run_log.RunLog(str(small_disk), write=True) as log:
      for step in range(1, 1000):
        log.observe(step, {"wasserstein_estimate": 0.5, "critic_loss": -0.5}, log=True)
        log.image("samples", picture, step)
  assert raised.value.errno == errno.ENOSPC
  assert log.closed and threading.active_count() == threads
  (small_disk / "filler").unlink()
  with warnings.catch_warnings():
    warnings.simplefilter("error")  # a torn line would be dropped with a warning
    records = run_log._read_records(str(small_disk / "metrics.jsonl"))
  assert [r["step"] for r in records] == list(range(1, len(records) + 1))
  shown = images_by_step(small_disk / "tensorboard")
  assert shown and sorted(shown) == list(range(1, len(shown) + 1))
