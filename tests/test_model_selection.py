"""Class-wise cross-validation against scikit-learn's GridSearchCV on the same folds."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from zslkit.classic import DAP, ESZSL, RidgeMap
from zslkit.classic.model_selection import ClassCVSearch, class_folds, oracle_search, protocol_note


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
