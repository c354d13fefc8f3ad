#!/usr/bin/env bash
# The GPU measurements of the speed issue in one call of the device tool, prepared on CPU:
#   run(command="bash benchmarks/gpu_check.sh", timeout_s=560)
# Runs benchmarks/step_speed.py (wgan_jax vs the official PyTorch code, alternated in one process)
# at batch 64 and 256, float32 and bfloat16 mixed precision, torch eager and torch.compile, with
# the machine's own python3 (its image has JAX with CUDA, flax, optax and PyTorch), then
# benchmarks/layer_speed.py (each convolution of every layer against cuDNN's). The log goes to
# $OUT/gpu_check.log; each run has 80 s, so one slow compile costs one line, not the call.
set -uo pipefail
log=${OUT:-/tmp}/gpu_check.log
# JAX and PyTorch share the GPU in one process: JAX must not preallocate most of its memory.
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import jax, torch; print('jax', jax.__version__, jax.devices(), 'torch',
              torch.__version__, torch.cuda.is_available())"
} 2>&1 | tee "$log"
for args in "--batch_size 64" "--batch_size 256" "--batch_size 64 --dtype bfloat16" \
            "--batch_size 256 --dtype bfloat16" "--batch_size 64 --torch_compile" \
            "--batch_size 256 --dtype bfloat16 --torch_compile"; do
  echo "== python3 -m benchmarks.step_speed $args --repeats 5" | tee -a "$log"
  timeout 80 python3 -m benchmarks.step_speed $args --repeats 5 2>&1 \
    | grep -v -i warn | tail -7 | tee -a "$log"
done
echo "== python3 -m benchmarks.layer_speed --repeats 20" | tee -a "$log"
timeout 45 python3 -m benchmarks.layer_speed --repeats 20 2>&1 | grep -v -i warn | tee -a "$log"
