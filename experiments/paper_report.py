"""The paper's claims on data that ships with the install, as one report with pictures.

    python -m experiments.paper_report --workdir runs/report [--quick]

Writes `runs/report/report.md` with its figures (`figures/*.png`): the paper's Figures 1-2 (the
parallel lines of Example 1 and a critic against a discriminator on two Gaussians), the critics'
estimates against the exact Wasserstein-1 distance, the Wasserstein estimate beside a digits
quality score (paper Figures 3-4), WGAN vs the standard GAN across generators (Figures 5-7), and
mode coverage of WGAN, WGAN-GP, GAN and BEGAN on the ring and grid mixtures against the
published rows. On 2 CPU cores `--quick` takes minutes and the full report tens of minutes
(measured times: README); `--tiny` exists for the test and proves only that it runs.
Sizes: experiments/report/settings.py.
"""

import signal
import sys

from absl import app, flags

from experiments import cli

flags.DEFINE_string("workdir", None, "folder for report.md, its figures and the runs")
flags.DEFINE_bool("quick", False, "fewer steps and seeds (under 5 minutes on 2 CPU cores)")
flags.DEFINE_bool("tiny", False, "seconds-long runs, for the test only")


def _stopped(name: str):
  cli.error(
    f"stopped by {name}; report.md was not written. Rerun the same command: the report starts "
    "over, since every number in it comes from the runs of one invocation"
  )
  cli.exit_with(cli.EXIT_SIGNAL[name])


def main(argv):
  del argv
  workdir = flags.FLAGS.workdir
  # Imported here, so that --help and flag errors answer without loading JAX.
  # pylint: disable=g-import-not-at-top
  from experiments.report import build, mixture_runs, settings
  from wgan_jax import errors, run_guards

  try:
    run_guards.prepare_workdir(workdir, "figures")  # the report's first folder
  except errors.WorkdirError as e:
    cli.fail(e)

  received = []

  def on_signal(signum, frame):
    del frame
    received.append(signal.Signals(signum).name)
    raise mixture_runs.Stopped(received[-1])

  def log(line):  # after every run; also catches a signal whose exception Python swallowed
    print(line, flush=True)  # (one raised inside a garbage-collection callback is only printed)
    if received:
      raise mixture_runs.Stopped(received[0])

  for name in ("SIGINT", "SIGTERM"):
    signal.signal(getattr(signal, name), on_signal)
  size = "tiny" if flags.FLAGS.tiny else "quick" if flags.FLAGS.quick else "full"
  try:
    path = build.build_report(workdir, settings.SETTINGS[size], log=log)
  except mixture_runs.Stopped as e:
    _stopped(str(e))
  except Exception:  # pylint: disable=broad-except  # a bug: keep its traceback
    sys.exit(cli.report_bug())
  print(f"report: {path}")


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)  # one-line flag errors, no orbax INFO lines
