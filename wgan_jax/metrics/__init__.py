"""Evaluation metrics: 2-D mode coverage, Frechet distance, sliced Wasserstein, digits quality,
FID and KID."""
