"""A run's config.json: written whole or not at all (a full disk leaves the old one and is one
line), and a damaged one never blocks a resume."""

import json
import logging

import pytest

from experiments.configs import digits
from wgan_jax import train
from wgan_jax.errors import DiskFullError

pytestmark = pytest.mark.slow  # trainings


def _config(**overrides):
  config = digits.get_config(smoke=True)
  config.update({"num_steps": 2, "checkpoint_every": 2, "sample_every": 2, **overrides})
  return config


def test_a_damaged_config_json_is_passed_over_with_a_warning_and_written_again(tmp_path, caplog):
  train.train_and_evaluate(_config(), str(tmp_path))
  (tmp_path / "config.json").write_text("")  # what an in-place write on a full disk left
  with caplog.at_level(logging.WARNING):
    summary = train.train_and_evaluate(_config(num_steps=4), str(tmp_path))
  assert summary["step"] == 4
  assert [r.getMessage() for r in caplog.records if "config.json" in r.getMessage()] == [
    f"{tmp_path}/config.json does not read (Expecting value: line 1 column 1 (char 0)); the "
    "checkpoints' own shapes decide what restores, and the file is written again"
  ]
  assert json.loads((tmp_path / "config.json").read_text())["num_steps"] == 4


def test_a_full_disk_at_config_json_is_one_line_and_keeps_the_old_file(small_disk):
  workdir = small_disk / "run"
  train.train_and_evaluate(_config(), str(workdir))
  old = (workdir / "config.json").read_text()
  filler = small_disk / "filler"
  with open(filler, "wb", buffering=0) as f:  # every last block
    try:
      while f.write(b"\0" * 4096):
        pass
    except OSError:
      pass
  with pytest.raises(DiskFullError) as raised:
    train.train_and_evaluate(_config(num_steps=4), str(workdir))
  assert raised.value.strerror == (
    f"the disk holding {workdir} is full (writing {workdir}/config.json); intact checkpoints: "
    "steps 2; free space and rerun the same command (it resumes from step 2)."
  )
  assert (workdir / "config.json").read_text() == old
  assert sorted(p.name for p in workdir.iterdir() if ".tmp" in p.name) == []
  filler.unlink()
  assert train.train_and_evaluate(_config(num_steps=4), str(workdir))["step"] == 4
