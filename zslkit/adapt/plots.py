"""The figures of the Part III notebooks.

Each function draws on a given matplotlib Axes (or creates one) and
returns what it drew on; the notebook sets the title and shows it.

Taught in: notebooks/30_training_free_adapters.ipynb,
31_prompt_learning.ipynb, 32_pseudo_labels_tta.ipynb and
33_continual_learning.ipynb.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from zslkit import style

__all__ = [
    "ADAPTER_COLOURS",
    "LEARNER_COLOURS",
    "plot_shot_curves",
    "plot_base_to_new_curves",
    "plot_pseudo_labels_and_tpt",
    "plot_continual",
    "plot_continual_summary",
    "CONTINUAL_COLOURS",
]

ADAPTER_COLOURS = style.colours_for(
    ["zero-shot", "linear probe", "Tip-Adapter", "Tip-Adapter-F", "GDA"], muted=["zero-shot"]
)
"""The colour of each adapter in the figures of Part III."""


def _axes(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_shot_curves(
    accuracy: Mapping[str, Mapping[int, Sequence[float]]],
    shots: Sequence[int],
    ax=None,
    colours: Mapping[str, str] = ADAPTER_COLOURS,
):
    """Test top-1 against the shots per class: the mean over seeds and its 95 % t interval.

    ``accuracy`` : name -> n_shots -> list over seeds of test top-1, as
    :func:`zslkit.adapt.experiments.few_shot_sweep` returns it. seaborn
    draws each method's mean as a line and the t interval over the seeds
    (:func:`zslkit.style.seed_interval`) as a band; the ``"zero-shot"``
    row is dashed. The shot axis is logarithmic (base 2). Returns the Axes.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    import seaborn as sns

    ax = _axes(ax, (6.5, 3.8))
    for name, row in accuracy.items():
        xs = [k for k in shots for _ in row[k]]
        ys = [float(v) for k in shots for v in row[k]]
        sns.lineplot(
            x=xs,
            y=ys,
            ax=ax,
            errorbar=style.seed_interval,
            color=colours[name],
            label=name,
            linestyle="--" if name == "zero-shot" else "-",
            marker=None if name == "zero-shot" else "o",
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(shots, [str(k) for k in shots])
    ax.set_xlabel("labelled images per class (shots)")
    ax.set_ylabel("test top-1 accuracy")
    return ax


LEARNER_COLOURS = style.colours_for(["CoOp", "PRE"])
"""The colour of each prompt learner in the figures of Part III."""


def plot_base_to_new_curves(
    curves: Mapping[str, Sequence],
    table: Mapping[str, Mapping[str, float]],
    colours: Mapping[str, str] = LEARNER_COLOURS,
):
    """Base and new accuracy after each epoch, mean over seeds, beside the zero-shot lines.

    ``curves`` : learner -> list over seeds of per-epoch [base, new]
    accuracies; ``table`` : method -> {"B", "N", ...} with the rows
    ``"zero-shot"`` and ``"zero-shot ensemble"`` (drawn dashed and dotted),
    as :func:`zslkit.adapt.experiments.base_to_new_run` and
    :func:`~zslkit.adapt.experiments.base_to_new_table` return them.
    Returns the Figure: two Axes, base classes then new classes.

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=False)
    for ax, part, index in ((axes[0], "base", 0), (axes[1], "new", 1)):
        for m in curves:
            curve = np.mean(np.array(curves[m])[:, :, index], axis=0)
            ax.plot(np.arange(1, len(curve) + 1), curve, "-", color=colours[m], label=m)
        metric = "B" if part == "base" else "N"
        ax.axhline(
            table["zero-shot"][metric],
            color=style.MUTED,
            linestyle="--",
            label="zero-shot: a photo of a {}.",
        )
        ax.axhline(
            table["zero-shot ensemble"][metric],
            color=style.colour(2),
            linestyle=":",
            label="zero-shot ensemble",
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"top-1 accuracy among the {part} classes")
        seen = "trained on" if part == "base" else "never seen in training"
        ax.set_title(f"{part} classes ({seen})")
    axes[0].legend(fontsize=8)
    return fig


def plot_pseudo_labels_and_tpt(
    curve: Sequence[Mapping[str, float]],
    zero_shot_test: float,
    grip_test: float,
    oracle_test: float,
    subset_zero_shot: float,
    tpt_test: float,
):
    """Left: pseudo-labelling round by round; right: every method's test top-1 as bars.

    ``curve`` as :func:`zslkit.adapt.experiments.pseudo_label_curve` fills
    it: the test accuracy (round 0: ``zero_shot_test``), the accuracy of
    the pseudo-labels and the fraction of the pool labelled, against the
    true-label probe ``oracle_test`` (dashed). The bars: zero-shot,
    pseudo-labels (``grip_test``), the true-label probe, zero-shot on the
    TPT subset and TPT. Returns the Figure (two Axes).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    rounds = np.arange(0, len(curve) + 1)
    axes[0].plot(
        rounds,
        [zero_shot_test] + [r["test"] for r in curve],
        "o-",
        color=style.colour(0),
        label="test accuracy",
    )
    axes[0].plot(
        rounds[1:],
        [r["pseudo_label_acc"] for r in curve],
        "s--",
        color=style.colour(1),
        label="accuracy of the pseudo-labels",
    )
    axes[0].plot(
        rounds[1:],
        [r["labelled"] for r in curve],
        "^:",
        color=style.colour(2),
        label="fraction of the pool labelled",
    )
    axes[0].axhline(oracle_test, color=style.MUTED, linestyle="--", label="probe on true labels")
    axes[0].set_xlabel("round of pseudo-labelling (0: zero-shot)")
    axes[0].set_ylabel("accuracy / fraction")
    axes[0].set_title("GRIP-style pseudo-labelling")
    axes[0].legend(fontsize=8)
    names = ["zero-shot", "pseudo-\nlabels", "true-label\nprobe", "zero-shot\n(TPT subset)", "TPT"]
    values = [zero_shot_test, grip_test, oracle_test, subset_zero_shot, tpt_test]
    axes[1].bar(
        names,
        values,
        color=[style.MUTED, style.colour(0), style.MUTED, style.MUTED, style.colour(1)],
    )
    axes[1].set_ylabel("test top-1 accuracy")
    axes[1].set_ylim(0, 1)
    axes[1].tick_params(axis="x", labelsize=8)
    return fig


def plot_continual(
    histories: Mapping[str, Sequence[Mapping]],
    zero_shot_per_task: Sequence[float],
    task_labels: Sequence[str],
    variant: str,
    colours: Sequence[str] = (style.colour(3), style.colour(0)),
):
    """Left: held-out zero-shot accuracy along the sequence; right: mean accuracy on the tasks learned.

    ``histories`` : method -> the history of
    :func:`zslkit.adapt.continual.continual_finetune` (row 0: before any
    task); ``zero_shot_per_task`` : the zero-shot accuracy of each task,
    whose running mean is the grey dashed reference; ``variant`` : the
    tasks' domain, for the title. Returns the Figure (two Axes).

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    import matplotlib.pyplot as plt

    n_tasks = len(task_labels)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    steps = np.arange(n_tasks + 1)
    for (method, history), colour in zip(histories.items(), colours):
        axes[0].plot(steps, [r["heldout"] for r in history], "o-", color=colour, label=method)
        axes[1].plot(
            steps[1:], [r["learned"] for r in history[1:]], "o-", color=colour, label=method
        )
    axes[1].plot(
        steps[1:],
        [np.mean(zero_shot_per_task[:t]) for t in steps[1:]],
        "o--",
        color=style.MUTED,
        label="zero-shot (no fine-tuning)",
    )
    axes[0].set(title="held-out zero-shot (photo, 64 classes)", ylabel="top-1 accuracy")
    axes[1].set(
        title=f"mean accuracy on the tasks learned so far ({variant})", ylabel="top-1 accuracy"
    )
    for ax in axes:
        ax.set_xticks(steps, ["start"] + list(task_labels), rotation=20)
        ax.set_xlabel("after fine-tuning on task")
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


CONTINUAL_COLOURS = {
    "plain": style.colour(3),
    "ZSCL": style.colour(0),
    "distillation only": style.colour(2),
    "averaging only": style.colour(4),
}
"""The colour of each continual-learning method (plain and ZSCL as in :func:`plot_continual`)."""


def plot_continual_summary(
    histories: Mapping[str, Sequence[Sequence[Mapping]]],
    zero_shot: Sequence[Mapping],
    metrics: Mapping[str, str],
):
    """One panel per metric: each method's end-of-sequence value, mean over seeds, 95 % t interval.

    ``histories`` : method -> one history per seed
    (:func:`zslkit.adapt.continual.continual_sweep`); ``zero_shot`` : the
    original model's evaluation per seed (its mean is the dashed line);
    ``metrics`` : key of the last history row -> panel title. Methods are
    drawn as points with error bars (the axis does not start at zero), in
    :data:`CONTINUAL_COLOURS`. Returns the Figure.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    import matplotlib.pyplot as plt

    from zslkit.stats import t_interval

    names = list(histories)
    others = style.colours_for([n for n in names if n not in CONTINUAL_COLOURS])
    colours = {**others, **CONTINUAL_COLOURS}
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 3.6), squeeze=False)
    for ax, (metric, title) in zip(axes[0], metrics.items()):
        ax.axhline(np.mean([z[metric] for z in zero_shot]), color=style.MUTED, ls="--")
        for x, name in enumerate(names):
            ci = t_interval([h[-1][metric] for h in histories[name]])
            err = [[ci.estimate - ci.low], [ci.high - ci.estimate]]
            ax.errorbar(x, ci.estimate, yerr=err, fmt="o", color=colours[name], capsize=4)
        ax.set_xticks(np.arange(len(names)), names, rotation=25, ha="right", fontsize=8)
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set(title=title, ylabel="top-1 accuracy")
        ax.grid(alpha=0.3, axis="y")
    return fig
