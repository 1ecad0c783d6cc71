"""ESZSL against the paper's closed form solved another way."""

import numpy as np
import pytest

from zslkit.classic import ESZSL


def _random_problem(seed=0, n=40, d=6, k=4, n_classes=5, n_seen=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_seen, size=n)
    S = rng.normal(size=(n_classes, k))
    return X, y, S


def test_eszsl_matches_kronecker_solve_of_the_paper_formula():
    X, y, S = _random_problem()
    gamma, lam = 0.7, 2.5
    model = ESZSL(gamma=gamma, lam=lam).fit(X, y, class_semantics=S)
    # The paper's layout: X (d, n), S (k, z), Y (n, z) in {-1, 1}.
    Xp, Sp = X.T, S[:3].T
    Y = -np.ones((len(y), 3))
    Y[np.arange(len(y)), y] = 1
    A = Xp @ Xp.T + gamma * np.eye(Xp.shape[0])
    B = Sp @ Sp.T + lam * np.eye(Sp.shape[0])
    # A V B = Xp Y Sp^T  <=>  (B^T kron A) vec(V) = vec(Xp Y Sp^T) (column-major vec)
    rhs = (Xp @ Y @ Sp.T).ravel(order="F")
    V = np.linalg.solve(np.kron(B.T, A), rhs).reshape(Xp.shape[0], Sp.shape[0], order="F")
    np.testing.assert_allclose(model.V_, V, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(model.decision_function(X), X @ V @ S.T, rtol=1e-9, atol=1e-10)


def test_eszsl_is_a_stationary_point_of_its_objective():
    X, y, S = _random_problem(seed=1)
    gamma, lam = 0.3, 1.1
    V = ESZSL(gamma=gamma, lam=lam).fit(X, y, class_semantics=S).V_
    Xp, Sp = X.T, S[:3].T
    Y = -np.ones((len(y), 3))
    Y[np.arange(len(y)), y] = 1
    # gradient of ||Xp^T V Sp - Y||^2 + gamma ||V Sp||^2 + lam ||Xp^T V||^2 + gamma lam ||V||^2
    grad = (
        Xp @ (Xp.T @ V @ Sp - Y) @ Sp.T
        + gamma * V @ Sp @ Sp.T
        + lam * Xp @ Xp.T @ V
        + gamma * lam * V
    )
    assert np.abs(grad).max() < 1e-9


def test_eszsl_recognises_unseen_classes_on_a_linear_toy():
    # 15 classes = every non-empty combination of 4 attributes, coded -1 / +1;
    # features are a linear function of the attributes plus noise.
    rng = np.random.default_rng(0)
    S = 2.0 * np.array([[int(b) for b in f"{i:04b}"] for i in range(1, 16)]) - 1.0
    M = rng.normal(size=(4, 20))
    seen, unseen = np.arange(12), np.arange(12, 15)
    y, yu = np.repeat(seen, 20), np.repeat(unseen, 30)
    X = S[y] @ M + 0.3 * rng.normal(size=(len(y), 20))
    Xu = S[yu] @ M + 0.3 * rng.normal(size=(len(yu), 20))
    model = ESZSL(gamma=1e-2, lam=1e-2).fit(X, y, class_semantics=S)
    assert model.score(Xu, yu, classes=unseen) > 0.9
    assert set(model.predict(Xu, classes=unseen)) <= set(unseen)


def test_eszsl_rejects_bad_input():
    X, y, S = _random_problem()
    with pytest.raises(ValueError, match="gamma"):
        ESZSL(gamma=-1.0).fit(X, y, class_semantics=S)
    with pytest.raises(ValueError, match="labels must lie"):
        ESZSL().fit(X, y + 10, class_semantics=S)
    with pytest.raises(ValueError, match="classes"):
        ESZSL().fit(X, y, class_semantics=S).predict(X, classes=[7])


def test_eszsl_with_fewer_samples_than_dimensions_matches_the_paper_formula():
    X, y, S = _random_problem(seed=2, n=8, d=30)  # n < d: the n x n form of the solve
    gamma, lam = 0.5, 1.5
    model = ESZSL(gamma=gamma, lam=lam).fit(X, y, class_semantics=S)
    Y = -np.ones((len(y), 3))
    Y[np.arange(len(y)), y] = 1
    Ss = S[:3]
    V = (
        np.linalg.inv(X.T @ X + gamma * np.eye(30))
        @ X.T
        @ Y
        @ Ss
        @ np.linalg.inv(Ss.T @ Ss + lam * np.eye(S.shape[1]))
    )
    np.testing.assert_allclose(model.V_, V, rtol=1e-8, atol=1e-10)
