"""Class-wise cross-validation against scikit-learn's GridSearchCV on the same folds."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from zslkit.classic import DAP, ESZSL, RidgeMap
from zslkit.classic.model_selection import (
    ClassCVSearch,
    check_folds,
    class_folds,
    oracle_search,
    protocol_note,
)


def _toy(seed=0):
    rng = np.random.default_rng(seed)
    S = 2.0 * np.array([[int(b) for b in f"{i:04b}"] for i in range(1, 16)]) - 1.0
    M = rng.normal(size=(4, 20))
    y = np.repeat(np.arange(12), 15)
    X = S[y] @ M + 1.0 * rng.normal(size=(len(y), 20))
    return S, X, y


def test_class_folds_partition_the_classes():
    y = np.repeat([0, 2, 3, 5, 7, 8, 9], 4)
    folds = class_folds(y, 3, seed=1)
    assert sorted(np.concatenate(folds).tolist()) == [0, 2, 3, 5, 7, 8, 9]
    assert sorted(len(f) for f in folds) == [2, 2, 3]
    assert all(np.all(np.diff(f) > 0) for f in folds)
    assert [f.tolist() for f in class_folds(y, 3, seed=1)] == [f.tolist() for f in folds]


def test_search_matches_grid_search_cv_on_the_same_class_folds():
    S, X, y = _toy()
    grid = {"gamma": [0.01, 1.0, 100.0], "lam": [0.1, 10.0]}
    search = ClassCVSearch(ESZSL(), grid, n_folds=3, seed=0).fit(X, y, class_semantics=S)
    cv = [(np.flatnonzero(~np.isin(y, f)), np.flatnonzero(np.isin(y, f))) for f in search.folds_]

    def zsl_score(estimator, X_fold, y_fold):  # ZSL among the fold's own classes
        return estimator.score(X_fold, y_fold, classes=np.unique(y_fold))

    reference = GridSearchCV(ESZSL(), grid, scoring=zsl_score, cv=cv).fit(X, y, class_semantics=S)
    np.testing.assert_allclose(
        search.cv_results_["mean_score"], reference.cv_results_["mean_test_score"], atol=1e-12
    )
    assert search.best_params_ == reference.best_params_
    np.testing.assert_allclose(search.best_estimator_.V_, reference.best_estimator_.V_)


def test_search_never_fits_on_a_held_out_class():
    S, X, y = _toy(1)
    seen_by_fits = []

    class Spy(RidgeMap):
        def fit(self, X, y, class_semantics):
            seen_by_fits.append(set(np.unique(y)))
            return super().fit(X, y, class_semantics)

    search = ClassCVSearch(Spy(), {"alpha": [0.1, 10.0]}, n_folds=4, seed=2).fit(X, y, S)
    folds = [set(f.tolist()) for f in search.folds_]
    assert len(seen_by_fits) == 2 * 4 + 1  # the grid on every fold, then the refit
    for i, classes in enumerate(seen_by_fits[:-1]):
        assert not classes & folds[i // 2]
    assert seen_by_fits[-1] == set(range(12))


def test_dap_search_runs_on_binary_attributes():
    S, X, y = _toy(2)
    search = ClassCVSearch(DAP(), {"C": [0.01, 1.0]}, n_folds=2).fit(X, y, (S > 0).astype(float))
    assert search.cv_results_["fold_scores"].shape == (2, 2)
    assert search.best_params_["C"] in (0.01, 1.0)


def test_protocol_note_names_the_differences():
    assert protocol_note("awa2", None, 3) == (
        "ours (awa2): features standardised; penalties by 3-fold class CV on trainval"
    )
    assert protocol_note("cub", 400, 5).endswith("; trainval capped at 400 per class")


def test_bad_input_raises():
    S, X, y = _toy()
    with pytest.raises(ValueError, match="n_folds"):
        class_folds(y, 1)
    with pytest.raises(ValueError, match="n_folds"):
        class_folds(y, 13)
    with pytest.raises(ValueError, match="rows"):
        ClassCVSearch(ESZSL(), {"gamma": [1.0]}).fit(X, y[:-1], S)


def test_oracle_search_is_the_best_test_score_of_the_grid():
    S, X, y = _toy(3)
    rng = np.random.default_rng(4)
    yt = np.repeat([12, 13, 14], 10)
    M = np.linalg.lstsq(S[y], X, rcond=None)[0]
    Xt = S[yt] @ M + rng.normal(size=(30, 20))
    grid = {"alpha": [1e-3, 1.0, 1e3]}
    search = ClassCVSearch(RidgeMap(), grid, n_folds=2).fit(X, y, S)
    oracle = oracle_search(search, X, y, S, Xt, yt, [12, 13, 14])
    scores = [
        RidgeMap(alpha=a).fit(X, y, class_semantics=S).score(Xt, yt, classes=[12, 13, 14])
        for a in grid["alpha"]
    ]
    assert oracle.score(Xt, yt, classes=[12, 13, 14]) == pytest.approx(max(scores))


def test_given_folds_match_grid_search_cv_and_a_hand_fit():
    S, X, y = _toy(5)
    held = [2, 7, 9]  # one fold, as the GBU protocol's validation classes
    grid = {"gamma": [0.01, 1.0, 100.0], "lam": [0.1, 10.0]}
    search = ClassCVSearch(ESZSL(), grid, folds=[held]).fit(X, y, class_semantics=S)
    assert [f.tolist() for f in search.folds_] == [held]
    out = np.isin(y, held)
    by_hand = [  # fit on the other classes' images, 3-way ZSL on the held-out ones
        ESZSL(gamma=g, lam=lam)
        .fit(X[~out], y[~out], class_semantics=S)
        .score(X[out], y[out], classes=held)
        for g in grid["gamma"]
        for lam in grid["lam"]
    ]
    np.testing.assert_allclose(search.cv_results_["fold_scores"][:, 0], by_hand, atol=1e-12)
    cv = [(np.flatnonzero(~out), np.flatnonzero(out))]

    def zsl_score(estimator, X_fold, y_fold):
        return estimator.score(X_fold, y_fold, classes=np.unique(y_fold))

    reference = GridSearchCV(ESZSL(), grid, scoring=zsl_score, cv=cv).fit(X, y, class_semantics=S)
    assert search.best_params_ == reference.best_params_
    np.testing.assert_allclose(search.best_estimator_.V_, reference.best_estimator_.V_)


def test_no_class_is_in_two_folds():
    y = np.repeat(np.arange(9), 3)
    for seed in range(5):
        folds = class_folds(y, 4, seed=seed)
        flat = np.concatenate(folds)
        assert len(flat) == len(set(flat.tolist())) == 9
    with pytest.raises(ValueError, match="shares classes \\[3\\]"):
        check_folds(y, [[1, 3], [3, 4]])
    with pytest.raises(ValueError, match="not in y"):
        check_folds(y, [[1, 12]])
    with pytest.raises(ValueError, match="every class"):
        check_folds(y, [list(range(9))])
    with pytest.raises(ValueError, match="empty"):
        check_folds(y, [[]])
    assert [f.tolist() for f in check_folds(y, [[5, 1], [0]])] == [[1, 5], [0]]


def test_protocol_note_on_the_proposed_validation_classes():
    assert protocol_note("cub", None, 3, standardised=False, proposed_validation=True) == (
        "ours (cub): penalties on the proposed validation classes, trainval images only"
    )
    assert protocol_note("sun", 50, 3, False, True).endswith("; trainval capped at 50 per class")


def test_standardize_scales_with_training_statistics_or_not_at_all():
    from sklearn.preprocessing import StandardScaler

    from zslkit.classic import standardize

    rng = np.random.default_rng(0)
    data = {
        "train_features": rng.normal(3.0, 2.0, size=(20, 4)).astype(np.float32),
        "train_labels": np.arange(20) % 2,
        "test_features": rng.normal(size=(6, 4)).astype(np.float32),
        "test_labels": np.arange(6) % 3,
    }
    tr, _, te, _ = standardize(data)
    scaler = StandardScaler().fit(data["train_features"])
    np.testing.assert_allclose(te, scaler.transform(data["test_features"]), rtol=1e-6)
    tr, ytr, te, yte = standardize(data, scale=False)
    np.testing.assert_array_equal(tr, data["train_features"])
    np.testing.assert_array_equal(te, data["test_features"])
    assert tr.dtype == np.float64 and ytr is data["train_labels"]
