"""What stops a run and what it leaves: signals (one saves and stops; Ctrl-C again stops at once;
SIGTERM again changes nothing) and files replaced whole or not at all."""

import errno
import os
import signal

import pytest

from wgan_jax import atomic_files, run_guards


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_a_repeated_sigterm_is_ignored_and_ctrl_c_again_stops_at_once(first):
  with run_guards.StopRequest() as stop:
    os.kill(os.getpid(), first)
    assert stop.signal == first.name
    os.kill(os.getpid(), signal.SIGTERM)  # a supervisor repeating itself while the run saves
    assert stop.signal == first.name
    with pytest.raises(KeyboardInterrupt):
      os.kill(os.getpid(), signal.SIGINT)
  assert signal.getsignal(signal.SIGTERM) is not stop._handle  # handlers restored on exit


def _write_half_then_fail(tmp):
  with open(tmp, "w") as f:
    f.write("half of the new")
  raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as PIL raises it: no filename


def test_a_failed_replace_keeps_the_old_file_leaves_no_temporary_and_names_the_file(tmp_path):
  path = str(tmp_path / "picture.png")
  atomic_files.replace_text(path, "old")
  with pytest.raises(OSError) as raised:
    atomic_files.replace(path, _write_half_then_fail)
  assert raised.value.errno == errno.ENOSPC and raised.value.filename == path
  assert open(path).read() == "old" and os.listdir(tmp_path) == ["picture.png"]
  atomic_files.replace_text(path, "new")
  assert open(path).read() == "new" and os.listdir(tmp_path) == ["picture.png"]


def test_an_interrupted_replace_leaves_no_temporary(tmp_path):
  def interrupted(tmp):
    open(tmp, "w").close()
    raise KeyboardInterrupt

  with pytest.raises(KeyboardInterrupt):
    atomic_files.replace(str(tmp_path / "config.json"), interrupted)
  assert os.listdir(tmp_path) == []
