"""N seeds as one vmapped program (`--config.num_seeds=N`) against N runs one after another.

  python3 -m benchmarks.seeds                         # 2-D mixture (N = 1, 4, 10), digits smoke
  python3 -m benchmarks.seeds --configs mixture --seeds 1,4,10 --steps 300

Each run is train.py's loop without its output (no logs, pictures or checkpoints): the data
source(s) read ahead, the state built on the device mesh, `train.make_iteration`'s jitted step.
"Sequential" trains seeds 0..N-1 one after another, each its own compiled run (as N separate
commands would); "vmapped" trains them as one run of N stacked seeds. Prints, per config and N,
the wall time of everything (compiling included), the steady-state throughput in seed-steps/s
(generator steps times seeds, per second, timed after `--warmup` steps) and the ratios
sequential/vmapped (time) and vmapped/sequential (throughput), as markdown table rows.
"""

import argparse
import time

import jax

from experiments.configs import digits, mixture
from wgan_jax import data, parallel, recipe, train
from wgan_jax import seeds as seeds_lib

CONFIGS = {
  "mixture": lambda: mixture.get_config(),  # MLP 128 wide, batch 256, n_critic 5
  "digits_smoke": lambda: digits.get_config(smoke=True),  # DCGAN 16x16 width 8, batch 16
}


def _parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--configs", default="mixture,digits_smoke")
  parser.add_argument("--seeds", default="1,4,10", help="values of N, comma-separated")
  parser.add_argument("--steps", type=int, default=200, help="generator steps per run")
  parser.add_argument(
    "--warmup",
    type=int,
    default=20,
    help="steps before the steady-state timing starts (the first compiles)",
  )
  return parser.parse_args()


def _run(config, seed: int, num_seeds: int, num_steps: int, warmup: int) -> tuple[float, float]:
  """Trains `num_seeds` stacked seeds from `seed` for `num_steps`; returns (wall seconds of
  everything, generator steps per second after `warmup` steps)."""
  t0 = time.perf_counter()
  seeds = seeds_lib.Seeds.of(seed, num_seeds)
  source = train.make_source(config, seeds)
  r = recipe.build(config, source.element_shape)
  mesh = parallel.make_mesh(explicit=not seeds.stacked)
  repl = parallel.replicated(mesh)
  batches_sharding = parallel.batch_sharding(mesh, batch_axis=seeds.batch_axis)
  state = jax.jit(seeds.vmap(r.create_state), out_shardings=repl)(seeds.keys(seeds_lib.INIT))
  iterate = train.make_iteration(
    r,
    put=lambda x: parallel.global_batch(x, batches_sharding),
    vmap=seeds.vmap,
    in_shardings=(repl, batches_sharding, repl),
    out_shardings=(repl, repl),
    donate_argnums=0,
  )
  run_key = seeds.keys(seeds_lib.RUN)
  batches = seeds.batches(
    data.prefetch_batches(source, (r.schedule.at(s) for s in range(num_steps)), 0)
  )
  for step in range(num_steps):
    if step == warmup:
      jax.block_until_ready(state)
      t_steady = time.perf_counter()
    state, _ = iterate(state, next(batches), run_key)
  jax.block_until_ready(state)
  t1 = time.perf_counter()
  batches.close()
  return t1 - t0, (num_steps - warmup) / (t1 - t_steady)


def main():
  args = _parse()
  print(
    f"jax {jax.__version__}, {jax.device_count()} x {jax.devices()[0].device_kind}; "
    f"{args.steps} generator steps per run, steady state after {args.warmup}"
  )
  print(
    "| config | N | sequential: wall s | vmapped: wall s | wall ratio seq/vmap | "
    "sequential: seed-steps/s | vmapped: seed-steps/s | throughput ratio vmap/seq |"
  )
  print("|---|---|---|---|---|---|---|---|")
  for name in args.configs.split(","):
    config = CONFIGS[name]()
    for n in map(int, args.seeds.split(",")):
      runs = [_run(config, s, 1, args.steps, args.warmup) for s in range(n)]
      seq_wall, seq_rate = sum(w for w, _ in runs), sum(r for _, r in runs) / n
      vmap_wall, vmap_rate = _run(config, 0, n, args.steps, args.warmup)
      print(
        f"| {name} | {n} | {seq_wall:.1f} | {vmap_wall:.1f} | {seq_wall / vmap_wall:.2f} | "
        f"{seq_rate:.0f} | {n * vmap_rate:.0f} | {n * vmap_rate / seq_rate:.2f} |",
        flush=True,
      )


if __name__ == "__main__":
  main()
