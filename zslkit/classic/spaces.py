"""Comparing semantic spaces over many seen / unseen splits, and asking why they differ.

One split of a few unseen classes is a small sample: a space can look best
or worst on it by the luck of which classes were held out. This module
scores the ridge map and ESZSL of chapter 10 in every semantic space on
many seen / unseen splits of the same classes, each split standardised and
fitted on its own seen classes only, and measures two properties of a
space's class-class similarity matrix that might explain its score.

Both models are solved in closed form once per split for all spaces at
once: their fits depend on the images only through the Gram matrix
``X^T X`` and the per-class sums of ``X``, which the spaces share.

Taught in: notebooks/11_semantic_spaces.ipynb.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from zslkit.checks import check_range
from zslkit.classic.base import l2_normalize
from zslkit.stats import Interval, t_interval


def class_splits(
    classes, n_unseen: int, n_splits: int | None = None, seed: int = 0
) -> list[tuple[list[int], list[int]]]:
    """Seen / unseen splits of ``classes``: every one, or a fixed random sample.

    Parameters
    ----------
    classes : sequence of int, the classes to split
    n_unseen : int, unseen classes per split (at least 2, fewer than ``len(classes)``)
    n_splits : int or None; None (or at least the number of possible splits)
        gives every split in lexicographic order of the unseen set, otherwise
        ``n_splits`` distinct splits drawn without replacement with ``seed``
    seed : int, the draw

    Returns
    -------
    list of ``(seen, unseen)`` pairs of sorted lists of int
    """
    classes = sorted(int(c) for c in classes)
    check_range("n_unseen", n_unseen, 2, len(classes) - 1, integer=True)
    combos = list(itertools.combinations(classes, n_unseen))
    if n_splits is not None:
        check_range("n_splits", n_splits, 2, integer=True)
        if n_splits < len(combos):
            pick = np.random.default_rng(seed).choice(len(combos), n_splits, replace=False)
            combos = [combos[i] for i in sorted(pick)]
    return [([c for c in classes if c not in u], list(u)) for u in combos]


def n_class_splits(n_classes: int, n_unseen: int) -> int:
    """The number of distinct seen / unseen splits, ``C(n_classes, n_unseen)``."""
    return math.comb(n_classes, n_unseen)


def _per_class_top1(predictions, labels, classes) -> float:
    return float(np.mean([np.mean(predictions[labels == c] == c) for c in classes]))


def score_spaces_over_splits(
    spaces: dict,
    train_features,
    train_labels,
    test_features,
    test_labels,
    splits,
    alpha: float = 1.0,
    gamma: float = 1.0,
    lam: float = 1.0,
) -> dict[str, dict[str, np.ndarray]]:
    """ZSL accuracy of the ridge map and ESZSL in every space on every split.

    For each split the features are standardised with the mean and (biased)
    standard deviation of that split's seen training images; the ridge map
    (:class:`zslkit.classic.RidgeMap`, forward, cosine) and ESZSL
    (:class:`zslkit.classic.ESZSL`) are fitted on them and scored by the
    ZSL protocol (per-class top-1 on the test images of the unseen classes,
    choosing among the unseen classes), as :func:`zslkit.classic.score_spaces`
    does for one split.

    Parameters
    ----------
    spaces : dict name -> (n_classes, k) class semantics
    train_features : (n, d) array; train_labels : (n,) int array
        training images of every class that can be seen in some split
    test_features : (m, d) array; test_labels : (m,) int array
    splits : list of (seen, unseen) class lists, e.g. from :func:`class_splits`
    alpha : ridge penalty of the ridge map; gamma, lam : ESZSL's penalties

    The closed forms run on one BLAS thread: on a busy machine that is the
    fastest, and the figures do not depend on the thread count.

    Returns
    -------
    dict space name -> {"ridge map": (n_splits,), "ESZSL": (n_splits,)} arrays
    """
    check_range("alpha", alpha, 0.0)
    check_range("gamma", gamma, 0.0)
    check_range("lam", lam, 0.0)
    with threadpool_limits(1, user_api="blas"):
        return _score_splits(
            spaces,
            train_features,
            train_labels,
            test_features,
            test_labels,
            splits,
            alpha,
            gamma,
            lam,
        )


def _score_splits(
    spaces, train_features, train_labels, test_features, test_labels, splits, alpha, gamma, lam
):
    X_all = np.asarray(train_features, dtype=float)
    y_all, yt_all = np.asarray(train_labels), np.asarray(test_labels)
    Xt_all = np.asarray(test_features, dtype=float)
    # every space enters only through its class-class Gram matrix K = S S^T
    grams = {
        name: np.asarray(S, dtype=float) @ np.asarray(S, dtype=float).T
        for name, S in spaces.items()
    }
    out = {name: {"ridge map": [], "ESZSL": []} for name in grams}
    classes = np.unique(y_all)
    # raw per-class moments, so each split's standardised Gram matrix is a sum
    n_raw = {c: float(np.sum(y_all == c)) for c in classes}
    sum_raw = {c: X_all[y_all == c].sum(0) for c in classes}
    sq_raw = {c: X_all[y_all == c].T @ X_all[y_all == c] for c in classes}
    for seen, unseen in splits:
        counts = np.array([n_raw[c] for c in seen])
        n, total = counts.sum(), sum(sq_raw[c] for c in seen)
        mean = sum(sum_raw[c] for c in seen) / n
        std = np.sqrt(np.clip(np.diag(total) / n - mean**2, 0, None))
        std = np.where(std == 0, 1.0, std)  # StandardScaler leaves constant dimensions unscaled
        # the standardised seen training images X: X^T X, per-class sums (X is centred)
        gram = (total - n * np.outer(mean, mean)) / np.outer(std, std)
        sums = np.stack([(sum_raw[c] - n_raw[c] * mean) / std for c in seen], 1)
        xty = 2 * sums  # ESZSL's X^T Y, Y = +1 own class, -1 otherwise (X sums to 0)
        ask = np.isin(yt_all, unseen)
        Xt, yt = (Xt_all[ask] - mean) / std, yt_all[ask]
        eye = np.eye(gram.shape[0])
        # ridge map: x W = x (G + alpha I)^-1 X^T S_y = a S_seen, plus the intercept
        ridge_a = Xt @ np.linalg.solve(gram + alpha * eye, sums) + counts / n
        eszsl_left = Xt @ np.linalg.solve(gram + gamma * eye, xty)  # (m, n_seen)
        for name, K in grams.items():
            K_ss, K_su = K[np.ix_(seen, seen)], K[np.ix_(seen, unseen)]
            # ridge: cosine of a S_seen with s_u, through K only
            norms = np.sqrt(np.einsum("ij,jk,ik->i", ridge_a, K_ss, ridge_a)).clip(1e-12)
            unseen_norms = np.sqrt(np.diag(K)[unseen]).clip(1e-12)
            ridge_scores = ridge_a @ K_su / norms[:, None] / unseen_norms[None, :]
            # ESZSL: S_s (S_s^T S_s + lam I)^-1 S_u^T = (K_ss + lam I)^-1 K_su (push-through)
            eszsl_scores = eszsl_left @ np.linalg.solve(K_ss + lam * np.eye(len(seen)), K_su)
            for method, scores in (("ridge map", ridge_scores), ("ESZSL", eszsl_scores)):
                pred = np.asarray(unseen)[np.argmax(scores, 1)]
                out[name][method].append(_per_class_top1(pred, yt, unseen))
    return {n: {m: np.asarray(v) for m, v in r.items()} for n, r in out.items()}


def _off_diagonal(matrix) -> np.ndarray:
    matrix = np.asarray(matrix)
    return matrix[~np.eye(matrix.shape[0], dtype=bool)]


def space_geometry(semantics, class_means) -> dict[str, float]:
    """Three numbers about a space's class-class cosine similarity matrix.

    Parameters
    ----------
    semantics : (n_classes, k) class vectors of one space
    class_means : (n_classes, d) mean image feature of each class (same rows)

    Returns
    -------
    dict with
        ``mean_cosine``: the mean off-diagonal cosine (high: every class looks
        like every other); ``spread``: their standard deviation (low: all
        pairs look equally alike); ``image_agreement``: Spearman's rank
        correlation between the off-diagonal cosines of the space and those
        of the class-mean image features (high: the space finds alike the
        classes that look alike).
    """
    S, M = np.asarray(semantics, dtype=float), np.asarray(class_means, dtype=float)
    if S.shape[0] != M.shape[0]:
        raise ValueError(
            f"semantics and class_means need one row per class, got {S.shape[0]} and {M.shape[0]}"
        )
    cos_s = _off_diagonal(l2_normalize(S) @ l2_normalize(S).T)
    cos_m = _off_diagonal(l2_normalize(M) @ l2_normalize(M).T)
    return {
        "mean_cosine": float(cos_s.mean()),
        "spread": float(cos_s.std()),
        "image_agreement": float(stats.spearmanr(cos_s, cos_m).statistic),
    }


def rank_correlation(
    x, y, confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> Interval:
    """Spearman's rank correlation of ``x`` and ``y`` with a percentile bootstrap interval.

    The pairs ``(x_i, y_i)`` (one per semantic space, say) are resampled
    together; resamples in which ``x`` or ``y`` is constant (no correlation
    defined) are drawn again, i.e. left out.

    Parameters
    ----------
    x, y : (n,) arrays, n >= 3
    confidence, n_resamples, seed : the interval's coverage, resamples, seed
    """
    check_range("confidence", confidence, 0.5, 0.999)
    check_range("n_resamples", n_resamples, 100, 10**7, integer=True)
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 3:
        raise ValueError(f"need two arrays of the same length >= 3, got {x.size} and {y.size}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    xs, ys = x[idx], y[idx]
    ok = (np.ptp(xs, 1) > 0) & (np.ptp(ys, 1) > 0)
    rx = stats.rankdata(xs[ok], axis=1)
    ry = stats.rankdata(ys[ok], axis=1)
    rx -= rx.mean(1, keepdims=True)
    ry -= ry.mean(1, keepdims=True)
    rho = (rx * ry).sum(1) / np.sqrt((rx**2).sum(1) * (ry**2).sum(1))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(rho, [tail, 100 - tail])
    estimate = float(stats.spearmanr(x, y).statistic)
    return Interval(estimate, float(low), float(high), confidence, "bootstrap over pairs")


def split_pool(data: dict, root=None, seed: int = 0, device: str = "cpu") -> dict:
    """The images to redraw seen / unseen splits from: every class that has training images.

    Fashion-MNIST has training images of all ten classes (the same cached
    subsets as :func:`zslkit.data.benchmarks.load_zsl_benchmark`), so its
    splits are drawn among all ten, with as many unseen classes as the
    benchmark's split. A GBU benchmark has training images of its seen
    classes only, so the splits are drawn among those (``trainval`` for
    training, ``test_seen`` for testing), with the same share of unseen
    classes (at least 2).

    Parameters
    ----------
    data : dict from :func:`zslkit.data.benchmarks.load_zsl_benchmark`
    root, seed, device : as given to that loader (Fashion-MNIST)

    Returns
    -------
    dict with ``train_features``, ``train_labels``, ``test_features``,
    ``test_labels`` (raw features of the pool's classes), ``classes`` (the
    pool, sorted) and ``n_unseen`` (unseen classes per split)
    """
    n_classes, n_unseen = len(data["class_names"]), len(data["unseen"])
    if data["dataset"] == "fashion_mnist":
        from zslkit.data.fashion import fashion_features

        xtr, ytr = fashion_features("train", seed=seed, root=root, device=device)
        xte, yte = fashion_features("test", seed=seed, root=root, device=device)
        return {
            "train_features": xtr,
            "train_labels": ytr,
            "test_features": xte,
            "test_labels": yte,
            "classes": sorted(int(c) for c in np.unique(ytr)),
            "n_unseen": n_unseen,
        }
    seen = sorted(int(c) for c in data["seen"])
    ask = np.isin(data["test_labels"], seen)
    return {
        "train_features": data["train_features"],
        "train_labels": data["train_labels"],
        "test_features": data["test_features"][ask],
        "test_labels": data["test_labels"][ask],
        "classes": seen,
        "n_unseen": max(2, round(len(seen) * n_unseen / n_classes)),
    }


def summarize_over_splits(scores: dict) -> dict[str, dict[str, Interval]]:
    """Mean accuracy over splits with a t interval, per space and method, best space first.

    Parameters
    ----------
    scores : dict from :func:`score_spaces_over_splits`

    Returns
    -------
    dict space name -> {"ridge map", "ESZSL", "both"} -> :class:`zslkit.stats.Interval`
    (``"both"``: the per-split mean of the two methods), ordered by the
    ``"both"`` estimate, highest first

    The splits share classes, so they are not independent samples: the
    interval says how much the mean moves between splits of these classes,
    not how it would move on a new set of classes.
    """
    table = {}
    for name, r in scores.items():
        table[name] = {m: t_interval(v) for m, v in r.items()}
        table[name]["both"] = t_interval((r["ridge map"] + r["ESZSL"]) / 2)
    return dict(sorted(table.items(), key=lambda kv: -kv[1]["both"].estimate))


def compare_with_best(scores: dict, n_top: int = 4) -> dict[str, Interval]:
    """The best space against each of the next ``n_top - 1``: per-split differences, t interval.

    The score of a space on a split is the mean of its two methods'
    accuracies (``"both"`` of :func:`summarize_over_splits`), and a
    comparison is the mean over splits of ``best - other`` with its t
    interval (a paired comparison: both spaces face the same split).

    Returns
    -------
    dict ``"best - other"`` -> :class:`zslkit.stats.Interval`, in rank order
    """
    check_range("n_top", n_top, 2, len(scores), integer=True)
    both = {n: (r["ridge map"] + r["ESZSL"]) / 2 for n, r in scores.items()}
    ranked = sorted(both, key=lambda n: -both[n].mean())[:n_top]
    best = ranked[0]
    return {f"{best} - {other}": t_interval(both[best] - both[other]) for other in ranked[1:]}
