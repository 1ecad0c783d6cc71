"""Hubness measures and corrections against scipy and hand-worked cases."""

import numpy as np
import pytest
from scipy.stats import skew

from zslkit.classic import csls_scores, inverted_softmax_scores, k_occurrence, k_occurrence_skewness


def test_k_occurrence_and_skewness_against_brute_force():
    rng = np.random.default_rng(0)
    Q, P = rng.normal(size=(50, 8)), rng.normal(size=(20, 8))
    k = 3
    cos = (Q / np.linalg.norm(Q, axis=1, keepdims=True)) @ (
        P / np.linalg.norm(P, axis=1, keepdims=True)
    ).T
    counts = np.zeros(20, dtype=int)
    for row in cos:
        for j in np.argsort(-row)[:k]:
            counts[j] += 1
    np.testing.assert_array_equal(k_occurrence(Q, P, k), counts)
    assert k_occurrence_skewness(Q, P, k) == pytest.approx(skew(counts.astype(float)))


def test_a_hub_gives_positive_skew():
    rng = np.random.default_rng(1)
    P = rng.normal(size=(30, 10))
    Q = rng.normal(size=(200, 10)) + 3.0  # every query points along the all-ones direction
    P[0] = np.ones(10)  # one prototype lies on that direction: a hub
    counts = k_occurrence(Q, P, 1)
    assert counts[0] > 150
    assert k_occurrence_skewness(Q, P, 1) > 3


def test_csls_hand_worked():
    # prototypes p1 (angle 36.87 deg, a hub) and p2 (90 deg); queries at 0, 60 and 36.87 deg
    P = np.array([[0.8, 0.6], [0.0, 1.0]])
    Q = np.array([[1.0, 0.0], [0.5, np.sqrt(3) / 2], [0.8, 0.6]])
    cos = Q @ P.T
    # k = 2: r_Q(p) = mean of p's two best query cosines, r_P(q) = mean over both prototypes
    r_q = np.array([(cos[1, 0] + cos[2, 0]) / 2, (cos[1, 1] + cos[2, 1]) / 2])
    r_p = cos.mean(axis=1)
    expected = 2 * cos - r_q[None, :] - r_p[:, None]
    got = csls_scores(Q, P, k=2)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # the 60-degree query is nearer the hub by cosine, but CSLS gives it to p2
    assert cos[1].argmax() == 0 and got[1].argmax() == 1


def test_inverted_softmax_hand_worked():
    P = np.array([[1.0, 0.0], [0.0, 1.0]])
    Q = np.array([[1.0, 0.0], [0.6, 0.8]])
    beta = 2.0
    got = inverted_softmax_scores(Q, P, beta)
    # column p1: exp(2 * 1) and exp(2 * 0.6), normalised over the two queries
    e1, e2 = np.exp(2.0), np.exp(1.2)
    assert got[0, 0] == pytest.approx(e1 / (e1 + e2))
    assert got[1, 0] == pytest.approx(e2 / (e1 + e2))
    np.testing.assert_allclose(got.sum(axis=0), 1.0)


def test_hits_at_against_a_plain_loop():
    from zslkit.classic import hits_at

    rng = np.random.default_rng(3)
    scores = rng.normal(size=(40, 12))
    labels = rng.integers(0, 4, size=40)
    candidates = np.array([0, 1, 2, 3, 8, 9, 10])
    for at in (1, 3):
        hits = 0
        for row, t in zip(scores, labels):
            ranked = sorted(candidates, key=lambda c: -row[c])
            hits += t in ranked[:at]
        assert hits_at(scores, labels, candidates, at) == pytest.approx(hits / 40)
    assert hits_at(scores, labels, candidates, len(candidates)) == 1.0


def test_hubness_table_against_scipy_and_loops():
    from zslkit.classic import hubness_table

    rng = np.random.default_rng(4)
    n_labels, k = 15, 3
    s = rng.normal(size=(60, n_labels))
    labels = rng.integers(0, 5, size=60)
    is_query = labels >= 3
    unseen, candidates = [3, 4], np.array([3, 4, 10, 11, 12, 13, 14])
    row = hubness_table({"a": s}, labels, is_query, candidates, unseen, k=k)["a"]
    assert list(row) == ["skew", "hits1", "hits5", "zsl3"]
    counts = np.zeros(n_labels)
    for r in s:  # k-occurrence over every query, not only is_query
        counts[np.argsort(-r)[:k]] += 1
    assert row["skew"] == pytest.approx(skew(counts))
    q, t = s[is_query], labels[is_query]
    top1 = candidates[np.argmax(q[:, candidates], axis=1)]
    assert row["hits1"] == pytest.approx(np.mean(top1 == t))
    pred = np.where(q[:, 3] >= q[:, 4], 3, 4)
    assert row["zsl3"] == pytest.approx(np.mean([np.mean(pred[t == c] == c) for c in unseen]))
