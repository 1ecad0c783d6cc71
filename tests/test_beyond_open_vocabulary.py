"""zslkit.beyond.open_vocabulary against hand-worked cases, scipy and scikit-learn."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from zslkit.beyond import open_vocabulary as ov
from zslkit.data import world
from zslkit.data.wordnet import DEBIAN_ROOT

RED_CIRCLE = {"colour": "red", "shape": "circle", "pattern": "striped", "size": "large"}


def test_finer_names_and_their_attributes():
    names = ov.finer_names(["red circle"])
    assert len(names) == 14 and len(set(names)) == 14
    assert "red striped circle" in names and "large red circle" in names
    assert "large red checked circle" in names and "red circle" not in names
    assert len(ov.finer_names(world.class_names())) == 896
    assert ov.name_attributes("large red striped circle") == RED_CIRCLE
    assert ov.name_attributes("ring") == {"shape": "ring"}
    assert ov.name_attributes("sandal") is None
    assert ov.name_attributes("red blue circle") is None  # two colours


def test_the_three_rules_on_hand_worked_names():
    predicted = [
        "red circle",  # the true name
        "large red striped circle",  # finer and true of the image
        "small red striped circle",  # finer, but the image is large
        "red dotted circle",  # finer, but the image is striped
        "blue circle",  # wrong colour
        "circle",  # coarser: no colour
        "sandal",  # a WordNet noun
    ]
    n = len(predicted)
    args = (predicted, ["red circle"] * n, [RED_CIRCLE] * n)
    assert ov.is_correct(*args, "exact").tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert ov.is_correct(*args, "consistent").tolist() == [1, 1, 0, 0, 0, 0, 0]
    assert ov.is_correct(*args, "lenient").tolist() == [1, 1, 1, 1, 0, 0, 0]


def test_bad_rule_and_lengths_are_named():
    with pytest.raises(ValueError, match=r"rule='loose' is not valid; choose one of: 'consistent'"):
        ov.is_correct(["red circle"], ["red circle"], [RED_CIRCLE], "loose")
    with pytest.raises(ValueError, match="one entry per image"):
        ov.is_correct(["red circle"], [], [RED_CIRCLE])


def test_votes_by_hand():
    partition = np.array([0, 0, 0, 1, 1])
    top1 = np.array([2, 2, 0, 1, 2])
    votes = ov.cluster_votes(partition, top1, n_words=4)
    np.testing.assert_allclose(votes, [[1 / 3, 0, 2 / 3, 0], [0, 0.5, 0.5, 0]])
    with pytest.raises(ValueError, match="at least one image"):
        ov.cluster_votes(np.array([0, 2]), np.array([0, 1]), 3)


def test_hungarian_words_against_brute_force_and_scipy():
    rng = np.random.default_rng(0)
    votes = rng.random((3, 5))
    words = ov.hungarian_words(votes)
    best = max(itertools.permutations(range(5), 3), key=lambda p: votes[[0, 1, 2], p].sum())
    assert tuple(words) == best
    rows, cols = linear_sum_assignment(-votes)
    assert words[rows].tolist() == cols.tolist()
    # two clusters prefer word 0: the one with the larger vote keeps it
    assert ov.hungarian_words(np.array([[0.9, 0.1, 0.0], [0.6, 0.3, 0.1]])).tolist() == [0, 1]
    with pytest.raises(ValueError, match="V >= K"):
        ov.hungarian_words(np.ones((3, 2)))


def test_realign_by_hand():
    scores = np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6], [0.1, 0.2, 0.3]])
    partition, predicted = ov.realign(scores, np.array([2, 1]))  # word 0 not chosen
    assert predicted.tolist() == [1, 1, 2]
    assert partition.tolist() == [0, 0, 1]


def test_cluster_vote_realign_on_two_blobs():
    rng = np.random.default_rng(1)
    centres = np.array([[1.0, 0.0], [0.0, 1.0]])
    features = np.repeat(centres, 10, axis=0) + 0.05 * rng.standard_normal((20, 2))
    words = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])  # word 2 sits between them
    scores = features @ words.T
    scores[:3, 2] = 2.0  # three images of blob 0 vote for the in-between word
    out = ov.cluster_vote_realign(scores, features, n_clusters=2, seed=0)
    kmeans = KMeans(2, n_init=3, random_state=0).fit_predict(features)
    np.testing.assert_array_equal(out["initial_partition"], kmeans)
    assert sorted(out["words"].tolist()) == [0, 1]  # the majority words win the votes
    assert out["predicted"].tolist() == [0] * 10 + [1] * 10
    with pytest.raises(ValueError, match="n_clusters=4 is out of range"):
        ov.cluster_vote_realign(scores, features, n_clusters=4)


def test_cluster_accuracy_against_brute_force():
    rng = np.random.default_rng(2)
    labels, partition = rng.integers(0, 3, 30), rng.integers(0, 3, 30)
    brute = max(np.mean(np.array(p)[partition] == labels) for p in itertools.permutations(range(3)))
    assert ov.cluster_accuracy(labels, partition) == pytest.approx(brute)
    assert ov.cluster_accuracy(np.array([0, 0, 1]), np.array([1, 1, 0])) == 1.0


def test_share_of_gap_closed_by_hand():
    baseline = np.array([1, 0, 0, 0, 1, 0, 1, 0, 0, 0] * 5)  # 0.3
    method = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0] * 5)  # 0.4
    oracle = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0] * 5)  # 0.6
    ci = ov.share_of_gap_closed(baseline, method, oracle, n_resamples=2000)
    assert ci.estimate == pytest.approx(1 / 3)
    assert ci.low < 1 / 3 < ci.high
    with pytest.raises(ValueError, match="no gap"):
        ov.share_of_gap_closed(baseline, method, baseline)


def test_vocabulary_columns_are_nested():
    cols = ov.vocabulary_columns(2, 3, [0, 2])
    assert cols["nouns", 0].tolist() == [0, 1]
    assert cols["nouns", 2].tolist() == [0, 1, 5, 6]
    assert cols["finer + nouns", 2].tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_open_set_knows_every_attribute():
    data = ov.pocket_open_set(1, seed=0, size=16)
    assert data["images"].shape == (512, 16, 16, 3)
    assert np.bincount(data["labels"]).tolist() == [8] * 64
    for label, attrs in zip(data["labels"][::37], data["attributes"][::37]):
        assert data["class_names"][label] == f"{attrs['colour']} {attrs['shape']}"


@pytest.mark.skipif(not (DEBIAN_ROOT / "index.noun").exists(), reason="WordNet not installed")
def test_distractor_nouns_are_nested_and_exclude():
    small, large = ov.distractor_nouns(5, seed=3), ov.distractor_nouns(50, seed=3)
    assert large[:5] == small and len(set(large)) == 50
    assert small[0] not in ov.distractor_nouns(5, seed=3, exclude=[small[0]])


def test_parameter_checks_name_the_bad_value():
    assert ov.check_parameters("photo", "exact", 2, 3, "0,10,100", "a {}.") == [0, 10, 100]
    with pytest.raises(ValueError, match=r"variant='cartoon' is not valid"):
        ov.check_parameters("cartoon", "exact", 2, 3, "0", "a {}.")
    with pytest.raises(ValueError, match=r"noun_counts='100,10' must be increasing"):
        ov.check_parameters("photo", "exact", 2, 3, "100,10", "a {}.")
    with pytest.raises(ValueError, match=r"noun_counts='a,b' must be comma-separated"):
        ov.check_parameters("photo", "exact", 2, 3, "a,b", "a {}.")
    with pytest.raises(ValueError, match=r"template='a photo' must hold exactly one"):
        ov.check_parameters("photo", "exact", 2, 3, "0", "a photo")


def test_figure_names():
    rows = [
        dict(ladder="nouns", n_nouns=5, method="CLIP", accuracy=0.5),
        dict(ladder="finer + nouns", n_nouns=0, method="S3A (CVR)", accuracy=0.25),
    ]
    assert ov.figure_names({"rows": rows}) == {"clip_nouns_5": 0.5, "s3a_finer_0": 0.25}
