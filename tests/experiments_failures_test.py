"""What a user meets when things go wrong, reproduced through the entry points: refusals before
anything is written, divergence caught before a save, a torn run log, and bugs that keep their
traceback (issue: every failure ends in one line, a resumable workdir, and nothing lost)."""

import json
import os
import subprocess
import sys

import pytest

from experiments import cli
from experiments.configs import digits, mixture
from wgan_jax import generate, train
from wgan_jax.errors import CheckpointError


def _run(capsys, workdir, config=None, **overrides) -> tuple[int, str]:
  config = config or digits.get_config(smoke=True)
  config.update(overrides)
  code = cli.run_training(config, str(workdir))
  return code, capsys.readouterr().err


def _last_line(err: str) -> str:
  return err.replace("\r", "\n").strip().splitlines()[-1]


@pytest.mark.slow
def test_wgan_gp_with_a_batch_norm_critic_is_refused_before_writing_then_the_fix_trains(
  capsys, tmp_path
):
  workdir = tmp_path / "w"
  code, err = _run(capsys, workdir, digits.get_config("wgan_gp", smoke=True), critic="dcgan")
  assert code == cli.EXIT_BAD_INPUT
  assert "use --config.critic=dcgan_layernorm" in _last_line(err)
  assert "DCGANCritic" not in err and not workdir.exists()
  code, err = _run(
    capsys, workdir, digits.get_config("wgan_gp", smoke=True), critic="dcgan_layernorm"
  )
  assert code == 0, err


def test_a_negative_learning_rate_is_refused_before_writing(capsys, tmp_path):
  code, err = _run(capsys, tmp_path / "w", lr_d=-2e-4)
  assert code == cli.EXIT_BAD_INPUT
  assert _last_line(err) == (
    "error: --config.lr_d=-0.0002 must be a finite learning rate > 0 "
    "(the paper's is 5e-5); a negative one trains backwards."
  )
  assert not (tmp_path / "w").exists()


@pytest.mark.slow
def test_an_exploding_generator_is_never_saved_nor_reported_done(capsys, tmp_path):
  """lr_g = 1e38: RMSprop's first update (~10 lr) overflows float32, so the generator is
  non-finite after step 1, although that step's losses (computed before the update) are finite."""
  code, err = _run(capsys, tmp_path, lr_g=1e38, num_steps=2, checkpoint_every=1)
  assert code == cli.EXIT_DIVERGED
  assert _last_line(err) == (
    "error: training diverged: non-finite generator parameters at "
    "generator step 1; last good checkpoint: none yet (lower the "
    "learning rate?)."
  )
  assert not [n for n in os.listdir(tmp_path / "checkpoints") if n.isdigit()]
  with pytest.raises(CheckpointError, match="holds no checkpoint"):
    generate.restore(str(tmp_path))


@pytest.mark.slow
def test_divergence_after_a_good_checkpoint_names_that_checkpoint(capsys, tmp_path):
  _run(capsys, tmp_path, num_steps=3, checkpoint_every=3)
  code, err = _run(capsys, tmp_path, lr_g=1e38, num_steps=4, checkpoint_every=1)
  assert code == cli.EXIT_DIVERGED
  assert f"generator step 4; last good checkpoint: step 3 in {tmp_path}/checkpoints" in err
  trained = generate.restore(str(tmp_path))  # step 3 is intact and finite
  assert trained.step == 3


@pytest.mark.slow
def test_a_torn_run_log_line_is_dropped_with_a_warning_and_the_run_resumes(capsys, tmp_path):
  assert _run(capsys, tmp_path, num_steps=3, checkpoint_every=3)[0] == 0
  log = tmp_path / "metrics.jsonl"
  log.write_text(log.read_text() + '{"step": 4, "wasserstein_es')  # what a crash leaves
  with pytest.warns(UserWarning, match=r"metrics.jsonl:4: dropping an unreadable record"):
    code, err = _run(capsys, tmp_path, num_steps=5)
  assert code == 0, err
  steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
  assert steps == [1, 2, 3, 4, 5]


def test_a_bug_keeps_its_traceback_and_a_distinct_exit_code(capsys, tmp_path, monkeypatch):
  def broken(config, workdir):
    del config, workdir
    return {}["no such key"]

  monkeypatch.setattr(train, "train_and_evaluate", broken)
  code, err = _run(capsys, tmp_path)
  assert code == cli.EXIT_BUG == 3
  assert "Traceback (most recent call last)" in err and "KeyError: 'no such key'" in err
  assert _last_line(err).startswith("error: unexpected error (a bug in wgan_jax")


@pytest.mark.slow
@pytest.mark.parametrize(
  "get_config", [digits.get_config, mixture.get_config], ids=["digits", "mixture"]
)
@pytest.mark.parametrize("loss", ["wgan_gp", "gan", "began"])
def test_each_method_trains_from_its_one_flag_config(get_config, loss, capsys, tmp_path):
  code, err = _run(capsys, tmp_path, get_config(loss, smoke=True), num_steps=2)
  assert code == 0, err
  records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert [r["step"] for r in records] == [1, 2]
  shown = {"wgan_gp": "wasserstein_estimate", "gan": "js_estimate", "began": "m_global"}[loss]
  assert shown in records[-1]


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _command(workdir, *args, timeout=900):
  """`python -m experiments.digits_wgan` on the smoke config: (exit code, stdout, stderr)."""
  smoke, default = digits.get_config(smoke=True), digits.get_config()
  flags = [f"--config.{k}={v}" for k, v in smoke.items() if v != default[k]]
  done = subprocess.run(
    [sys.executable, "-m", "experiments.digits_wgan", "--workdir", str(workdir), *flags, *args],
    cwd=ROOT,
    env=dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT),
    capture_output=True,
    text=True,
    timeout=timeout,
    check=False,
  )
  return done.returncode, done.stdout, done.stderr


def _error_lines(err: str) -> list[str]:
  return [line for line in err.splitlines() if not line.startswith("step ")]


@pytest.mark.slow
def test_damaged_checkpoints_are_skipped_with_one_line_each_and_the_run_resumes(tmp_path):
  # The run that leaves checkpoints 2 and 4 behind: in this process (the entry point's part, a
  # damaged resume, is the second run); a process of its own cost seconds of imports.
  config = digits.get_config(smoke=True)
  config.update(num_steps=4, checkpoint_every=2)
  assert train.train_and_evaluate(config, str(tmp_path))["step"] == 4
  (tmp_path / "checkpoints" / "66").mkdir()  # what a half-synced folder looks like
  data = sorted((tmp_path / "checkpoints" / "4").rglob("*"), key=lambda p: -p.stat().st_size)
  big = next(p for p in data if p.is_file())
  big.write_bytes(big.read_bytes()[: big.stat().st_size // 2])  # a truncated copy
  code, out, err = _command(tmp_path, "--config.num_steps=6", "--config.checkpoint_every=2")
  assert code == 0, err
  lines = _error_lines(err)
  assert len(lines) == 2 and all(line.startswith("warning: checkpoint step ") for line in lines), (
    err
  )
  assert "step 66 does not restore" in lines[0] and "step 4 does not restore" in lines[1]
  assert "resuming from step 2" in out and "Traceback" not in err
  assert sorted(os.listdir(tmp_path / "checkpoints")) == [
    "2",
    "4",
    "4.unrestorable",
    "6",
    "66.unrestorable",
  ]


@pytest.mark.slow
def test_a_full_disk_is_one_line_exit_4_and_a_rerun_after_freeing_space_resumes(small_disk):
  disk = small_disk
  filler = disk / "filler"
  filler.write_bytes(b"\0" * (3 * 2**20 - 400 * 2**10))  # leaves ~400 KB
  code, _, err = _command(disk / "w", "--config.num_steps=40", "--config.checkpoint_every=1")
  assert code == cli.EXIT_DISK_FULL == 4, err
  lines = _error_lines(err)
  assert len(lines) == 1 and lines[0].startswith("error: "), err
  assert "intact checkpoints: " in lines[0] and "Traceback" not in err
  assert not [n for n in os.listdir(disk / "w" / "checkpoints") if "tmp" in n]
  intact = max(int(n) for n in os.listdir(disk / "w" / "checkpoints") if n.isdigit())
  filler.unlink()
  code, out, err = _command(disk / "w", f"--config.num_steps={intact + 2}")
  assert code == 0, err
  assert f"resuming from step {intact} in" in out
