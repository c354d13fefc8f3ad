"""Converts pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` to the `.npz` `fid.py` loads.

Run once, where torch is installed (nothing else in wgan_jax needs it):
`python -m wgan_jax.metrics.convert_inception --pth pt_inception-2015-12-05-6726825d.pth
--out ~/.cache/wgan_jax/fid_inception.npz`. The file's SHA-256 must start with `6726825d`.
"""

import argparse

import numpy as np

from wgan_jax.metrics import fid

_BN_LEAVES = {
  "weight": ("params", "scale"),
  "bias": ("params", "bias"),
  "running_mean": ("batch_stats", "mean"),
  "running_var": ("batch_stats", "var"),
}


def convert_state_dict(state_dict):
  """Maps a pytorch-fid state dict {name: array} to flat Flax keys `collection/module/.../leaf`.

  Conv kernels go from [out, in, h, w] to [h, w, in, out]; the classifier (`fc.*`), any
  `AuxLogits.*` and `num_batches_tracked` are dropped.
  """
  flat = {}
  for name, value in state_dict.items():
    *modules, layer, leaf = name.split(".")
    value = np.asarray(value, np.float32)
    # The classifier, and torchvision's auxiliary head should a file carry one, are not FID's.
    if (
      (not modules and layer == "fc")
      or name.startswith("AuxLogits.")
      or (leaf == "num_batches_tracked")
    ):
      continue
    if layer == "conv" and leaf == "weight":
      flat["/".join(["params", *modules, "conv", "kernel"])] = value.transpose(2, 3, 1, 0)
    elif layer == "bn" and leaf in _BN_LEAVES:
      collection, new_leaf = _BN_LEAVES[leaf]
      flat["/".join([collection, *modules, "bn", new_leaf])] = value
    else:
      raise ValueError(f"unexpected parameter {name}")
  return flat


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument("--pth", required=True, help="pt_inception-2015-12-05-6726825d.pth")
  parser.add_argument("--out", required=True, help="the .npz to write")
  args = parser.parse_args(argv)
  digest = fid.sha256_of(args.pth)
  if not digest.startswith(fid.SHA256_PREFIX):
    raise SystemExit(f"{args.pth}: SHA-256 {digest} does not start with {fid.SHA256_PREFIX}")
  import torch  # pylint: disable=import-outside-toplevel  # Only this one-off step needs torch.

  state_dict = torch.load(args.pth, map_location="cpu")
  np.savez(
    args.out,
    source_sha256=digest,
    **convert_state_dict({k: v.numpy() for k, v in state_dict.items()}),
  )
  fid.load_inception(args.out)  # Fails loudly if anything is missing or misshapen.
  print(f"wrote {args.out} (source SHA-256 {digest})")


if __name__ == "__main__":
  main()
