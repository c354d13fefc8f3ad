"""Test-wide settings: fast XLA compilation, a per-session compilation cache, strict rank
promotion, a deterministic hypothesis profile."""

import os
import shutil
import subprocess
import sys
import tempfile

# The suite's time is mostly XLA:CPU compiling small programs; with the backend's optimisation
# off, compiling the generator and critic of a width-8 DCGAN took 2.0 s instead of 8.8 s. What
# is computed does not change (no fast-math either way), and subprocesses inherit it.
FAST_COMPILE = "--xla_backend_optimization_level=0"
if FAST_COMPILE not in os.environ.get("XLA_FLAGS", ""):  # pytest-xdist workers inherit it
  os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip()

# Many tests, in this process and in the `python -m experiments.*` subprocesses they start,
# compile the same smoke-config programs; JAX's persistent cache compiles each once per session.
# The folder is this process's own (never the repo, never reused) and subprocesses inherit it;
# each pytest-xdist worker makes its own, since JAX's file cache (without a size limit) takes no
# lock between one process writing an entry and another reading it.
# A cache hit runs the very executable a compilation made, so results are the same to the bit.
# `JAX_ENABLE_COMPILATION_CACHE=false` in the environment turns it off.
XLA_CACHE = tempfile.mkdtemp(prefix="wgan_jax_tests_xla_cache_")
os.environ["JAX_COMPILATION_CACHE_DIR"] = XLA_CACHE
os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"

import hypothesis  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position
from jax.experimental.compilation_cache import (  # pylint: disable=g-import-not-at-top
  compilation_cache,
)

jax.config.update("jax_numpy_rank_promotion", "raise")
# Again through the config, for when something imported jax before this file set the variables.
jax.config.update("jax_compilation_cache_dir", XLA_CACHE)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
compilation_cache.reset_cache()

hypothesis.settings.register_profile(
  "ci", max_examples=30, deadline=None, derandomize=True, print_blob=True
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A program compiled here, then again in a fresh process: there it must load from the cache.
_PROBE = (
  "jax.jit(lambda x: jax.numpy.tanh(x @ x).sum())(jax.numpy.ones((8, 8))).block_until_ready()"
)
_REREAD = f"""
import jax
hits = []
jax.monitoring.register_event_listener(lambda event, **_: hits.append(event))
{_PROBE}
print("/jax/compilation_cache/cache_hits" in hits)
"""


def _cache_problem() -> str:
  """Why the persistent cache cannot be used on this machine, or "" when it can.

  Some XLA:CPU builds reject every executable they load back, logging an error to stderr
  (jax-ml/jax#38445): no gain, and stderr lines that the tests of one-line errors would count.
  """
  if not jax.config.jax_enable_compilation_cache:
    return "JAX_ENABLE_COMPILATION_CACHE is false"
  exec(_PROBE, {"jax": jax})  # pylint: disable=exec-used  # writes the entry
  done = subprocess.run(
    [sys.executable, "-c", _REREAD], capture_output=True, text=True, timeout=300, check=False
  )
  if done.returncode or done.stdout.strip() != "True" or done.stderr.strip():
    return f"the probe did not load back cleanly: {done.stdout.strip()} {done.stderr.strip()}"
  return ""


XLA_CACHE_PROBLEM = _cache_problem()
if XLA_CACHE_PROBLEM:
  jax.config.update("jax_enable_compilation_cache", False)
  compilation_cache.reset_cache()
  os.environ["JAX_ENABLE_COMPILATION_CACHE"] = "false"


def pytest_report_header():
  if XLA_CACHE_PROBLEM:
    return f"XLA compilation cache: off ({XLA_CACHE_PROBLEM[:300]})"
  return f"XLA compilation cache: {XLA_CACHE} (this session's)"


def pytest_unconfigure():
  shutil.rmtree(XLA_CACHE, ignore_errors=True)


@pytest.fixture
def small_disk(tmp_path):
  """A 3 MB tmpfs (needs root, as CI has), unmounted afterwards."""
  disk = tmp_path / "disk"
  disk.mkdir()
  done = subprocess.run(
    ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
    capture_output=True,
    text=True,
    check=False,
  )
  if done.returncode:
    pytest.skip(f"cannot mount a tmpfs to fill (needs root): {done.stderr.strip()}")
  try:
    yield disk
  finally:
    subprocess.run(["umount", "-l", str(disk)], check=False)


def pytest_xdist_auto_num_workers(config):
  """`-n auto` (setup.cfg): one worker per usable core, at most 4. Most of the suite is XLA
  compiling small programs on one thread, so two workers on 2 cores nearly halve its time; more
  than 4 would multiply the memory of JAX processes for little gain."""
  del config
  return max(1, min(4, len(os.sched_getaffinity(0))))


def pytest_collection_modifyitems(items):
  """Modules whose every test is slow run first (each module's order kept): pytest-xdist then
  starts the longest tests (the tiny paper report alone takes 2-3 minutes) while the short ones
  fill in beside them, instead of the suite waiting for a long test that started last."""
  modules = {}
  for item in items:
    modules.setdefault(item.module.__name__, []).append(item)
  slow = {m for m, its in modules.items() if all(i.get_closest_marker("slow") for i in its)}
  items.sort(key=lambda item: item.module.__name__ not in slow)
