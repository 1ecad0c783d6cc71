"""Figures of the pocket lab: labelled accuracy bars and ToyCLIP's training curves.

Taught in: notebooks/00_what_is_zero_shot.ipynb and 01_pocket_world.ipynb
(:func:`plot_bars`), notebooks/02_toyclip_pretraining.ipynb
(:func:`plot_training_curves`), notebooks/26_contrastive_losses.ipynb
(:func:`plot_reference`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from zslkit import style

# (history key, marker, legend label, colour) of the accuracy curves
_CURVES = (
    ("unseen_top1", "o", "ZSL, unseen (16-way)", style.colour(1)),
    ("seen_top1", "s", "seen (48-way)", style.colour(2)),
    ("gzsl_h", "^", "GZSL H (64-way)", style.colour(4)),
)


def plot_bars(
    values: Mapping[str, float],
    colors: Sequence[str] | str | None = None,
    *,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    ylabel: str = "per-class top-1 accuracy",
    ylim: tuple[float, float] = (0, 1),
    title: str | None = None,
    figsize: tuple[float, float] = (6.5, 3),
):
    """A bar per entry of ``values``, each labelled with its value (two decimals).

    Parameters
    ----------
    values : bar label -> height, in the order the bars are drawn.
    colors : one colour per bar (or one for all); the house palette in order if None.
    intervals : optional ``{bar label: (low, high)}``, drawn as error bars
        (e.g. a Clopper-Pearson or bootstrap interval from :mod:`zslkit.stats`).
    ylabel, ylim, title, figsize : the axes' decoration.

    Returns
    -------
    fig, ax : the matplotlib Figure and Axes (one ``Rectangle`` patch and
        one text label per bar); the caller shows or saves it.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    if colors is None:
        colors = [style.colour(i) for i in range(len(values))]
    ax.bar(list(values), list(values.values()), color=colors)
    intervals = dict(intervals or {})
    for name, (low, high) in intervals.items():
        if name not in values:
            raise ValueError(f"interval for {name!r}, which is not a bar; bars: {list(values)}")
        x, v = list(values).index(name), values[name]
        ax.errorbar([x], [v], yerr=[[v - low], [high - v]], color=style.INK, capsize=4)
    for i, (name, v) in enumerate(values.items()):
        top = max(v, intervals[name][1]) if name in intervals else v
        ax.text(i, top + 0.02, f"{v:.2f}", ha="center")
    ax.set_ylabel(ylabel)
    ax.set_ylim(*ylim)
    if title is not None:
        ax.set_title(title)
    return fig, ax


def plot_training_curves(history: Sequence[Mapping[str, float]], chance: float = 1 / 16):
    """The loss and the zero-shot accuracies of a ToyCLIP run, against the step.

    Parameters
    ----------
    history : the rows of :func:`zslkit.lab.toyclip.pretrain` run with
        ``eval_fn=toyclip.evaluate``: each has ``step``, ``loss``,
        ``unseen_top1``, ``seen_top1`` and ``gzsl_h``.
    chance : accuracy of a uniform guess among the unseen classes, drawn as
        a dashed line.

    Returns
    -------
    fig, (ax1, ax2) : the Figure, the loss panel (one line) and the accuracy
        panel (three curves, the chance line and a legend).
    """
    import matplotlib.pyplot as plt

    steps = [row["step"] for row in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax1.plot(steps, [row["loss"] for row in history], marker="o", color=style.colour(0))
    ax1.set_xlabel("step")
    ax1.set_ylabel("contrastive loss (nats)")
    ax1.set_title("Training loss")
    for key, marker, label, color in _CURVES:
        ax2.plot(steps, [row[key] for row in history], marker=marker, label=label, color=color)
    ax2.axhline(chance, color=style.MUTED, linestyle="--", label="chance, unseen")
    ax2.set_xlabel("step")
    ax2.set_ylabel("per-class top-1 accuracy")
    ax2.set_ylim(0, 1)
    ax2.set_title("Zero-shot accuracy as training goes")
    ax2.legend(fontsize=8)
    return fig, (ax1, ax2)


def plot_reference(
    reference: Mapping,
    metric: str = "all64",
    entropy_losses: Sequence[str] = ("clip", "cloob", "cloob_b30", "cloob_b100", "cloob_warm"),
):
    """Chapter 26's reference run: accuracy per loss over seeds (left), Hopfield entropy in training (right).

    Parameters
    ----------
    reference : the JSON of ``scripts/contrastive_reference.py``
        (:func:`zslkit.lab.experiments.load_reference`).
    metric : the figure of each run on the left (``"all64"`` or ``"unseen16"``).
    entropy_losses : the runs whose probed attention entropy is drawn on the right.

    Returns
    -------
    fig, (ax1, ax2) : left, one mean per loss with its t interval over seeds
        (``errorbar=style.seed_interval``) and the seeds as dots; right, one
        line per loss in ``entropy_losses`` (mean and t interval over seeds)
        and the maximum ``log B`` dashed.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    import math

    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    from zslkit.lab.losses import LOSS_NAMES

    names = {k: LOSS_NAMES.get(k, k) for k in reference["losses"]}
    palette = {names[k]: c for k, c in style.colours_for(list(names)).items()}
    runs = list(reference["runs"].values())
    table = pd.DataFrame(
        [{"loss": names[r["loss"]], "seed": r["seed"], metric: r[metric]} for r in runs]
    )
    curves = pd.DataFrame(
        [
            {"loss": names[r["loss"]], "step": h["step"], "entropy": h["attention_entropy"]}
            for r in runs
            if r["loss"] in entropy_losses
            for h in r["history"]
        ]
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    order = list(names.values())
    sns.pointplot(
        table, x=metric, y="loss", hue="loss", order=order, palette=palette,
        errorbar=style.seed_interval, linestyle="none", capsize=0.3, ax=ax1, legend=False,
    )  # fmt: skip
    sns.stripplot(table, x=metric, y="loss", order=order, color=style.MUTED, size=3, ax=ax1)
    ax1.set_xlabel(f"zero-shot top-1 ({metric})")
    ax1.set_ylabel("")
    ax1.set_title(f"{len(reference['config']['seeds'])} seeds, 95 % t interval")
    sns.lineplot(
        curves, x="step", y="entropy", hue="loss", palette=palette,
        errorbar=style.seed_interval, marker="o", markersize=3, ax=ax2,
    )  # fmt: skip
    log_b = math.log(reference["config"]["batch_size"])
    ax2.axhline(log_b, color=style.MUTED, linestyle="--", linewidth=1, label="log B (uniform)")
    ax2.set_ylabel("Hopfield attention entropy (nats)")
    ax2.set_title(
        f"CLOOB's retrieval on a probe batch (beta {reference['config']['probe_beta']:g})"
    )
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig, (ax1, ax2)
