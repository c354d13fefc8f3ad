"""Writes samples from the latest checkpoint of a training workdir.

    python -m experiments.generate --workdir runs/digits --num 64 --grid

rebuilds the networks from `runs/digits/config.json`, restores the newest checkpoint and writes
`runs/digits/generated/grid_step_XXXXXX.png` (with `--grid`) or one PNG per image under
`runs/digits/generated/step_XXXXXX/`; runs on 2-D data write `points_step_XXXXXX.npy`.
`--seed` picks the noise. Bad input: one line on stderr, exit code 2.
"""
import os

from absl import app
from absl import flags

from experiments import cli

flags.DEFINE_string("workdir", None, "workdir of a training run (holds config.json, checkpoints/)")
flags.DEFINE_integer("num", 64, "number of samples")
flags.DEFINE_bool("grid", False, "one grid picture instead of one file per image")
flags.DEFINE_integer("seed", 0, "noise seed")
flags.DEFINE_string("out", None, "output folder (default: WORKDIR/generated)")


def main(argv):
  del argv
  from wgan_jax import errors, generate  # pylint: disable=g-import-not-at-top
  f = flags.FLAGS
  if not os.path.isdir(f.workdir):
    cli.fail(f"--workdir {f.workdir!r} does not exist; pass the workdir of a training run")
  try:
    trained = generate.restore(f.workdir)
    samples = generate.sample(trained, f.num, seed=f.seed)
    paths = generate.write(samples, f.out or os.path.join(f.workdir, "generated"),
                           step=trained.step, grid=f.grid)
  except (errors.InputError, OSError) as e:
    cli.fail(e)
  shown = paths[0] if len(paths) == 1 else f"{len(paths)} files in {os.path.dirname(paths[0])}"
  print(f"{f.num} samples of generator step {trained.step}: {shown}")


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
