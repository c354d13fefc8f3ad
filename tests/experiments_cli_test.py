"""Entry points on bad input (one line on stderr, the documented exit code), divergence, the
negative-estimate warning and the printed summary."""

import json
import os
import subprocess
import sys

import jax.numpy as jnp
import ml_collections
import pytest

from experiments import cli
from experiments.configs import digits
from wgan_jax import run_log, steps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _error_line(err: str, after_progress_bar: bool = False) -> str:
  """The one line of an error; `after_progress_bar`: the last line, after tqdm's output."""
  lines = err.replace("\r", "\n").strip().splitlines()
  lines = lines[-1:] if after_progress_bar else lines
  assert len(lines) == 1 and lines[0].startswith("error: "), err[-3000:]
  return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
  "args, expected",
  [
    (
      ["--workdir", "W", "--config.n_critc=5"],
      "unknown config field 'n_critc' (did you mean 'n_critic'?); the fields are: batch_size,",
    ),
    ([], "--workdir is required"),
    (["--workdir", "W", "extra"], "unexpected arguments ['extra']"),
    (["--workdir", "W", "--config.n_critic=five"], "flag --config.n_critic=five: invalid"),
    (["--workdir", "FILE/sub"], "workdir 'FILE/sub' is not writable"),
  ],
)
def test_bad_command_lines_fail_with_one_line_and_exit_2(args, expected, tmp_path):
  (tmp_path / "FILE").write_text("a file, not a folder")
  done = subprocess.run(
    [sys.executable, "-m", "experiments.digits_wgan", *args],
    cwd=tmp_path,
    env=dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=ROOT),
    capture_output=True,
    text=True,
    timeout=600,
    check=False,
  )
  assert done.returncode == cli.EXIT_BAD_INPUT
  assert expected in _error_line(done.stderr)
  assert not (tmp_path / "W").exists()  # refused before anything was written


def _run(capsys, workdir, **overrides) -> tuple[int, str]:
  config = digits.get_config(smoke=True)
  config.update(overrides)
  code = cli.run_training(config, str(workdir))
  return code, capsys.readouterr().err


@pytest.mark.parametrize(
  "overrides, expected",
  [
    (dict(dataset="folder:/no/such/folder"), "image folder '/no/such/folder' does not exist"),
    (dict(dataset="lsun/kitchens"), "unknown LSUN category"),
    (dict(generator="resnet"), "--config.generator=resnet is not one of"),
    (dict(image_size=24), "--config.image_size=24 is not a multiple of 16"),
    (dict(n_critic=0), "--config.n_critic=0 must be an integer >= 1"),
  ],
)
def test_data_and_recipe_errors_are_one_line_exit_2(overrides, expected, capsys, tmp_path):
  code, err = _run(capsys, tmp_path, **overrides)
  assert code == cli.EXIT_BAD_INPUT and expected in _error_line(err)


@pytest.mark.slow
def test_a_checkpoint_of_another_architecture_is_refused_and_left_alone(capsys, tmp_path):
  assert _run(capsys, tmp_path, width_d=16, num_steps=2, checkpoint_every=2)[0] == 0
  files = lambda: {str(p.relative_to(tmp_path)): p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
  before = files()
  code, err = _run(capsys, tmp_path)
  assert code == cli.EXIT_BAD_INPUT
  assert "width_d: checkpoint 16 vs now 8" in _error_line(err)
  assert json.loads((tmp_path / "config.json").read_text())["width_d"] == 16
  assert files() == before  # refused before anything was written


@pytest.mark.slow
def test_a_config_of_another_architecture_without_a_checkpoint_is_no_conflict(capsys, tmp_path):
  """A run that stopped before its first save left config.json and an empty checkpoints/."""
  other = digits.get_config(smoke=True)
  other.width_d = 16
  (tmp_path / "config.json").write_text(json.dumps(other.to_dict()))
  (tmp_path / "checkpoints").mkdir()
  code, err = _run(capsys, tmp_path, num_steps=1)
  assert code == 0, err
  assert json.loads((tmp_path / "config.json").read_text())["width_d"] == 8


@pytest.mark.slow
@pytest.mark.parametrize(
  "first_bad_step, where", [(3, "step 2 in {workdir}/checkpoints"), (1, "none yet")]
)
def test_a_non_finite_loss_stops_with_the_step_and_last_good_checkpoint(
  first_bad_step, where, capsys, tmp_path, monkeypatch
):
  def diverging_train_step(state, real, key, *, loss):
    del real, key, loss
    generator = state.generator.replace(step=state.generator.step + 1)
    w = jnp.where(generator.step >= first_bad_step, jnp.nan, 0.5)
    return state.replace(generator=generator), {
      "wasserstein_estimate": w,
      "critic_loss": -w,
      "generator_loss": w,
    }

  monkeypatch.setattr(steps, "train_step", diverging_train_step)
  code, err = _run(capsys, tmp_path, checkpoint_every=1, sample_every=100)
  assert code == cli.EXIT_DIVERGED == 1
  line = _error_line(err, after_progress_bar=True)
  assert (
    "training diverged: non-finite critic_loss, generator_loss, wasserstein_estimate at "
    f"generator step {first_bad_step}; last good checkpoint: "
    f"{where.format(workdir=tmp_path)} (lower"
  ) in line
  finished = [str(s) for s in range(1, first_bad_step)]
  assert sorted(os.listdir(tmp_path / "checkpoints")) == finished  # none left in flight


def test_negative_estimate_warns_once_after_patience(tmp_path):
  log = run_log.RunLog(str(tmp_path), write=False)
  n = run_log.NEGATIVE_PATIENCE
  warnings = [log.observe(s, {"wasserstein_estimate": 0.1}, log=False) for s in range(5)]
  warnings += [log.observe(5 + s, {"wasserstein_estimate": -0.01}, log=False) for s in range(n - 1)]
  assert warnings == [None] * (n + 4)  # one short of the patience
  log.observe(n + 4, {"wasserstein_estimate": 0.01}, log=False)  # a positive step resets the run
  warnings = [
    log.observe(n + 5 + s, {"wasserstein_estimate": -0.01}, log=False) for s in range(2 * n)
  ]
  assert warnings[: n - 1] == [None] * (n - 1) and warnings[n] is None
  assert "negative for 200 steps" in warnings[n - 1] and "sign convention" in warnings[n - 1]
  assert warnings[n:] == [None] * n  # once per run


def test_summary_says_where_things_are():
  config = ml_collections.ConfigDict(dict(num_steps=100, sample_every=50))
  summary = dict(
    workdir="/w", step=40, wasserstein_estimate=1.5e-5, seconds=12.0, stopped_by="SIGTERM"
  )
  text = cli.summary_text(summary, config, seconds=20.0)
  assert "stopped by SIGTERM at generator step 40 of 100" in text
  assert "checkpoint saved in /w/checkpoints/40" in text
  assert "final Wasserstein estimate: 1.5e-05" in text and "curve: /w/wasserstein.png" in text
  gan = dict(summary, progress_metric="js_estimate", metrics={"js_estimate": 0.25})
  gan_text = cli.summary_text(gan, config, seconds=20.0)
  assert "final JS estimate: 0.25" in gan_text and "wasserstein.png" not in gan_text
  assert "/w/samples/step_000040.png" in text and "/w/wasserstein.png" in text


@pytest.mark.parametrize(
  "folders, then",
  [
    ([], "start over (no checkpoint yet)"),
    (["3", "12", "40.unrestorable", "13.orbax-checkpoint-tmp-1"], "resume from step 12"),
  ],
)
def test_a_stop_before_training_says_what_a_rerun_does(
  tmp_path, monkeypatch, capsys, folders, then
):
  for name in folders:
    (tmp_path / "checkpoints" / name).mkdir(parents=True)

  def interrupted(config, workdir):
    raise KeyboardInterrupt  # Ctrl-C while the data loads, or twice during a save

  monkeypatch.setattr("wgan_jax.train.train_and_evaluate", interrupted)
  assert cli.run_training(digits.get_config(smoke=True), str(tmp_path)) == 130
  assert _error_line(capsys.readouterr().err) == (
    "error: interrupted (SIGINT) before training started, or twice; no new checkpoint was "
    f"saved; rerun the same command to {then}"
  )
