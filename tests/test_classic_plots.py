"""The figures of Part I: each function returns a Figure with the expected axes, lines and labels."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from zslkit.classic import plots  # noqa: E402

NAMES = ["a", "b", "c", "d", "e"]
SEEN, UNSEEN = [0, 1, 2], [3, 4]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_attribute_matrix():
    att = np.random.default_rng(0).random((5, 4))
    fig = plots.plot_attribute_matrix(att, ["w", "x", "y", "z"], NAMES, SEEN, UNSEEN)
    (ax,) = fig.axes
    assert isinstance(fig, Figure) and len(ax.images) == 1 and len(ax.lines) == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c", "d *", "e *"]
    np.testing.assert_allclose(ax.images[0].get_array(), att[SEEN + UNSEEN])


def test_zsl_results():
    cm = np.array([[0.9, 0.1], [0.3, 0.7]])
    fig = plots.plot_zsl_results({"m1": 0.8, "m2": 0.6, "m3": 0.4}, 0.5, cm, ["d", "e"])
    bars, matrix = fig.axes
    assert len(bars.patches) == 3 and len(bars.lines) == 1
    assert [t.get_text() for t in bars.get_legend().get_texts()] == ["chance"]
    assert [t.get_text() for t in matrix.texts] == ["0.90", "0.10", "0.30", "0.70"]
    assert matrix.get_title() == "ESZSL on unseen images (row-normalised)"


def test_zsl_results_draw_the_intervals():
    cm = np.eye(2)
    zsl, intervals = {"m1": 0.8, "m2": 0.6}, {"m1": (0.7, 0.85), "m2": (0.5, 0.7)}
    fig = plots.plot_zsl_results(zsl, 0.5, cm, ["d", "e"], intervals=intervals)
    bars = fig.axes[0]
    (segments,) = [c for c in bars.collections if len(c.get_segments()) == 2]
    ends = sorted(tuple(np.round(seg[:, 0], 6)) for seg in segments.get_segments())
    assert ends == [(0.5, 0.7), (0.7, 0.85)]  # error bars span the given intervals


def test_class_similarity():
    rng = np.random.default_rng(1)
    spaces = {"s1": rng.normal(size=(5, 3)), "s2": rng.normal(size=(5, 8))}
    fig = plots.plot_class_similarity(spaces, NAMES, SEEN, UNSEEN, {"s1": "ZSL 0.50"})
    assert len(fig.axes) == 3  # two panels and the colorbar
    assert [fig.axes[0].get_title(), fig.axes[1].get_title()] == ["s1\nZSL 0.50", "s2"]
    v = spaces["s1"] / np.linalg.norm(spaces["s1"], axis=1, keepdims=True)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), v @ v.T)


def test_space_intervals():
    from zslkit.stats import Interval

    def iv(e):
        return Interval(e, e - 0.1, e + 0.05, 0.95, "t")

    summary = {
        "s1": {"ridge map": iv(0.7), "ESZSL": iv(0.6)},
        "s2": {"ridge map": iv(0.4), "ESZSL": iv(0.5)},
    }
    fig = plots.plot_space_intervals(summary, chance=1 / 3, n_splits=20)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s1", "s2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "ridge map", "ESZSL"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.7, 0.4])  # ridge-map markers
    assert "20 splits" in ax.get_xlabel()


def test_seen_unseen():
    s, u = np.linspace(1, 0, 11), np.linspace(0, 1, 11)
    points = {"p": {"seen": 0.8, "unseen": 0.1}, "q": {"seen": 0.4, "unseen": 0.6}}
    fig = plots.plot_seen_unseen(s, u, "curve", points, "t")
    (ax,) = fig.axes
    assert len(ax.lines) == 4 and len(ax.collections) == 3  # curve + 3 iso-H; fill + 2 points
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["curve", "p", "q"]
    assert [t.get_text() for t in ax.texts] == ["H=0.25", "H=0.5", "H=0.75"]


def test_k_occurrence():
    rng = np.random.default_rng(2)
    counts = {"x": rng.poisson(3, 50), "y": rng.poisson(5, 50)}
    fig = plots.plot_k_occurrence(counts, 10)
    (ax,) = fig.axes
    assert len(ax.patches) == 2 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    assert "10 nearest" in ax.get_xlabel()


def test_k_occurrence_with_a_baseline():
    counts = {"base": np.array([0, 5, 5]), "x": np.array([1, 2, 9])}
    fig = plots.plot_k_occurrence(counts, 3, baseline="base")
    (ax,) = fig.axes
    assert len(ax.patches) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "x"]
    assert ax.patches[0].get_linestyle() != ax.patches[1].get_linestyle()  # dashed reference


def test_propagation_sweep():
    from zslkit.stats import Interval

    def iv(e):
        return Interval(e, e - 0.1, e + 0.05, 0.95, "test")

    curves = {"plain": [iv(0.3), iv(0.5), iv(0.6)], "uniform": [iv(0.6), iv(0.5), iv(0.3)]}
    fig = plots.plot_propagation_sweep([0, 0.5, 0.9], curves, 0.7, 0.3)
    (ax,) = fig.axes
    assert len(ax.containers) == 2  # one errorbar container per method
    np.testing.assert_allclose(ax.containers[0].lines[0].get_ydata(), [0.3, 0.5, 0.6])
    (bars,) = ax.containers[0].lines[2]  # the vertical error bars: low to high
    np.testing.assert_allclose(
        [s[:, 1] for s in bars.get_segments()], [[0.2, 0.35], [0.4, 0.55], [0.5, 0.65]]
    )
    assert len(ax.get_legend().get_texts()) == 4


def test_real_and_generated():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(5), 4)
    fake_labels = np.repeat(UNSEEN, 6)
    fig = plots.plot_real_and_generated(
        rng.normal(size=(20, 2)), labels, rng.normal(size=(12, 2)), fake_labels, UNSEEN, NAMES
    )
    real_ax, fake_ax = fig.axes
    assert len(real_ax.collections) == 3 and len(fake_ax.collections) == 3
    assert [t.get_text() for t in fake_ax.get_legend().get_texts()] == [
        "generated d",
        "generated e",
    ]
    assert len(real_ax.collections[0].get_offsets()) == 12  # the seen-class images


def test_loss_curve():
    fig = plots.plot_loss_curve([3.0, 2.0, 1.5])
    (ax,) = fig.axes
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])
    assert ax.get_title() == "Generator training on seen classes"
