"""Split-averaged scoring of semantic spaces against the estimators, scipy and by hand."""

import itertools

import numpy as np
import pytest
from scipy import stats
from sklearn.preprocessing import StandardScaler

from zslkit.classic import ESZSL, RidgeMap
from zslkit.classic.spaces import (
    class_splits,
    compare_with_best,
    n_class_splits,
    rank_correlation,
    score_spaces_over_splits,
    space_geometry,
    split_pool,
    summarize_over_splits,
)


def _toy(seed=0, n=30, d=20, n_classes=6):
    """Gaussian clusters whose means are a linear image of a random class semantics."""
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(n_classes, 5))
    A = rng.normal(size=(5, d))
    y = np.repeat(np.arange(n_classes), n)
    X = S[y] @ A + 0.8 * rng.normal(size=(y.size, d)) + 3.0
    yt = np.repeat(np.arange(n_classes), n // 2)
    Xt = S[yt] @ A + 0.8 * rng.normal(size=(yt.size, d)) + 3.0
    spaces = {"true": S, "noisy": S + rng.normal(size=S.shape), "random": rng.normal(size=(6, 9))}
    return X, y, Xt, yt, spaces


def test_class_splits_all_and_sampled():
    every = class_splits(range(5), 2)
    assert len(every) == n_class_splits(5, 2) == 10
    assert every[0] == ([2, 3, 4], [0, 1])
    assert {tuple(u) for _, u in every} == set(itertools.combinations(range(5), 2))
    some = class_splits(range(10), 3, n_splits=20, seed=1)
    assert len({tuple(u) for _, u in some}) == 20
    assert all(sorted(s + u) == list(range(10)) for s, u in some)
    assert some == class_splits(range(10), 3, n_splits=20, seed=1)
    with pytest.raises(ValueError, match="n_unseen"):
        class_splits(range(4), 4)


@pytest.mark.parametrize("alpha, gamma, lam", [(1.0, 1.0, 1.0), (10.0, 0.1, 3.0)])
def test_scores_equal_the_estimators_on_every_split(alpha, gamma, lam):
    X, y, Xt, yt, spaces = _toy()
    splits = class_splits(range(6), 2, n_splits=4, seed=0)
    got = score_spaces_over_splits(spaces, X, y, Xt, yt, splits, alpha, gamma, lam)
    for i, (seen, unseen) in enumerate(splits):
        keep, ask = np.isin(y, seen), np.isin(yt, unseen)
        scaler = StandardScaler().fit(X[keep])
        a, b = scaler.transform(X[keep]), scaler.transform(Xt[ask])
        for name, S in spaces.items():
            for method, model in (("ridge map", RidgeMap(alpha)), ("ESZSL", ESZSL(gamma, lam))):
                model.fit(a, y[keep], class_semantics=S)
                want = model.score(b, yt[ask], classes=unseen)
                assert got[name][method][i] == pytest.approx(want, abs=1e-12), (name, method)


def test_geometry_by_hand():
    S = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    c = 1 / np.sqrt(2)
    off = np.array([c, 0.0, c, c, 0.0, c])  # off-diagonal cosines, row by row
    g = space_geometry(S, class_means=S + 1.0)
    assert g["mean_cosine"] == pytest.approx(off.mean())
    assert g["spread"] == pytest.approx(off.std())
    M = S + 1.0
    Mn = M / np.linalg.norm(M, axis=1, keepdims=True)
    m_off = (Mn @ Mn.T)[~np.eye(3, dtype=bool)]
    assert g["image_agreement"] == pytest.approx(stats.spearmanr(off, m_off).statistic)
    with pytest.raises(ValueError, match="one row per class"):
        space_geometry(S, S[:2])


def test_rank_correlation_estimate_and_interval():
    rng = np.random.default_rng(0)
    x = rng.normal(size=15)
    y = x + rng.normal(size=15)
    r = rank_correlation(x, y, n_resamples=2000)
    assert r.estimate == pytest.approx(stats.spearmanr(x, y).statistic)
    assert r.low <= r.estimate <= r.high
    perfect = rank_correlation(x, 2 * x + 1, n_resamples=500)
    assert (perfect.estimate, perfect.low, perfect.high) == pytest.approx((1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="length"):
        rank_correlation([1, 2], [1, 2])


def _t(values):
    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return v.mean(), v.mean() - half, v.mean() + half


def test_summary_and_comparison_are_t_intervals_over_splits():
    scores = {
        "a": {"ridge map": np.array([0.5, 0.7, 0.6]), "ESZSL": np.array([0.7, 0.9, 0.6])},
        "b": {"ridge map": np.array([0.9, 0.8, 0.7]), "ESZSL": np.array([0.9, 0.9, 0.8])},
        "c": {"ridge map": np.array([0.1, 0.2, 0.3]), "ESZSL": np.array([0.3, 0.2, 0.1])},
    }
    summary = summarize_over_splits(scores)
    assert list(summary) == ["b", "a", "c"]
    s = summary["a"]["both"]
    assert (s.estimate, s.low, s.high) == pytest.approx(_t([0.6, 0.8, 0.6]))
    assert summary["c"]["ESZSL"].estimate == pytest.approx(0.2)
    gaps = compare_with_best(scores, n_top=3)
    assert list(gaps) == ["b - a", "b - c"]
    g = gaps["b - a"]
    assert (g.estimate, g.low, g.high) == pytest.approx(_t([0.3, 0.05, 0.15]))


def test_split_pool_of_a_gbu_benchmark_keeps_its_seen_classes():
    labels = np.repeat(np.arange(10), 4)
    data = {
        "dataset": "cub",
        "class_names": [str(c) for c in range(10)],
        "seen": list(range(7)),
        "unseen": [7, 8, 9],
        "train_features": np.ones((28, 3)),
        "train_labels": labels[:28],
        "test_features": np.arange(40.0)[:, None],
        "test_labels": labels,
    }
    pool = split_pool(data)
    assert pool["classes"] == list(range(7)) and pool["n_unseen"] == 2
    assert set(pool["test_labels"]) == set(range(7))
    assert pool["test_features"].ravel().tolist() == list(range(28))
