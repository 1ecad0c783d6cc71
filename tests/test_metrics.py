"""zslkit.metrics against hand-worked cases."""

import numpy as np
import pytest

from zslkit.metrics import (
    ausuc,
    calibrated_predictions,
    gzsl_scores,
    harmonic_mean,
    per_class_accuracy,
    seen_unseen_curve,
)


def test_per_class_accuracy_hand_worked():
    # class 0: 3 of 4 right; class 1: 1 of 2 right -> (0.75 + 0.5) / 2, not the sample mean 4/6
    labels = [0, 0, 0, 0, 1, 1]
    preds = [0, 0, 0, 1, 1, 0]
    assert per_class_accuracy(labels, preds) == pytest.approx(0.625)
    assert np.mean(np.equal(labels, preds)) == pytest.approx(4 / 6)


def test_per_class_accuracy_rejects_empty_class():
    with pytest.raises(ValueError, match="class 2"):
        per_class_accuracy([0, 1], [0, 1], classes=[0, 1, 2])


def test_harmonic_mean_hand_worked():
    assert harmonic_mean(0.8, 0.2) == pytest.approx(2 * 0.16 / 1.0)
    assert harmonic_mean(0.5, 0.5) == pytest.approx(0.5)
    assert harmonic_mean(0.0, 0.0) == 0.0
    assert harmonic_mean(0.9, 0.0) == 0.0


def test_gzsl_scores_hand_worked():
    # seen {0, 1}, unseen {2}; unseen images predicted as seen count as wrong
    labels = [0, 0, 1, 1, 2, 2, 2, 2]
    preds = [0, 1, 1, 1, 2, 0, 0, 2]
    r = gzsl_scores(labels, preds, seen_classes=[0, 1], unseen_classes=[2])
    assert r["seen"] == pytest.approx((0.5 + 1.0) / 2)
    assert r["unseen"] == pytest.approx(0.5)
    assert r["h"] == pytest.approx(2 * 0.75 * 0.5 / 1.25)


def test_calibrated_stacking_toy():
    scores = np.array([[2.0, 1.5], [3.0, 0.0], [0.2, 0.1]])
    seen = np.array([True, False])
    assert calibrated_predictions(scores, seen, 0.0).tolist() == [0, 0, 0]
    assert calibrated_predictions(scores, seen, 1.0).tolist() == [1, 0, 1]
    assert calibrated_predictions(scores, seen, 4.0).tolist() == [1, 1, 1]


def test_seen_unseen_curve_endpoints():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(60, 4))
    labels = np.repeat([0, 1, 2, 3], 15)
    seen, unseen = [0, 1], [2, 3]
    gammas, s, u = seen_unseen_curve(scores, labels, seen, unseen)
    assert np.all(np.diff(gammas) > 0)
    # lowest gamma: only seen classes are ever predicted
    pred_seen_only = np.array(seen)[np.argmax(scores[:, seen], axis=1)]
    expected = np.mean([np.mean(pred_seen_only[labels == c] == c) for c in seen])
    assert s[0] == pytest.approx(expected) and u[0] == 0.0
    # highest gamma: only unseen classes are predicted
    pred_unseen_only = np.array(unseen)[np.argmax(scores[:, unseen], axis=1)]
    expected = np.mean([np.mean(pred_unseen_only[labels == c] == c) for c in unseen])
    assert u[-1] == pytest.approx(expected) and s[-1] == 0.0


def test_ausuc_hand_worked():
    # a perfect model: seen accuracy 1 until unseen accuracy reaches 1 -> area 1
    assert ausuc([1.0, 1.0, 0.0], [0.0, 1.0, 1.0]) == pytest.approx(1.0)
    # a straight trade-off s = 1 - u -> area 1/2, whatever the order of the points
    u = np.array([0.5, 0.0, 1.0, 0.25])
    assert ausuc(1 - u, u) == pytest.approx(0.5)
    # a staircase: s = 0.8 up to u = 0.5, then 0.4 up to u = 1 -> 0.4 + 0.2
    assert ausuc([0.8, 0.8, 0.4, 0.4, 0.0], [0.0, 0.5, 0.5, 1.0, 1.0]) == pytest.approx(0.6)
