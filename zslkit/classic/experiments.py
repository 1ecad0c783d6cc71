"""The evaluation loops and text tables of Part I, shared by its notebooks.

Each notebook of Part I standardises the benchmark features, fits a few
zero-shot models on the seen classes and prints a small table of scores;
these helpers do the mechanics, so the cells keep the story.

Taught in: notebooks/10_attributes_eszsl.ipynb to notebooks/15_generative_zsl.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from zslkit.classic.eszsl import ESZSL
from zslkit.metrics import gzsl_scores, per_class_accuracy


def standardize(
    data: dict, scale: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Benchmark features standardised with the statistics of the seen training images only.

    Parameters
    ----------
    data : dict from :func:`zslkit.data.benchmarks.load_zsl_benchmark`
    scale : False returns the features as they are (float64), for a run
        compared with a paper whose protocol uses raw features (GBU)

    Returns
    -------
    train_features, train_labels, test_features, test_labels
        The features are ``(x - mean) / std`` with the per-dimension mean and
        (biased) standard deviation of ``data["train_features"]``, as
        :class:`sklearn.preprocessing.StandardScaler` computes them.

    Taught in: notebooks/10_attributes_eszsl.ipynb (and used by 11 to 14).
    """
    if not scale:
        train_features = np.asarray(data["train_features"], dtype=float)
        test_features = np.asarray(data["test_features"], dtype=float)
        return train_features, data["train_labels"], test_features, data["test_labels"]
    scaler = StandardScaler().fit(data["train_features"])
    train_features = scaler.transform(data["train_features"])
    test_features = scaler.transform(data["test_features"])
    return train_features, data["train_labels"], test_features, data["test_labels"]


def fit_score_zsl(
    models: dict, train_features, train_labels, test_features, test_labels, unseen
) -> dict[str, float]:
    """Fit each model on the seen classes and score it by the ZSL protocol.

    Parameters
    ----------
    models : dict name -> (estimator, class_semantics)
        Each a :class:`zslkit.classic.ZeroShotClassifier` (fitted in place,
        in the dict's order) and the (n_classes, k) semantics it is fitted with.
    train_features, train_labels : seen-class training images
    test_features, test_labels : test images of seen and unseen classes
    unseen : list of the unseen class indices

    Returns
    -------
    dict name -> per-class top-1 accuracy on the test images of unseen
    classes, choosing among the unseen classes only.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    is_unseen = np.isin(test_labels, unseen)
    scores = {}
    for name, (model, semantics) in models.items():
        model.fit(train_features, train_labels, class_semantics=semantics)
        scores[name] = model.score(test_features[is_unseen], test_labels[is_unseen], classes=unseen)
    return scores


def score_spaces(
    methods: dict, spaces: dict, train_features, train_labels, test_features, test_labels, unseen
) -> dict[str, dict[str, float]]:
    """ZSL accuracy of every method in every semantic space.

    Parameters
    ----------
    methods : dict method name -> unfitted estimator (cloned for every space)
    spaces : dict space name -> (n_classes, k) class semantics
    train_features, train_labels, test_features, test_labels, unseen : as in
        :func:`fit_score_zsl`

    Returns
    -------
    dict space name -> dict method name -> per-class top-1 ZSL accuracy

    Taught in: notebooks/11_semantic_spaces.ipynb.
    """
    results = {}
    for name, semantics in spaces.items():
        models = {m: (clone(est), semantics) for m, est in methods.items()}
        results[name] = fit_score_zsl(
            models, train_features, train_labels, test_features, test_labels, unseen
        )
    return results


def score_table(rows: dict, title: str, width: int = 26, notes: dict | None = None) -> str:
    """A text table of scores: the title line, then ``label value`` per row.

    Parameters
    ----------
    rows : dict label -> float, printed as ``f"{label:{width}s} {value:.2f}"``
    title : the first line, as given
    width : the column width of the labels
    notes : dict label -> str, optional text appended to that row

    Taught in: notebooks/10_attributes_eszsl.ipynb and 14_transductive.ipynb.
    """
    notes = notes or {}
    lines = [title]
    lines += [
        f"{label:{width}s} {value:.2f}{notes.get(label, '')}" for label, value in rows.items()
    ]
    return "\n".join(lines)


def gzsl_table(rows: dict, title: str = "", width: int = 34, zsl=None) -> str:
    """A text table of GZSL scores: seen (S), unseen (U) accuracy and harmonic mean (H).

    Parameters
    ----------
    rows : dict label -> dict with ``"seen"``, ``"unseen"``, ``"h"`` (as from
        :func:`zslkit.metrics.gzsl_scores`), a dict with ``"h"`` only (S and U
        left blank), or None (the row is left out, e.g. a paper's number that
        the pocket tier lacks)
    title : text in the label column of the header line
    width : the column width of the labels
    zsl : sequence of float or None, one per entry of ``rows``, optional;
        adds a ZSL column (``-`` where None)

    Taught in: notebooks/12_gzsl_calibration.ipynb and 15_generative_zsl.ipynb.
    """
    lines = [f"{title:{width}s}  S     U     H" + ("    ZSL" if zsl is not None else "")]
    for i, (label, r) in enumerate(rows.items()):
        if r is None:
            continue
        su = f"{r['seen']:.2f}  {r['unseen']:.2f}" if "seen" in r else f"{'':10s}"
        line = f"{label:{width}s} {su}  {r['h']:.2f}"
        if zsl is not None:
            line += "    -" if zsl[i] is None else f"  {zsl[i]:.2f}"
        lines.append(line)
    return "\n".join(lines)


def gzsl_baselines(
    train_features, train_labels, test_features, test_labels, class_semantics, seen, unseen, C=0.01
) -> dict:
    """Two GZSL baselines without generated features, on standardised raw features.

    A :class:`~sklearn.preprocessing.StandardScaler` is fitted on the seen
    training features; then

    - ``"real_only"``: a logistic regression (inverse penalty ``C``) on the
      seen training images, which has no unseen class to answer with;
    - ``"eszsl"``: :class:`zslkit.classic.ESZSL` with its defaults on
      ``class_semantics``, without calibration.

    Returns
    -------
    dict with ``"real_only"`` and ``"eszsl"`` (GZSL scores of
    :func:`zslkit.metrics.gzsl_scores` over all classes) and ``"eszsl_zsl"``
    (ESZSL's per-class top-1 on unseen test images among unseen classes), and
    ``"predictions"``: dict ``"real_only"``, ``"eszsl"`` (over all test images,
    among all classes) and ``"eszsl_zsl"`` (unseen test images, among the
    unseen classes) of (n,) predicted classes, for paired comparisons.

    Taught in: notebooks/15_generative_zsl.ipynb.
    """
    is_unseen = np.isin(test_labels, unseen)
    scaler = StandardScaler().fit(train_features)
    real_only = LogisticRegression(C=C, max_iter=2000).fit(
        scaler.transform(train_features), train_labels
    )
    real_only_scores = gzsl_scores(
        test_labels, real_only.predict(scaler.transform(test_features)), seen, unseen
    )
    eszsl = ESZSL().fit(
        scaler.transform(train_features), train_labels, class_semantics=class_semantics
    )
    eszsl_predictions = eszsl.predict(scaler.transform(test_features))
    eszsl_scores = gzsl_scores(test_labels, eszsl_predictions, seen, unseen)
    eszsl_zsl_predictions = eszsl.predict(scaler.transform(test_features[is_unseen]), unseen)
    eszsl_zsl = per_class_accuracy(test_labels[is_unseen], eszsl_zsl_predictions)
    predictions = {
        "real_only": real_only.predict(scaler.transform(test_features)),
        "eszsl": eszsl_predictions,
        "eszsl_zsl": eszsl_zsl_predictions,
    }
    return {
        "real_only": real_only_scores,
        "eszsl": eszsl_scores,
        "eszsl_zsl": eszsl_zsl,
        "predictions": predictions,
    }


def paired_bootstrap_gzsl(
    labels, predictions_a, predictions_b, seen, unseen, n_resamples: int = 2000, seed: int = 0
) -> dict:
    """Differences ``a - b`` of per-class GZSL scores with a paired, class-stratified bootstrap.

    Seen accuracy S, unseen accuracy U and their harmonic mean H (as
    :func:`zslkit.metrics.gzsl_scores` computes them), each from
    :func:`zslkit.classic.intervals.per_class_bootstrap`: the test items of
    every class are resampled with replacement, the same draw for both
    methods. For ZSL, pass the unseen test items only, predictions among the
    unseen classes and ``seen=[]``: only ``"unseen"`` is returned.

    Parameters
    ----------
    labels, predictions_a, predictions_b : (n,) int arrays over the same test items
    seen, unseen : class lists (``seen`` may be empty); every class needs a test item
    n_resamples, seed : the bootstrap (95 % percentile interval)

    Returns
    -------
    dict ``"unseen"``, ``"seen"``, ``"h"`` (or ``"unseen"`` only) ->
    :class:`zslkit.stats.Interval` of ``a - b``

    Taught in: notebooks/15_generative_zsl.ipynb.
    """
    from zslkit.classic.intervals import per_class_bootstrap

    labels, a, b = (np.asarray(x) for x in (labels, predictions_a, predictions_b))
    if a.shape != b.shape:
        raise ValueError(f"predictions of different lengths: {a.size} and {b.size}")
    kw = dict(n_resamples=n_resamples, seed=seed)

    def part(classes):
        missing = sorted(set(classes) - set(labels.tolist()))
        if missing:
            raise ValueError(f"class {missing[0]} has no test item")
        items = np.isin(labels, list(classes))
        return per_class_bootstrap(labels[items], a[items], b[items], **kw)

    out = {"unseen": part(unseen)}
    if len(seen):
        out["seen"] = part(seen)
        out["h"] = per_class_bootstrap(labels, a, b, metric="h", seen=seen, unseen=unseen, **kw)
    return out
