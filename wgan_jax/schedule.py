"""The official code's critic schedule, and where in the data stream a generator step starts."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class CriticSchedule:
  """Critic updates per generator iteration: `warmup_n_critic` for the first `warmup_steps`
  iterations and every `warmup_every`-th, `n_critic` otherwise.

  The default is the official code's `100 if gen_iter < 25 or gen_iter % 500 == 0 else 5` ("the
  trick the paper forgot"); `warmup_steps=0, warmup_every=0` gives a constant `n_critic`.
  """

  n_critic: int = 5
  warmup_n_critic: int = 100
  warmup_steps: int = 25
  warmup_every: int = 500

  def __post_init__(self):
    if (
      self.n_critic < 1
      or self.warmup_n_critic < 1
      or self.warmup_steps < 0
      or self.warmup_every < 0
    ):
      raise ValueError(f"invalid critic schedule {self}: counts must be >= 1, steps >= 0.")

  def at(self, step: int) -> int:
    """Critic updates in generator iteration `step` (0-based)."""
    if step < self.warmup_steps or (self.warmup_every and step % self.warmup_every == 0):
      return self.warmup_n_critic
    return self.n_critic

  def batches_before(self, step: int) -> int:
    """Real batches used by iterations `0 .. step-1`: the data index where `step` starts."""
    warm = min(step, self.warmup_steps)
    if self.warmup_every:  # multiples of warmup_every in [warmup_steps, step)
      warm += max(0, (step - 1) // self.warmup_every - (self.warmup_steps - 1) // self.warmup_every)
    return warm * self.warmup_n_critic + (step - warm) * self.n_critic
