"""Per-class intervals against closed forms of the stratified bootstrap's spread."""

import numpy as np
import pytest

from zslkit.classic.intervals import per_class_bootstrap, per_class_item_scores
from zslkit.metrics import gzsl_scores, per_class_accuracy


def _predictions(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(4), [30, 60, 90, 120])
    a = np.where(rng.random(labels.size) < 0.7, labels, (labels + 1) % 4)
    b = np.where(rng.random(labels.size) < 0.6, labels, (labels + 2) % 4)
    return labels, a, b


def test_item_scores_average_to_the_per_class_accuracy():
    labels, a, _ = _predictions()
    assert per_class_item_scores(labels, a).mean() == pytest.approx(per_class_accuracy(labels, a))


def test_bootstrap_spread_matches_the_closed_form():
    # resampling within class: Var = sum_c var_c / n_c / C^2 with var_c the within-class variance
    labels, a, b = _predictions()
    d = (a == labels).astype(float) - (b == labels)
    classes = np.unique(labels)
    se = np.sqrt(sum(d[labels == c].var() / np.sum(labels == c) for c in classes)) / classes.size
    gap = per_class_bootstrap(labels, a, b, n_resamples=20000, seed=1)
    assert gap.estimate == pytest.approx(
        per_class_accuracy(labels, a) - per_class_accuracy(labels, b)
    )
    assert (gap.high - gap.low) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.05)
    single = per_class_bootstrap(labels, a, n_resamples=20000, seed=2)
    p = np.array([np.mean(a[labels == c] == c) for c in classes])
    se1 = np.sqrt(np.sum(p * (1 - p) / np.bincount(labels))) / classes.size
    assert (single.high - single.low) / (2 * 1.96 * se1) == pytest.approx(1.0, abs=0.05)


def test_h_estimate_and_identical_predictions():
    labels, a, b = _predictions(1)
    seen, unseen = [0, 1], [2, 3]
    gap = per_class_bootstrap(labels, a, b, "h", seen, unseen, n_resamples=500)
    expected = gzsl_scores(labels, a, seen, unseen)["h"] - gzsl_scores(labels, b, seen, unseen)["h"]
    assert gap.estimate == pytest.approx(expected)
    assert gap.low <= gap.estimate <= gap.high
    same = per_class_bootstrap(labels, a, a, "h", seen, unseen, n_resamples=500)
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)


def test_bad_input_raises():
    labels, a, b = _predictions()
    with pytest.raises(ValueError, match="metric"):
        per_class_bootstrap(labels, a, b, metric="top5")
    with pytest.raises(ValueError, match="seen"):
        per_class_bootstrap(labels, a, b, metric="h")
    with pytest.raises(ValueError, match="shape"):
        per_class_bootstrap(labels, a[:-1])
