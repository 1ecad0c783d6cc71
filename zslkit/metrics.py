"""Evaluation metrics shared by the whole book.

Protocols follow Xian et al. (the "Good, Bad and Ugly" ZSL benchmark):
per-class mean top-1 accuracy, GZSL seen / unseen accuracy and their
harmonic mean, and the seen-unseen curve of calibrated stacking with its
area (AUSUC, Chao et al. 2016).

Taught in: notebooks/00_what_is_zero_shot.ipynb (per-class accuracy) and
the GZSL chapter (H, AUSUC).
"""

from __future__ import annotations

import numpy as np


def per_class_accuracy(labels, predictions, classes=None) -> float:
    """Mean over classes of the fraction of each class's samples predicted right.

    Parameters
    ----------
    labels, predictions : (n,) int arrays
    classes : iterable of int, optional
        The classes to average over (default: those present in ``labels``).
        A class in ``classes`` with no sample is an error.
    """
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels {labels.shape} and predictions {predictions.shape} differ in shape"
        )
    classes = np.unique(labels) if classes is None else np.asarray(list(classes))
    accs = []
    for c in classes:
        mask = labels == c
        if not mask.any():
            raise ValueError(f"class {c} has no sample in labels")
        accs.append(np.mean(predictions[mask] == c))
    return float(np.mean(accs))


def harmonic_mean(seen: float, unseen: float) -> float:
    """H = 2 S U / (S + U), and 0 when both are 0."""
    return 0.0 if seen + unseen == 0 else 2.0 * seen * unseen / (seen + unseen)


def gzsl_scores(labels, predictions, seen_classes, unseen_classes) -> dict[str, float]:
    """GZSL S, U and H from predictions over the union of seen and unseen classes.

    S is the per-class accuracy over test samples of seen classes, U over
    samples of unseen classes; a prediction counts only if it is the exact
    class among all of them.
    """
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    seen_classes = np.asarray(list(seen_classes))
    unseen_classes = np.asarray(list(unseen_classes))
    s_mask = np.isin(labels, seen_classes)
    u_mask = np.isin(labels, unseen_classes)
    s = per_class_accuracy(labels[s_mask], predictions[s_mask])
    u = per_class_accuracy(labels[u_mask], predictions[u_mask])
    return {"seen": s, "unseen": u, "h": harmonic_mean(s, u)}


def calibrated_predictions(scores, seen_mask, shift: float):
    """Calibrated stacking (Chao et al. 2016): subtract ``shift`` from seen-class scores.

    ``shift`` is the paper's calibration factor gamma (named apart from
    ESZSL's penalty gamma). scores : (n, c) array; seen_mask : (c,) bool array.
    """
    scores = np.asarray(scores, dtype=float)
    return np.argmax(scores - shift * np.asarray(seen_mask, dtype=float), axis=1)


def seen_unseen_curve(scores, labels, seen_classes, unseen_classes, n_points: int = 101):
    """The seen / unseen accuracy pairs of calibrated stacking as the shift sweeps.

    The shift runs over the range that takes predictions from all-seen to
    all-unseen. Returns ``(shifts, seen_acc, unseen_acc)`` arrays sorted by
    increasing shift.
    """
    scores = np.asarray(scores, dtype=float)
    n_classes = scores.shape[1]
    seen_mask = np.zeros(n_classes, dtype=bool)
    seen_mask[np.asarray(list(seen_classes))] = True
    gap = scores[:, seen_mask].max(axis=1) - scores[:, ~seen_mask].max(axis=1)
    lo, hi = gap.min() - 1e-6, gap.max() + 1e-6
    shifts = np.unique(np.concatenate([np.linspace(lo, hi, n_points), gap + 1e-9, gap - 1e-9]))
    ss, us = [], []
    for g in shifts:
        r = gzsl_scores(
            labels, calibrated_predictions(scores, seen_mask, g), seen_classes, unseen_classes
        )
        ss.append(r["seen"])
        us.append(r["unseen"])
    return shifts, np.array(ss), np.array(us)


def ausuc(seen_acc, unseen_acc) -> float:
    """Area under the seen-unseen accuracy curve (trapezoid rule over unseen accuracy)."""
    seen_acc = np.asarray(seen_acc, dtype=float)
    unseen_acc = np.asarray(unseen_acc, dtype=float)
    order = np.lexsort((-seen_acc, unseen_acc))
    u, s = unseen_acc[order], seen_acc[order]
    # Close the curve on both axes: (0, S at the lowest U) and (highest U, 0).
    u = np.concatenate([[0.0], u, [u[-1]]])
    s = np.concatenate([[s[0]], s, [0.0]])
    return float(np.trapezoid(s, u) if hasattr(np, "trapezoid") else np.trapz(s, u))
