"""The check run on device before every save (nothing non-finite is ever saved): it sees every
float leaf of a state, and only those."""

import jax
import jax.numpy as jnp

from wgan_jax import checkpoint


def test_all_finite_sees_every_float_leaf():
  tree = {
    "a": jnp.ones((3,)),
    "b": [jnp.zeros((2, 2), jnp.bfloat16), {"c": jnp.ones(())}],
    "n": jnp.arange(4),
    "key": jax.random.key(0),
  }
  check = jax.jit(checkpoint.all_finite)
  assert bool(check(tree)) and bool(checkpoint.all_finite(tree))
  for bad in (jnp.nan, jnp.inf, -jnp.inf):
    assert not bool(check({**tree, "b": [tree["b"][0], {"c": jnp.asarray(bad)}]}))
    assert not bool(check({**tree, "b": [tree["b"][0].at[1, 0].set(bad), tree["b"][1]]}))
  assert bool(check({"n": jnp.arange(3), "key": jax.random.key(1)}))  # no float leaf at all
  assert check(tree).shape == () and check(tree).dtype == jnp.bool_
