"""Choosing the calibrated-stacking gamma without unseen data."""

import numpy as np
import pytest

from zslkit.classic import ESZSL
from zslkit.classic.calibration import best_gamma, select_gamma
from zslkit.metrics import calibrated_predictions, gzsl_scores


def test_best_gamma_is_the_best_on_a_grid():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 20)
    scores = rng.normal(size=(80, 4)) + 2.0 * np.eye(4)[labels]
    scores[:, :2] += 1.5  # seen classes 0, 1 are favoured
    gamma, h = best_gamma(scores, labels, [0, 1], [2, 3])
    mask = np.array([True, True, False, False])
    grid = np.linspace(-5, 5, 2001)
    hs = [
        gzsl_scores(labels, calibrated_predictions(scores, mask, g), [0, 1], [2, 3])["h"]
        for g in grid
    ]
    assert h == pytest.approx(max(hs), abs=1e-12)
    assert gzsl_scores(labels, calibrated_predictions(scores, mask, gamma), [0, 1], [2, 3])[
        "h"
    ] == pytest.approx(h)


def test_select_gamma_uses_only_seen_classes_and_helps():
    rng = np.random.default_rng(0)
    S = 2.0 * np.array([[int(b) for b in f"{i:04b}"] for i in range(1, 16)]) - 1.0
    M = rng.normal(size=(4, 20))
    seen, unseen = np.arange(12), np.arange(12, 15)
    y, yt = np.repeat(seen, 20), np.repeat(np.arange(15), 20)
    X = S[y] @ M + 1.5 * rng.normal(size=(len(y), 20))
    Xt = S[yt] @ M + 1.5 * rng.normal(size=(len(yt), 20))
    est = ESZSL(gamma=1.0, lam=1.0)
    gamma = select_gamma(est, X, y, S, n_splits=3, seed=0)
    scores = est.fit(X, y, class_semantics=S).decision_function(Xt)
    mask = np.isin(np.arange(15), seen)
    before = gzsl_scores(yt, scores.argmax(1), seen, unseen)["h"]
    after = gzsl_scores(yt, calibrated_predictions(scores, mask, gamma), seen, unseen)["h"]
    assert after > before
