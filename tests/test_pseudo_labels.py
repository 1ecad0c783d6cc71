"""GRIP-style pseudo-labelling: class-balanced selection and the schedule of k, against hand-worked cases."""

import numpy as np
import pytest
import torch

from zslkit.adapt.pseudo_labels import (
    IterativePseudoLabeler,
    fit_linear_probe,
    k_schedule,
    select_top_k_per_class,
    select_top_n_global,
)

torch.set_num_threads(1)

# 7 images, 3 classes. Worked by hand:
# argmax: img0->0 (0.7), img1->0 (0.9), img2->1 (0.6), img3->0 (0.5), img4->2 (0.8), img5->1 (0.95), img6->2 (0.4)
# class 0 members by confidence: img1 (0.9), img0 (0.7), img3 (0.5)
# class 1: img5 (0.95), img2 (0.6); class 2: img4 (0.8), img6 (0.4)
PROBS = np.array(
    [
        [0.70, 0.20, 0.10],
        [0.90, 0.05, 0.05],
        [0.30, 0.60, 0.10],
        [0.50, 0.30, 0.20],
        [0.10, 0.10, 0.80],
        [0.02, 0.95, 0.03],
        [0.35, 0.25, 0.40],
    ]
)


@pytest.mark.parametrize(
    "k, indices, labels",
    [
        (0, [], []),
        (1, [1, 4, 5], [0, 2, 1]),
        (2, [0, 1, 2, 4, 5, 6], [0, 0, 1, 2, 1, 2]),
        (3, [0, 1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 2, 1, 2]),
        (10, [0, 1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 2, 1, 2]),
    ],
)
def test_class_balanced_selection_hand_worked(k, indices, labels):
    got_indices, got_labels = select_top_k_per_class(PROBS, k)
    assert got_indices.tolist() == indices
    assert got_labels.tolist() == labels


def test_selection_never_exceeds_k_per_class_and_labels_once():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(5), size=200)
    indices, labels = select_top_k_per_class(torch.as_tensor(probs), 7)
    assert len(set(indices.tolist())) == len(indices)
    assert np.bincount(labels, minlength=5).max() <= 7
    # every kept image is more confident than every dropped image of its predicted class
    predicted, confidence = probs.argmax(1), probs.max(1)
    for c in range(5):
        kept = confidence[indices[labels == c]]
        dropped = confidence[np.setdiff1d(np.flatnonzero(predicted == c), indices)]
        if len(dropped):
            assert kept.min() >= dropped.max()


@pytest.mark.parametrize(
    "n, C, T, expected",
    [
        (2048, 64, 4, [8, 16, 24, 32]),  # 2048 / (64 * 4) = 8
        (100, 10, 3, [4, 8, 12]),  # ceil(100 / 30) = 4
        (10, 10, 1, [1]),
    ],
)
def test_k_schedule(n, C, T, expected):
    assert k_schedule(n, C, T) == expected
    assert k_schedule(n, C, T)[-1] * C >= n  # the last round may label every image


def test_bad_input_raises():
    with pytest.raises(ValueError, match="n_iterations"):
        k_schedule(10, 2, 0)
    with pytest.raises(ValueError, match="learner"):
        IterativePseudoLabeler(torch.eye(3), learner="svm").fit(torch.eye(3))
    with pytest.raises(ValueError, match="coop"):
        IterativePseudoLabeler(torch.eye(3), learner="coop").fit(torch.eye(3))


def test_pseudo_labelling_learns_a_shifted_domain_without_labels():
    """Two well-separated clusters whose text vectors point off-centre: pseudo-labels move the classifier to them."""
    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.arange(2).repeat_interleave(50)
    features = torch.nn.functional.normalize(
        centres[labels] + 0.3 * torch.randn(100, 3, generator=gen), dim=1
    )
    text = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.3, 0.0]]).T, dim=0
    )  # (d, C)
    zero_shot = float(((features @ text).argmax(1) == labels).float().mean())
    est = IterativePseudoLabeler(text, n_iterations=3, epochs=100, lr=0.05, logit_scale=10.0).fit(
        features
    )
    assert [h["k"] for h in est.history_] == [17, 34, 51]
    assert zero_shot < 0.95 and est.score(features, labels) > zero_shot
    assert est.predict_proba(features).shape == (100, 2)


def test_linear_probe_without_steps_is_the_normalised_start():
    init = torch.tensor([[3.0, 0.0], [4.0, 2.0]])
    assert torch.allclose(
        fit_linear_probe(torch.eye(2), [0, 1], init, epochs=0),
        torch.tensor([[0.6, 0.0], [0.8, 1.0]]),
    )


@pytest.mark.parametrize(
    "n, indices, labels",
    [
        # confidences by hand: img5 0.95, img1 0.9, img4 0.8, img0 0.7, img2 0.6, img3 0.5, img6 0.4
        (0, [], []),
        (2, [1, 5], [0, 1]),
        (4, [0, 1, 4, 5], [0, 0, 2, 1]),
        (9, [0, 1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 2, 1, 2]),
    ],
)
def test_global_selection_hand_worked(n, indices, labels):
    got_indices, got_labels = select_top_n_global(PROBS, n)
    assert got_indices.tolist() == indices
    assert got_labels.tolist() == labels


def test_unbalanced_labeler_takes_the_global_selection():
    # one confident cluster (class 0) and one unsure (class 1): the global
    # budget of k C = 2 images goes to class 0 alone, the balanced one to both
    features = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.8, 0.6], [0.75, 0.66]]), dim=1
    )
    text = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.6, 0.8]]).T, dim=0)
    kw = dict(n_iterations=2, epochs=0, logit_scale=10.0)
    unbalanced = IterativePseudoLabeler(text, balanced=False, **kw).fit(features)
    balanced = IterativePseudoLabeler(text, **kw).fit(features)
    assert unbalanced.history_[0]["pseudo_labels"].tolist() == [0, 0]
    assert sorted(balanced.history_[0]["pseudo_labels"].tolist()) == [0, 1]
