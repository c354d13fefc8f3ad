"""Evaluation metrics: 2-D mode coverage, Frechet distance, exact and sliced Wasserstein, digits
quality, FID and KID."""
