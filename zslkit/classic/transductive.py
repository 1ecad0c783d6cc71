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
al. 2003) divides each column of F* by its sum before the argmax, so every
class keeps the share of mass it started with; it needs non-negative
``Y0`` (probabilities).

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


class TransductiveLabelPropagation(BaseEstimator):
    """Refine zero-shot scores of unlabelled target images by label propagation.

    Parameters
    ----------
    n_neighbors : int, k of the kNN graph
    alpha : float in [0, 1), how far labels flow (alpha -> 1: far; 0: no change)
    metric : "cosine" or "euclidean", the distance of the kNN graph
    class_mass_normalization : bool, divide each column of F* by its sum
        (needs non-negative initial scores, e.g. ``predict_proba``)

    Attributes
    ----------
    graph_ : (n, n) sparse affinity (the mean over views)
    scores_ : (n, c) propagated scores F* (column-normalised if ``class_mass_normalization``)
    transduction_ : (n,) labels, ``classes[argmax F*]``
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        alpha: float = 0.99,
        metric: str = "cosine",
        class_mass_normalization: bool = True,
    ):
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.metric = metric
        self.class_mass_normalization = class_mass_normalization

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
        self.scores_ = (
            F / F.sum(axis=0, keepdims=True).clip(1e-300) if self.class_mass_normalization else F
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


def propagation_sweep(alphas, n_neighbors, X, initial_scores, labels, classes) -> dict:
    """Propagated accuracy for every ``alpha``, with and without class mass normalisation.

    Returns
    -------
    dict ``{True: [...], False: [...]}``: for each ``class_mass_normalization``
    the :func:`propagation_accuracy` of a ``TransductiveLabelPropagation(n_neighbors,
    alpha)`` for every alpha of ``alphas`` (normalised first at each alpha).

    Taught in: notebooks/14_transductive.ipynb.
    """
    curves = {True: [], False: []}
    for a in alphas:
        for cmn in (True, False):
            model = TransductiveLabelPropagation(n_neighbors, a, class_mass_normalization=cmn)
            curves[cmn].append(propagation_accuracy(model, X, initial_scores, labels, classes))
    return curves
