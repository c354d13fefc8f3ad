"""The report end to end at its tiny settings: report.md, every figure it references, numbers."""

import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from experiments.report import build, document, mixture_runs, settings
from wgan_jax import config_check

pytestmark = pytest.mark.slow  # end-to-end runs and subprocesses: `pytest -m "not slow"` skips them

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_tiny_report_has_every_figure_and_number(tmp_path):
  subprocess.run(
    [sys.executable, "-m", "experiments.paper_report", "--tiny", f"--workdir={tmp_path}"],
    cwd=REPO,
    check=True,
    capture_output=True,
  )
  s = settings.SETTINGS["tiny"]
  text = open(tmp_path / "report.md").read()
  figures = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
  assert figures == [
    "figures/parallel_lines.png",
    "figures/two_gaussians.png",
    "figures/estimate_vs_w1.png",
    "figures/mode_coverage.png",
    "figures/meaningful_loss.png",
    "figures/robustness.png",
  ]
  for figure in figures:
    assert os.path.getsize(tmp_path / figure) > 1000, figure
  assert "nan" not in text.lower().replace("n/a", "")
  headings = re.findall(r"^## (\d)\. (.*)$", text, re.M)
  assert [int(n) for n, _ in headings] == [1, 2, 3, 4, 5]
  assert "Figures 1-2" in headings[0][1] and "exact distance" in headings[1][1]
  assert "Mode coverage" in headings[2][1]
  # Figures 1-2: the fitted slope and its linearity, the theta descents, the gradient ratio.
  assert re.search(
    r"\*\*K = \d+\.\d{3}\*\*, intercept -?\d+\.\d{3}, \*\*R² = -?\d\.\d{3}\*\*", text
  )
  for loss in ("WGAN", "GAN minimax log(1 - D)", "GAN non-saturating -log D"):
    assert re.search(rf"^\| {re.escape(loss)} \| -?\d\.\d{{4}}, -?\d\.\d{{4}} \|", text, re.M)
  assert re.search(r"\*\*[\d.e+]+ times larger or more\*\*", text)
  # The estimate against the exact W1: every tracked 2-D run, and the digits runs.
  for dataset in build.DATASETS:
    for method in build.W1_METHODS:
      assert re.search(
        rf"^\| {document.METHOD_NAMES[method]} \| {dataset} \| \*\*-?\d\.\d\d\*\* "
        r"\(.*\) \| \*\*-?[\d.e+-]+\*\* \| \d+\.\d{3} → \d+\.\d{3} \|",
        text,
        re.M,
      )
      track = json.load(open(tmp_path / "mixtures" / dataset / method / "w1_track.json"))
      assert track["steps"] == list(range(s.w1_every, s.mixture_steps + 1, s.w1_every))
      assert np.all(np.array(track["w1"]) > 0) and track["real_w1"] > 0
  assert len(re.findall(r"Spearman rho\(.*, pixel W1\) = \*\*-?\d\.\d\d\*\*", text)) == 4
  assert len(re.findall(r"Spearman rho\(.*\) = \*\*-?\d\.\d\d\*\*", text)) == 8
  for dataset in build.DATASETS:
    for method in build.MIXTURE_METHODS:
      # the mode table: half the steps -> all of them, for every row
      assert re.search(
        rf"^\| {document.METHOD_NAMES[method]} \| {dataset} \| [\d.]+ ± [\d.]+ → \*\*[\d.]+ ± "
        r"[\d.]+\*\* \|",
        text,
        re.M,
      )
      run_dir = tmp_path / "mixtures" / dataset / method
      config = json.load(open(run_dir / "config.json"))  # one run of all seeds, by the library
      assert config["num_seeds"] == s.mixture_seeds and config["dataset"] == dataset
      assert os.path.isdir(run_dir / "checkpoints")
      for seed in range(s.mixture_seeds):
        samples = np.load(tmp_path / "mixtures" / dataset / method / f"seed_{seed}" / "samples.npy")
        assert samples.shape == (2500, 2) and samples.dtype == np.float32
  for name in settings.DIGITS_RUNS:
    assert os.path.exists(tmp_path / "digits" / name / "samples.png")


def test_mean_se_skips_nan_and_says_when_nothing_is_left():
  assert document.mean_se([1.0, 3.0, float("nan")]) == "2.00 ± 1.00"
  assert document.mean_se([float("nan")]) == "n/a"


def test_the_settled_sentence_names_the_rows_that_still_move():
  def seeds(modes, hq):  # two seeds with these means
    return [
      {"modes_captured": modes - 0.5, "high_quality_fraction": hq - 0.01},
      {"modes_captured": modes + 0.5, "high_quality_fraction": hq + 0.01},
    ]

  half = {("ring8", "gan"): seeds(7.0, 0.50), ("grid25", "wgan_gp"): seeds(20.0, 0.10)}
  final = {
    ("ring8", "gan"): (seeds(6.5, 0.52), 1.0),
    ("grid25", "wgan_gp"): (seeds(23.0, 0.40), 1.0),
  }
  text = " ".join(document._settled(final, half).split())  # pylint: disable=protected-access
  assert "modes captured moved by at most 3.0 (WGAN-GP, grid25; median over the rows 1.8)" in text
  assert "by more than 1 in WGAN-GP grid25 (+3.0)." in text
  assert (
    "fraction moved by at most 30.0 points (WGAN-GP, grid25; median over the rows 16.0)" in text
  )
  assert "by more than 5 points in WGAN-GP grid25 (+30.0)." in text
  assert "GAN ring8 (" not in text  # moved by 0.5 modes and 2 points: settled


@pytest.mark.parametrize("size", sorted(settings.SETTINGS))
def test_every_size_makes_valid_runs_with_a_half_way_table(size):
  s = settings.SETTINGS[size]
  assert s.mixture_steps % 2 == 0 and s.mixture_steps % s.w1_every == 0
  assert 1 <= s.w1_seeds <= s.mixture_seeds
  for method in build.MIXTURE_METHODS:
    for dataset in build.DATASETS:
      config_check.check(mixture_runs.mixture_config(method, dataset, s))
  for run in settings.DIGITS_RUNS:
    config_check.check(settings.digits_config(run, s))


def test_a_workdir_that_is_a_file_is_one_line_and_exit_2(tmp_path):
  (tmp_path / "afile").write_text("")
  done = subprocess.run(
    [sys.executable, "-m", "experiments.paper_report", "--quick", f"--workdir={tmp_path}/afile"],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=300,
  )
  assert done.returncode == 2
  assert done.stderr.strip().splitlines() == [
    f"error: workdir '{tmp_path}/afile' is not writable (Not a directory); pass a --workdir you "
    "can write to."
  ]


def test_sigint_stops_the_report_with_one_line_and_exit_130(tmp_path):
  process = subprocess.Popen(
    [sys.executable, "-m", "experiments.paper_report", "--tiny", f"--workdir={tmp_path}"],
    cwd=REPO,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
  )
  assert process.stdout.readline().startswith("Figure 1: ")  # blocks until the first run ends
  process.send_signal(signal.SIGINT)
  _, stderr = process.communicate(timeout=600)
  assert process.returncode == 130
  assert stderr.strip().splitlines()[-1].startswith("error: stopped by SIGINT; report.md was not")
  assert not os.path.exists(tmp_path / "report.md")


def test_a_row_stopped_by_a_signal_does_not_enter_the_table(tmp_path, monkeypatch):
  monkeypatch.setattr(
    mixture_runs.train, "train_and_evaluate", lambda *a, **k: {"stopped_by": "SIGTERM"}
  )
  with pytest.raises(mixture_runs.Stopped, match="SIGTERM"):
    mixture_runs.train_mixture("gan", "ring8", settings.SETTINGS["tiny"], workdir=str(tmp_path))
