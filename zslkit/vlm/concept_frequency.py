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

from zslkit import style
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


def count_mentions(captions: Sequence[str], words: Sequence[str]) -> dict[str, int]:
    """{word: number of captions that contain it as a word} (a final full stop is dropped first).

    Taught in: notebooks/25_concept_frequency.ipynb (the exercise on captions
    that name a concept)
    """
    return {w: sum(w in caption.rstrip(".").split() for caption in captions) for w in words}


def per_model_slopes(frequency, accuracy, model_of_point, n_models: int) -> list[float]:
    """The slope of :func:`fit_log_linear` fitted on the points of each model ``0 .. n_models - 1`` alone.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    frequency, accuracy = np.asarray(frequency), np.asarray(accuracy)
    model_of_point = np.asarray(model_of_point)
    return [
        fit_log_linear(frequency[model_of_point == k], accuracy[model_of_point == k])["slope"]
        for k in range(n_models)
    ]


def mean_slope_interval(slopes, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Student-t interval on the mean of per-model slopes (one independent value per training run).

    ``(None, None)`` with fewer than two slopes. Taught in:
    notebooks/25_concept_frequency.ipynb
    """
    if len(slopes) < 2:
        return None, None
    low, high = stats.t.interval(
        confidence, len(slopes) - 1, loc=np.mean(slopes), scale=stats.sem(slopes)
    )
    return low, high


def report_slopes(fit: dict, per_model, between, confidence: float = 0.95) -> None:
    """Print the pooled slope with its interval, the per-model slopes and the interval on their mean.

    Parameters
    ----------
    fit : the result of :func:`fit_log_linear` on all points.
    per_model : the slopes of :func:`per_model_slopes`.
    between : the ``(low, high)`` of :func:`mean_slope_interval` (``None`` ends skip the line).

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    print(
        f"slope: {fit['slope']:+.3f} accuracy per tenfold frequency, {confidence:.0%} CI "
        f"[{fit['ci_low']:+.3f}, {fit['ci_high']:+.3f}], r = {fit['r']:.2f}, {fit['n']} points"
    )
    print("per-model slopes:", ", ".join(f"{s:+.3f}" for s in per_model))
    low, high = between
    if low is not None:
        print(
            f"mean of the per-model slopes: {np.mean(per_model):+.3f}, {confidence:.0%} CI "
            f"[{low:+.3f}, {high:+.3f}] ({len(per_model)} models)"
        )


MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def plot_frequency_accuracy(
    frequency,
    accuracy,
    model_of_point,
    concepts: Sequence[str],
    fit: dict,
    n_models: int,
    attribute: str = "colour",
):
    """Zero-shot accuracy against concept frequency (log scale), one marker per model, and the fit.

    Returns the matplotlib Figure (one Axes: a scatter per model with each
    point named, the fitted line and the chance line).
    Taught in: notebooks/25_concept_frequency.ipynb
    """
    import matplotlib.pyplot as plt

    frequency, accuracy = np.asarray(frequency), np.asarray(accuracy)
    model_of_point = np.asarray(model_of_point)
    fig, ax = plt.subplots(figsize=(9, 4))
    for k in range(n_models):
        mask = model_of_point == k
        ax.scatter(
            frequency[mask],
            accuracy[mask],
            marker=MARKERS[k % 8],
            color=style.colour(k),
            s=40,
            label=f"model {k}",
        )
        for x, y, c in zip(frequency[mask], accuracy[mask], np.array(concepts)):
            ax.annotate(
                c,
                (x, y),
                textcoords="offset points",
                xytext=(4, -9),
                fontsize=6,
                color=style.colour(k),
            )
    grid = np.geomspace(frequency.min(), frequency.max(), 50)
    ax.plot(
        grid,
        fit["intercept"] + fit["slope"] * np.log10(grid),
        color=style.MUTED,
        label=f"fit: {fit['slope']:+.2f} per decade [{fit['ci_low']:+.2f}, {fit['ci_high']:+.2f}]",
    )
    ax.axhline(1 / len(concepts), color=style.MUTED, linestyle="--", label="chance")
    ax.set_xscale("log")
    ax.set_xlabel(f"expected pretraining images of the {attribute} (log scale)")
    ax.set_ylabel(f"zero-shot accuracy on the {attribute}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"Zero-shot accuracy against concept frequency ({n_models} ToyCLIPs)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig
