"""Writes samples, or latent walks, from the latest checkpoint of a training workdir.

    python -m experiments.generate --workdir runs/digits --num 64 --grid
    python -m experiments.generate --workdir runs/digits --interpolate 8

rebuilds the networks from `runs/digits/config.json` and restores the newest checkpoint. The
first writes `runs/digits/generated/grid_step_XXXXXX.png` (upscaled so it can be seen) and the
generated values in `grid_step_XXXXXX.npy`; without `--grid`, one exact PNG per image under
`runs/digits/generated/step_XXXXXX/`; runs on 2-D data write `points_step_XXXXXX.npy`.

The second draws `--rows` pairs of noise vectors and writes, one row per pair, the images at 8
evenly spaced points of the straight line between them (`--path=slerp`: the great circle, for
a normal prior) to `walk_linear_step_XXXXXX.png` (and `.npy`, `[rows, 8, H, W, C]`): a smooth
change from left to right says the generator learned a smooth map, not a list of examples.

`--seed` picks the noise. In the workdir of a run of several seeds (`--config.num_seeds`),
`--seed_index` picks the generator (0: the first seed's) and the output goes to
`generated/seed_<s>/`. Bad input: one line on stderr, exit code 2.
"""

import os

from absl import app, flags

from experiments import cli

flags.DEFINE_string("workdir", None, "workdir of a training run (holds config.json, checkpoints/)")
flags.DEFINE_integer("num", 64, "number of samples")
flags.DEFINE_bool("grid", False, "one grid picture instead of one file per image")
flags.DEFINE_integer(
  "interpolate", 0, "write latent walks of this many images per row instead of samples (0: off)"
)
flags.DEFINE_integer("rows", 8, "latent walks: rows, each between its own pair of noise vectors")
flags.DEFINE_enum(
  "path",
  "linear",
  ["linear", "slerp"],
  "latent walks: straight lines (linear) or great circles (slerp, for a normal prior)",
)
flags.DEFINE_integer("seed", 0, "noise seed")
flags.DEFINE_integer(
  "seed_index", 0, "in a run of several seeds: which one's generator (0: the first)"
)
flags.DEFINE_string("out", None, "output folder (default: WORKDIR/generated)")


def main(argv):
  del argv
  f = flags.FLAGS
  if not os.path.isdir(f.workdir):
    cli.fail(f"--workdir {f.workdir!r} does not exist; pass the workdir of a training run")
  if f.interpolate == 1 or f.interpolate < 0:
    cli.fail(f"--interpolate {f.interpolate}: a walk needs at least 2 images per row (its ends)")
  from wgan_jax import errors, generate  # pylint: disable=g-import-not-at-top  (jax: after the checks)

  try:
    trained = generate.restore(f.workdir, seed_index=f.seed_index)
    out = f.out or os.path.join(
      f.workdir, "generated", *([f"seed_{trained.config.seed}"] if trained.num_seeds > 1 else [])
    )
    if f.interpolate:
      walk = generate.latent_walk(trained, f.rows, f.interpolate, kind=f.path, seed=f.seed)
      paths = generate.write_walk(walk, out, step=trained.step, kind=f.path)
      what = f"{f.rows} {f.path} walks of {f.interpolate}"
    else:
      samples = generate.sample(trained, f.num, seed=f.seed)
      paths = generate.write(samples, out, step=trained.step, grid=f.grid)
      what = f"{f.num} samples"
  except (errors.InputError, OSError) as e:
    cli.fail(e)
  shown = (
    ", ".join(paths) if len(paths) <= 2 else f"{len(paths)} files in {os.path.dirname(paths[0])}"
  )
  print(f"{what} of generator step {trained.step}: {shown}")


if __name__ == "__main__":
  app.run(main, flags_parser=cli.parse_flags)
