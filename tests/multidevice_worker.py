"""Runs tiny trainings on N simulated CPU devices for `parallel_test.py`, in a fresh process.

`python tests/multidevice_worker.py --devices N --out DIR` runs `train.train_and_evaluate` on the
offline digits with a batch-norm and a no-batch-norm model (`--runs`), writes each run's final
params to `DIR/<name>_params.npz`, and writes `DIR/results.json`: each run's compilations and last
step, the batch-norm check on a sharded batch and the message of a refused batch size. The device
count must be set before JAX starts, hence a process per count.
With `--processes P --process-id I --port PORT` it is process I of a P-process job on this machine
(JAX's CPU collectives over gloo), each process with N devices and its own slice of every batch.
Every process inherits the suite's XLA_FLAGS (`conftest.py`: fast compilation), so every device
count compiles under the same flags.
"""

import argparse
import collections
import json
import logging
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

WARMUP_STEPS = 2  # iterations of WARMUP_N_CRITIC critic updates before the regular 5, not 25
# Not the official 100: a scan of 10 is a critic-schedule variant of its own all the same (its
# own compilation), and 180 fewer critic updates on simulated devices are seconds per process.
WARMUP_N_CRITIC = 10
# "bn": batch norm in both nets; 2 warm-up iterations (one scan of 10 critic updates each) and
# 2 regular ones (5 updates). "nobn": no batch norm, a constant n_critic of 5.
RUNS = {
  "bn": dict(
    generator="dcgan",
    critic="dcgan",
    critic_warmup=True,
    warmup_steps=WARMUP_STEPS,
    warmup_every=0,
    warmup_n_critic=WARMUP_N_CRITIC,
  ),
  "nobn": dict(generator="dcgan_nobn", critic="dcgan_nobn", critic_warmup=False),
}


def tiny_config(**overrides):
  from experiments.configs import base  # pylint: disable=g-import-not-at-top

  c = base.get_config()
  c.dataset, c.image_size, c.channels, c.batch_size = "digits", 16, 1, 8
  c.width_g, c.width_d, c.nz, c.num_steps = 4, 4, 8, WARMUP_STEPS + 2
  c.log_every, c.sample_every, c.checkpoint_every, c.num_samples = 1, 1000, 1000, 16
  c.update(overrides)
  return c


class CompileCounter(logging.Handler):
  """Counts JAX's "Compiling <name> ..." log records by function name."""

  def __init__(self):
    super().__init__()
    self.counts = collections.Counter()

  def emit(self, record):
    message = record.getMessage()
    if message.startswith("Compiling "):
      self.counts[message.split()[1]] += 1


def final_params(workdir: str) -> dict[str, np.ndarray]:
  """Both players' params and batch statistics of the newest checkpoint, flattened to paths."""
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top

  root = os.path.join(workdir, "checkpoints")
  step = max(int(d) for d in os.listdir(root) if d.isdigit())
  tree = ocp.StandardCheckpointer().restore(os.path.join(root, str(step), "default"))
  flat = {}
  for player in ("generator", "critic"):
    for field in ("params", "batch_stats"):
      for path, leaf in jax.tree_util.tree_leaves_with_path(tree[player][field]):
        flat[f"{player}/{field}" + jax.tree_util.keystr(path)] = np.asarray(leaf)
  return flat


def train(name: str, out: str) -> dict:
  from wgan_jax import train as train_lib  # pylint: disable=g-import-not-at-top

  counter = CompileCounter()
  logger = logging.getLogger("jax._src.interpreters.pxla")
  logger.addHandler(counter)
  try:
    with jax.log_compiles(True):
      summary = train_lib.train_and_evaluate(tiny_config(**RUNS[name]), os.path.join(out, name))
  finally:
    logger.removeHandler(counter)
  params = final_params(os.path.join(out, name))  # every process: orbax syncs them
  if jax.process_index() == 0:
    np.savez(os.path.join(out, f"{name}_params.npz"), **params)
  return {"step": summary["step"], "compiles": dict(counter.counts)}


def batch_norm_check() -> dict:
  """Largest |difference| from the unsharded one-device critic, of its output and its loss
  gradient, for (a) a batch sharded over the mesh under jit (global statistics, what train.py
  does) and (b) each device's shard normalised on its own (pmap without `axis_name`)."""
  from wgan_jax import kernels, models, parallel  # pylint: disable=g-import-not-at-top

  critic = models.DCGANCritic(
    image_size=16, channels=1, width=4, norm="batch", layers=kernels.layers_for()
  )  # as recipe.py picks them
  x_BxHxWxC = jax.random.normal(jax.random.key(1), (8, 16, 16, 1))
  variables = critic.init(jax.random.key(0), x_BxHxWxC)

  def forward(params, x):
    return critic.apply({**variables, "params": params}, x, mutable=["batch_stats"])[0]

  def out_and_grad(params, x):
    return forward(params, x), jax.grad(lambda p: jnp.mean(forward(p, x)))(params)

  reference = jax.jit(out_and_grad)(variables["params"], x_BxHxWxC)
  mesh = parallel.make_mesh()
  sharded = jax.jit(
    out_and_grad,
    in_shardings=(parallel.replicated(mesh), parallel.batch_sharding(mesh, batch_axis=0)),
  )
  global_stats = sharded(variables["params"], x_BxHxWxC)
  n = jax.device_count()
  # Jitted: op by op, the vmapped critic compiled some 120 small programs (3 s of 9).
  outs, grads = jax.jit(jax.vmap(out_and_grad, in_axes=(None, 0)))(
    variables["params"], x_BxHxWxC.reshape(n, -1, *x_BxHxWxC.shape[1:])
  )
  per_device = (outs.reshape(-1), jax.tree.map(lambda g: jnp.mean(g, axis=0), grads))
  max_diff = lambda a, b: max(
    float(jnp.max(jnp.abs(u - v))) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b))
  )
  return {
    "global_stats": max_diff(global_stats, reference),
    "per_device_stats": max_diff(per_device, reference),
    "batch_sharded": str(global_stats[0].sharding.spec),
  }


def refused_batch(out: str) -> str:
  from wgan_jax import train as train_lib  # pylint: disable=g-import-not-at-top
  from wgan_jax.errors import ConfigError  # pylint: disable=g-import-not-at-top

  config = tiny_config(**RUNS["nobn"])
  config.batch_size = 10
  try:
    train_lib.train_and_evaluate(config, os.path.join(out, "refused"))
  except ConfigError as e:
    return str(e)
  return ""


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--devices", type=int, required=True)
  parser.add_argument("--out", required=True)
  parser.add_argument("--runs", nargs="+", choices=sorted(RUNS), default=sorted(RUNS))
  parser.add_argument(
    "--processes",
    type=int,
    default=1,
    help="processes of a multi-process job on this machine (gloo collectives)",
  )
  parser.add_argument("--process-id", type=int, default=0)
  parser.add_argument("--port", type=int, default=0, help="the coordinator's port on localhost")
  args = parser.parse_args()
  if args.processes > 1:  # read by parallel.maybe_initialize_distributed in train_and_evaluate
    os.environ.update(
      JAX_COORDINATOR_ADDRESS=f"localhost:{args.port}",
      JAX_NUM_PROCESSES=str(args.processes),
      JAX_PROCESS_ID=str(args.process_id),
    )
  jax.config.update("jax_num_cpu_devices", args.devices)
  jax.config.update("jax_numpy_rank_promotion", "raise")
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  results = {"runs": {name: train(name, args.out) for name in args.runs}}
  results.update(devices=jax.device_count(), processes=jax.process_count())
  if args.devices > 1 and args.processes == 1:
    results.update(batch_norm=batch_norm_check(), refused=refused_batch(args.out))
  if jax.process_index() == 0:
    with open(os.path.join(args.out, "results.json"), "w") as f:
      json.dump(results, f, indent=1)


if __name__ == "__main__":
  main()
