"""Seconds per WGAN generator iteration (n_critic critic steps + 1 generator step): wgan_jax vs the
official PyTorch code (benchmarks/torch_reference.py), alternated in one process.

  python3 -m benchmarks.step_speed                      # DCGAN 64x64, batch 64, float32
  python3 -m benchmarks.step_speed --variant nobn --batch_size 16 --image_size 32
  python3 -m benchmarks.step_speed --torch_compile      # torch.compile instead of eager
  python3 -m benchmarks.step_speed --kernels flax       # flax's own layers (default: per backend)
  python3 -m benchmarks.step_speed --dtype bfloat16 --batch_size 256   # e.g. on a GPU

Prints medians of the iteration, critic-step and generator-step times, jax's compile time to the
first step, the process's peak resident memory (and each framework's peak device memory on a GPU),
GFLOP/s (FLOPs counted by XLA's cost analysis of the iteration, unrolled) and, last,
`ratio jax/torch: X.XX`, the median of the paired ratios. torch runs on CUDA when it can, and
`--dtype bfloat16` is mixed precision on both sides (wgan_jax's `compute_dtype`, torch's autocast;
float32 weights). Needs `torch` (`pip install torch==2.13.0`, a CPU build).
"""

import argparse
import functools
import os
import resource
import time

import numpy as np


def _parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--image_size", type=int, default=64)
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument(
    "--variant",
    choices=["dcgan", "nobn"],
    default="dcgan",
    help="nobn: the generator without batch norm (the critic keeps it)",
  )
  parser.add_argument("--n_critic", type=int, default=5)
  parser.add_argument("--repeats", type=int, default=7, help="timed (jax, torch) pairs")
  parser.add_argument("--torch_compile", action="store_true")
  parser.add_argument("--torch_threads", type=int, default=os.cpu_count())
  parser.add_argument("--xla_flags", default="", help="appended to XLA_FLAGS before jax starts")
  parser.add_argument(
    "--dtype",
    choices=["float32", "bfloat16"],
    default="float32",
    help="compute dtype (mixed precision for bfloat16; weights stay float32)",
  )
  parser.add_argument("--torch_device", default=None, help="default: cuda if available, else cpu")
  parser.add_argument(
    "--kernels",
    choices=["auto", "xla_cpu", "flax"],
    default="auto",
    help="the networks' layers, as the config field (kernels.KERNELS)",
  )
  return parser.parse_args()


def _timed(fn, *args):
  start = time.perf_counter()
  out = fn(*args)
  return out, time.perf_counter() - start


def _peak_rss_gib():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _jax_setup(args):
  """Returns jitted (iteration, critic step, generator step), a state, the real batches, a key
  and the iteration's FLOPs."""
  import jax
  import jax.numpy as jnp

  from wgan_jax import kernels, models, optim, steps
  from wgan_jax import state as state_lib
  from wgan_jax.xla_cpu import compile_options

  nz = 100
  dtype, layers = jnp.dtype(args.dtype), kernels.layers_for(args.kernels)
  generator = models.DCGANGenerator(
    image_size=args.image_size,
    nz=nz,
    batch_norm=args.variant == "dcgan",
    dtype=dtype,
    layers=layers,
  )
  critic = models.DCGANCritic(image_size=args.image_size, dtype=dtype, layers=layers)
  state = state_lib.create_state(
    jax.random.key(0),
    generator=generator,
    critic=critic,
    generator_tx=optim.make_optimizer("rmsprop", 5e-5),
    critic_tx=optim.make_optimizer("rmsprop", 5e-5, clip_value=0.01),
    data_shape=(args.image_size, args.image_size, 3),
    nz=nz,
    clip_value=0.01,
  )
  real = jax.random.uniform(
    jax.random.key(1),
    (args.n_critic, args.batch_size, args.image_size, args.image_size, 3),
    minval=-1.0,
    maxval=1.0,
  )
  jit = functools.partial(
    jax.jit, donate_argnums=0, compiler_options=compile_options.step_compiler_options()
  )
  iteration = jit(steps.train_step)  # as train.py: the critic steps in a rolled scan
  critic_step = jit(steps.critic_step)
  generator_step = jit(steps.generator_step, static_argnums=2)
  # XLA's cost analysis counts a loop body once: count the unrolled iteration (lowered only).
  unrolled = jax.jit(functools.partial(steps.train_step, unroll=True)).lower(
    state, real, jax.random.key(2)
  )
  flops = unrolled.cost_analysis().get("flops", float("nan"))
  return iteration, critic_step, generator_step, state, real, jax.random.key(2), flops


def main():
  args = _parse()
  os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + args.xla_flags).strip()
  import jax
  import torch

  from benchmarks import torch_reference
  from wgan_jax import kernels

  layer_set = "xla_cpu" if kernels.layers_for(args.kernels) is kernels.XLA_CPU_LAYERS else "flax"

  iteration, critic_step, generator_step, state, real, key, flops = _jax_setup(args)
  (state, _), compile_s = _timed(lambda: jax.block_until_ready(iteration(state, real, key)))
  jax_rss = _peak_rss_gib()

  torch.set_num_threads(args.torch_threads)
  device = args.torch_device or ("cuda" if torch.cuda.is_available() else "cpu")
  wgan = torch_reference.WGAN(
    isize=args.image_size,
    batch_norm=args.variant == "dcgan",
    compile=args.torch_compile,
    device=device,
    autocast_dtype=torch.bfloat16 if args.dtype == "bfloat16" else None,
  )
  real_torch = torch.from_numpy(np.asarray(real).transpose(0, 1, 4, 2, 3).copy()).to(device)
  _, torch_first_s = _timed(wgan.iteration, real_torch)
  torch_part = lambda fn, *args: _timed(lambda: (fn(*args), wgan.synchronize()))[1]

  def run_jax(state):
    return jax.block_until_ready(iteration(state, real, key))[0]

  def run_jax_parts(state):
    state, _ = jax.block_until_ready(critic_step(state, real[0], key))
    critic_s = time.perf_counter()
    state, _ = jax.block_until_ready(critic_step(state, real[1], key))
    critic_s = time.perf_counter() - critic_s
    state, generator_s = _timed(
      lambda: jax.block_until_ready(generator_step(state, key, args.batch_size))[0]
    )
    return state, critic_s, generator_s

  state, _, _ = run_jax_parts(state)  # compiles the separate steps
  times = {
    name: []
    for name in (
      "jax",
      "torch",
      "ratio",
      "jax_critic",
      "jax_generator",
      "torch_critic",
      "torch_generator",
    )
  }
  for _ in range(args.repeats):
    state, jax_s = _timed(run_jax, state)
    _, torch_s = _timed(wgan.iteration, real_torch)
    times["jax"].append(jax_s)
    times["torch"].append(torch_s)
    times["ratio"].append(jax_s / torch_s)
    state, critic_s, generator_s = run_jax_parts(state)
    times["jax_critic"].append(critic_s)
    times["jax_generator"].append(generator_s)
    times["torch_critic"].append(torch_part(wgan.critic_step, real_torch[0]))
    times["torch_generator"].append(torch_part(wgan.generator_step, args.batch_size))

  med = {name: float(np.median(values)) for name, values in times.items()}
  torch_name = "torch.compile" if args.torch_compile else "torch eager"
  print(
    f"DCGAN {args.variant} {args.image_size}x{args.image_size} batch {args.batch_size} "
    f"n_critic {args.n_critic} {args.dtype}, kernels {args.kernels} ({layer_set}); jax "
    f"{jax.__version__} on "
    f"{jax.devices()[0].device_kind}, torch {torch.__version__} ({torch_name} on {device}, "
    f"{torch.get_num_threads()} threads); "
    f"{args.repeats} alternated pairs; XLA_FLAGS={os.environ['XLA_FLAGS']!r}"
  )
  print(
    f"jax compile + first iteration: {compile_s:.1f} s; {torch_name} first iteration: "
    f"{torch_first_s:.1f} s"
  )
  for name in ("jax", "torch"):
    print(
      f"{name}: iteration {med[name]:.3f} s (min {min(times[name]):.3f}), "
      f"critic step {med[name + '_critic']:.3f} s, generator step "
      f"{med[name + '_generator']:.3f} s, {flops / med[name] / 1e9:.0f} GFLOP/s"
    )
  print(
    f"XLA cost analysis: {flops / 1e9:.0f} GFLOP per iteration; peak RSS {jax_rss:.2f} GiB "
    f"after jax warm-up, {_peak_rss_gib():.2f} GiB at the end (jax + torch)"
  )
  jax_stats = jax.devices()[0].memory_stats() or {}
  if "peak_bytes_in_use" in jax_stats and device.startswith("cuda"):
    print(
      f"peak device memory: jax {jax_stats['peak_bytes_in_use'] / 2**30:.2f} GiB, torch "
      f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
    )
  print("paired ratios jax/torch, sorted: " + " ".join(f"{r:.2f}" for r in sorted(times["ratio"])))
  print(f"ratio jax/torch: {med['ratio']:.2f}")


if __name__ == "__main__":
  main()
