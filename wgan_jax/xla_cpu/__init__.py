"""Flax layers in forms XLA:CPU runs fast, and its compiler flags."""
