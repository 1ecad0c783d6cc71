"""A DeViSE-style linear map between image features and a semantic space.

DeViSE (Frome et al. 2013) maps an image into a word-embedding space and
names it by the nearest class embedding. Its simplest form is ridge
regression from features to the class's semantic vector::

    W = argmin_W ||X W - S_y||^2 + alpha ||W||^2,      score(x, c) = cos(x W, s_c)

The *reverse* direction (Shigeto et al. 2015) regresses image features from
class semantics instead, ``X ~ S_y W'``, and compares an image with every
class prototype ``s_c W'`` in the image space; it produces fewer hubs.

Taught in: notebooks/11_semantic_spaces.ipynb (forward) and
notebooks/13_hubness.ipynb (reverse).
"""

from __future__ import annotations

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.classic.base import ZeroShotClassifier, l2_normalize


def ridge_fit(inputs, targets, alpha: float):
    """Ridge regression with an intercept: ``(coef (p, q), intercept (q,))``.

    inputs : (n, p); targets : (n, q). Solves ``(Xc^T Xc + alpha I) W = Xc^T Tc``
    on centred data, like ``sklearn.linear_model.Ridge``.
    """
    inputs = np.asarray(inputs, dtype=float)
    targets = np.asarray(targets, dtype=float)
    mx, mt = inputs.mean(axis=0), targets.mean(axis=0)
    Xc, Tc = inputs - mx, targets - mt
    n, p = Xc.shape
    if p <= n:
        coef = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(p), Xc.T @ Tc)
    else:  # the dual form is cheaper when there are more dimensions than samples
        coef = Xc.T @ np.linalg.solve(Xc @ Xc.T + alpha * np.eye(n), Tc)
    return coef, mt - mx @ coef


def similarity(queries, prototypes, metric: str = "cosine") -> np.ndarray:
    """(n_q, n_p) similarity: cosine, or minus the Euclidean distance."""
    check_choice("metric", metric, ["cosine", "euclidean"])
    if metric == "cosine":
        return l2_normalize(queries) @ l2_normalize(prototypes).T
    q, p = np.asarray(queries, dtype=float), np.asarray(prototypes, dtype=float)
    sq = (q**2).sum(1)[:, None] + (p**2).sum(1)[None, :] - 2 * q @ p.T
    return -np.sqrt(np.clip(sq, 0, None))


class RidgeMap(ZeroShotClassifier):
    """Ridge regression between image features and class semantics, then nearest class.

    Parameters
    ----------
    alpha : float >= 0, ridge penalty
    direction : "forward" (image -> semantic space, DeViSE-style) or
        "reverse" (semantic -> image space)
    metric : "cosine" or "euclidean", how a mapped point is compared with the class points

    Attributes
    ----------
    coef_, intercept_ : the fitted map ((d, k) and (k,) forward; (k, d) and (d,) reverse)
    """

    def __init__(self, alpha: float = 1.0, direction: str = "forward", metric: str = "cosine"):
        self.alpha = alpha
        self.direction = direction
        self.metric = metric

    def _fit(self, X, y, S):
        check_range("alpha", self.alpha, 0.0)
        check_choice("direction", self.direction, ["forward", "reverse"])
        check_choice("metric", self.metric, ["cosine", "euclidean"])
        if self.direction == "forward":
            self.coef_, self.intercept_ = ridge_fit(X, S[y], self.alpha)
        else:
            self.coef_, self.intercept_ = ridge_fit(S[y], X, self.alpha)
        return self

    def embed(self, X) -> np.ndarray:
        """Image features in the space where classes are compared: (n, k) forward, (n, d) reverse."""
        X = np.asarray(X, dtype=float)
        return X @ self.coef_ + self.intercept_ if self.direction == "forward" else X

    def prototypes(self, class_semantics=None) -> np.ndarray:
        """Class points in the comparison space: (n_classes, k) forward, (n_classes, d) reverse."""
        S = (
            self.class_semantics_
            if class_semantics is None
            else np.asarray(class_semantics, dtype=float)
        )
        return S if self.direction == "forward" else S @ self.coef_ + self.intercept_

    def _scores(self, X):
        return similarity(self.embed(X), self.prototypes(), self.metric)
