"""Data parallelism on simulated CPU devices: 4 devices train the same model as 1.

`multidevice_worker.py` runs `train.train_and_evaluate` (digits, 16x16, tiny widths) in a fresh
process per device count, 1 and 4 side by side, each under a timeout: XLA:CPU's simulated devices
can deadlock in a collective, and a test must fail rather than hang.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from wgan_jax import parallel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "multidevice_worker.py")
TIMEOUT_S = 400
DEVICE_COUNTS = (1, 4)
CLIP = np.float32(0.01)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
  """{devices: (results.json as a dict, its folder)} of one worker run per device count."""
  outs = {n: tmp_path_factory.mktemp(f"devices{n}") for n in DEVICE_COUNTS}
  procs = {n: subprocess.Popen([sys.executable, WORKER, "--devices", str(n), "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True) for n, out in outs.items()}
  deadline = time.monotonic() + TIMEOUT_S
  logs = {}
  try:
    for n, proc in procs.items():
      logs[n] = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0]
  except subprocess.TimeoutExpired:
    pytest.fail(f"the multi-device worker ran past {TIMEOUT_S} s (a collective deadlock?)")
  finally:
    for proc in procs.values():
      proc.kill()
  for n, proc in procs.items():
    assert proc.returncode == 0, f"worker on {n} device(s) failed:\n{logs[n][-5000:]}"
  return {n: (json.loads((out / "results.json").read_text()), out) for n, out in outs.items()}


def params(results, devices, run):
  return dict(np.load(results[devices][1] / f"{run}_params.npz"))


@pytest.mark.parametrize("run", ["bn", "nobn"])
def test_four_devices_train_the_same_model_as_one(results, run):
  one, four = params(results, 1, run), params(results, 4, run)
  assert results[1][0]["devices"] == 1 and results[4][0]["devices"] == 4
  assert results[1][0]["runs"][run]["step"] == results[4][0]["runs"][run]["step"] == 4
  assert sorted(one) == sorted(four)
  assert any("batch_stats" in k for k in one) == (run == "bn")
  for name in one:
    np.testing.assert_allclose(four[name], one[name], rtol=0, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("devices", DEVICE_COUNTS)
@pytest.mark.parametrize("run", ["bn", "nobn"])
def test_critic_params_stay_in_the_clip_box(results, run, devices):
  critic = {k: v for k, v in params(results, devices, run).items() if k.startswith("critic/params")}
  assert critic and all(float(np.max(np.abs(v))) <= CLIP for v in critic.values())


def test_batch_norm_statistics_are_over_the_global_batch(results):
  check = results[4][0]["batch_norm"]
  assert check["batch_sharded"] == "P('data',)"
  assert check["global_stats"] < 1e-5
  # Per-device statistics (pmap without axis_name) would be far outside the 1e-5 tolerance above.
  assert check["per_device_stats"] > 1e-2


@pytest.mark.parametrize("devices", DEVICE_COUNTS)
def test_steps_compile_once_per_critic_schedule_variant(results, devices):
  runs = results[devices][0]["runs"]
  # bn: critic_steps(2) for every chunk, train_step(2) ending a warm-up iteration, train_step(1)
  # ending a regular one; nobn: train_step(5) only.
  assert runs["bn"]["compiles"].get("jit(critic_steps)") == 1
  assert runs["bn"]["compiles"].get("jit(train_step)") == 2
  assert runs["nobn"]["compiles"].get("jit(critic_steps)") is None
  assert runs["nobn"]["compiles"].get("jit(train_step)") == 1


def test_train_refuses_a_batch_the_devices_do_not_divide(results):
  assert results[4][0]["refused"] == "batch_size=10 does not divide over 4 devices; use 8 or 12."


@pytest.mark.parametrize("batch_size, devices, sizes", [
    (64, 6, "60 or 66"), (3, 4, "4"), (100, 8, "96 or 104")])
def test_check_batch_size_names_both_numbers_and_the_nearest_sizes(batch_size, devices, sizes):
  with pytest.raises(ValueError) as e:
    parallel.check_batch_size(batch_size, devices)
  message = str(e.value)
  assert "\n" not in message
  assert message == (f"batch_size={batch_size} does not divide over {devices} devices; "
                     f"use {sizes}.")


def test_check_batch_size_accepts_a_multiple():
  parallel.check_batch_size(64, 8)
  parallel.check_batch_size(8, 1)
