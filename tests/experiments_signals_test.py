"""Real `python -m experiments.*` processes: SIGTERM saves and resumes, kill -9 never leaves an
unrestorable checkpoint, and `experiments.generate` samples the result."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import orbax.checkpoint as ocp
import pytest

from experiments import cli
from experiments.configs import digits, mixture
from wgan_jax import generate

pytestmark = pytest.mark.slow  # end-to-end runs and subprocesses: `pytest -m "not slow"` skips them

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOREVER = dict(num_steps=100_000, sample_every=100_000, checkpoint_every=100_000)


def config_args(get_config, **overrides) -> list[str]:
  """`--config.FIELD=VALUE` for every field where `get_config(smoke=True)` (then `overrides`)
  differs from `get_config()`: the command line that runs the smoke config."""
  default, smoke = get_config(), get_config(smoke=True)
  smoke.update(overrides)
  return [f"--config.{k}={v}" for k, v in smoke.items() if v != default[k]]


@pytest.fixture(name="env", scope="module")
def _env():
  """CPU JAX; the session's compilation cache comes with os.environ (conftest.py)."""
  return dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT)


def start(module, workdir, args, env):
  return subprocess.Popen(
    [sys.executable, "-m", module, "--workdir", str(workdir), *args],
    cwd=ROOT,
    env=env,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
  )


def wait_for(predicate, process, timeout=600.0):
  """Polls `predicate()` every 5 ms until true; fails when `process` exits or time runs out."""
  deadline = time.monotonic() + timeout
  while not predicate():
    if process.poll() is not None or time.monotonic() > deadline:
      process.kill()
      out, err = process.communicate()
      pytest.fail(f"gave up waiting (rc {process.returncode}):\n{out}\n{err[-3000:]}")
    time.sleep(0.005)


def logged_steps(workdir) -> list[int]:
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line)["step"] for line in f if line.endswith("\n")]


@pytest.fixture(name="sigterm_run", scope="module")
def _sigterm_run(tmp_path_factory, env):
  """A digits smoke run stopped by SIGTERM after its first steps (how many depends on the
  machine's load), then rerun to 2 steps more."""
  workdir = tmp_path_factory.mktemp("sigterm")
  process = start(
    "experiments.digits_wgan", workdir, config_args(digits.get_config, **FOREVER), env
  )
  wait_for(lambda: len(logged_steps(workdir)) >= 2, process)
  process.send_signal(signal.SIGTERM)
  stopped = process.communicate(timeout=600)
  rc = process.returncode
  step = max(logged_steps(workdir))
  rerun = subprocess.run(
    [
      sys.executable,
      "-m",
      "experiments.digits_wgan",
      "--workdir",
      str(workdir),
      *config_args(digits.get_config, **{**FOREVER, "num_steps": step + 2}),  # saves at the end
    ],
    cwd=ROOT,
    env=env,
    capture_output=True,
    text=True,
    timeout=900,
    check=False,
  )
  return workdir, rc, stopped, step, rerun


def test_sigterm_saves_a_checkpoint_exits_143_and_a_rerun_resumes(sigterm_run):
  workdir, rc, (out, err), step, rerun = sigterm_run
  assert rc == cli.EXIT_SIGNAL["SIGTERM"] == 143, err[-3000:]
  assert f"stopped by SIGTERM at generator step {step} " in out
  assert f"checkpoint saved in {workdir}/checkpoints/{step}" in out
  # progress lines (stderr is a pipe): rate, elapsed<ETA and the estimate
  assert "step/s" in err and "<" in err and "wasserstein_estimate=" in err
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  assert f"resuming from step {step} in {workdir}" in rerun.stdout, rerun.stdout[-3000:]
  assert logged_steps(workdir) == list(range(1, step + 3))
  assert sorted(os.listdir(workdir / "checkpoints"), key=int)[-2:] == [str(step), str(step + 2)]


def test_generate_writes_a_grid_and_single_images(sigterm_run, env, tmp_path):
  workdir, *_, step, _ = sigterm_run
  done = subprocess.run(
    [
      sys.executable,
      "-m",
      "experiments.generate",
      "--workdir",
      str(workdir),
      "--num",
      "5",
      "--grid",
      "--out",
      str(tmp_path),
    ],
    cwd=ROOT,
    env=env,
    capture_output=True,
    text=True,
    timeout=900,
    check=False,
  )
  assert done.returncode == 0, done.stderr[-3000:]
  assert sorted(os.listdir(tmp_path)) == [
    f"grid_step_{step + 2:06d}.{ext}" for ext in ("npy", "png")
  ]  # values beside the picture
  trained = generate.restore(str(workdir))
  assert trained.step == step + 2 and trained.config.width_g == 8
  samples = generate.sample(trained, 20, seed=3)  # more than one batch of 16
  assert samples.shape == (20, 16, 16, 1) and -1 <= samples.min() < samples.max() <= 1
  paths = generate.write(samples, str(tmp_path / "each"), step=trained.step, grid=False)
  assert len(paths) == 20 and all(os.path.getsize(p) > 0 for p in paths)


def _restorable_steps(checkpoints):
  """Every step orbax lists in `checkpoints` restores; returns them."""
  manager = ocp.CheckpointManager(str(checkpoints))
  steps = manager.all_steps()
  for step in steps:
    manager.restore(step, args=ocp.args.StandardRestore())
  manager.close()
  return steps


def test_kill_9_at_any_moment_leaves_restorable_checkpoints(tmp_path, tmp_path_factory, env):
  """Kills a run that checkpoints every step, three times: twice as soon as orbax has a save in
  flight (its `<step>.orbax-checkpoint-tmp` folder exists), once at a random moment. Every step
  orbax lists restores, a half-written save is never listed, and each rerun resumes."""
  rng, checkpoints = random.Random(0), tmp_path / "checkpoints"
  # A compilation cache of its own: a process killed while writing an entry would leave it
  # half-written, and reading that back warns on the stderr that other tests count lines of.
  env = dict(env, JAX_COMPILATION_CACHE_DIR=str(tmp_path_factory.mktemp("xla_cache")))
  args = config_args(mixture.get_config, **FOREVER) + ["--config.checkpoint_every=1"]
  partial = lambda: [n for n in os.listdir(checkpoints) if ".orbax-checkpoint-tmp" in n]
  last, killed_mid_save = 0, []
  for attempt in range(3):
    process = start("experiments.mixture_wgan", tmp_path, args, env)
    started = lambda: (
      os.path.isdir(checkpoints)
      and any(n.isdigit() and int(n) > last for n in os.listdir(checkpoints))
    )
    wait_for(started, process)
    if attempt == 1:
      time.sleep(rng.uniform(0.0, 0.5))
    else:
      wait_for(partial, process)
    process.kill()
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    killed_mid_save += partial()
    steps = _restorable_steps(checkpoints)
    assert steps and steps[-1] > last, (attempt, steps)
    assert not {int(n.split(".")[0]) for n in partial()} & set(steps)
    trained = generate.restore(str(tmp_path))  # as train.py restores: the latest, full state
    assert trained.step == steps[-1]
    last = steps[-1]
  assert killed_mid_save, "no kill landed inside a save; the in-flight case went untested"
