"""zslkit.lab.plots: the figures hold the bars, labels and curves they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from zslkit.lab.plots import plot_bars, plot_training_curves  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_bars_draws_one_labelled_bar_per_value():
    values = {"a\n(x)": 0.25, "b": 0.5, "c": 0.875}
    colors = ["#111111", "#222222", "#333333"]
    fig, ax = plot_bars(values, colors, ylim=(0, 1.1), title="T")
    assert isinstance(fig, matplotlib.figure.Figure) and fig.axes == [ax]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 3
    np.testing.assert_allclose([b.get_height() for b in bars], [0.25, 0.5, 0.875])
    np.testing.assert_allclose([b.get_x() + b.get_width() / 2 for b in bars], [0, 1, 2])
    assert [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars] == colors
    # the value written above each bar, rounded by hand
    assert [(t.get_text(), t.get_position()) for t in ax.texts] == [
        ("0.25", (0, 0.27)),
        ("0.50", (1, 0.52)),
        ("0.88", (2, 0.895)),
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(values)
    assert ax.get_ylim() == (0, 1.1) and ax.get_title() == "T"
    assert ax.get_ylabel() == "per-class top-1 accuracy"


def test_plot_training_curves_has_the_loss_and_three_accuracy_curves():
    history = [
        {"step": 50, "loss": 4.0, "unseen_top1": 0.1, "seen_top1": 0.2, "gzsl_h": 0.05},
        {"step": 100, "loss": 3.5, "unseen_top1": 0.4, "seen_top1": 0.6, "gzsl_h": 0.15},
    ]
    fig, (ax1, ax2) = plot_training_curves(history, chance=1 / 16)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    (loss,) = ax1.get_lines()
    assert list(loss.get_xdata()) == [50, 100] and list(loss.get_ydata()) == [4.0, 3.5]
    lines = ax2.get_lines()
    assert len(lines) == 4  # three curves and the chance line
    for line, key in zip(lines, ["unseen_top1", "seen_top1", "gzsl_h"]):
        assert list(line.get_xdata()) == [50, 100]
        assert list(line.get_ydata()) == [row[key] for row in history]
    assert list(lines[3].get_ydata()) == [0.0625, 0.0625]
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert legend == ["ZSL, unseen (16-way)", "seen (48-way)", "GZSL H (64-way)", "chance, unseen"]
    assert ax1.get_ylabel() == "contrastive loss (nats)" and ax2.get_ylim() == (0, 1)


def test_plot_bars_draws_the_intervals_it_is_given():
    values = {"a": 0.5, "b": 0.8}
    fig, ax = plot_bars(values, intervals={"b": (0.7, 0.85)})
    (errorbar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segment = errorbar.lines[2][0].get_segments()[0]  # the vertical bar
    np.testing.assert_allclose(segment, [[1, 0.7], [1, 0.85]])
    assert [(t.get_text(), t.get_position()) for t in ax.texts] == [
        ("0.50", (0, 0.52)),
        ("0.80", (1, pytest.approx(0.87))),
    ]
    with pytest.raises(ValueError, match="not a bar"):
        plot_bars(values, intervals={"c": (0, 1)})


def test_plot_reference_draws_a_point_per_loss_and_an_entropy_line_per_probed_loss():
    from zslkit.lab.plots import plot_reference

    runs = {}
    for loss, acc in (("clip", 0.3), ("cloob", 0.02)):
        for seed in (0, 1, 2):
            runs[f"{loss}/seed{seed}"] = {
                "loss": loss,
                "seed": seed,
                "all64": acc + 0.01 * seed,
                "history": [
                    {"step": 0, "attention_entropy": 4.0},
                    {"step": 5, "attention_entropy": 3.0 + seed},
                ],
            }
    ref = {
        "losses": ["clip", "cloob"],
        "config": {"seeds": [0, 1, 2], "batch_size": 64, "probe_beta": 8.0},
        "runs": runs,
    }
    fig, (left, right) = plot_reference(ref, entropy_losses=("cloob",))
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert labels == ["InfoNCE (CLIP)", "CLOOB"]
    entropy = [line for line in right.lines if line.get_linestyle() != "--"]
    entropy = [line for line in entropy if len(line.get_xdata()) == 2]
    assert len(entropy) == 1  # one probed loss: the mean over seeds at steps 0 and 5
    np.testing.assert_allclose(entropy[0].get_ydata(), [4.0, 4.0])
    dashed = [line for line in right.lines if line.get_linestyle() == "--"]
    np.testing.assert_allclose(dashed[0].get_ydata(), [np.log(64)] * 2)
