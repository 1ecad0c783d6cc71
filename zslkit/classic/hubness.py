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
