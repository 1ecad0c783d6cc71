"""The figures of Part IV: each function draws the artists and labels its chapter's figure needs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402
import torch  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from zslkit.data.series_data import HeldOutSeries  # noqa: E402
from zslkit.domains import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _series(name, n=60, period=12):
    t = np.arange(n, dtype=float)
    return HeldOutSeries(name, 10 + np.sin(2 * np.pi * t / period), period, np.array([40, 48]), 40)


METHODS = list(plots.FORECAST_COLOURS)


def test_few_shot_vs_zero_shot():
    fig = plots.few_shot_vs_zero_shot(
        {1: [0.3, 0.4, 0.5], 4: [0.6, 0.6, 0.6], 16: [0.8, 0.9, 0.7]},
        {"names": 0.5, "descriptions": 0.7},
        0.125,
        "t",
    )
    assert isinstance(fig, plt.Figure)
    (ax,) = fig.axes
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 1
    # the error-bar line and its two caps, two sources, chance
    assert len(ax.lines) == 3 + 2 + 1
    assert [line.get_ydata()[0] for line in ax.lines[3:]] == [0.5, 0.7, 0.125]
    # mean and 95 % t interval over draws: 0.4 +- t(0.975, 2) * 0.1 / sqrt(3)
    half = scipy.stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3)
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    data_line, (low_caps, high_caps), _ = bars.lines
    np.testing.assert_allclose(np.asarray(data_line.get_ydata(), float), [0.4, 0.6, 0.8])
    np.testing.assert_allclose(
        np.asarray(low_caps.get_ydata(), float), [0.4 - half, 0.6, 0.8 - half]
    )
    np.testing.assert_allclose(
        np.asarray(high_caps.get_ydata(), float), [0.4 + half, 0.6, 0.8 + half]
    )
    assert legend_texts(ax) == [
        "zero-shot, names",
        "zero-shot, descriptions",
        "chance",
        "few-shot logistic regression (95 % t interval over draws)",
    ]
    assert ax.get_title() == "t" and ax.get_ylabel() == "macro F1"


def test_series_examples():
    fig = plots.series_examples(np.zeros((3, 20)), [_series(n) for n in "abc"])
    assert len(fig.axes) == 6
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes[3:]] == [f"held out: {n} (period 12)" for n in "abc"]
    assert all(len(ax.patches) == 1 for ax in fig.axes[3:])  # the shaded test part
    assert legend_texts(fig.axes[3]) == ["test"]


def test_mase_bars():
    table = pd.DataFrame({m: [0.5 + i, 1.0] for i, m in enumerate(METHODS)}, index=["a", "b"])
    fig = plots.mase_bars(table)
    (ax,) = fig.axes
    assert len(ax.patches) == 5 * 2
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted([0.5, 1.5, 2.5, 3.5, 4.5] + [1.0] * 5)
    assert legend_texts(ax) == METHODS
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]


def test_mase_bars_with_the_mean_over_series_and_its_interval():
    from zslkit.stats import t_interval

    table = pd.DataFrame({m: [0.5 + i, 1.0, 2.0] for i, m in enumerate(METHODS)}, index=list("abc"))
    intervals = {m: t_interval(table[m]) for m in METHODS}
    fig = plots.mase_bars(table, intervals)
    (ax,) = fig.axes
    assert len(ax.patches) == 5 * 4
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "b", "c", "mean over series"]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 5
    _, (low, high), _ = bars[0].lines  # first method: mean of 0.5, 1, 2 and its t interval
    half = scipy.stats.t.ppf(0.975, 2) * np.std([0.5, 1.0, 2.0], ddof=1) / np.sqrt(3)
    assert low.get_ydata()[0] == pytest.approx(3.5 / 3 - half)
    assert high.get_ydata()[0] == pytest.approx(3.5 / 3 + half)


def test_forecast_panels():
    series = [_series("a"), _series("b")]
    forecasts = {m: {s.name: np.ones((2, 6)) for s in series} for m in METHODS}
    table = pd.DataFrame({m: [1.0, 2.0] for m in METHODS}, index=["a", "b"])
    fig = plots.forecast_panels(series, forecasts, table, 24, 6)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.lines) == 1 + 4 + 1  # data, four forecasts, the origin
        assert len(ax.lines[0].get_xdata()) == 24 + 6
    assert fig.axes[1].get_title() == "b: MASE 2.00 (naive 2.00)"
    assert legend_texts(fig.axes[0]) == ["data", "seasonal naive", "ETS"] + METHODS[3:]


def test_propagation_curves():
    fig = plots.propagation_curves([0.0, 0.5, 0.9], [0.6, 0.7, 0.8], {1: 0.3, 5: 0.5}, 0.125, "g")
    (ax,) = fig.axes
    assert len(ax.lines) == 1 + 2 + 1
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.6, 0.7, 0.8])
    assert legend_texts(ax) == [
        "text + graph (no labels)",
        "graph only, 1 seed per class",
        "graph only, 5 seeds per class",
        "chance",
    ]


def test_rewiring_gaps():
    from zslkit.stats import Interval

    gaps = [Interval(0.1, 0.05, 0.2, 0.95, "b"), Interval(-0.02, -0.05, 0.01, 0.95, "b")]
    sweep = {0.0: {"homophily": 0.9, "gap": gaps[0]}, 0.5: {"homophily": 0.45, "gap": gaps[1]}}
    fig = plots.rewiring_gaps(sweep, "r")
    (ax,) = fig.axes
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    np.testing.assert_allclose(bars.lines[0].get_ydata(), [0.1, -0.02])
    segments = bars.lines[2][0].get_segments()  # the vertical bars run from low to high
    np.testing.assert_allclose([s[:, 1] for s in segments], [[0.05, 0.2], [-0.05, 0.01]])
    assert [t.get_text() for t in ax.texts] == ["h=0.90", "h=0.45"]
    assert legend_texts(ax)[0] == "no gain" and ax.get_title() == "r"


def test_first_clips():
    clips = np.random.default_rng(0).integers(0, 255, (4, 3, 8, 8, 3), dtype=np.uint8)
    fig = plots.first_clips(clips, [1, 0, 0, 1], ["moving left", "moving right"])
    (ax,) = fig.axes
    (image,) = ax.images
    mosaic = np.asarray(image.get_array())
    assert mosaic.shape == (2 * 9 - 1, 3 * 9 - 1, 3)
    # row 0: the first clip labelled 0 (clip 1); row 1: the first labelled 1 (clip 0)
    for row, clip in enumerate([1, 0]):
        for t in range(3):
            np.testing.assert_array_equal(
                mosaic[9 * row : 9 * row + 8, 9 * t : 9 * t + 8], clips[clip, t]
            )
    assert (mosaic[8] == 255).all() and (mosaic[:, 8] == 255).all()  # white gaps
    assert [x.get_text() for x in ax.get_yticklabels()] == ["moving left", "moving right"]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["t=0", "t=1", "t=2"]


def test_direction_bars():
    from zslkit.stats import Interval

    values = {"zero-shot": [0.5, 0.5], "pooled": [0.5, 0.6], "temporal": [0.9, 0.8]}
    per_pair = {
        k: [Interval(v, v - 0.1, v + 0.05, 0.95, "b") for v in vs] for k, vs in values.items()
    }
    fig = plots.direction_bars(per_pair, [("a", "b"), ("c", "d")], "title")
    (ax,) = fig.axes
    assert len(ax.patches) == 3 * 2
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.5, 0.5, 0.5, 0.6, 0.9, 0.8])
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    low_high = bars[2].lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1] for s in low_high], [[0.8, 0.95], [0.7, 0.85]])
    assert legend_texts(ax) == ["chance", "zero-shot", "pooled", "temporal"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a /\nb", "c /\nd"]
    assert ax.get_title() == "title"


def test_distillation_figure():
    calibration = {k: torch.zeros(4, 1, 5, 5) for k in ("real", "distilled", "Gaussian")}
    fig = plots.distillation_figure([3.0, 2.0, 1.0], {"real": 0.5, "Gaussian": 4.0}, calibration)
    assert len(fig.axes) == 1 + 3 * 4
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert legend_texts(ax) == ["distilled, during optimisation", "real images", "Gaussian noise"]
    assert [fig.axes[1 + 4 * r].get_ylabel() for r in range(3)] == list(calibration)
    assert all(len(a.images) == 1 for a in fig.axes[1:])
    kinds = ("real", "distilled", "Genie", "Gaussian")
    calibration = {k: torch.zeros(4, 1, 5, 5) for k in kinds}
    histories = {"distilled": [3.0, 1.0], "Genie": [5.0, 2.0]}
    fig = plots.distillation_figure(histories, {"real": 0.5, "Gaussian": 4.0}, calibration)
    assert legend_texts(fig.axes[0])[:2] == [f"{k}, during optimisation" for k in histories]
    assert [fig.axes[1 + 4 * r].get_ylabel() for r in range(4)] == list(kinds)
    boxes = [fig.axes[1 + 4 * r].get_position() for r in range(4)]  # rows inside, apart
    assert all(b.y0 >= 0 and b.y1 <= 0.9 for b in boxes)
    assert all(upper.y0 > lower.y1 for upper, lower in zip(boxes, boxes[1:]))


def test_calibration_accuracy_figure_draws_the_t_interval_over_seeds():
    values = {
        "real": [0.80, 0.82, 0.81],
        "distilled": [0.79, 0.80, 0.84],
        "Gaussian": [0.6, 0.7, 0.65],
    }
    rows = [
        {"source": s, "seed": seed, "config": c, "accuracy": v + (0.01 if c == "W8A4" else 0)}
        for c in ("W6A6", "W8A4")
        for s, vs in values.items()
        for seed, v in enumerate(vs)
    ]
    fig = plots.calibration_accuracy_figure(rows, 0.83)
    assert [ax.get_title() for ax in fig.axes] == ["W6A6 (3 seeds)", "W8A4 (3 seeds)"]
    finite = [np.asarray(line.get_ydata(), dtype=float) for line in fig.axes[0].lines]
    spans = [
        (y[np.isfinite(y)].min(), y[np.isfinite(y)].max()) for y in finite if np.isfinite(y).any()
    ]
    for vs in values.values():  # each error bar (with its caps) spans the t interval
        low, high = scipy.stats.t.interval(0.95, 2, loc=np.mean(vs), scale=scipy.stats.sem(vs))
        assert any(np.allclose(span, [low, high]) for span in spans)
    assert any(np.allclose(line.get_ydata(), 0.83) for line in fig.axes[0].lines)  # float32
