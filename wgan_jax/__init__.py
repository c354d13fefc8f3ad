"""wgan_jax: Wasserstein GAN (Arjovsky, Chintala, Bottou 2017) in JAX and Flax."""
