"""Data-parallel scaling: WGAN iterations per second on 1, 2, 4, 8 devices, one global batch.

  python3 -m benchmarks.scaling                                  # DCGAN 32x32, width 16, batch 64
  python3 -m benchmarks.scaling --devices 1 8 --image_size 64 --width 64   # the paper's model

Each device count runs in its own process (`jax_num_cpu_devices` must be set before JAX starts;
on a GPU or TPU machine the first N real devices are used). The iteration is `steps.train_step`
jitted as `train.py` jits it: state replicated, the `[n_critic, B, ...]` real batches sharded
along B, the state donated. Prints a table: steps/s (generator
iterations, each n_critic critic updates and one generator update) and images/s (real images the
critic reads, n_critic * B per iteration), medians over timed windows of `WINDOW`
iterations (a bound on queued work, which simulated devices were reported to need), and the
speed-up over the first device count.
Simulated CPU devices share the machine's cores, so they show the cost of the collectives, not a
speed-up.
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import time

WINDOW = 16  # iterations per timed window


def _parse(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4, 8])
  parser.add_argument("--image_size", type=int, default=32)
  parser.add_argument("--width", type=int, default=16, help="ngf = ndf")
  parser.add_argument("--batch_size", type=int, default=64, help="global, over all devices")
  parser.add_argument("--n_critic", type=int, default=5)
  parser.add_argument(
    "--variant",
    choices=["dcgan", "nobn"],
    default="dcgan",
    help="nobn: no batch norm in either network",
  )
  parser.add_argument("--windows", type=int, default=5, help="timed windows per device count")
  parser.add_argument("--timeout", type=int, default=900, help="seconds per device count")
  parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def _measure(args) -> dict:
  """In a fresh process: times the jitted iteration on the first `args.child` devices."""
  import jax  # pylint: disable=g-import-not-at-top

  jax.config.update("jax_num_cpu_devices", args.child)
  import numpy as np  # pylint: disable=g-import-not-at-top

  from wgan_jax import kernels, models, optim, parallel, steps  # pylint: disable=g-import-not-at-top
  from wgan_jax import state as state_lib  # pylint: disable=g-import-not-at-top
  from wgan_jax.xla_cpu import compile_options  # pylint: disable=g-import-not-at-top

  if jax.device_count() < args.child:
    return {"devices": args.child, "skipped": f"only {jax.device_count()} devices"}
  parallel.check_batch_size(args.batch_size, args.child)
  mesh = jax.make_mesh((args.child,), (parallel.DATA_AXIS,), devices=jax.devices()[: args.child])
  repl, batches = parallel.replicated(mesh), parallel.batch_sharding(mesh)
  bn, nz, shape = args.variant == "dcgan", 100, (args.image_size, args.image_size, 3)
  layers = kernels.layers_for("auto")
  create = functools.partial(
    state_lib.create_state,
    generator=models.DCGANGenerator(
      image_size=args.image_size, width=args.width, nz=nz, batch_norm=bn, layers=layers
    ),
    critic=models.DCGANCritic(
      image_size=args.image_size, width=args.width, norm="batch" if bn else "none", layers=layers
    ),
    generator_tx=optim.make_optimizer("rmsprop", 5e-5),
    critic_tx=optim.make_optimizer("rmsprop", 5e-5, clip_value=0.01),
    data_shape=shape,
    nz=nz,
    clip_value=0.01,
  )
  state = jax.jit(create, out_shardings=repl)(jax.random.key(0))
  real = (
    np.random.default_rng(0)
    .uniform(-1, 1, (args.n_critic, args.batch_size, *shape))
    .astype(np.float32)
  )
  real = parallel.global_batch(real, batches)
  step = jax.jit(
    steps.train_step,
    in_shardings=(repl, batches, repl),
    out_shardings=(repl, repl),
    donate_argnums=0,
    compiler_options=compile_options.step_compiler_options(),
  )
  key = jax.random.key(1)
  start = time.perf_counter()
  state, _ = jax.block_until_ready(step(state, real, key))
  compile_s = time.perf_counter() - start
  window, seconds = WINDOW, []
  for _ in range(args.windows):
    start = time.perf_counter()
    for _ in range(window):
      state, metrics = step(state, real, key)
    jax.block_until_ready((state, metrics))
    seconds.append((time.perf_counter() - start) / window)
  per_step = float(np.median(seconds))
  return {
    "devices": args.child,
    "device_kind": jax.devices()[0].device_kind,
    "compile_s": compile_s,
    "steps_per_s": 1 / per_step,
    "images_per_s": args.n_critic * args.batch_size / per_step,
  }


def _run_child(args, n: int) -> dict:
  argv = [sys.executable, "-m", "benchmarks.scaling", *sys.argv[1:], "--child", str(n)]
  try:
    done = subprocess.run(
      argv,
      capture_output=True,
      text=True,
      timeout=args.timeout,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
  except subprocess.TimeoutExpired:
    return {"devices": n, "skipped": f"timed out after {args.timeout} s"}
  if done.returncode:
    return {"devices": n, "skipped": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
  return json.loads(done.stdout.strip().splitlines()[-1])


def main():
  args = _parse()
  if args.child:
    print(json.dumps(_measure(args)))
    return
  print(
    f"DCGAN {args.variant} {args.image_size}x{args.image_size}, width {args.width}, global "
    f"batch {args.batch_size}, n_critic {args.n_critic}; {os.cpu_count()} CPU cores"
  )
  print(
    f"{'devices':>7}  {'kind':<12} {'compile s':>9}  {'steps/s':>8}  {'images/s':>9}  "
    f"{'speed-up':>8}"
  )
  base = None
  for n in args.devices:
    row = _run_child(args, n)
    if "skipped" in row:
      print(f"{n:>7}  skipped: {row['skipped']}")
      continue
    base = base or row["steps_per_s"]
    print(
      f"{n:>7}  {row['device_kind'][:12]:<12} {row['compile_s']:>9.1f}  "
      f"{row['steps_per_s']:>8.2f}  {row['images_per_s']:>9.0f}  "
      f"{row['steps_per_s'] / base:>8.2f}",
      flush=True,
    )


if __name__ == "__main__":
  main()
