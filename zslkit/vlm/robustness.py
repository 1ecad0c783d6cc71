"""Domain shift and effective robustness of text-side zero-shot classifiers.

Chapter 24 asks whether a better text side (a prompt ensemble, ZPE's
weights, class descriptions) makes a zero-shot classifier more robust when
the images change domain. Two measurements answer it:

* the *drop* from the home domain to a shifted one, for each method, with
  a bootstrap interval over classes (the two domains hold different images
  of the same classes, so classes are the paired unit);
* the *effective robustness* of Taori et al. (2020): accuracy under shift
  minus what a baseline trend predicts from the accuracy at home. The trend
  is a straight line in logit-transformed accuracies, fitted over several
  models (here ToyCLIP 2s trained for different schedules) evaluated with
  the baseline classifier; a method's effective robustness is its mean
  residual over the models, with a bootstrap interval over classes that
  refits the trend on every resample.

Taught in: notebooks/24_domain_shift.ipynb
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from zslkit import style
from zslkit.checks import check_choice, check_range
from zslkit.stats import (
    Interval,
    interval_figures,  # noqa: F401  (re-exported: chapter 24)
    paired_bootstrap,
)
from zslkit.vlm.experiments import METHODS

TREND_RUN = "domain_shift_trend.json"
"""File under ``data/`` of the committed reference run of chapter 24's trend."""

LOGIT_EPS = 1e-4
"""Accuracies are clipped to ``[LOGIT_EPS, 1 - LOGIT_EPS]`` before the logit."""


def domain_predictions(
    features: Mapping[str, tuple[Any, Any]],
    fixed: Mapping[str, Any],
    pool_classifiers: Any,
    reference_features: Any,
    logit_scale: float,
    methods: Sequence[str] = METHODS,
):
    """Every method's predicted class for every test image of every domain.

    Parameters
    ----------
    features : {domain: (image_features (n, d) L2-normalised tensor, labels (n,) ints)}
        from :func:`zslkit.vlm.experiments.encode_domains`.
    fixed : {method: (d, C) class weights} of the methods that do not look
        at the test images (:func:`zslkit.vlm.experiments.fixed_classifiers`).
    pool_classifiers : (T, d, C) per-template classifiers; ZPE weights them
        from each domain's unlabelled images and ``reference_features``.
    logit_scale : the model's exponentiated logit scale (ZPE's inverse temperature).
    methods : which methods to predict with (default: all six of ``METHODS``).

    Returns
    -------
    predictions : {domain: {method: (n,) int array}}; prompt_weights :
    {domain: ZPE's (T,) prompt weights}.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    from zslkit.vlm.zpe import ZPE

    for m in methods:
        check_choice("method", m, METHODS)
    predictions, prompt_weights = {}, {}
    for domain, (image_features, _) in features.items():
        weights = dict(fixed)
        if "ZPE" in methods:
            zpe = ZPE(pool_classifiers, logit_scale=logit_scale).fit(
                image_features, reference_features
            )
            weights["ZPE"], prompt_weights[domain] = zpe.weights_, zpe.prompt_weights_
        predictions[domain] = {m: (image_features @ weights[m]).numpy().argmax(1) for m in methods}
    return predictions, prompt_weights


def class_correct_counts(labels: Any, pred: Any, n_classes: int) -> np.ndarray:
    """(C,) int array: how many images of each class are predicted right.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    labels, pred = np.asarray(labels), np.asarray(pred)
    if labels.shape != pred.shape:
        raise ValueError(f"labels {labels.shape} and pred {pred.shape} differ in shape")
    check_range("n_classes", n_classes, 1, integer=True)
    return np.bincount(labels[labels == pred], minlength=n_classes).astype(int)


def per_class_accuracies(labels: Any, pred: Any, n_classes: int) -> np.ndarray:
    """(C,) float array: the top-1 accuracy within each class (NaN for a class with no image).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    labels = np.asarray(labels)
    total = np.bincount(labels, minlength=n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return class_correct_counts(labels, pred, n_classes) / total


def domain_drop(
    labels_home: Any,
    pred_home: Any,
    labels_away: Any,
    pred_away: Any,
    n_classes: int,
    seed: int = 0,
    n_resamples: int = 10_000,
) -> Interval:
    """Per-class top-1 at home minus away, with a paired bootstrap over classes.

    The two domains are different images of the same classes, so the paired
    unit is the class: the estimate is the mean over classes of (home
    accuracy - away accuracy), i.e. the difference of the two per-class mean
    accuracies, and the interval resamples classes.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    home = per_class_accuracies(labels_home, pred_home, n_classes)
    away = per_class_accuracies(labels_away, pred_away, n_classes)
    keep = ~(np.isnan(home) | np.isnan(away))
    return paired_bootstrap(home[keep], away[keep], n_resamples=n_resamples, seed=seed)


def logit(p: Any, eps: float = LOGIT_EPS) -> np.ndarray:
    """``log(p / (1 - p))`` of accuracies clipped to ``[eps, 1 - eps]`` (Taori et al.'s axes).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def expit(z: Any) -> np.ndarray:
    """The inverse of :func:`logit`: ``1 / (1 + exp(-z))``."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def fit_trend(id_accuracy: Any, ood_accuracy: Any) -> tuple[float, float]:
    """Least-squares line ``logit(ood) = slope * logit(id) + intercept`` over models.

    Parameters
    ----------
    id_accuracy, ood_accuracy : (M,) accuracies of M >= 2 models with
        different in-distribution accuracies.

    Returns
    -------
    (slope, intercept)

    Taught in: notebooks/24_domain_shift.ipynb
    """
    x, y = logit(id_accuracy).ravel(), logit(ood_accuracy).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"need >= 2 paired accuracies, got {x.size} and {y.size}")
    if np.ptp(x) == 0:
        raise ValueError("the in-distribution accuracies have no spread: no trend to fit")
    slope, intercept = _ols(x[None], y[None])
    return float(slope[0]), float(intercept[0])


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise least squares of y on x: (B, M) arrays -> (B,) slopes and intercepts."""
    xc = x - x.mean(1, keepdims=True)
    slope = (xc * (y - y.mean(1, keepdims=True))).sum(1) / (xc**2).sum(1)
    return slope, y.mean(1) - slope * x.mean(1)


def trend_prediction(id_accuracy: Any, slope: float, intercept: float) -> np.ndarray:
    """The shifted accuracy the trend predicts from in-distribution accuracy.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    return expit(slope * logit(id_accuracy) + intercept)


def _count_array(counts, models, domains, methods) -> np.ndarray:
    try:
        return np.array(
            [[[counts[m][d][k] for k in methods] for d in domains] for m in models], dtype=float
        )
    except KeyError as err:
        raise ValueError(f"counts has no entry {err}; it needs {models} x {domains} x {methods}")


def effective_robustness(
    counts: Mapping[str, Mapping[str, Mapping[str, Sequence[int]]]],
    n_per_class: int,
    id_domain: str = "photo",
    ood_domain: str = "background",
    baseline: str = "one prompt",
    methods: Sequence[str] = METHODS,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Each method's effective robustness: its mean residual from the baseline's trend over models.

    The trend is :func:`fit_trend` through the (``id_domain``,
    ``ood_domain``) accuracies of ``baseline`` on every model. A method's
    effective robustness is the mean over models of (its accuracy on
    ``ood_domain`` - the trend's prediction from its accuracy on
    ``id_domain``), in accuracy units (Taori et al. 2020). The interval is a
    percentile bootstrap over classes: each resample draws classes with
    replacement (the same classes for every model, domain and method),
    recomputes every accuracy, refits the trend and recomputes the residuals.

    Parameters
    ----------
    counts : {model: {domain: {method: (C,) images of each class predicted right}}},
        as written by ``scripts/domain_shift_trend.py``.
    n_per_class : test images per class in every domain.
    id_domain, ood_domain : the home domain and the shifted one.
    baseline : the method whose points define the trend.
    methods : the methods to report.
    n_resamples, confidence, seed : of the bootstrap.

    Returns
    -------
    {method: Interval} (estimate, low, high).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    check_range("n_per_class", n_per_class, 1, integer=True)
    check_range("n_resamples", n_resamples, 100, 10**6, integer=True)
    check_range("confidence", confidence, 0.5, 0.999)
    models = list(counts)
    if len(models) < 2:
        raise ValueError(f"need >= 2 models for a trend, got {models}")
    domains = list(next(iter(counts.values())))
    check_choice("id_domain", id_domain, domains)
    check_choice("ood_domain", ood_domain, domains)
    for m in (baseline, *methods):
        check_choice("method", m, METHODS)
    kinds = [baseline, *[m for m in methods if m != baseline]]
    array = _count_array(counts, models, [id_domain, ood_domain], kinds)  # (M, 2, K, C)
    n_classes = array.shape[-1]
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n_classes, size=(n_resamples, n_classes))
    resampled = array[..., index].sum(-1) / (n_classes * n_per_class)  # (M, 2, K, B)
    observed = array.sum(-1) / (n_classes * n_per_class)  # (M, 2, K)
    acc = np.concatenate([observed[..., None], resampled], axis=-1)  # (M, 2, K, 1 + B)
    x, y = logit(acc[:, 0, 0]).T, logit(acc[:, 1, 0]).T  # (1 + B, M)
    slope, intercept = _ols(x, y)
    predicted = expit(slope[None, None] * logit(acc[:, 0]) + intercept[None, None])
    residual = (acc[:, 1] - predicted).mean(0)  # (K, 1 + B)
    alpha = (1 - confidence) / 2
    out = {}
    for i, m in enumerate(kinds):
        low, high = np.quantile(residual[i, 1:], [alpha, 1 - alpha])
        out[m] = Interval(
            float(residual[i, 0]), float(low), float(high), confidence, "bootstrap over classes"
        )
    return {m: out[m] for m in methods}


def accuracy_table(
    counts: Mapping[str, Mapping[str, Mapping[str, Sequence[int]]]], n_per_class: int
) -> dict[str, dict[str, dict[str, float]]]:
    """{model: {domain: {method: per-class mean top-1}}} from per-class counts.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    return {
        model: {
            d: {k: float(np.mean(c) / n_per_class) for k, c in per_method.items()}
            for d, per_method in per_domain.items()
        }
        for model, per_domain in counts.items()
    }


def trend_run_path() -> Path:
    """``data/domain_shift_trend.json``, the committed reference run of the trend."""
    from zslkit.paths import data_dir

    return data_dir() / TREND_RUN


def load_trend_run(path: str | Path | None = None) -> dict[str, Any]:
    """The reference run of ``scripts/domain_shift_trend.py`` (default: the committed one).

    Returns the JSON: ``config`` (how it was made), ``command``, ``models``
    ({name: {"n_steps", "batch_size", ...}}) and ``counts`` ({model:
    {domain: {method: (C,) ints}}}).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    return json.loads(Path(path or trend_run_path()).read_text())


def plot_trend(
    accuracies: Mapping[str, Mapping[str, Mapping[str, float]]],
    slope: float,
    intercept: float,
    id_domain: str = "photo",
    ood_domain: str = "background",
    methods: Sequence[str] = METHODS,
):
    """Shifted against home accuracy on logit axes: one marker per (model, method), and the trend.

    Returns the matplotlib Figure (one Axes). Ticks are accuracies; the
    dashed line is y = x, the solid one the baseline's trend.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    from zslkit.vlm.experiments import _figure

    fig, ax = _figure(figsize=(6.4, 4.4))
    colours = style.colours_for(list(METHODS))
    for i, m in enumerate(methods):
        xs = [accuracies[model][id_domain][m] for model in accuracies]
        ys = [accuracies[model][ood_domain][m] for model in accuracies]
        marker = "os^Dvp"[i % 6]
        ax.scatter(logit(xs), logit(ys), color=colours[m], marker=marker, s=28, label=m)
    every = [a[d][m] for a in accuracies.values() for d in (id_domain, ood_domain) for m in methods]
    lo, hi = max(min(every) - 0.02, 0.01), min(max(every) + 0.02, 0.99)
    grid = np.linspace(lo, hi, 50)
    ax.plot(logit(grid), logit(trend_prediction(grid, slope, intercept)), color=style.INK, lw=1)
    ax.plot(logit(grid), logit(grid), color=style.FAINT, ls="--")
    ticks = [t for t in (0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95) if lo <= t <= hi]
    ax.set_xticks(logit(ticks), [f"{t:g}" for t in ticks])
    ax.set_yticks(logit(ticks), [f"{t:g}" for t in ticks])
    ax.set_xlabel(f"64-way top-1 on {id_domain} (logit axis)")
    ax.set_ylabel(f"64-way top-1 on {ood_domain} (logit axis)")
    ax.set_title("Models along the baseline's trend")
    ax.legend(fontsize=8)
    return fig


def text_method_counts(
    model: Any,
    preprocess: Any,
    tokenizer: Any,
    domains: Sequence[str] = ("photo", "sketch", "noisy", "background"),
    n_per_class: int = 50,
    seed: int = 0,
    template_set: str = "openai80",
    reference: str = "pocket_web",
    n_reference: int = 1000,
    batch_size: int = 256,
    device: str = "cpu",
) -> dict[str, dict[str, list[int]]]:
    """{domain: {method: (C,) correct counts}} of the six text-side methods on one model.

    The same steps as chapter 24's notebook on its defaults (the pocket test
    images of each domain, the template pool, ZPE's reference sample), in
    one call, for the models of the reference run.

    Taught in: notebooks/24_domain_shift.ipynb (scripts/domain_shift_trend.py)
    """
    from zslkit.models.features import extract_features
    from zslkit.models.prompts import load_template_set
    from zslkit.vlm.experiments import encode_domains, fixed_classifiers
    from zslkit.vlm.zpe import reference_dataset

    features, data = encode_domains(
        model, preprocess, domains, n_per_class, seed, batch_size, device
    )
    pool = load_template_set(template_set, dataset=data)
    single = load_template_set("baselines", dataset=data)
    pool_classifiers, fixed = fixed_classifiers(
        model, tokenizer, data.class_names, pool, single, batch_size, device
    )
    ref = reference_dataset(reference, n_reference, seed, preprocess)
    reference_features, _ = extract_features(
        model, ref, batch_size=batch_size, device=device, progress=False
    )
    scale = float(model.logit_scale.detach().exp())
    preds, _ = domain_predictions(features, fixed, pool_classifiers, reference_features, scale)
    n_classes = len(data.class_names)
    return {
        d: {m: class_correct_counts(features[d][1], p, n_classes).tolist() for m, p in row.items()}
        for d, row in preds.items()
    }


def method_key(method: str) -> str:
    """A method's name as a figure name: ``"names + descriptions"`` -> ``"names_and_descriptions"``.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    return method.replace(" + ", "_and_").replace(" ", "_")


def print_intervals(
    rows: Mapping[str, Mapping[str, Interval]],
    corner: str = "",
    scale: float = 100.0,
    label_width: int = 22,
    width: int = 21,
) -> None:
    """Print ``{row: {column: Interval}}`` as ``+12.3 [+10.1, +14.6]`` cells (points by default).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    columns = list(next(iter(rows.values())))
    print(f"{corner:<{label_width}}" + "".join(f"{c:>{width}}" for c in columns))
    for label, row in rows.items():
        cells = "".join(f"{row[c].format(scale, 1):>{width}}" for c in columns)
        print(f"{label:<{label_width}}" + cells)


def accuracy_by_domain(
    labels: Mapping[str, Any], predictions: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    """{domain: {method: per-class mean top-1}} from :func:`domain_predictions`' output.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    from zslkit.metrics import per_class_accuracy

    return {
        d: {m: float(per_class_accuracy(labels[d], p)) for m, p in row.items()}
        for d, row in predictions.items()
    }


def domain_drops(
    labels: Mapping[str, Any],
    predictions: Mapping[str, Mapping[str, Any]],
    n_classes: int,
    home: str = "photo",
    seed: int = 0,
    n_resamples: int = 10_000,
) -> dict[str, dict[str, Interval]]:
    """{method: {shifted domain: :func:`domain_drop` from ``home``}} for every method and domain.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    check_choice("home", home, list(predictions))
    away = [d for d in predictions if d != home]
    return {
        m: {
            d: domain_drop(
                labels[home],
                predictions[home][m],
                labels[d],
                predictions[d][m],
                n_classes,
                seed,
                n_resamples,
            )
            for d in away
        }
        for m in predictions[home]
    }


def gaps_over_baseline(
    labels: Mapping[str, Any],
    predictions: Mapping[str, Mapping[str, Any]],
    baseline: str = "one prompt",
    seed: int = 0,
    n_resamples: int = 10_000,
) -> dict[str, dict[str, Interval]]:
    """{method: {domain: top-1 minus the baseline's}}, a paired bootstrap over the domain's images.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    first = next(iter(predictions.values()))
    check_choice("baseline", baseline, list(first))
    return {
        m: {
            d: paired_bootstrap(
                row[m] == labels[d],
                row[baseline] == labels[d],
                n_resamples=n_resamples,
                seed=seed,
            )
            for d, row in predictions.items()
        }
        for m in first
        if m != baseline
    }


def effective_robustness_table(
    counts: Mapping[str, Mapping[str, Mapping[str, Sequence[int]]]],
    n_per_class: int,
    home: str = "photo",
    baseline: str = "one prompt",
    methods: Sequence[str] = METHODS,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, Interval]]:
    """{method: {shifted domain: :func:`effective_robustness`}} for every domain but ``home``.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    domains = [d for d in next(iter(counts.values())) if d != home]
    per_domain = {
        d: effective_robustness(
            counts, n_per_class, home, d, baseline, methods, n_resamples, seed=seed
        )
        for d in domains
    }
    return {m: {d: per_domain[d][m] for d in domains} for m in methods}
