"""The printed tables of the Part III notebooks.

Each function returns the text a notebook prints, line for line; the
notebooks print it under ``# NBVAL_CHECK_OUTPUT``, so the format is part of
the book.

Taught in: notebooks/30_training_free_adapters.ipynb,
31_prompt_learning.ipynb, 32_pseudo_labels_tta.ipynb and
33_continual_learning.ipynb.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

__all__ = [
    "task_summary",
    "protocol_summary",
    "shots_table",
    "chosen_table",
    "differences_table",
    "paper_adapter_table",
    "paper_base_to_new_table",
    "paper_grip_table",
    "base_to_new_summary",
    "base_to_new_text",
    "pseudo_label_rounds",
    "continual_table",
    "forgetting_summary",
]


def task_summary(dataset: str, task: Mapping, text_weights, seconds: float) -> str:
    """One line: the classes and test images of a few-shot task, the text classifier's shape, the time.

    ``task`` as :func:`zslkit.adapt.protocols.few_shot_data` returns it;
    ``text_weights`` : (C, d) tensor; ``seconds`` : the time it took.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    return (
        f"{dataset}: {len(task['class_names'])} classes, {len(task['test_labels'])} test images; "
        f"text classifier {tuple(text_weights.shape)}; features in {seconds:.0f} s"
    )


def protocol_summary(
    dataset: str,
    data_root: str,
    variant: str,
    pool_per_class: int,
    test_per_class: int,
    departures: bool = True,
) -> str:
    """The Part III pocket task (:data:`~zslkit.adapt.protocols.POCKET_TASK`), or the full-tier dataset.

    On the pocket dataset, a second line names how the run departs from the
    task (variant, pool and test images per class), when it does and
    ``departures`` is true.

    Taught in: notebooks/30_training_free_adapters.ipynb (and 34_leaderboard.ipynb).
    """
    from zslkit.adapt.protocols import POCKET_TASK

    if dataset != "pocket":
        return f"dataset {dataset!r} from {data_root!r}"
    lines = [f"Part III pocket task: {POCKET_TASK}"]
    task = (POCKET_TASK["variant"], POCKET_TASK["pool_per_class"], POCKET_TASK["test_per_class"])
    if departures and (variant, pool_per_class, test_per_class) != task:
        lines.append(
            f"this run departs from it: variant {variant}, pool {pool_per_class}, "
            f"test {test_per_class} per class"
        )
    return "\n".join(lines)


def _shots_label(k: int) -> str:
    return f"{k} shot" + ("s" if k > 1 else "")


def shots_table(
    summary: Mapping[str, Mapping[int, tuple[float, float]]], shots: Sequence[int]
) -> str:
    """One row per method, one ``mean ± std`` column per shot count.

    ``summary`` : name -> n_shots -> (mean, std), as
    :func:`zslkit.adapt.experiments.summarise_sweep` returns it.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    lines = [f"{'method':<15}" + "".join(f"{_shots_label(k):>15}" for k in shots)]
    for name, row in summary.items():
        lines.append(
            f"{name:<15}" + "".join(f"{m:>9.3f} ± {s:.3f}" for m, s in (row[k] for k in shots))
        )
    return "\n".join(lines)


def differences_table(intervals: Mapping[str, object], scale: float = 100.0) -> str:
    """One line per paired difference: estimate and interval, in points, and whether it is a tie.

    ``intervals`` : name -> :class:`zslkit.stats.Interval`, as
    :func:`zslkit.adapt.experiments.seed_differences` returns them. A
    difference whose interval contains zero is printed as a tie; one
    without bounds (a single draw) as having no interval.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    lines = []
    width = max((len(name) for name in intervals), default=0)
    for name, ci in intervals.items():
        low, high = scale * ci.low, scale * ci.high
        if math.isnan(low) or math.isnan(high):
            lines.append(f"{name:<{width}} {scale * ci.estimate:+5.1f} (one draw: no interval)")
            continue
        verdict = "tie" if low <= 0.0 <= high else ("above" if low > 0 else "below")
        lines.append(
            f"{name:<{width}} {scale * ci.estimate:+5.1f} [{low:+5.1f}, {high:+5.1f}] {verdict}"
        )
    return "\n".join(lines)


PAPER_BACKBONES = (
    ("RN50", "imagenet_rn50"),
    ("ViT-B/32", "imagenet_vitb32"),
    ("ViT-B/16", "imagenet_vitb16"),
)
"""Rows of :func:`paper_adapter_table`: label and key in ``data/paper_numbers.json``."""


def paper_adapter_table() -> str:
    """The papers' ImageNet 16-shot top-1 (%) of zero-shot CLIP, Tip-Adapter(-F) and GDA.

    Read from ``data/paper_numbers.json`` (entries
    ``tip_adapter_clip_openai_16shot`` and ``gda_clip_openai_16shot``); a
    dash where the paper gives no number for that backbone.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    from zslkit.data.benchmarks import reference_number

    tip = "tip_adapter_clip_openai_16shot"
    columns = (
        ("zero-shot", tip, "zero_shot_top1"),
        ("Tip-Adapter", tip, "tip_adapter_top1"),
        ("Tip-Adapter-F", tip, "tip_adapter_f_top1"),
        ("GDA", "gda_clip_openai_16shot", "gda_top1"),
    )
    lines = [f"{'backbone':<9}" + "".join(f"{name:>14}" for name, _, _ in columns)]
    for label, key in PAPER_BACKBONES:
        values = [reference_number(method, key, metric) for _, method, metric in columns]
        lines.append(
            f"{label:<9}" + "".join(f"{'-' if v is None else f'{100 * v:.2f}':>14}" for v in values)
        )
    return "\n".join(lines)


CHOSEN = (
    ("linear probe", ("C_",)),
    ("Tip-Adapter", ("alpha_", "beta_")),
    ("Tip-Adapter-F", ("alpha_", "beta_")),
    ("GDA", ("alpha_",)),
)
"""The hyperparameters :func:`chosen_table` reports, per adapter."""


def chosen_table(chosen: Mapping[str, Mapping[int, Sequence[dict]]], shots: Sequence[int]) -> str:
    """The median over the seeds of each hyperparameter the validation shots chose, per shot count.

    ``chosen`` : name -> n_shots -> list over seeds of {hyperparameter: value},
    as :func:`zslkit.adapt.experiments.few_shot_sweep` returns it; the
    adapters and hyperparameters are those of :data:`CHOSEN`.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    lines = []
    for name, keys in CHOSEN:
        for key in keys:
            values = [f"{np.median([c[key] for c in chosen[name][k]]):.3g}" for k in shots]
            lines.append(
                f"{name:<14} {key[:-1]:>5} (median over seeds) at {list(shots)} shots: "
                f"{', '.join(values)}"
            )
    return "\n".join(lines)


def base_to_new_summary(
    dataset: str,
    names: Mapping[str, Sequence[str]],
    test: Mapping[str, tuple],
    n_shots: int,
    seeds: Sequence[int],
) -> str:
    """The base-to-new task in four lines: class counts, shots and seeds, test images, first names.

    ``names`` : ``"base"``/``"new"`` -> class names; ``test`` : part ->
    (features, labels).

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    n_base, n_new = len(names["base"]), len(names["new"])
    return "\n".join(
        [
            f"{dataset}: {n_base + n_new} classes, {n_base} base and {n_new} new; "
            f"{n_shots} shots per base class, seeds {list(seeds)}",
            f"test images: {len(test['base'][1])} of base classes, "
            f"{len(test['new'][1])} of new classes",
            "base: " + ", ".join(names["base"][:6]) + " ...",
            "new:  " + ", ".join(names["new"][:6]) + " ...",
        ]
    )


def base_to_new_text(table: Mapping[str, Mapping[str, float]]) -> str:
    """One row per method: base B and new N as mean ± std over seeds, and H.

    ``table`` as :func:`zslkit.adapt.experiments.base_to_new_table` returns it.

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    lines = [f"{'method':<20}{'base B':>16}{'new N':>16}{'H':>8}"]
    for m, row in table.items():
        lines.append(
            f"{m:<20}{row['B']:>9.3f} ± {row['B_std']:.3f}"
            f"{row['N']:>9.3f} ± {row['N_std']:.3f}{row['H']:>8.3f}"
        )
    return "\n".join(lines)


def pseudo_label_rounds(curve: Sequence[Mapping[str, float]]) -> str:
    """One row per round of pseudo-labelling: k, the fraction labelled, pseudo-label and test accuracy.

    ``curve`` as :func:`zslkit.adapt.experiments.pseudo_label_curve` fills it.

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    lines = ["round  k   labelled  pseudo-label acc  test acc"]
    for t, row in enumerate(curve, start=1):
        lines.append(
            f"{t:5d} {row['k']:3d}   {row['labelled']:.3f}      "
            f"{row['pseudo_label_acc']:.3f}          {row['test']:.3f}"
        )
    return "\n".join(lines)


def continual_table(histories: Mapping[str, Sequence[Mapping]], task_labels: Sequence[str]) -> str:
    """Per method, one row per point of the sequence: held-out, learned-task mean, every task.

    ``histories`` : method -> the history of
    :func:`zslkit.adapt.continual.continual_finetune` (rows with
    ``after_task``, ``heldout``, ``learned`` and ``per_task``; row 0 is the
    zero-shot model); ``task_labels`` : the name of each task.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    lines = []
    for method, history in histories.items():
        lines.append(f"{method}")
        lines.append(
            f"  {'after task':16s} {'held-out':>8s} {'learned':>8s}   "
            + " ".join(f"{lab:>16s}" for lab in task_labels)
        )
        for row in history:
            t = row["after_task"]
            name = "zero-shot" if t == 0 else task_labels[t - 1]
            learned = "-" if t == 0 else f"{row['learned']:.3f}"
            lines.append(
                f"  {name:16s} {row['heldout']:8.3f} {learned:>8s}   "
                + " ".join(f"{a:16.3f}" for a in row["per_task"])
            )
    return "\n".join(lines)


def forgetting_summary(
    drop: Mapping[str, float],
    final_learned: Mapping[str, float],
    zero_shot_per_task: Sequence[float],
    n_tasks: int,
) -> str:
    """Three lines: the held-out drop, the final learned-task mean of plain and ZSCL, who forgets less.

    ``drop`` and ``final_learned`` : ``"plain"``/``"ZSCL"`` -> held-out
    accuracy lost over the sequence and mean accuracy on the learned tasks
    at the end; ``zero_shot_per_task`` : the zero-shot accuracy of each task.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    return "\n".join(
        [
            f"held-out zero-shot drop after {n_tasks} tasks: plain {drop['plain']:.3f}, "
            f"ZSCL {drop['ZSCL']:.3f}",
            "mean accuracy on the learned tasks at the end: "
            f"plain {final_learned['plain']:.3f}, ZSCL {final_learned['ZSCL']:.3f} "
            f"(zero-shot {np.mean(zero_shot_per_task):.3f})",
            "ZSCL forgets less zero-shot accuracy than plain fine-tuning: "
            f"{drop['ZSCL'] < drop['plain']}",
        ]
    )


BASE_TO_NEW_PAPER = (("CLIP zero-shot", "clip"), ("CoOp", "coop"), ("CoCoOp", "cocoop"))
"""Rows of :func:`paper_base_to_new_table`: label and metric prefix in ``data/paper_numbers.json``."""


def paper_base_to_new_table() -> str:
    """The papers' base-to-new B, N and H (%) of CLIP, CoOp and CoCoOp, and PRE's gain over CoOp.

    Read from ``data/paper_numbers.json``: ``base_to_new_vitb16_16shot``
    (ViT-B/16, 16 shots, mean over 11 datasets) and ``pre_minus_coop_16shot``
    (the PRE paper's mean over its 8 benchmarks).

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    from zslkit.data.benchmarks import reference_number

    lines = [f"{'method (ViT-B/16, 11 datasets)':<32}{'B':>7}{'N':>7}{'H':>7}"]
    for label, key in BASE_TO_NEW_PAPER:
        values = [
            reference_number("base_to_new_vitb16_16shot", "mean_11_datasets", f"{key}_{m}")
            for m in ("base", "new", "h")
        ]
        lines.append(f"{label:<32}" + "".join(f"{100 * v:7.2f}" for v in values))
    gain = {
        m: reference_number("pre_minus_coop_16shot", "mean_8_datasets", m) for m in ("new", "h")
    }
    lines.append(
        f"PRE minus CoOp (8 datasets): N {100 * gain['new']:+.2f}, H {100 * gain['h']:+.2f} points"
    )
    return "\n".join(lines)


GRIP_DATASETS = (("EuroSAT", "eurosat"), ("Flowers102", "flowers102"), ("DTD", "dtd"))
"""Rows of :func:`paper_grip_table`: label and dataset key in ``data/paper_numbers.json``."""


def paper_grip_table() -> str:
    """GRIP's top-1 (%) of CLIP and GRIP (ViT-B/32, textual prompts), with no label and transductively.

    Read from ``data/paper_numbers.json`` (``grip_clip_vitb32_textual``):
    the UL columns (unsupervised: unlabelled images, no label at all, the
    setting of chapter 32) and the TRZSL columns (transductive zero-shot:
    the seen classes labelled, unlabelled images of the unseen ones).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    from zslkit.data.benchmarks import reference_number

    columns = ("ul_clip", "ul_grip", "trzsl_clip", "trzsl_grip")
    header = ("UL CLIP", "UL GRIP", "TRZSL CLIP", "TRZSL GRIP")
    lines = [f"{'GRIP paper':<12}" + "".join(f"{h:>12}" for h in header)]
    for label, key in GRIP_DATASETS:
        values = [reference_number("grip_clip_vitb32_textual", key, c) for c in columns]
        lines.append(f"{label:<12}" + "".join(f"{100 * v:12.1f}" for v in values))
    return "\n".join(lines)
