"""One leaderboard for Parts II and III: every method, one protocol, the same cached features.

A method is a :class:`Method`: a name, a kind (``"zero-shot"``,
``"transductive"`` (no labels, but fitted on the unlabelled test images),
``"training-free"`` or ``"trained"``), a function ``score(task, seed)``
returning its test top-1 on a few-shot task of
:func:`zslkit.adapt.protocols.few_shot_data`, and the shot counts it runs at.
:func:`run_leaderboard` runs every method at every (shot count, seed);
methods that use no labels (``shots=()``) run once, since their result
depends on neither. :func:`summarise` turns the results into table cells,
mean +- std over the seeds (:func:`zslkit.adapt.protocols.mean_std`), and
:func:`format_table`, :func:`table_records` and :func:`plot_leaderboard`
show them.

The rule of the ``mean over shots`` column: the mean of a method's per-shot
means, defined only when the method ran at every shot count of the table
(a label-free method counts as running at all of them, with the same value);
otherwise it is ``None`` and shown as ``-``, so that a method evaluated at
the easy shot counts only cannot look better than one evaluated at all.

Taught in: notebooks/34_leaderboard.ipynb
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from zslkit import style
from zslkit.adapt.protocols import mean_std
from zslkit.checks import check_choice
from zslkit.paths import data_dir

__all__ = [
    "KINDS",
    "Method",
    "run_leaderboard",
    "summarise",
    "format_table",
    "table_records",
    "best_methods",
    "load_reference",
    "plot_leaderboard",
    "COLOURS",
    "weights_score",
    "zero_shot_methods",
    "adapter_score",
    "adapter_methods",
    "learner_score",
    "prompt_learner_methods",
    "gains_over",
    "best_of_kind",
    "best_label_free",
    "per_draw_accuracy",
    "leaders",
]

KINDS = ("zero-shot", "transductive", "training-free", "trained")
"""Kinds of method: no labels; no labels but the unlabelled test images; labels
without gradient steps; labels with gradient steps."""


@dataclass(frozen=True)
class Method:
    """One row of the leaderboard.

    Parameters
    ----------
    name : row label, e.g. ``"Tip-Adapter"``.
    kind : one of :data:`KINDS`.
    score : ``score(task, seed) -> float``, the test top-1 of the method
        fitted on ``task`` (a dict of :func:`zslkit.adapt.protocols.few_shot_data`)
        with random seed ``seed``.
    shots : shot counts it runs at; ``None``: every shot count of the run;
        ``()``: it uses no labels and runs once.
    """

    name: str
    kind: str
    score: Callable[[dict, int], float]
    shots: tuple[int, ...] | None = None

    def __post_init__(self):
        check_choice("kind", self.kind, KINDS)


def run_leaderboard(
    methods: Sequence[Method],
    load_task: Callable[[int, int], dict],
    shots: Sequence[int],
    seeds: Sequence[int],
    log: Callable[[str], Any] | None = None,
) -> list[dict]:
    """Run every method under one protocol.

    Parameters
    ----------
    methods : the rows.
    load_task : ``load_task(n_shots, seed) -> task`` (cached features, e.g.
        :func:`zslkit.adapt.protocols.few_shot_data`); called once per (shots, seed).
    shots, seeds : the protocol's shot counts and few-shot seeds.
    log : optional function called with one line per (shots, seed).

    Returns
    -------
    list of dicts ``{"method", "kind", "shots", "seed", "top1", "seconds"}``;
    a label-free method gives one dict with ``shots=0`` and ``seed=None``,
    evaluated on the test set of the first task.
    """
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"method names must be unique, got {names}")
    shots, seeds = [int(k) for k in shots], [int(s) for s in seeds]
    if not shots or not seeds:
        raise ValueError(
            f"need at least one shot count and one seed, got shots={shots}, seeds={seeds}"
        )
    results = []

    def run(method: Method, task: dict, n_shots: int, seed: int | None) -> None:
        start = time.perf_counter()
        top1 = float(method.score(task, seeds[0] if seed is None else seed))
        results.append(
            {
                "method": method.name,
                "kind": method.kind,
                "shots": n_shots,
                "seed": seed,
                "top1": top1,
                "seconds": time.perf_counter() - start,
            }
        )

    for i, n_shots in enumerate(shots):
        for j, seed in enumerate(seeds):
            task = load_task(n_shots, seed)
            start = time.perf_counter()
            for method in methods:
                if method.shots == ():
                    if i == 0 and j == 0:
                        run(method, task, 0, None)
                elif method.shots is None or n_shots in method.shots:
                    run(method, task, n_shots, seed)
            if log is not None:
                log(f"{n_shots} shots, seed {seed}: {time.perf_counter() - start:.1f} s")
    return results


def summarise(results: Sequence[Mapping], shots: Sequence[int]) -> dict[str, dict]:
    """Table cells: mean +- std over the seeds per method and shot count.

    Parameters
    ----------
    results : as returned by :func:`run_leaderboard`.
    shots : the shot counts (columns) of the table.

    Returns
    -------
    ``{method: {"kind": str, "label_free": bool, "cells": {n_shots: (mean, std, n_seeds)},
    "mean_over_shots": float or None}}`` in the order methods first appear.
    A label-free method (``shots == 0``) has the same cell in every column.
    ``mean_over_shots`` follows the rule of the module docstring.
    """
    shots = [int(k) for k in shots]
    grouped: dict[str, dict] = {}
    for r in results:
        row = grouped.setdefault(r["method"], {"kind": r["kind"], "values": {}})
        row["values"].setdefault(int(r["shots"]), []).append(float(r["top1"]))
    summary = {}
    for name, row in grouped.items():
        label_free = set(row["values"]) == {0}
        if not label_free and 0 in row["values"]:
            raise ValueError(f"method {name!r} has results both with and without shots")
        cells = {}
        for k in shots:
            values = row["values"][0] if label_free else row["values"].get(k)
            if values:
                mean, std = mean_std(values)
                cells[k] = (mean, std, len(values))
        complete = len(cells) == len(shots)
        summary[name] = {
            "kind": row["kind"],
            "label_free": label_free,
            "cells": cells,
            "mean_over_shots": float(np.mean([cells[k][0] for k in shots])) if complete else None,
        }
    return summary


def best_methods(summary: Mapping[str, dict], shots: Sequence[int]) -> dict[int, str]:
    """The method with the highest mean top-1 at each shot count (first in table order on a tie)."""
    best = {}
    for k in shots:
        present = [(name, row["cells"][k][0]) for name, row in summary.items() if k in row["cells"]]
        if present:
            best[k] = max(present, key=lambda item: item[1])[0]
    return best


def _shot_label(k: int) -> str:
    return f"{k} shot" + ("s" if k != 1 else "")


def format_table(
    summary: Mapping[str, dict],
    shots: Sequence[int],
    reference: Mapping[str, Mapping[str, float]] | None = None,
    digits: int = 3,
) -> str:
    """The leaderboard as fixed-width text: one row per method, ``mean ± std`` per shot count.

    Parameters
    ----------
    summary : from :func:`summarise`.
    shots : the columns.
    reference : optional ``{method: {shots (str): top-1 as a fraction}}``
        (:func:`load_reference`; shots ``"0"``: no labels); when given and
        not empty, a ``paper`` column lists the papers' numbers.
    digits : decimals of the accuracies.
    """
    width = 2 * digits + 8
    show_reference = bool(reference)
    header = f"{'method':<16}{'kind':<15}" + "".join(f"{_shot_label(k):>{width}}" for k in shots)
    header += f"{'mean over shots':>17}" + (f"  {'paper'}" if show_reference else "")
    lines = [header]
    for name, row in summary.items():
        cells = [
            f"{row['cells'][k][0]:.{digits}f} ± {row['cells'][k][1]:.{digits}f}"
            if k in row["cells"]
            else "-"
            for k in shots
        ]
        average = "-" if row["mean_over_shots"] is None else f"{row['mean_over_shots']:.{digits}f}"
        line = (
            f"{name:<16}{row['kind']:<15}"
            + "".join(f"{c:>{width}}" for c in cells)
            + f"{average:>17}"
        )
        if show_reference:
            papers = reference.get(name, {})
            line += "  " + (
                ", ".join(
                    f"{v:.4f}" if k == "0" else f"{k} shots: {v:.4f}" for k, v in papers.items()
                )
                if papers
                else "-"
            )
        lines.append(line)
    return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def table_records(summary: Mapping[str, dict], shots: Sequence[int]) -> dict[str, float]:
    """Every cell of the table as ``{record name: value}`` for :func:`zslkit.record`.

    A label-free method gives ``<method>_top1``; any other gives
    ``<method>_top1_<k>shot`` and ``..._std`` per shot count it ran at, and
    ``<method>_top1_mean_over_shots`` when that is defined. Method names are
    lower-cased with runs of other characters replaced by ``_``
    (``"Tip-Adapter-F"`` -> ``tip_adapter_f``).
    """
    records = {}
    for name, row in summary.items():
        key = _slug(name)
        if row["label_free"]:
            records[f"{key}_top1"] = row["cells"][shots[0]][0]
            continue
        for k in shots:
            if k in row["cells"]:
                records[f"{key}_top1_{k}shot"] = row["cells"][k][0]
                records[f"{key}_top1_{k}shot_std"] = row["cells"][k][1]
        if row["mean_over_shots"] is not None:
            records[f"{key}_top1_mean_over_shots"] = row["mean_over_shots"]
    return records


def load_reference(
    backbone: str, pretrained: str | None, dataset: str, path: str | None = None
) -> dict[str, dict[str, float]]:
    """The papers' numbers for one configuration, from ``data/leaderboard_reference.json``.

    Parameters
    ----------
    backbone, pretrained : e.g. ``"RN50"``, ``"openai"``; keys of the file are ``"<backbone>/<pretrained>"``.
    dataset : e.g. ``"imagenet"``.
    path : another file of the same format.

    Returns
    -------
    ``{method: {shots (str): top-1 as a fraction}}`` (shots ``"0"``: the
    method uses no labels); empty where the
    papers report nothing for the configuration (the whole pocket tier).
    """
    path = data_dir() / "leaderboard_reference.json" if path is None else path
    with open(path, encoding="utf-8") as f:
        numbers = json.load(f)["numbers"]
    return {
        method: dict(values)
        for method, values in numbers.get(f"{backbone}/{pretrained or ''}", {})
        .get(dataset, {})
        .items()
    }


def plot_leaderboard(
    results: Sequence[Mapping],
    shots: Sequence[int],
    ax: Any = None,
    colours: Mapping[str, str] | None = None,
) -> Any:
    """Accuracy against shots: each method's mean over seeds with its 95 % t interval (seaborn).

    Parameters
    ----------
    results : from :func:`run_leaderboard` (one dict per method, shot count and seed).
    shots : the x values.
    ax : matplotlib axes (default: a new figure).
    colours : optional ``{method: colour}`` (default: :data:`COLOURS`, then the house palette).

    Returns
    -------
    the axes. A label-free method is a dashed horizontal line; a method run
    at one shot count is a point with an error bar; the others are a line
    with a band. Intervals: :func:`zslkit.style.seed_interval`.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    names = list(dict.fromkeys(r["method"] for r in results))
    colours = {**style.colours_for(names), **COLOURS, **dict(colours or {})}
    markers = {"training-free": "o", "trained": "s"}  # label-free rows: lines
    for name in names:
        rows = [r for r in results if r["method"] == name and int(r["shots"]) in (0, *shots)]
        xs, ys = [int(r["shots"]) for r in rows], [float(r["top1"]) for r in rows]
        if set(xs) == {0}:
            label = f"{name} (no labels)"
            ax.axhline(np.mean(ys), color=colours[name], linestyle="--", linewidth=1.2, label=label)
            continue
        sns.lineplot(
            x=xs,
            y=ys,
            ax=ax,
            errorbar=style.seed_interval,
            err_style="bars" if len(set(xs)) == 1 else "band",
            err_kws={"capsize": 3} if len(set(xs)) == 1 else None,
            color=colours[name],
            marker=markers[rows[0]["kind"]],
            label=name,
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(shots), [str(k) for k in shots])
    ax.set_xlabel("labelled images per class (shots)")
    ax.set_ylabel("test top-1 accuracy")
    return ax


# --------------------------------------------------------------------------
# The rows of the notebook's leaderboard
# --------------------------------------------------------------------------
COLOURS = {
    **style.colours_for(
        ["prompt ensemble", "ZPE", "descriptions", "linear probe", "Tip-Adapter"]
        + ["Tip-Adapter-F", "GDA", "CoOp", "PRE"],
        muted=["prompt ensemble"],
    ),
    "one prompt": style.FAINT,
}
"""The colour of each row of the leaderboard in its figure."""


def weights_score(weights: Any) -> Callable[[dict, int], float]:
    """``score(task, seed)``: test top-1 of the fixed (d, C) classifier ``weights`` (no labels used)."""
    return lambda task, s: float(
        ((task["test_features"] @ weights).argmax(1) == task["test_labels"]).float().mean()
    )


def zero_shot_methods(weights: Mapping[str, Any]) -> list[Method]:
    """One label-free :class:`Method` per fixed classifier of ``weights`` (name -> (d, C) tensor).

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    return [Method(name, "zero-shot", weights_score(w), shots=()) for name, w in weights.items()]


def adapter_score(make: Callable[[], Any], text_weights: Any) -> Callable[[dict, int], float]:
    """``score(task, seed)``: fit ``make()`` (an adapter of :mod:`zslkit.adapt.adapters`) on the shots, test it.

    The adapter gets the zero-shot classifier ``text_weights`` and the
    validation shots; the seed is not used (the factory holds its own).
    """

    def score(task, s):
        adapter = make().fit(
            task["train_features"],
            task["train_labels"],
            text_weights=text_weights,
            val_features=task["val_features"],
            val_labels=task["val_labels"],
        )
        return adapter.score(task["test_features"], task["test_labels"])

    return score


def adapter_methods(
    text_weights: Any, logit_scale: float, tip_f_epochs: int, seed: int
) -> list[Method]:
    """The few-shot adapters of chapter 30 as rows: linear probe, Tip-Adapter, Tip-Adapter-F, GDA.

    Each row fits its adapter (:func:`adapter_score`) on every draw with
    the zero-shot classifier ``text_weights``; Tip-Adapter-F trains
    ``tip_f_epochs`` epochs with batch-order seed ``seed``.

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    from zslkit.adapt.adapters import GDA, LinearProbe, TipAdapter, TipAdapterF

    return [
        Method("linear probe", "trained", adapter_score(LinearProbe, text_weights)),
        Method(
            "Tip-Adapter",
            "training-free",
            adapter_score(lambda: TipAdapter(logit_scale=logit_scale), text_weights),
        ),
        Method(
            "Tip-Adapter-F",
            "trained",
            adapter_score(
                lambda: TipAdapterF(epochs=tip_f_epochs, logit_scale=logit_scale, seed=seed),
                text_weights,
            ),
        ),
        Method(
            "GDA",
            "training-free",
            adapter_score(lambda: GDA(logit_scale=logit_scale), text_weights),
        ),
    ]


def learner_score(
    Learner: type, model: Any, tokenizer: Callable, class_names: Sequence[str], options: Mapping
) -> Callable[[dict, int], float]:
    """``score(task, seed)``: train the prompt learner ``Learner(model, tokenizer, **options, seed=seed)``, test it."""

    def score(task, s):
        learner = Learner(model, tokenizer, **options, seed=s)
        learner.fit(
            task["train_features"],
            task["train_labels"],
            class_names,
            val_features=task["val_features"],
            val_labels=task["val_labels"],
        )
        return learner.score(task["test_features"], task["test_labels"])

    return score


def prompt_learner_methods(
    names: Sequence[str],
    shots: Sequence[int],
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    options: Mapping,
) -> list[Method]:
    """The prompt learners of chapter 31 (``"CoOp"``, ``"PRE"``) as rows, run at ``shots`` only.

    ``options`` : keywords of the learner (e.g. ``ctx_init``, ``epochs``,
    ``device``); each draw trains with its few-shot seed (:func:`learner_score`).

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    from zslkit.adapt.prompt_learning import PRE, CoOp

    learners = {"CoOp": CoOp, "PRE": PRE}
    return [
        Method(
            name,
            "trained",
            learner_score(learners[name], model, tokenizer, class_names, options),
            shots=tuple(shots),
        )
        for name in names
    ]


def gains_over(
    summary: Mapping[str, dict], shots: Sequence[int], reference_top1: float
) -> dict[str, dict[int, float]]:
    """Points of top-1 each method that uses labels adds to ``reference_top1``, per shot count it ran at.

    ``summary`` from :func:`summarise`; label-free rows are left out.

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    return {
        name: {k: 100 * (row["cells"][k][0] - reference_top1) for k in shots if k in row["cells"]}
        for name, row in summary.items()
        if not row["label_free"]
    }


def best_of_kind(summary: Mapping[str, dict], kind: str, n_shots: int) -> str:
    """The method of ``kind`` with the highest mean top-1 at ``n_shots`` (the first such on a tie).

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    names = [n for n, row in summary.items() if row["kind"] == kind and n_shots in row["cells"]]
    return max(names, key=lambda n: summary[n]["cells"][n_shots][0])


def best_label_free(summary: Mapping[str, dict]) -> str:
    """The label-free method with the highest ``mean_over_shots`` (the first such on a tie).

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    names = [n for n, row in summary.items() if row["label_free"]]
    return max(names, key=lambda n: summary[n]["mean_over_shots"])


def per_draw_accuracy(
    results: Sequence[Mapping], shots: Sequence[int], seeds: Sequence[int]
) -> dict[str, dict[int, list[float]]]:
    """``{method: {n_shots: [top-1 on each draw, in the order of seeds]}}``.

    A label-free method ran once; its value stands for every draw of every
    shot count, so that a method using labels can be compared with it draw
    by draw (:func:`zslkit.adapt.experiments.seed_differences`).

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    shots, seeds = [int(k) for k in shots], list(seeds)
    out: dict[str, dict[int, list[float]]] = {}
    for r in results:
        row = out.setdefault(r["method"], {})
        if int(r["shots"]) == 0:
            for k in shots:
                row[k] = [float(r["top1"])] * len(seeds)
        else:
            row.setdefault(int(r["shots"]), [None] * len(seeds))
            row[int(r["shots"])][seeds.index(r["seed"])] = float(r["top1"])
    return out


def leaders(
    summary: Mapping[str, dict],
    accuracy: Mapping[str, Mapping[int, Sequence[float]]],
    shots: Sequence[int],
    confidence: float = 0.95,
) -> dict[int, dict]:
    """At each shot count, the method with the highest mean and the methods it does not beat.

    The leader (:func:`best_methods`) is compared draw by draw with every
    other method that ran at that shot count: Student's t interval over the
    draws of ``leader - other`` (:func:`zslkit.adapt.experiments.seed_differences`).
    A method whose interval contains zero ties the leader. Two label-free
    methods are not compared: they ran once on one test set, with no draws
    to vary (their comparison needs an interval over test images, as in
    Part II).

    Returns ``{n_shots: {"leader": name, "ties": [names], "intervals": {name: Interval}}}``.

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    from zslkit.adapt.experiments import seed_differences

    out = {}
    for k, leader in best_methods(summary, shots).items():
        intervals = {}
        for name, row in summary.items():
            if name == leader or k not in row["cells"]:
                continue
            if row["label_free"] and summary[leader]["label_free"]:
                continue
            (ci,) = seed_differences(accuracy, [(leader, name)], [k], confidence).values()
            intervals[name] = ci
        ties = [name for name, ci in intervals.items() if ci.low <= 0.0 <= ci.high]
        out[k] = {"leader": leader, "ties": ties, "intervals": intervals}
    return out
