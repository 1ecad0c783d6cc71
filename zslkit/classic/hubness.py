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
third remedy.

Taught in: notebooks/13_hubness.ipynb.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import skew

from zslkit.checks import check_range
from zslkit.classic.base import l2_normalize
from zslkit.metrics import per_class_accuracy


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


def k_occurrence_skewness(queries=None, prototypes=None, k: int = 10, scores=None) -> float:
    """Skewness (Fisher-Pearson, biased, as ``scipy.stats.skew``) of the k-occurrence.

    0 for a symmetric N_k distribution; large positive values mean hubs.
    """
    counts = k_occurrence(queries, prototypes, k, scores).astype(float)
    return float(skew(counts))


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
    candidates = np.asarray(candidates)
    s = np.asarray(scores)
    top = candidates[np.argsort(-s[:, candidates], axis=1)[:, :at]]
    return float(np.mean([t in row for t, row in zip(labels, top)]))


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
    dict name -> {"skew": skewness of N_k over all queries, "hits1", "hits5":
    :func:`hits_at` of the ``is_query`` queries among ``candidates``,
    "zsl3": per-class top-1 of those queries among the ``unseen`` classes}

    Taught in: notebooks/13_hubness.ipynb.
    """
    labels, is_query, unseen = np.asarray(labels), np.asarray(is_query), np.asarray(unseen)
    table = {}
    for name, s in scores.items():
        q = s[is_query]
        table[name] = {
            "skew": k_occurrence_skewness(scores=s, k=k),
            "hits1": hits_at(q, labels[is_query], candidates, 1),
            "hits5": hits_at(q, labels[is_query], candidates, 5),
            "zsl3": per_class_accuracy(labels[is_query], unseen[q[:, unseen].argmax(1)]),
        }
    return table
