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


def test_propagation_accuracy_grid_and_sweep_against_plain_loops():
    from zslkit.classic import propagation_accuracy, propagation_grid, propagation_sweep

    X, y = _blobs(seed=5)
    rng = np.random.default_rng(5)
    initial = np.eye(3)[y] * 0.4 + rng.random((y.size, 3))  # noisy, non-negative scores
    classes = [0, 1, 2]

    def per_class(pred):
        return np.mean([np.mean(pred[y == c] == c) for c in classes])

    def by_hand(k, a, prior):  # prior None: plain argmax of F*
        F = propagate(knn_affinity(X, k), initial, a)
        if prior is None:
            return per_class(np.argmax(F, axis=1))
        return per_class(np.argmax(prior * F / F.sum(axis=0, keepdims=True), axis=1))

    model = TransductiveLabelPropagation(5, 0.9)
    got = propagation_accuracy(model, X, initial, y, classes)
    assert got == pytest.approx(by_hand(5, 0.9, np.ones(3) / 3))
    counts = np.bincount(initial.argmax(1), minlength=3)
    initial_prior = (counts + 1) / (len(y) + 3)
    priors = {"plain": None, "uniform prior": np.ones(3) / 3, "initial prior": initial_prior}
    alphas, ks = [0.0, 0.5, 0.9], [4, 6]
    grid = propagation_grid(X, initial, y, classes, alphas, ks)
    assert set(grid) == set(priors)
    for m, prior in priors.items():
        expected = [[by_hand(k, a, prior) for k in ks] for a in alphas]
        np.testing.assert_allclose(grid[m], expected)
    curves = propagation_sweep(alphas, 5, X, initial, y, classes)
    for m, prior in priors.items():
        est = [iv.estimate for iv in curves[m]]
        assert est == pytest.approx([by_hand(5, a, prior) for a in alphas])
        assert all(iv.low <= iv.estimate <= iv.high for iv in curves[m])
    assert curves["plain"][0].estimate == pytest.approx(per_class(np.argmax(initial, axis=1)))


def test_class_priors_hand_worked():
    from zslkit.classic import class_prior_of

    Y0 = np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.2, 0.7, 0.1], [0.9, 0.05, 0.05]])
    np.testing.assert_allclose(class_prior_of(Y0, "uniform"), [1 / 3] * 3)
    # argmax: 0, 0, 1, 0 -> counts 3, 1, 0 -> add-one (4, 2, 1) / 7
    np.testing.assert_allclose(class_prior_of(Y0, "initial"), [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(class_prior_of(Y0, [2, 1, 1]), [0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="class_prior"):
        class_prior_of(Y0, "oracle")
    with pytest.raises(ValueError, match="3 non-negative"):
        class_prior_of(Y0, [1, 1])
    # the fitted model uses q_c F_ic / sum_j F_jc
    X, y = _blobs(6)
    scores = np.random.default_rng(6).random((len(y), 3))
    q = np.array([0.5, 0.3, 0.2])
    model = TransductiveLabelPropagation(5, 0.8, class_prior=q).fit(X, scores)
    F = propagate(knn_affinity(X, 5), scores, 0.8)
    np.testing.assert_allclose(model.scores_, q * F / F.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(model.class_prior_, q)
    plain = TransductiveLabelPropagation(5, 0.8, class_mass_normalization=False).fit(X, scores)
    assert plain.class_prior_ is None
    np.testing.assert_allclose(plain.scores_, F, rtol=1e-10)


def test_class_mass_normalisation_hand_worked():
    # alpha = 0: F* = Y0, so the decisions are class mass normalisation alone.
    # Column sums 2.95 and 1.05; F / sums: [.3051 .0952] [.2712 .1905]
    # [.2373 .2857] [.1864 .4286]. Plain argmax: 0 0 0 0. Uniform prior
    # (halves of these): 0 0 1 1. Initial prior: argmax counts (4, 0),
    # add-one (5, 1) / 6: item 3 gives .1554 vs .0714, so 0 0 0 0. Prior
    # (1/4, 3/4): .0763 vs .0714, .0678 vs .1429, ...: 0 1 1 1.
    Y0 = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.55, 0.45]])
    X = np.random.default_rng(7).normal(size=(4, 2))
    cases = {
        "uniform": [0, 0, 1, 1],
        "initial": [0, 0, 0, 0],
        (0.25, 0.75): [0, 1, 1, 1],
    }
    for prior, expected in cases.items():
        model = TransductiveLabelPropagation(1, 0.0, class_prior=prior)
        assert model.fit_predict(X, Y0, classes=[0, 1]).tolist() == expected
    uniform = TransductiveLabelPropagation(1, 0.0).fit(X, Y0)
    hand = 0.5 * np.array([[0.9 / 2.95, 0.1 / 1.05], [0.55 / 2.95, 0.45 / 1.05]])
    np.testing.assert_allclose(uniform.scores_[[0, 3]], hand, rtol=1e-12)
    np.testing.assert_allclose(
        TransductiveLabelPropagation(1, 0.0, class_prior="initial").fit(X, Y0).class_prior_,
        [5 / 6, 1 / 6],
    )
    plain = TransductiveLabelPropagation(1, 0.0, class_mass_normalization=False)
    assert plain.fit_predict(X, Y0).tolist() == [0, 0, 0, 0]


def test_imbalanced_subset_and_pseudo_unseen_split():
    from zslkit.classic import class_subset, imbalance_shares, pseudo_unseen_split

    np.testing.assert_allclose(imbalance_shares(3, 0.25), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(imbalance_shares(5, 1.0), np.ones(5))
    with pytest.raises(ValueError, match="smallest_share"):
        imbalance_shares(3, 0.0)
    labels = np.repeat([0, 1, 2, 3, 4, 5], 200)
    idx = class_subset(labels, [1, 3, 5], [1.0, 0.5, 0.25], seed=1)
    assert np.array_equal(np.bincount(labels[idx], minlength=6), [0, 200, 0, 100, 0, 50])
    assert len(set(idx)) == idx.size and np.all(np.diff(idx) > 0)
    assert np.array_equal(class_subset(labels, [2], None), np.flatnonzero(labels == 2))
    with pytest.raises(ValueError, match="one per class"):
        class_subset(labels, [1, 3], [1.0])
    fit, val, pseudo = pseudo_unseen_split(labels, [0, 2, 3, 4, 5], 2, [1.0, 0.5], seed=2)
    assert len(pseudo) == 2 and set(pseudo) <= {0, 2, 3, 4, 5}
    assert not set(labels[fit]) & set(pseudo) and set(labels[fit]) | set(pseudo) == {0, 2, 3, 4, 5}
    assert sorted(np.bincount(labels[val])[pseudo].tolist()) == [100, 200]
    assert 1 not in labels[val]  # never a class outside seen


def test_select_propagation_takes_the_first_best():
    from zslkit.classic import make_propagation, select_propagation

    grid = np.array([[0.5, 0.7], [0.7, 0.6], [0.2, 0.1]])
    assert select_propagation(grid, [0.1, 0.5, 0.9], [5, 10]) == (0.1, 10)
    with pytest.raises(ValueError, match="does not match"):
        select_propagation(grid, [0.1, 0.5], [5, 10])
    model = make_propagation("initial prior", 7, 0.3)
    assert (model.n_neighbors, model.alpha, model.class_prior) == (7, 0.3, "initial")
    assert make_propagation("plain", 7, 0.3).class_mass_normalization is False
    with pytest.raises(ValueError, match="method"):
        make_propagation("oracle", 7, 0.3)


def test_interval_figures_names_the_three_numbers():
    from zslkit.classic import interval_figures
    from zslkit.stats import Interval

    got = interval_figures("gap", Interval(0.1, -0.2, 0.3, 0.95, "x"))
    assert got == {"gap": 0.1, "gap_ci_low": -0.2, "gap_ci_high": 0.3}
