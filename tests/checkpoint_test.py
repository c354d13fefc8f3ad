"""Checkpoints: a resume skips damaged steps and restores the newest intact one exactly, a full
disk is told in one line with nothing partial left, and architectures do not mix."""

import gc
import glob
import json
import logging
import os
import shutil
import subprocess

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from experiments.configs import base
from wgan_jax import checkpoint, models
from wgan_jax import state as state_lib
from wgan_jax.errors import CheckpointError, DiskFullError, WorkdirError


def _state(step: int, *, seed: int = 0, width: int = 8, num_hidden: int = 1):
  """A small GANState (MLP nets on points) at generator step `step`, on device."""
  s = state_lib.create_state(
    jax.random.key(seed),
    generator=models.MLPGenerator(output_shape=(2,), width=width, nz=4, num_hidden=num_hidden),
    critic=models.MLPCritic(width=width, num_hidden=num_hidden),
    generator_tx=optax.adam(1e-3),
    critic_tx=optax.rmsprop(1e-3),
    data_shape=(2,),
    nz=4,
  )
  return jax.tree.map(jnp.asarray, s.replace(generator=s.generator.replace(step=step)))


def _abstract(state):
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device), state)


def _assert_same(restored, expected):
  """Same leaves (by key path), dtypes and values, to the last bit."""
  restored, expected = (jax.tree_util.tree_flatten_with_path(t)[0] for t in (restored, expected))
  assert [path for path, _ in restored] == [path for path, _ in expected]
  for (path, a), (_, b) in zip(restored, expected):
    assert a.dtype == b.dtype, path
    np.testing.assert_array_equal(a, b, err_msg=jax.tree_util.keystr(path))


def _save(workdir, *states, max_to_keep=5):
  manager = checkpoint.make_manager(str(workdir), max_to_keep=max_to_keep)
  for s in states:
    checkpoint.save(manager, s)
  manager.close()


def _restore(workdir, abstract, max_to_keep=5):
  manager = checkpoint.make_manager(str(workdir), max_to_keep=max_to_keep)
  try:
    return checkpoint.restore_latest(manager, abstract)
  finally:
    manager.close()


def _listing(workdir):
  return sorted(os.listdir(os.path.join(workdir, "checkpoints")))


@pytest.fixture(scope="module")
def states():
  """Steps 33 and 66 with different weights, so a restore shows which one it read."""
  return _state(33, seed=0), _state(66, seed=1)


def _truncate(path):
  with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) // 2)


def _files(step_dir, pattern):
  found = sorted(glob.glob(os.path.join(step_dir, pattern)))
  assert found, f"no {pattern} in {step_dir}: orbax's layout changed, update this test"
  return found


# Damage done to step 66 beside an intact step 33, and the reason the warning should give.
DAMAGE = {
  "truncated data file": (
    lambda d: [_truncate(f) for f in _files(d, "default/d/*")],
    "truncated or corrupt",
  ),
  "truncated tree metadata": (
    lambda d: _truncate(_files(d, "default/_METADATA")[0]),
    "truncated or corrupt",
  ),
  "partial copy without data": (
    lambda d: [os.remove(f) for f in _files(d, "default/d/*")],
    "files missing",
  ),
  "partial copy without metadata": (
    lambda d: os.remove(_files(d, "default/_METADATA")[0]),
    "files missing",
  ),
  "partial copy without manifest": (
    lambda d: os.remove(_files(d, "default/manifest.ocdbt")[0]),
    "files missing",
  ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_newest_step_is_skipped_with_one_warning(damage, states, tmp_path, caplog, capfd):
  s33, s66 = states
  _save(tmp_path, s33, s66)
  DAMAGE[damage][0](str(tmp_path / "checkpoints" / "66"))
  with caplog.at_level(logging.WARNING):
    _assert_same(_restore(tmp_path, _abstract(s33)), s33)
    gc.collect()  # what orbax left behind reports now, if at all
  assert len(caplog.records) == 1, [r.getMessage() for r in caplog.records]  # nothing from orbax
  message = caplog.records[0].getMessage()
  assert caplog.records[0].levelno == logging.WARNING and "\n" not in message
  assert "checkpoint step 66 does not restore" in message and DAMAGE[damage][1] in message
  assert f"moved to {tmp_path}/checkpoints/66.unrestorable; resuming from step 33" in message
  assert _listing(tmp_path) == ["33", "66.unrestorable"]
  assert "Traceback" not in capfd.readouterr().err


def test_an_empty_step_folder_is_skipped_and_its_number_saved_again(states, tmp_path, caplog):
  s33, s66 = states
  _save(tmp_path, s33)
  os.makedirs(tmp_path / "checkpoints" / "66")
  with caplog.at_level(logging.WARNING):
    _assert_same(_restore(tmp_path, _abstract(s33)), s33)
  [record] = caplog.records
  assert "step 66 does not restore (empty folder)" in record.getMessage()
  # The moved folder blocks neither a new step 66 nor max_to_keep, which never deletes it.
  s99 = _state(99, seed=2)
  _save(tmp_path, s66, s99, max_to_keep=2)
  assert _listing(tmp_path) == ["66", "66.unrestorable", "99"]
  manager = checkpoint.make_manager(str(tmp_path), max_to_keep=2)
  assert manager.all_steps() == [66, 99] and manager.latest_step() == 99
  manager.close()
  _assert_same(_restore(tmp_path, _abstract(s33), max_to_keep=2), s99)


def test_only_damaged_steps_is_one_line_and_nothing_moved(states, tmp_path):
  s33, _ = states
  _save(tmp_path, s33)
  os.makedirs(tmp_path / "checkpoints" / "66")
  for f in _files(str(tmp_path / "checkpoints" / "33"), "default/d/*"):
    _truncate(f)
  with pytest.raises(CheckpointError) as e:
    _restore(tmp_path, _abstract(s33))
  message = str(e.value)
  assert "\n" not in message and "tensorstore" not in message
  assert "(step 66: empty folder; step 33: a file is truncated or corrupt)" in message
  assert "use a new --workdir" in message
  assert _listing(tmp_path) == ["33", "66"]


@pytest.mark.parametrize(
  "width,num_hidden,expected",
  [
    (16, 1, "critic.opt_state.0.nu.Dense_0.bias is (8,) there, (16,) now"),
    (8, 2, "critic.opt_state.0.nu.Dense_1.bias is (1,) there, (8,) now"),
  ],
)
def test_another_architecture_is_named_in_our_words(
  width, num_hidden, expected, states, tmp_path, capfd
):
  _save(tmp_path, states[0])
  with pytest.raises(CheckpointError) as e:
    _restore(tmp_path, _abstract(_state(33, width=width, num_hidden=num_hidden)))
  assert f"step 33: another architecture: {expected}" in str(e.value)
  assert "strict" not in str(e.value) and "Traceback" not in capfd.readouterr().err


def test_a_newest_step_of_another_architecture_is_skipped(states, tmp_path, caplog):
  s33, _ = states
  _save(tmp_path, s33, _state(66, width=16))
  with caplog.at_level(logging.WARNING):
    _assert_same(_restore(tmp_path, _abstract(s33)), s33)
  [record] = caplog.records
  assert "step 66 does not restore (another architecture: " in record.getMessage()


def test_no_checkpoint_restores_as_none(states, tmp_path):
  assert _restore(tmp_path, _abstract(states[0])) is None


def test_leftovers_of_a_crashed_save_are_removed_and_moved_steps_kept(states, tmp_path):
  _save(tmp_path, states[0])
  for name in ("66.orbax-checkpoint-tmp", "67.orbax-checkpoint-tmp-1733000000", "65.unrestorable"):
    os.makedirs(tmp_path / "checkpoints" / name / "default")
  checkpoint.make_manager(str(tmp_path), max_to_keep=5).close()
  assert _listing(tmp_path) == ["33", "65.unrestorable"]


@pytest.mark.slow
def test_every_file_of_a_step_deleted_or_truncated_restores_exactly(states, tmp_path):
  """Whatever single file of step 66 is lost or cut short, the resume reads exactly step 66 or
  exactly step 33, never a mix, and moves 66 aside only when it did not restore."""
  s33, s66 = states
  _save(tmp_path / "good", s33, s66)
  step_dir = tmp_path / "good" / "checkpoints" / "66"
  names = sorted(
    os.path.relpath(f, step_dir)
    for f in glob.glob(f"{step_dir}/**", recursive=True)
    if os.path.isfile(f)
  )
  outcomes = {}
  for name in names:
    for damage in (os.remove, _truncate):
      work = tmp_path / "work"
      shutil.rmtree(work, ignore_errors=True)
      shutil.copytree(tmp_path / "good", work)
      damage(str(work / "checkpoints" / "66" / name))
      restored = _restore(work, _abstract(s33))
      expected = s66 if int(restored.step) == 66 else s33
      _assert_same(restored, expected)
      assert _listing(work) == (["33", "66"] if expected is s66 else ["33", "66.unrestorable"])
      outcomes[name, damage.__name__] = int(restored.step)
  assert 33 in outcomes.values()  # the data and the tree metadata matter


def test_compare_architectures_only_against_a_checkpoint_that_exists(states, tmp_path):
  c = base.get_config().to_dict()
  (tmp_path / "config.json").write_text(json.dumps(c))
  other = {**c, "image_size": 32}
  os.makedirs(tmp_path / "checkpoints" / "66")  # a run that stopped before its first save ...
  os.makedirs(tmp_path / "checkpoints" / "67.orbax-checkpoint-tmp" / "default")
  checkpoint.check_compatible(str(tmp_path), other)  # ... holds no checkpoint: no conflict
  shutil.rmtree(tmp_path / "checkpoints")
  _save(tmp_path, states[0])
  checkpoint.check_compatible(str(tmp_path), {**c, "num_steps": 5, "lr_d": 1e-4})  # fine
  with pytest.raises(CheckpointError, match="image_size: checkpoint 64 vs now 32"):
    checkpoint.check_compatible(str(tmp_path), other)


def _free_bytes(path):
  stat = os.statvfs(path)
  return stat.f_bavail * stat.f_frsize


def test_a_full_disk_is_one_line_and_leaves_nothing_partial(small_disk, caplog, capfd):
  big = [_state(step, seed=step, width=64, num_hidden=2) for step in (1, 2, 3)]
  workdir = small_disk / "run"
  manager = checkpoint.make_manager(str(workdir), max_to_keep=10)
  free = _free_bytes(small_disk)
  checkpoint.save(manager, big[0])
  one = free - _free_bytes(small_disk)
  # Room for one more checkpoint and a half: save 2 fits, save 3 does not.
  with open(small_disk / "filler", "wb") as f:
    f.write(b"\0" * (_free_bytes(small_disk) - int(1.5 * one)))
  checkpoint.save(manager, big[1])
  # Then less than half a checkpoint: `one` measured on a busy machine can be off, not this.
  with open(small_disk / "filler2", "wb") as f:
    f.write(b"\0" * max(0, _free_bytes(small_disk) - min(16384, one // 2)))
  with caplog.at_level(logging.WARNING), pytest.raises(DiskFullError) as e:
    checkpoint.save(manager, big[2])
  folder = f"{workdir}/checkpoints"
  assert str(e.value) == (
    f"saving checkpoint step 3 to {folder}/3 failed: no space left on device; intact "
    "checkpoints: steps 1, 2; free space and rerun the same command (it resumes from step 2)."
  )
  assert not caplog.records and "Traceback" not in capfd.readouterr().err
  assert sorted(os.listdir(folder)) == ["1", "2"]  # no 3.orbax-checkpoint-tmp
  manager.close()
  _assert_same(_restore(workdir, _abstract(big[0])), big[1])

  os.remove(small_disk / "filler")  # space freed: the same manager saves again
  os.remove(small_disk / "filler2")
  manager = checkpoint.make_manager(str(workdir), max_to_keep=10)
  checkpoint.save(manager, big[2])
  manager.close()
  _assert_same(_restore(workdir, _abstract(big[0])), big[2])

  subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
  manager = checkpoint.make_manager(str(workdir), max_to_keep=10)
  with pytest.raises(
    WorkdirError,
    match="step 4 .* failed: read-only file system; intact "
    "checkpoints: steps 1, 2, 3; fix the workdir",
  ):
    checkpoint.save(manager, _state(4))
  manager.close()


def test_an_unforeseen_restore_error_is_named_by_its_first_line():
  error = ValueError("Tensorstore could not read x\n" + "detail " * 100)
  assert checkpoint._reason(error) == "unreadable (ValueError: Tensorstore could not read x)"
  assert checkpoint._reason(ValueError("y" * 300)).endswith("y...)")
