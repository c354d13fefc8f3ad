"""experiments/colab_tpu.ipynb: its code cells, run top to bottom as one script on CPU.

Lines starting with `!` or `%` (shell and magics) are dropped; Colab-only steps (install, Drive)
sit behind the notebook's `IN_COLAB` flag, false here. Without a TPU the notebook picks the smoke
config itself, and outside Colab it writes to a fresh temporary folder (under the test's TMPDIR).
"""

import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "experiments", "colab_tpu.ipynb")
TIMEOUT_S = 900  # a hang guard only, never a speed test


def load_notebook() -> dict:
  with open(NOTEBOOK) as f:
    return json.load(f)


def notebook_script(notebook: dict) -> str:
  """The Python of the code cells in order, without `!` and `%` lines."""
  cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
  keep = lambda line: not line.lstrip().startswith(("!", "%"))
  return "\n\n".join("\n".join(filter(keep, cell.splitlines())) for cell in cells) + "\n"


def test_notebook_is_clean_and_marks_its_placeholder():
  notebook = load_notebook()
  assert notebook["nbformat"] == 4
  code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
  assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
  script = notebook_script(notebook)
  assert re.search(r'^REPO_URL = ".*"  # <-- PLACEHOLDER', script, re.MULTILINE)
  compile(script, NOTEBOOK, "exec")


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_on_cpu(tmp_path):
  script = tmp_path / "colab_tpu.py"
  script.write_text(notebook_script(load_notebook()))
  env = {**os.environ, "TMPDIR": str(tmp_path), "JAX_PLATFORMS": "cpu"}
  try:
    done = subprocess.run(
      [sys.executable, str(script)],
      cwd=tmp_path,
      env=env,
      text=True,
      capture_output=True,
      timeout=TIMEOUT_S,
    )
  except subprocess.TimeoutExpired:
    pytest.fail(f"the notebook ran past {TIMEOUT_S} s")
  output = done.stdout + done.stderr
  assert done.returncode == 0, output[-5000:]
  assert "No TPU: running a smoke version" in done.stdout
  runs = list(tmp_path.glob("wgan_colab_*/digits_smoke"))
  assert len(runs) == 1, output[-3000:]
  samples = sorted(p.name for p in (runs[0] / "samples").glob("*.png"))
  assert samples and f"{samples[-1]}" in done.stdout
  assert re.search(r"^step 6, ", done.stdout, re.MULTILINE)
  assert (runs[0] / "checkpoints").is_dir()
