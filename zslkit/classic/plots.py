"""The figures of Part I: each function draws one notebook's plot and returns the Figure.

The notebook calls the function and ``plt.show()``; the drawing code lives
here so the cells keep the story. matplotlib is imported inside each
function, so ``import zslkit.classic`` stays light.

Taught in: notebooks/10_attributes_eszsl.ipynb to notebooks/15_generative_zsl.ipynb.
"""

from __future__ import annotations

import numpy as np

from zslkit import style
from zslkit.classic.base import l2_normalize


def plot_attribute_matrix(attributes, attribute_names, class_names, seen, unseen):
    """The class-attribute matrix, seen classes above a red line, unseen (``*``) below.

    Parameters
    ----------
    attributes : (n_classes, n_attributes) array, rows in label order
    attribute_names, class_names : labels of the columns and rows
    seen, unseen : lists of class indices (the row order is ``seen + unseen``)

    Returns
    -------
    matplotlib Figure (one Axes with the image and a horizontal line)

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    import matplotlib.pyplot as plt

    order = seen + unseen
    small = 7 if len(attribute_names) <= 30 else 3
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.imshow(attributes[order], cmap="Blues", vmin=0, vmax=1.4 * attributes.max(), aspect="auto")
    ax.set_yticks(
        range(len(order)),
        [class_names[c] + (" *" if c in unseen else "") for c in order],
        fontsize=small + 1,
    )
    ax.set_xticks(
        range(len(attribute_names)), attribute_names, rotation=60, ha="right", fontsize=small + 1
    )
    ax.axhline(len(seen) - 0.5, color=style.colour(3))
    ax.set_title("Class-attribute matrix (* unseen, below the red line)")
    return fig


def plot_zsl_results(
    zsl: dict, chance: float, confusion, unseen_names, model_name="ESZSL", intervals=None
):
    """Bars of ZSL accuracy per method beside one method's row-normalised confusion matrix.

    Parameters
    ----------
    zsl : dict method -> ZSL per-class top-1 accuracy (bars, top to bottom in dict order)
    chance : accuracy of a random guess (a dashed line)
    confusion : (n_unseen, n_unseen) row-normalised confusion matrix
    unseen_names : names of the unseen classes, in the order of ``confusion``
    model_name : the method of the confusion matrix, for its title
    intervals : dict method -> (low, high), optional: error bars on the bars
        (e.g. from :func:`zslkit.classic.intervals.per_class_bootstrap`)

    Returns
    -------
    matplotlib Figure with two Axes (bars, with error bars when ``intervals``
    is given; matrix annotated with every cell's value)

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    import matplotlib.pyplot as plt

    n = len(unseen_names)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
    names, values = list(zsl)[::-1], np.array(list(zsl.values())[::-1])
    xerr = None
    if intervals is not None:
        low, high = np.array([intervals[m] for m in names]).T
        xerr = np.stack([values - low, high - values])
    axes[0].barh(names, values, xerr=xerr, color=style.colour(0), ecolor=style.INK, capsize=3)
    axes[0].axvline(chance, color=style.MUTED, ls="--", label="chance")
    axes[0].set_xlim(0, 1)
    axes[0].set_xlabel("ZSL per-class top-1 accuracy")
    axes[0].legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False)
    axes[1].imshow(confusion, cmap="Blues", vmin=0, vmax=1)
    axes[1].set_xticks(range(n), unseen_names)
    axes[1].set_yticks(range(n), unseen_names)
    axes[1].set_xlabel("predicted")
    axes[1].set_ylabel("true")
    axes[1].set_title(f"{model_name} on unseen images (row-normalised)")
    for i in range(n):
        for j in range(n):
            color = "black" if confusion[i, j] < 0.6 else "white"
            axes[1].text(j, i, f"{confusion[i, j]:.2f}", ha="center", va="center", color=color)
    plt.tight_layout()
    return fig


def plot_class_similarity(spaces: dict, class_names, seen, unseen, notes: dict | None = None):
    """Class-class cosine similarity in several semantic spaces, side by side.

    Parameters
    ----------
    spaces : dict name -> (n_classes, k) class semantics (one panel each)
    class_names : names of the classes; seen, unseen : class indices (order ``seen + unseen``)
    notes : dict name -> str, a second title line of the panel (e.g. its ZSL accuracy)

    Returns
    -------
    matplotlib Figure: one Axes per space plus the colorbar's

    Taught in: notebooks/11_semantic_spaces.ipynb.
    """
    import matplotlib.pyplot as plt

    notes = notes or {}
    fig, axes = plt.subplots(1, len(spaces), figsize=(4 * len(spaces), 4.2), squeeze=False)
    axes = axes[0]
    order = seen + unseen
    labels = [class_names[c] + (" *" if c in unseen else "") for c in order]
    for ax, (name, semantics) in zip(axes, spaces.items()):
        v = l2_normalize(semantics[order])
        im = ax.imshow(v @ v.T, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"{name}\n{notes[name]}" if name in notes else name, fontsize=10)
        ax.set_xticks(range(len(order)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(order)), labels if ax is axes[0] else [], fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.7, label="cosine similarity of class vectors")
    fig.suptitle("Class-class similarity in four semantic spaces (* unseen)")
    return fig


def plot_space_intervals(summary: dict, chance: float, n_splits: int):
    """Mean ZSL accuracy of every space over many splits, with t intervals, per method.

    Parameters
    ----------
    summary : dict space -> {"ridge map", "ESZSL", ...} -> :class:`zslkit.stats.Interval`
        (from :func:`zslkit.classic.spaces.summarize_over_splits`; top row first)
    chance : accuracy of a uniform guess among the unseen classes
    n_splits : the number of splits averaged over (for the axis label)

    Returns
    -------
    matplotlib Figure: one Axes, a row per space, a marker with its error bar per method

    Taught in: notebooks/11_semantic_spaces.ipynb.
    """
    import matplotlib.pyplot as plt

    names = list(summary)
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(names) + 1.2))
    for i, method in enumerate(["ridge map", "ESZSL"]):
        est = np.array([summary[n][method].estimate for n in names])
        low = np.array([summary[n][method].low for n in names])
        high = np.array([summary[n][method].high for n in names])
        ypos = np.arange(len(names)) + (i - 0.5) * 0.3
        ax.errorbar(
            est, ypos, xerr=[est - low, high - est], fmt="o", ms=4, capsize=2,
            color=style.colour(i), label=method,
        )  # fmt: skip
    ax.axvline(chance, color=style.MUTED, ls="--", lw=1, label="chance")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(f"ZSL per-class top-1, mean over {n_splits} splits (95 % t interval)")
    ax.legend(fontsize=8, loc="lower right")
    plt.tight_layout()
    return fig


def plot_seen_unseen(seen_acc, unseen_acc, curve_label: str, points: dict, title: str):
    """The seen-unseen accuracy curve of calibrated stacking, with iso-H lines and points.

    Parameters
    ----------
    seen_acc, unseen_acc : the curve (e.g. from :func:`zslkit.metrics.seen_unseen_curve`)
    curve_label : legend label of the curve
    points : dict legend label -> GZSL scores with ``"seen"`` and ``"unseen"``
        (drawn red, green, then the next colours)
    title : the Axes title

    Returns
    -------
    matplotlib Figure: one Axes, the curve, one dotted line per H in (0.25, 0.5, 0.75)

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    ax.plot(unseen_acc, seen_acc, color=style.colour(0), label=curve_label)
    ax.fill_between(unseen_acc, seen_acc, alpha=0.12, color=style.colour(0))
    colors = [style.colour(3), style.colour(2), style.colour(1), style.colour(4)]
    for (label, r), color in zip(points.items(), colors):
        ax.scatter([r["unseen"]], [r["seen"]], color=color, zorder=3, label=label)
    u = np.linspace(0.01, 1, 200)
    for h in (0.25, 0.5, 0.75):
        s = h * u / (2 * u - h)
        keep = (s > 0) & (s <= 1)
        ax.plot(u[keep], s[keep], color=style.MUTED, lw=0.6, ls=":")
        ax.text(u[keep][-1], s[keep][-1], f"H={h}", fontsize=7, color=style.MUTED)
    ax.set_xlabel("unseen-class accuracy U")
    ax.set_ylabel("seen-class accuracy S")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def plot_k_occurrence(counts: dict, k: int, baseline: str | None = None):
    """Step histograms (log scale) of the k-occurrence N_k over the label space.

    Parameters
    ----------
    counts : dict legend label -> (n_labels,) k-occurrence (red, blue, green, ...)
    k : the neighbourhood size, for the x label
    baseline : the key of ``counts`` drawn as a grey dashed reference (e.g. the
        no-hub baseline), or None

    Returns
    -------
    matplotlib Figure: one Axes with one histogram per entry of ``counts``

    Taught in: notebooks/13_hubness.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    colors = [style.colour(3), style.colour(0), style.colour(2), style.colour(1), style.colour(4)]
    if baseline is not None:
        ax.hist(
            counts[baseline],
            bins=60,
            histtype="step",
            lw=1.4,
            ls="--",
            color=style.MUTED,
            label=baseline,
        )
    shown = [(label, n_k) for label, n_k in counts.items() if label != baseline]
    for (label, n_k), color in zip(shown, colors):
        ax.hist(n_k, bins=60, histtype="step", lw=1.6, color=color, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(f"$N_{{{k}}}$: queries that have the label among their {k} nearest")
    ax.set_ylabel("number of labels")
    ax.set_title("k-occurrence over the label space")
    ax.legend()
    return fig


def plot_propagation_sweep(alphas, curves: dict, inductive: float, chance: float):
    """ZSL accuracy of label propagation against alpha, one curve per method, with intervals.

    Parameters
    ----------
    alphas : the x values; curves : dict method -> list of
        :class:`zslkit.stats.Interval` (one per alpha), as from
        :func:`zslkit.classic.propagation_sweep`
    inductive, chance : horizontal reference lines

    Returns
    -------
    matplotlib Figure: one Axes, one curve with 95 % error bars per method and
    two horizontal lines

    Taught in: notebooks/14_transductive.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    markers = ["s--", "o-", "^-", "d-"]
    for i, (name, intervals) in enumerate(curves.items()):
        est = np.array([iv.estimate for iv in intervals])
        err = np.array([[iv.estimate - iv.low, iv.high - iv.estimate] for iv in intervals]).T
        ax.errorbar(
            alphas, est, yerr=err, fmt=markers[i % 4], color=style.colour(i), capsize=3, label=name
        )
    ax.axhline(inductive, color=style.MUTED, ls=":", label="inductive ESZSL")
    ax.axhline(chance, color=style.FAINT, ls=":", label="chance")
    ax.set_xlabel(r"$\alpha$ (how far scores flow)")
    ax.set_ylabel("ZSL per-class top-1")
    ax.set_ylim(0, 1.02)
    ax.set_title("Label propagation over the unlabelled unseen images")
    ax.legend(fontsize=8)
    return fig


def plot_real_and_generated(real, labels, fake, fake_labels, unseen, class_names):
    """2-D projections of real test features and of generated unseen-class features.

    Parameters
    ----------
    real : (n, 2) projected real test features; labels : (n,) their classes
    fake : (m, 2) projected generated features; fake_labels : (m,) their classes
    unseen : the unseen classes (red, green, blue, ...); class_names : for the legends

    Returns
    -------
    matplotlib Figure with two Axes: real features (seen grey, unseen coloured)
    and generated ones over the real seen features in grey

    Taught in: notebooks/15_generative_zsl.ipynb.
    """
    import matplotlib.pyplot as plt

    is_seen = ~np.isin(labels, unseen)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = dict(
        zip(
            unseen,
            [style.colour(3), style.colour(2), style.colour(0), style.colour(1), style.colour(4)],
        )
    )
    axes[0].scatter(*real[is_seen].T, s=3, c=style.FAINT, label="real, seen classes")
    for c in unseen:
        axes[0].scatter(*real[labels == c].T, s=4, c=colors[c], label=f"real {class_names[c]}")
        axes[1].scatter(
            *fake[fake_labels == c].T, s=4, c=colors[c], label=f"generated {class_names[c]}"
        )
    axes[1].scatter(*real[is_seen].T, s=3, c=style.FAINT, zorder=0)
    titles = ["real test features", "generated unseen features (grey: real seen)"]
    for ax, title in zip(axes, titles):
        ax.set_title(title)
        ax.set_xlabel("PC 1 of log(1 + feature)")
        ax.set_ylabel("PC 2")
        ax.legend(fontsize=7, markerscale=3)
    plt.tight_layout()
    return fig


def plot_loss_curve(
    loss_curve, ylabel="CVAE loss (per sample)", title="Generator training on seen classes"
):
    """A training loss per epoch (epochs counted from 1).

    Returns
    -------
    matplotlib Figure: one Axes with one line of ``len(loss_curve)`` points

    Taught in: notebooks/15_generative_zsl.ipynb.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.plot(np.arange(1, len(loss_curve) + 1), loss_curve)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig
