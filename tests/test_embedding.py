"""RidgeMap against scikit-learn's Ridge and scipy distances."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.linear_model import Ridge
from sklearn.metrics.pairwise import cosine_similarity

from zslkit.classic import RidgeMap, ridge_fit, similarity


@pytest.mark.parametrize("n,p", [(50, 6), (10, 30)])  # primal and dual forms
def test_ridge_fit_matches_sklearn(n, p):
    rng = np.random.default_rng(n)
    X, T = rng.normal(size=(n, p)), rng.normal(size=(n, 3))
    coef, intercept = ridge_fit(X, T, alpha=2.0)
    ref = Ridge(alpha=2.0).fit(X, T)
    np.testing.assert_allclose(coef, ref.coef_.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(intercept, ref.intercept_, rtol=1e-8, atol=1e-10)


def test_similarity_matches_sklearn_and_scipy():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(similarity(A, B, "cosine"), cosine_similarity(A, B), rtol=1e-10)
    np.testing.assert_allclose(similarity(A, B, "euclidean"), -cdist(A, B), rtol=1e-8)


@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_ridge_map_directions_match_sklearn(direction):
    rng = np.random.default_rng(1)
    S = rng.normal(size=(6, 5))
    y = np.repeat(np.arange(4), 10)
    X = rng.normal(size=(40, 12))
    model = RidgeMap(alpha=0.5, direction=direction).fit(X, y, class_semantics=S)
    if direction == "forward":
        ref = Ridge(alpha=0.5).fit(X, S[y])
        expected = cosine_similarity(ref.predict(X), S)
    else:
        ref = Ridge(alpha=0.5).fit(S[y], X)
        expected = cosine_similarity(X, ref.predict(S))
    np.testing.assert_allclose(model.decision_function(X), expected, rtol=1e-8, atol=1e-10)


def test_ridge_map_zero_shot_on_a_linear_toy():
    rng = np.random.default_rng(2)
    S = rng.normal(size=(10, 6))
    M = rng.normal(size=(6, 30))
    y, yu = np.repeat(np.arange(7), 20), np.repeat([7, 8, 9], 20)
    X = S[y] @ M + 0.1 * rng.normal(size=(len(y), 30))
    Xu = S[yu] @ M + 0.1 * rng.normal(size=(len(yu), 30))
    for direction in ("forward", "reverse"):
        model = RidgeMap(alpha=1e-2, direction=direction).fit(X, y, class_semantics=S)
        assert model.score(Xu, yu, classes=[7, 8, 9]) > 0.9


def test_ridge_map_rejects_bad_direction():
    with pytest.raises(ValueError, match="direction"):
        RidgeMap(direction="sideways").fit(
            np.zeros((4, 2)), np.array([0, 0, 1, 1]), class_semantics=np.eye(2)
        )
