"""zslkit.models.backbones: the registry, the fast offline failure, local weights, ToyCLIP."""

import socket
import time

import open_clip
import pytest
import torch
from PIL import Image

from zslkit.lab import toyclip
from zslkit.models import backbones
from zslkit.models.backbones import (
    WeightsUnavailableError,
    cached_weights,
    can_connect,
    list_backbones,
    load_backbone,
)


def test_registry_and_bad_names():
    names = list_backbones()
    assert names[0] == "toyclip" and set(open_clip.list_models()) <= set(names)
    with pytest.raises(ValueError, match="list_backbones"):
        load_backbone("ViT-Q-99")
    with pytest.raises(ValueError, match="openai"):
        load_backbone("ViT-B-32", pretrained="no_such_tag")


@pytest.mark.parametrize("how", ["HF_HUB_OFFLINE", "unreachable"])
def test_uncached_tag_offline_fails_fast_with_help(tmp_path, monkeypatch, how):
    if how == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        monkeypatch.setattr(backbones, "can_connect", lambda *a, **k: False)
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError) as err:
        load_backbone("ViT-B-32", pretrained="openai", cache_dir=tmp_path)
    assert time.perf_counter() - start < 5
    message = str(err.value)
    assert "pretrained='/path/to/weights.pt'" in message
    assert str(tmp_path) in message and "timm/vit_base_patch32_clip_224.openai" in message
    assert "HF_HUB_OFFLINE" in message


def test_cached_weights_finds_hub_and_url_caches(tmp_path):
    cfg = open_clip.get_pretrained_cfg("RN50", "yfcc15m")  # has both an hf_hub entry and a URL
    assert cached_weights(cfg, tmp_path) is None
    snapshot = tmp_path / "models--timm--resnet50_clip.yfcc15m" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "models--timm--resnet50_clip.yfcc15m" / "refs").mkdir()
    (tmp_path / "models--timm--resnet50_clip.yfcc15m" / "refs" / "main").write_text("abc123")
    (snapshot / "open_clip_model.safetensors").write_bytes(b"x")
    assert cached_weights(cfg, tmp_path) == str(snapshot / "open_clip_model.safetensors")
    url_only = {"url": cfg["url"], "hf_hub": ""}
    assert cached_weights(url_only, tmp_path) is None
    (tmp_path / cfg["url"].rsplit("/", 1)[1]).write_bytes(b"x")
    assert cached_weights(url_only, tmp_path) == str(tmp_path / cfg["url"].rsplit("/", 1)[1])


def test_cached_tag_loads_offline_with_the_tags_preprocessing(tmp_path, monkeypatch):
    """A tag whose weights sit in the hub cache loads with HF_HUB_OFFLINE=1, by path, keeping the tag's mean/std."""
    config = tmp_path / "configs" / "TinyTagged.json"
    config.parent.mkdir()
    config.write_text(toyclip.CONFIG_PATH.read_text())
    open_clip.add_model_config(config)
    tag = {
        "hf_hub": "zslkit-test/tiny-tagged/",
        "url": "",
        "mean": (0.5, 0.5, 0.5),
        "std": (0.25, 0.25, 0.25),
    }
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "TinyTagged", {"pocket": tag})
    torch.manual_seed(2)
    reference = open_clip.create_model("TinyTagged", pretrained=None)
    repo = tmp_path / "hub" / "models--zslkit-test--tiny-tagged"
    (repo / "snapshots" / "r1").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("r1")
    torch.save(reference.state_dict(), repo / "snapshots" / "r1" / "open_clip_pytorch_model.bin")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, preprocess, _ = load_backbone(
        "TinyTagged", pretrained="pocket", cache_dir=tmp_path / "hub"
    )
    for a, b in zip(reference.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    normalize = preprocess.transforms[-1]
    assert tuple(normalize.mean) == tag["mean"] and tuple(normalize.std) == tag["std"]
    assert model.zslkit_id == {"backbone": "TinyTagged", "weights": {"tag": "pocket"}}


def test_can_connect_local_sockets():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        assert can_connect("127.0.0.1", port, timeout=1, tls=False)
        assert not can_connect("127.0.0.1", port, timeout=1, tls=True)  # answers, but speaks no TLS
    finally:
        server.close()
    assert not can_connect("127.0.0.1", port, timeout=1, tls=False)


def test_random_init_triple_works():
    model, preprocess, tokenizer = load_backbone("ViT-S-32", pretrained=None)
    assert model.zslkit_id is None and not model.training
    x = preprocess(Image.new("RGB", (40, 30), (200, 10, 10)))
    assert x.shape == (3, 224, 224)
    tokens = tokenizer(["a photo of a cat."])
    assert tokens.shape == (1, 77)
    with torch.no_grad():
        assert model.encode_image(x[None]).shape == model.encode_text(tokens).shape


def test_local_checkpoint_path(tmp_path):
    toyclip.register()
    torch.manual_seed(1)
    reference = open_clip.create_model("ToyCLIP", pretrained=None)
    path = tmp_path / "toy.pt"
    torch.save(reference.state_dict(), path)
    model, _, _ = load_backbone("toyclip", pretrained=str(path))
    for (name, a), b in zip(reference.state_dict().items(), model.state_dict().values()):
        assert torch.equal(a, b), name
    assert len(model.zslkit_id["weights"]["sha256"]) == 64
    with pytest.raises(FileNotFoundError):
        load_backbone("toyclip", pretrained=str(tmp_path / "missing.pt"))


@pytest.mark.skipif(
    not toyclip.CHECKPOINT.is_file(),
    reason=f"ToyCLIP checkpoint {toyclip.CHECKPOINT} not built yet",
)
def test_shipped_toyclip_loads():
    model, preprocess, tokenizer = load_backbone("toyclip")
    x = preprocess(Image.new("RGB", (32, 32), (200, 10, 10)))
    with torch.no_grad():
        image_features = model.encode_image(x[None])
        text_features = model.encode_text(tokenizer(["a photo of a red circle."]))
    assert image_features.shape == text_features.shape
    assert model.zslkit_id["backbone"] == "toyclip"
