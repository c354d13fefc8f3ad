"""Each method's published training recipe: the fields `--config.loss=NAME` switches together.

Sources: WGAN, Arjovsky et al. 2017 (Algorithm 1: RMSprop 5e-5, c = 0.01, n_critic 5) and the
official code (github.com/martinarjovsky/WassersteinGAN, main.py: the critic warm-up of 100
updates for the first 25 generator steps and every 500th); WGAN-GP, Gulrajani et al. 2017
(Algorithm 1: Adam 1e-4, betas (0, 0.9), lambda 10, n_critic 5, no batch norm in the critic);
the standard GAN as the WGAN paper's baseline (DCGAN, Radford et al. 2016: Adam 2e-4, beta1 0.5,
one discriminator step); BEGAN, Berthelot et al. 2017 (Sec. 4: Adam 1e-4, batch 16, h = 64,
z ~ U[-1, 1]^64, its own autoencoder nets).
"""

import ml_collections

NAMES = ("wgan", "wgan_gp", "gan", "began")

_ADAM = dict(
  optimizer="adam",
  beta1=0.5,
  beta2=0.999,
  clip_value=0.0,
  critic_warmup=False,
  generator="dcgan",
  critic="dcgan",
  nz=100,
  batch_size=64,
)
PUBLISHED = {
  "wgan": dict(
    _ADAM, optimizer="rmsprop", lr=5e-5, clip_value=0.01, n_critic=5, critic_warmup=True
  ),
  "wgan_gp": dict(_ADAM, lr=1e-4, beta1=0.0, beta2=0.9, n_critic=5, critic="dcgan_layernorm"),
  "gan": dict(_ADAM, lr=2e-4, n_critic=1),
  "began": dict(
    _ADAM, lr=1e-4, n_critic=1, generator="began", critic="began", nz=64, batch_size=16
  ),
}
# On 2-D points, where the method's authors published a toy recipe of their own: WGAN-GP's toy
# code (Gulrajani et al. 2017, gan_toy.py) uses lambda 0.1 and Adam betas (0.5, 0.9). With the
# image recipe's lambda 10 and beta1 0, 10 seeds on ring8 captured 1.1 of 8 modes after 3,000
# steps; with the toy code's, 3 seeds captured 7, 8 and 8 after 1,500.
POINTS = {"wgan_gp": dict(gp_weight=0.1, beta1=0.5)}


def check_name(loss: str) -> str:
  """`loss` if it names a method, else ValueError with the valid names."""
  if loss not in PUBLISHED:
    raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(NAMES)}")
  return loss


def apply(c: ml_collections.ConfigDict, loss: str, *, points: bool = False):
  """Sets `c.loss` and the method's recipe fields on `c` (lr for both players).

  Args:
    c: a config with every field of `base.get_config()`.
    loss: "wgan", "wgan_gp", "gan" or "began".
    points: 2-D data, whose networks are MLPs (BEGAN's critic: its dense autoencoder), with the
      method's toy recipe where one was published (`POINTS`).

  Raises:
    ValueError: an unknown `loss`.
  """
  recipe = dict(PUBLISHED[check_name(loss)])
  lr = recipe.pop("lr")
  c.loss, c.lr_g, c.lr_d = loss, lr, lr
  if points:
    recipe.update(generator="mlp", critic="began" if loss == "began" else "mlp")
    recipe.update(POINTS.get(loss, {}))
    del recipe["nz"], recipe["batch_size"]
  for field, value in recipe.items():
    c[field] = value
