"""train_and_evaluate end to end: the files a run writes, LSUN on tfds mock data, exact resume."""

import glob
import json
import math
import os
import signal

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
import tensorflow_datasets as tfds

from experiments.configs import digits, lsun
from wgan_jax import train

pytestmark = pytest.mark.slow  # end-to-end runs and subprocesses: `pytest -m "not slow"` skips them

REQUIRED_KEYS = {"step", "wasserstein_estimate", "critic_loss", "generator_loss", "wall_time"}


def _train(workdir, config=None, **overrides):
  config = config or digits.get_config(smoke=True)
  config.update(overrides)
  return train.train_and_evaluate(config, str(workdir))


def _records(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def _restore(workdir, step):
  return ocp.StandardCheckpointer().restore(
    os.path.join(workdir, "checkpoints", str(step), "default")
  )


@pytest.fixture(name="runs", scope="module")
def _runs(tmp_path_factory):
  """The smoke digits run (6 steps, checkpoints every 3) straight, and as 4 steps then 2 more."""
  root = tmp_path_factory.mktemp("runs")
  straight = _train(root / "straight")
  first = _train(root / "split", num_steps=4)
  second = _train(root / "split")
  return root, straight, first, second


def test_a_run_writes_config_metrics_checkpoints_events_and_pictures(runs):
  root, straight, _, _ = runs
  workdir = root / "straight"
  assert straight["step"] == 6 and straight["stopped_by"] is None
  assert math.isfinite(straight["wasserstein_estimate"])
  with open(workdir / "config.json") as f:
    assert json.load(f) == digits.get_config(smoke=True).to_dict()
  records = _records(workdir)
  assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]  # log_every=1
  for r in records:
    assert REQUIRED_KEYS <= set(r), r
    assert all(math.isfinite(v) for v in r.values()), r
  assert sorted(os.listdir(workdir / "checkpoints")) == ["3", "6"]
  assert glob.glob(str(workdir / "tensorboard" / "events.out.tfevents.*"))
  assert sorted(os.listdir(workdir / "samples")) == ["step_000003.png", "step_000006.png"]
  assert (workdir / "wasserstein.png").stat().st_size > 0


def test_resume_is_exact(runs):
  root, straight, first, second = runs
  assert first["step"] == 4 and second["step"] == 6
  split = root / "split"
  assert sorted(os.listdir(split / "checkpoints")) == ["3", "4", "6"]
  a, b = _restore(root / "straight", 6), _restore(split, 6)
  assert jax.tree.structure(a) == jax.tree.structure(b)
  leaves = jax.tree.leaves_with_path(a)
  assert len(leaves) > 20  # params, batch stats and RMSprop state of both players
  for (path, x), y in zip(leaves, jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))
  without_time = lambda rs: [{k: v for k, v in r.items() if k != "wall_time"} for r in rs]
  assert without_time(_records(split)) == without_time(_records(root / "straight"))
  assert second["metrics"] == straight["metrics"]
  for name in ("step_000003.png", "step_000006.png"):
    assert (split / "samples" / name).read_bytes() == (
      root / "straight" / "samples" / name
    ).read_bytes()


def test_lsun_bedroom_on_tfds_mock_data(tmp_path):
  with tfds.testing.mock_data(num_examples=20, policy=tfds.testing.MockPolicy.USE_CODE):
    summary = _train(tmp_path, lsun.get_config(smoke=True))
  assert summary["step"] == 4 and math.isfinite(summary["wasserstein_estimate"])
  records = _records(tmp_path)
  assert len(records) == 4 and all(math.isfinite(r["critic_loss"]) for r in records)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2", "4"]
  assert sorted(os.listdir(tmp_path / "samples")) == ["step_000002.png", "step_000004.png"]


@pytest.mark.parametrize("lands", ["in_the_step", "after_the_save_decision"])
def test_a_signal_anywhere_in_a_step_saves_the_step_it_stops_at(tmp_path, monkeypatch, lands):
  """SIGTERM sent from inside generator step 2 (while it is dispatched, or from a hook, after the
  loop has decided not to save): the run stops at a step it has saved, and says which."""
  config = digits.get_config(smoke=True)
  config.update(num_steps=100, checkpoint_every=100, sample_every=100)
  sigterm = lambda: os.kill(os.getpid(), signal.SIGTERM)
  hooks = ()
  if lands == "in_the_step":
    make_iteration = train.make_iteration

    def sending_at_step_2(*args, **kwargs):
      iterate, calls = make_iteration(*args, **kwargs), []

      def wrapped(*a):
        calls.append(None)
        if len(calls) == 2:
          sigterm()
        return iterate(*a)

      return wrapped

    monkeypatch.setattr(train, "make_iteration", sending_at_step_2)
  else:
    hooks = (lambda step, state: step == 2 and sigterm(),)
  summary = train.train_and_evaluate(config, str(tmp_path), hooks=hooks)
  assert summary["stopped_by"] == "SIGTERM"
  assert summary["step"] == (2 if lands == "in_the_step" else 3)
  assert os.listdir(tmp_path / "checkpoints") == [str(summary["step"])]
  assert [r["step"] for r in _records(tmp_path)] == list(range(1, summary["step"] + 1))
