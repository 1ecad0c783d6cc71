"""The interface every classic zero-shot method in zslkit shares.

A method is a scikit-learn estimator fitted on seen-class features and
labels plus the semantic vectors of *all* classes::

    model = ESZSL(gamma=1.0, lam=1.0).fit(image_features, labels, class_semantics=S)
    model.predict(test_features, classes=unseen)   # ZSL: choose among unseen classes
    model.predict(test_features)                   # GZSL: choose among all classes

``labels`` index the rows of ``class_semantics : (n_classes, k)``; the
classes absent from ``labels`` are the unseen ones. ``classes`` restricts
prediction to a subset (its order sets the columns of
``decision_function``).

Taught in: notebooks/10_attributes_eszsl.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from zslkit.metrics import per_class_accuracy


def softmax(scores, axis: int = 1) -> np.ndarray:
    """Row-wise softmax of (n, c) scores, numerically stable."""
    scores = np.asarray(scores, dtype=float)
    z = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def l2_normalize(x, axis: int = 1) -> np.ndarray:
    """Rows of ``x`` scaled to unit Euclidean norm (zero rows left at zero)."""
    x = np.asarray(x, dtype=float)
    return x / np.linalg.norm(x, axis=axis, keepdims=True).clip(1e-12)


class ZeroShotClassifier(ClassifierMixin, BaseEstimator):
    """Base class: subclasses implement ``_fit(X, y, S)`` and ``_scores(X) -> (n, n_classes)``."""

    def fit(self, X, y, class_semantics):
        """Learn from seen-class samples.

        Parameters
        ----------
        X : (n, d) array, image features of seen classes
        y : (n,) int array, class indices into the rows of ``class_semantics``
        class_semantics : (n_classes, k) array, one semantic vector per class (seen and unseen)
        """
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        S = np.asarray(class_semantics, dtype=float)
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(f"X must be (n, d) and y (n,); got {X.shape} and {y.shape}")
        if S.ndim != 2:
            raise ValueError(f"class_semantics must be (n_classes, k); got shape {S.shape}")
        if y.min() < 0 or y.max() >= S.shape[0]:
            raise ValueError(
                f"labels must lie in [0, {S.shape[0] - 1}] (rows of class_semantics); "
                f"got range [{y.min()}, {y.max()}]"
            )
        self.class_semantics_ = S
        self.classes_ = np.arange(S.shape[0])
        self.seen_classes_ = np.unique(y)
        self.unseen_classes_ = np.setdiff1d(self.classes_, self.seen_classes_)
        self.n_features_in_ = X.shape[1]
        self._fit(X, y, S)
        return self

    def _candidates(self, classes) -> np.ndarray:
        if classes is None:
            return self.classes_
        classes = np.asarray(list(classes))
        bad = classes[(classes < 0) | (classes >= len(self.classes_))]
        if bad.size:
            raise ValueError(
                f"classes {bad.tolist()} are not valid; choose among 0..{len(self.classes_) - 1}"
            )
        return classes

    def decision_function(self, X, classes=None) -> np.ndarray:
        """Compatibility scores (n, len(classes)); columns follow ``classes`` (default: all)."""
        check_is_fitted(self, "class_semantics_")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must be (n, {self.n_features_in_}); got {X.shape}")
        return self._scores(X)[:, self._candidates(classes)]

    def predict_proba(self, X, classes=None) -> np.ndarray:
        """Softmax of the scores over ``classes``: (n, len(classes))."""
        return softmax(self.decision_function(X, classes))

    def predict(self, X, classes=None) -> np.ndarray:
        """The best-scoring class among ``classes`` (default: all), as class indices (n,)."""
        cand = self._candidates(classes)
        return cand[np.argmax(self.decision_function(X, cand), axis=1)]

    def score(self, X, y, classes=None) -> float:
        """Per-class mean top-1 accuracy among ``classes`` (the ZSL protocol)."""
        return per_class_accuracy(y, self.predict(X, classes))
