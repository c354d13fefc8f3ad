#!/bin/sh
# Regenerates the README's pictures from the offline quickstart: its final sample grid, its
# Wasserstein curve and a latent walk of its generator (about 4-7 minutes on 2 CPU cores).
#
#     sh docs/make_readme_pictures.sh [WORKDIR]      (default WORKDIR: /tmp/wgan_jax_readme)
#
# A WORKDIR that already holds the finished run is reused as it is (training resumes and stops
# at once). PYTHON picks the interpreter (default: python).
set -eu
cd "$(dirname "$0")/.."
workdir=${1:-/tmp/wgan_jax_readme}
python=${PYTHON:-python}
PYTHONPATH=$PWD "$python" -m experiments.digits_wgan --workdir "$workdir"
PYTHONPATH=$PWD "$python" -m experiments.generate --workdir "$workdir" --interpolate 8 \
    --out "$workdir/generated"
cp "$workdir/samples/step_001500.png" docs/quickstart_samples.png
cp "$workdir/wasserstein.png" docs/quickstart_wasserstein.png
cp "$workdir/generated/walk_linear_step_001500.png" docs/quickstart_walk.png
ls -l docs/*.png
