"""zslkit.models.features: features against a direct computation, and the on-disk cache."""

import logging

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms as T

from zslkit.data.datasets import load_dataset
from zslkit.models.features import (
    cache_key_for,
    cache_path,
    encode_text,
    extract_features,
    key_hash,
    pocket_features,
)


class CountingEncoder(torch.nn.Module):
    """A tiny image encoder that counts its forward calls."""

    def __init__(self, seed=0, name="counting"):
        super().__init__()
        torch.manual_seed(seed)
        self.proj = torch.nn.Linear(3 * 32 * 32, 16)
        self.calls = 0
        self.zslkit_id = {"backbone": name, "weights": {"seed": seed}}

    def encode_image(self, images):
        self.calls += 1
        return self.proj(images.flatten(1))

    def encode_text(self, tokens):
        return tokens.float() @ torch.ones(tokens.shape[1], 4) + torch.arange(4.0)


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZSLKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def pocket(**kw):
    kw = {"n_per_class": 2, "classes": "unseen", "transform": T.ToTensor(), **kw}
    return load_dataset("pocket", "test", **kw)


def test_features_equal_direct_computation_and_are_cached():
    model, ds = CountingEncoder(), pocket()
    feats, labels, info = extract_features(
        model, ds, batch_size=10, progress=False, return_info=True
    )
    x = torch.stack([T.ToTensor()(img) for img in ds.images])
    expected = F.normalize(model.proj(x.flatten(1)), dim=-1)
    torch.testing.assert_close(feats, expected, rtol=1e-5, atol=1e-6)
    assert feats.dtype == torch.float32 and labels.dtype == torch.int64
    np.testing.assert_array_equal(labels.numpy(), ds.labels)
    assert model.calls == 4 and not info["from_cache"] and info["path"] == cache_path(info["key"])
    assert info["path"].is_file()

    again, labels2, info2 = extract_features(
        model, ds, batch_size=10, progress=False, return_info=True
    )
    assert model.calls == 4 and info2["from_cache"]
    torch.testing.assert_close(again, feats, rtol=0, atol=0)
    assert torch.equal(labels2, labels)

    extract_features(model, ds, batch_size=10, progress=False, cache=False)
    assert model.calls == 8


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_cache_file_is_rebuilt(damage, caplog):
    model, ds = CountingEncoder(), pocket()
    feats, _, info = extract_features(model, ds, batch_size=64, progress=False, return_info=True)
    path = info["path"]
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":  # change feature values without breaking the file format
        data = feats.numpy().tobytes()
        start = bytes(raw).find(data[:64])
        assert start > 0
        raw[start + 8] ^= 0xFF
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(b"not a cache file")
    with caplog.at_level(logging.WARNING, logger="zslkit.models.features"):
        rebuilt, _, info2 = extract_features(
            model, ds, batch_size=64, progress=False, return_info=True
        )
    assert not info2["from_cache"] and model.calls == 2
    assert "rebuilding" in caplog.text
    torch.testing.assert_close(rebuilt, feats)
    _, _, info3 = extract_features(model, ds, batch_size=64, progress=False, return_info=True)
    assert info3["from_cache"] and model.calls == 2


def test_key_changes_with_every_component_and_only_then():
    model = CountingEncoder()
    base = key_hash(cache_key_for(model, pocket()))
    assert (
        key_hash(cache_key_for(CountingEncoder(), pocket())) == base
    )  # same inputs, fresh objects
    lam = pocket(transform=T.Compose([T.ToTensor(), T.Lambda(lambda x: x)]))
    lam2 = pocket(transform=T.Compose([T.ToTensor(), T.Lambda(lambda x: x)]))
    assert key_hash(cache_key_for(model, lam)) == key_hash(
        cache_key_for(model, lam2)
    )  # no memory addresses
    variants = {
        "weights": cache_key_for(CountingEncoder(seed=1), pocket()),
        "backbone": cache_key_for(CountingEncoder(name="other"), pocket()),
        "split": cache_key_for(
            model,
            load_dataset("pocket", "val", n_per_class=2, classes="unseen", transform=T.ToTensor()),
        ),
        "variant": cache_key_for(model, pocket(variant="noisy")),
        "n_per_class": cache_key_for(model, pocket(n_per_class=3)),
        "seed": cache_key_for(model, pocket(seed=1)),
        "classes": cache_key_for(model, pocket(classes="seen")),
        "transform": cache_key_for(
            model, pocket(transform=T.Compose([T.Resize(16), T.ToTensor()]))
        ),
        "extra": cache_key_for(model, pocket(), {"note": "x"}),
    }
    hashes = {k: key_hash(v) for k, v in variants.items()}
    assert base not in hashes.values() and len(set(hashes.values())) == len(hashes)


def test_unidentified_model_is_not_cached_unless_keyed(tmp_cache):
    model, ds = CountingEncoder(), pocket()
    model.zslkit_id = None
    _, _, info = extract_features(model, ds, progress=False, return_info=True)
    assert info["path"] is None and not (tmp_cache / "features").exists()
    _, _, info = extract_features(
        model, ds, progress=False, return_info=True, cache_key={"weights": "mine"}
    )
    assert info["path"].is_file()


def test_needs_a_transform():
    with pytest.raises(ValueError, match="transform"):
        extract_features(CountingEncoder(), pocket(transform=None), progress=False)


def test_encode_text_batches_and_normalises():
    model = CountingEncoder()
    tokenizer = lambda texts: torch.tensor([[len(t), t.count("a")] for t in texts])  # noqa: E731
    texts = ["a cat", "dog", "a banana", "x"]
    out = encode_text(model, tokenizer, texts, batch_size=3)
    expected = F.normalize(model.encode_text(tokenizer(texts)), dim=-1)
    torch.testing.assert_close(out, expected)


def test_pocket_features_equal_rendering_and_encoding_by_hand():
    """pocket_features = world.make_images at the split's seed, then the encoder, row-normalised."""
    from zslkit.data import world
    from zslkit.data.datasets import pocket_seed

    model, names = CountingEncoder(), world.load_split("default")["unseen"]
    feats, labels, info = pocket_features(
        model,
        T.ToTensor(),
        "val",
        "unseen",
        n_per_class=2,
        seed=3,
        variant="noisy",
        batch_size=7,
        return_info=True,
    )
    images, expected_labels = world.make_images(
        names, 2, variant="noisy", seed=pocket_seed(3, "val")
    )
    x = torch.stack([T.ToTensor()(img) for img in images])
    expected = model.proj(x.flatten(1))
    expected = expected / expected.norm(dim=1, keepdim=True)
    torch.testing.assert_close(feats, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), np.repeat(np.arange(len(names)), 2))
    np.testing.assert_array_equal(labels.numpy(), expected_labels)
    assert model.calls == 5 and not info["from_cache"]  # 32 images in batches of 7

    again, again_labels = pocket_features(
        model, T.ToTensor(), "val", "unseen", n_per_class=2, seed=3, variant="noisy", numpy=True
    )
    assert model.calls == 5  # read from the cache
    assert isinstance(again, np.ndarray) and isinstance(again_labels, np.ndarray)
    np.testing.assert_allclose(again, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
