"""The mechanics of the Part II chapters: loading a task, evaluation loops, tables and plots.

Each function does one step a chapter's notebook used to spell out in a
long cell (the same operations, in the same order, with the same random
draws), so that the notebook calls it in a line and spends its words on the
idea. The docstring of each says which notebook teaches it.

Taught in: notebooks/20_prompt_ensembling.ipynb, 21_zpe.ipynb,
22_descriptions.ipynb, 23_loki.ipynb and 24_domain_shift.ipynb
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from zslkit import style
from zslkit.metrics import per_class_accuracy
from zslkit.models.prompts import (
    accuracy,
    ensemble_classifier,
    template_accuracies,
    template_classifiers,
)
from zslkit.models.zeroshot import ZeroShotClassifier, fill_template, zero_shot_classifier

SUBSET_SIZES = (1, 2, 4, 8, 16, 32, 64)
"""Ensemble sizes of chapter 20's random-subset curve (plus the whole pool)."""

METHODS = ("name only", "one prompt", "ensemble", "ZPE", "descriptions", "names + descriptions")
"""The text-side classifiers compared across domains in chapter 24."""

SUMMARY_COLUMNS = {
    "top1": "top-1",
    "top1_known": "known",
    "top1_absent": "absent",
    "predicted_absent": "pred. absent",
    "distance": "E[d]",
    "mistake_distance": "E[d | wrong]",
    "sq_distance": "E[d^2]",
    "mistake_sq_distance": "E[d^2 | wrong]",
}
"""Statistics of :func:`loki_summary` and their column headers in chapter 23's table."""


# Loading a task ----------------------------------------------------------------------------------


def encode_split(
    model: Any,
    preprocess: Any,
    dataset: str,
    split: str = "test",
    data_root: str = "",
    pocket: Mapping[str, Any] | None = None,
    batch_size: int = 256,
    device: str = "cpu",
):
    """Load one split of a dataset and encode its images.

    Parameters
    ----------
    model, preprocess : a backbone from :func:`zslkit.models.backbones.load_backbone`.
    dataset, split : as :func:`zslkit.data.datasets.load_dataset` takes them.
    data_root : folder of the full-tier datasets (empty: the default).
    pocket : options of the pocket world (``variant``, ``n_per_class``,
        ``seed``), used only when ``dataset == "pocket"``.
    batch_size, device : how to run the image encoder.

    Returns
    -------
    data : the dataset; image_features : (n, d) float tensor, L2-normalised
    rows; labels : (n,) int numpy array.

    Taught in: notebooks/23_loki.ipynb (held-out images), and through
    :func:`load_task` in chapters 20-23.
    """
    from zslkit.data.datasets import load_dataset
    from zslkit.models.features import extract_features

    options = dict(pocket or {}) if dataset == "pocket" else {}
    data = load_dataset(dataset, split, data_root or None, transform=preprocess, **options)
    image_features, labels = extract_features(
        model, data, batch_size=batch_size, device=device, progress=False
    )
    return data, image_features, labels.numpy()


def load_task(
    backbone: str,
    pretrained: str = "",
    dataset: str = "pocket",
    data_root: str = "",
    pocket: Mapping[str, Any] | None = None,
    batch_size: int = 256,
    device: str = "cpu",
    split: str = "test",
):
    """A backbone and the encoded images of the task a Part II chapter classifies.

    Parameters
    ----------
    backbone, pretrained : as :func:`zslkit.models.backbones.load_backbone`
        takes them (an empty ``pretrained`` is the backbone's default).
    dataset, data_root, pocket, batch_size, device, split : see :func:`encode_split`.

    Returns
    -------
    model, preprocess, tokenizer, data, image_features, labels

    Taught in: notebooks/20_prompt_ensembling.ipynb, 21_zpe.ipynb,
    22_descriptions.ipynb and 23_loki.ipynb
    """
    from zslkit.models.backbones import load_backbone

    model, preprocess, tokenizer = load_backbone(backbone, pretrained or None, device=device)
    data, image_features, labels = encode_split(
        model, preprocess, dataset, split, data_root, pocket, batch_size, device
    )
    return model, preprocess, tokenizer, data, image_features, labels


def print_table(
    rows: Mapping[str, Mapping[str, float]],
    corner: str = "",
    label_width: int = 12,
    width: int = 22,
    digits: int = 3,
    columns: Mapping[str, str] | Sequence[str] | None = None,
) -> None:
    """Print a table of numbers: one row per key of ``rows``, one column per key of its values.

    Parameters
    ----------
    rows : {row label: {column key: value}}.
    corner : text above the row labels.
    label_width : width of the row labels (left-aligned).
    width, digits : width of every column (right-aligned) and digits after the point.
    columns : the column keys to print, in order; a mapping gives each key
        its header. Default: the keys of the first row.

    Taught in: notebooks/21_zpe.ipynb, 23_loki.ipynb and 24_domain_shift.ipynb
    """
    if columns is None:
        columns = list(next(iter(rows.values())))
    headers = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    print(f"{corner:<{label_width}}" + "".join(f"{h:>{width}}" for h in headers.values()))
    for label, row in rows.items():
        print(f"{label:<{label_width}}" + "".join(f"{row[c]:>{width}.{digits}f}" for c in headers))


def _figure(*args, **kwargs):
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


# Chapter 20: prompt ensembling -------------------------------------------------------------------


def single_template_table(
    image_features: Any, labels: Any, per_template: Any, baselines: Any, ensemble: Any
) -> dict[str, float]:
    """Chapter 20's table: the two single-prompt baselines, the spread of single templates, the ensemble.

    Parameters
    ----------
    image_features, labels : the test images (n, d) and their labels.
    per_template : (T,) accuracy of each template alone (:func:`template_accuracies`).
    baselines : (2, d, C) classifiers of the class name alone and of "a photo of a {}.".
    ensemble : (d, C) the equal-weight ensemble of the T templates.

    Returns
    -------
    {row name: top-1}: "class name only", "a photo of a {}.", "worst / median /
    best single template" and "ensemble of T".

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    per_template = np.asarray(per_template)
    return {
        "class name only": accuracy(image_features, labels, baselines[0]),
        "a photo of a {}.": accuracy(image_features, labels, baselines[1]),
        "worst single template": float(per_template.min()),
        "median single template": float(np.median(per_template)),
        "best single template": float(per_template.max()),
        f"ensemble of {len(per_template)}": accuracy(image_features, labels, ensemble),
    }


def plot_template_accuracies(
    per_template: Any,
    ensemble_top1: float,
    median_top1: float,
    name_only_top1: float,
    title: str = "",
):
    """Each template's accuracy, sorted, against the ensemble, the median and the bare name.

    Returns the matplotlib Figure (one Axes: one line of dots, three
    horizontal lines). Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    per_template = np.asarray(per_template)
    order = np.argsort(per_template)
    fig, ax = _figure(figsize=(8, 3.6))
    ax.plot(
        np.arange(len(order)),
        per_template[order],
        "o",
        color=style.colour(0),
        markersize=4,
        label="one template (sorted)",
    )
    ax.axhline(
        ensemble_top1, color=style.colour(1), linewidth=2, label=f"ensemble of {len(per_template)}"
    )
    ax.axhline(median_top1, color=style.MUTED, linestyle="--", label="median template")
    ax.axhline(
        name_only_top1, color=style.colour(2), linestyle=":", linewidth=2, label="class name only"
    )
    ax.set_xlabel("template, from worst to best")
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def templates_naming(
    templates: Sequence, per_template: Any, words: set[str]
) -> tuple[list[str], float | None, float | None]:
    """The templates that contain one of ``words``, and the mean accuracy of those and of the others.

    A template's words are those of the template filled with an empty class
    name, with full stops read as spaces.

    Returns
    -------
    named : the templates that contain a word, filled with ``"{}"``.
    named_top1, other_top1 : mean of ``per_template`` over those templates and
        over the others (``None`` for an empty group).

    Taught in: notebooks/20_prompt_ensembling.ipynb (the exercise on templates
    that name an attribute)
    """
    per_template = np.asarray(per_template)
    hit = np.array(
        [bool(words & set(fill_template(t, "").replace(".", " ").split())) for t in templates]
    )
    named = [fill_template(t, "{}") for t, h in zip(templates, hit) if h]
    named_top1 = float(per_template[hit].mean()) if hit.any() else None
    other_top1 = float(per_template[~hit].mean()) if (~hit).any() else None
    return named, named_top1, other_top1


def random_subset_curve(
    image_features: Any,
    labels: Any,
    classifiers: Any,
    n_draws: int,
    rng: np.random.Generator,
    sizes: Sequence[int] = SUBSET_SIZES,
):
    """Accuracy of equal-weight ensembles of k templates drawn at random, for several k.

    For each ``k`` of ``sizes`` below the pool size T (and for T itself),
    ``n_draws`` subsets of k templates are drawn without replacement with
    ``rng`` (one for k = T, the whole pool) and each one's ensemble is scored.

    Returns
    -------
    sizes : the sorted list of k; mean, std : arrays of the accuracy over the draws.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    n_templates = len(classifiers)
    sizes = sorted({k for k in sizes if k < n_templates} | {n_templates})
    curve_mean, curve_std = [], []
    for k in sizes:
        draws = [
            accuracy(
                image_features,
                labels,
                ensemble_classifier(classifiers[rng.choice(n_templates, k, replace=False)]),
            )
            for _ in range(n_draws if k < n_templates else 1)
        ]
        curve_mean.append(np.mean(draws))
        curve_std.append(np.std(draws))
    return sizes, np.array(curve_mean), np.array(curve_std)


def plot_subset_curve(
    sizes: Sequence[int], mean: Any, std: Any, best_top1: float, median_top1: float
):
    """The random-subset curve with error bars, against the best and the median single template.

    Returns the matplotlib Figure (one Axes: an error-bar line, two horizontal
    lines). Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    fig, ax = _figure(figsize=(6, 3.2))
    ax.errorbar(
        sizes,
        mean,
        yerr=std,
        marker="o",
        color=style.colour(0),
        capsize=3,
        label="random subset of k templates",
    )
    ax.axhline(
        best_top1,
        color=style.colour(4),
        linestyle="-.",
        label="best single template (chosen with labels)",
    )
    ax.axhline(median_top1, color=style.MUTED, linestyle="--", label="median template")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(k) for k in sizes])
    ax.minorticks_off()
    ax.set_xlabel("templates in the ensemble, k")
    ax.set_ylabel("top-1 accuracy")
    ax.set_title("Ensembles of random templates (mean and std over draws)")
    ax.legend(fontsize=8)
    return fig


# Chapter 21: ZPE ---------------------------------------------------------------------------------


def compare_weightings(
    classifiers: Any,
    pools: Mapping[str, Any],
    image_features: Any,
    labels: Any,
    reference_features: Any,
    logit_scale: float,
):
    """Equal weights, ZPE, the oracle and the median single prompt on each pool of prompts.

    Parameters
    ----------
    classifiers : (T, d, C) per-template classifiers of all prompts.
    pools : {pool name: (T,) bool mask of its prompts}.
    image_features, labels : the test images; the labels only judge.
    reference_features : the reference images of ZPE's bias correction.
    logit_scale : the model's logit scale.

    Returns
    -------
    table : {pool: {"equal weights", "ZPE", "oracle: best single (labels)",
        "median single": top-1}}; fitted : {pool: the fitted :class:`ZPE`}.

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.vlm.zpe import ZPE

    per_template = template_accuracies(image_features, labels, classifiers)
    table, fitted = {}, {}
    for pool, mask in pools.items():
        zpe = ZPE(classifiers[mask], logit_scale=logit_scale).fit(
            image_features, reference_features
        )
        fitted[pool] = zpe
        table[pool] = {
            "equal weights": accuracy(
                image_features, labels, ensemble_classifier(classifiers[mask])
            ),
            "ZPE": zpe.score(image_features, labels),
            "oracle: best single (labels)": float(per_template[mask].max()),
            "median single": float(np.median(per_template[mask])),
        }
    return table, fitted


def kind_shares(kinds: Sequence[str], prompt_weights: Any) -> dict[str, float]:
    """{kind: total weight of the prompts of that kind}, kinds in order of first appearance.

    Taught in: notebooks/21_zpe.ipynb
    """
    prompt_weights = np.asarray(prompt_weights)
    return {
        kind: float(prompt_weights[np.array([k == kind for k in kinds])].sum())
        for kind in dict.fromkeys(kinds)
    }


KIND_COLOURS = {
    "clean": style.colour(0),
    "no class": style.colour(3),
    "wrong colour": style.colour(1),
    "extra object": style.colour(4),
    "wrong background": style.colour(2),
    "negation": style.MUTED,
}


def plot_zpe_scores(kinds: Sequence[str], per_template: Any, scores: Any, prompt_weights: Any):
    """ZPE scores against accuracy (one dot per prompt), and the weight each kind of prompt gets.

    Returns the matplotlib Figure with two Axes: a scatter per kind, and two
    sets of horizontal bars (equal weights, ZPE). Taught in: notebooks/21_zpe.ipynb
    """
    kinds = list(kinds)
    per_template, scores = np.asarray(per_template), np.asarray(scores)
    kind_names = list(dict.fromkeys(kinds))
    fig, (left, right) = _figure(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    for kind in kind_names:
        members = np.array([k == kind for k in kinds])
        left.scatter(
            per_template[members],
            scores[members],
            s=22,
            color=KIND_COLOURS.get(kind, style.INK),
            label=kind,
        )
    left.set_xlabel("top-1 accuracy of the prompt alone (labels)")
    left.set_ylabel("ZPE score (no labels)")
    left.set_title("Scores vs accuracy, one dot per prompt")
    left.legend(fontsize=8)
    shares = list(kind_shares(kinds, prompt_weights).values())
    equal_shares = [kinds.count(kind) / len(kinds) for kind in kind_names]
    y = np.arange(len(kind_names))
    right.barh(y + 0.2, equal_shares, height=0.4, color=style.FAINT, label="equal weights")
    right.barh(
        y - 0.2,
        shares,
        height=0.4,
        color=[KIND_COLOURS.get(k, style.INK) for k in kind_names],
        edgecolor=style.INK,
        label="ZPE",
    )
    right.set_xscale("log")
    right.set_xlim(1e-9, 1.5)
    right.set_yticks(y, kind_names)
    right.invert_yaxis()
    right.set_xlabel("share of the total prompt weight (log scale)")
    right.set_title("Where the weight goes")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    fig.tight_layout()
    return fig


def bad_prompt_curve(
    classifiers: Any,
    is_bad: Any,
    scores: Any,
    image_features: Any,
    labels: Any,
    n_draws: int,
    rng: np.random.Generator,
):
    """Accuracy of equal weights and of ZPE as more and more bad prompts join the clean ones.

    For 0, 4, 8, ... bad prompts (and all of them), ``n_draws`` random subsets
    of the bad prompts (one when the number is 0 or all) are drawn with
    ``rng`` and added to every clean prompt; equal weights and ZPE (with the
    prompts' ``scores`` turned into weights on the subset) are scored.

    Returns
    -------
    grid : list of numbers of bad prompts; curves : {"equal weights", "ZPE":
    list of mean accuracies over the draws}.

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.vlm.zpe import zpe_weights

    is_bad, scores = np.asarray(is_bad), np.asarray(scores)
    clean_ids, bad_ids = np.flatnonzero(~is_bad), np.flatnonzero(is_bad)
    grid = sorted(set(range(0, len(bad_ids) + 1, 4)) | {len(bad_ids)})
    curves = {"equal weights": [], "ZPE": []}
    for n_bad in grid:
        draws = {"equal weights": [], "ZPE": []}
        for _ in range(n_draws if 0 < n_bad < len(bad_ids) else 1):
            members = np.concatenate([clean_ids, rng.choice(bad_ids, n_bad, replace=False)])
            sub = classifiers[members]
            draws["equal weights"].append(
                accuracy(image_features, labels, ensemble_classifier(sub))
            )
            draws["ZPE"].append(
                accuracy(
                    image_features,
                    labels,
                    ensemble_classifier(sub, zpe_weights(scores[members])),
                )
            )
        for name in curves:
            curves[name].append(np.mean(draws[name]))
    return grid, curves


def plot_bad_prompt_curve(
    grid: Sequence[int], curves: Mapping[str, Any], oracle_top1: float, n_clean: int, n_draws: int
):
    """The curves of :func:`bad_prompt_curve` against the oracle's best single prompt.

    Returns the matplotlib Figure (one Axes: two lines, one horizontal line).
    Taught in: notebooks/21_zpe.ipynb
    """
    fig, ax = _figure(figsize=(6, 3.2))
    ax.plot(grid, curves["equal weights"], "o-", color=style.MUTED, label="equal weights")
    ax.plot(grid, curves["ZPE"], "s-", color=style.colour(1), label="ZPE")
    ax.axhline(
        oracle_top1,
        color=style.colour(4),
        linestyle="-.",
        label="oracle: best single prompt (labels)",
    )
    ax.set_xlabel(f"bad prompts added to the {n_clean} clean ones")
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(f"Mean over up to {n_draws} random draws of bad prompts")
    ax.legend(fontsize=8)
    return fig


# Chapter 22: descriptions ------------------------------------------------------------------------


def class_groups(
    class_names: Sequence[str], labels: Any, split: Mapping[str, Sequence[str]]
) -> dict[str, list[int]]:
    """The class ids of "all" classes and of the "seen" and "unseen" classes of a pocket split.

    Groups with no class, or none of whose classes has a test image, are left
    out (a full-tier dataset has only "all").

    Taught in: notebooks/22_descriptions.ipynb
    """
    labels = np.asarray(labels)
    groups = {
        "all": list(range(len(class_names))),
        "seen": [i for i, c in enumerate(class_names) if c in split["seen"]],
        "unseen": [i for i, c in enumerate(class_names) if c in split["unseen"]],
    }
    return {g: ids for g, ids in groups.items() if ids and np.isin(labels, ids).any()}


def group_accuracies(
    labels: Any, predictions: Mapping[str, Any], groups: Mapping[str, Sequence[int]]
) -> dict[tuple[str, str], float]:
    """{(source, group): per-class top-1 over the classes of the group that have test images}.

    Taught in: notebooks/22_descriptions.ipynb
    """
    labels = np.asarray(labels)
    return {
        (source, g): per_class_accuracy(
            labels, predictions[source], classes=[i for i in ids if (labels == i).any()]
        )
        for source in predictions
        for g, ids in groups.items()
    }


SOURCE_COLOURS = {
    "names": style.colour(0),
    "descriptions": style.colour(1),
    "both": style.colour(2),
}


def plot_source_bars(
    top1: Mapping[tuple[str, str], float],
    sources: Sequence[str],
    groups: Sequence[str],
    ylabel: str = "per-class top-1",
    title: str = "",
):
    """Grouped bars: one group of bars per class group, one bar (with its value) per source.

    Returns the matplotlib Figure (one Axes, ``len(sources)`` bar
    containers). Taught in: notebooks/22_descriptions.ipynb
    """
    groups = list(groups)
    x = np.arange(len(groups))
    fig, ax = _figure(figsize=(6.5, 3.2))
    for k, source in enumerate(sources):
        values = [top1[source, g] for g in groups]
        ax.bar(
            x + (k - 1) * 0.27,
            values,
            width=0.27,
            color=SOURCE_COLOURS.get(source, style.INK),
            label=source,
        )
        for xi, v in zip(x, values):
            ax.text(xi + (k - 1) * 0.27, v + 0.01, f"{v:.2f}", ha="center", fontsize=7)
    ax.set_xticks(x, [f"{g} classes" for g in groups])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return fig


# Chapter 23: Loki --------------------------------------------------------------------------------


def label_distances(
    metric: str,
    class_names: Sequence[str],
    model: Any = None,
    tokenizer: Any = None,
    templates: Sequence | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """(C, C) metric on the labels: ``"graded"``, ``"attributes"`` or ``"text"``.

    ``"graded"`` is the pocket metric ``d = d_rgb(colours) + [shapes differ]``
    (RGB distance of the two colours over the palette's largest, in (0, 1],
    plus 1 when the shapes differ: :func:`zslkit.data.world.class_distance_matrix`
    with ``colour_metric="rgb"``); ``"attributes"`` counts the pocket
    attributes that differ (only 1 or 2 between distinct classes); ``"text"``
    is the Euclidean distance between the classes' zero-shot text embeddings
    (prompt ensemble of ``templates``).

    Taught in: notebooks/23_loki.ipynb
    """
    from zslkit.data import world
    from zslkit.vlm.loki import text_distance_matrix

    if metric == "attributes":
        return world.class_distance_matrix(class_names)
    if metric == "graded":
        return world.class_distance_matrix(class_names, colour_metric="rgb")
    return text_distance_matrix(
        zero_shot_classifier(model, tokenizer, class_names, templates, device).T
    )


def loki_predictions(
    loki: Any,
    image_features: Any,
    model: Any,
    tokenizer: Any,
    class_names: Sequence[str],
    templates: Sequence,
    device: str = "cpu",
) -> dict[str, np.ndarray]:
    """Chapter 23's three predictions: argmax over the label set, Loki over all of Y, and a model told all names.

    Returns {"argmax over the label set", "Loki over all of Y", "reference:
    told all names": (n,) predicted class ids}. Taught in: notebooks/23_loki.ipynb
    """
    return {
        "argmax over the label set": loki.predict_argmax(image_features),
        "Loki over all of Y": loki.predict(image_features),
        "reference: told all names": ZeroShotClassifier(
            weights=zero_shot_classifier(model, tokenizer, class_names, templates, device)
        ).predict(image_features),
    }


def loki_summary(labels: Any, pred: Any, label_ids: Any, distances: Any) -> dict[str, float]:
    """Per-class top-1 (all, known and absent classes), share predicted absent, mean distances.

    Parameters
    ----------
    labels, pred : (n,) true and predicted class ids.
    label_ids : the classes the model can output; the others of the (C, C)
        ``distances`` are absent.

    Returns
    -------
    dict with the keys of :data:`SUMMARY_COLUMNS`.

    Taught in: notebooks/23_loki.ipynb
    """
    from zslkit.vlm.loki import expected_distance

    labels, pred = np.asarray(labels), np.asarray(pred)
    absent_ids = np.setdiff1d(np.arange(len(distances)), label_ids)
    known, absent = np.isin(labels, label_ids), np.isin(labels, absent_ids)
    dist = expected_distance(labels, pred, distances)
    sq = expected_distance(labels, pred, distances, squared=True)
    return {
        "top1": per_class_accuracy(labels, pred),
        "top1_known": per_class_accuracy(labels[known], pred[known]),
        "top1_absent": per_class_accuracy(labels[absent], pred[absent]),
        "predicted_absent": float(np.isin(pred, absent_ids).mean()),
        "distance": dist["mean"],
        "mistake_distance": dist["mistakes"],
        "sq_distance": sq["mean"],
        "mistake_sq_distance": sq["mistakes"],
    }


def loki_scale_sweep(
    loki: Any,
    similarities: Any,
    scales: Sequence[float],
    labels: Any,
    distances: Any,
    n_resamples: int = 0,
) -> dict[str, list[float]]:
    """Loki and the arg max at each softmax scale ``s`` of the similarities.

    Parameters
    ----------
    loki : a fitted :class:`zslkit.vlm.loki.Loki` without a classifier (its
        input is the probability matrix) and with its label set.
    similarities : (n, K) cosine similarities of the images to the K labels.
    scales : the scales ``s``; the probabilities are ``softmax(s * similarities)``.
    n_resamples : when positive, also the paired bootstrap interval of
        Loki minus argmax in ``E[d^2]`` at each scale
        (:func:`zslkit.vlm.loki.distance_gap`, 95 %, seed 0).

    Returns
    -------
    {"argmax", "loki": mean distance d(y, prediction); "argmax_sq",
    "loki_sq": mean squared distance; "argmax_mistake_sq", "loki_mistake_sq":
    mean squared distance of the wrong predictions; "absent_top1",
    "known_top1": Loki's per-class top-1 on absent and known classes;
    "predicted_absent": Loki's share of predictions outside the label set;
    with ``n_resamples``: "gap", "gap_low", "gap_high"}, one value per scale.

    Taught in: notebooks/23_loki.ipynb
    """
    from scipy.special import softmax

    from zslkit.vlm.loki import distance_gap, expected_distance

    labels = np.asarray(labels)
    label_ids = loki.label_set_
    absent_ids = np.setdiff1d(np.arange(len(distances)), label_ids)
    known, absent = np.isin(labels, label_ids), np.isin(labels, absent_ids)
    keys = ["argmax", "loki", "argmax_sq", "loki_sq", "argmax_mistake_sq", "loki_mistake_sq"]
    keys += ["absent_top1", "known_top1", "predicted_absent"]
    keys += ["gap", "gap_low", "gap_high"] if n_resamples else []
    sweep = {k: [] for k in keys}
    for s in scales:
        probs = softmax(s * similarities, axis=1)
        pred, arg = loki.predict(probs), loki.predict_argmax(probs)
        for rule, p in (("argmax", arg), ("loki", pred)):
            sq = expected_distance(labels, p, distances, squared=True)
            sweep[rule].append(expected_distance(labels, p, distances)["mean"])
            sweep[f"{rule}_sq"].append(sq["mean"])
            sweep[f"{rule}_mistake_sq"].append(sq["mistakes"])
        sweep["absent_top1"].append(per_class_accuracy(labels[absent], pred[absent]))
        sweep["known_top1"].append(per_class_accuracy(labels[known], pred[known]))
        sweep["predicted_absent"].append(float(np.isin(pred, absent_ids).mean()))
        if n_resamples:
            gap = distance_gap(labels, pred, arg, distances, n_resamples=n_resamples)
            sweep["gap"].append(gap.estimate)
            sweep["gap_low"].append(gap.low)
            sweep["gap_high"].append(gap.high)
    return sweep


def plot_loki_sweep(
    scales: Sequence[float],
    sweep: Mapping[str, Sequence[float]],
    argmax_known_top1: float,
    scale: float,
    metric: str = "attributes",
    title: str = "",
):
    """Mean distance (left) and Loki's known/absent top-1 (right) against the softmax scale.

    Returns the matplotlib Figure with two Axes (two lines each, plus
    reference lines). Taught in: notebooks/23_loki.ipynb
    """
    fig, axes = _figure(1, 2, figsize=(9, 3.3))
    axes[0].plot(
        scales, sweep["argmax"], "o-", color=style.colour(0), label="argmax over the label set"
    )
    axes[0].plot(scales, sweep["loki"], "s-", color=style.colour(1), label="Loki over all of Y")
    axes[0].set_ylabel(f"mean distance d(y, prediction)\n({metric} metric)")
    axes[1].plot(
        scales, sweep["known_top1"], "s--", color=style.colour(1), label="Loki, known classes"
    )
    axes[1].plot(
        scales, sweep["absent_top1"], "s-", color=style.colour(1), label="Loki, absent classes"
    )
    axes[1].axhline(
        argmax_known_top1, color=style.colour(0), linestyle="--", label="argmax, known classes"
    )
    axes[1].axhline(0, color=style.colour(0), label="argmax, absent classes")
    axes[1].set_ylabel("per-class top-1")
    axes[1].set_ylim(-0.03, 1.03)
    for ax in axes:
        ax.axvline(scale, color=style.MUTED, linestyle=":", label=f"backbone scale {scale:.0f}")
        ax.set_xscale("log")
        ax.set_xlabel("softmax scale s")
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_loki_squared_sweep(
    scales: Sequence[float],
    sweep: Mapping[str, Sequence[float]],
    scale: float,
    validation_scale: float,
    absent_share: float,
    metric: str = "graded",
    title: str = "",
):
    """E[d^2] (left) and where Loki's predictions go (right) against the softmax scale.

    Left: ``E[d^2]`` of the arg max and of Loki (error bars: the 95 % paired
    bootstrap interval of Loki minus argmax, ``sweep["gap_low"/"gap_high"]``
    of :func:`loki_scale_sweep`, drawn around Loki's value), and dashed
    ``E[d^2 | wrong]`` of both. Right: Loki's per-class top-1 on known and
    absent classes and its share of predictions outside the label set, with
    ``absent_share`` (the share of test images whose class is absent).
    Dotted and dash-dotted verticals: the backbone's ``scale`` and the
    ``validation_scale``. Returns the Figure. Taught in: notebooks/23_loki.ipynb
    """
    fig, axes = _figure(1, 2, figsize=(10, 4.8))
    argmax, loki = np.asarray(sweep["argmax_sq"]), np.asarray(sweep["loki_sq"])
    bars = [loki - (argmax + np.asarray(sweep["gap_low"]))]
    bars.append(argmax + np.asarray(sweep["gap_high"]) - loki)
    axes[0].plot(scales, argmax, "o-", color=style.colour(0), label="argmax, E[d^2]")
    axes[0].errorbar(
        scales,
        loki,
        yerr=np.clip(bars, 0, None),
        fmt="s-",
        capsize=2,
        color=style.colour(1),
        label="Loki, E[d^2] (95 % CI of gap)",
    )
    for rule, k, marker in (("argmax", 0, "o--"), ("Loki", 1, "s--")):
        key = f"{rule.lower()}_mistake_sq"
        axes[0].plot(
            scales,
            sweep[key],
            marker,
            color=style.colour(k),
            mfc="none",
            label=f"{rule}, E[d^2 | wrong]",
        )
    axes[0].set_ylabel(f"squared distance d(y, prediction)^2\n({metric} metric)")
    axes[1].plot(
        scales, sweep["known_top1"], "s--", color=style.colour(1), label="Loki top-1, known"
    )
    axes[1].plot(
        scales, sweep["absent_top1"], "s-", color=style.colour(1), label="Loki top-1, absent"
    )
    axes[1].plot(
        scales,
        sweep["predicted_absent"],
        "^:",
        color=style.colour(2),
        label="Loki: share predicted absent",
    )
    axes[1].axhline(absent_share, color=style.FAINT, label="share of absent-class images")
    axes[1].set_ylabel("fraction")
    axes[1].set_ylim(-0.03, 1.03)
    for ax in axes:
        ax.axvline(scale, color=style.MUTED, linestyle=":", label=f"learned scale {scale:.1f}")
        ax.axvline(
            validation_scale,
            color=style.MUTED,
            linestyle="-.",
            label=f"chosen on validation {validation_scale:.1f}",
        )
        ax.set_xscale("log")
        ax.set_xlabel("softmax scale s")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def fit_softmax_scale(
    image_features: Any, labels: Any, weights: Any, label_ids: Any, max_scale: float = 1000.0
) -> float:
    """The softmax scale that minimises the cross-entropy on images of the label set's classes.

    Only images whose label is in ``label_ids`` count; their targets are
    positions in ``label_ids``, the columns of the (d, K) ``weights``. The
    scale is searched on ``[1, max_scale]`` in log (``scipy.optimize.minimize_scalar``,
    bounded).

    Taught in: notebooks/23_loki.ipynb (the exercise on fitting the scale)
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    features = (
        image_features.numpy() if isinstance(image_features, torch.Tensor) else image_features
    )
    weights = weights.numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights)
    labels = np.asarray(labels)
    is_known = np.isin(labels, label_ids)
    position = {int(c): k for k, c in enumerate(label_ids)}
    targets = np.array([position[int(c)] for c in labels[is_known]])
    similarities = np.asarray(features)[is_known] @ weights

    def nll(log_scale):
        log_p = log_softmax(np.exp(log_scale) * similarities, axis=1)
        return -log_p[np.arange(len(targets)), targets].mean()

    best = minimize_scalar(nll, bounds=(0.0, np.log(max_scale)), method="bounded")
    return float(np.exp(best.x))


# Chapter 24: domain shift ------------------------------------------------------------------------


def encode_domains(
    model: Any,
    preprocess: Any,
    domains: Sequence[str],
    n_per_class: int = 20,
    seed: int = 0,
    batch_size: int = 256,
    device: str = "cpu",
):
    """The pocket test images of every domain, encoded.

    Returns
    -------
    features : {domain: (image_features, labels)}; data : the last domain's
    dataset (for its class names and templates).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    features, data = {}, None
    for domain in domains:
        pocket = {"variant": domain, "n_per_class": n_per_class, "seed": seed}
        data, image_features, labels = encode_split(
            model, preprocess, "pocket", "test", "", pocket, batch_size, device
        )
        features[domain] = (image_features, labels)
    return features, data


def fixed_classifiers(
    model: Any,
    tokenizer: Any,
    class_names: Sequence[str],
    pool: Sequence,
    single: Sequence,
    batch_size: int = 256,
    device: str = "cpu",
):
    """The five text-side classifiers of chapter 24 that do not look at the test images.

    Parameters
    ----------
    pool : the templates of the ensemble (and of ZPE).
    single : the bare name template and "a photo of a {}.".

    Returns
    -------
    pool_classifiers : (T, d, C) per-template classifiers of ``pool``;
    fixed : {"name only", "one prompt", "ensemble", "descriptions",
    "names + descriptions": (d, C) weights}.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    from zslkit.vlm.descriptions import class_descriptions, text_classifier

    pool_classifiers = template_classifiers(
        model, tokenizer, class_names, pool, device=device, batch_size=batch_size
    )
    single_classifiers = template_classifiers(
        model, tokenizer, class_names, single, device=device, batch_size=batch_size
    )
    descriptions = class_descriptions("pocket", class_names)
    fixed = {
        "name only": single_classifiers[0],
        "one prompt": single_classifiers[1],
        "ensemble": ensemble_classifier(pool_classifiers),
        "descriptions": text_classifier(
            model, tokenizer, class_names, pool, descriptions, "descriptions", device
        ),
        "names + descriptions": text_classifier(
            model, tokenizer, class_names, pool, descriptions, "both", device
        ),
    }
    return pool_classifiers, fixed


def compare_domains(
    features: Mapping[str, tuple[Any, Any]],
    fixed: Mapping[str, Any],
    pool_classifiers: Any,
    reference_features: Any,
    logit_scale: float,
    methods: Sequence[str] = METHODS,
):
    """Per-class top-1 of every method in every domain; ZPE is fitted on each domain's images.

    :func:`zslkit.vlm.robustness.domain_predictions` then
    :func:`~zslkit.vlm.robustness.accuracy_by_domain`.

    Returns
    -------
    table : {domain: {method: top-1}}; prompt_weights : {domain: ZPE's (T,)
    prompt weights}.

    Taught in: notebooks/24_domain_shift.ipynb
    """
    from zslkit.vlm.robustness import accuracy_by_domain, domain_predictions

    predictions, prompt_weights = domain_predictions(
        features, fixed, pool_classifiers, reference_features, logit_scale, methods
    )
    labels = {domain: labels for domain, (_, labels) in features.items()}
    return accuracy_by_domain(labels, predictions), prompt_weights


def mean_over_domains(
    table: Mapping[str, Mapping[str, float]], methods: Sequence[str], domains: Sequence[str]
) -> dict[str, float]:
    """{method: mean of its accuracy over ``domains``} (NaN when there is no domain).

    Taught in: notebooks/24_domain_shift.ipynb
    """
    return {
        m: float(np.mean([table[d][m] for d in domains])) if domains else float("nan")
        for m in methods
    }


def plot_domain_shift(
    table: Mapping[str, Mapping[str, float]],
    methods: Sequence[str],
    domains: Sequence[str],
    n_classes: int,
):
    """Each method's accuracy across domains (left), and shifted against photo accuracy (right).

    Returns the matplotlib Figure with two Axes: one line per method plus
    chance on the left; one scatter per method, a label per shifted domain
    and the diagonal on the right (empty when photo is not among the domains).

    Taught in: notebooks/24_domain_shift.ipynb
    """

    shifted = [d for d in domains if d != "photo"]
    fig, (left, right) = _figure(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    x = np.arange(len(domains))
    for i, m in enumerate(methods):
        left.plot(x, [table[d][m] for d in domains], "o-", label=m, color=style.colour(i))
    left.axhline(1 / n_classes, color=style.MUTED, ls=":", label="chance")
    left.set_xticks(x, domains)
    left.set_ylabel("64-way top-1 accuracy")
    left.set_title("Each text-side classifier across domains")
    left.legend(fontsize=8, ncol=2)
    if "photo" in table:
        for i, m in enumerate(methods):
            right.scatter(
                [table["photo"][m]] * len(shifted),
                [table[d][m] for d in shifted],
                color=style.colour(i),
                s=30,
            )
        for d in shifted:
            right.annotate(
                d,
                (table["photo"]["ensemble"], table[d]["ensemble"]),
                fontsize=8,
                xytext=(4, 2),
                textcoords="offset points",
            )
        lo = min(min(r.values()) for r in table.values()) - 0.02
        right.plot([lo, 1], [lo, 1], color=style.FAINT, ls="--")
        right.set_xlabel("accuracy on photo")
        right.set_ylabel("accuracy on the shifted domain")
        right.set_title("Better at home, better away?")
    fig.tight_layout()
    return fig


def plot_prompt_weights(pool: Sequence, prompt_weights: Mapping[str, Any]):
    """Bars of ZPE's weight on each prompt of the pool, one colour per domain.

    Returns the matplotlib Figure (one Axes, one bar container per domain).
    Taught in: notebooks/24_domain_shift.ipynb
    """
    fig, ax = _figure(figsize=(8, 3.2))
    width = 0.8 / len(prompt_weights)
    for i, (domain, weights) in enumerate(prompt_weights.items()):
        ax.bar(np.arange(len(pool)) + i * width, weights, width=width, label=domain)
    ax.set_xticks(
        np.arange(len(pool)) + 0.4 - width / 2,
        [str(t).replace("{}", "·") for t in pool],
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set_ylabel("ZPE prompt weight")
    ax.set_title("Prompt weights chosen per domain from unlabelled images")
    ax.legend(fontsize=8)
    return fig
