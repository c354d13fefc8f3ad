"""Data parallelism on simulated CPU devices: 4 devices, and 2 processes of 2, train the same
model as 1 device.

`multidevice_worker.py` runs `train.train_and_evaluate` (digits, 16x16, tiny widths) in fresh
processes, all started at once: 1 device, 4 devices, and a 2-process job (gloo collectives on
localhost, each process reading its half of every batch). Each runs under a timeout: XLA:CPU's
simulated devices can deadlock in a collective, and a test must fail rather than hang.
"""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from wgan_jax import parallel

pytestmark = pytest.mark.slow  # end-to-end runs and subprocesses: `pytest -m "not slow"` skips them

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "multidevice_worker.py")
TIMEOUT_S = 900  # a hang guard only: the workers took 200 s on a machine loaded 5x
DEVICE_COUNTS = (1, 4)
CLIP = np.float32(0.01)


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _jobs(out):
  """{job: (its results folder, [argv of each of its processes])}; process 0 writes the results."""
  worker = lambda *args: [sys.executable, WORKER, *map(str, args)]
  jobs = {
    n: (out / f"devices{n}", [worker("--devices", n, "--out", out / f"devices{n}")])
    for n in DEVICE_COUNTS
  }
  port = _free_port()
  jobs["2x2"] = (
    out / "2x2",
    [
      worker(
        "--devices",
        2,
        "--processes",
        2,
        "--process-id",
        i,
        "--port",
        port,
        "--runs",
        "bn",
        "--out",
        out / "2x2",
      )
      for i in range(2)
    ],
  )
  return jobs


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
  """{job: (return codes, output of its process 0, its results folder)}, all jobs run at once."""
  jobs = _jobs(tmp_path_factory.mktemp("workers"))
  procs = {
    job: [
      subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
      for argv in argvs
    ]
    for job, (_, argvs) in jobs.items()
  }
  deadline, finished = time.monotonic() + TIMEOUT_S, {}
  try:
    for job, job_procs in procs.items():
      logs = []
      for proc in job_procs:
        try:
          logs.append(proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0])
        except subprocess.TimeoutExpired:
          proc.kill()
          logs.append(
            f"killed after {TIMEOUT_S} s (a collective deadlock?)\n" + proc.communicate()[0]
          )
      finished[job] = ([p.returncode for p in job_procs], logs[0], jobs[job][0])
  finally:
    for proc in (p for job_procs in procs.values() for p in job_procs):
      proc.kill()
  return finished


def result(workers, job) -> dict:
  codes, log, _ = workers[job]
  assert codes == [0] * len(codes), f"worker {job} exited with {codes}:\n{log[-5000:]}"
  return json.loads((workers[job][2] / "results.json").read_text())


def params(workers, job, run):
  result(workers, job)
  return dict(np.load(workers[job][2] / f"{run}_params.npz"))


@pytest.mark.parametrize("run", ["bn", "nobn"])
def test_four_devices_train_the_same_model_as_one(workers, run):
  assert_same_model(workers, 4, run)


def test_two_processes_train_the_same_model_as_one_device(workers):
  """The multi-host path: each process reads its half of every batch, the global batch is
  assembled with make_array_from_process_local_data, batch norm and gradients span the processes."""
  assert result(workers, "2x2")["processes"] == 2
  assert_same_model(workers, "2x2", "bn")


def assert_same_model(workers, job, run):
  one, other = params(workers, 1, run), params(workers, job, run)
  assert result(workers, 1)["devices"] == 1 and result(workers, job)["devices"] == 4
  assert result(workers, 1)["runs"][run]["step"] == result(workers, job)["runs"][run]["step"] == 4
  assert sorted(one) == sorted(other)
  assert any("batch_stats" in k for k in one) == (run == "bn")
  for name in one:
    np.testing.assert_allclose(other[name], one[name], rtol=0, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("devices", DEVICE_COUNTS)
@pytest.mark.parametrize("run", ["bn", "nobn"])
def test_critic_params_stay_in_the_clip_box(workers, run, devices):
  critic = {k: v for k, v in params(workers, devices, run).items() if k.startswith("critic/params")}
  assert critic and all(float(np.max(np.abs(v))) <= CLIP for v in critic.values())


def test_batch_norm_statistics_are_over_the_global_batch(workers):
  check = result(workers, 4)["batch_norm"]
  assert check["batch_sharded"] == "P('data',)"
  assert check["global_stats"] < 1e-5
  # Per-device statistics (pmap without axis_name) would be far outside the 1e-5 tolerance above.
  assert check["per_device_stats"] > 1e-2


@pytest.mark.parametrize("job", [*DEVICE_COUNTS, "2x2"])
def test_steps_compile_once_per_critic_schedule_variant(workers, job):
  runs = result(workers, job)["runs"]
  # bn: one train_step for the warm-up's 10 critic updates, one for the regular 5; nobn: the 5.
  assert runs["bn"]["compiles"].get("jit(train_step)") == 2
  if "nobn" in runs:
    assert runs["nobn"]["compiles"].get("jit(train_step)") == 1


def test_train_refuses_a_batch_the_devices_do_not_divide(workers):
  assert result(workers, 4)["refused"] == (
    "--config.batch_size=10 does not divide over 4 devices; use 8 or 12."
  )


@pytest.mark.parametrize(
  "batch_size, devices, sizes", [(64, 6, "60 or 66"), (3, 4, "4"), (100, 8, "96 or 104")]
)
def test_check_batch_size_names_both_numbers_and_the_nearest_sizes(batch_size, devices, sizes):
  with pytest.raises(ValueError) as e:
    parallel.check_batch_size(batch_size, devices)
  message = str(e.value)
  assert "\n" not in message
  assert message == (
    f"--config.batch_size={batch_size} does not divide over {devices} devices; use {sizes}."
  )


def test_check_batch_size_accepts_a_multiple():
  parallel.check_batch_size(64, 8)
  parallel.check_batch_size(8, 1)
