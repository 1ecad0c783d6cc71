"""Hubness: a few class points become the nearest neighbour of almost everything.

In high dimensions, nearest-neighbour search from mapped images to class
points produces *hubs* (Radovanovic et al. 2010; Dinu et al. 2015). Count,
for every prototype, how many queries have it among their k nearest
neighbours (its k-occurrence ``N_k``); a right-skewed ``N_k`` distribution
means hubs. Two corrections re-rank with the query set in view:

- CSLS (Lample et al. 2018): ``2 cos(q, p) - r_Q(p) - r_P(q)``, where
  ``r_Q(p)`` is the mean cosine of p to its k nearest queries (a hub's
  penalty) and ``r_P(q)`` that of q to its k nearest prototypes.
- Inverted softmax (Smith et al. 2017): normalise ``exp(beta cos(q, p))``
  over the *queries* of each prototype instead of over prototypes.

Mapping in the reverse direction (``RidgeMap(direction="reverse")``) is the
third remedy. CSLS and the inverted softmax are transductive: a query's
scores depend on the whole query set (``r_Q(p)``, the softmax over queries).

The skewness of N_k depends on the label set as well as on hubs: compare it
with a retrieval without hubs of the same sizes (:func:`same_list_skewness`,
or the queries replaced by their class vectors) and use :func:`skewness_gap`
for the difference with its bootstrap interval.

Taught in: notebooks/13_hubness.ipynb.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.stats import skew

from zslkit.checks import check_range
from zslkit.classic.base import l2_normalize
from zslkit.metrics import per_class_accuracy
from zslkit.paths import data_dir

NOUNS_FILE = "vocab/artifact_nouns.json"  # under data/, written by same_domain_nouns


def _cosine(queries, prototypes) -> np.ndarray:
    return l2_normalize(queries) @ l2_normalize(prototypes).T


def k_occurrence(queries=None, prototypes=None, k: int = 10, scores=None) -> np.ndarray:
    """N_k: how often each prototype is among a query's k best (by cosine, or by ``scores``).

    Parameters
    ----------
    queries : (n_q, k_dim) array; prototypes : (n_p, k_dim) array
    scores : (n_q, n_p) array, optional; used instead of the cosine (e.g. CSLS scores)

    Returns
    -------
    (n_p,) int array summing to ``n_q * k``
    """
    if scores is None:
        scores = _cosine(queries, prototypes)
    scores = np.asarray(scores, dtype=float)
    check_range("k", k, 1, scores.shape[1], integer=True)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return np.bincount(top.ravel(), minlength=scores.shape[1])


def check_hubness_sizes(k: int, n_labels: int) -> None:
    """Raise a ValueError when the skewness of N_k is undefined: ``k >= n_labels``.

    When every query retrieves every label, each label's N_k equals the number
    of queries, N_k has no spread, and its skewness (a third moment divided by
    the cube of the standard deviation) is 0/0.

    Taught in: notebooks/13_hubness.ipynb (``-p n_distractors 0``).
    """
    if k >= n_labels:
        raise ValueError(
            f"k={k} with only {n_labels} labels: every query retrieves every label, so N_k is "
            f"constant and its skewness is undefined; choose k < {n_labels} (e.g. -p k 3) or "
            "add distractor labels"
        )


def _skew_of_counts(counts) -> float:
    counts = np.asarray(counts, dtype=float)
    if np.ptp(counts) == 0:
        raise ValueError(
            f"N_k is the same ({counts[0]:g}) for all {counts.size} labels: its skewness is "
            "undefined (every label is retrieved equally often)"
        )
    return float(skew(counts))


def k_occurrence_skewness(queries=None, prototypes=None, k: int = 10, scores=None) -> float:
    """Skewness (Fisher-Pearson, biased, as ``scipy.stats.skew``) of the k-occurrence.

    0 for a symmetric N_k distribution; large positive values mean a long
    right tail. It depends on the label set as much as on hubs: compare it
    with :func:`same_list_skewness` and with the skewness of a retrieval
    without hubs (e.g. queries replaced by their class vectors).
    Raises a ValueError where it is undefined (``k`` >= the number of labels,
    or N_k constant).
    """
    n_labels = np.shape(scores)[1] if scores is not None else np.shape(prototypes)[0]
    check_hubness_sizes(k, n_labels)
    return _skew_of_counts(k_occurrence(queries, prototypes, k, scores))


def same_list_skewness(n_labels: int, k: int) -> float:
    """Skewness of N_k when every query retrieves the same ``k`` labels (closed form).

    Then k labels have N_k = n_queries and the others 0: a two-point
    distribution with share ``p = k / n_labels`` at the top, whose skewness is
    ``(1 - 2p) / sqrt(p (1 - p))``, whatever the number of queries. With ten
    class names, ``k = 10`` and 1,000 distractors it is 9.90: a retrieval that
    always returns the ten class names (no hub among the distractors) already
    has a large skewness.

    Taught in: notebooks/13_hubness.ipynb.
    """
    check_range("n_labels", n_labels, 2, integer=True)
    check_hubness_sizes(k, n_labels)
    check_range("k", k, 1, n_labels - 1, integer=True)
    p = k / n_labels
    return float((1 - 2 * p) / np.sqrt(p * (1 - p)))


def _top_k(scores, k: int) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def skewness_gap(scores, baseline_scores, k: int = 10, n_resamples: int = 2000, seed: int = 0):
    """Skewness of N_k under ``scores`` minus that under ``baseline_scores``, with a bootstrap interval.

    The queries (rows, the same items in both) are resampled together, a
    paired percentile bootstrap: the k-occurrence of each resample is
    recounted from the queries' fixed top-k lists.

    Parameters
    ----------
    scores, baseline_scores : (n_q, n_labels) arrays over the same queries and labels
    k : neighbourhood size
    n_resamples : bootstrap resamples; seed : seed of the resampling

    Returns
    -------
    :class:`zslkit.stats.Interval` (95 %) of ``skew(N_k) - skew(N_k baseline)``

    Taught in: notebooks/13_hubness.ipynb.
    """
    from zslkit.stats import Interval

    scores, baseline_scores = np.asarray(scores), np.asarray(baseline_scores)
    if scores.shape != baseline_scores.shape:
        raise ValueError(
            f"scores {scores.shape} and baseline_scores {baseline_scores.shape} differ"
        )
    n_q, n_labels = scores.shape
    check_hubness_sizes(k, n_labels)
    check_range("n_resamples", n_resamples, 100, 10**6, integer=True)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_q, (n_resamples, n_q))  # resampled query rows
    flat = (draws + n_q * np.arange(n_resamples)[:, None]).ravel()
    weights = np.bincount(flat, minlength=n_resamples * n_q).reshape(n_resamples, n_q)
    weights = np.vstack([np.ones(n_q), weights])  # row 0: the data itself
    skews = []
    for s in (scores, baseline_scores):
        top = _top_k(s, k)  # (n_q, k): the resampled N_k are weights @ indicator
        rows = np.repeat(np.arange(n_q), k)
        indicator = sp.csr_matrix((np.ones(rows.size), (rows, top.ravel())), (n_q, n_labels))
        counts = np.asarray((indicator.T @ weights.T).T)  # (1 + n_resamples, n_labels)
        if np.ptp(counts[0]) == 0:
            _skew_of_counts(counts[0])  # raises: undefined
        centred = counts - counts.mean(axis=1, keepdims=True)
        m2, m3 = (centred**2).mean(axis=1), (centred**3).mean(axis=1)
        skews.append(m3 / np.where(m2 > 0, m2, np.nan) ** 1.5)
    gaps = skews[0] - skews[1]
    low, high = np.nanpercentile(gaps[1:], [2.5, 97.5])
    return Interval(float(gaps[0]), float(low), float(high), 0.95, "paired bootstrap over queries")


def csls_scores(queries, prototypes, k: int = 10) -> np.ndarray:
    """Cross-domain similarity local scaling: (n_q, n_p) scores.

    ``csls(q, p) = 2 cos(q, p) - r_Q(p) - r_P(q)`` with ``r_Q(p)`` the mean
    cosine between p and its k nearest queries and ``r_P(q)`` the mean
    cosine between q and its k nearest prototypes.
    """
    cos = _cosine(queries, prototypes)
    check_range("k", k, 1, min(cos.shape), integer=True)
    r_q = -np.sort(-cos, axis=0)[:k].mean(axis=0)  # (n_p,) per prototype, over queries
    r_p = -np.sort(-cos, axis=1)[:, :k].mean(axis=1)  # (n_q,) per query, over prototypes
    return 2 * cos - r_q[None, :] - r_p[:, None]


def inverted_softmax_scores(queries, prototypes, beta: float = 10.0) -> np.ndarray:
    """Inverted softmax: ``exp(beta cos(q, p)) / sum_q' exp(beta cos(q', p))``, (n_q, n_p).

    Each prototype's probability mass is spread over the queries, so a hub
    cannot claim every query with a high score.
    """
    check_range("beta", beta, 0.0)
    z = beta * _cosine(queries, prototypes)
    z = np.exp(z - z.max(axis=0, keepdims=True))
    return z / z.sum(axis=0, keepdims=True)


def hits_at(scores, labels, candidates, at: int) -> float:
    """Fraction of queries whose true label is among the ``at`` best-scored candidates.

    Parameters
    ----------
    scores : (n_q, n_labels) scores of every query for every label
    labels : (n_q,) true label of each query (a column index of ``scores``)
    candidates : label columns the search may return (e.g. unseen classes plus distractors)
    at : how many of the best candidates count as a hit

    Taught in: notebooks/13_hubness.ipynb (hits@1, hits@5).
    """
    return float(np.mean(hits_correct(scores, labels, candidates, at)))


def hits_correct(scores, labels, candidates, at: int) -> np.ndarray:
    """Per query: is its true label among the ``at`` best-scored candidates? (n_q,) bool.

    The per-item right/wrong of :func:`hits_at`, for paired intervals
    (:func:`zslkit.stats.paired_bootstrap`, :func:`zslkit.stats.mcnemar`).

    Taught in: notebooks/13_hubness.ipynb.
    """
    candidates = np.asarray(candidates)
    s = np.asarray(scores)
    top = candidates[np.argsort(-s[:, candidates], axis=1)[:, :at]]
    return np.array([t in row for t, row in zip(labels, top)], dtype=bool)


def reciprocal_ranks(scores, labels, candidates) -> np.ndarray:
    """Per query: 1 / the rank of its true label among ``candidates`` (1 = first), (n_q,).

    Ties count against the true label (rank = 1 + the number of candidates
    scored strictly higher). The mean is the mean reciprocal rank (MRR).

    Taught in: notebooks/13_hubness.ipynb.
    """
    candidates = np.asarray(candidates)
    s = np.asarray(scores, dtype=float)[:, candidates]
    column = {c: i for i, c in enumerate(candidates.tolist())}
    missing = sorted(set(np.asarray(labels).tolist()) - set(column))
    if missing:
        raise ValueError(f"labels {missing} are not among the candidates")
    true = s[np.arange(len(s)), [column[t] for t in np.asarray(labels).tolist()]]
    return 1.0 / (1 + (s > true[:, None]).sum(axis=1))


def hubness_table(scores: dict, labels, is_query, candidates, unseen, k: int = 10) -> dict:
    """Hubness and retrieval figures of several score matrices over the same label space.

    Parameters
    ----------
    scores : dict name -> (n_q, n_labels) scores (cosine, CSLS, ...)
    labels : (n_q,) true labels; is_query : (n_q,) bool, the queries scored by
        hits and ZSL accuracy (e.g. test images of unseen classes)
    candidates : label columns of the open search (unseen classes plus distractors)
    unseen : the unseen classes, for the closed ``len(unseen)``-way ZSL accuracy
    k : neighbourhood size of the k-occurrence

    Returns
    -------
    dict name -> {"skew": skewness of N_k over all queries, "hits1", "hits10":
    :func:`hits_at` of the ``is_query`` queries among ``candidates``, "mrr": their
    mean :func:`reciprocal_ranks`, "zsl3": per-class top-1 of those queries
    among the ``unseen`` classes}

    Taught in: notebooks/13_hubness.ipynb.
    """
    labels, is_query, unseen = np.asarray(labels), np.asarray(is_query), np.asarray(unseen)
    table = {}
    for name, s in scores.items():
        q, t = s[is_query], labels[is_query]
        table[name] = {
            "skew": k_occurrence_skewness(scores=s, k=k),
            "hits1": hits_at(q, t, candidates, 1),
            "hits10": hits_at(q, t, candidates, 10),
            "mrr": float(reciprocal_ranks(q, t, candidates).mean()),
            "zsl3": per_class_accuracy(t, unseen[q[:, unseen].argmax(1)]),
        }
    return table


def _plural_of(word: str, lemmas) -> bool:
    return (word.endswith("s") and word[:-1] in lemmas) or (
        word.endswith("es") and word[:-2] in lemmas
    )


def same_domain_nouns(
    n: int = 1500, lexname: str = "noun.artifact", root=None, vocabulary=None
) -> list[str]:
    """Frequent GloVe words whose first WordNet noun sense lies in ``lexname``.

    The candidate labels of the hubness chapter (``data/vocab/artifact_nouns.json``
    holds the output for the defaults). A word is kept, in GloVe frequency
    order, when it is letters only (3 or more), not an English stop word
    (scikit-learn's list), a WordNet noun whose most frequent sense is in
    ``lexname`` (supersense, ``man 5 lexnames``), not an adjective or adverb
    in WordNet, not an irregular verb form (``verb.exc``), tagged at least as
    often as a noun as in other parts of speech in SemCor (``cntlist``), not
    the plural of another noun, and never capitalised in any of its noun
    synsets (proper names such as "John" are dropped).

    Parameters
    ----------
    n : how many words; lexname : a noun supersense of
        :data:`zslkit.data.wordnet.LEXNAMES`; root : WordNet folder (default:
        the Debian files); vocabulary : words in frequency order (default:
        GloVe 6B's)

    Taught in: notebooks/13_hubness.ipynb (the candidate vocabulary).
    """
    import re
    from collections import defaultdict

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from zslkit.checks import check_choice
    from zslkit.data.semantics import glove_vocabulary
    from zslkit.data.wordnet import LEXNAMES, WordNet, _index

    check_choice("lexname", lexname, [x for x in LEXNAMES if x.startswith("noun.")])
    check_range("n", n, 1, integer=True)
    wn = WordNet(root)
    lemmas = _index(str(wn.root))
    tags = defaultdict(lambda: [0] * 6)  # SemCor counts per part of speech (1 = noun)
    for line in open(wn.root / "cntlist", encoding="utf-8"):
        count, key = line.split()[:2]
        lemma, sense = key.split("%")
        tags[lemma][int(sense[0])] += int(count)
    other = set()
    for name in ("index.adj", "index.adv"):
        other |= {ln.split()[0] for ln in open(wn.root / name) if not ln.startswith(" ")}
    other |= {ln.split()[0] for ln in open(wn.root / "verb.exc") if ln.strip()}
    raw = open(wn.root / "data.noun", "rb")  # noqa: SIM115 - seeks below

    def capitalised(offset, word):
        raw.seek(offset)
        parts = raw.readline().decode("utf-8").split()
        words = parts[4 : 4 + 2 * int(parts[3], 16) : 2]
        return any(w.lower() == word and w != word for w in words)

    out = []
    for word in glove_vocabulary() if vocabulary is None else vocabulary:
        offsets = lemmas.get(word)
        if not offsets or not re.fullmatch(r"[a-z]{3,}", word) or word in ENGLISH_STOP_WORDS:
            continue
        if word in other or _plural_of(word, lemmas):
            continue
        pos_counts = tags.get(word, [0] * 6)
        if pos_counts[1] < sum(pos_counts[2:]):  # more often a verb or adjective
            continue
        if wn.synset(offsets[0]).lexname != lexname:
            continue
        if any(capitalised(o, word) for o in offsets):
            continue
        out.append(word)
        if len(out) == n:
            break
    raw.close()
    return out


def candidate_nouns(n: int | None = None, exclude=()) -> list[str]:
    """The first ``n`` words of ``data/vocab/artifact_nouns.json`` not naming a class.

    A word is left out when it is a word of one of the ``exclude`` names (split
    on spaces, ``/`` and ``-``, lower case) or its plural, so that a class
    name is never duplicated by a distractor ("trousers" for "Trouser").

    Taught in: notebooks/13_hubness.ipynb.
    """
    import json
    import re

    with open(data_dir() / NOUNS_FILE, encoding="utf-8") as f:
        words = json.load(f)["words"]
    taken = {w for name in exclude for w in re.split(r"[\s/-]+", name.lower()) if w}
    kept = [w for w in words if w not in taken and not _plural_of(w, taken)]
    if n is not None:
        check_range("n", n, 0, len(kept), integer=True)
    return kept[:n]


def paired_comparisons(correct: dict, reference: str, seed: int = 0) -> dict:
    """Each method's per-item right/wrong against ``reference``'s: bootstrap interval and McNemar.

    Parameters
    ----------
    correct : dict name -> (n_items,) bool, the same items for every name
    reference : the name the others are compared with

    Returns
    -------
    dict name -> (:class:`zslkit.stats.Interval` of ``mean(name) - mean(reference)``,
    :class:`zslkit.stats.McNemar` with A = name, B = reference, or None when the
    per-item scores are not right/wrong), for every other name

    Taught in: notebooks/13_hubness.ipynb.
    """
    from zslkit.checks import check_choice
    from zslkit.stats import mcnemar, paired_bootstrap

    check_choice("reference", reference, list(correct))
    ref = np.asarray(correct[reference], dtype=float)
    out = {}
    for name, c in correct.items():
        if name == reference:
            continue
        c = np.asarray(c, dtype=float)
        binary = np.isin(c, (0, 1)).all() and np.isin(ref, (0, 1)).all()
        out[name] = (paired_bootstrap(c, ref, seed=seed), mcnemar(c, ref) if binary else None)
    return out
