"""The official PyTorch WGAN (DCGAN_D / DCGAN_G of martinarjovsky/WassersteinGAN), a speed
reference.

Benchmark-only: needs `torch` (e.g. `pip install torch==2.13.0`, a CPU build); nothing in wgan_jax
or tests imports this module. Same architecture, initialisation, RMSprop (PyTorch defaults,
lr 5e-5) and clamp to [-0.01, 0.01] as the official `main.py`, with the paper's clip timing
(after each critic update) and the sign convention critic_loss = mean f(fake) - mean f(real).
"""

import torch
from torch import nn


def _weights_init(module):
  """The official `weights_init`: convs N(0, 0.02); batch norm weight N(1, 0.02), bias 0."""
  name = type(module).__name__
  if "Conv" in name:
    module.weight.data.normal_(0.0, 0.02)
  elif "BatchNorm" in name:
    module.weight.data.normal_(1.0, 0.02)
    module.bias.data.fill_(0)


def dcgan_critic(isize=64, nc=3, ndf=64):
  """DCGAN_D without extra layers: `[B, nc, isize, isize] -> [B]` (per-example scores)."""
  layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
  csize, cndf = isize // 2, ndf
  while csize > 4:
    layers += [
      nn.Conv2d(cndf, cndf * 2, 4, 2, 1, bias=False),
      nn.BatchNorm2d(cndf * 2),
      nn.LeakyReLU(0.2, inplace=True),
    ]
    csize, cndf = csize // 2, cndf * 2
  layers += [nn.Conv2d(cndf, 1, 4, 1, 0, bias=False), nn.Flatten(0)]
  return nn.Sequential(*layers)


def dcgan_generator(isize=64, nz=100, nc=3, ngf=64, batch_norm=True):
  """DCGAN_G (DCGAN_G_nobn when `batch_norm` is False): `[B, nz, 1, 1] -> [B, nc, isize, isize]`."""
  cngf, tisize = ngf // 2, 4
  while tisize != isize:
    cngf, tisize = cngf * 2, tisize * 2
  norm = (lambda c: [nn.BatchNorm2d(c)]) if batch_norm else (lambda c: [])
  layers = [nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False), *norm(cngf), nn.ReLU(True)]
  csize = 4
  while csize < isize // 2:
    layers += [
      nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False),
      *norm(cngf // 2),
      nn.ReLU(True),
    ]
    cngf, csize = cngf // 2, csize * 2
  layers += [nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
  return nn.Sequential(*layers)


class WGAN:
  """Both players, their RMSprop optimizers, and one-step functions.

  Attributes:
    netG, netD: the (optionally `torch.compile`d) generator and critic.
  """

  def __init__(
    self,
    *,
    isize=64,
    nz=100,
    nc=3,
    width=64,
    batch_norm=True,
    lr=5e-5,
    clip_value=0.01,
    compile=False,
    seed=0,
    device="cpu",
    autocast_dtype=None,
  ):
    torch.manual_seed(seed)
    self.nz, self.clip_value, self.device = nz, clip_value, device
    # Mixed precision as PyTorch users write it: forward passes under autocast, float32 weights.
    self._autocast = lambda: torch.autocast(
      torch.device(device).type, dtype=autocast_dtype, enabled=autocast_dtype is not None
    )
    self.netG = dcgan_generator(isize, nz, nc, width, batch_norm).to(device)
    self.netD = dcgan_critic(isize, nc, width).to(device)
    self.netG.apply(_weights_init)
    self.netD.apply(_weights_init)
    self.optD = torch.optim.RMSprop(self.netD.parameters(), lr=lr)
    self.optG = torch.optim.RMSprop(self.netG.parameters(), lr=lr)
    self._clamp()
    if compile:
      self.netG, self.netD = (torch.compile(net, dynamic=False) for net in (self.netG, self.netD))

  def _clamp(self):
    with torch.no_grad():
      for p in self.optD.param_groups[0]["params"]:
        p.clamp_(-self.clip_value, self.clip_value)

  def critic_step(self, real_BxCxHxW):
    """One critic update on a real batch and fresh noise, then the clamp. Returns the loss."""
    self.netD.requires_grad_(True)
    self.optD.zero_grad(set_to_none=True)
    noise = torch.randn(real_BxCxHxW.shape[0], self.nz, 1, 1, device=self.device)
    with self._autocast():
      with torch.no_grad():
        fake = self.netG(noise)
      critic_real = self.netD(real_BxCxHxW).float().mean()  # separate batch-norm passes
      loss = self.netD(fake).float().mean() - critic_real
    loss.backward()
    self.optD.step()
    self._clamp()
    return loss.detach()

  def generator_step(self, batch_size):
    """One generator update against the current critic. Returns the loss."""
    self.netD.requires_grad_(False)
    self.optG.zero_grad(set_to_none=True)
    with self._autocast():
      noise = torch.randn(batch_size, self.nz, 1, 1, device=self.device)
      loss = -self.netD(self.netG(noise)).float().mean()
    loss.backward()
    self.optG.step()
    return loss.detach()

  def iteration(self, real_NxBxCxHxW):
    """One generator iteration: N critic steps (a real batch each), then one generator step.
    Waits for the device, so that a timer around it measures the work."""
    for real in real_NxBxCxHxW:
      critic_loss = self.critic_step(real)
    losses = critic_loss, self.generator_step(real_NxBxCxHxW.shape[1])
    self.synchronize()
    return losses

  def synchronize(self):
    if torch.device(self.device).type == "cuda":
      torch.cuda.synchronize()
