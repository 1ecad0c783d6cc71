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
    assert list(row) == ["skew", "hits1", "hits10", "mrr", "zsl3"]
    counts = np.zeros(n_labels)
    for r in s:  # k-occurrence over every query, not only is_query
        counts[np.argsort(-r)[:k]] += 1
    assert row["skew"] == pytest.approx(skew(counts))
    q, t = s[is_query], labels[is_query]
    top1 = candidates[np.argmax(q[:, candidates], axis=1)]
    assert row["hits1"] == pytest.approx(np.mean(top1 == t))
    ranks = [1 + sum(r[c] > r[tt] for c in candidates) for r, tt in zip(q, t)]
    assert row["mrr"] == pytest.approx(np.mean(1 / np.array(ranks)))
    pred = np.where(q[:, 3] >= q[:, 4], 3, 4)
    assert row["zsl3"] == pytest.approx(np.mean([np.mean(pred[t == c] == c) for c in unseen]))


def test_skewness_is_undefined_when_every_label_is_retrieved():
    from zslkit.classic import check_hubness_sizes

    rng = np.random.default_rng(5)
    s = rng.normal(size=(30, 10))
    with pytest.raises(ValueError, match="undefined"):
        k_occurrence_skewness(scores=s, k=10)  # N_k = 30 for every label
    with pytest.raises(ValueError, match="k=10 with only 10 labels"):
        check_hubness_sizes(10, 10)
    check_hubness_sizes(3, 10)  # fine
    # every query the same top 2 of 5 labels would be defined; all labels equal is not
    with pytest.raises(ValueError, match="undefined"):
        k_occurrence_skewness(scores=np.eye(4)[[0, 1, 2, 3] * 2], k=1)  # N_1 = 2 each


def test_same_list_skewness_against_scipy():
    from zslkit.classic import same_list_skewness

    for n_labels, k in [(1010, 10), (50, 3), (12, 10)]:
        counts = np.r_[np.full(k, 77.0), np.zeros(n_labels - k)]  # k labels take every query
        assert same_list_skewness(n_labels, k) == pytest.approx(skew(counts), rel=1e-12)
    assert same_list_skewness(1010, 10) == pytest.approx(9.90, abs=0.005)
    with pytest.raises(ValueError, match="undefined"):
        same_list_skewness(10, 10)


def test_skewness_gap_against_a_plain_bootstrap_loop():
    from zslkit.classic import skewness_gap

    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(40, 15)), rng.normal(size=(40, 15))
    a[:, 0] += 2.0  # label 0 a hub under a
    k = 3

    def skew_of(s, rows):
        counts = np.zeros(15)
        for r in rows:
            counts[np.argsort(-s[r])[:k]] += 1
        return skew(counts)

    got = skewness_gap(a, b, k, n_resamples=200, seed=3)
    assert got.estimate == pytest.approx(skew_of(a, range(40)) - skew_of(b, range(40)))
    draw = np.random.default_rng(3)
    gaps = []
    for _ in range(200):
        rows = draw.integers(0, 40, 40)
        gaps.append(skew_of(a, rows) - skew_of(b, rows))
    assert got.low == pytest.approx(np.percentile(gaps, 2.5))
    assert got.high == pytest.approx(np.percentile(gaps, 97.5))
    assert got.low > 0  # the hub shows


def test_reciprocal_ranks_and_hits_correct_against_loops():
    from zslkit.classic import hits_correct, reciprocal_ranks

    rng = np.random.default_rng(7)
    s = rng.normal(size=(25, 9))
    labels = rng.integers(0, 3, size=25)
    candidates = np.array([0, 1, 2, 5, 6, 8])
    expected = []
    for row, t in zip(s, labels):
        order = sorted(candidates, key=lambda c: -row[c])
        expected.append(1 / (1 + order.index(t)))
    np.testing.assert_allclose(reciprocal_ranks(s, labels, candidates), expected)
    hits = [t in sorted(candidates, key=lambda c: -row[c])[:2] for row, t in zip(s, labels)]
    np.testing.assert_array_equal(hits_correct(s, labels, candidates, 2), hits)
    with pytest.raises(ValueError, match="not among the candidates"):
        reciprocal_ranks(s, np.full(25, 4), candidates)


def test_paired_comparisons_against_the_stats_functions():
    from zslkit.classic import paired_comparisons
    from zslkit.stats import mcnemar, paired_bootstrap

    rng = np.random.default_rng(8)
    a, b = rng.random(50) < 0.7, rng.random(50) < 0.5
    out = paired_comparisons({"ref": b, "new": a, "soft": rng.random(50)}, "ref")
    assert set(out) == {"new", "soft"}
    iv, test = out["new"]
    assert iv == paired_bootstrap(a, b)
    assert iv.estimate == pytest.approx(a.mean() - b.mean())
    assert (test.only_a, test.only_b) == (int(np.sum(a & ~b)), int(np.sum(~a & b)))
    assert test == mcnemar(a, b)
    assert out["soft"][1] is None  # not right/wrong: no McNemar
    with pytest.raises(ValueError, match="reference"):
        paired_comparisons({"a": a}, "b")


def test_candidate_nouns_leave_out_class_words_and_plurals():
    import json

    from zslkit.classic import candidate_nouns
    from zslkit.paths import data_dir

    words = json.loads((data_dir() / "vocab" / "artifact_nouns.json").read_text())["words"]
    assert len(words) == len(set(words)) == 1500
    names = ["T-shirt/top", "Trouser", "Ankle boot", "Bag"]
    got = candidate_nouns(None, exclude=names)
    banned = {"t", "shirt", "top", "trouser", "trousers", "ankle", "boot", "boots", "bag", "bags"}
    assert not banned & set(got)
    assert got == [w for w in words if w not in banned]  # order kept, nothing else removed
    assert candidate_nouns(5, exclude=names) == got[:5]
    with pytest.raises(ValueError, match="n"):
        candidate_nouns(len(got) + 1, exclude=names)


def test_same_domain_nouns_hand_picked_words():
    from zslkit.data.wordnet import DEBIAN_ROOT

    if not (DEBIAN_ROOT / "cntlist").exists():
        pytest.skip("WordNet files (Debian wordnet-base) not installed")
    from zslkit.classic import same_domain_nouns

    vocabulary = ["the", "shirt", "shirts", "john", "quickly", "dog", "jacket", "car", "run"]
    # the: stop word; shirts: plural; john: "John" is capitalised in WordNet;
    # quickly: no noun; dog: an animal; run: more often a verb
    assert same_domain_nouns(10, vocabulary=vocabulary) == ["shirt", "jacket", "car"]
    assert same_domain_nouns(2, vocabulary=vocabulary) == ["shirt", "jacket"]
    assert same_domain_nouns(10, "noun.animal", vocabulary=vocabulary) == ["dog"]
    with pytest.raises(ValueError, match="lexname"):
        same_domain_nouns(10, "noun.nothing", vocabulary=vocabulary)


def test_notebook_with_the_class_names_alone(tmp_path):
    """``-p n_distractors 0`` (the chapter's "What to try"): a clear error at k = 10, a result at k = 3."""
    import json
    import subprocess
    import sys

    def run(*params):
        cmd = [sys.executable, "-m", "zslkit.nbtools.cli", "run", "13_hubness"]
        cmd += ["--out", str(tmp_path), "-p", "n_distractors", "0", *params]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=900)

    proc = run()  # k = 10 = the number of labels: N_k constant
    assert proc.returncode != 0
    assert "k=10 with only 10 labels" in proc.stdout + proc.stderr
    proc = run("-p", "k", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    p = 3 / 10  # every query the same 3 of the 10 labels: two-point N_k
    assert results["same_list_skew"] == pytest.approx((1 - 2 * p) / np.sqrt(p * (1 - p)))
    skews = [v for name, v in results.items() if name.endswith("_skew")]
    assert len(skews) >= 5 and np.isfinite(skews).all()
    assert results["cosine_hits10"] == 1.0  # 3 candidates: all within the first ten
