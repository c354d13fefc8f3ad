"""What every entry point shares: the `--config.FIELD` and `--workdir` flags, the method switch
`--config.loss=NAME`, one-line errors on stderr and the exit codes.

Exit codes: 0 done; 1 training diverged (a non-finite loss or parameter; nothing non-finite is
saved); 2 bad input (flags, config, workdir, data, checkpoints that do not restore); 3 a bug (an
unexpected exception, shown with its traceback); 4 the workdir's disk is full (the checkpoints it
names are intact; free space and rerun); 130 / 143 stopped by SIGINT / SIGTERM (a checkpoint was
saved when training had started; rerun the same command to resume).
"""

import difflib
import logging as std_logging
import os
import signal
import sys
import time
import traceback
import warnings

from absl import app, flags, logging
from ml_collections import config_flags

_METRIC_NAMES = {
  "wasserstein_estimate": "Wasserstein estimate",
  "js_estimate": "JS estimate",
  "m_global": "BEGAN convergence measure M",
}
EXIT_DIVERGED = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 3
EXIT_DISK_FULL = 4
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


class _Terminated(Exception):
  """SIGTERM outside the training loop (which turns it into a checkpoint and a clean stop)."""


def error(message) -> None:
  """Prints `error: message` as one line on stderr."""
  print(f"error: {' '.join(str(message).split())}", file=sys.stderr)


def fail(message, code: int = EXIT_BAD_INPUT):
  """`error(message)`, then exits with `code`."""
  error(message)
  sys.exit(code)


def _unknown_fields(argv: list[str], config) -> list[str]:
  """Config fields named by `--config.FIELD[=V]` / `--noconfig.FIELD` that `config` lacks."""
  names = [a.lstrip("-").split("=", 1)[0] for a in argv[1:] if a.startswith("-")]
  names = [n[2:] if n.startswith("noconfig.") else n for n in names]
  return [
    n[len("config.") :]
    for n in names
    if n.startswith("config.") and n[len("config.") :] not in config
  ]


def _loss_from_argv(argv: list[str]) -> str | None:
  """The value of the last `--config.loss=NAME` (or `--config.loss NAME`) in `argv`, if any."""
  loss = None
  for i, arg in enumerate(argv[1:], 1):
    name, eq, value = arg.lstrip("-").partition("=")
    if name == "config.loss" and arg.startswith("-"):
      loss = value if eq else (argv[i + 1] if i + 1 < len(argv) else None)
  return loss


def config_for_argv(get_config, argv: list[str]):
  """`get_config(loss)` for the method `--config.loss` names in `argv` (default: the config's
  own), so that one flag switches the whole published recipe; the other `--config.FIELD` flags
  then override it field by field."""
  loss = _loss_from_argv(argv)
  if loss is None:
    return get_config()
  from experiments.configs import methods  # pylint: disable=g-import-not-at-top

  try:
    methods.check_name(loss)
  except ValueError as e:
    fail(f"--config.loss={loss}: {e}")
  return get_config(loss)


def define_flags(
  get_config,
  *,
  workdir_help: str,
  argv: list[str] | None = None,
  flag_values: flags.FlagValues = flags.FLAGS,
):
  """Defines `--config` (the locked config of the method `--config.loss` names, overridable
  field by field) and `--workdir`.

  An unknown field is refused here with the valid names, before ml_collections would raise it
  as a traceback.

  Args:
    get_config: `loss -> ConfigDict`, the experiment's config factory (`loss` defaults to WGAN).
    workdir_help: the help text of `--workdir`.
    argv: the command line to read `--config.loss` from (default: `sys.argv`).
    flag_values: where to define the flags (default: absl's global `FLAGS`).
  """
  argv = sys.argv if argv is None else argv
  config = config_for_argv(get_config, argv)
  unknown = _unknown_fields(argv, config)
  if unknown:
    close = difflib.get_close_matches(unknown[0], list(config), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    fail(f"unknown config field {unknown[0]!r}{hint}; the fields are: {', '.join(sorted(config))}")
  config_flags.DEFINE_config_dict(
    "config", config, lock_config=True, flag_values=flag_values, sys_argv=argv
  )
  flags.DEFINE_string("workdir", None, workdir_help, flag_values=flag_values)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
  del category, filename, lineno, file, line
  return f"warning: {' '.join(str(message).split())}\n"


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing, with one-line errors and no stray positional arguments. Warnings print
  as one `warning: ...` line each. Logs show warnings and errors only (orbax's INFO lines would
  bury the progress bar); `--verbosity=0` brings them back."""
  warnings.formatwarning = _one_line_warning
  library_log = std_logging.getLogger("wgan_jax")
  if not library_log.handlers:  # the library's warnings (e.g. a skipped checkpoint), one line each
    handler = std_logging.StreamHandler(sys.stderr)
    handler.setFormatter(std_logging.Formatter("warning: %(message)s"))
    library_log.addHandler(handler)
    library_log.propagate = False
  try:
    rest = flags.FLAGS(argv)
  except flags.Error as e:
    fail(str(e).splitlines()[0])
  if not flags.FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)
  if len(rest) > 1:
    fail(f"unexpected arguments {rest[1:]}; pass settings as --config.FIELD=VALUE")
  if not flags.FLAGS.workdir:
    fail("--workdir is required: the folder for checkpoints, logs and pictures")
  return rest


def _raise_terminated(signum, frame):
  del signum, frame
  raise _Terminated


def run_training(config, workdir: str) -> int:
  """Trains `config` in `workdir` (resuming there), prints a summary or a one-line error, and
  returns the exit code."""
  # Imported here so that `--help` and flag errors answer without loading the library.
  from wgan_jax import errors, train  # pylint: disable=g-import-not-at-top

  t0 = time.time()
  old_handler = signal.signal(signal.SIGTERM, _raise_terminated)  # the loop swaps in its own
  try:
    summary = train.train_and_evaluate(config, workdir)
  except errors.InputError as e:
    error(e)
    return EXIT_BAD_INPUT
  except errors.TrainingDiverged as e:
    error(f"training diverged: {e}")
    return EXIT_DIVERGED
  except errors.DiskFullError as e:
    error(e.strerror if e.strerror else e)
    return EXIT_DISK_FULL
  except KeyboardInterrupt:
    error(
      "interrupted (SIGINT) before training started, or twice; no new checkpoint was saved; "
      + _rerun_from(workdir)
    )
    return EXIT_SIGNAL["SIGINT"]
  except _Terminated:
    error(
      "terminated (SIGTERM) before training started; no new checkpoint was saved; "
      + _rerun_from(workdir)
    )
    return EXIT_SIGNAL["SIGTERM"]
  except Exception:  # pylint: disable=broad-except  # a bug: keep its traceback
    return report_bug()
  finally:
    signal.signal(signal.SIGTERM, old_handler)
  print(summary_text(summary, config, seconds=time.time() - t0))
  return EXIT_SIGNAL.get(summary["stopped_by"], EXIT_BAD_INPUT) if summary["stopped_by"] else 0


def _rerun_from(workdir: str) -> str:
  """What rerunning the same command does: resume from the newest checkpoint, or start over."""
  folder = os.path.join(workdir, "checkpoints")
  steps = [int(n) for n in os.listdir(folder) if n.isdigit()] if os.path.isdir(folder) else []
  if steps:
    return f"rerun the same command to resume from step {max(steps)}"
  return "rerun the same command to start over (no checkpoint yet)"


def report_bug() -> int:
  """In an `except Exception:` block: prints the traceback and the line saying it is a bug;
  returns EXIT_BUG."""
  traceback.print_exc()
  error(
    f"unexpected error (a bug in wgan_jax, not your input; exit {EXIT_BUG}): the traceback "
    "above says where; please report it"
  )
  return EXIT_BUG


def exit_with(code: int):
  """Exits with `code`; after a signal, at once."""
  if code in EXIT_SIGNAL.values():
    # A signal can land while XLA compiles in its own threads; tearing those down at interpreter
    # exit crashed (exit 139). Everything worth keeping is written and closed by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
  sys.exit(code)


def _train_main(argv: list[str]):
  del argv
  exit_with(run_training(flags.FLAGS.config, flags.FLAGS.workdir))


def summary_text(summary: dict, config, *, seconds: float) -> str:
  """The lines printed when a run returns: steps, time, estimate, where the outputs are."""
  workdir, step = summary["workdir"], summary["step"]
  shown = summary.get("progress_metric", "wasserstein_estimate")
  estimate = summary.get("metrics", {}).get(shown, summary["wasserstein_estimate"])
  num_seeds = config.get("num_seeds", 1)
  mean = f" (mean of {num_seeds} seeds)" if num_seeds > 1 else ""
  per_seed = "seed_<s>/" if num_seeds > 1 else ""
  lines = []
  if summary["stopped_by"]:
    lines.append(
      f"stopped by {summary['stopped_by']} at generator step {step} of "
      f"{config.num_steps}; checkpoint saved in {workdir}/checkpoints/{step}; rerun "
      "the same command to resume."
    )
  else:
    lines.append(f"done: {step} generator steps.")
  lines += [
    f"time: {seconds:.0f} s in this process ({summary['seconds']:.0f} s training).",
    f"final {_METRIC_NAMES.get(shown, shown)}{mean}: "
    + ("n/a" if estimate is None else f"{estimate:.4g}"),
    f"samples: {workdir}/samples/{per_seed}step_{step:06d}.png (one every "
    f"{config.sample_every} steps)"
    + (f"; curve: {workdir}/wasserstein.png" if shown == "wasserstein_estimate" else ""),
    f"metrics: {workdir}/metrics.jsonl; tensorboard --logdir {workdir}/tensorboard",
  ]
  return "\n".join(lines)


def run(
  get_config, main=_train_main, *, workdir_help: str = "folder for checkpoints, logs, pictures"
):
  """The whole entry point: defines the flags for `get_config(loss)`, parses them and runs
  `main`."""
  define_flags(get_config, workdir_help=workdir_help)
  app.run(main, flags_parser=parse_flags)
