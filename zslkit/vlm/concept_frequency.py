"""Zero-shot accuracy against how often a concept appeared in pretraining.

Udandarao et al. (2024) found that a CLIP's zero-shot accuracy on a
concept grows roughly linearly in the *logarithm* of the concept's
frequency in the pretraining data: every constant gain in accuracy costs a
constant *factor* more data. In the pocket world the frequency of every
concept is a knob (``world.pretraining_set(concept_frequency=...)``), so
the relation can be measured directly. This module holds the three steps:
frequencies spread evenly on a log scale (:func:`log_spaced_weights`),
accuracy per concept (:func:`concept_accuracy`), and the fitted line with a
confidence interval on its slope (:func:`fit_log_linear`).

Taught in: notebooks/25_concept_frequency.ipynb
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats

from zslkit.checks import check_range


def log_spaced_weights(
    values: Sequence[str], span: float = 100.0, seed: int | None = None
) -> dict[str, float]:
    """Relative pretraining frequencies from 1 to ``span``, evenly spaced in log, one per value.

    Parameters
    ----------
    values : the concepts, e.g. ``world.ATTRIBUTES["colour"]``.
    span : ratio of the largest weight to the smallest (100: two orders of magnitude).
    seed : if given, a random permutation decides which value gets which weight, so that
        across seeds a concept's frequency is not tied to how easy the concept is;
        ``None`` gives the weights in the order of ``values``.

    Returns
    -------
    dict ``{value: weight}``, ready for ``world.pretraining_set(concept_frequency=...)``.
    """
    values = list(values)
    if len(values) < 2:
        raise ValueError(f"values must hold at least 2 concepts, got {values!r}")
    check_range("span", span, low=1.0)
    weights = np.geomspace(1.0, span, len(values))
    if seed is not None:
        check_range("seed", seed, 0, 2**32 - 1, integer=True)
        weights = weights[np.random.default_rng(seed).permutation(len(values))]
    return {v: float(w) for v, w in zip(values, weights)}


def concept_accuracy(labels, predictions, n_concepts: int) -> np.ndarray:
    """Accuracy on the test images of each concept (its recall).

    Parameters
    ----------
    labels, predictions : (n,) int arrays of concept indices.
    n_concepts : number of concepts; each must have at least one test image.

    Returns
    -------
    (n_concepts,) float array; entry k is the fraction of images of concept k predicted as k.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels {labels.shape} and predictions {predictions.shape} differ in shape"
        )
    check_range("n_concepts", n_concepts, 1, integer=True)
    counts = np.bincount(labels, minlength=n_concepts)
    if len(counts) > n_concepts or (counts == 0).any():
        raise ValueError(
            f"labels must cover every concept 0..{n_concepts - 1} and no other; counts {counts.tolist()}"
        )
    hits = np.bincount(labels[predictions == labels], minlength=n_concepts)
    return hits / counts


def fit_log_linear(frequency, accuracy, confidence: float = 0.95) -> dict[str, float]:
    """Least-squares line ``accuracy = intercept + slope * log10(frequency)`` with a t interval on the slope.

    Parameters
    ----------
    frequency : (n,) positive array, how often each point's concept was seen.
    accuracy : (n,) array, its zero-shot accuracy.
    confidence : level of the two-sided interval (0.95).

    Returns
    -------
    dict with ``slope`` (accuracy gained per tenfold frequency), ``intercept``,
    ``stderr`` (standard error of the slope), ``ci_low``, ``ci_high``
    (``slope -+ t_{(1+confidence)/2, n-2} * stderr``), ``r`` (Pearson) and ``n``.
    The interval assumes independent points with equal noise; points from one
    model share its noise, so also look at the spread between seeds.
    """
    x = np.log10(np.asarray(frequency, dtype=float))
    y = np.asarray(accuracy, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(
            f"frequency and accuracy must be 1-d of the same length >= 3, got {x.shape} and {y.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError("frequency must be positive")
    check_range("confidence", confidence, 1e-6, 1 - 1e-6)
    n = len(x)
    dx, dy = x - x.mean(), y - y.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        raise ValueError("frequency must take at least two different values")
    slope = float(dx @ dy) / sxx
    intercept = float(y.mean() - slope * x.mean())
    residual = y - intercept - slope * x
    stderr = float(np.sqrt(residual @ residual / (n - 2) / sxx))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 2)) * stderr
    syy = float(dy @ dy)
    r = float(dx @ dy) / np.sqrt(sxx * syy) if syy > 0 else 0.0
    return {
        "slope": slope,
        "intercept": intercept,
        "stderr": stderr,
        "ci_low": slope - half,
        "ci_high": slope + half,
        "r": float(r),
        "n": n,
    }
