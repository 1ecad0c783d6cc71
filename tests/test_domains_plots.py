"""The figures of Part IV: each function draws the artists and labels its chapter's figure needs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
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
        {1: (0.4, 0.1), 4: (0.6, 0.05), 16: (0.8, 0.0)},
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
    assert legend_texts(ax) == [
        "zero-shot, names",
        "zero-shot, descriptions",
        "chance",
        "few-shot logistic regression",
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


def test_first_clips():
    clips = np.zeros((4, 3, 8, 8, 3), dtype=np.uint8)
    fig = plots.first_clips(clips, [0, 1, 0, 1], ["moving left", "moving right"])
    assert len(fig.axes) == 2 * 3
    assert all(len(ax.images) == 1 for ax in fig.axes)
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["moving left", "moving right"]
    assert [ax.get_title() for ax in fig.axes[:3]] == ["t=0", "t=1", "t=2"]


def test_direction_bars():
    per_pair = {"zero-shot": [0.5, 0.5], "pooled": [0.5, 0.6], "temporal": [0.9, 0.8]}
    fig = plots.direction_bars(per_pair, [("a", "b"), ("c", "d")], "title")
    (ax,) = fig.axes
    assert len(ax.patches) == 3 * 2
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


def test_range_sweep_figure():
    ranges = {"real": np.array([2.0, 1.0]), "distilled": np.array([3.0, 1.0])}
    fig = plots.range_sweep_figure([0.5, 1.0, 2.0], [0.6, 0.8, 0.7], ranges, 4, "cnn")
    (ax,) = fig.axes
    assert len(ax.lines) == 1 + 2
    assert [line.get_xdata()[0] for line in ax.lines[1:]] == [1.0, 1.5]
    assert legend_texts(ax) == ["accuracy", "real calibration", "distilled calibration"]
    assert ax.get_ylabel() == "accuracy (A4 in one layer)"
