"""FID / KID maths on closed forms, the ported InceptionV3 on random weights, the converter."""

import flax
import jax
import numpy as np
import pytest

from wgan_jax.metrics import convert_inception, fid, inception


def test_kid_closed_form_two_points():
  # d = 1, x = (0, 1), y = (1, 2), k(u, v) = (uv + 1)^3: same-set terms k(0,1) = 1 and
  # k(1,2) = 27, each counted twice over m(m-1) = 2; cross terms (1 + 1 + 8 + 27) / 4 = 9.25.
  mean, std = fid.kid(
    np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]]), subset_size=2, num_subsets=5
  )
  assert mean == pytest.approx(1 + 27 - 2 * 9.25) and std == pytest.approx(0.0, abs=1e-12)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_positive_for_two():
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
  same, same_std = fid.kid(a, b, subset_size=200, num_subsets=20)
  itself, _ = fid.kid(a, a, subset_size=200, num_subsets=20)
  shifted, _ = fid.kid(a, b + 0.5, subset_size=200, num_subsets=20)
  assert abs(same) < 3 * same_std / np.sqrt(20) + 1e-3
  assert abs(itself) < 0.05 * shifted
  assert shifted > 10 * same_std


def test_fid_of_a_set_with_itself_is_zero_and_of_a_shift_is_its_square():
  features = np.random.default_rng(1).normal(size=(500, 8))
  assert fid.fid(features, features) == pytest.approx(0.0, abs=1e-8)
  assert fid.fid(features, features + 0.5) == pytest.approx(8 * 0.25, rel=1e-6)


@pytest.fixture(scope="module")
def variables():
  return inception.init_variables(seed=0)


def test_network_on_random_weights_shape_determinism_and_batch_independence(variables):
  images = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 1)).astype(np.float32)
  features = fid.inception_features(variables, images, batch_size=2)  # A padded second batch.
  assert features.shape == (3, inception.FEATURE_DIM) and np.all(np.isfinite(features))
  assert not np.allclose(features[0], features[1])
  # Same images in other batches give the same features: inference mode, deterministic.
  np.testing.assert_allclose(
    fid.inception_features(variables, images[1:], batch_size=2), features[1:], rtol=1e-5, atol=1e-5
  )


def test_grey_images_are_repeated_to_rgb_and_resized_to_299():
  grey = np.random.default_rng(3).uniform(-1, 1, (2, 16, 16, 1)).astype(np.float32)
  rgb = inception.preprocess(grey)
  assert rgb.shape == (2, 299, 299, 3)
  np.testing.assert_array_equal(rgb, inception.preprocess(np.repeat(grey, 3, axis=-1)))
  assert float(rgb.min()) >= -1 and float(rgb.max()) <= 1


def test_parameter_count_matches_pytorch_fid(variables):
  # torchvision's inception_v3 has 27,161,264 parameters; without the auxiliary head
  # (3,326,696) and the 1000-class classifier (2,049,000) the FID trunk keeps 21,785,568.
  assert sum(x.size for x in jax.tree.leaves(variables["params"])) == 21_785_568


def _as_torch_state_dict(variables):
  """The inverse of the converter's mapping, to test it without torch."""
  inverse = {"scale": "weight", "bias": "bias", "mean": "running_mean", "var": "running_var"}
  state = {
    "fc.weight": np.zeros((1008, 2048)),
    "fc.bias": np.zeros(1008),
    "AuxLogits.conv0.conv.weight": np.zeros((128, 768, 1, 1)),
  }
  for key, value in flax.traverse_util.flatten_dict(variables, sep="/").items():
    _, *modules, layer, leaf = key.split("/")
    if leaf == "kernel":
      state[".".join([*modules, "conv", "weight"])] = value.transpose(3, 2, 0, 1)
    else:
      state[".".join([*modules, "bn", inverse[leaf]])] = value
      state[".".join([*modules, "bn", "num_batches_tracked"])] = np.zeros(())
  return state


def test_converter_round_trip_and_checks(variables, tmp_path):
  flat = convert_inception.convert_state_dict(_as_torch_state_dict(variables))
  path = tmp_path / "inception.npz"
  np.savez(path, source_sha256=fid.SHA256_PREFIX + "0" * 56, **flat)
  loaded = fid.load_inception(path)
  jax.tree.map(np.testing.assert_array_equal, loaded, jax.tree.map(np.asarray, variables))
  np.savez(path, source_sha256="deadbeef" + "0" * 56, **flat)
  with pytest.raises(ValueError, match="SHA-256"):
    fid.load_inception(path)
  del flat["params/Mixed_7c/branch_pool/conv/kernel"]
  np.savez(path, source_sha256=fid.SHA256_PREFIX, **flat)
  with pytest.raises(ValueError, match="missing"):
    fid.load_inception(path)
  with pytest.raises(ValueError, match="unexpected"):
    convert_inception.convert_state_dict({"Mixed_5b.branch1x1.conv.bias": np.zeros(3)})


def test_cached_features_computes_once(tmp_path):
  calls = []
  compute = lambda: calls.append(1) or np.ones((4, 2))
  first = fid.cached_features(tmp_path / "ref.npz", compute)
  second = fid.cached_features(tmp_path / "ref.npz", compute)
  np.testing.assert_array_equal(first, second)
  assert len(calls) == 1
