"""Transductive zero-shot learning by label propagation over the test images.

An inductive zero-shot model scores every unlabelled target image on its
own. Label propagation (Zhou et al. 2004), as used for zero-shot learning by
Fu et al. (Transductive Multi-view ZSL, 2015), lets those scores flow along
the manifold of the target images: build a k-nearest-neighbour graph W on
the target features, normalise it ``S = D^-1/2 W D^-1/2`` and solve::

    F* = (I - alpha S)^-1 Y0

where ``Y0`` holds the zero-shot scores. ``F*`` is the fixed point of
``F <- alpha S F + Y0`` (scikit-learn's ``LabelSpreading`` iterates the same
map with ``(1 - alpha) Y0``, which only rescales F*). Multi-view: one graph
per view of the same images (image features, their projections into
several semantic spaces), averaged before normalising.

With alpha near 1, F* is dominated by the graph's leading eigenvector and
one class can flood the whole graph. *Class mass normalisation* (Zhu et
al. 2003) rescales the columns of F* so that the classes' masses match a
class prior ``q`` before the argmax: ``argmax_c q_c F*_ic / sum_j F*_jc``.
The prior is a choice: ``class_prior="uniform"`` (equal masses, ``q_c = 1/c``:
the balanced target's shares) or ``"initial"`` (the shares of the zero-shot
predictions, ``argmax Y0``, estimated from the unlabelled images without
labels). It needs non-negative ``Y0`` (probabilities).

Taught in: notebooks/14_transductive.ipynb.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors

from zslkit.checks import check_choice, check_range
from zslkit.classic.base import l2_normalize
from zslkit.metrics import per_class_accuracy
from zslkit.stats import interval_figures  # noqa: F401  (re-exported: chapter 14)


def knn_affinity(features, n_neighbors: int = 10, metric: str = "cosine") -> sp.csr_matrix:
    """Symmetric Gaussian kNN affinity ``W`` (n, n), zero diagonal.

    ``W_ij = exp(-d_ij^2 / sigma^2)`` if j is among the ``n_neighbors`` nearest
    neighbours of i or i among those of j, else 0; ``sigma`` is the mean
    distance to the k-th neighbour. ``metric="cosine"`` uses Euclidean distance
    between L2-normalised rows.
    """
    check_choice("metric", metric, ["cosine", "euclidean"])
    X = np.asarray(features, dtype=float)
    check_range("n_neighbors", n_neighbors, 1, X.shape[0] - 1, integer=True)
    if metric == "cosine":
        X = l2_normalize(X)
    dist, idx = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X).kneighbors(X)
    dist, idx = dist[:, 1:], idx[:, 1:]  # drop each point itself
    sigma = max(dist[:, -1].mean(), 1e-12)
    rows = np.repeat(np.arange(X.shape[0]), n_neighbors)
    W = sp.csr_matrix(
        (np.exp(-((dist.ravel() / sigma) ** 2)), (rows, idx.ravel())), shape=(X.shape[0],) * 2
    )
    W = W.maximum(W.T)
    W.setdiag(0)
    W.eliminate_zeros()
    return W.tocsr()


def normalized_graph(W) -> sp.csr_matrix:
    """``S = D^-1/2 W D^-1/2`` with D the degree matrix (isolated nodes stay 0)."""
    W = sp.csr_matrix(W, dtype=float)
    deg = np.asarray(W.sum(axis=1)).ravel()
    inv = np.zeros_like(deg)
    inv[deg > 0] = deg[deg > 0] ** -0.5
    D = sp.diags(inv)
    return (D @ W @ D).tocsr()


def propagate(W, initial_scores, alpha: float = 0.99) -> np.ndarray:
    """Closed-form label propagation ``F* = (I - alpha S)^-1 Y0``, S the normalised graph.

    W : (n, n) affinity (dense or sparse); initial_scores : (n, c). Returns (n, c).
    """
    check_range("alpha", alpha, 0.0, 1.0)
    if alpha >= 1.0:
        raise ValueError(f"alpha={alpha} makes I - alpha S singular; valid values lie in [0, 1)")
    S = normalized_graph(W)
    A = (sp.identity(S.shape[0], format="csc") - alpha * S).tocsc()
    Y0 = np.asarray(initial_scores, dtype=float)
    return splu(A).solve(np.ascontiguousarray(Y0))


CLASS_PRIORS = ("uniform", "initial")


def class_prior_of(initial_scores, prior="uniform") -> np.ndarray:
    """The class prior q of class mass normalisation, (c,) summing to 1.

    ``"uniform"``: ``1/c`` each. ``"initial"``: the shares of the zero-shot
    predictions, the fraction of items whose argmax of ``initial_scores`` is
    each class, add-one smoothed (``(n_c + 1) / (n + c)``, so no class gets 0);
    no label is used. An array of c non-negative numbers: that prior,
    normalised (e.g. the true shares, an oracle).

    Taught in: notebooks/14_transductive.ipynb.
    """
    Y0 = np.asarray(initial_scores, dtype=float)
    n, c = Y0.shape
    if not isinstance(prior, str):
        q = np.asarray(prior, dtype=float).ravel()
        if q.shape != (c,) or q.min() < 0 or q.sum() <= 0:
            raise ValueError(
                f"class_prior array {q.tolist()} must hold {c} non-negative numbers, not all 0"
            )
        return q / q.sum()
    check_choice("class_prior", prior, CLASS_PRIORS)
    if prior == "uniform":
        return np.full(c, 1.0 / c)
    counts = np.bincount(Y0.argmax(axis=1), minlength=c)
    return (counts + 1.0) / (n + c)


def _normalise(F, Y0, class_mass_normalization: bool, class_prior):
    """Class mass normalisation of F* (``q_c F_ic / sum_j F_jc``), or F* unchanged; and q."""
    if not class_mass_normalization:
        return F, None
    q = class_prior_of(Y0, class_prior)
    return q * F / F.sum(axis=0, keepdims=True).clip(1e-300), q


class TransductiveLabelPropagation(BaseEstimator):
    """Refine zero-shot scores of unlabelled target images by label propagation.

    Parameters
    ----------
    n_neighbors : int, k of the kNN graph
    alpha : float in [0, 1), how far labels flow (alpha -> 1: far; 0: no change)
    metric : "cosine" or "euclidean", the distance of the kNN graph
    class_mass_normalization : bool, rescale the columns of F* to the masses of
        ``class_prior`` (needs non-negative initial scores, e.g. ``predict_proba``)
    class_prior : "uniform" (every class the same mass), "initial" (the shares
        of the zero-shot predictions, argmax of the initial scores) or an array
        of c shares (see :func:`class_prior_of`); used only with class mass
        normalisation

    Attributes
    ----------
    graph_ : (n, n) sparse affinity (the mean over views)
    class_prior_ : (c,) the prior q of class mass normalisation (None without it)
    scores_ : (n, c) propagated scores F* (``q_c F*_ic / sum_j F*_jc`` with
        ``class_mass_normalization``)
    transduction_ : (n,) labels, ``classes[argmax scores_]``
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        alpha: float = 0.99,
        metric: str = "cosine",
        class_mass_normalization: bool = True,
        class_prior: str = "uniform",
    ):
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.metric = metric
        self.class_mass_normalization = class_mass_normalization
        self.class_prior = class_prior

    def fit(self, X, initial_scores, classes=None):
        """Propagate ``initial_scores`` (n, c) over the graph of ``X``.

        X : (n, d) array, or a list of (n, d_v) arrays (views of the same n images)
        classes : (c,) labels of the score columns (default 0..c-1)
        """
        views = list(X) if isinstance(X, (list, tuple)) else [X]
        Y0 = np.asarray(initial_scores, dtype=float)
        if any(np.asarray(v).shape[0] != Y0.shape[0] for v in views):
            raise ValueError(f"every view must have {Y0.shape[0]} rows, like initial_scores")
        if self.class_mass_normalization and Y0.min() < 0:
            raise ValueError(
                "initial_scores must be non-negative (probabilities) with "
                "class_mass_normalization=True; pass predict_proba outputs or set it False"
            )
        W = sum(knn_affinity(v, self.n_neighbors, self.metric) for v in views) / len(views)
        self.graph_ = W
        F = propagate(W, Y0, self.alpha)
        self.scores_, self.class_prior_ = _normalise(
            F, Y0, self.class_mass_normalization, self.class_prior
        )
        self.classes_ = np.arange(Y0.shape[1]) if classes is None else np.asarray(list(classes))
        self.transduction_ = self.classes_[np.argmax(self.scores_, axis=1)]
        return self

    def fit_predict(self, X, initial_scores, classes=None) -> np.ndarray:
        """``fit`` then return ``transduction_``."""
        return self.fit(X, initial_scores, classes).transduction_


def propagation_accuracy(model, X, initial_scores, labels, classes) -> float:
    """Per-class top-1 accuracy of ``model.fit_predict(X, initial_scores, classes=classes)``.

    Parameters
    ----------
    model : a :class:`TransductiveLabelPropagation` (fitted in place)
    X : (n, d) target features, or a list of views of them
    initial_scores : (n, c) zero-shot scores over ``classes``
    labels : (n,) true labels of the target images

    Taught in: notebooks/14_transductive.ipynb.
    """
    return per_class_accuracy(labels, model.fit_predict(X, initial_scores, classes=classes))


METHODS = {  # name -> (class_mass_normalization, class_prior)
    "plain": (False, "uniform"),
    "uniform prior": (True, "uniform"),
    "initial prior": (True, "initial"),
}


def make_propagation(method: str, n_neighbors: int, alpha: float):
    """A :class:`TransductiveLabelPropagation` for one of :data:`METHODS`.

    ``"plain"``: argmax of F*; ``"uniform prior"`` / ``"initial prior"``: class
    mass normalisation with that prior.

    Taught in: notebooks/14_transductive.ipynb.
    """
    check_choice("method", method, list(METHODS))
    cmn, prior = METHODS[method]
    return TransductiveLabelPropagation(
        n_neighbors, alpha, class_mass_normalization=cmn, class_prior=prior
    )


def propagation_grid(
    X, initial_scores, labels, classes, alphas, neighbors, return_predictions: bool = False
):
    """Per-class accuracy of every method of :data:`METHODS` on an (alpha, k) grid.

    One kNN graph per k and one solve per (k, alpha), shared by the methods
    (they differ only in the normalisation of F*).

    Returns
    -------
    dict method -> (len(alphas), len(neighbors)) array of per-class accuracies,
    the same as :func:`propagation_accuracy` of ``make_propagation(method, k, alpha)``;
    with ``return_predictions`` also dict method -> (len(alphas), len(neighbors), n)
    predicted labels

    Taught in: notebooks/14_transductive.ipynb.
    """
    views = list(X) if isinstance(X, (list, tuple)) else [X]
    Y0 = np.asarray(initial_scores, dtype=float)
    classes = np.asarray(list(classes))
    shape = (len(alphas), len(neighbors))
    out = {m: np.zeros(shape) for m in METHODS}
    preds = {m: np.zeros((*shape, Y0.shape[0]), dtype=classes.dtype) for m in METHODS}
    for j, k in enumerate(neighbors):
        W = sum(knn_affinity(v, k) for v in views) / len(views)
        for i, a in enumerate(alphas):
            F = propagate(W, Y0, a)
            for m, (cmn, prior) in METHODS.items():
                scores, _ = _normalise(F, Y0, cmn, prior)
                preds[m][i, j] = classes[scores.argmax(axis=1)]
                out[m][i, j] = per_class_accuracy(labels, preds[m][i, j])
    return (out, preds) if return_predictions else out


def propagation_sweep(
    alphas, n_neighbors, X, initial_scores, labels, classes, seed: int = 0
) -> dict:
    """Propagated accuracy for every ``alpha``, for each method of :data:`METHODS`, with intervals.

    Returns
    -------
    dict method -> list of :class:`zslkit.stats.Interval`, one per alpha: the
    per-class accuracy of ``make_propagation(method, n_neighbors, alpha)`` (as
    :func:`propagation_accuracy`) and its 95 % bootstrap interval over items
    resampled within their class (:func:`zslkit.classic.intervals.per_class_bootstrap`)

    Taught in: notebooks/14_transductive.ipynb.
    """
    from zslkit.classic.intervals import per_class_bootstrap

    _, preds = propagation_grid(
        X, initial_scores, labels, classes, alphas, [n_neighbors], return_predictions=True
    )
    return {m: [per_class_bootstrap(labels, p, seed=seed) for p in preds[m][:, 0]] for m in METHODS}


def imbalance_shares(n_classes: int, smallest_share: float = 0.25) -> np.ndarray:
    """Share of its images each class keeps: 1 for the first, ``smallest_share`` for the last.

    Geometric in between: class i keeps ``smallest_share ** (i / (n_classes - 1))``
    (three classes and 0.25: 1, 0.5, 0.25, i.e. 200/100/50 of 200 images each).
    ``smallest_share = 1``: a balanced set.

    Taught in: notebooks/14_transductive.ipynb (the imbalanced target set).
    """
    check_range("n_classes", n_classes, 1, integer=True)
    check_range("smallest_share", smallest_share, 0.0, 1.0)
    if smallest_share <= 0:
        raise ValueError(f"smallest_share={smallest_share}: must lie in (0, 1]")
    return smallest_share ** (np.arange(n_classes) / max(n_classes - 1, 1))


def class_subset(labels, classes, shares=None, seed: int = 0) -> np.ndarray:
    """Indices of a target set keeping ``shares[i]`` of the items of ``classes[i]`` (random, sorted).

    Each class keeps ``max(1, round(share * n_c))`` of its ``n_c`` items, drawn
    without replacement; ``shares=None``: every item of ``classes``.

    Taught in: notebooks/14_transductive.ipynb (the imbalanced target set).
    """
    labels = np.asarray(labels)
    if shares is None:
        return np.flatnonzero(np.isin(labels, classes))
    if len(shares) != len(classes):
        raise ValueError(f"{len(shares)} shares for {len(classes)} classes; give one per class")
    rng = np.random.default_rng(seed)
    keep = []
    for c, share in zip(classes, shares):
        check_range("share", share, 0.0, 1.0)
        items = np.flatnonzero(labels == c)
        n = max(1, int(round(share * items.size)))
        keep.append(rng.choice(items, n, replace=False))
    return np.sort(np.concatenate(keep))


def select_propagation(grid, alphas, neighbors) -> tuple[float, int]:
    """The ``(alpha, n_neighbors)`` of the best accuracy of a :func:`propagation_grid` entry.

    ``grid`` : (len(alphas), len(neighbors)) accuracies on a *validation* task;
    the first best in grid order on ties.

    Taught in: notebooks/14_transductive.ipynb.
    """
    grid = np.asarray(grid)
    if grid.shape != (len(alphas), len(neighbors)):
        raise ValueError(
            f"grid {grid.shape} does not match {len(alphas)} alphas x {len(neighbors)} k"
        )
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    return float(alphas[i]), int(neighbors[j])


def pseudo_unseen_split(labels, seen, n_unseen: int, shares=None, seed: int = 0):
    """A validation task from the seen classes alone: some seen classes play the unseen ones.

    Parameters
    ----------
    labels : (n,) labels of the training (seen-class) items
    seen : the seen classes; n_unseen : how many of them become pseudo-unseen
    shares : per pseudo-unseen class, the share of its items in the validation
        target set (as :func:`class_subset`; None: all)
    seed : which classes and items are drawn

    Returns
    -------
    fit_idx : items of the remaining seen classes (to fit the zero-shot model on)
    val_idx : the validation target items; pseudo_unseen : (n_unseen,) sorted classes

    Taught in: notebooks/14_transductive.ipynb (choosing alpha and k without test labels).
    """
    seen = np.asarray(seen)
    check_range("n_unseen", n_unseen, 1, seen.size - 2, integer=True)
    rng = np.random.default_rng(seed)
    pseudo_unseen = np.sort(rng.choice(seen, n_unseen, replace=False))
    labels = np.asarray(labels)
    fit_idx = np.flatnonzero(np.isin(labels, np.setdiff1d(seen, pseudo_unseen)))
    val_idx = class_subset(labels, pseudo_unseen, shares, seed)
    return fit_idx, val_idx, pseudo_unseen
