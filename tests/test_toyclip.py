"""Tests of ToyCLIP through open_clip's own functions."""

import numpy as np
import open_clip
import pytest
import torch
from open_clip.zero_shot_classifier import build_zero_shot_classifier
from PIL import Image

from zslkit.data import world
from zslkit.lab import toyclip

FRESH_SEED = 4242  # neither the training seed (0) nor the report's evaluation seed


@pytest.fixture(scope="module")
def shipped():
    toyclip.register()
    model, _, preprocess = open_clip.create_model_and_transforms(
        "ToyCLIP", pretrained=str(toyclip.CHECKPOINT)
    )
    model.eval()
    return model, preprocess, open_clip.get_tokenizer("ToyCLIP")


def test_register_is_idempotent():
    toyclip.register()
    toyclip.register()
    assert open_clip.list_models().count("ToyCLIP") == 1
    assert open_clip.get_model_config("ToyCLIP")["text_cfg"]["context_length"] == 16


def test_checkpoint_is_small_fp16():
    assert toyclip.CHECKPOINT.stat().st_size < 8 * 2**20
    state = torch.load(toyclip.CHECKPOINT, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())


def test_to_tensor_matches_open_clip_preprocess(shipped):
    model, preprocess, _ = shipped
    images, _ = world.make_images(["red circle", "blue star"], 2, seed=1)
    expected = torch.stack([preprocess(Image.fromarray(im)) for im in images])
    torch.testing.assert_close(toyclip.to_tensor(images, model), expected, atol=1e-5, rtol=0)


def test_shipped_toyclip_zero_shots_unseen_classes(shipped):
    model, preprocess, tokenizer = shipped
    unseen = world.load_split()["unseen"]
    images, labels = world.make_images(unseen, 30, variant="photo", seed=FRESH_SEED)
    with torch.no_grad():
        pixels = torch.stack([preprocess(Image.fromarray(im)) for im in images])
        image_features = model.encode_image(pixels, normalize=True)
        classifier = build_zero_shot_classifier(
            model, tokenizer, unseen, world.templates("zeroshot")
        )
    predictions = (image_features @ classifier).argmax(1).numpy()
    assert np.mean(predictions == labels) >= 0.90  # chance: 1/16


def test_save_checkpoint_round_trip(tmp_path, shipped):
    model = shipped[0]
    path = toyclip.save_checkpoint(model, tmp_path / "copy.pt")
    again, _, _ = open_clip.create_model_and_transforms("ToyCLIP", pretrained=str(path))
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        torch.testing.assert_close(
            a, b, atol=0, rtol=0, msg=k
        )  # shipped weights are already fp16 values


@pytest.fixture
def one_thread():
    """Two threads on a busy 2-core machine spin-wait: train with one, then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_pretrain_reduces_loss(one_thread):
    calls = []
    clip_loss = open_clip.ClipLoss()

    def loss(image_features, text_features, logit_scale):
        calls.append(image_features.shape)
        return clip_loss(image_features, text_features, logit_scale)

    model, history = toyclip.pretrain(
        n_steps=80,
        batch_size=32,
        lr=1.5e-3,
        seed=3,
        loss=loss,
        pool_size=1024,
        warmup_steps=10,
        log_every=10,
    )
    assert len(calls) == 80 and calls[0] == (32, 64)
    assert [row["step"] for row in history] == list(range(10, 81, 10))
    # ln(32) = 3.47 is the loss of features that carry no information
    assert history[-1]["loss"] < min(history[0]["loss"] - 0.2, np.log(32) - 0.1)
    assert not model.training


def test_pretrain_is_deterministic(one_thread):
    kwargs = dict(n_steps=6, batch_size=16, seed=5, pool_size=64, warmup_steps=2, log_every=3)
    first, h1 = toyclip.pretrain(**kwargs)
    second, h2 = toyclip.pretrain(**kwargs)
    assert [r["loss"] for r in h1] == [r["loss"] for r in h2]
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="loss"):
        toyclip.pretrain(n_steps=1, loss="hinge")


def test_report_matches_code_and_target():
    import json

    report = json.loads(toyclip.REPORT.read_text())
    for name, value in toyclip.training_defaults().items():
        assert report["training"][name] == value, name
    assert report["size_bytes"] == toyclip.CHECKPOINT.stat().st_size
    assert report["metrics"]["unseen_top1"] >= 0.90


def test_shipped_toyclip2_zero_shots_unseen_classes_through_open_clip():
    """ToyCLIP 2's unseen-composition accuracy, with open_clip's own classifier (target >= 0.90)."""
    from zslkit.models.backbones import load_backbone

    model, preprocess, tokenizer = load_backbone("toyclip2")
    unseen = world.load_split()["unseen"]
    images, labels = world.make_images(unseen, 30, variant="photo", seed=FRESH_SEED)
    with torch.no_grad():
        pixels = torch.stack([preprocess(Image.fromarray(im)) for im in images])
        image_features = model.encode_image(pixels, normalize=True)
        classifier = build_zero_shot_classifier(
            model, tokenizer, unseen, world.templates("zeroshot")
        )
    predictions = (image_features @ classifier).argmax(1).numpy()
    assert np.mean(predictions == labels) >= 0.90  # chance: 1/16
    assert model.zslkit_id["backbone"] == "toyclip2"
    assert model.zslkit_id["weights"] != load_backbone("toyclip")[0].zslkit_id["weights"]


def test_toyclip2_report_matches_code_and_target():
    import json

    report = json.loads(toyclip.REPORT2.read_text())
    assert report["backbone"] == "toyclip2" and report["training"]["corpus"] == "web"
    assert "--corpus web" in report["command"]
    for name, value in toyclip.training_defaults().items():
        if name != "pool_size":
            assert report["training"][name] == value, name
    assert report["size_bytes"] == toyclip.CHECKPOINT2.stat().st_size
    assert report["metrics"]["unseen_top1"] >= 0.90
    assert set(report["conditions"]) == {"photo", "sketch", "noisy", "background"} | {
        f"photo/{c}" for c in ("black and white", "dark", "bright", "close-up", "cropped")
    } | {"photo/many", "photo/blurry", "photo/low resolution"}


def test_pretrain_on_the_web_corpus_is_deterministic_and_checks_options(one_thread):
    kwargs = dict(n_steps=4, batch_size=16, seed=2, pool_size=48, warmup_steps=1, log_every=2)
    first, h1 = toyclip.pretrain(corpus="web", **kwargs)
    second, h2 = toyclip.pretrain(corpus="web", **kwargs)
    assert [r["loss"] for r in h1] == [r["loss"] for r in h2]
    with pytest.raises(ValueError, match="corpus"):
        toyclip.pretrain(n_steps=1, corpus="laion")
    with pytest.raises(ValueError, match="corpus='web' only"):
        toyclip.pretrain(n_steps=1, corpus_options={"context_mention": 0.5})
