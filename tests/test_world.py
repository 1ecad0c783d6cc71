"""Tests of the pocket world against hand-worked cases, scipy and scikit-learn."""

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from zslkit.data import world


def test_class_names_and_parsing():
    names = world.class_names()
    assert (
        len(names) == 64 and names[:2] == ["red circle", "red square"] and names[-1] == "white ring"
    )
    assert len(world.class_names("colour_shape_pattern")) == 256
    assert world.class_names("shape_pattern")[1] == "striped circle"
    assert world.class_attributes("large orange dotted star", "colour_shape_pattern_size") == {
        "colour": "orange",
        "shape": "star",
        "pattern": "dotted",
        "size": "large",
    }
    for bad in ["circle red", "red", "pink circle", "red striped circle"]:
        with pytest.raises(ValueError):
            world.class_attributes(bad)
    with pytest.raises(ValueError, match="task"):
        world.class_names("colour")


@pytest.mark.parametrize("variant", world.VARIANTS)
def test_make_images_shapes_and_determinism(variant):
    classes = ["red circle", "blue star", "white ring"]
    images, labels = world.make_images(classes, 5, variant=variant, seed=3)
    again, _ = world.make_images(classes, 5, variant=variant, seed=3)
    other, _ = world.make_images(classes, 5, variant=variant, seed=4)
    assert images.shape == (15, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert np.array_equal(images, again) and not np.array_equal(images, other)
    assert images.std() > 10  # not blank
    big, _ = world.make_images(classes[:1], 2, variant=variant, size=64)
    assert big.shape == (2, 64, 64, 3)


def test_colour_is_rendered():
    images, labels = world.make_images(
        ["red square", "blue square"], 20, seed=0, task="colour_shape"
    )
    centre = (
        images[:, 12:20, 12:20].reshape(40, -1, 3).astype(float).mean(1)
    )  # large or small, the centre region
    red, blue = centre[labels == 0], centre[labels == 1]
    assert (red[:, 0] - red[:, 2]).mean() > 40 and (blue[:, 2] - blue[:, 0]).mean() > 40


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="variant"):
        world.make_images(["red circle"], 2, variant="cartoon")
    with pytest.raises(ValueError, match="n_per_class"):
        world.make_images(["red circle"], 0)


def test_attribute_matrix_hand_built():
    cols = world.attribute_names()
    assert cols[:8] == list(world.ATTRIBUTES["colour"]) and cols[8:] == list(
        world.ATTRIBUTES["shape"]
    )
    expected = np.zeros((3, 16))
    expected[0, [0, 8]] = 1  # red circle
    expected[1, [5, 9]] = 1  # blue square
    expected[2, [0, 15]] = 1  # red ring
    np.testing.assert_array_equal(
        world.attribute_matrix(["red circle", "blue square", "red ring"]), expected
    )
    m = world.attribute_matrix(["green striped heart"], task="colour_shape_pattern")
    assert m.shape == (1, 20) and np.flatnonzero(m[0]).tolist() == [3, 8 + 6, 16 + 1]


@pytest.mark.parametrize("colour_metric", ["hamming", "rgb"])
def test_class_distance_is_a_metric(colour_metric):
    rng = np.random.default_rng(0)
    names = list(rng.choice(world.class_names("colour_shape_pattern_size"), 60, replace=False))
    d = world.class_distance_matrix(names, "colour_shape_pattern_size", colour_metric=colour_metric)
    off = ~np.eye(len(names), dtype=bool)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and np.all(d[off] > 0)
    assert np.all(
        d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-12
    )  # d(i,k) <= d(i,j) + d(j,k)


def test_class_distance_hand_worked():
    d = world.class_distance_matrix(["red circle", "red square", "blue square"])
    np.testing.assert_array_equal(d, [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    d = world.class_distance_matrix(["red circle", "red square"], weights={"shape": 2.5})
    assert d[0, 1] == 2.5
    d = world.class_distance_matrix(
        ["red circle", "white circle", "cyan circle"], colour_metric="rgb"
    )
    red, white, cyan = (np.array(world.COLOUR_RGB[c], float) for c in ("red", "white", "cyan"))
    assert d[0, 1] / d[0, 2] == pytest.approx(
        np.linalg.norm(red - white) / np.linalg.norm(red - cyan)
    )


def test_default_split_file_and_property():
    split = world.load_split("default")
    assert split == world.generate_split("default")  # the shipped file is the generator's output
    assert split["version"] >= 1 and split["task"] == "colour_shape"
    assert split["classes"] == world.class_names("colour_shape")
    assert len(split["seen"]) == 48 and len(split["unseen"]) == 16
    assert set(split["seen"]).isdisjoint(split["unseen"])
    assert set(split["seen"]) | set(split["unseen"]) == set(split["classes"])
    for attribute in ("colour", "shape"):
        seen_values = [world.class_attributes(c)[attribute] for c in split["seen"]]
        unseen_values = [world.class_attributes(c)[attribute] for c in split["unseen"]]
        assert set(seen_values) == set(world.ATTRIBUTES[attribute])  # every value occurs among seen
        assert all(unseen_values.count(v) == 2 for v in world.ATTRIBUTES[attribute])
    with pytest.raises(ValueError, match="name"):
        world.load_split("nope")


def test_captions():
    every = {a: 1.0 for a in world.ATTRIBUTES}
    texts = world.captions(
        ["orange circle"] * 3,
        seed=0,
        mention_prob=every,
        caption_templates=["a {}.", "a photo of a {}."],
    )
    assert all(t in ("an orange circle.", "a photo of an orange circle.") for t in texts)
    full = {"colour": "red", "shape": "star", "pattern": "striped", "size": "large"}
    assert world.captions([full], mention_prob=every, caption_templates=["a {}."]) == [
        "a large red striped star."
    ]
    only_shape = {"colour": 0.0, "shape": 1.0, "pattern": 0.0, "size": 0.0}
    assert world.captions([full], mention_prob=only_shape, caption_templates=["a {}."]) == [
        "a star."
    ]
    only_colour = {**only_shape, "colour": 1.0, "shape": 0.0}
    assert world.captions([full], mention_prob=only_colour, caption_templates=["a {}."]) == [
        "a red shape."
    ]
    nothing = {a: 0.0 for a in world.ATTRIBUTES}
    assert world.captions([full], mention_prob=nothing, caption_templates=["a {}."]) == ["a star."]
    assert world.captions([full], seed=5) == world.captions([full], seed=5)
    texts = world.captions([full] * 4000, seed=1, mention_prob=0.2)  # float: pattern and size
    for word, p in (("striped", 0.2), ("large", 0.2), ("red", world.MENTION_PROB["colour"])):
        rate = np.mean([word in t for t in texts])
        assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / 4000), word
    assert all("star" in t or ("red" in t and "shape" in t) for t in texts)  # never an empty phrase
    assert len({t.split(" red")[0].split(" star")[0] for t in texts}) >= 10  # varied templates
    t = world.templates("zeroshot")
    assert len(t) == 5 and all(str(x) in {str(y) for y in world.templates("captions")} for x in t)
    with pytest.raises(ValueError, match="mention_prob"):
        world.captions([full], mention_prob={"texture": 0.5})


def test_pretraining_set_concept_frequency():
    weights = {"red": 6.0, "blue": 0.0}
    images, texts, labels, attrs = world.pretraining_set(
        3000, seed=0, concept_frequency=weights, return_attributes=True
    )
    seen = world.load_split()["seen"]
    assert images.shape == (3000, 32, 32, 3) and len(texts) == 3000 and labels.max() < len(seen)
    colours = np.array([world.class_attributes(seen[i])["colour"] for i in labels])
    assert np.array_equal(colours, np.array(world.ATTRIBUTES["colour"])[attrs["colour"]])
    mentioned = [[v for v in world.ATTRIBUTES["colour"] if v in t.split()] for t in texts]
    assert all(
        m in ([], [c]) for m, c in zip(mentioned, colours)
    )  # a caption names the true colour or none
    w = np.array([weights.get(c, 1.0) for c in world.ATTRIBUTES["colour"]])
    counts = np.array([(colours == c).sum() for c in world.ATTRIBUTES["colour"]])
    assert counts[w == 0].sum() == 0
    observed, expected = counts[w > 0], 3000 * w[w > 0] / w.sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    # a nuisance attribute: pattern weights set the pattern frequencies
    *_, attrs = world.pretraining_set(
        2000, seed=1, concept_frequency={"striped": 3}, return_attributes=True
    )
    counts = np.bincount(attrs["pattern"], minlength=4)
    assert stats.chisquare(counts, 2000 * np.array([1, 3, 1, 1]) / 6).pvalue > 1e-3
    with pytest.raises(ValueError, match="one attribute"):
        world.pretraining_set(10, concept_frequency={"red": 2, "circle": 2})


def test_clips_shapes_and_direction():
    clips, labels, names = world.make_clips(3, seed=0, frames=6)
    assert clips.shape == (3 * len(world.ACTIONS), 6, 32, 32, 3) and clips.dtype == np.uint8
    assert names == list(world.ACTIONS) and labels.tolist() == np.repeat(np.arange(8), 3).tolist()
    assert np.array_equal(clips, world.make_clips(3, seed=0, frames=6)[0])
    # Sketches: ink is dark on white paper, so the ink centroid tracks the object.
    clips, labels, names = world.make_clips(
        5,
        seed=1,
        variant="sketch",
        actions=["moving left", "moving right", "moving up", "moving down"],
    )
    ink = 255.0 - clips.astype(float).mean(-1)  # (n, T, H, W)
    ink = ink * (ink > 100)
    grid = np.arange(32)
    x = (ink.sum(2) * grid).sum(-1) / ink.sum((2, 3))
    y = (ink.sum(3) * grid).sum(-1) / ink.sum((2, 3))
    dx, dy = x[:, -1] - x[:, 0], y[:, -1] - y[:, 0]
    assert np.all(dx[labels == 0] < -5) and np.all(dx[labels == 1] > 5)
    assert np.all(dy[labels == 2] < -5) and np.all(dy[labels == 3] > 5)


def test_frame_average_cannot_tell_left_from_right():
    clips, labels, _ = world.make_clips(
        60, seed=2, frames=8, actions=["moving left", "moving right"]
    )
    x = clips.astype(np.float32)
    left, right = x[labels == 0], x[labels == 1]
    # the i-th left clip is the i-th right clip played backwards, up to pixel noise ...
    assert np.abs(left - right[:, ::-1]).mean() < 2.0
    assert np.abs(left - right).mean() > 5 * np.abs(left - right[:, ::-1]).mean()
    # ... so the average frames agree and a classifier on them is at chance
    assert np.abs(left.mean(1) - right.mean(1)).mean() < 1.0
    mean_frame = x.mean(1).reshape(len(x), -1) / 255.0
    clf = LogisticRegression(C=0.1, max_iter=200)
    assert cross_val_score(clf, mean_frame, labels, cv=4).mean() < 0.7


def test_rotation_direction():
    """Each frame is the previous one turned clockwise (on screen) for "rotating clockwise"."""
    clips, labels, _ = world.make_clips(
        8, seed=3, variant="sketch", actions=["rotating clockwise", "rotating anticlockwise"]
    )
    ink = (255.0 - clips.astype(float).mean(-1)) > 100  # (n, T, H, W): pen strokes
    turns = np.deg2rad(np.arange(-24, 25, 4))
    best = []
    for clip in ink:
        cy, cx = np.array(np.nonzero(clip.any(0))).mean(1)
        score = np.zeros(len(turns))
        for a, b in zip(clip[:-1], clip[1:]):
            ys, xs = np.nonzero(a)
            for k, phi in enumerate(
                turns
            ):  # turn the ink of frame t by phi; (x right, y down): phi > 0 is clockwise
                xr = cx + np.cos(phi) * (xs - cx) - np.sin(phi) * (ys - cy)
                yr = cy + np.sin(phi) * (xs - cx) + np.cos(phi) * (ys - cy)
                score[k] += b[
                    np.clip(np.rint(yr), 0, 31).astype(int), np.clip(np.rint(xr), 0, 31).astype(int)
                ].mean()
        best.append(turns[score.argmax()])
    best = np.array(best)
    step = np.rad2deg(np.pi / 3 / 7)  # 60 degrees over 8 frames
    assert np.mean(best[labels == 0] > 0) >= 0.75 and np.mean(best[labels == 1] < 0) >= 0.75
    assert abs(np.rad2deg(np.median(best[labels == 0])) - step) <= 4
    assert abs(np.rad2deg(np.median(best[labels == 1])) + step) <= 4


def test_shares_attribute_and_its_chance_by_hand():
    from zslkit.data.world import chance_of_sharing, shares_attribute

    shared = shares_attribute(["red circle", "blue square"], ["red square", "green star"])
    assert shared.tolist() == [True, False]
    candidates = ["red circle", "blue square", "green ring"]
    assert chance_of_sharing(candidates, ["red square"]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one each"):
        shares_attribute(["red circle"], [])


def test_a_random_seen_guess_shares_an_attribute_a_quarter_of_the_time():
    """Counted on the class names: colour or shape word in common."""
    from zslkit.data.world import chance_of_sharing, load_split

    split = load_split("default")
    rates = [
        np.mean([bool(set(s.split()) & set(u.split())) for s in split["seen"]])
        for u in split["unseen"]
    ]
    assert chance_of_sharing(split["seen"], split["unseen"]) == pytest.approx(np.mean(rates))
    assert np.mean(rates) == pytest.approx(0.25)
