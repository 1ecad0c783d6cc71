"""Label propagation against its closed form and scikit-learn's LabelSpreading."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.semi_supervised import LabelSpreading

from zslkit.classic import TransductiveLabelPropagation, knn_affinity, normalized_graph, propagate


def _blobs(seed=0, n=30):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y = np.repeat([0, 1, 2], n)
    return centres[y] + rng.normal(size=(3 * n, 2)), y


def test_knn_affinity_against_brute_force():
    X, _ = _blobs()
    k = 5
    W = knn_affinity(X, n_neighbors=k, metric="euclidean").toarray()
    D = cdist(X, X)
    np.fill_diagonal(D, np.inf)
    nn = np.argsort(D, axis=1)[:, :k]
    sigma = np.take_along_axis(D, nn, axis=1)[:, -1].mean()
    expected = np.zeros_like(D)
    for i in range(len(X)):
        for j in nn[i]:
            expected[i, j] = expected[j, i] = np.exp(-((D[i, j] / sigma) ** 2))
    np.testing.assert_allclose(W, expected, rtol=1e-10, atol=1e-12)


def test_propagate_matches_dense_closed_form():
    X, _ = _blobs(1)
    W = knn_affinity(X, 6)
    Y0 = np.random.default_rng(0).random((len(X), 3))
    alpha = 0.9
    Wd = W.toarray()
    d = Wd.sum(1)
    S = Wd / np.sqrt(np.outer(d, d))
    expected = np.linalg.solve(np.eye(len(X)) - alpha * S, Y0)
    np.testing.assert_allclose(propagate(W, Y0, alpha), expected, rtol=1e-8)
    np.testing.assert_allclose(normalized_graph(W).toarray(), S, rtol=1e-12)


def test_propagate_matches_sklearn_label_spreading():
    X, y = _blobs(2)
    W = knn_affinity(X, 6).toarray()
    labelled = np.zeros(len(y), dtype=bool)
    labelled[[0, 1, 30, 31, 60, 61]] = True
    y_partial = np.where(labelled, y, -1)
    alpha = 0.8
    ls = LabelSpreading(kernel=lambda a, b: W, alpha=alpha, max_iter=5000, tol=1e-12).fit(
        X, y_partial
    )
    Y0 = np.zeros((len(y), 3))
    Y0[labelled, y[labelled]] = 1.0
    F = propagate(W, Y0, alpha)
    np.testing.assert_allclose(F / F.sum(1, keepdims=True), ls.label_distributions_, atol=1e-8)


def test_propagation_repairs_noisy_zero_shot_scores():
    X, y = _blobs(3)
    rng = np.random.default_rng(0)
    Y0 = np.eye(3)[y] * 0.6 + rng.random((len(y), 3))  # weak, noisy scores
    before = np.mean(Y0.argmax(1) == y)
    model = TransductiveLabelPropagation(n_neighbors=8, alpha=0.99, metric="euclidean")
    after = np.mean(model.fit_predict(X, Y0, classes=[0, 1, 2]) == y)
    assert before < 0.9 and after > 0.97
    # two views of the same points: a duplicated view gives the same graph
    multi = TransductiveLabelPropagation(n_neighbors=8, alpha=0.99, metric="euclidean").fit(
        [X, X.copy()], Y0
    )
    np.testing.assert_allclose(multi.scores_, model.scores_, rtol=1e-10)


def test_bad_parameters():
    X, _ = _blobs()
    with pytest.raises(ValueError, match="alpha"):
        propagate(knn_affinity(X, 3), np.ones((len(X), 2)), alpha=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        TransductiveLabelPropagation().fit(X, -np.ones((len(X), 2)))


def test_propagation_accuracy_and_sweep_against_plain_loops():
    from zslkit.classic import propagation_accuracy, propagation_sweep

    X, y = _blobs(seed=5)
    rng = np.random.default_rng(5)
    initial = np.eye(3)[y] * 0.4 + rng.random((y.size, 3))  # noisy, non-negative scores
    classes = [0, 1, 2]

    def per_class(pred):
        return np.mean([np.mean(pred[y == c] == c) for c in classes])

    model = TransductiveLabelPropagation(5, 0.9)
    got = propagation_accuracy(model, X, initial, y, classes)
    F = propagate(knn_affinity(X, 5), initial, 0.9)
    F = F / F.sum(axis=0, keepdims=True)
    assert got == pytest.approx(per_class(np.argmax(F, axis=1)))
    alphas = [0.0, 0.5, 0.9]
    curves = propagation_sweep(alphas, 5, X, initial, y, classes)
    for cmn in (True, False):
        expected = []
        for a in alphas:
            F = propagate(knn_affinity(X, 5), initial, a)
            F = F / F.sum(axis=0, keepdims=True) if cmn else F
            expected.append(per_class(np.argmax(F, axis=1)))
        assert curves[cmn] == pytest.approx(expected)
    assert curves[False][0] == pytest.approx(per_class(np.argmax(initial, axis=1)))
