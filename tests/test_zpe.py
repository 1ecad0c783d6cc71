"""zslkit.vlm.zpe against a hand-worked logit matrix, closed forms, numpy, scipy and scikit-learn."""

import math

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.special import softmax
from sklearn.metrics import accuracy_score

from zslkit.data import world
from zslkit.data.datasets import load_dataset
from zslkit.vlm.zpe import ZPE, list_reference_datasets, reference_dataset, zpe_scores, zpe_weights

# Two prompts, two test images, two reference images, two classes: logits[p, i, c].
TEST = np.array([[[3.0, 1.0], [0.0, 2.0]], [[2.0, 2.0], [4.0, 0.0]]])
REFERENCE = np.array([[[1.0, 1.0], [3.0, 1.0]], [[0.0, 0.0], [2.0, 2.0]]])


def test_scores_and_weights_on_a_hand_worked_case():
    # Prompt 0: test mean (1.5, 1.5), reference mean (2, 1) -> bias (1.75, 1.25);
    #   corrected rows (1.25, -0.25) and (-1.75, 0.75) -> maxima 1.25 and 0.75 -> score 1.0.
    # Prompt 1: test mean (3, 1), reference mean (1, 1) -> bias (2, 1);
    #   corrected rows (0, 1) and (2, -1) -> maxima 1 and 2 -> score 1.5.
    scores = zpe_scores(TEST, REFERENCE)
    np.testing.assert_allclose(scores, [1.0, 1.5])
    e = math.exp(0.5)
    np.testing.assert_allclose(zpe_weights(scores), [1 / (1 + e), e / (1 + e)])
    # The ablations of the paper: no correction (max-logit scoring), test mean only, reference mean only.
    np.testing.assert_allclose(zpe_scores(TEST, correction="none"), [2.5, 3.0])
    np.testing.assert_allclose(zpe_scores(torch.as_tensor(TEST), correction="test"), [1.0, 1.0])
    np.testing.assert_allclose(zpe_scores(TEST, REFERENCE, correction="reference"), [1.0, 2.0])
    with pytest.raises(ValueError, match="needs reference_logits"):
        zpe_scores(TEST)
    with pytest.raises(ValueError, match="correction='tests'"):
        zpe_scores(TEST, REFERENCE, correction="tests")
    with pytest.raises(ValueError, match="reference_logits must have shape"):
        zpe_scores(TEST, REFERENCE[:, :, :1])


def test_a_prompt_blind_to_the_class_scores_zero_after_test_correction():
    # Logits equal across classes: subtracting the per-class test mean leaves x_i - mean(x), whose mean is 0.
    rng = np.random.default_rng(0)
    blind = np.repeat(rng.normal(size=(1, 7, 1)), 4, axis=2)
    np.testing.assert_allclose(zpe_scores(blind, correction="test"), [0.0], atol=1e-12)


def _direct_zpe(image_features, reference_features, classifiers, scale):
    """ZPE written out with numpy loops, image by image."""
    scores = []
    for e in classifiers:  # e: (d, C)
        test = scale * image_features @ e
        ref = scale * reference_features @ e
        bias = 0.5 * (ref.mean(0) + test.mean(0))
        scores.append(np.mean([max(row - bias) for row in test]))
    a = np.exp(scores - np.max(scores))
    a /= a.sum()
    mixed = np.einsum("p,pdc->dc", a, classifiers)
    return np.array(scores), a, mixed / np.linalg.norm(mixed, axis=0, keepdims=True)


def _unit(x, axis):
    return x / np.linalg.norm(x, axis=axis, keepdims=True)


def test_estimator_matches_a_direct_numpy_computation():
    rng = np.random.default_rng(1)
    classifiers = _unit(rng.normal(size=(4, 6, 3)), axis=1)
    image_features = _unit(rng.normal(size=(30, 6)), axis=1)
    reference_features = _unit(rng.normal(size=(20, 6)), axis=1)
    labels = rng.integers(0, 3, 30)
    scores, a, weights = _direct_zpe(image_features, reference_features, classifiers, 10.0)

    zpe = ZPE(torch.as_tensor(classifiers), logit_scale=10.0).fit(
        torch.as_tensor(image_features), reference_features
    )
    np.testing.assert_allclose(zpe.scores_, scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(zpe.prompt_weights_, a, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(zpe.weights_.numpy(), weights, rtol=1e-4, atol=1e-5)
    logits = 10.0 * image_features @ weights
    np.testing.assert_allclose(
        zpe.predict_proba(image_features), softmax(logits, axis=1), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(zpe.predict(image_features), logits.argmax(1))
    assert zpe.score(image_features, torch.as_tensor(labels)) == pytest.approx(
        accuracy_score(labels, logits.argmax(1))
    )
    assert zpe.logit_scale == 10.0 and zpe.correction == "both"  # hyperparameters stored as given

    # renormalize=False: the weighted average of the per-prompt logits (the reference code's mixing)
    raw = ZPE(classifiers, logit_scale=10.0, renormalize=False).fit(
        image_features, reference_features
    )
    per_prompt = np.stack([10.0 * image_features @ e for e in classifiers])
    np.testing.assert_allclose(
        raw.decision_function(image_features),
        np.tensordot(a, per_prompt, axes=1),
        rtol=1e-4,
        atol=1e-4,
    )


def test_estimator_checks():
    classifiers = _unit(np.random.default_rng(2).normal(size=(2, 4, 3)), axis=1)
    features = _unit(np.random.default_rng(3).normal(size=(5, 4)), axis=1)
    with pytest.raises(ValueError, match="not fitted"):
        ZPE(classifiers).predict(features)
    with pytest.raises(ValueError, match="needs reference_features"):
        ZPE(classifiers).fit(features)
    with pytest.raises(ValueError, match="correction="):
        ZPE(classifiers, correction="max").fit(features)
    with pytest.raises(ValueError, match=r"\(T, d, C\)"):
        ZPE(classifiers[0], correction="test").fit(features)
    # identical prompts get equal weights
    same = np.repeat(classifiers[:1], 3, axis=0)
    np.testing.assert_allclose(
        ZPE(same, correction="none").fit(features).prompt_weights_, np.full(3, 1 / 3)
    )


def test_pocket_reference_sample():
    assert list_reference_datasets()[:3] == ["pocket_pretraining", "pocket_web", "pocket"]
    ref = reference_dataset(n=12, seed=3)
    again = reference_dataset(n=12, seed=3)
    assert len(ref) == 12 and ref.images.shape == (12, 32, 32, 3)
    np.testing.assert_array_equal(ref.images, again.images)
    assert not np.array_equal(ref.images, reference_dataset(n=12, seed=4).images)
    assert ref.class_names == world.load_split()["seen"]
    assert ref.labels.min() >= -1 and ref.labels.max() < len(ref.class_names)
    assert ref.cache_id["dataset"] == "pocket_pretraining" and ref.cache_id["n"] == 12
    image, _ = ref[0]
    assert isinstance(
        image, Image.Image
    )  # no transform: PIL images, as open_clip's preprocess expects
    with pytest.raises(ValueError, match="reference='laion'"):
        reference_dataset("laion")


def test_reference_subset_of_a_dataset():
    base = load_dataset("pocket", "train")
    ref = reference_dataset("pocket", n=10, seed=0, split="train", transform=np.asarray)
    assert len(ref) == 10 and ref.cache_id["reference_of"] == base.cache_id
    matches = [any(np.array_equal(ref[i][0], img) for img in base.images) for i in range(10)]
    assert all(matches)
    with pytest.raises(ValueError, match="has only"):
        reference_dataset("pocket", n=10_000, split="train")


# Chapter 21 on ToyCLIP 2: conditions, template groups, per-condition comparisons ----------------
from zslkit.vlm import zpe as zpe_module  # noqa: E402


def test_default_reference_and_the_web_reference_sample():
    assert zpe_module.default_reference("toyclip") == "pocket_pretraining"
    assert zpe_module.default_reference("toyclip2") == "pocket_web"
    assert zpe_module.default_reference("ViT-S-32") == "pocket_web"
    assert zpe_module.default_reference("ViT-B-16", "imagenet") == "imagenet"
    ref = reference_dataset("pocket_web", n=8, seed=1)
    assert len(ref) == 8 and ref.cache_id["dataset"] == "pocket_web"
    np.testing.assert_array_equal(ref.images, reference_dataset("pocket_web", n=8, seed=1).images)
    assert not np.array_equal(
        ref.images, reference_dataset("pocket_pretraining", n=8, seed=1).images
    )


def test_parse_conditions():
    assert zpe_module.parse_conditions("photo, sketch,photo/dark ,photo/black and white") == [
        ("photo", "photo", "plain"),
        ("sketch", "sketch", "plain"),
        ("photo/dark", "photo", "dark"),
        ("photo/black and white", "photo", "black and white"),
    ]
    with pytest.raises(ValueError, match="condition domain='sepia'"):
        zpe_module.parse_conditions("photo,sepia")
    with pytest.raises(ValueError, match="condition context='night'"):
        zpe_module.parse_conditions("photo/night")
    with pytest.raises(ValueError, match="photo only"):
        zpe_module.parse_conditions("sketch/dark")
    with pytest.raises(ValueError, match="twice"):
        zpe_module.parse_conditions("photo,photo")
    assert zpe_module.condition_group("photo/dark") == "dark"
    assert zpe_module.condition_group("noisy") == "noisy"


def test_template_groups_of_the_openai_pool_by_hand():
    from zslkit.models.prompts import load_template_set

    templates = [str(t) for t in load_template_set("openai80")]
    groups = dict(zip(templates, zpe_module.caption_groups(templates)))
    noisy = {t for t, g in groups.items() if g == "noisy"}
    assert noisy == {
        "a bad photo of a {}.",
        "a bad photo of the {}.",
        "a photo of a hard to see {}.",
        "a photo of the hard to see {}.",
        "a jpeg corrupted photo of a {}.",
        "a jpeg corrupted photo of the {}.",
    }
    assert {t for t, g in groups.items() if g == "sketch"} == {
        f"a {kind} of {article} {{}}."
        for kind in ("sketch", "drawing", "doodle")
        for article in ("a", "the")
    }
    assert groups["a photo of many {}."] == "many"
    assert groups["a dark photo of the {}."] == "dark"
    assert groups["a pixelated photo of a {}."] == "low resolution"
    assert groups["a tattoo of a {}."] == "unseen words"
    assert groups["a {} in a video game."] == "unseen words"
    assert groups["a photo of a {}."] == groups["itap of my {}."] == "neutral"
    assert list(groups.values()).count("unseen words") == 22  # the ToyCLIP 2 brief's count


def test_compare_per_condition_matches_a_direct_computation():
    rng = np.random.default_rng(5)
    classifiers = _unit(rng.normal(size=(5, 6, 3)), axis=1)
    reference = _unit(rng.normal(size=(15, 6)), axis=1)
    features = {}
    for name in ("a", "b"):
        x = _unit(rng.normal(size=(40, 6)), axis=1)
        features[name] = (torch.as_tensor(x, dtype=torch.float32), rng.integers(0, 3, 40))
    correct, fitted = zpe_module.compare_per_condition(
        torch.as_tensor(classifiers, dtype=torch.float32), features, reference, 10.0
    )
    for name, (x, y) in features.items():
        x = x.double().numpy()
        _, a, weights = _direct_zpe(x, reference, classifiers, 10.0)
        np.testing.assert_allclose(fitted[name]["both"].prompt_weights_, a, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(correct[name]["ZPE"], (x @ weights).argmax(1) == y)
        mean = classifiers.mean(0)
        equal = mean / np.linalg.norm(mean, axis=0, keepdims=True)
        np.testing.assert_array_equal(correct[name]["equal weights"], (x @ equal).argmax(1) == y)
        # no correction: scores are the plain mean of the max logit
        raw = [np.mean((10.0 * x @ e).max(1)) for e in classifiers]
        np.testing.assert_allclose(fitted[name]["none"].scores_, raw, rtol=1e-5)
        assert set(correct[name]) == {"equal weights", "ZPE", "ZPE (none)"}
    gaps = zpe_module.paired_gaps(correct, "ZPE", "equal weights", n_resamples=500)
    for name, gap in gaps.items():
        hand = correct[name]["ZPE"].mean() - correct[name]["equal weights"].mean()
        assert gap.estimate == pytest.approx(hand) and gap.low <= hand <= gap.high
    with pytest.raises(ValueError, match="correction='max'"):
        zpe_module.compare_per_condition(classifiers, features, reference, 10.0, ("max",))


def test_group_weight_table_and_its_plot_by_hand():
    groups = ["neutral", "sketch", "neutral", "dark"]
    table = zpe_module.group_weight_table(groups, {"sketch": [0.1, 0.6, 0.2, 0.1]})
    assert table == {"sketch": pytest.approx({"neutral": 0.3, "sketch": 0.6, "dark": 0.1})}
    fig = zpe_module.plot_group_weights(groups, table)
    image = fig.axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(image, [[0.3 / 0.5, 0.6 / 0.25, 0.1 / 0.25]])


def test_gap_helpers_by_hand(capsys):
    from zslkit.stats import Interval

    gaps = {
        "photo/black and white": Interval(0.01, -0.002, 0.02, 0.95, "x"),
        "background": Interval(0.01, 0.005, 0.016, 0.95, "x"),
    }
    assert zpe_module.condition_key("photo/close-up") == "photo_close_up"
    figures = zpe_module.gap_figures(gaps, "gain")
    assert figures == {
        "gain_photo_black_and_white": 0.01,
        "gain_photo_black_and_white_ci_low": -0.002,
        "gain_photo_black_and_white_ci_high": 0.02,
        "gain_background": 0.01,
        "gain_background_ci_low": 0.005,
        "gain_background_ci_high": 0.016,
    }
    zpe_module.print_gaps(gaps, "A - B")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("+1.0 [-0.2, +2.0] points  (tie)")
    assert lines[1].endswith("+1.0 [+0.5, +1.6] points")
    fig = zpe_module.plot_gaps(gaps, "points")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [1.0, 1.0])


def test_group_summary_and_top_templates_by_hand(capsys):
    groups = ["neutral", "unseen words", "neutral", "unseen words"]
    weights = {"photo": np.array([0.1, 0.5, 0.2, 0.2])}
    acc = {"photo": np.array([0.9, 0.8, 0.7, 0.6])}
    assert zpe_module.print_group_summary(groups, "unseen words", weights, acc) == {
        "photo": pytest.approx(0.7)
    }
    assert "median top-1 alone: unseen words 0.700, neutral 0.800" in capsys.readouterr().out
    zpe_module.print_top_templates(["t0", "t1", "t2", "t3"], weights, acc, k=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "photo: t1 0.500 (0.800), t2 0.200 (0.700)"
    assert out[1] == "  oracle: t0 (0.900); median template 0.750"
