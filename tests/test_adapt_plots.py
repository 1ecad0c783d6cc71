"""zslkit.adapt.plots: each figure has the axes, lines and labels it promises."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from zslkit.adapt import plots


def teardown_function():
    plt.close("all")


def test_plot_shot_curves_draws_means_and_t_intervals_over_seeds():
    from scipy import stats

    accuracy = {"zero-shot": {1: [0.6, 0.6], 4: [0.6, 0.6]}, "GDA": {1: [0.5, 0.7], 4: [0.7, 0.8]}}
    ax = plots.plot_shot_curves(accuracy, [1, 4])
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [line.get_label() for line in ax.get_lines()] == ["zero-shot", "GDA"]
    assert ax.get_lines()[0].get_linestyle() == "--"
    assert np.allclose(ax.get_lines()[1].get_ydata(), [0.6, 0.75])
    assert ax.get_xscale() == "log"
    band = ax.collections[1].get_paths()[0].vertices  # GDA's band
    low, high = stats.t.interval(0.95, 1, loc=0.6, scale=stats.sem([0.5, 0.7]))
    assert np.isclose(band[:, 1].min(), low) and np.isclose(band[:, 1].max(), max(high, 0.75))


def test_plot_base_to_new_curves():
    curves = {"CoOp": [[[0.7, 0.5], [0.8, 0.6]], [[0.6, 0.5], [0.8, 0.4]]]}
    table = {"zero-shot": {"B": 0.7, "N": 0.5}, "zero-shot ensemble": {"B": 0.72, "N": 0.54}}
    fig = plots.plot_base_to_new_curves(curves, table)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    base, new = fig.axes
    assert [line.get_label() for line in base.get_lines()] == [
        "CoOp",
        "zero-shot: a photo of a {}.",
        "zero-shot ensemble",
    ]
    assert np.allclose(base.get_lines()[0].get_ydata(), [0.65, 0.8])
    assert np.allclose(new.get_lines()[0].get_ydata(), [0.5, 0.5])
    assert new.get_lines()[2].get_ydata()[0] == 0.54
    assert base.get_legend() is not None and new.get_legend() is None


def test_plot_pseudo_labels_and_tpt():
    curve = [
        {"test": 0.65, "pseudo_label_acc": 0.86, "labelled": 0.2},
        {"test": 0.67, "pseudo_label_acc": 0.83, "labelled": 0.4},
    ]
    fig = plots.plot_pseudo_labels_and_tpt(curve, 0.62, 0.67, 0.69, 0.59, 0.62)
    left, right = fig.axes
    assert len(left.get_lines()) == 4
    assert np.allclose(left.get_lines()[0].get_ydata(), [0.62, 0.65, 0.67])
    assert [p.get_height() for p in right.patches] == [0.62, 0.67, 0.69, 0.59, 0.62]
    assert [t.get_text() for t in right.get_xticklabels()][-1] == "TPT"


def test_plot_continual():
    history = [
        {"heldout": 0.9, "learned": float("nan")},
        {"heldout": 0.85, "learned": 0.7},
        {"heldout": 0.8, "learned": 0.65},
    ]
    fig = plots.plot_continual({"plain": history, "ZSCL": history}, [0.5, 0.3], ["a", "b"], "noisy")
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 3
    assert np.allclose(right.get_lines()[2].get_ydata(), [0.5, 0.4])
    assert right.get_title() == "mean accuracy on the tasks learned so far (noisy)"
    assert [t.get_text() for t in left.get_xticklabels()] == ["start", "a", "b"]


def test_plot_continual_summary():
    def run(v):
        return [{"heldout": v, "learned": v - 0.2}]

    histories = {"plain": [run(0.8), run(0.84)], "ZSCL": [run(0.88), run(0.9)]}
    zero_shot = [{"heldout": 0.9, "learned": 0.5}, {"heldout": 0.9, "learned": 0.5}]
    fig = plots.plot_continual_summary(histories, zero_shot, {"heldout": "h", "learned": "l"})
    left, right = fig.axes
    points = [line.get_ydata()[0] for line in left.get_lines()[1:] if line.get_marker() == "o"]
    assert np.allclose(points, [0.82, 0.89])  # means over the two seeds
    assert left.get_title() == "h" and right.get_title() == "l"
    assert np.isclose(left.get_lines()[0].get_ydata()[0], 0.9)  # zero-shot line
    bars = left.collections[0].get_segments()[0][:, 1]  # plain's t interval, by hand
    half = 12.706 * np.std([0.8, 0.84], ddof=1) / np.sqrt(2)
    assert np.allclose(sorted(bars), [0.82 - half, 0.82 + half], atol=1e-3)
