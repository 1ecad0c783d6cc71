"""Choosing the calibrated-stacking shift without unseen data."""

import numpy as np
import pytest

from zslkit.classic import DAP, ESZSL, RidgeMap
from zslkit.classic.calibration import (
    best_shift,
    calibration_table,
    compare_calibration,
    report_figures,
    score_scale,
    select_shift,
)
from zslkit.metrics import calibrated_predictions, gzsl_scores, harmonic_mean, seen_unseen_curve


def _biased_scores(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(4), 20)
    scores = rng.normal(size=(80, 4)) + 2.0 * np.eye(4)[labels]
    scores[:, :2] += 1.5  # seen classes 0, 1 are favoured
    return scores, labels


def test_best_shift_is_the_best_on_a_grid():
    scores, labels = _biased_scores()
    shift, h = best_shift(scores, labels, [0, 1], [2, 3])
    mask = np.array([True, True, False, False])
    grid = np.linspace(-5, 5, 2001)
    hs = [
        gzsl_scores(labels, calibrated_predictions(scores, mask, g), [0, 1], [2, 3])["h"]
        for g in grid
    ]
    assert h == pytest.approx(max(hs), abs=1e-12)
    calibrated = calibrated_predictions(scores, mask, shift)
    assert gzsl_scores(labels, calibrated, [0, 1], [2, 3])["h"] == pytest.approx(h)


def test_best_shift_matches_the_seen_unseen_curve():
    # the vectorised search against the curve computed prediction by prediction
    for seed in range(3):
        scores, labels = _biased_scores(seed)
        shifts, s, u = seen_unseen_curve(scores, labels, [0, 1], [2, 3])
        h = [harmonic_mean(a, b) for a, b in zip(s, u)]
        shift, best = best_shift(scores, labels, [0, 1], [2, 3])
        assert best == pytest.approx(max(h), abs=1e-12)
        assert shift == pytest.approx(shifts[int(np.argmax(h))])


def _toy(noise=1.5):
    rng = np.random.default_rng(0)
    S = 2.0 * np.array([[int(b) for b in f"{i:04b}"] for i in range(1, 16)]) - 1.0
    M = rng.normal(size=(4, 20))
    seen, unseen = np.arange(12), np.arange(12, 15)
    y, yt = np.repeat(seen, 20), np.repeat(np.arange(15), 20)
    X = S[y] @ M + noise * rng.normal(size=(len(y), 20))
    Xt = S[yt] @ M + noise * rng.normal(size=(len(yt), 20))
    return S, seen, unseen, X, y, Xt, yt


def test_select_shift_uses_only_seen_classes_and_helps():
    S, seen, unseen, X, y, Xt, yt = _toy()
    est = ESZSL(gamma=1.0, lam=1.0)
    choice = select_shift(est, X, y, S, n_splits=3, seed=0)
    scores = est.fit(X, y, class_semantics=S).decision_function(Xt)
    mask = np.isin(np.arange(15), seen)
    before = gzsl_scores(yt, scores.argmax(1), seen, unseen)["h"]
    after = gzsl_scores(yt, calibrated_predictions(scores, mask, choice.shift), seen, unseen)["h"]
    assert after > before
    assert len(choice.round_shifts) == len(choice.round_scales) == 3
    assert choice.shift == pytest.approx(np.median(choice.round_shifts))
    ratio = np.array(choice.round_shifts) / np.array(choice.round_scales)
    assert choice.normalised_shift == pytest.approx(np.median(ratio) * choice.scale)


def test_score_scale_is_the_std_of_the_seen_class_scores():
    S, seen, unseen, X, y, Xt, yt = _toy()
    model = ESZSL().fit(X, y, class_semantics=S)
    expected = np.std(X @ model.V_ @ S[seen].T)
    assert score_scale(model, X) == pytest.approx(expected)


def test_normalised_shift_is_invariant_to_rescaled_semantics():
    # cosine scores do not depend on the length of the class vectors: neither may the shifts
    S, seen, unseen, X, y, Xt, yt = _toy()
    a = select_shift(RidgeMap(alpha=1.0), X, y, S, n_splits=2, seed=1)
    b = select_shift(RidgeMap(alpha=1.0), X, y, 3.0 * S, n_splits=2, seed=1)
    assert a.shift == pytest.approx(b.shift, abs=1e-9)
    assert a.normalised_shift == pytest.approx(b.normalised_shift, abs=1e-9)


def test_compare_calibration_reports_consistent_figures():
    S, seen, unseen, X, y, Xt, yt = _toy()
    models = {"ESZSL": (ESZSL(), S), "DAP": (DAP(C=1.0), (S > 0).astype(float))}
    out = compare_calibration(models, X, y, Xt, yt, list(seen), list(unseen), 2, 0, 200)
    for name, (est, sem) in models.items():
        r = out[name]
        scores = est.fit(X, y, class_semantics=sem).decision_function(Xt)
        mask = np.isin(np.arange(15), seen)
        h_cv = gzsl_scores(yt, calibrated_predictions(scores, mask, r["shift_cv"]), seen, unseen)
        assert r["h_cv"] == pytest.approx(h_cv["h"])
        assert r["h_none"] == pytest.approx(gzsl_scores(yt, scores.argmax(1), seen, unseen)["h"])
        assert r["h_best"] >= max(r["h_cv"], r["h_none"], r["h_normalised"]) - 1e-12
        assert r["gain"].estimate == pytest.approx(r["h_cv"] - r["h_none"])
        assert r["miss"].estimate == pytest.approx(r["h_best"] - r["h_cv"])
        assert r["normalising"].estimate == pytest.approx(r["h_normalised"] - r["h_cv"])


def test_select_shift_rejects_bad_input():
    S, seen, unseen, X, y, Xt, yt = _toy()
    with pytest.raises(ValueError, match="n_splits"):
        select_shift(ESZSL(), X, y, S, n_splits=0)
    with pytest.raises(ValueError, match="unseen_fraction"):
        select_shift(ESZSL(), X, y, S, unseen_fraction=1.0)


def test_report_figures_and_table_carry_every_figure():
    S, seen, unseen, X, y, Xt, yt = _toy()
    report = compare_calibration(
        {"ESZSL": (ESZSL(), S)}, X, y, Xt, yt, list(seen), list(unseen), 2, 0, 200
    )
    figures = report_figures(report, ["e"])
    r = report["ESZSL"]
    assert figures["e_h_cv"] == r["h_cv"] and figures["e_miss_ci_high"] == r["miss"].high
    assert len(figures) == 5 + 3 * 3
    lines = calibration_table(report).splitlines()
    assert len(lines) == 2 and lines[1].startswith("ESZSL")
    assert f"{r['h_best']:.2f}" in lines[1]
    with pytest.raises(ValueError, match="one key per model"):
        report_figures(report, ["a", "b"])
