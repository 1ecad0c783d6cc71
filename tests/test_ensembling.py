"""zslkit.vlm.ensembling against hand-worked cases, numpy and scipy."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats as sps

from zslkit.vlm import ensembling


def test_template_groups_hand_sorted():
    templates = [
        "a photo of a {}.",
        "a tattoo of a {}.",
        "a sketch of the {}.",
        "a black and white photo of a {}.",
        "a photo of a small {}.",
        "itap of my {}.",
    ]
    groups = ensembling.template_groups(templates)
    assert list(groups) == ["clean", "unseen", "condition", "condition", "attribute", "clean"]
    assert {"sketch", "black", "white", "blurry"} <= ensembling.condition_words()
    assert not {"photo", "a", "of"} & ensembling.condition_words()
    with pytest.raises(ValueError, match="empty"):
        ensembling.template_groups([])


def test_condition_template_fixes_the_article():
    t = ensembling.condition_template("black and white")
    assert t("orange star") == "a black and white photo of an orange star."
    with pytest.raises(ValueError, match="condition"):
        ensembling.condition_template("plain")


def _toy(seed=0, n=200, d=8, c=5, t=6):
    g = torch.Generator().manual_seed(seed)
    x = F.normalize(torch.randn(n, d, generator=g), dim=1)
    w = F.normalize(torch.randn(t, d, c, generator=g), dim=1)
    y = torch.randint(0, c, (n,), generator=g).numpy()
    return x, y, w


def test_correct_items_matches_numpy_argmax():
    x, y, w = _toy()
    got = ensembling.correct_items(x, y, w)
    want = np.stack([(x.numpy() @ w[k].numpy()).argmax(1) == y for k in range(len(w))])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ensembling.correct_items(x, y, w[2]), want[2])
    with pytest.raises(ValueError, match="labels"):
        ensembling.correct_items(x, y[:-1], w)


def test_median_template_is_the_lower_median():
    assert ensembling.median_template([0.3, 0.1, 0.2, 0.4]) == 2
    assert ensembling.median_template([0.5, 0.2, 0.9]) == 0
    assert ensembling.median_template([0.7, 0.7, 0.7]) == 1


def test_pool_summary_against_numpy_and_scipy():
    x, y, w = _toy(1)
    per_item = ensembling.correct_items(x, y, w)
    pool = np.array([True, False, True, True, False, True])
    out = ensembling.pool_summary(per_item, w, x, y, pool)
    idx = np.flatnonzero(pool)
    mix = w[idx].numpy().mean(0)
    mix /= np.linalg.norm(mix, axis=0, keepdims=True)
    ens = (x.numpy() @ mix).argmax(1) == y
    acc = per_item[idx].mean(1)
    med = per_item[idx[np.argsort(acc, kind="stable")[1]]]
    assert out["n_templates"] == 4 and out["ensemble"] == pytest.approx(ens.mean())
    assert out["median"] == pytest.approx(np.median(acc)) and out["best"] == acc.max()
    assert out["minus_median"].estimate == pytest.approx(ens.mean() - med.mean())
    only_a, only_b = int(np.sum(ens & ~med)), int(np.sum(~ens & med))
    assert (out["mcnemar"].only_a, out["mcnemar"].only_b) == (only_a, only_b)
    p = 1.0 if only_a + only_b == 0 else sps.binomtest(only_a, only_a + only_b).pvalue
    assert out["mcnemar"].pvalue == pytest.approx(p)
    with pytest.raises(ValueError, match="shape"):
        ensembling.pool_summary(per_item, w, x, y, pool[:3])


def test_subset_draws_whole_pool_and_identical_templates():
    x, y, w = _toy(2)
    sizes, top1 = ensembling.subset_draws(x, y, w, 5, np.random.default_rng(0), (1, 2, 4, 8))
    assert sizes == [1, 2, 4, 6] and top1.shape == (4, 5)
    mix = F.normalize(w.mean(0), dim=0)
    assert np.allclose(top1[-1], ((x @ mix).argmax(1).numpy() == y).mean())
    same = w[:1].repeat(6, 1, 1)
    _, flat = ensembling.subset_draws(x, y, same, 3, np.random.default_rng(0), (1, 3))
    assert np.allclose(flat, ((x @ w[0]).argmax(1).numpy() == y).mean())
    with pytest.raises(ValueError, match="n_draws"):
        ensembling.subset_draws(x, y, w, 1, np.random.default_rng(0))


def test_mistake_kinds_and_grey_gap_hand_worked():
    names = ["orange circle", "cyan circle", "orange star", "red star"]
    labels = np.array([0, 0, 0, 2, 3, 1])
    preds = np.array([0, 1, 2, 3, 1, 1])
    kinds = ensembling.mistake_kinds(names, labels, preds)
    assert list(np.flatnonzero(kinds["colour"])) == [1, 3]
    assert list(np.flatnonzero(kinds["shape"])) == [2]
    assert list(np.flatnonzero(kinds["both"])) == [4]
    observed, chance = ensembling.grey_gap(names, labels, preds)
    grey = {
        c: 0.299 * r + 0.587 * g + 0.114 * b
        for c, (r, g, b) in {
            "red": (215, 35, 35),
            "orange": (245, 135, 20),
            "yellow": (240, 215, 40),
            "green": (40, 165, 55),
            "cyan": (40, 205, 215),
            "blue": (35, 70, 215),
            "purple": (140, 45, 175),
            "white": (240, 240, 240),
        }.items()
    }
    want = (abs(grey["orange"] - grey["cyan"]) + abs(grey["orange"] - grey["red"])) / 2
    assert observed.mean() == pytest.approx(want) and observed.shape == (2,)
    chance_orange = np.mean([abs(grey["orange"] - g) for c, g in grey.items() if c != "orange"])
    assert chance == pytest.approx([chance_orange, chance_orange])
    with pytest.raises(ValueError, match="colour shape"):
        ensembling.mistake_kinds(["striped circle"], [0], [0])


def test_differences_is_the_paired_mean_gap():
    a = np.array([1, 1, 0, 1, 0, 1, 1, 0])
    b = np.array([1, 0, 0, 1, 0, 0, 1, 1])
    out = ensembling.differences(a, {"b": b})
    assert out["b"].estimate == pytest.approx(a.mean() - b.mean())
    assert out["b"].low <= out["b"].estimate <= out["b"].high


def test_interval_figures_names():
    iv = ensembling.differences(np.array([1, 0, 1, 1]), {"gap": np.array([0, 0, 1, 1])})
    out = ensembling.intervals_as_figures(iv, prefix="x_")
    assert set(out) == {"x_gap", "x_gap_ci_low", "x_gap_ci_high"}
    assert out["x_gap"] == pytest.approx(0.25)
