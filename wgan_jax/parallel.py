"""Data parallelism the current JAX way: one `jax.jit` over a 1-D device mesh.

What `pmap` did, without it: the state is replicated (`P()`), the critic batches `[N, B, ...]`
are sharded along B over the mesh axis "data", and XLA's partitioner inserts the all-reduces, so
gradients and batch-norm statistics are those of the global batch on any number of devices.
"""

import os

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from wgan_jax.errors import ConfigError

DATA_AXIS = "data"


def maybe_initialize_distributed():
  """Calls `jax.distributed.initialize()` when the environment describes a multi-process job:
  `JAX_COORDINATOR_ADDRESS` set (with `JAX_NUM_PROCESSES`, `JAX_PROCESS_ID`), a SLURM or Open MPI
  launch of several tasks, or a TPU pod slice of several hosts. One process (a GPU box, a Colab
  TPU with its 8 cores) needs nothing.
  """
  env = os.environ.get
  multi = (
    env("JAX_COORDINATOR_ADDRESS")
    or int(env("SLURM_NTASKS", "1")) > 1
    or int(env("OMPI_COMM_WORLD_SIZE", "1")) > 1
    or "," in env("TPU_WORKER_HOSTNAMES", "")
  )
  if multi and not jax.distributed.is_initialized():
    # jax reads only the address from the environment; the count and index must be passed.
    count, index = env("JAX_NUM_PROCESSES"), env("JAX_PROCESS_ID")
    jax.distributed.initialize(
      num_processes=int(count) if count else None, process_id=int(index) if index else None
    )


def make_mesh(*, explicit: bool = True) -> jax.sharding.Mesh:
  """A 1-D mesh over every device of every process.

  Args:
    explicit: shardings as part of the arrays' types (jax's default), checked op by op; False:
      XLA's partitioner places what the inputs do not fix. Runs of several seeds need False: under
      `jax.vmap` a convolution of per-seed kernels folds the seed axis into the channels with a
      reshape whose output sharding explicit mode cannot infer when B is sharded.
  """
  kind = jax.sharding.AxisType.Explicit if explicit else jax.sharding.AxisType.Auto
  return jax.make_mesh((jax.device_count(),), (DATA_AXIS,), axis_types=(kind,))


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def batch_sharding(mesh, batch_axis: int = 1) -> NamedSharding:
  """Shards axis `batch_axis` (B of `[N, B, ...]`) over the devices."""
  return NamedSharding(mesh, P(*([None] * batch_axis), DATA_AXIS))


def check_batch_size(batch_size: int, num_devices: int):
  """Raises ConfigError unless the global batch splits evenly over the devices."""
  if batch_size % num_devices:
    lower = batch_size // num_devices * num_devices
    sizes = " or ".join(str(s) for s in (lower, lower + num_devices) if s > 0)
    raise ConfigError(
      f"--config.batch_size={batch_size} does not divide over {num_devices} devices; use {sizes}."
    )


def global_batch(local_NxBxX: np.ndarray, sharding: NamedSharding) -> jax.Array:
  """This process's rows `[N, B / process_count, ...]` -> the global `[N, B, ...]` array."""
  return jax.make_array_from_process_local_data(sharding, local_NxBxX)
