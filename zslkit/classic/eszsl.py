"""ESZSL: an embarrassingly simple bilinear zero-shot model with a closed form.

Romera-Paredes & Torr (2015) score a sample ``x`` against a class with
semantic vector ``s_c`` by ``x^T V s_c``, fitting V by regularised least
squares to the {-1, +1} class-indicator matrix Y of the seen classes::

    V = (X^T X + gamma I)^-1  X^T Y S  (S^T S + lam I)^-1

Here X is (n, d) with samples as *rows* and S is (n_seen, k) with classes as
rows; the paper writes the same formula with X (d, n) and S (k, n_seen), so
its ``X X^T`` is our ``X^T X``. With fewer samples than feature dimensions
the feature-side solve is done in its n x n form (the push-through identity
``(X^T X + gamma I)^-1 X^T = X^T (X X^T + gamma I)^-1``), the same V.

Taught in: notebooks/10_attributes_eszsl.ipynb.
"""

from __future__ import annotations

import numpy as np

from zslkit.checks import check_range
from zslkit.classic.base import ZeroShotClassifier


class ESZSL(ZeroShotClassifier):
    """Bilinear compatibility ``x^T V s_c`` fitted in closed form.

    Parameters
    ----------
    gamma : float > 0, ridge penalty on the feature side
    lam : float > 0, ridge penalty on the semantic side

    Attributes
    ----------
    V_ : (d, k) array, the bilinear map
    """

    def __init__(self, gamma: float = 1.0, lam: float = 1.0):
        self.gamma = gamma
        self.lam = lam

    def _fit(self, X, y, S):
        check_range("gamma", self.gamma, 0.0)
        check_range("lam", self.lam, 0.0)
        seen = self.seen_classes_
        Y = -np.ones((X.shape[0], seen.size))
        Y[np.arange(X.shape[0]), np.searchsorted(seen, y)] = 1.0
        Ss = S[seen]
        (n, d), k = X.shape, S.shape[1]
        if n < d:  # (X^T X + gamma I)^-1 X^T = X^T (X X^T + gamma I)^-1: an n x n solve
            left = X.T @ np.linalg.solve(X @ X.T + self.gamma * np.eye(n), Y @ Ss)  # (d, k)
        else:
            left = np.linalg.solve(X.T @ X + self.gamma * np.eye(d), X.T @ Y @ Ss)  # (d, k)
        self.V_ = np.linalg.solve(
            Ss.T @ Ss + self.lam * np.eye(k), left.T
        ).T  # right-multiply by the inverse
        return self

    def _scores(self, X):
        return X @ self.V_ @ self.class_semantics_.T
