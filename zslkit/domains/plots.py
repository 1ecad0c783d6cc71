"""The figures of Part IV: zero-shot text, time series, graphs, video and data-free quantization.

Each function draws one figure of a chapter from figures the chapter has
already computed and returns the matplotlib ``Figure``; the notebook shows
it with ``plt.show()``. Nothing here computes a result.

Taught in: notebooks/40_text_zero_shot.ipynb, 41_time_series_zero_shot.ipynb,
42_graph_zero_shot.ipynb, 43_video_zero_shot.ipynb and
44_data_free_quantization.ipynb.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from zslkit import style

LABEL_SOURCE_COLOURS = {
    "names": style.colour(0),
    "descriptions": style.colour(1),
    "templates": style.colour(2),
}
FORECAST_COLOURS = {
    "seasonal naive": style.MUTED,
    "ETS": style.colour(2),
    "ARIMA": style.colour(1),
    "mixer zero-shot": style.colour(0),
    "mixer fine-tuned": style.colour(4),
}
CALIBRATION_COLOURS = {
    "real": style.colour(0),
    "distilled": style.colour(1),
    "Genie": style.colour(2),
    "Gaussian": style.MUTED,
}


def few_shot_vs_zero_shot(
    few_shot: dict[int, Sequence[float]],
    zero_shot: dict[str, float],
    chance: float,
    title: str,
) -> plt.Figure:
    """Few-shot macro F1 against the number of labels, with each zero-shot label source as a line.

    few_shot : ``{k: macro F1 of each draw}`` (:func:`zslkit.domains.text.few_shot_curve`),
        drawn as the mean with its 95 % t interval over draws
        (:func:`zslkit.style.seed_interval`) on a log-2 axis; zero_shot : ``{label
        source: macro F1}``, dashed horizontal lines; chance : a dotted line.

    Taught in: notebooks/40_text_zero_shot.ipynb.
    """
    shots = list(few_shot)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    means = np.array([np.mean(few_shot[k]) for k in shots])
    low, high = np.array([style.seed_interval(few_shot[k]) for k in shots]).T
    ax.errorbar(
        shots,
        means,
        yerr=[means - low, high - means],
        fmt="o-",
        color=style.MUTED,
        capsize=3,
        label="few-shot logistic regression (95 % t interval over draws)",
    )
    for source, value in zero_shot.items():
        ax.axhline(value, color=LABEL_SOURCE_COLOURS[source], ls="--", label=f"zero-shot, {source}")
    ax.axhline(chance, color=style.FAINT, ls=":", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(shots, [str(k) for k in shots])
    ax.set_xlabel("labelled documents per class (log scale)")
    ax.set_ylabel("macro F1")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def series_examples(synthetic: Sequence[np.ndarray], heldout: Sequence) -> plt.Figure:
    """Three synthetic pretraining series (top row) above three held-out series (bottom row).

    synthetic : three (T,) arrays (:func:`zslkit.data.series_data.synthetic_series`);
    heldout : three :class:`zslkit.data.series_data.HeldOutSeries`, their test part
        (from the first forecast origin) shaded.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    fig, axes = plt.subplots(2, 3, figsize=(10, 4.2))
    for ax, values in zip(axes[0], synthetic):
        ax.plot(values, color=style.colour(4), lw=1)
        ax.set_title("synthetic", fontsize=9)
    for ax, s in zip(axes[1], heldout):
        ax.plot(s.values, color=style.colour(0), lw=1)
        ax.axvspan(s.origins[0], len(s.values), color=style.colour(1), alpha=0.2, label="test")
        ax.set_title(f"held out: {s.name} (period {s.period})", fontsize=9)
    for ax in axes.flat:
        ax.set_xlabel("time step", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle("Pretraining sees series like the top row, never the bottom row")
    fig.tight_layout()
    return fig


def mase_bars(mase_table, intervals: dict | None = None) -> plt.Figure:
    """Grouped bars of the MASE of every method (columns of ``mase_table``) on every series (rows).

    mase_table : pandas DataFrame, one column a method of :data:`FORECAST_COLOURS`
        (five methods, bars centred on each series), each entry a series' mean
        over its forecast origins; a dotted line marks MASE 1.
    intervals : optional ``{method: Interval}`` (:func:`zslkit.stats.t_interval`
        over series), drawn as a last group "mean over series" with its error bars.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    fig, ax = plt.subplots(figsize=(10, 3.6))
    width = 0.16
    names = list(mase_table.index) + (["mean over series"] if intervals else [])
    x = np.arange(len(mase_table))
    for i, label in enumerate(mase_table.columns):
        ax.bar(
            x + (i - 2) * width,
            mase_table[label],
            width,
            label=label,
            color=FORECAST_COLOURS[label],
        )
        if intervals:
            ci = intervals[label]
            ax.bar(len(x) + (i - 2) * width, ci.estimate, width, color=FORECAST_COLOURS[label])
            ax.errorbar(
                len(x) + (i - 2) * width,
                ci.estimate,
                yerr=[[ci.estimate - ci.low], [ci.high - ci.estimate]],
                color=style.INK,
                capsize=2,
                lw=1,
            )
    ax.axhline(1.0, color=style.MUTED, lw=0.8, ls=":")
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("MASE (lower is better)")
    ax.set_title("Held-out series: zero-shot mixer against per-series fits (95 % t interval)")
    ax.legend(fontsize=8, ncol=5, loc="upper left")
    fig.tight_layout()
    return fig


def forecast_panels(
    series: Sequence, forecasts: dict, mase_table, context_length: int, horizon: int
) -> plt.Figure:
    """One panel a series: the context and test window at its last origin, and four forecasts.

    series : :class:`zslkit.data.series_data.HeldOutSeries` to show;
    forecasts : ``{method: {series name: (n_origins, horizon) array}}``, of which
        seasonal naive, ETS and both mixers are drawn; mase_table : the per-series
        MASE (titles).

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    fig, axes = plt.subplots(1, len(series), figsize=(3.2 * len(series), 3), squeeze=False)
    for ax, s in zip(axes[0], series):
        o = s.origins[-1]
        t = np.arange(o - context_length, o + horizon)
        ax.plot(t, s.values[o - context_length : o + horizon], color=style.INK, lw=1, label="data")
        for label in ("seasonal naive", "ETS", "mixer zero-shot", "mixer fine-tuned"):
            ax.plot(
                np.arange(o, o + horizon),
                forecasts[label][s.name][-1],
                color=FORECAST_COLOURS[label],
                lw=1.4,
                label=label,
            )
        ax.axvline(o, color=style.MUTED, lw=0.8, ls="--")
        ax.set_title(
            f"{s.name}: MASE {mase_table.loc[s.name, 'mixer zero-shot']:.2f} (naive "
            f"{mase_table.loc[s.name, 'seasonal naive']:.2f})",
            fontsize=8,
        )
        ax.set_xlabel("time step", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        "Where the zero-shot mixer beats seasonal naive most (left) and least (right): "
        "context, test, forecasts"
    )
    fig.tight_layout()
    return fig


def propagation_curves(
    alphas: Sequence[float],
    curve: Sequence[float],
    seed_curve: dict[int, float],
    chance: float,
    title: str,
) -> plt.Figure:
    """Macro F1 of text + graph against alpha, with the graph-only baselines as horizontal lines.

    curve : macro F1 at each alpha (:func:`zslkit.domains.graphs.alpha_curve`);
    seed_curve : ``{seeds per class: macro F1}`` (:func:`zslkit.domains.graphs.seed_curve`),
        at most three.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(alphas, curve, "o-", color=style.colour(0), label="text + graph (no labels)")
    for (k, value), linestyle in zip(seed_curve.items(), [":", "--", "-."]):
        ax.axhline(
            value,
            color=style.colour(1),
            ls=linestyle,
            label=f"graph only, {k} seed{'s' if k > 1 else ''} per class",
        )
    ax.axhline(chance, color=style.FAINT, ls=":", label="chance")
    ax.set_xlabel(r"$\alpha$ (how far scores flow; 0 = text only)")
    ax.set_ylabel("macro F1 (non-seed nodes)")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="center right")
    return fig


def rewiring_gaps(sweep: dict[float, dict], title: str) -> plt.Figure:
    """The macro F1 gain of text + graph over text alone, with its interval, per rewired share.

    sweep : ``{share: {"homophily": float, "gap": Interval, ...}}``
    (:func:`zslkit.domains.graphs.rewiring_sweep`); the gains are drawn
    with their 95 % error bars against the share of rewired edges, the
    graph's homophily written under each point, zero as a dashed line.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    shares = list(sweep)
    gaps = [sweep[s]["gap"] for s in shares]
    estimate = np.array([g.estimate for g in gaps])
    errors = np.array([[g.estimate - g.low for g in gaps], [g.high - g.estimate for g in gaps]])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.axhline(0.0, color=style.MUTED, ls="--", lw=1, label="no gain")
    ax.errorbar(
        shares,
        estimate,
        yerr=errors,
        fmt="o-",
        capsize=4,
        color=style.colour(0),
        label="text + graph minus text only (95 % bootstrap)",
    )
    for share, value in zip(shares, estimate):
        h = sweep[share]["homophily"]
        ax.annotate(
            f"h={h:.2f}",
            (share, value),
            textcoords="offset points",
            xytext=(7, 5),
            ha="left",
            fontsize=8,
            color=style.INK,
        )
    ax.set_xlabel("share of edges rewired across classes")
    ax.set_ylabel("macro F1 gain")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def first_clips(clips: np.ndarray, labels, action_names: Sequence[str]) -> plt.Figure:
    """A grid of frames: one row an action (its first clip), one column a time step.

    The frames are tiled into one image with a white gap of one pixel (one
    ``imshow`` on one axes, far faster to draw than an axes per frame).

    clips : (n, T, H, W, 3) uint8 array; labels : (n,) int array into ``action_names``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    labels = np.asarray(labels)
    frames, h, w = clips.shape[1:4]
    mosaic = np.full((len(action_names) * (h + 1) - 1, frames * (w + 1) - 1, 3), 255, np.uint8)
    for row in range(len(action_names)):
        clip = clips[np.flatnonzero(labels == row)[0]]
        for t in range(frames):
            mosaic[row * (h + 1) : row * (h + 1) + h, t * (w + 1) : t * (w + 1) + w] = clip[t]
    fig, ax = plt.subplots(figsize=(frames * 0.9, len(action_names) * 0.95))
    ax.imshow(mosaic)
    ax.set_xticks([t * (w + 1) + (w - 1) / 2 for t in range(frames)])
    ax.set_xticklabels([f"t={t}" for t in range(frames)], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(len(action_names))])
    ax.set_yticklabels(list(action_names), fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(
        "The first clip of every action (opposite actions: the same clip backwards)",
        fontsize=10,
    )
    return fig


def direction_bars(
    per_pair: dict[str, list], pairs: Sequence[tuple[str, str]], title: str
) -> plt.Figure:
    """Bars of the direction accuracy of each method on each pair of opposite actions, with intervals.

    per_pair : ``{method: [Interval of each pair]}`` (three methods,
    :func:`zslkit.domains.video.direction_by_pair`): a bar at each estimate,
    an error bar from its low to its high end; a dashed line marks chance (0.5).

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    width = 0.27
    colours = [style.MUTED, style.colour(0), style.colour(1)]
    for i, (name, intervals) in enumerate(per_pair.items()):
        xs = np.arange(len(pairs)) + (i - 1) * width
        values = np.array([iv.estimate for iv in intervals])
        errors = [values - [iv.low for iv in intervals], [iv.high for iv in intervals] - values]
        ax.bar(xs, values, width, label=name, color=colours[i])
        ax.errorbar(xs, values, yerr=errors, fmt="none", ecolor=style.INK, capsize=3, lw=1)
    ax.axhline(0.5, color=style.MUTED, linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(np.arange(len(pairs)))
    ax.set_xticklabels([f"{a} /\n{b}" for a, b in pairs], fontsize=8)
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("direction accuracy")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper center", ncol=4, frameon=False)
    return fig


def distillation_figure(
    history: Sequence[float] | dict[str, Sequence[float]],
    bn_loss: dict[str, float],
    calibration: dict,
) -> plt.Figure:
    """The distillation loss per step beside four calibration inputs of each kind.

    history : batch-norm statistics loss per Adam step
    (:func:`zslkit.domains.quantization.distill_inputs`), or ``{kind: losses}``
    for several distillations (one line each); bn_loss : the loss of the
    ``"real"`` and ``"Gaussian"`` inputs (horizontal lines); calibration :
    ``{kind: (n, C, H, W) tensor}``, first channel of the first four inputs shown.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    histories = history if isinstance(history, dict) else {"distilled": history}
    fig = plt.figure(figsize=(9, 3.6))
    ax = fig.add_axes([0.07, 0.15, 0.38, 0.72])
    for kind, losses in histories.items():
        colour = CALIBRATION_COLOURS.get(kind, style.INK)
        ax.semilogy(losses, color=colour, label=f"{kind}, during optimisation")
    ax.axhline(bn_loss["real"], color=style.colour(0), linestyle="--", label="real images")
    ax.axhline(bn_loss["Gaussian"], color=style.MUTED, linestyle=":", label="Gaussian noise")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("batch-norm statistics loss")
    ax.legend(fontsize=8)
    ax.set_title("Distillation", fontsize=10)
    height = min(0.24, 0.78 / len(calibration) - 0.03)
    for row, name in enumerate(calibration):
        for col in range(4):
            bottom = 0.86 - (row + 1) * (height + 0.03)
            sub = fig.add_axes([0.52 + col * 0.115, bottom, 0.105, height])
            image = calibration[name][col, 0].numpy()
            sub.imshow(image, cmap="gray", vmin=-1.5, vmax=3)
            sub.set_xticks([])
            sub.set_yticks([])
            if col == 0:
                sub.set_ylabel(name, fontsize=8)
    fig.text(0.74, 0.9, "calibration inputs (first channel)", ha="center", fontsize=10)
    return fig


def calibration_accuracy_figure(rows: Sequence[dict], float_accuracy: float) -> plt.Figure:
    """Accuracy of each calibration set at each bit width: every seed, the mean and its t interval.

    rows : ``{"source", "seed", "config", "accuracy"}`` dicts
    (:func:`zslkit.domains.quantization.calibration_experiment`); one panel
    a config, the seeds as faint dots and seaborn's mean with the 95 % t
    interval over seeds (:func:`zslkit.style.seed_interval`); the float
    model's accuracy as a dashed line.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    import pandas as pd
    import seaborn as sns

    table = pd.DataFrame(rows)
    configs = list(dict.fromkeys(table["config"]))
    sources = list(dict.fromkeys(table["source"]))
    palette = {name: CALIBRATION_COLOURS.get(name, style.INK) for name in sources}
    fig, axes = plt.subplots(1, len(configs), figsize=(3.2 * len(configs), 3.2), squeeze=False)
    for ax, config in zip(axes[0], configs):
        part = table[table["config"] == config]
        sns.stripplot(
            data=part, x="source", y="accuracy", hue="source", palette=palette,
            order=sources, ax=ax, alpha=0.4, size=4, legend=False, jitter=0.15,
        )  # fmt: skip
        sns.pointplot(
            data=part, x="source", y="accuracy", hue="source", palette=palette,
            order=sources, ax=ax, errorbar=style.seed_interval, capsize=0.2,
            linestyle="none", legend=False,
        )  # fmt: skip
        ax.axhline(float_accuracy, color=style.FAINT, linestyle="--", linewidth=1)
        ax.set_title(f"{config} ({part['seed'].nunique()} seeds)", fontsize=10)
        ax.set_xlabel("calibration set")
        ax.set_ylabel("test accuracy")
    axes[0, 0].annotate(
        "float32", (0.02, float_accuracy), xycoords=("axes fraction", "data"),
        color=style.MUTED, fontsize=8, va="bottom",
    )  # fmt: skip
    fig.tight_layout()
    return fig
