"""Intervals for Part I's per-class metrics: ZSL accuracy, GZSL S, U and H.

The book's metrics average accuracy over classes, and H is not a mean over
test images at all, so :func:`zslkit.stats.paired_bootstrap` (a difference
of item means) does not apply to them directly. Two tools fill the gap:

* :func:`per_class_item_scores` - one score per test image whose plain mean
  *is* the per-class accuracy (each image weighted by one over its class's
  size), so the per-class accuracy of two methods can be compared with
  :func:`zslkit.stats.paired_bootstrap` over test images;
* :func:`per_class_bootstrap` - a paired percentile bootstrap over test
  images resampled within their class (the class sizes, hence the weights
  of the per-class mean, stay fixed), for the per-class accuracy or for H,
  of one method or of the difference of two.

Taught in: notebooks/10_attributes_eszsl.ipynb and 12_gzsl_calibration.ipynb.
"""

from __future__ import annotations

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.stats import Interval


def per_class_item_scores(labels, predictions) -> np.ndarray:
    """Per-image scores whose mean is the per-class accuracy of ``predictions``.

    Parameters
    ----------
    labels, predictions : (n,) int arrays

    Returns
    -------
    (n,) float array: ``[prediction right] * n / (n_classes * n_{class of the image})``;
    its mean equals :func:`zslkit.metrics.per_class_accuracy`.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(
            f"labels and predictions must be (n,) arrays of one shape; got "
            f"{labels.shape} and {predictions.shape}"
        )
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    weight = labels.size / (classes.size * counts[inverse])
    return (predictions == labels) * weight


def _resampled_class_accuracy(correct, labels, classes, n_resamples, rng) -> np.ndarray:
    """(n_resamples, n_methods, n_classes) accuracies, images resampled within their class."""
    out = np.empty((n_resamples, correct.shape[0], classes.size))
    for j, c in enumerate(classes):
        rows = np.flatnonzero(labels == c)
        draw = rows[rng.integers(0, rows.size, size=(n_resamples, rows.size))]
        out[:, :, j] = correct[:, draw].mean(axis=2).T
    return out


def per_class_bootstrap(
    labels,
    predictions_a,
    predictions_b=None,
    metric: str = "accuracy",
    seen=None,
    unseen=None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """A per-class metric of ``predictions_a`` (minus that of ``predictions_b``) with its interval.

    Test images are resampled with replacement within their class, the same
    draw for both methods (a paired bootstrap); the interval is the
    percentile interval of the resampled statistic.

    Parameters
    ----------
    labels : (n,) true classes of the test images
    predictions_a, predictions_b : (n,) predicted classes; ``predictions_b``
        None for the metric of ``predictions_a`` alone
    metric : "accuracy" (per-class top-1 over the classes in ``labels``) or
        "h" (GZSL harmonic mean of the per-class accuracy on ``seen`` and on
        ``unseen`` classes, both then required)
    confidence, n_resamples, seed : coverage, resamples and seed of the bootstrap

    Returns
    -------
    :class:`zslkit.stats.Interval` whose estimate is the metric (difference)
    on the test images as they are.

    Taught in: notebooks/10_attributes_eszsl.ipynb and 12_gzsl_calibration.ipynb.
    """
    check_choice("metric", metric, ["accuracy", "h"])
    check_range("confidence", confidence, 0.5, 0.999)
    check_range("n_resamples", n_resamples, 100, 10**6, integer=True)
    labels = np.asarray(labels)
    preds = [np.asarray(predictions_a)] + ([] if predictions_b is None else [predictions_b])
    preds = [np.asarray(p) for p in preds]
    if any(p.shape != labels.shape for p in preds) or labels.ndim != 1:
        raise ValueError(
            f"labels and predictions must be (n,) arrays of one shape; got "
            f"{labels.shape} and {[p.shape for p in preds]}"
        )
    classes = np.unique(labels)
    if metric == "h":
        if seen is None or unseen is None:
            raise ValueError("metric='h' needs seen= and unseen= (lists of class indices)")
        is_seen = np.isin(classes, np.asarray(list(seen)))
        is_unseen = np.isin(classes, np.asarray(list(unseen)))
        if not is_seen.any() or not is_unseen.any():
            raise ValueError("metric='h' needs test images of both seen and unseen classes")

    def statistic(acc):  # acc: (..., n_methods, n_classes) -> (...,)
        if metric == "accuracy":
            value = acc.mean(axis=-1)
        else:
            s, u = acc[..., is_seen].mean(axis=-1), acc[..., is_unseen].mean(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(s + u > 0, 2 * s * u / (s + u), 0.0)
        return value[..., 0] - value[..., 1] if value.shape[-1] == 2 else value[..., 0]

    correct = np.stack([p == labels for p in preds]).astype(float)  # (n_methods, n)
    full = np.stack([[correct[m, labels == c].mean() for c in classes] for m in range(len(preds))])
    rng = np.random.default_rng(seed)
    boot = statistic(_resampled_class_accuracy(correct, labels, classes, n_resamples, rng))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(boot, [tail, 100 - tail])
    what = "difference of " if predictions_b is not None else ""
    return Interval(
        float(statistic(full)),
        float(low),
        float(high),
        confidence,
        f"{what}per-class {metric}: bootstrap over test images within class",
    )
