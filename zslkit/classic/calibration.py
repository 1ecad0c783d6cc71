"""Generalised zero-shot learning and the seen-class bias.

In GZSL a test image may belong to any class, seen or unseen. A model
fitted on seen classes scores them systematically higher, so nearly every
unseen image is labelled as some seen class (U near 0, H near 0).
Calibrated stacking (Chao et al. 2016) subtracts a constant *shift* from
every seen-class score; sweeping the shift traces the seen-unseen accuracy
curve (its area is AUSUC, :func:`zslkit.metrics.ausuc`). Chao et al. call
the constant gamma; here it is the ``shift``, because gamma is already
ESZSL's ridge penalty.

Choosing the shift must not look at unseen test labels. :func:`select_shift`
does it by *class-wise cross-validation*: it hides some seen classes,
treats them as unseen, fits the model on the rest and keeps the shift with
the best H there. The models of those rounds know fewer classes than the
final one, so their scores may live on another scale; :func:`select_shift`
also reports the shift measured in units of each model's own score spread
(:func:`score_scale`), carried over to the final model's scale.
:func:`compare_calibration` measures both choices against no calibration
and against the best shift on the test set, with intervals.

Taught in: notebooks/12_gzsl_calibration.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from zslkit.checks import check_range
from zslkit.classic.intervals import per_class_bootstrap
from zslkit.metrics import calibrated_predictions, gzsl_scores


def best_shift(scores, labels, seen_classes, unseen_classes) -> tuple[float, float]:
    """The shift of calibrated stacking with the highest H on ``(scores, labels)``, and that H.

    The candidate shifts are those of :func:`zslkit.metrics.seen_unseen_curve`
    (a grid over the range of seen-minus-unseen score gaps, and just either
    side of every image's gap); H is evaluated at all of them at once: an
    image takes its best seen class when its gap exceeds the shift, else its
    best unseen class. The first best candidate (smallest shift) is returned.

    Parameters
    ----------
    scores : (n, n_classes) with columns indexed by class; labels : (n,)
    seen_classes, unseen_classes : class indices (test images of both needed)

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels)
    mask = np.zeros(scores.shape[1], dtype=bool)
    mask[np.asarray(list(seen_classes))] = True
    seen_cols, unseen_cols = np.flatnonzero(mask), np.flatnonzero(~mask)
    gap = scores[:, mask].max(axis=1) - scores[:, ~mask].max(axis=1)
    seen_right = seen_cols[scores[:, mask].argmax(axis=1)] == labels
    unseen_right = unseen_cols[scores[:, ~mask].argmax(axis=1)] == labels
    lo, hi = gap.min() - 1e-6, gap.max() + 1e-6
    shifts = np.unique(np.concatenate([np.linspace(lo, hi, 101), gap + 1e-9, gap - 1e-9]))
    classes, inverse = np.unique(labels, return_inverse=True)
    weights = np.eye(classes.size)[inverse] / np.bincount(inverse)  # (n, n_present)
    in_seen = np.isin(classes, seen_cols)
    in_unseen = np.isin(classes, np.asarray(list(unseen_classes)))
    h = np.empty(shifts.size)
    for start in range(0, shifts.size, 512):  # (chunk, n) at a time
        chunk = shifts[start : start + 512]
        right = np.where(gap[None, :] > chunk[:, None], seen_right, unseen_right)
        acc = right.astype(float) @ weights  # per-class accuracy at each shift
        s, u = acc[:, in_seen].mean(axis=1), acc[:, in_unseen].mean(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            h[start : start + 512] = np.where(s + u > 0, 2 * s * u / (s + u), 0.0)
    i = int(np.argmax(h))
    return float(shifts[i]), float(h[i])


def score_scale(model, X) -> float:
    """The spread of a fitted model's scores: their standard deviation over the seen-class
    columns of ``model.decision_function(X)`` (pass the model's own training images).

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    return float(np.std(model.decision_function(X, classes=model.seen_classes_)))


@dataclass(frozen=True)
class ShiftSelection:
    """The calibration shift chosen by class-wise cross-validation, two ways.

    shift : median over rounds of the best shift, in raw score units
    normalised_shift : median over rounds of ``best shift / score_scale`` of the
        round's model, times ``scale`` (the final model's score scale)
    round_shifts, round_scales : per round, the best shift and the model's score scale
    scale : :func:`score_scale` of the estimator fitted on all seen classes
    """

    shift: float
    normalised_shift: float
    round_shifts: tuple[float, ...]
    round_scales: tuple[float, ...]
    scale: float


def select_shift(
    estimator,
    X,
    y,
    class_semantics,
    n_splits: int = 3,
    unseen_fraction: float = 0.3,
    validation_fraction: float = 0.2,
    seed: int = 0,
) -> ShiftSelection:
    """Pick the calibration shift without unseen data, by class-wise cross-validation.

    For each of ``n_splits`` rounds: a random ``unseen_fraction`` of the seen
    classes become pseudo-unseen; a clone of ``estimator`` is fitted on
    ``1 - validation_fraction`` of the remaining classes' samples; the round's
    shift is the one that maximises H on the held-out samples of the
    pseudo-seen and all samples of the pseudo-unseen classes. A last clone is
    fitted on all of ``X`` for its score scale.

    Parameters
    ----------
    estimator : a :class:`zslkit.classic.ZeroShotClassifier` (unfitted or fitted; it is cloned)
    X : (n, d) seen-class features; y : (n,) labels; class_semantics : (n_classes, k)
    n_splits, unseen_fraction, validation_fraction, seed : the rounds, as above

    Returns
    -------
    :class:`ShiftSelection`

    Taught in: notebooks/12_gzsl_calibration.ipynb.
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
    shifts, scales = [], []
    with threadpool_limits(limits=1, user_api="blas"):  # small fits: one thread is faster
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
            shifts.append(best_shift(scores, y[val], pseudo_seen, pseudo_unseen)[0])
            scales.append(score_scale(model, X[train]))
        full = clone(estimator).fit(X, y, class_semantics=class_semantics)
        scale = score_scale(full, X)
    return ShiftSelection(
        shift=float(np.median(shifts)),
        normalised_shift=float(np.median(np.array(shifts) / np.array(scales)) * scale),
        round_shifts=tuple(float(s) for s in shifts),
        round_scales=tuple(float(s) for s in scales),
        scale=scale,
    )


def compare_calibration(
    models: dict,
    train_features,
    train_labels,
    test_features,
    test_labels,
    seen,
    unseen,
    n_splits: int = 3,
    seed: int = 0,
    n_resamples: int = 2000,
) -> dict:
    """GZSL H of several models without calibration, with the class-CV shift and at the best shift.

    Parameters
    ----------
    models : dict name -> (unfitted estimator, (n_classes, k) class semantics)
    train_features, train_labels : seen-class training images
    test_features, test_labels : test images of seen and unseen classes
    seen, unseen : lists of class indices
    n_splits, seed : the rounds of :func:`select_shift`
    n_resamples : resamples of each interval (:func:`~zslkit.classic.intervals.per_class_bootstrap`)

    Returns
    -------
    dict name -> dict with ``h_none``, ``h_cv``, ``h_normalised`` and
    ``h_best`` (H without calibration, at the class-CV shift, at the
    scale-normalised class-CV shift, at the best shift on the test set: a
    ceiling that peeks at test labels); ``shift_cv``, ``shift_normalised``,
    ``shift_best``; ``scale_ratio`` (mean round score scale over the final
    model's); and three :class:`zslkit.stats.Interval`: ``gain`` (``h_cv -
    h_none``), ``normalising`` (``h_normalised - h_cv``) and ``miss``
    (``h_best - h_cv``).

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    seen_mask = np.isin(np.arange(len(seen) + len(unseen)), seen)
    out = {}
    for name, (estimator, semantics) in models.items():
        choice = select_shift(
            estimator, train_features, train_labels, semantics, n_splits, seed=seed
        )
        model = clone(estimator).fit(train_features, train_labels, class_semantics=semantics)
        scores = model.decision_function(test_features)
        shift_best, _ = best_shift(scores, test_labels, seen, unseen)
        shifts = {
            "none": 0.0,
            "cv": choice.shift,
            "normalised": choice.normalised_shift,
            "best": shift_best,
        }
        pred = {k: calibrated_predictions(scores, seen_mask, v) for k, v in shifts.items()}

        def gap(a, b):
            return per_class_bootstrap(
                test_labels,
                pred[a],
                pred[b],
                "h",
                seen,
                unseen,
                n_resamples=n_resamples,
                seed=seed,
            )

        row = {f"h_{k}": gzsl_scores(test_labels, p, seen, unseen)["h"] for k, p in pred.items()}
        row |= {f"shift_{k}": v for k, v in shifts.items() if k != "none"}
        row["scale_ratio"] = float(np.mean(choice.round_scales) / choice.scale)
        row |= {"gain": gap("cv", "none"), "normalising": gap("normalised", "cv")}
        row["miss"] = gap("best", "cv")
        out[name] = row
    return out


def calibration_table(report: dict, width: int = 24) -> str:
    """A text table of :func:`compare_calibration`'s report: H four ways, then two gaps.

    Columns: H without calibration, at the class-CV shift, at the
    scale-normalised shift and at the best shift on the test set (a
    ceiling); then ``gain`` (CV minus none) and ``miss`` (best minus CV),
    each with its 95 % interval in brackets.

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    head = f"{'model':{width}s}  H none   CV   norm.  best  gain (CV - none)     miss (best - CV)"
    lines = [head]
    for name, r in report.items():
        hs = "  ".join(f"{r[k]:.2f}" for k in ("h_none", "h_cv", "h_normalised", "h_best"))
        gaps = "  ".join(f"{r[k].format(digits=2)}" for k in ("gain", "miss"))
        lines.append(f"{name:{width}s}  {hs}  {gaps}")
    return "\n".join(lines)


def report_figures(report: dict, keys: list[str]) -> dict[str, float]:
    """:func:`compare_calibration`'s report as flat figures for ``zslkit.record`` and ``glue``.

    Parameters
    ----------
    report : from :func:`compare_calibration`
    keys : one short name per model, in the report's order (e.g. ``["eszsl", "dap"]``)

    Returns
    -------
    dict with ``{key}_h_none``, ``{key}_h_cv``, ``{key}_h_normalised``,
    ``{key}_h_best``, ``{key}_scale_ratio`` and, for each of ``gain``,
    ``normalising`` and ``miss``, ``{key}_{gap}`` with ``{key}_{gap}_ci_low``
    and ``{key}_{gap}_ci_high``.

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    if len(keys) != len(report):
        raise ValueError(f"need one key per model: {len(keys)} keys for {list(report)}")
    out = {}
    for key, row in zip(keys, report.values()):
        for m in ("h_none", "h_cv", "h_normalised", "h_best", "scale_ratio"):
            out[f"{key}_{m}"] = float(row[m])
        for gap in ("gain", "normalising", "miss"):
            iv = row[gap]
            out |= {f"{key}_{gap}": iv.estimate, f"{key}_{gap}_ci_low": iv.low}
            out[f"{key}_{gap}_ci_high"] = iv.high
    return out
