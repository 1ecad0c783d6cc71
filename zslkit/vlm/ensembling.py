"""Prompt ensembling, taken apart: which templates help, why, and where errors go.

Chapter 20 compares CLIP's equal-weight ensemble of templates with single
templates on ToyCLIP 2, whose pretraining captions name how an image was
taken ("a sketch of", "a black and white photo of"). This module holds the
steps that separate two reasons an ensemble can beat a single template:

* it **dilutes bad templates** (those whose words describe the wrong
  domain): compare pools of templates sorted by :func:`template_groups`;
* it **cancels errors** among templates of similar quality: compare the
  ensemble of one pool with that pool's median template, item by item
  (:func:`pool_summary`, :func:`subset_draws`).

And it measures where a mismatched template's mistakes go
(:func:`mistake_kinds`, :func:`grey_gap`).

Taught in: notebooks/20_prompt_ensembling.ipynb
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from zslkit import stats, style
from zslkit.data import web, world
from zslkit.models.prompts import ensemble_classifier, template_logits
from zslkit.models.zeroshot import fill_template
from zslkit.paths import data_dir
from zslkit.stats import intervals_as_figures  # noqa: F401  (re-exported: chapter 20)

GROUPS = ("clean", "condition", "attribute", "unseen")
"""Template groups of :func:`template_groups`, in the order chapter 20 prints them."""

_GREY = np.array([0.299, 0.587, 0.114])  # the weights web.py uses to remove colour


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", re.sub(r"\{[a-z]*\}", " ", text.lower())))


@lru_cache(maxsize=None)
def _pocket_web() -> dict:
    with open(data_dir() / "templates" / "pocket_web.json", encoding="utf-8") as f:
        return json.load(f)


def condition_words() -> frozenset:
    """Words that pretraining captions use only to name a domain or context.

    The words of the pocket web's condition phrases
    (``data/templates/pocket_web.json``: "sketch", "black", "white",
    "blurry", "cropped", ...) that none of its neutral templates contains.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    lang = _pocket_web()
    neutral = set().union(*(_words(t) for t in lang["neutral"]))
    condition = set().union(*(_words(t) for pool in lang["condition"].values() for t in pool))
    return frozenset(condition - neutral)


def condition_template(condition: str) -> world.Template:
    """The first caption phrasing of a domain or context (``"a sketch of a {}."``).

    ``condition`` is a key of ``pocket_web.json``'s ``"condition"`` pools:
    ``sketch``, ``noisy`` or a photo context of :data:`zslkit.data.web.CONTEXTS`
    other than ``plain``. Returned as a :class:`zslkit.data.world.Template`
    (it fixes the article, "an orange star").

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    from zslkit.checks import check_choice

    pools = _pocket_web()["condition"]
    check_choice("condition", condition, list(pools))
    return world.Template(pools[condition][0])


def template_groups(templates: Sequence) -> np.ndarray:
    """Sort templates by what their words mean to ToyCLIP 2.

    Each template (filled with ``"{}"``) goes to the first group that fits:

    * ``"unseen"``: it has a word no pretraining caption contains
      (:func:`zslkit.data.web.unseen_words`: "tattoo", "origami");
    * ``"condition"``: it names a domain or context (:func:`condition_words`);
    * ``"attribute"``: it names a colour, shape, pattern or size of the world
      ("a photo of a small {}.");
    * ``"clean"``: none of these, wording the model has learned to discount.

    Returns
    -------
    groups : (T,) array of str, one of :data:`GROUPS` per template.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    texts = [fill_template(t, "{}") for t in templates]
    if not texts:
        raise ValueError("templates is empty; give at least one template")
    unseen = web.unseen_words(texts)
    condition = condition_words()
    attributes = {v for values in world.ATTRIBUTES.values() for v in values}
    out = []
    for text in texts:
        words = _words(text)
        if text in unseen:
            out.append("unseen")
        elif words & condition:
            out.append("condition")
        elif words & attributes:
            out.append("attribute")
        else:
            out.append("clean")
    return np.array(out)


def correct_items(image_features: Any, labels: Any, classifiers: Any) -> np.ndarray:
    """Which test items each classifier gets right.

    Parameters
    ----------
    image_features : (n, d) float tensor, L2-normalised rows.
    labels : (n,) int array.
    classifiers : (d, C) one classifier, or (T, d, C) one per template.

    Returns
    -------
    correct : (n,) bool array, or (T, n) for a stack of classifiers.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    labels = np.asarray(labels)
    single = getattr(classifiers, "ndim", np.ndim(classifiers)) == 2
    stack = classifiers[None] if single else classifiers
    predictions = template_logits(image_features, stack, 1.0).argmax(-1).numpy()
    if predictions.shape[1] != len(labels):
        raise ValueError(f"{predictions.shape[1]} images but {len(labels)} labels")
    correct = predictions == labels[None, :]
    return correct[0] if single else correct


def median_template(per_template: Any) -> int:
    """Index of the median single template (the lower median for an even count).

    Ties in accuracy keep the templates' order (a stable sort).

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    per_template = np.asarray(per_template, dtype=float).ravel()
    if per_template.size == 0:
        raise ValueError("per_template is empty")
    order = np.argsort(per_template, kind="stable")
    return int(order[(len(order) - 1) // 2])


def differences(
    correct: Any, references: Mapping[str, Any], seed: int = 0, n_resamples: int = 4000
) -> dict[str, stats.Interval]:
    """``correct`` minus each reference, with a 95 % paired bootstrap over test items.

    Parameters
    ----------
    correct : (n,) right/wrong (or any per-item score) of one classifier.
    references : {name: (n,) per-item scores of another classifier on the same items}.
    seed, n_resamples : seed and number of the bootstrap resamples.

    Returns
    -------
    {name: :class:`zslkit.stats.Interval`} of ``mean(correct) - mean(reference)``.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    return {
        name: stats.paired_bootstrap(correct, ref, seed=seed, n_resamples=n_resamples)
        for name, ref in references.items()
    }


def pool_summary(
    per_item: Any,
    classifiers: Any,
    image_features: Any,
    labels: Any,
    pool: Any,
    n_resamples: int = 4000,
):
    """A pool of templates: its single templates' spread, its ensemble, and how they differ.

    Parameters
    ----------
    per_item : (T, n) bool, which items each template gets right (:func:`correct_items`).
    classifiers : (T, d, C) per-template classifiers.
    image_features, labels : the test items (n, d) and (n,).
    pool : (T,) bool mask, or indices, of the templates in the pool.

    Returns
    -------
    dict with ``n_templates``, ``worst``, ``median``, ``best`` (single-template
    top-1), ``ensemble`` (top-1 of the pool's equal-weight ensemble),
    ``minus_median`` (:class:`zslkit.stats.Interval` of ensemble minus the
    median template, paired over items, ``n_resamples`` resamples) and ``mcnemar``
    (:class:`zslkit.stats.McNemar`, ensemble as A, median template as B).

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    per_item = np.asarray(per_item, dtype=bool)
    idx = np.asarray(pool)
    if idx.dtype == bool:
        if idx.shape != (per_item.shape[0],):
            raise ValueError(f"pool mask has shape {idx.shape}; need ({per_item.shape[0]},)")
        idx = np.flatnonzero(idx)
    if idx.size == 0:
        raise ValueError("the pool is empty; choose at least one template")
    members = per_item[idx]
    top1 = members.mean(axis=1)
    median = members[median_template(top1)]
    ensemble = correct_items(image_features, labels, ensemble_classifier(classifiers[idx]))
    return {
        "n_templates": int(idx.size),
        "worst": float(top1.min()),
        "median": float(np.median(top1)),
        "best": float(top1.max()),
        "ensemble": float(ensemble.mean()),
        "minus_median": stats.paired_bootstrap(ensemble, median, n_resamples=n_resamples),
        "mcnemar": stats.mcnemar(ensemble, median),
    }


def subset_draws(
    image_features: Any,
    labels: Any,
    classifiers: Any,
    n_draws: int,
    rng: np.random.Generator,
    sizes: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
) -> tuple[list[int], np.ndarray]:
    """Top-1 of equal-weight ensembles of k templates drawn at random, draw by draw.

    For each ``k`` of ``sizes`` below the pool size T, ``n_draws`` subsets of k
    templates are drawn without replacement with ``rng``; k = T (the whole
    pool) is one classifier, repeated in every column.

    Returns
    -------
    sizes : sorted list of k (T included); top1 : (len(sizes), n_draws) array.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    from zslkit.checks import check_range

    check_range("n_draws", n_draws, 2, integer=True)
    n_templates = len(classifiers)
    sizes = sorted({int(k) for k in sizes if 0 < k < n_templates} | {n_templates})
    rows = []
    for k in sizes:
        draws = n_draws if k < n_templates else 1
        subsets = [rng.choice(n_templates, k, replace=False) for _ in range(draws)]
        top1 = [
            correct_items(image_features, labels, ensemble_classifier(classifiers[s])).mean()
            for s in subsets
        ]
        rows.append(np.resize(top1, n_draws))
    return sizes, np.array(rows)


def mistake_kinds(
    class_names: Sequence[str], labels: Any, predictions: Any
) -> dict[str, np.ndarray]:
    """Sort a colour-shape classifier's mistakes by what it got wrong.

    Parameters
    ----------
    class_names : "colour shape" names ("red circle"), in label order.
    labels, predictions : (n,) int arrays.

    Returns
    -------
    {kind: (n,) bool array}: ``"colour"`` (right shape, wrong colour),
    ``"shape"`` (right colour, wrong shape), ``"both"`` (both wrong).

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    colour, shape = _colour_shape(class_names)
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    same_colour = colour[labels] == colour[predictions]
    same_shape = shape[labels] == shape[predictions]
    return {
        "colour": same_shape & ~same_colour,
        "shape": same_colour & ~same_shape,
        "both": ~same_colour & ~same_shape,
    }


def _colour_shape(class_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    colours, shapes = world.ATTRIBUTES["colour"], world.ATTRIBUTES["shape"]
    parts = [str(c).split() for c in class_names]
    bad = [
        c
        for c, p in zip(class_names, parts)
        if len(p) != 2 or p[0] not in colours or p[1] not in shapes
    ]
    if bad:
        raise ValueError(
            f"class names must be 'colour shape' with a colour of {list(colours)} and a "
            f"shape of {list(shapes)}; got {bad[:3]}"
        )
    return np.array([p[0] for p in parts]), np.array([p[1] for p in parts])


def grey_gap(
    class_names: Sequence[str], labels: Any, predictions: Any
) -> tuple[np.ndarray, np.ndarray]:
    """How far, in grey level, a classifier's colour mistakes land from the true colour.

    A colour's grey level is ``0.299 R + 0.587 G + 0.114 B`` of
    :data:`zslkit.data.world.COLOUR_RGB` (0-255), what a black and white
    photo keeps of it.

    Returns
    -------
    observed : (m,) |grey(true colour) - grey(predicted colour)| of each of
        the m mistakes of kind ``"colour"`` (:func:`mistake_kinds`).
    chance : (m,) for the same mistakes, the mean gap to the other seven
        colours (what a colour drawn at random would give). Paired with
        ``observed``, item by item.

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    colour, _ = _colour_shape(class_names)
    grey = {c: float(np.dot(_GREY, world.COLOUR_RGB[c])) for c in world.ATTRIBUTES["colour"]}
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    hit = mistake_kinds(class_names, labels, predictions)["colour"]
    true, pred = colour[labels[hit]], colour[predictions[hit]]
    observed = np.array([abs(grey[t] - grey[p]) for t, p in zip(true, pred)])
    chance = np.array(
        [np.mean([abs(grey[t] - g) for c, g in grey.items() if c != t]) for t in true]
    )
    return observed, chance


def plot_template_groups(
    per_template: Any, groups: Sequence[str], n_items: int, ensemble_top1: float, title: str = ""
):
    """Each template's top-1 with its 95 % Clopper-Pearson interval, sorted, coloured by group.

    Parameters
    ----------
    per_template : (T,) top-1 of each template alone.
    groups : (T,) group of each template (:func:`template_groups`).
    n_items : number of test items (for the intervals).
    ensemble_top1 : drawn as a horizontal line.

    Returns the matplotlib Figure. Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    import matplotlib.pyplot as plt
    from scipy.stats import binomtest

    per_template, groups = np.asarray(per_template, dtype=float), np.asarray(groups)
    order = np.argsort(per_template, kind="stable")
    colours = style.colours_for(list(GROUPS))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for group in GROUPS:
        at = [i for i, t in enumerate(order) if groups[t] == group]
        if not at:
            continue
        acc = per_template[order[at]]
        cis = [binomtest(int(round(a * n_items)), n_items).proportion_ci() for a in acc]
        err = np.array(
            [[a - c.low for a, c in zip(acc, cis)], [c.high - a for a, c in zip(acc, cis)]]
        )
        ax.errorbar(
            at, acc, yerr=err, fmt="o", markersize=4, capsize=0, color=colours[group], label=group
        )
    ax.axhline(ensemble_top1, color=style.INK, linewidth=1.5, label=f"ensemble of {len(order)}")
    ax.set_xlabel("template, from worst to best")
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_subset_draws(curves: Mapping[str, tuple[Sequence[int], Any]]):
    """Random-subset curves of several template pools, mean and 95 % t interval over draws.

    ``curves`` maps a pool's label to ``(sizes, top1)`` from :func:`subset_draws`.
    Returns the matplotlib Figure. Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    for i, (label, (sizes, top1)) in enumerate(curves.items()):
        intervals = [stats.t_interval(row) if np.ptp(row) > 0 else None for row in np.asarray(top1)]
        mean = np.asarray(top1).mean(axis=1)
        low = [m - (c.low if c else m) for m, c in zip(mean, intervals)]
        high = [(c.high if c else m) - m for m, c in zip(mean, intervals)]
        ax.errorbar(
            sizes, mean, yerr=[low, high], marker="o", capsize=3, color=style.colour(i), label=label
        )
    all_sizes = sorted({k for sizes, _ in curves.values() for k in sizes})
    ax.set_xscale("log", base=2)
    ax.set_xticks(all_sizes, [str(k) for k in all_sizes])
    ax.minorticks_off()
    ax.set_xlabel("templates in the ensemble, k")
    ax.set_ylabel("top-1 accuracy")
    ax.set_title("Ensembles of k random templates (mean, 95 % t interval over draws)")
    ax.legend(fontsize=8)
    return fig
