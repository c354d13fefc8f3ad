"""Evaluation metrics: mode coverage, Frechet distance, sliced Wasserstein, digits quality."""
