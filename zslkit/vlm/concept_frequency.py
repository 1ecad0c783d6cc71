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
from zslkit.checks import check_choice, check_range


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


# --------------------------------------------------------------------------
# Realised mentions: the captions each model actually saw
# --------------------------------------------------------------------------
def concept_words(concepts: Sequence[str], corpus: str = "pocket") -> dict[str, list[str]]:
    """The words by which a caption of ``corpus`` names each concept.

    ``"pocket"`` (ToyCLIP 1's captions): the concept's own word. ``"web"``
    (the pocket web of ToyCLIP 2): also its synonyms (``"crimson"`` for red,
    ``"disc"`` for circle) and, for shapes, the plurals of the "many" collages.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    from zslkit.data import web, world

    check_choice("corpus", corpus, ["pocket", "web"])
    synonyms = web._language()["synonyms"] if corpus == "web" else {}
    out = {}
    for c in concepts:
        words = [c, *synonyms.get(c, [])]
        if corpus == "web" and c in world.ATTRIBUTES["shape"]:
            words += [web._plural(w) for w in words]
        out[c] = words
    return out


NOT_A_COLOUR = ("black and white",)
"""Phrases of the web captions that contain a colour word without naming the object's colour."""


def count_concept_mentions(
    captions: Sequence[str], concepts: Sequence[str], corpus: str = "pocket"
) -> np.ndarray:
    """How many captions name each concept, by any of its :func:`concept_words`.

    A caption counts once per concept however often it names it; the phrase
    "black and white" (a web photo context) does not count as white, and a
    final full stop is dropped first.

    Returns
    -------
    (len(concepts),) int array.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    words = concept_words(concepts, corpus)
    counts = np.zeros(len(concepts), dtype=np.int64)
    for caption in captions:
        text = caption.lower().rstrip(".")
        for phrase in NOT_A_COLOUR:
            text = text.replace(phrase, " ")
        tokens = set(text.split())
        for k, c in enumerate(concepts):
            counts[k] += not tokens.isdisjoint(words[c])
    return counts


# --------------------------------------------------------------------------
# Logistic fit with concept effects
# --------------------------------------------------------------------------
def fit_logistic_concepts(
    mentions, hits, totals, concept_of_point, ridge: float = 0.01
) -> dict[str, object]:
    """Binomial logistic fit ``logit p = alpha_concept + slope * log10(1 + mentions)``.

    Each point is one concept in one model: ``hits`` of its ``totals`` test
    images right. One intercept per concept (a concept effect) means that the
    slope compares each concept with itself across models, where the
    randomised assignment gave it different frequencies; how easy a concept
    is goes into its intercept. Maximum likelihood by Newton's method, with a
    weak ridge ``ridge / 2 * ||theta||^2`` (a prior of standard deviation
    ``1 / sqrt(ridge)`` logits) that keeps the fit finite when a concept is
    right on every image of every model.

    Parameters
    ----------
    mentions : (n,) counts of captions naming the point's concept (>= 0).
    hits, totals : (n,) correct and total test images per point.
    concept_of_point : (n,) int concept indices ``0 .. C - 1``.
    ridge : the penalty weight (>= 0; 0 is plain maximum likelihood).

    Returns
    -------
    dict with ``slope`` (logits per tenfold more mentions), ``intercepts``
    ((C,) array), ``crossing`` (mentions at which the median concept,
    ``alpha = median(intercepts)``, is right half the time: ``10 **
    (-alpha / slope) - 1``; ``nan`` unless the slope is positive) and ``n``.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    counted = np.asarray(mentions, dtype=float)
    hits, totals = np.asarray(hits, dtype=float), np.asarray(totals, dtype=float)
    concept = np.asarray(concept_of_point)
    if not (counted.shape == hits.shape == totals.shape == concept.shape) or counted.ndim != 1:
        raise ValueError(
            f"mentions, hits, totals and concept_of_point must be 1-d of one length, got "
            f"{counted.shape}, {hits.shape}, {totals.shape} and {concept.shape}"
        )
    if not (np.isfinite(counted).all() and (counted >= 0).all()):
        raise ValueError(f"mentions must be >= 0, got {counted.tolist()!r}")
    x = np.log10(1 + counted)
    if (hits < 0).any() or (hits > totals).any() or (totals <= 0).any():
        raise ValueError("need 0 <= hits <= totals and totals > 0 at every point")
    check_range("ridge", ridge, 0.0)
    n_concepts = int(concept.max()) + 1
    design = np.zeros((len(x), n_concepts + 1))
    design[np.arange(len(x)), concept] = 1.0
    design[:, -1] = x
    theta = np.zeros(n_concepts + 1)
    for _ in range(200):
        p = 1 / (1 + np.exp(-(design @ theta)))
        gradient = design.T @ (hits - totals * p) - ridge * theta
        hessian = (design * (totals * p * (1 - p))[:, None]).T @ design
        hessian += ridge * np.eye(len(theta))
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        theta += step
        if np.abs(step).max() < 1e-10:
            break
    slope, intercepts = float(theta[-1]), theta[:-1]
    alpha = float(np.median(intercepts))
    crossing = 10 ** (-alpha / slope) - 1 if slope > 0 else float("nan")
    return {"slope": slope, "intercepts": intercepts, "crossing": float(crossing), "n": len(x)}


def model_bootstrap(
    mentions,
    hits,
    totals,
    concept_of_point,
    model_of_point,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    ridge: float = 0.01,
) -> dict[str, float]:
    """:func:`fit_logistic_concepts` with a cluster bootstrap over models.

    The test images of one model share its training run, so they are not
    independent draws: each resample draws the *models* with replacement
    (all points of a drawn model come along, twice if it is drawn twice) and
    refits. A resample with a single distinct model cannot separate a
    concept's frequency from its intercept and is drawn again.

    Returns
    -------
    dict with ``slope``, ``slope_ci_low``, ``slope_ci_high`` (percentile
    interval), ``crossing`` and, when the whole slope interval is above zero,
    ``crossing_ci_low`` and ``crossing_ci_high`` (else ``nan``: a crossing is
    meaningless without a rise), ``n_models`` and ``n_resamples``.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    check_range("n_resamples", n_resamples, 10, integer=True)
    check_range("confidence", confidence, 0.5, 0.999)
    arrays = [np.asarray(a) for a in (mentions, hits, totals, concept_of_point)]
    model = np.asarray(model_of_point)
    models = np.unique(model)
    if len(models) < 3:
        raise ValueError(f"a bootstrap over models needs at least 3 models, got {len(models)}")
    fit = fit_logistic_concepts(*arrays, ridge=ridge)
    rng = np.random.default_rng(seed)
    slopes, crossings, alphas = [], [], []
    while len(slopes) < n_resamples:
        drawn = rng.choice(models, size=len(models))
        if len(np.unique(drawn)) < 2:
            continue
        rows = np.concatenate([np.flatnonzero(model == m) for m in drawn])
        f = fit_logistic_concepts(*(a[rows] for a in arrays), ridge=ridge)
        slopes.append(f["slope"])
        alphas.append(float(np.median(f["intercepts"])))
        crossings.append(f["crossing"] if f["slope"] > 0 else np.inf)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(slopes, [tail, 100 - tail])
    c_low, c_high = np.nan, np.nan
    if low > 0:
        c_low, c_high = np.percentile(crossings, [tail, 100 - tail])
    return {
        "slope": fit["slope"],
        "slope_ci_low": float(low),
        "slope_ci_high": float(high),
        "crossing": fit["crossing"],
        "crossing_ci_low": float(c_low),
        "crossing_ci_high": float(c_high),
        "n_models": len(models),
        "n_resamples": n_resamples,
        "median_intercept": float(np.median(fit["intercepts"])),
        "replicates": np.column_stack([alphas, slopes]),
    }


NEAREST_SHADE = {
    "red": 3,
    "orange": 1,
    "yellow": 8,
    "green": 2,
    "cyan": 9,
    "blue": 0,
    "purple": 4,
    "white": 7,
}
"""Index of the house palette's colour nearest each pocket-world colour (white: its grey)."""


def plot_mentions_accuracy(
    ax,
    mentions,
    accuracy,
    concept_of_point,
    concepts: Sequence[str],
    boot: dict,
    attribute: str = "colour",
    title: str = "",
    confidence: float = 0.95,
):
    """Accuracy per concept and model against its realised mentions, with the fitted logistic curve.

    One colour per concept (the palette shade nearest a pocket-world colour,
    :data:`NEAREST_SHADE`; the same concept in different models, at the
    frequencies its models gave it), the curve of the median concept
    (``boot["median_intercept"]``, ``boot["slope"]``) with its band over the
    bootstrap resamples of :func:`model_bootstrap`, the 50 % crossing and
    chance. Draws on ``ax`` and returns it.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    mentions, accuracy = np.asarray(mentions, float), np.asarray(accuracy, float)
    concept_of_point = np.asarray(concept_of_point)
    for k, name in enumerate(concepts):
        mask = concept_of_point == k
        shade = style.colour(NEAREST_SHADE.get(name, k))
        ax.scatter(1 + mentions[mask], accuracy[mask], color=shade, s=22, label=name)
    grid = np.geomspace(1 + max(mentions.min(), 1), 1 + mentions.max(), 60)
    curves = 1 / (
        1 + np.exp(-(boot["replicates"][:, :1] + boot["replicates"][:, 1:] * np.log10(grid)))
    )
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(curves, [tail, 100 - tail], axis=0)
    ax.fill_between(grid, low, high, color=style.FAINT, alpha=0.5, lw=0)
    eta = boot["median_intercept"] + boot["slope"] * np.log10(grid)
    ax.plot(grid, 1 / (1 + np.exp(-eta)), color=style.INK, label="fit, median concept")
    if np.isfinite(boot["crossing"]) and grid[0] <= 1 + boot["crossing"] <= grid[-1]:
        ax.axvline(1 + boot["crossing"], color=style.MUTED, linestyle=":", label="50 % crossing")
    ax.axhline(1 / len(concepts), color=style.MUTED, linestyle="--", label="chance")
    ax.set_xscale("log")
    ax.set_xlabel(f"1 + captions naming the {attribute} (log scale)")
    ax.set_ylabel(f"zero-shot accuracy on the {attribute}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title)
    return ax


REFERENCE_RUN = "concept_frequency_reference.json"
"""The reference run of ``scripts/concept_frequency_reference.py``, under ``data/``."""


def load_frequency_run(path=None) -> dict:
    """The committed reference run (or the JSON at ``path``), with its points as arrays.

    Returns the JSON (``config``, ``command``, ``date``, ``concepts``,
    ``models``) plus ``points``: ``mentions``, ``hits``, ``totals``,
    ``concept`` and ``model`` ((n_models * n_concepts,) arrays, model by
    model, in the order of ``concepts``), the arguments of
    :func:`model_bootstrap`.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    import json
    from pathlib import Path

    from zslkit.paths import data_dir

    path = Path(path) if path else data_dir() / REFERENCE_RUN
    run = json.loads(path.read_text())
    models, n_concepts = run["models"], len(run["concepts"])
    run["points"] = {
        key: np.concatenate([m[key] for m in models]) for key in ("mentions", "hits", "totals")
    }
    run["points"]["concept"] = np.tile(np.arange(n_concepts), len(models))
    run["points"]["model"] = np.repeat(np.arange(len(models)), n_concepts)
    return run


def bootstrap_figures(prefix: str, boot: dict) -> dict[str, float | None]:
    """``{prefix_slope, prefix_slope_ci_low, ..., prefix_crossing...}`` of :func:`model_bootstrap`, for ``zslkit.record``.

    A crossing or crossing interval that is not finite (a slope interval
    that reaches zero) is given as ``None``, which ``zslkit.record`` keeps.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    keys = ["slope", "slope_ci_low", "slope_ci_high"]
    keys += ["crossing", "crossing_ci_low", "crossing_ci_high"]
    return {f"{prefix}_{k}": finite_or_none(boot[k]) for k in keys}


def finite_or_none(value) -> float | None:
    """``float(value)`` if it is finite, else ``None`` (what ``zslkit.record`` takes for "no value").

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    value = float(value)
    return value if np.isfinite(value) else None


def crossing_ratio(boot_a: dict, boot_b: dict, confidence: float = 0.95) -> dict[str, float]:
    """Ratio of the 50 % crossings of two independent runs, ``b / a``, with a bootstrap interval.

    The resamples of two independent :func:`model_bootstrap` runs are paired
    in order (independent draws of each), and the ratio of their crossings
    (in ``1 + mentions``) taken; a resample without a rise has an infinite
    crossing.

    Returns
    -------
    dict with ``ratio``, ``ratio_ci_low`` and ``ratio_ci_high`` (``inf`` when more than
    the upper tail of the resamples of ``a`` or ``b`` has no rise).

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    check_range("confidence", confidence, 0.5, 0.999)

    def log_crossing(alpha, slope):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(slope > 0, -alpha / np.where(slope > 0, slope, 1), np.inf)

    a, b = boot_a["replicates"], boot_b["replicates"]
    n = min(len(a), len(b))
    logs = log_crossing(b[:n, 0], b[:n, 1]) - log_crossing(a[:n, 0], a[:n, 1])
    logs = np.where(np.isnan(logs), 0.0, logs)  # both without a rise: no information
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(logs, [tail, 100 - tail], method="inverted_cdf")
    point = (1 + boot_b["crossing"]) / (1 + boot_a["crossing"])
    return {
        "ratio": float(point),
        "ratio_ci_low": float(10**low),
        "ratio_ci_high": float(10**high),
    }


def report_logistic(name: str, boot: dict, confidence: float = 0.95) -> None:
    """Print the slope of :func:`model_bootstrap` with its interval, and the 50 % crossing.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    print(
        f"{name}: slope {boot['slope']:+.2f} logits per tenfold more mentions, "
        f"{confidence:.0%} CI [{boot['slope_ci_low']:+.2f}, {boot['slope_ci_high']:+.2f}] "
        f"(bootstrap over {boot['n_models']} models)"
    )
    if np.isfinite(boot["crossing_ci_low"]):
        print(
            f"{name}: the median concept crosses 50 % at {boot['crossing']:.0f} mentions, "
            f"CI [{boot['crossing_ci_low']:.0f}, {boot['crossing_ci_high']:.0f}]"
        )
    else:
        print(f"{name}: no 50 % crossing: the slope interval is not above zero")
