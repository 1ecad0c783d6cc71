"""zslkit.vlm.loki against closed forms on a line, a brute-force loop and the arg max it generalises."""

import numpy as np
import pytest
import torch

from zslkit.data import world
from zslkit.models.zeroshot import ZeroShotClassifier
from zslkit.vlm import experiments as ex
from zslkit.vlm.loki import (
    Loki,
    distance_gap,
    expected_distance,
    frechet_objective,
    frechet_predict,
    per_item_distance,
    text_distance_matrix,
)


def line_metric(positions):
    positions = np.asarray(positions, dtype=float)
    return np.abs(positions[:, None] - positions[None, :])


def test_path_graph_predicts_the_weighted_mean_location_even_outside_the_label_set():
    distances = line_metric(range(5))  # the path graph 0 - 1 - 2 - 3 - 4
    label_set = [0, 4]  # the model only knows the two ends
    probabilities = np.array([[0.5, 0.5], [0.75, 0.25], [0.25, 0.75], [1.0, 0.0], [0.55, 0.45]])
    # weighted mean locations 2, 1, 3, 0, 1.8 -> nearest points 2, 1, 3, 0, 2
    np.testing.assert_array_equal(
        frechet_predict(probabilities, distances, label_set), [2, 1, 3, 0, 2]
    )
    # the arg max can only say 0 or 4
    loki = Loki(distances, label_set=label_set).fit()
    np.testing.assert_array_equal(loki.predict_argmax(probabilities), [0, 0, 4, 0, 0])
    # restricted candidates: the nearest allowed point to the mean
    np.testing.assert_array_equal(
        frechet_predict(probabilities, distances, label_set, candidates=[0, 3, 4]), [3, 0, 3, 0, 3]
    )


def test_on_a_line_the_frechet_mean_is_the_point_nearest_the_weighted_mean():
    rng = np.random.default_rng(0)
    positions = np.sort(rng.uniform(0, 10, 30))
    label_set = rng.choice(30, 6, replace=False)
    probabilities = rng.dirichlet(np.ones(6), size=200)
    mean_location = probabilities @ positions[label_set]
    expected = np.abs(positions[None, :] - mean_location[:, None]).argmin(1)
    np.testing.assert_array_equal(
        frechet_predict(probabilities, line_metric(positions), label_set), expected
    )


def test_matches_a_brute_force_loop():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(12, 3))
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    label_set = np.array([7, 2, 9, 0])
    probabilities = rng.dirichlet(np.ones(4), size=50)
    brute = np.array(
        [
            [sum(p[k] * distances[y, label_set[k]] ** 2 for k in range(4)) for y in range(12)]
            for p in probabilities
        ]
    )
    np.testing.assert_allclose(
        frechet_objective(probabilities, distances, label_set), brute, rtol=1e-12
    )
    np.testing.assert_array_equal(
        frechet_predict(probabilities, distances, label_set), brute.argmin(1)
    )
    loki = Loki(distances, label_set=label_set).fit()
    np.testing.assert_allclose(loki.decision_function(probabilities), -brute, rtol=1e-12)


def test_discrete_metric_on_the_full_label_set_is_the_arg_max():
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(8), size=100)
    distances = 1.0 - np.eye(8)  # objective(y) = 1 - p_y
    np.testing.assert_array_equal(
        frechet_predict(probabilities, distances), probabilities.argmax(1)
    )


def test_estimator_wraps_a_zero_shot_classifier():
    rng = np.random.default_rng(3)
    weights = torch.nn.functional.normalize(torch.randn(8, 3), dim=0)
    image_features = torch.nn.functional.normalize(torch.randn(40, 8), dim=1)
    clf = ZeroShotClassifier(weights=weights, logit_scale=5.0).fit()
    distances = line_metric(rng.uniform(0, 1, 6))
    label_set = [5, 0, 3]
    loki = Loki(distances, label_set=label_set, classifier=clf).fit()
    expected = frechet_predict(clf.predict_proba(image_features), distances, label_set)
    np.testing.assert_array_equal(loki.predict(image_features), expected)
    np.testing.assert_array_equal(
        loki.predict_argmax(image_features), np.array(label_set)[clf.predict(image_features)]
    )
    assert loki.score(image_features, expected) == 1.0
    assert loki.label_set is label_set and loki.classifier is clf  # hyperparameters stored as given
    np.testing.assert_array_equal(loki.classes_, np.arange(6))


def test_expected_distance_by_hand():
    distances = line_metric([0, 1, 3])
    labels = np.array([0, 0, 1, 2])
    predictions = np.array([0, 2, 1, 1])  # distances 0, 3, 0, 2
    got = expected_distance(labels, predictions, distances)
    assert got == pytest.approx({"mean": 5 / 4, "mistakes": 5 / 2, "error_rate": 0.5})
    squared = expected_distance(labels, predictions, distances, squared=True)
    assert squared == pytest.approx({"mean": 13 / 4, "mistakes": 13 / 2, "error_rate": 0.5})
    assert np.isnan(expected_distance(labels, labels, distances)["mistakes"])


def test_text_distance_matrix_is_euclidean_between_unit_rows():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(5, 7))
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    expected = np.linalg.norm(unit[:, None] - unit[None], axis=-1)
    np.testing.assert_allclose(text_distance_matrix(torch.as_tensor(features)), expected, atol=1e-7)


def test_bad_input_is_refused():
    distances = line_metric(range(4))
    with pytest.raises(ValueError, match="square"):
        frechet_predict(np.ones((2, 2)) / 2, np.ones((3, 4)))
    with pytest.raises(ValueError, match="K = len"):
        frechet_predict(np.ones((2, 3)) / 3, distances, label_set=[0, 1])
    with pytest.raises(ValueError, match="outside"):
        Loki(distances, label_set=[0, 9]).fit()
    with pytest.raises(ValueError, match="repeated"):
        frechet_predict(np.ones((1, 2)) / 2, distances, label_set=[1, 1])


# Chapter 23's graded metric, E[d^2] and its paired intervals ---------------------------------------


def manual_bootstrap(statistic, n, n_resamples=4000, seed=1):
    """Percentile interval by an explicit resampling loop over item indices."""
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, n, n)) for _ in range(n_resamples)]
    return np.percentile(values, [2.5, 97.5])


def test_per_item_distance_by_hand():
    distances = line_metric([0, 1, 3])
    labels, predictions = np.array([0, 0, 1, 2]), np.array([0, 2, 1, 1])
    np.testing.assert_array_equal(per_item_distance(labels, predictions, distances), [0, 3, 0, 2])
    np.testing.assert_array_equal(
        per_item_distance(labels, predictions, distances, squared=True), [0, 9, 0, 4]
    )


def test_distance_gap_matches_a_hand_rolled_paired_bootstrap():
    rng = np.random.default_rng(5)
    distances = line_metric(range(6))
    labels = rng.integers(0, 6, 400)
    a = np.where(rng.random(400) < 0.6, labels, rng.integers(0, 6, 400))
    b = np.where(rng.random(400) < 0.5, labels, rng.integers(0, 6, 400))
    da, db = (distances[labels, a] ** 2), (distances[labels, b] ** 2)
    gap = distance_gap(labels, a, b, distances)
    assert gap.estimate == pytest.approx(da.mean() - db.mean())
    low, high = manual_bootstrap(lambda i: da[i].mean() - db[i].mean(), 400)
    assert gap.low == pytest.approx(low, abs=0.08) and gap.high == pytest.approx(high, abs=0.08)
    # over each rule's own mistakes: a ratio of sums, resampled item by item
    wa, wb = a != labels, b != labels
    on_mistakes = distance_gap(labels, a, b, distances, mistakes=True)
    assert on_mistakes.estimate == pytest.approx(da[wa].mean() - db[wb].mean())

    def ratio(i):
        return da[i].sum() / wa[i].sum() - db[i].sum() / wb[i].sum()

    low, high = manual_bootstrap(ratio, 400)
    assert on_mistakes.low == pytest.approx(low, abs=0.15)
    assert on_mistakes.high == pytest.approx(high, abs=0.15)
    assert on_mistakes.low < on_mistakes.estimate < on_mistakes.high
    # the same predictions: no gap at all; E[d] instead of E[d^2]
    same = distance_gap(labels, a, a, distances)
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)
    plain = distance_gap(labels, a, b, distances, squared=False)
    assert plain.estimate == pytest.approx(
        distances[labels, a].mean() - distances[labels, b].mean()
    )
    with pytest.raises(ValueError, match="wrong prediction"):
        distance_gap(labels, labels, b, distances, mistakes=True)


def test_graded_metric_is_rgb_distance_plus_shape_difference():
    names = ["red circle", "orange circle", "red star", "white star"]
    d = ex.label_distances("graded", names)
    palette = np.array(list(world.COLOUR_RGB.values()), dtype=float)
    largest = max(np.linalg.norm(p - q) for p in palette for q in palette)
    rgb = {c: np.array(world.COLOUR_RGB[c], dtype=float) for c in ("red", "orange", "white")}
    red_orange = np.linalg.norm(rgb["red"] - rgb["orange"]) / largest
    assert d[0, 1] == pytest.approx(red_orange)
    assert d[0, 2] == pytest.approx(1.0)  # same colour, other shape
    assert d[1, 3] == pytest.approx(1 + np.linalg.norm(rgb["orange"] - rgb["white"]) / largest)
    assert 0 < red_orange < 1
    # graded: among distinct pocket classes it takes many values, not only 1 and 2
    full = ex.label_distances("graded", world.class_names())
    assert len(np.unique(np.round(full[full > 0], 6))) > 10


def test_loki_summary_squared_by_hand():
    distances = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    labels, pred = np.array([0, 1, 2, 2]), np.array([0, 0, 2, 0])  # d = 0, 1, 0, 2
    s = ex.loki_summary(labels, pred, [0, 1], distances)
    assert s["sq_distance"] == pytest.approx(5 / 4)
    assert s["mistake_sq_distance"] == pytest.approx(5 / 2)
    assert s["mistake_distance"] == pytest.approx(3 / 2)


def test_scale_sweep_squared_keys_and_intervals_against_direct_calls():
    from scipy.special import softmax

    rng = np.random.default_rng(6)
    distances = line_metric(range(5))
    sims = rng.normal(size=(300, 2))
    labels = rng.integers(0, 5, 300)
    loki = Loki(distances, label_set=[0, 4]).fit()
    sweep = ex.loki_scale_sweep(loki, sims, [0.5, 5.0], labels, distances, n_resamples=500)
    for i, s in enumerate([0.5, 5.0]):
        probs = softmax(s * sims, axis=1)
        pred, arg = loki.predict(probs), loki.predict_argmax(probs)
        d2l, d2a = distances[labels, pred] ** 2, distances[labels, arg] ** 2
        assert sweep["loki_sq"][i] == pytest.approx(d2l.mean())
        assert sweep["argmax_sq"][i] == pytest.approx(d2a.mean())
        assert sweep["loki_mistake_sq"][i] == pytest.approx(d2l[pred != labels].mean())
        assert sweep["gap"][i] == pytest.approx(d2l.mean() - d2a.mean())
        assert sweep["gap_low"][i] <= sweep["gap"][i] <= sweep["gap_high"][i]
        assert sweep["predicted_absent"][i] == pytest.approx(np.isin(pred, [1, 2, 3]).mean())
    fig = ex.plot_loki_squared_sweep([0.5, 5.0], sweep, 5.0, 0.5, 0.6, "line", "t")
    # left: argmax, Loki (error bars), two dashed mistake lines, two verticals
    assert [len(ax.lines) for ax in fig.axes][0] >= 5 and len(fig.axes) == 2
    assert len(fig.axes[1].lines) == 6
