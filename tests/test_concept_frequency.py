"""Tests of the concept-frequency helpers against scipy and hand-worked cases."""

import numpy as np
import pytest
from scipy import stats

from zslkit.data import world
from zslkit.vlm.concept_frequency import (
    concept_accuracy,
    count_mentions,
    fit_log_linear,
    log_spaced_weights,
    mean_slope_interval,
    per_model_slopes,
    plot_frequency_accuracy,
    report_slopes,
)


def test_log_spaced_weights_span_and_permutation():
    colours = world.ATTRIBUTES["colour"]
    w = log_spaced_weights(colours, span=100.0)
    assert list(w) == list(colours)
    assert w["red"] == pytest.approx(1.0) and w["white"] == pytest.approx(100.0)
    ratios = np.diff(np.log10(list(w.values())))
    np.testing.assert_allclose(ratios, 2 / 7)  # 8 values over two decades
    shuffled = log_spaced_weights(colours, span=100.0, seed=3)
    assert sorted(shuffled.values()) == pytest.approx(sorted(w.values()))
    assert list(shuffled.values()) != list(w.values())
    assert log_spaced_weights(colours, seed=3) == shuffled
    with pytest.raises(ValueError, match="span"):
        log_spaced_weights(colours, span=0.5)


def test_concept_accuracy_by_hand():
    labels = [0, 0, 1, 1, 1, 2]
    predictions = [0, 1, 1, 1, 0, 0]
    np.testing.assert_allclose(concept_accuracy(labels, predictions, 3), [0.5, 2 / 3, 0.0])
    with pytest.raises(ValueError, match="every concept"):
        concept_accuracy([0, 0], [0, 0], 2)


def test_fit_log_linear_matches_scipy():
    rng = np.random.default_rng(0)
    frequency = 10 ** rng.uniform(0, 3, size=20)
    accuracy = 0.2 + 0.15 * np.log10(frequency) + rng.normal(0, 0.05, size=20)
    fit = fit_log_linear(frequency, accuracy, confidence=0.9)
    ref = stats.linregress(np.log10(frequency), accuracy)
    assert fit["slope"] == pytest.approx(ref.slope)
    assert fit["intercept"] == pytest.approx(ref.intercept)
    assert fit["stderr"] == pytest.approx(ref.stderr)
    assert fit["r"] == pytest.approx(ref.rvalue)
    half = stats.t.ppf(0.95, 18) * ref.stderr
    assert fit["ci_low"] == pytest.approx(ref.slope - half)
    assert fit["ci_high"] == pytest.approx(ref.slope + half)


def test_fit_log_linear_hand_cases():
    # exactly on a line: +0.1 accuracy per tenfold frequency, no uncertainty
    fit = fit_log_linear([1, 10, 100, 1000], [0.3, 0.4, 0.5, 0.6])
    assert fit["slope"] == pytest.approx(0.1) and fit["intercept"] == pytest.approx(0.3)
    assert fit["stderr"] == pytest.approx(0.0, abs=1e-12)
    # three points at log-frequencies 0, 1, 2 with accuracies 0, 1, 0.5: slope 0.25,
    # residuals -0.25, 0.5, -0.25 -> s^2 = 0.375 / 1, Sxx = 2, stderr = sqrt(0.1875)
    fit = fit_log_linear([1, 10, 100], [0.0, 1.0, 0.5])
    assert fit["slope"] == pytest.approx(0.25)
    assert fit["stderr"] == pytest.approx(np.sqrt(0.1875))
    assert fit["ci_high"] - fit["slope"] == pytest.approx(
        12.706204736 * np.sqrt(0.1875)
    )  # t_{0.975, 1}
    with pytest.raises(ValueError, match="two different"):
        fit_log_linear([5, 5, 5], [0.1, 0.2, 0.3])


def test_count_mentions_by_hand():
    captions = ["a red star.", "a red shape.", "a blue star.", "a reddish star."]
    assert count_mentions(captions, ["red", "star", "white"]) == {"red": 2, "star": 3, "white": 0}


def test_per_model_slopes_and_their_interval_against_scipy():
    g = np.random.default_rng(0)
    frequency = np.tile(np.geomspace(10, 1000, 6), 3)
    accuracy = g.uniform(size=18)
    model_of_point = np.repeat(np.arange(3), 6)
    slopes = per_model_slopes(frequency, accuracy, model_of_point, 3)
    expected = [
        stats.linregress(np.log10(frequency[:6]), accuracy[6 * k : 6 * k + 6]).slope
        for k in range(3)
    ]
    np.testing.assert_allclose(slopes, expected)
    low, high = mean_slope_interval(slopes, 0.9)
    m, se = np.mean(expected), np.std(expected, ddof=1) / np.sqrt(3)
    t = stats.t.ppf(0.95, 2)
    assert low == pytest.approx(m - t * se) and high == pytest.approx(m + t * se)
    assert mean_slope_interval(slopes[:1]) == (None, None)


def test_report_slopes_prints_the_figures(capsys):
    fit = {"slope": 0.3541, "ci_low": 0.1, "ci_high": 0.6, "r": 0.58, "n": 24}
    report_slopes(fit, [0.3, 0.4], (0.2, 0.5), 0.95)
    assert capsys.readouterr().out.splitlines() == [
        "slope: +0.354 accuracy per tenfold frequency, 95% CI [+0.100, +0.600], r = 0.58, 24 points",
        "per-model slopes: +0.300, +0.400",
        "mean of the per-model slopes: +0.350, 95% CI [+0.200, +0.500] (2 models)",
    ]
    report_slopes(fit, [0.3], (None, None), 0.95)
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_plot_frequency_accuracy_draws_every_model_and_the_fit():
    import matplotlib.figure
    import matplotlib.pyplot as plt

    fit = {"slope": 0.3, "intercept": 0.1, "ci_low": 0.1, "ci_high": 0.5}
    fig = plot_frequency_accuracy(
        [10, 100, 10, 100], [0.2, 0.6, 0.3, 0.5], [0, 0, 1, 1], ["red", "blue"], fit, 2
    )
    ax = fig.axes[0]
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(ax.collections) == 2 and len(ax.texts) == 4 and len(ax.lines) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["model 0", "model 1", "fit: +0.30 per decade [+0.10, +0.50]", "chance"]
    plt.close(fig)
