"""Generalised zero-shot learning and the seen-class bias.

In GZSL a test image may belong to any class, seen or unseen. A model
fitted on seen classes scores them systematically higher, so nearly every
unseen image is labelled as some seen class (U near 0, H near 0).
Calibrated stacking (Chao et al. 2016) subtracts a constant gamma from
every seen-class score; sweeping gamma traces the seen-unseen accuracy
curve (its area is AUSUC, :func:`zslkit.metrics.ausuc`).

Choosing gamma must not look at unseen test labels. :func:`select_gamma`
does it by *class-wise cross-validation*: it hides some seen classes,
treats them as unseen, fits the model on the rest and keeps the gamma with
the best H there.

Taught in: notebooks/12_gzsl_calibration.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from zslkit.checks import check_range
from zslkit.metrics import harmonic_mean, seen_unseen_curve


def best_gamma(scores, labels, seen_classes, unseen_classes) -> tuple[float, float]:
    """The gamma of calibrated stacking with the highest H on ``(scores, labels)``, and that H.

    scores : (n, n_classes) with columns indexed by class; labels : (n,).
    """
    gammas, s, u = seen_unseen_curve(scores, labels, seen_classes, unseen_classes)
    h = np.array([harmonic_mean(a, b) for a, b in zip(s, u)])
    i = int(np.argmax(h))
    return float(gammas[i]), float(h[i])


def select_gamma(
    estimator,
    X,
    y,
    class_semantics,
    n_splits: int = 3,
    unseen_fraction: float = 0.3,
    validation_fraction: float = 0.2,
    seed: int = 0,
) -> float:
    """Pick the calibration gamma without unseen data, by class-wise cross-validation.

    For each of ``n_splits`` rounds: a random ``unseen_fraction`` of the seen
    classes become pseudo-unseen; a clone of ``estimator`` is fitted on
    ``1 - validation_fraction`` of the remaining classes' samples; gamma is
    the one that maximises H on the held-out samples of the pseudo-seen and
    all samples of the pseudo-unseen classes. Returns the median gamma.

    Parameters
    ----------
    estimator : a :class:`zslkit.classic.ZeroShotClassifier` (unfitted or fitted; it is cloned)
    X : (n, d) seen-class features; y : (n,) labels; class_semantics : (n_classes, k)
    """
    check_range("n_splits", n_splits, 1, integer=True)
    check_range("unseen_fraction", unseen_fraction, 0.0, 1.0)
    check_range("validation_fraction", validation_fraction, 0.0, 1.0)
    X, y = np.asarray(X), np.asarray(y)
    classes = np.unique(y)
    n_pseudo = max(1, int(round(unseen_fraction * classes.size)))
    if n_pseudo >= classes.size:
        raise ValueError(
            f"unseen_fraction={unseen_fraction} leaves no seen class among {classes.size}"
        )
    rng = np.random.default_rng(seed)
    gammas = []
    for _ in range(n_splits):
        pseudo_unseen = np.sort(rng.choice(classes, n_pseudo, replace=False))
        pseudo_seen = np.setdiff1d(classes, pseudo_unseen)
        in_seen = np.flatnonzero(np.isin(y, pseudo_seen))
        held = rng.random(in_seen.size) < validation_fraction
        train, val_seen = in_seen[~held], in_seen[held]
        val = np.concatenate([val_seen, np.flatnonzero(np.isin(y, pseudo_unseen))])
        model = clone(estimator).fit(X[train], y[train], class_semantics=class_semantics)
        scores = np.full((val.size, np.asarray(class_semantics).shape[0]), -np.inf)
        scores[:, classes] = model.decision_function(X[val], classes=classes)
        gammas.append(best_gamma(scores, y[val], pseudo_seen, pseudo_unseen)[0])
    return float(np.median(gammas))
