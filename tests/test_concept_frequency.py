"""Tests of the concept-frequency helpers against scipy and hand-worked cases."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from zslkit.data import world
from zslkit.vlm.concept_frequency import (
    bootstrap_figures,
    concept_accuracy,
    concept_words,
    count_concept_mentions,
    count_mentions,
    crossing_ratio,
    fit_log_linear,
    fit_logistic_concepts,
    load_frequency_run,
    log_spaced_weights,
    mean_slope_interval,
    model_bootstrap,
    per_model_slopes,
    plot_frequency_accuracy,
    plot_mentions_accuracy,
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


def test_concept_words_and_mentions_by_hand():
    words = concept_words(["red", "circle"], "web")
    assert words == {
        "red": ["red", "crimson", "scarlet"],
        "circle": ["circle", "disc", "circles", "discs"],
    }
    assert concept_words(["red"], "pocket") == {"red": ["red"]}
    captions = [
        "a red star.",
        "a photo of a star that is crimson.",
        "a black and white photo of a circle.",  # white is the context, not the colour
        "a black and white photo of a white circle.",
        "a snowy box.",
        "a red red disc.",  # one caption, counted once
        "a reddish star.",
    ]
    counts = count_concept_mentions(captions, ["red", "white", "circle"], "web")
    np.testing.assert_array_equal(counts, [3, 2, 3])
    pocket = count_concept_mentions(captions, ["red", "white", "circle"], "pocket")
    np.testing.assert_array_equal(pocket, [2, 1, 2])
    with pytest.raises(ValueError, match="corpus"):
        concept_words(["red"], "book")


def _logistic_data(seed=0):
    g = np.random.default_rng(seed)
    n_models, n_concepts = 6, 4
    mentions = np.concatenate([g.permutation([10, 40, 160, 640]) for _ in range(n_models)])
    concept = np.tile(np.arange(n_concepts), n_models)
    model = np.repeat(np.arange(n_models), n_concepts)
    alpha = np.array([-4.0, -3.0, -5.0, -3.5])
    p = 1 / (1 + np.exp(-(alpha[concept] + 2.0 * np.log10(1 + mentions))))
    totals = np.full(len(p), 80)
    return mentions, g.binomial(totals, p), totals, concept, model


def test_fit_logistic_concepts_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    mentions, hits, totals, concept, _ = _logistic_data()
    fit = fit_logistic_concepts(mentions, hits, totals, concept, ridge=0.0)
    design = np.column_stack([np.eye(4)[concept], np.log10(1 + mentions)])
    ref = sm.GLM(
        np.column_stack([hits, totals - hits]), design, family=sm.families.Binomial()
    ).fit()
    assert fit["slope"] == pytest.approx(ref.params[-1], rel=1e-6)
    np.testing.assert_allclose(fit["intercepts"], ref.params[:-1], rtol=1e-6)
    alpha = np.median(ref.params[:-1])
    assert fit["crossing"] == pytest.approx(10 ** (-alpha / ref.params[-1]) - 1, rel=1e-6)
    assert fit["n"] == 24


def test_fit_logistic_concepts_ridge_matches_scipy_minimize():
    from scipy.optimize import minimize

    mentions, hits, totals, concept, _ = _logistic_data(1)
    hits[concept == 0] = totals[concept == 0]  # concept 0 right on every image: separated
    design = np.column_stack([np.eye(4)[concept], np.log10(1 + mentions)])

    def loss(theta):
        eta = design @ theta
        return -(hits * eta - totals * np.logaddexp(0, eta)).sum() + 0.05 * theta @ theta

    ref = minimize(loss, np.zeros(5), method="BFGS", options={"gtol": 1e-9}).x
    fit = fit_logistic_concepts(mentions, hits, totals, concept, ridge=0.1)
    assert fit["slope"] == pytest.approx(ref[-1], abs=1e-4)
    np.testing.assert_allclose(fit["intercepts"], ref[:-1], atol=1e-4)


def test_fit_logistic_concepts_exact_curve_and_bad_input():
    # hits that follow a logistic curve exactly give its parameters back
    mentions = np.array([9, 99, 999, 9, 99, 999])
    concept = np.array([0, 0, 0, 1, 1, 1])
    eta = np.array([-2.0, 0.0, 2.0, -1.0, 1.0, 3.0])  # alpha = -4, -3; slope 2
    totals = np.full(6, 1e6)
    fit = fit_logistic_concepts(mentions, totals / (1 + np.exp(-eta)), totals, concept, ridge=0.0)
    assert fit["slope"] == pytest.approx(2.0) and fit["intercepts"] == pytest.approx([-4, -3])
    assert fit["crossing"] == pytest.approx(10**1.75 - 1)  # median alpha -3.5
    with pytest.raises(ValueError, match="hits"):
        fit_logistic_concepts([1, 2], [3, 0], [2, 2], [0, 0])
    with pytest.raises(ValueError, match="mentions"):
        fit_logistic_concepts([-2, 2], [1, 0], [2, 2], [0, 0])


def test_model_bootstrap_resamples_models_against_a_direct_loop():
    sm = pytest.importorskip("statsmodels.api")
    mentions, hits, totals, concept, model = _logistic_data(2)
    out = model_bootstrap(mentions, hits, totals, concept, model, n_resamples=40, seed=5, ridge=0)
    # the same resamples drawn by hand, each refitted by statsmodels
    rng, slopes = np.random.default_rng(5), []
    while len(slopes) < 40:
        drawn = rng.choice(np.arange(6), size=6)
        if len(set(drawn)) < 2:
            continue
        rows = np.concatenate([np.flatnonzero(model == m) for m in drawn])
        design = np.column_stack([np.eye(4)[concept[rows]], np.log10(1 + mentions[rows])])
        y = np.column_stack([hits[rows], totals[rows] - hits[rows]])
        slopes.append(sm.GLM(y, design, family=sm.families.Binomial()).fit().params[-1])
    low, high = np.percentile(slopes, [2.5, 97.5])
    assert out["slope_ci_low"] == pytest.approx(low, rel=1e-5)
    assert out["slope_ci_high"] == pytest.approx(high, rel=1e-5)
    assert 0 < out["slope_ci_low"] < out["slope"] < out["slope_ci_high"]
    assert out["crossing_ci_low"] < out["crossing"] < out["crossing_ci_high"]
    assert out["n_models"] == 6
    with pytest.raises(ValueError, match="at least 3 models"):
        model_bootstrap(mentions[:8], hits[:8], totals[:8], concept[:8], model[:8])


def test_plot_mentions_accuracy_draws_points_curve_band_and_crossing():
    import matplotlib.pyplot as plt

    mentions, hits, totals, concept, model = _logistic_data(3)
    boot = model_bootstrap(mentions, hits, totals, concept, model, n_resamples=20)
    fig, ax = plt.subplots()
    out = plot_mentions_accuracy(
        ax, mentions, hits / totals, concept, list("abcd"), boot, title="t"
    )
    assert out is ax and len(ax.collections) == 5  # 4 concepts and the band
    labels = [t.get_text() for t in ax.legend().get_texts()]
    assert labels == [*"abcd", "fit, median concept", "50 % crossing", "chance"]
    plt.close(fig)


def test_pretrain_concept_models_counts_the_stream_it_trained_on():
    import functools

    import torch

    from zslkit.data import web
    from zslkit.lab.experiments import pretrain_concept_models

    torch.set_num_threads(1)
    split = world.load_split("default")
    colours = list(world.ATTRIBUTES["colour"])
    images, _ = world.make_images(split["classes"][:4], 1, seed=5)
    weights = [log_spaced_weights(colours, 10.0, seed=k) for k in range(2)]
    count = functools.partial(count_concept_mentions, concepts=colours, corpus="web")
    kwargs = dict(n_steps=3, batch_size=16, seed=3, corpus="web")
    predictions, counts = pretrain_concept_models(weights, colours, images, count=count, **kwargs)
    plain = pretrain_concept_models(weights, colours, images, **kwargs)
    for k in range(2):  # recording the captions leaves the training as it was
        np.testing.assert_array_equal(predictions[k], plain[k])
        # 3 x 16 = 48 pairs: one pass over a pool of 48, so the stream is the pool's captions
        _, texts, _ = web.pretraining_set(
            48, split["seen"], seed=3 + k, concept_frequency=weights[k], task=split["task"]
        )
        np.testing.assert_array_equal(counts[k], count_concept_mentions(texts, colours, "web"))


def test_crossing_ratio_by_hand():
    # log10(1 + crossing) = -alpha / slope: a at 1, 2, 3, 4 (ratios 10 .. 10^4), b at 2 throughout
    a = {"crossing": 99.0, "replicates": np.array([[-1.0, 1], [-2, 1], [-3, 1], [-4, 1]])}
    b = {"crossing": 999.0, "replicates": np.array([[-4.0, 2], [-4, 2], [-4, 2], [-4, 2]])}
    out = crossing_ratio(a, b, confidence=0.5)
    assert out["ratio"] == pytest.approx(10.0)
    # log ratios 1, 0, -1, -2: the inverted-cdf 25th and 75th percentiles are -2 and 0
    assert out["ratio_ci_low"] == pytest.approx(0.01)
    assert out["ratio_ci_high"] == pytest.approx(1.0)
    b["replicates"][:, 1] = [2, -1, -1, -1]  # most resamples of b without a rise
    assert crossing_ratio(a, b, confidence=0.5)["ratio_ci_high"] == np.inf


def test_bootstrap_figures_give_none_for_a_meaningless_crossing():
    boot = {"slope": 1.0, "slope_ci_low": -0.5, "slope_ci_high": 2.0, "crossing": 50.0}
    boot.update(crossing_ci_low=np.nan, crossing_ci_high=np.inf)
    assert bootstrap_figures("x", boot) == {
        "x_slope": 1.0,
        "x_slope_ci_low": -0.5,
        "x_slope_ci_high": 2.0,
        "x_crossing": 50.0,
        "x_crossing_ci_low": None,
        "x_crossing_ci_high": None,
    }


def test_load_frequency_run_points_follow_the_models(tmp_path):
    import json

    run = {
        "config": {},
        "concepts": ["red", "blue"],
        "models": [
            {"mentions": [5, 50], "hits": [1, 9], "totals": [10, 10]},
            {"mentions": [60, 4], "hits": [8, 0], "totals": [10, 10]},
        ],
    }
    (tmp_path / "run.json").write_text(json.dumps(run))
    points = load_frequency_run(tmp_path / "run.json")["points"]
    np.testing.assert_array_equal(points["mentions"], [5, 50, 60, 4])
    np.testing.assert_array_equal(points["hits"], [1, 9, 8, 0])
    np.testing.assert_array_equal(points["concept"], [0, 1, 0, 1])
    np.testing.assert_array_equal(points["model"], [0, 0, 1, 1])


SCRIPT = Path(__file__).parents[1] / "scripts" / "concept_frequency_reference.py"


def _load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("concept_frequency_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_run_has_the_form_the_script_writes():
    script = _load_script()
    run = load_frequency_run()
    assert run["config"] == script.CONFIG and run["command"] == script.COMMAND
    config = run["config"]
    assert run["concepts"] == list(world.ATTRIBUTES[config["attribute"]])
    assert [m["seed"] for m in run["models"]] == list(range(config["n_models"]))
    for k, m in enumerate(run["models"]):
        weights = log_spaced_weights(run["concepts"], config["span"], seed=config["seed"] + k)
        assert m["weights"] == pytest.approx([weights[c] for c in run["concepts"]])
        assert all(0 <= h <= t for h, t in zip(m["hits"], m["totals"]))
        assert sum(m["totals"]) == 64 * config["n_per_class"]
        # every pretraining pair names at most one colour: mentions <= pairs seen
        assert 0 < sum(m["mentions"]) <= config["n_steps"] * config["batch_size"]


def test_the_script_writes_that_form_on_a_tiny_run(tmp_path):
    out = tmp_path / "tiny.json"
    script = _load_script()
    args = ["--n-models", "1", "--n-steps", "2", "--batch-size", "8", "--n-per-class", "1"]
    script.main(["--out", str(out), *args])
    tiny = load_frequency_run(out)
    assert tiny["config"]["n_steps"] == 2 and len(tiny["models"]) == 1
    assert set(tiny) == set(load_frequency_run())
    assert sum(tiny["models"][0]["mentions"]) <= 16
