"""The critic schedule and its closed-form data position."""

from hypothesis import given
from hypothesis import strategies as st

from wgan_jax.schedule import CriticSchedule


def test_official_schedule():
  s = CriticSchedule()
  assert [s.at(i) for i in (0, 24, 25, 26, 499, 500, 501, 1000)] == [100, 100, 5, 5, 5, 100, 5, 100]
  assert CriticSchedule(warmup_steps=0, warmup_every=0).at(0) == 5


@given(st.integers(1, 9), st.integers(1, 120), st.integers(0, 30), st.integers(0, 40))
def test_batches_before_is_the_running_sum(n, warm_n, warm_steps, every):
  s = CriticSchedule(n, warm_n, warm_steps, every)
  total = 0
  for step in range(150):
    assert s.batches_before(step) == total
    total += s.at(step)
