"""Milliseconds per convolution of the DCGAN's 4x4 stride-2 layers: wgan_jax's XLA:CPU primitives
(`wgan_jax.xla_cpu.convolutions.conv` and its gradients) against PyTorch's, alternated in one
process, one layer at a time.

  python3 -m benchmarks.layer_speed                 # the 64x64 DCGAN's layers, batch 64
  python3 -m benchmarks.layer_speed --image_size 32 --batch_size 16

A WGAN iteration is mostly these sums (benchmarks/step_speed.py times the whole of it), so this
says where wgan_jax gains or loses against PyTorch. For each of the critic's stride-2 layers,
`[B, H, H, C] -> [B, H/2, H/2, F]`, three convolutions of the same FLOPs:
- `conv`: the layer's forward (`torch.nn.functional.conv2d`);
- `transpose`: its input gradient, which is also the generator's upsampling layer the other way
  round (`torch.nn.grad.conv2d_input`);
- `kernel_grad`: its kernel gradient, with the transposes of both operands to batch-minor that
  wgan_jax's form needs (`torch.nn.grad.conv2d_weight`).
Each is jitted alone with the train step's compiler options, the gradients taken through
`conv`'s VJP as in a train step. Prints the median ms of each side,
GFLOP/s, the largest difference of the two results relative to the largest value, and last
`ratio jax/torch: X.XX`, the sum of jax's medians over the sum of torch's. Needs `torch`
(`pip install torch==2.13.0`, a CPU build).
"""

import argparse
import os
import time

import numpy as np


def _parse():
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--image_size", type=int, default=64)
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--width", type=int, default=64, help="ndf: channels of the first layer")
  parser.add_argument("--repeats", type=int, default=15, help="timed (jax, torch) pairs per op")
  parser.add_argument("--torch_threads", type=int, default=os.cpu_count())
  parser.add_argument("--torch_device", default=None, help="default: cuda if available, else cpu")
  return parser.parse_args()


def layer_shapes(image_size, width, channels=3):
  """`(H, C, F)` of the DCGAN critic's 4x4 stride-2 layers, `[B, H, H, C] -> [B, H/2, H/2, F]`,
  from the image down to the smallest map (`models.base_size`: 4x4 at the official sizes)."""
  from wgan_jax import models

  shapes, size, c, f = [], image_size, channels, width
  while size > models.base_size(image_size):
    shapes.append((size, c, f))
    size, c, f = size // 2, f, 2 * f
  return shapes


def _median_pair_ms(run_jax, run_torch, repeats):
  """Median ms of each of two functions, called alternately after two warm-ups each."""
  for _ in range(2):
    run_jax()
    run_torch()
  jax_s, torch_s = [], []
  for _ in range(repeats):
    for fn, times in ((run_jax, jax_s), (run_torch, torch_s)):
      start = time.perf_counter()
      fn()
      times.append(time.perf_counter() - start)
  return 1e3 * float(np.median(jax_s)), 1e3 * float(np.median(torch_s))


def main():
  args = _parse()
  import jax
  import torch
  from torch.nn import grad as torch_grad

  from wgan_jax.xla_cpu import compile_options, convolutions

  torch.set_num_threads(args.torch_threads)
  device = args.torch_device or ("cuda" if torch.cuda.is_available() else "cpu")
  sync = torch.cuda.synchronize if device.startswith("cuda") else lambda: None
  jit = lambda fn: jax.jit(fn, compiler_options=compile_options.step_compiler_options())
  to_torch = lambda a, axes: torch.from_numpy(np.asarray(a).transpose(axes).copy()).to(device)
  b = args.batch_size
  print(
    f"DCGAN critic layers at {args.image_size}x{args.image_size}, batch {b}, width "
    f"{args.width}, float32; jax {jax.__version__} on {jax.devices()[0].device_kind}, torch "
    f"{torch.__version__} on {device} ({torch.get_num_threads()} threads); median ms of "
    f"{args.repeats} alternated pairs"
  )
  totals = np.zeros(2)
  for h, c, f in layer_shapes(args.image_size, args.width):
    keys = jax.random.split(jax.random.key(h), 3)
    x = jax.random.normal(keys[0], (b, h, h, c))
    kernel = 0.02 * jax.random.normal(keys[1], (4, 4, c, f))
    dy = jax.random.normal(keys[2], (b, h // 2, h // 2, f))
    x_t, kernel_t, dy_t = (
      to_torch(x, (0, 3, 1, 2)),
      to_torch(kernel, (3, 2, 0, 1)),
      to_torch(dy, (0, 3, 1, 2)),
    )
    conv = lambda x, k: convolutions.conv(x, k, 2, 1)
    # The gradients as the train step gets them, through `conv`'s VJP; XLA drops the unused rest.
    input_grad = lambda x, k, dy: jax.vjp(lambda x: conv(x, k), x)[1](dy)[0]
    kernel_grad = lambda x, k, dy: jax.vjp(lambda k: conv(x, k), k)[1](dy)[0]
    ops = {  # name: (jitted jax function, its arguments, torch thunk, torch -> jax layout)
      "conv": (
        jit(conv),
        (x, kernel),
        lambda: torch.nn.functional.conv2d(x_t, kernel_t, stride=2, padding=1),
        (0, 2, 3, 1),
      ),
      "transpose": (
        jit(input_grad),
        (x, kernel, dy),
        lambda: torch_grad.conv2d_input(x_t.shape, kernel_t, dy_t, 2, 1),
        (0, 2, 3, 1),
      ),
      "kernel_grad": (
        jit(kernel_grad),
        (x, kernel, dy),
        lambda: torch_grad.conv2d_weight(x_t, kernel_t.shape, dy_t, 2, 1),
        (2, 3, 1, 0),
      ),
    }
    gflop = 2 * b * (h // 2) ** 2 * 16 * c * f / 1e9
    for name, (fn, fn_args, torch_fn, to_jax_layout) in ops.items():
      with torch.no_grad():
        ours = np.asarray(fn(*fn_args))
        theirs = torch_fn().cpu().numpy().transpose(to_jax_layout)
        difference = np.abs(ours - theirs).max() / np.abs(theirs).max()

        def run_torch():
          torch_fn()
          sync()

        jax_ms, torch_ms = _median_pair_ms(
          lambda: jax.block_until_ready(fn(*fn_args)), run_torch, args.repeats
        )
      totals += (jax_ms, torch_ms)
      layer = f"{h}x{h}x{c} -> {h // 2}x{h // 2}x{f}"
      print(
        f"{layer:22s} {name:11s}  jax {jax_ms:6.1f} ms "
        f"({gflop / jax_ms * 1e3:3.0f} GFLOP/s)  torch {torch_ms:6.1f} ms "
        f"({gflop / torch_ms * 1e3:3.0f} GFLOP/s)  ratio {jax_ms / torch_ms:.2f}  "
        f"rel. difference {difference:.0e}"
      )
  print(f"all layers: jax {totals[0]:.1f} ms, torch {totals[1]:.1f} ms")
  print(f"ratio jax/torch: {totals[0] / totals[1]:.2f}")


if __name__ == "__main__":
  main()
