"""`nn.BatchNorm` in training mode with its per-channel sums as matrix products.

Why: XLA:CPU splits a large reduction into a partitioned reduce-window, which ran slowly forward
and backward; a product with a vector of ones, forward (`_statistics`) and backward (a custom
VJP), is a matrix-vector product it runs at library speed. Under a data-parallel `jax.jit` the
products over a sharded batch are all-reduced as the sums were: global batch statistics.
Measurements: benchmarks/README.md.
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen import dtypes


def _statistics(x_NxC):
  """Per-channel mean and biased variance, `[C]` each, in float32."""
  weights_N = jnp.full((x_NxC.shape[0],), 1.0 / x_NxC.shape[0], jnp.float32)
  mean_C = weights_N @ x_NxC
  return mean_C, weights_N @ jnp.square(x_NxC - mean_C[None])


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def normalize(x_NxC, scale_C, bias_C, epsilon):
  """`((x - mean) * rsqrt(var + epsilon) * scale + bias, mean, var)` with batch statistics.

  Args:
    x_NxC: float32, `N` examples (batch times positions) of `C` channels.
    scale_C, bias_C: the affine parameters.
    epsilon: a float added to the variance.

  Returns:
    `(y_NxC, mean_C, var_C)`. Differentiable in reverse mode, to any order, in the first three
    inputs and through all three outputs.
  """
  return _normalize_forward(x_NxC, scale_C, bias_C, epsilon)[0]


def _normalize_forward(x_NxC, scale_C, bias_C, epsilon):
  mean_C, var_C = _statistics(x_NxC)
  rstd_C = jax.lax.rsqrt(var_C + epsilon)
  y_NxC = (x_NxC - mean_C[None]) * (rstd_C * scale_C)[None] + bias_C[None]
  return (y_NxC, mean_C, var_C), (x_NxC, mean_C, rstd_C, scale_C)


def _normalize_backward(epsilon, residuals, cotangents):
  """The textbook batch-norm gradient, plus the paths through the returned mean and variance."""
  del epsilon
  x_NxC, mean_C, rstd_C, scale_C = residuals
  dy_NxC, dmean_C, dvar_C = cotangents
  n = x_NxC.shape[0]
  ones_N = jnp.ones((n,), x_NxC.dtype)
  centered_NxC = x_NxC - mean_C[None]
  xhat_NxC = centered_NxC * rstd_C[None]
  dbias_C = ones_N @ dy_NxC
  dscale_C = ones_N @ (dy_NxC * xhat_NxC)
  dx_NxC = (rstd_C * scale_C)[None] * (dy_NxC - (dbias_C[None] + xhat_NxC * dscale_C[None]) / n) + (
    dmean_C[None] + 2.0 * dvar_C[None] * centered_NxC
  ) / n
  return dx_NxC, dscale_C, dbias_C


normalize.defvjp(_normalize_forward, _normalize_backward)


class BatchNorm(nn.BatchNorm):
  """`nn.BatchNorm`, its fields, variables and numbers, with the sums above in training mode.

  Takes this form with batch statistics over every axis but the last, `use_fast_variance=False`
  (the two-pass variance, as flax computes it then), scale and bias, float32 reductions, no
  `axis_name` and no mask; any other use runs `nn.BatchNorm`'s own code. Statistics are float32
  whatever the input; the result has flax's dtype (`dtype`, or the promoted type of input and
  parameters).
  """

  @nn.compact
  def __call__(self, x, use_running_average: bool | None = None, *, mask=None):
    running = nn.merge_param("use_running_average", self.use_running_average, use_running_average)
    if (
      running
      or mask is not None
      or self.axis not in (-1, x.ndim - 1)
      or self.axis_name is not None
      or self.use_fast_variance
      or not self.use_scale
      or not self.use_bias
      or not self.force_float32_reductions
    ):
      return super().__call__(x, use_running_average, mask=mask)
    c = x.shape[-1]
    # Created in flax's order (statistics, then scale and bias), so `init` draws the same values.
    ra_mean = self.variable("batch_stats", "mean", lambda: jnp.zeros((c,), jnp.float32))
    ra_var = self.variable("batch_stats", "var", lambda: jnp.ones((c,), jnp.float32))
    scale = self.param("scale", self.scale_init, (c,), self.param_dtype)
    bias = self.param("bias", self.bias_init, (c,), self.param_dtype)
    y_NxC, mean_C, var_C = normalize(
      x.reshape(-1, c).astype(jnp.float32),
      scale.astype(jnp.float32),
      bias.astype(jnp.float32),
      self.epsilon,
    )
    if not self.is_initializing():
      ra_mean.value = self.momentum * ra_mean.value + (1 - self.momentum) * mean_C
      ra_var.value = self.momentum * ra_var.value + (1 - self.momentum) * var_C
    return y_NxC.reshape(x.shape).astype(
      dtypes.canonicalize_dtype(x, scale, bias, dtype=self.dtype)
    )
