#!/usr/bin/env bash
# The GPU measurements in one call of the device tool, prepared on CPU:
#   run(command="bash benchmarks/gpu_check.sh", timeout_s=560)
# Runs benchmarks/step_speed.py (wgan_jax vs the official PyTorch code, alternated in one process)
# with both layer sets, flax's own (what `kernels="auto"` picks off CPU) and the XLA:CPU forms
# (`--kernels xla_cpu`), at batch 64 and 256 in float32 and at batch 256 in bfloat16 mixed
# precision, then once against torch.compile, with the machine's own python3 (its image has JAX
# with CUDA, flax, optax and PyTorch), then benchmarks/layer_speed.py (each convolution of every
# layer against cuDNN's). Keep the faster layer set per backend in wgan_jax/kernels.py. The log
# goes to $OUT/gpu_check.log; each run has 70 s, so one slow compile costs one line, not the call.
set -uo pipefail
log=${OUT:-/tmp}/gpu_check.log
# JAX and PyTorch share the GPU in one process: JAX must not preallocate most of its memory.
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import jax, torch; print('jax', jax.__version__, jax.devices(), 'torch',
              torch.__version__, torch.cuda.is_available())"
} 2>&1 | tee "$log"
for args in "--batch_size 64" "--batch_size 256" "--batch_size 256 --dtype bfloat16"; do
  for kernels in flax xla_cpu; do
    echo "== python3 -m benchmarks.step_speed $args --kernels $kernels --repeats 5" | tee -a "$log"
    timeout 70 python3 -m benchmarks.step_speed $args --kernels $kernels --repeats 5 2>&1 \
      | grep -v -i warn | tail -7 | tee -a "$log"
  done
done
echo "== python3 -m benchmarks.step_speed --batch_size 256 --dtype bfloat16 --torch_compile" \
  | tee -a "$log"
timeout 70 python3 -m benchmarks.step_speed --batch_size 256 --dtype bfloat16 --torch_compile \
  --repeats 5 2>&1 | grep -v -i warn | tail -7 | tee -a "$log"
echo "== python3 -m benchmarks.layer_speed --repeats 20" | tee -a "$log"
timeout 45 python3 -m benchmarks.layer_speed --repeats 20 2>&1 | grep -v -i warn | tee -a "$log"
