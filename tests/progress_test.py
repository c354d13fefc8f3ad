"""Progress: tqdm's bar in a terminal, plain lines every few steps or seconds elsewhere."""

import io

from tqdm import tqdm

from wgan_jax import progress


class _Stream(io.StringIO):
  """A text stream that says whether it is a terminal."""

  def __init__(self, terminal: bool):
    super().__init__()
    self.terminal = terminal

  def isatty(self):
    return self.terminal


class _Clock:
  def __init__(self):
    self.now = 1000.0

  def __call__(self):
    return self.now


def test_a_terminal_gets_the_redrawn_tqdm_bar():
  stream = _Stream(terminal=True)
  with progress.bar(total=50, initial=10, file=stream) as bar:
    assert isinstance(bar, tqdm)
    bar.update(1)
    bar.set_postfix({"wasserstein_estimate": "0.125"}, refresh=True)
  assert "\r" in stream.getvalue() and "wasserstein_estimate=0.125" in stream.getvalue()
  assert "11/50" in stream.getvalue()


def test_a_file_gets_plain_lines_every_few_steps_or_seconds():
  stream, clock = _Stream(terminal=False), _Clock()
  bar = progress.LineProgress(
    total=100, initial=20, file=stream, every_steps=10, every_seconds=60, clock=clock
  )
  for step in range(21, 46):  # 2 s a step (the first 40 s: compiling); lines at 30 and 40
    clock.now += 40.0 if step == 21 else 2.0
    bar.set_postfix({"wasserstein_estimate": f"{1 / step:.3g}"}, refresh=False)
    bar.update(1)
  clock.now += 70.0
  bar.update(1)  # step 46, 70 s later: due by time
  clock.now += 1.0
  bar.update(1)
  bar.close()  # step 47: the last line
  bar.close()  # nothing new to say
  assert stream.getvalue().splitlines() == [
    "step 30/100 (30%) wasserstein_estimate=0.0333 [00:58<02:20, 0.5 step/s]",  # from step 21
    "step 40/100 (40%) wasserstein_estimate=0.025 [01:18<02:00, 0.5 step/s]",
    "step 46/100 (46%) wasserstein_estimate=0.0222 [02:38<12:00, 0.075 step/s]",  # 6 in 80 s
    "step 47/100 (47%) wasserstein_estimate=0.0222 [02:39<00:53, 1 step/s]",
  ]
  assert "\r" not in stream.getvalue()


def test_plain_mode_is_chosen_for_files_pipes_and_streams_without_isatty(tmp_path):
  with open(tmp_path / "log", "w") as f:
    assert isinstance(progress.bar(total=3, file=f), progress.LineProgress)
  assert isinstance(progress.bar(total=3, file=_Stream(terminal=False)), progress.LineProgress)

  class NoIsatty:
    def write(self, text):
      del text

  assert not progress.is_terminal(NoIsatty())


def test_default_line_spacing_and_disabled_and_warning_lines():
  stream = _Stream(terminal=False)
  bar = progress.bar(total=1500, file=stream)
  assert bar.every_steps == 75 and bar.every_seconds == progress.EVERY_SECONDS
  bar.write("warning: something")
  silent = progress.bar(total=10, file=stream, disable=True)
  for _ in range(10):
    silent.update(1)
  silent.write("not shown")
  silent.close()
  assert stream.getvalue() == "warning: something\n"
