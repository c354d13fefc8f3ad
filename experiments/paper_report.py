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

from absl import app, flags

from experiments import cli

flags.DEFINE_string("workdir", None, "folder for report.md, its figures and the runs")
flags.DEFINE_bool("quick", False, "fewer steps and seeds (under 5 minutes on 2 CPU cores)")
flags.DEFINE_bool("tiny", False, "seconds-long runs, for the test only")


def main(argv):
  del argv
  # Imported here, so that --help answers without loading JAX.
  from experiments.report import build, settings  # pylint: disable=g-import-not-at-top

  size = "tiny" if flags.FLAGS.tiny else "quick" if flags.FLAGS.quick else "full"
  path = build.build_report(flags.FLAGS.workdir, settings.SETTINGS[size])
  print(f"report: {path}")


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)  # one-line flag errors, no orbax INFO lines
