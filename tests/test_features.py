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


# --- precision, loader workers, pinned memory (the GPU path, tested on the CPU) ---


class Batch:
    """A CPU tensor whose ``.to(device, ...)`` records the call and stays on the CPU,
    so that the ``"cuda"`` code path runs on a machine without a GPU."""

    moves: list = []

    def __init__(self, tensor):
        self.tensor = tensor

    def to(self, device, non_blocking=False):
        Batch.moves.append((device, non_blocking))
        return self.tensor


@pytest.fixture
def fake_cuda(monkeypatch):
    """features.py as on a CUDA machine with 8 CPUs: device "cuda", torch.autocast and the
    DataLoader replaced by recorders (the loader keeps its arguments and loads in-process)."""
    from zslkit.models import features

    calls = {"autocast": [], "loader": [], "active": False}

    class Autocast:
        def __init__(self, device_type, dtype=None, enabled=True):
            calls["autocast"].append((device_type, dtype))

        def __enter__(self):
            calls["active"] = True

        def __exit__(self, *exc):
            calls["active"] = False

    real_loader = torch.utils.data.DataLoader

    def loader(dataset, **kwargs):
        calls["loader"].append(kwargs)
        inner = {**kwargs, "num_workers": 0, "pin_memory": False}
        return ((Batch(x), y) for x, y in real_loader(dataset, **inner))

    monkeypatch.setattr(features, "resolve_device", lambda device: "cuda")
    monkeypatch.setattr(torch, "autocast", Autocast)
    monkeypatch.setattr(torch.utils.data, "DataLoader", loader)
    monkeypatch.setattr(features.os, "sched_getaffinity", lambda pid: set(range(8)))
    Batch.moves = []
    return calls


class RecordingEncoder(CountingEncoder):
    """Records whether each encoder call ran inside the (mocked) autocast context."""

    def __init__(self, calls, **kw):
        super().__init__(**kw)
        self.record, self.inside = calls, []

    def encode_image(self, images):
        self.inside.append(self.record["active"])
        return super().encode_image(images)

    def encode_text(self, tokens):
        self.inside.append(self.record["active"])
        return super().encode_text(tokens)


@pytest.mark.parametrize(
    "precision, dtype", [("auto", torch.float16), ("fp16", torch.float16), ("bf16", torch.bfloat16)]
)
def test_cuda_runs_under_autocast_with_workers_and_pinned_memory(fake_cuda, precision, dtype):
    model = RecordingEncoder(fake_cuda)
    feats, _, info = extract_features(
        model, pocket(), batch_size=10, progress=False, return_info=True, precision=precision
    )
    assert fake_cuda["autocast"] == [("cuda", dtype)] * 4 and model.inside == [True] * 4
    (kwargs,) = fake_cuda["loader"]
    assert kwargs["num_workers"] == 4 and kwargs["pin_memory"] is True
    assert kwargs["batch_size"] == 10 and kwargs["shuffle"] is False
    assert Batch.moves == [("cuda", True)] * 4  # non-blocking copies from pinned memory
    assert feats.dtype == torch.float32
    assert info["key"]["precision"] == {torch.float16: "fp16", torch.bfloat16: "bf16"}[dtype]


def test_cuda_fp32_and_explicit_loader_settings(fake_cuda):
    model = RecordingEncoder(fake_cuda)
    extract_features(
        model, pocket(), progress=False, precision="fp32", num_workers=1, pin_memory=False
    )
    assert fake_cuda["autocast"] == [] and model.inside == [False]
    assert fake_cuda["loader"][0]["num_workers"] == 1
    assert fake_cuda["loader"][0]["pin_memory"] is False
    assert Batch.moves == [("cuda", False)]


def test_cuda_workers_are_capped_by_the_cpus(fake_cuda, monkeypatch):
    from zslkit.models import features

    monkeypatch.setattr(features.os, "sched_getaffinity", lambda pid: {0, 1})
    extract_features(CountingEncoder(), pocket(), progress=False, cache=False)
    assert fake_cuda["loader"][0]["num_workers"] == 2


def test_cuda_text_encoding_runs_under_autocast(fake_cuda):
    model = RecordingEncoder(fake_cuda)

    def tokenizer(texts):
        return Batch(torch.tensor([[len(t), t.count("a")] for t in texts]))

    out = encode_text(model, tokenizer, ["a cat", "dog", "a banana"], batch_size=2)
    assert fake_cuda["autocast"] == [("cuda", torch.float16)] * 2 and model.inside == [True] * 2
    assert out.dtype == torch.float32
    encode_text(model, tokenizer, ["a cat"], precision="bf16")
    encode_text(model, tokenizer, ["a cat"], precision="fp32")
    assert fake_cuda["autocast"][2:] == [("cuda", torch.bfloat16)]


def test_cpu_defaults_no_workers_no_pinning_no_autocast(monkeypatch):
    kwargs_seen = []
    real_loader = torch.utils.data.DataLoader

    def loader(dataset, **kwargs):
        kwargs_seen.append(kwargs)
        return real_loader(dataset, **kwargs)

    monkeypatch.setattr(torch.utils.data, "DataLoader", loader)
    monkeypatch.setattr(torch, "autocast", None)  # calling it would fail
    extract_features(CountingEncoder(), pocket(), progress=False)
    encode_text(CountingEncoder(), lambda t: torch.ones(len(t), 2), ["x"])
    assert kwargs_seen[0]["num_workers"] == 0 and kwargs_seen[0]["pin_memory"] is False


def test_fp32_on_cpu_is_bit_for_bit_the_plain_computation():
    """Default and "fp32" give exactly the features of encoding the same batches by hand,
    and share one cache entry, whose key is the key without any precision entry."""
    model, ds = CountingEncoder(), pocket()
    x = torch.stack([T.ToTensor()(img) for img in ds.images])
    with torch.no_grad():
        expected = torch.cat([F.normalize(model.proj(b.flatten(1)), dim=-1) for b in x.split(10)])
    auto, _, info = extract_features(model, ds, batch_size=10, progress=False, return_info=True)
    fp32, _, info32 = extract_features(
        model, ds, batch_size=10, progress=False, return_info=True, precision="fp32", cache=False
    )
    assert torch.equal(auto, expected) and torch.equal(fp32, expected)
    assert "precision" not in info["key"] and info["key"] == cache_key_for(model, ds)
    assert info32["key"] == info["key"]


def test_precisions_never_share_cache_entries():
    model, ds = CountingEncoder(), pocket()
    keys = {p: cache_key_for(model, ds, precision=p) for p in ("fp32", "bf16", "fp16")}
    assert len({key_hash(k) for k in keys.values()}) == 3
    assert cache_key_for(model, ds, {"precision": "fp32"}, precision="bf16") == keys["bf16"]

    fp32, _, i32 = extract_features(model, ds, batch_size=64, progress=False, return_info=True)
    bf16, _, i16 = extract_features(
        model, ds, batch_size=64, progress=False, return_info=True, precision="bf16"
    )
    assert model.calls == 2 and not i16["from_cache"]  # the fp32 entry was not used
    assert i16["path"] != i32["path"] and i16["path"].is_file() and i32["path"].is_file()
    assert bf16.dtype == torch.float32 and not torch.equal(bf16, fp32)  # autocast did run
    torch.testing.assert_close(bf16, fp32, rtol=0, atol=2e-2)  # bf16 keeps ~3 digits
    again, _, i16b = extract_features(
        model, ds, batch_size=64, progress=False, return_info=True, precision="bf16"
    )
    assert model.calls == 2 and i16b["from_cache"] and torch.equal(again, bf16)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"precision": "fp64"}, r"precision='fp64' is not valid; choose one of: 'auto', 'fp32'"),
        ({"precision": "fp16"}, r"precision='fp16' needs device='cuda'.*'fp32', 'bf16'"),
        ({"num_workers": -1}, r"num_workers=-1 is out of range"),
        ({"pin_memory": "yes"}, r"pin_memory='yes' is not valid"),
    ],
)
def test_bad_gpu_settings_fail_before_any_work(kwargs, match):
    model = CountingEncoder()
    with pytest.raises(ValueError, match=match):
        extract_features(model, pocket(), progress=False, **kwargs)
    assert model.calls == 0
    if "precision" in kwargs:
        with pytest.raises(ValueError, match=match):
            encode_text(model, lambda t: torch.ones(len(t), 2), ["x"], **kwargs)


def test_bench_features_runs_and_agrees_with_clip_benchmark():
    """The benchmark script at a tiny scale (ToyCLIP, 20 JPEGs): both paths predict the same."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("clip_benchmark")
    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_features.py"
    args = ["--n", "20", "--model", "toyclip", "--workers", "0", "--repeats", "1", "--quiet"]
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "same predictions: 20 of 20" in proc.stdout and "images/s" in proc.stdout
