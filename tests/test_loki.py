"""zslkit.vlm.loki against closed forms on a line, a brute-force loop and the arg max it generalises."""

import numpy as np
import pytest
import torch

from zslkit.models.zeroshot import ZeroShotClassifier
from zslkit.vlm.loki import (
    Loki,
    expected_distance,
    frechet_objective,
    frechet_predict,
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
