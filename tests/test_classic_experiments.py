"""The evaluation loops and text tables of Part I against plain numpy, scikit-learn and by hand."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from zslkit.classic import (
    ESZSL,
    RidgeMap,
    fit_score_zsl,
    gzsl_baselines,
    gzsl_table,
    score_spaces,
    score_table,
    standardize,
)
from zslkit.classic.experiments import paired_bootstrap_gzsl


def _toy(seed=0, n=40, d=12, n_classes=5, unseen=(3, 4)):
    """Gaussian clusters whose means are a linear image of the class semantics."""
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(n_classes, 6))
    A = rng.normal(size=(6, d))
    y = np.repeat(np.arange(n_classes), n)
    X = S[y] @ A + 0.3 * rng.normal(size=(y.size, d)) + 2.0
    train = ~np.isin(y, unseen)
    return X[train], y[train], X, y, S, list(unseen)


def _per_class(labels, predictions, classes):
    return np.mean([np.mean(predictions[labels == c] == c) for c in classes])


def test_standardize_uses_the_training_statistics_only():
    Xtr, ytr, Xte, yte, _, _ = _toy()
    data = {"train_features": Xtr, "train_labels": ytr, "test_features": Xte, "test_labels": yte}
    a, b, c, d = standardize(data)
    mean, std = Xtr.mean(0), Xtr.std(0)  # biased, like StandardScaler
    np.testing.assert_allclose(a, (Xtr - mean) / std)
    np.testing.assert_allclose(c, (Xte - mean) / std)
    assert b is ytr and d is yte


def test_fit_score_zsl_is_the_per_class_accuracy_among_unseen_classes():
    Xtr, ytr, Xte, yte, S, unseen = _toy()
    models = {"ridge": (RidgeMap(alpha=1.0), S), "eszsl": (ESZSL(), S)}
    got = fit_score_zsl(models, Xtr, ytr, Xte, yte, unseen)
    assert list(got) == ["ridge", "eszsl"]
    mask = np.isin(yte, unseen)
    for name, (model, _) in models.items():  # fitted in place
        scores = model.decision_function(Xte[mask])[:, unseen]
        pred = np.array(unseen)[scores.argmax(1)]
        assert got[name] == pytest.approx(_per_class(yte[mask], pred, unseen))
    assert got["ridge"] > 0.5  # the toy is learnable: better than the 0.5 of chance


def test_score_spaces_refits_a_fresh_estimator_in_every_space():
    Xtr, ytr, Xte, yte, S, unseen = _toy()
    rng = np.random.default_rng(1)
    spaces = {"true": S, "noise": rng.normal(size=S.shape)}
    template = RidgeMap(alpha=0.5)
    got = score_spaces({"ridge": template}, spaces, Xtr, ytr, Xte, yte, unseen)
    assert not hasattr(template, "class_semantics_")  # cloned, never fitted
    mask = np.isin(yte, unseen)
    for name, semantics in spaces.items():
        model = RidgeMap(alpha=0.5).fit(Xtr, ytr, class_semantics=semantics)
        pred = model.predict(Xte[mask], classes=unseen)
        assert got[name]["ridge"] == pytest.approx(_per_class(yte[mask], pred, unseen))


def test_score_table_by_hand():
    text = score_table({"a": 0.5, "long name": 0.123}, "title", width=6, notes={"a": " *"})
    assert text == "title\na      0.50 *\nlong name 0.12"


def test_gzsl_table_by_hand():
    rows = {
        "plain": {"seen": 0.81, "unseen": 0.014, "h": 0.02},
        "paper": None,
        "ceiling, a long label": {"h": 0.5},
    }
    assert gzsl_table(rows, width=6) == (
        "        S     U     H\nplain  0.81  0.01  0.02\nceiling, a long label             0.50"
    )
    two = {"x": {"seen": 0.5, "unseen": 0.25, "h": 1 / 3}, "y": {"seen": 1, "unseen": 0, "h": 0}}
    assert gzsl_table(two, "GZSL", width=4, zsl=[None, 0.7]) == (
        "GZSL  S     U     H    ZSL\nx    0.50  0.25  0.33    -\ny    1.00  0.00  0.00  0.70"
    )


def _gzsl(labels, pred, seen, unseen):
    s = _per_class(labels, pred, seen)
    u = _per_class(labels, pred, unseen)
    return s, u, 0.0 if s + u == 0 else 2 * s * u / (s + u)


def test_gzsl_baselines_against_scikit_learn_pipelines():
    Xtr, ytr, Xte, yte, S, unseen = _toy(seed=2)
    seen = [0, 1, 2]
    got = gzsl_baselines(Xtr, ytr, Xte, yte, S, seen, unseen, C=0.1)
    lr = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)).fit(Xtr, ytr)
    s, u, h = _gzsl(yte, lr.predict(Xte), seen, unseen)
    assert (u, h) == (0.0, 0.0)  # a classifier of seen classes never answers unseen
    assert got["real_only"]["seen"] == pytest.approx(s) and got["real_only"]["h"] == 0.0
    mean, std = Xtr.mean(0), Xtr.std(0)
    eszsl = ESZSL().fit((Xtr - mean) / std, ytr, class_semantics=S)
    s, u, h = _gzsl(yte, eszsl.predict((Xte - mean) / std), seen, unseen)
    assert [got["eszsl"][k] for k in ("seen", "unseen", "h")] == pytest.approx([s, u, h])
    mask = np.isin(yte, unseen)
    pred = eszsl.predict((Xte[mask] - mean) / std, classes=unseen)
    assert got["eszsl_zsl"] == pytest.approx(_per_class(yte[mask], pred, unseen))
    np.testing.assert_array_equal(got["predictions"]["eszsl_zsl"], pred)
    np.testing.assert_array_equal(got["predictions"]["real_only"], lr.predict(Xte))


def test_paired_bootstrap_gzsl_estimates_and_intervals():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    seen, unseen = [0, 1], [2, 3]
    a = np.where(rng.random(200) < 0.7, labels, (labels + 1) % 4)
    b = np.where(rng.random(200) < 0.5, labels, (labels + 1) % 4)
    got = paired_bootstrap_gzsl(labels, a, b, seen, unseen, n_resamples=3000)
    sa, ua, ha = _gzsl(labels, a, seen, unseen)
    sb, ub, hb = _gzsl(labels, b, seen, unseen)
    assert got["seen"].estimate == pytest.approx(sa - sb)
    assert got["h"].estimate == pytest.approx(ha - hb)
    # the unseen gap is a mean over 2 x 50 balanced items: the bootstrap interval
    # is close to the normal one of the paired per-item differences
    d = (a == labels).astype(float)[labels >= 2] - (b == labels).astype(float)[labels >= 2]
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    u = got["unseen"]
    assert u.estimate == pytest.approx(ua - ub)
    assert u.high - u.low == pytest.approx(2 * half, rel=0.2)
    same = paired_bootstrap_gzsl(labels, a, a, seen, unseen, n_resamples=200)
    assert all((v.estimate, v.low, v.high) == (0.0, 0.0, 0.0) for v in same.values())
    zsl = paired_bootstrap_gzsl(labels[labels >= 2], a[labels >= 2], b[labels >= 2], [], unseen)
    assert list(zsl) == ["unseen"] and zsl["unseen"].estimate == pytest.approx(ua - ub)
