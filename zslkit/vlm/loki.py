"""Loki: predict with the Fréchet mean of the class probabilities over a label metric.

A model outputs probabilities over its own label set ``Lambda`` (K classes),
a subset of the full label space ``Y`` (N classes) on which a metric ``d``
is known. Instead of the arg max over ``Lambda``, Loki predicts the Fréchet
mean of the probabilities, the label of ``Y`` that minimises the expected
squared distance to the model's classes:

    y_hat(x) = argmin_{y in Y} sum_{i=1}^{K} P(lambda_i | x) d(y, lambda_i)^2

so it can predict labels the model has no output for. The objective is one
matrix product, ``probabilities @ (distances[label_set] ** 2)``: Loki is a
fixed linear map of the model's outputs followed by an arg min.

* :func:`frechet_predict` is the plain function, :func:`frechet_objective`
  the (n, N) matrix it minimises;
* :class:`Loki` is the scikit-learn-style estimator, on a probability matrix
  or wrapping any classifier with ``predict_proba`` (e.g.
  :class:`zslkit.models.zeroshot.ZeroShotClassifier`);
* :func:`expected_distance` measures predictions by their metric distance
  to the true labels (:func:`per_item_distance` item by item), and
  :func:`distance_gap` compares two rules in ``E[d^2]`` (or ``E[d]``, or over
  their mistakes only) with a paired bootstrap over test items;
  :func:`text_distance_matrix` makes a metric from class
  text embeddings when the label space comes with none.

Taught in: notebooks/23_loki.ipynb
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from zslkit.stats import interval_figures  # noqa: F401  (re-exported: chapter 23)


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def _check_distances(distances: Any) -> np.ndarray:
    d = _to_numpy(distances)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] == 0:
        raise ValueError(
            f"distances must be a square (N, N) matrix over the label space, got shape {d.shape}"
        )
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError("distances must be finite and non-negative")
    return d


def _check_indices(name: str, indices: Any, n: int) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"{name} must be a non-empty 1-d array of integer label indices, got {indices!r}"
        )
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(
            f"{name} holds indices outside [0, {n - 1}] (the label space has {n} classes)"
        )
    if len(np.unique(idx)) != len(idx):
        raise ValueError(f"{name} holds repeated indices")
    return idx.astype(np.int64)


def frechet_objective(
    probabilities: Any,
    distances: Any,
    label_set: Sequence[int] | None = None,
    candidates: Sequence[int] | None = None,
) -> np.ndarray:
    """The Fréchet variance of each candidate label: what Loki minimises.

    Parameters
    ----------
    probabilities : (n, K) array or tensor; row i holds ``P(lambda_k | x_i)``
        over the model's K classes (rows need not sum exactly to 1).
    distances : (N, N) metric over the full label space ``Y``.
    label_set : (K,) indices into ``Y`` of the model's classes, in the
        column order of ``probabilities`` (default: ``range(N)``, K = N).
    candidates : indices into ``Y`` that may be predicted (default: all N).

    Returns
    -------
    objective : (n, len(candidates)) float array,
        ``objective[i, j] = sum_k probabilities[i, k] * distances[candidates[j], label_set[k]] ** 2``.
    """
    d = _check_distances(distances)
    p = _to_numpy(probabilities)
    n_labels = d.shape[0]
    lam = (
        np.arange(n_labels)
        if label_set is None
        else _check_indices("label_set", label_set, n_labels)
    )
    cand = (
        np.arange(n_labels)
        if candidates is None
        else _check_indices("candidates", candidates, n_labels)
    )
    if p.ndim != 2 or p.shape[1] != len(lam):
        raise ValueError(
            f"probabilities must be (n, K) with K = len(label_set) = {len(lam)}, got shape {p.shape}"
        )
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError("probabilities must be finite and non-negative")
    return p @ (d[np.ix_(lam, cand)] ** 2)


def frechet_predict(
    probabilities: Any,
    distances: Any,
    label_set: Sequence[int] | None = None,
    candidates: Sequence[int] | None = None,
) -> np.ndarray:
    """Loki's prediction: the Fréchet mean of the probabilities, a label of ``Y``.

    ``y_hat_i = argmin_{y in candidates} sum_k probabilities[i, k] * d(y, label_set[k])^2``;
    ties go to the candidate listed first. Arguments as in :func:`frechet_objective`.

    Returns
    -------
    predictions : (n,) int64 array of indices into ``Y`` (not into ``label_set``).
    """
    objective = frechet_objective(probabilities, distances, label_set, candidates)
    n_labels = _check_distances(distances).shape[0]
    cand = np.arange(n_labels) if candidates is None else np.asarray(candidates, dtype=np.int64)
    return cand[np.argmin(objective, axis=1)]


class Loki:
    """Scikit-learn-style Loki predictor: the Fréchet mean instead of the arg max.

    Parameters
    ----------
    distances : (N, N) metric over the full label space ``Y``.
    label_set : (K,) indices into ``Y`` of the model's classes, in the
        column order of its probabilities (default: all N classes).
    classifier : optional fitted classifier with ``predict_proba(X) -> (n, K)``
        (e.g. :class:`zslkit.models.zeroshot.ZeroShotClassifier`); without one, ``X``
        given to ``predict`` is itself the (n, K) probability matrix.
    candidates : indices into ``Y`` that may be predicted (default: all N).

    Attributes
    ----------
    distances_ : (N, N) float array. label_set_ : (K,) int array.
    classes_ : (M,) int array, the candidate labels (indices into ``Y``).

    Examples
    --------
    >>> clf = ZeroShotClassifier(model, tokenizer, templates, logit_scale=16).fit(seen_names)
    >>> loki = Loki(distances, label_set=seen_ids, classifier=clf).fit()
    >>> loki.predict(image_features)        # labels over all N classes
    """

    def __init__(
        self,
        distances: Any,
        label_set: Sequence[int] | None = None,
        classifier: Any = None,
        candidates: Sequence[int] | None = None,
    ):
        self.distances = distances
        self.label_set = label_set
        self.classifier = classifier
        self.candidates = candidates

    def fit(self, X: Any = None, y: Any = None) -> "Loki":
        """Check and store the metric and label sets (Loki learns nothing; ``X``, ``y`` are ignored)."""
        self.distances_ = _check_distances(self.distances)
        n_labels = self.distances_.shape[0]
        self.label_set_ = (
            np.arange(n_labels)
            if self.label_set is None
            else _check_indices("label_set", self.label_set, n_labels)
        )
        self.classes_ = (
            np.arange(n_labels)
            if self.candidates is None
            else _check_indices("candidates", self.candidates, n_labels)
        )
        if self.classifier is not None and not hasattr(self.classifier, "predict_proba"):
            raise ValueError("classifier must have a predict_proba method")
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "distances_"):
            self.fit()

    def predict_model_proba(self, X: Any) -> np.ndarray:
        """(n, K) probabilities over the model's label set: ``classifier.predict_proba(X)``, or ``X`` itself."""
        self._fitted()
        return _to_numpy(X if self.classifier is None else self.classifier.predict_proba(X))

    def decision_function(self, X: Any) -> np.ndarray:
        """(n, M) scores over the candidates: minus the Fréchet variance (higher is better)."""
        self._fitted()
        return -frechet_objective(
            self.predict_model_proba(X), self.distances_, self.label_set_, self.classes_
        )

    def predict(self, X: Any) -> np.ndarray:
        """(n,) predicted labels, indices into ``Y``: the Fréchet means (first candidate on ties)."""
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def predict_argmax(self, X: Any) -> np.ndarray:
        """(n,) the usual prediction for comparison: the model's arg max, as an index into ``Y``."""
        return self.label_set_[np.argmax(self.predict_model_proba(X), axis=1)]

    def score(self, X: Any, labels: Any) -> float:
        """Top-1 accuracy of :meth:`predict` against ``labels`` (indices into ``Y``)."""
        return float(np.mean(self.predict(X) == _to_numpy(labels).astype(np.int64)))


def expected_distance(
    labels: Any, predictions: Any, distances: Any, squared: bool = False
) -> dict[str, float]:
    """How far predictions land from the truth in the label metric.

    Parameters
    ----------
    labels, predictions : (n,) integer indices into ``Y``.
    distances : (N, N) metric over ``Y``.
    squared : measure ``d^2`` instead of ``d`` (Loki minimises the expected ``d^2``).

    Returns
    -------
    dict with ``"mean"``: the mean of ``d(y_i, y_hat_i)`` over all n
    predictions (0 for a correct one); ``"mistakes"``: its mean over the
    wrong predictions only (``nan`` if there are none); ``"error_rate"``: the
    fraction wrong. ``mean = error_rate * mistakes``.
    """
    dist = per_item_distance(labels, predictions, distances, squared)
    wrong = np.asarray(_to_numpy(labels), dtype=np.int64) != np.asarray(
        _to_numpy(predictions), dtype=np.int64
    )
    return {
        "mean": float(dist.mean()) if dist.size else float("nan"),
        "mistakes": float(dist[wrong].mean()) if wrong.any() else float("nan"),
        "error_rate": float(wrong.mean()) if wrong.size else float("nan"),
    }


def text_distance_matrix(text_features: Any) -> np.ndarray:
    """A metric between classes from their text embeddings: Euclidean distance of the unit vectors.

    Parameters
    ----------
    text_features : (N, d) array or tensor, one row per class (rows are
        L2-normalised here; pass ``weights.T`` for (d, N) classifier weights).

    Returns
    -------
    (N, N) float array, ``||t_a - t_b|| = sqrt(2 - 2 cos(t_a, t_b))``: a metric.
    """
    t = _to_numpy(text_features)
    if t.ndim != 2:
        raise ValueError(f"text_features must be (N, d), got shape {t.shape}")
    t = t / np.linalg.norm(t, axis=1, keepdims=True).clip(1e-12)
    gram = np.clip(t @ t.T, -1.0, 1.0)
    dist = np.sqrt(np.clip(2.0 - 2.0 * gram, 0.0, None))
    np.fill_diagonal(dist, 0.0)
    return dist


def per_item_distance(
    labels: Any, predictions: Any, distances: Any, squared: bool = False
) -> np.ndarray:
    """``d(y_i, y_hat_i)`` (or its square) for each item: what :func:`expected_distance` averages.

    Parameters
    ----------
    labels, predictions : (n,) integer indices into ``Y``.
    distances : (N, N) metric over ``Y``.
    squared : return ``d^2`` instead of ``d``.

    Returns
    -------
    (n,) float array, 0 where the prediction is right.

    Taught in: notebooks/23_loki.ipynb
    """
    d = _check_distances(distances)
    y = np.asarray(_to_numpy(labels), dtype=np.int64)
    y_hat = np.asarray(_to_numpy(predictions), dtype=np.int64)
    if y.shape != y_hat.shape or y.ndim != 1:
        raise ValueError(
            f"labels and predictions must be 1-d of the same length, got {y.shape} and {y_hat.shape}"
        )
    for name, v in (("labels", y), ("predictions", y_hat)):
        if v.size and (v.min() < 0 or v.max() >= d.shape[0]):
            raise ValueError(f"{name} holds indices outside [0, {d.shape[0] - 1}]")
    return d[y, y_hat] ** (2 if squared else 1)


def distance_gap(
    labels: Any,
    predictions_a: Any,
    predictions_b: Any,
    distances: Any,
    squared: bool = True,
    mistakes: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
):
    """Rule A minus rule B in mean (squared) distance, with a paired bootstrap over test items.

    Parameters
    ----------
    labels, predictions_a, predictions_b : (n,) integer indices into ``Y``;
        the two rules' predictions on the same n test items.
    distances : (N, N) metric over ``Y``.
    squared : compare ``E[d^2]`` (what Loki minimises, the default) or ``E[d]``.
    mistakes : compare the means over each rule's own wrong predictions
        (``E[d^2 | wrong]``), a ratio of two sums per rule; otherwise the
        means over all n items (0 for a right prediction).
    confidence, n_resamples, seed : of the percentile bootstrap. Items are
        resampled together for both rules (``scipy.stats.bootstrap`` with
        ``paired=True``; :func:`zslkit.stats.paired_bootstrap` when
        ``mistakes`` is False).

    Returns
    -------
    :class:`zslkit.stats.Interval`: estimate A - B with its interval
    (negative: A's predictions land nearer the truth).

    Taught in: notebooks/23_loki.ipynb
    """
    from scipy import stats as sps

    from zslkit.stats import Interval, paired_bootstrap

    da = per_item_distance(labels, predictions_a, distances, squared)
    db = per_item_distance(labels, predictions_b, distances, squared)
    if not mistakes:
        return paired_bootstrap(da, db, confidence, n_resamples, seed)
    y = np.asarray(_to_numpy(labels), dtype=np.int64)
    wa = (np.asarray(_to_numpy(predictions_a), dtype=np.int64) != y).astype(float)
    wb = (np.asarray(_to_numpy(predictions_b), dtype=np.int64) != y).astype(float)
    if wa.sum() == 0 or wb.sum() == 0:
        raise ValueError("mistakes=True needs at least one wrong prediction of each rule")

    def gap(a, w_a, b, w_b, axis=-1):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (a * w_a).sum(axis) / w_a.sum(axis) - (b * w_b).sum(axis) / w_b.sum(axis)

    res = sps.bootstrap(
        (da, wa, db, wb),
        gap,
        paired=True,
        vectorized=True,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        batch=1000,
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return Interval(
        float(gap(da, wa, db, wb)),
        float(ci.low),
        float(ci.high),
        confidence,
        "paired bootstrap over items",
    )
