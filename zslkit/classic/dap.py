"""DAP: Direct Attribute Prediction (Lampert et al. 2009, 2014).

One probabilistic classifier per binary attribute is trained on seen-class
images (each image inherits its class's attributes). A class, seen or not,
is then scored by how well its attribute signature ``a^c`` matches the
predicted attribute posteriors::

    log p(c | x)  =  sum_m  log p(a_m = a^c_m | x)  -  log p(a_m = a^c_m)  + const

with the attribute priors ``p(a_m)`` taken as the mean over seen classes.
An attribute that never varies among the seen classes cannot be learned;
its posterior and prior are set to 1/2, so it does not vote.

Taught in: notebooks/10_attributes_eszsl.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from zslkit.checks import check_range
from zslkit.classic.base import ZeroShotClassifier


class DAP(ZeroShotClassifier):
    """Direct attribute prediction with one logistic regression per attribute.

    Parameters
    ----------
    C : float > 0, inverse L2 penalty of each attribute classifier
    eps : float in (0, 0.5), posteriors and priors are clipped to [eps, 1 - eps]
    max_iter : int, iterations of each logistic regression

    Attributes
    ----------
    attribute_classifiers_ : list of LogisticRegression or None (attribute not learnable)
    attribute_prior_ : (n_attributes,) prior p(a_m = 1) over seen classes
    """

    def __init__(self, C: float = 1.0, eps: float = 1e-3, max_iter: int = 1000):
        self.C = C
        self.eps = eps
        self.max_iter = max_iter

    def _fit(self, X, y, S):
        check_range("C", self.C, 0.0)
        check_range("eps", self.eps, 0.0, 0.5)
        if not np.all(np.isin(S, (0.0, 1.0))):
            raise ValueError(
                "DAP needs binary class semantics (an attribute matrix of 0 / 1); "
                "use ESZSL or RidgeMap for continuous embeddings"
            )
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        A = S[y]  # (n, n_attributes): each image inherits its class's attributes
        self.attribute_prior_ = S[self.seen_classes_].mean(axis=0)
        self.attribute_classifiers_ = []
        # many small fits: one BLAS thread is faster, and the same on every machine
        with threadpool_limits(limits=1, user_api="blas"):
            for m in range(S.shape[1]):
                if A[:, m].min() == A[:, m].max():
                    self.attribute_classifiers_.append(None)
                    self.attribute_prior_[m] = 0.5
                else:
                    clf = LogisticRegression(C=self.C, max_iter=self.max_iter)
                    self.attribute_classifiers_.append(clf.fit(Xs, A[:, m].astype(int)))
        return self

    def attribute_proba(self, X) -> np.ndarray:
        """Posterior p(a_m = 1 | x) of every attribute: (n, n_attributes)."""
        Xs = self.scaler_.transform(np.asarray(X, dtype=float))
        cols = [
            np.full(len(Xs), 0.5) if clf is None else clf.predict_proba(Xs)[:, 1]
            for clf in self.attribute_classifiers_
        ]
        return np.stack(cols, axis=1)

    def _scores(self, X):
        p = np.clip(self.attribute_proba(X), self.eps, 1 - self.eps)
        prior = np.clip(self.attribute_prior_, self.eps, 1 - self.eps)
        A = self.class_semantics_  # (n_classes, n_attributes)
        log_post = np.log(p) @ A.T + np.log1p(-p) @ (1 - A).T
        log_prior = np.log(prior) @ A.T + np.log1p(-prior) @ (1 - A).T
        return log_post - log_prior
