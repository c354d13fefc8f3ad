"""`--config.num_seeds=N`: N runs in one vmapped program, each equal to the run of its seed alone.

The stacked program computes the same sums as N separate ones, batched, so the parameters agree
to float rounding rather than bit for bit; over a few RMSprop steps (whose update divides by a
tiny running RMS, so rounding can flip a sign at an early step) they stay within 1e-5, as in
parallel_test.py. Resuming a stacked run is exact to the bit, as a single run's is.
"""

import json
import os
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from experiments.configs import digits, mixture
from tests.run_log_test import read_events
from wgan_jax import checkpoint, generate, steps, train
from wgan_jax import seeds as seeds_lib
from wgan_jax.errors import ConfigError, TrainingDiverged

ATOL = 1e-5
STEPS = 4
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A 2-seed digits run on 4 simulated CPU devices (B sharded over them), in a fresh process.
FOUR_DEVICES = """
import sys, jax
jax.config.update("jax_num_cpu_devices", 4)
from tests import num_seeds_test
from wgan_jax import train
assert jax.device_count() == 4
train.train_and_evaluate(num_seeds_test._config("digits", seed=3, num_seeds=2), sys.argv[1])
"""


def _config(kind, **overrides):
  config = (digits if kind == "digits" else mixture).get_config(smoke=True)
  config.update({"num_steps": STEPS, "sample_every": 2, "checkpoint_every": 2, **overrides})
  return config


def _records(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def _restore(workdir, step=STEPS):
  return ocp.StandardCheckpointer().restore(
    os.path.join(workdir, "checkpoints", str(step), "default")
  )


@pytest.fixture(name="runs", scope="module")
def _runs(tmp_path_factory):
  """{kind: workdir} of: the seeds 3 and 4 alone, and together as one 2-seed run; for digits
  also the 2-seed run stopped at step 2 and resumed to 4."""
  root = tmp_path_factory.mktemp("runs")
  dirs = {}
  for kind in ("digits", "mixture"):
    for name, fields in (
      (f"{kind}_seed3", dict(seed=3)),
      (f"{kind}_seed4", dict(seed=4)),
      (f"{kind}_both", dict(seed=3, num_seeds=2)),
    ):
      dirs[name] = root / name
      train.train_and_evaluate(_config(kind, **fields), str(dirs[name]))
  dirs["split"] = root / "split"
  first = train.train_and_evaluate(
    _config("digits", seed=3, num_seeds=2, num_steps=2), str(dirs["split"])
  )
  assert first["step"] == 2
  train.train_and_evaluate(_config("digits", seed=3, num_seeds=2), str(dirs["split"]))
  return dirs


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["digits", "mixture"])
def test_each_seed_of_a_stacked_run_equals_its_run_alone(runs, kind):
  both = _restore(runs[f"{kind}_both"])
  for i, seed in enumerate((3, 4)):
    alone = _restore(runs[f"{kind}_seed{seed}"])
    leaves = jax.tree.leaves_with_path(alone)
    assert len(leaves) >= 10  # params and RMSprop state of both players
    for (path, x), y in zip(leaves, jax.tree.leaves(both)):
      assert y.shape == (2, *np.shape(x)), jax.tree_util.keystr(path)
      np.testing.assert_allclose(y[i], x, rtol=0, atol=ATOL, err_msg=jax.tree_util.keystr(path))
  # The two seeds did train differently (so the comparison above can fail).
  g = both["generator"]["params"]
  assert max(float(np.max(np.abs(x[0] - x[1]))) for x in jax.tree.leaves(g)) > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["digits", "mixture"])
def test_metrics_jsonl_has_each_seeds_records_equal_to_its_run_alone(runs, kind):
  records = _records(runs[f"{kind}_both"])
  assert [(r["step"], r["seed"]) for r in records] == [
    (s, seed) for s in range(1, STEPS + 1) for seed in (3, 4)
  ]
  for seed in (3, 4):
    alone = _records(runs[f"{kind}_seed{seed}"])
    mine = [r for r in records if r["seed"] == seed]
    assert len(mine) == len(alone) == STEPS
    for a, b in zip(alone, mine):
      assert set(b) - set(a) == {"seed"}
      for name in set(a) - {"step", "wall_time"}:
        np.testing.assert_allclose(
          b[name], a[name], rtol=1e-4, atol=ATOL, err_msg=f"{name} at step {a['step']}"
        )


@pytest.mark.slow
def test_a_stacked_run_writes_pictures_and_tensorboard_scalars_per_seed(runs):
  for kind in ("digits", "mixture"):
    workdir = runs[f"{kind}_both"]
    assert sorted(os.listdir(workdir / "samples")) == ["seed_3", "seed_4"]
    for seed in (3, 4):
      assert sorted(os.listdir(workdir / "samples" / f"seed_{seed}")) == [
        "step_000002.png",
        "step_000004.png",
      ]
    assert (workdir / "wasserstein.png").stat().st_size > 0
  tags = {v.tag for e in read_events(runs["digits_both"] / "tensorboard") for v in e.summary.value}
  assert {
    "seed_3/wasserstein_estimate",
    "seed_4/wasserstein_estimate",
    "seed_3/samples",
    "seed_4/samples",
  } <= tags
  assert "wasserstein_estimate" not in tags


@pytest.mark.slow
def test_a_resumed_stacked_run_equals_the_straight_one_bit_for_bit(runs):
  split, straight = runs["split"], runs["digits_both"]
  assert sorted(os.listdir(split / "checkpoints")) == ["2", "4"]
  a, b = _restore(straight), _restore(split)
  assert jax.tree.structure(a) == jax.tree.structure(b)
  for (path, x), y in zip(jax.tree.leaves_with_path(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y, err_msg=jax.tree_util.keystr(path))
  without_time = lambda rs: [{k: v for k, v in r.items() if k != "wall_time"} for r in rs]
  assert without_time(_records(split)) == without_time(_records(straight))
  for seed in (3, 4):
    name = f"seed_{seed}/step_000004.png"
    assert (split / "samples" / name).read_bytes() == (straight / "samples" / name).read_bytes()


@pytest.mark.slow
def test_a_stacked_run_on_four_devices_equals_it_on_one(runs, tmp_path):
  """The seed axis composes with the data sharding: B split over 4 devices, same records."""
  proc = subprocess.run(
    [sys.executable, "-c", FOUR_DEVICES, str(tmp_path / "w")],
    cwd=ROOT,
    capture_output=True,
    text=True,
    timeout=400,
    check=False,
  )
  assert proc.returncode == 0, proc.stderr[-3000:]
  one, four = _records(runs["digits_both"]), _records(tmp_path / "w")
  assert [(r["step"], r["seed"]) for r in four] == [(r["step"], r["seed"]) for r in one]
  for a, b in zip(one, four):
    for name in set(a) - {"step", "seed", "wall_time"}:
      np.testing.assert_allclose(b[name], a[name], rtol=1e-4, atol=ATOL, err_msg=name)


@pytest.mark.slow
def test_generate_samples_the_generator_of_the_seed_asked_for(runs):
  trained = generate.restore(str(runs["digits_both"]), seed_index=1)
  alone = generate.restore(str(runs["digits_seed4"]))
  assert (trained.config.seed, trained.config.num_seeds, trained.num_seeds) == (4, 1, 2)
  assert trained.step == alone.step == STEPS
  np.testing.assert_allclose(
    generate.sample(trained, 16), generate.sample(alone, 16), rtol=0, atol=1e-4
  )
  with pytest.raises(
    ConfigError,
    match=r"--seed_index=2: .* seeds 3..4; pick an index in "
    r"\[0, 2\)\.$",
  ):
    generate.restore(str(runs["digits_both"]), seed_index=2)


@pytest.mark.slow
def test_a_workdir_from_before_num_seeds_resumes_and_refuses_another_count(runs, tmp_path):
  workdir = tmp_path / "old"
  shutil.copytree(runs["digits_seed3"], workdir)
  with open(workdir / "config.json") as f:
    saved = json.load(f)
  del saved["num_seeds"]
  with open(workdir / "config.json", "w") as f:
    json.dump(saved, f)
  checkpoint.check_compatible(str(workdir), _config("digits", seed=3).to_dict())
  assert generate.restore(str(workdir)).step == STEPS
  with pytest.raises(checkpoint.CheckpointMismatch, match="num_seeds: checkpoint 1 vs now 2"):
    checkpoint.check_compatible(str(workdir), _config("digits", seed=3, num_seeds=2).to_dict())


@pytest.mark.parametrize("value", [0, -2])
def test_num_seeds_below_one_is_refused_in_one_line(tmp_path, value):
  with pytest.raises(ConfigError) as e:
    train.train_and_evaluate(_config("mixture", num_seeds=value), str(tmp_path / "w"))
  assert str(e.value) == (
    f"--config.num_seeds={value} must be an integer >= 1 (the number of "
    "runs, of seeds seed, seed+1, ..., trained together)."
  )
  assert not os.path.exists(tmp_path / "w")


@pytest.mark.parametrize("what", ["wasserstein_estimate", "generator parameters"])
def test_divergence_names_the_seed_whose_loss_or_parameters_are_not_finite(
  what, tmp_path, monkeypatch
):
  """Seed 4 of seeds 3..5 goes non-finite at step 2: in its losses (caught as they arrive), or
  only in its parameters (caught by the check before the save at step 2)."""
  key_4 = jax.random.key_data(seeds_lib.Seeds.of(4, 1).keys(seeds_lib.RUN))

  def diverging_train_step(state, real, key, *, loss):
    del real, loss
    generator = state.generator.replace(step=state.generator.step + 1)
    bad = (generator.step >= 2) & jnp.all(jax.random.key_data(key) == key_4)
    nan_if_bad = jnp.where(bad, jnp.nan, 0.5)
    if what == "generator parameters":
      generator = generator.replace(params=jax.tree.map(lambda p: p * nan_if_bad, generator.params))
      nan_if_bad = jnp.float32(0.5)
    return state.replace(generator=generator), {"wasserstein_estimate": nan_if_bad}

  monkeypatch.setattr(steps, "train_step", diverging_train_step)
  with pytest.raises(TrainingDiverged) as e:
    train.train_and_evaluate(_config("mixture", seed=3, num_seeds=3), str(tmp_path))
  assert str(e.value) == (
    f"non-finite {what} of seed 4 at generator step 2; last good "
    "checkpoint: none yet (lower the learning rate?)."
  )


@pytest.mark.slow
def test_hooks_see_every_step_of_a_stacked_run_and_a_rerun_past_num_steps_says_so(
  runs, tmp_path, capsys
):
  workdir = tmp_path / "longer"
  shutil.copytree(runs["mixture_both"], workdir)
  config = _config("mixture", seed=3, num_seeds=2, num_steps=STEPS + 2)
  seen = []

  def hook(step, state):  # what a report's evaluation does with the live stacked state
    second = generate.from_state(config, state, seed_index=1)
    seen.append((step, second.step, second.config.seed, second.config.num_seeds))

  train.train_and_evaluate(config, str(workdir), hooks=(hook,))
  assert seen == [(STEPS + 1, STEPS + 1, 4, 1), (STEPS + 2, STEPS + 2, 4, 1)]
  capsys.readouterr()
  summary = train.train_and_evaluate(_config("mixture", seed=3, num_seeds=2), str(workdir))
  assert summary["step"] == STEPS + 2
  assert (
    f"warning: {workdir} is already at step {STEPS + 2}, past --config.num_steps={STEPS}: "
    "nothing to train" in capsys.readouterr().out
  )
