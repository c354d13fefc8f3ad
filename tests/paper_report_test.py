"""The report end to end at its tiny settings: report.md, every figure it references, numbers."""
import os
import re
import subprocess
import sys

import numpy as np

from experiments.report import build, document, settings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_tiny_report_has_every_figure_and_number(tmp_path):
  subprocess.run([sys.executable, "-m", "experiments.paper_report", "--tiny",
                  f"--workdir={tmp_path}"], cwd=REPO, check=True, capture_output=True)
  s = settings.SETTINGS["tiny"]
  text = open(tmp_path / "report.md").read()
  figures = re.findall(r"\]\((figures/[^)]+\.png)\)", text)
  assert len(figures) == 3
  for figure in figures:
    assert os.path.getsize(tmp_path / figure) > 1000, figure
  assert "nan" not in text.lower().replace("n/a", "")
  assert len(re.findall(r"Spearman rho\(.*\) = \*\*-?\d\.\d\d\*\*", text)) == 4
  for dataset in build.DATASETS:
    for method in build.MIXTURE_RECIPES:
      assert f"| {document.METHOD_NAMES[method]} | {dataset} | " in text
      for seed in s.mixture_seeds:
        samples = np.load(tmp_path / "mixtures" / dataset / method / f"seed_{seed}" / "samples.npy")
        assert samples.shape == (2500, 2) and samples.dtype == np.float32
  for name in settings.DIGITS_RUNS:
    assert os.path.exists(tmp_path / "digits" / name / "samples.png")


def test_mean_se_skips_nan_and_says_when_nothing_is_left():
  assert document.mean_se([1.0, 3.0, float("nan")]) == "2.00 ± 1.00"
  assert document.mean_se([float("nan")]) == "n/a"
