"""ZPE: weigh prompt templates without labels (Allingham et al., 2023).

Given P prompt templates, which should a zero-shot classifier trust? ZPE
scores each prompt by how confidently its classifier labels the unlabelled
test images, after removing the prompt's bias towards some classes. With
``l_p`` the (n, C) logits of prompt p on the n test images (``logit_scale *``
cosine similarity, the model's own scale), ``mu_p^test`` and ``mu_p^ref``
its (C,) mean logits over the test images and over a sample of m images
like the pretraining data:

    l~_p = l_p - (mu_p^ref + mu_p^test) / 2          (per class)
    s_p  = (1/n) sum_i max_c l~_p[i, c]
    a    = softmax(s)                                  (over the P prompts)

and the classifier is the weighted prompt ensemble
``w_c = normalise(sum_p a_p e_p(c))`` of :mod:`zslkit.models.prompts`. The softmax
has no extra temperature: the scores are in logit units. This follows the
paper's reference notebook (google/uncertainty-baselines,
experimental/multimodal, ``get_weights`` with ``debias_mode="both"``); the
other corrections of its ablation are ``"test"`` (test mean only),
``"reference"`` (reference mean only) and ``"none"`` (max-logit scoring).
The paper mixes the prompts' text embeddings; its reference notebook
averages the per-prompt logits, which is ``renormalize=False`` here.
``renormalize=True`` (default) keeps CLIP's renormalised class embeddings,
so equal weights give exactly :func:`zslkit.models.zeroshot.zero_shot_classifier`.

Taught in: notebooks/21_zpe.ipynb
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from scipy.special import softmax

from zslkit.checks import check_choice, check_range
from zslkit.models.prompts import (
    _as_tensor,
    _check_classifiers,
    ensemble_classifier,
    template_logits,
)
from zslkit.paths import data_dir

CORRECTIONS = ("both", "test", "reference", "none")
REFERENCE_POCKET = "pocket_pretraining"
REFERENCE_WEB = "pocket_web"  # ToyCLIP 2's pretraining distribution (zslkit.data.web)
_CHUNK_ELEMENTS = 2**24  # logits held at once while scoring (64 MB in float32)
_REFERENCE_SALT = 0x7A7065  # keeps reference draws apart from ToyCLIP's own pretraining pool


def _as_numpy(x: Any) -> np.ndarray:
    return (
        x.detach().cpu().double().numpy()
        if isinstance(x, torch.Tensor)
        else np.asarray(x, dtype=np.float64)
    )


def zpe_scores(
    test_logits: Any, reference_logits: Any = None, correction: str = "both"
) -> np.ndarray:
    """ZPE score of each prompt: mean over test images of the largest bias-corrected logit.

    Parameters
    ----------
    test_logits : (P, n, C) logits of P prompts on n test images.
    reference_logits : (P, m, C) logits of the same prompts on m reference
        images (a sample like the pretraining data); needed unless
        ``correction`` is ``"test"`` or ``"none"``.
    correction : the per-class bias removed before the max: ``"both"``
        (ZPE: half the reference mean plus half the test mean), ``"test"``,
        ``"reference"`` or ``"none"``.

    Returns
    -------
    scores : (P,) float64 array, ``s_p = mean_i max_c (l_p[i, c] - b_p[c])``.
    """
    check_choice("correction", correction, CORRECTIONS)
    test_logits = _as_numpy(test_logits)
    if test_logits.ndim != 3:
        raise ValueError(f"test_logits must have shape (P, n, C); got {test_logits.shape}")
    bias = np.zeros((test_logits.shape[0], 1, test_logits.shape[2]))
    if correction in ("both", "reference"):
        if reference_logits is None:
            raise ValueError(
                f"correction={correction!r} needs reference_logits (or use 'test' or 'none')"
            )
        reference_logits = _as_numpy(reference_logits)
        if reference_logits.ndim != 3 or reference_logits.shape[::2] != test_logits.shape[::2]:
            raise ValueError(
                f"reference_logits must have shape (P, m, C) = ({test_logits.shape[0]}, m, {test_logits.shape[2]}); "
                f"got {reference_logits.shape}"
            )
        reference_mean = reference_logits.mean(axis=1, keepdims=True)
    test_mean = test_logits.mean(axis=1, keepdims=True)
    if correction == "both":
        bias = 0.5 * (reference_mean + test_mean)
    elif correction == "test":
        bias = test_mean
    elif correction == "reference":
        bias = reference_mean
    return (test_logits - bias).max(axis=2).mean(axis=1)


def zpe_weights(scores: Any) -> np.ndarray:
    """(P,) prompt weights ``softmax(scores)``: non-negative, summing to one."""
    return softmax(_as_numpy(scores).reshape(-1))


class ZPE:
    """Scikit-learn-style zero-shot classifier whose prompt weights come from unlabelled images.

    Parameters
    ----------
    classifiers : (T, d, C) per-template classifiers from
        :func:`zslkit.models.prompts.template_classifiers`.
    logit_scale : multiplies cosine similarities, in the scores and in the
        logits (CLIP: 100; a model's own is ``model.logit_scale.exp()``).
        The scores are in logit units, so it acts as the softmax's inverse
        temperature.
    correction : see :func:`zpe_scores` (``"both"`` is ZPE).
    renormalize : see :func:`zslkit.models.prompts.ensemble_classifier`.

    Attributes
    ----------
    scores_ : (T,) float64 array, the ZPE score of each template.
    prompt_weights_ : (T,) float64 array, ``softmax(scores_)``.
    weights_ : (d, C) float32 tensor, the weighted ensemble classifier.
    classes_ : (C,) int array, the label of each column.

    Examples
    --------
    >>> zpe = ZPE(classifiers, logit_scale=100.0).fit(test_features, reference_features)
    >>> zpe.prompt_weights_, zpe.predict(test_features)
    """

    def __init__(
        self,
        classifiers: Any,
        logit_scale: float = 100.0,
        correction: str = "both",
        renormalize: bool = True,
    ):
        self.classifiers = classifiers
        self.logit_scale = logit_scale
        self.correction = correction
        self.renormalize = renormalize

    def fit(self, image_features: Any, reference_features: Any = None, y: Any = None) -> "ZPE":
        """Score the templates on the unlabelled ``image_features``; ``y`` is ignored (no labels are used).

        Parameters
        ----------
        image_features : (n, d) float tensor, L2-normalised: the test images.
        reference_features : (m, d) float tensor, L2-normalised: images like
            the pretraining data (needed for ``correction`` "both" / "reference").
        """
        check_choice("correction", self.correction, CORRECTIONS)
        check_range("logit_scale", self.logit_scale, 0.0)
        if self.correction in ("both", "reference") and reference_features is None:
            raise ValueError(f"correction={self.correction!r} needs reference_features")
        classifiers = _as_tensor(self.classifiers)
        _check_classifiers(classifiers)
        image_features = _as_tensor(image_features)
        uses_reference = self.correction in ("both", "reference")
        reference_features = _as_tensor(reference_features) if uses_reference else None
        n_templates, _, n_classes = classifiers.shape
        rows = len(image_features) + (len(reference_features) if uses_reference else 0)
        per_chunk = max(1, _CHUNK_ELEMENTS // (max(rows, 1) * n_classes))
        scores = []
        for start in range(
            0, n_templates, per_chunk
        ):  # (chunk, n, C) logits at a time, never all (T, n, C)
            chunk = classifiers[start : start + per_chunk]
            test_logits = template_logits(image_features, chunk, self.logit_scale)
            reference_logits = (
                template_logits(reference_features, chunk, self.logit_scale)
                if uses_reference
                else None
            )
            scores.append(zpe_scores(test_logits, reference_logits, self.correction))
        self.scores_ = np.concatenate(scores)
        self.prompt_weights_ = zpe_weights(self.scores_)
        self.weights_ = ensemble_classifier(classifiers, self.prompt_weights_, self.renormalize)
        self.classes_ = np.arange(classifiers.shape[2])
        return self

    def _fitted(self) -> torch.Tensor:
        if not hasattr(self, "weights_"):
            raise ValueError(
                "this ZPE is not fitted; call fit(image_features, reference_features) first"
            )
        return self.weights_

    def decision_function(self, image_features: Any) -> np.ndarray:
        """logits : (n, C) = ``logit_scale * image_features @ weights_``."""
        return (self.logit_scale * _as_tensor(image_features) @ self._fitted()).numpy()

    def predict_proba(self, image_features: Any) -> np.ndarray:
        """(n, C) softmax of the logits."""
        return softmax(self.decision_function(image_features).astype(np.float64), axis=1)

    def predict(self, image_features: Any) -> np.ndarray:
        """(n,) predicted labels: the arg max of the logits."""
        logits = self.decision_function(image_features)  # raises first when not fitted
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, image_features: Any, labels: Any) -> float:
        """Top-1 accuracy (fraction of images whose predicted label is right)."""
        labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(image_features) == labels))


# --------------------------------------------------------------------------
# The reference sample
# --------------------------------------------------------------------------
def _toyclip_off_palette(report: str = "toyclip.json") -> float:
    """The share of off-palette objects in a shipped ToyCLIP's pretraining data (its training report)."""
    with open(data_dir() / "checkpoints" / report, encoding="utf-8") as f:
        return float(json.load(f)["training"]["off_palette"])


def list_reference_datasets() -> list[str]:
    """Every name :func:`reference_dataset` accepts: the pocket pretraining distribution, then the datasets."""
    from zslkit.data.datasets import list_datasets

    return [REFERENCE_POCKET, REFERENCE_WEB] + list_datasets()


def reference_dataset(
    name: str = REFERENCE_POCKET,
    n: int = 1000,
    seed: int = 0,
    transform: Callable | None = None,
    root: Any = None,
    split: str = "train",
):
    """Unlabelled images standing in for the pretraining data (ZPE's reference sample).

    Parameters
    ----------
    name : ``"pocket_pretraining"``: fresh images from the distribution
        the shipped ToyCLIP was pretrained on
        (:func:`zslkit.data.world.pretraining_set`: the seen classes, photo style,
        with the share of off-palette objects of its training report
        ``data/checkpoints/toyclip.json``); ``"pocket_web"``: fresh images
        from ToyCLIP 2's pretraining distribution
        (:func:`zslkit.data.web.pretraining_set`: its domains and photo
        contexts, never the held-out background; off-palette share from
        ``data/checkpoints/toyclip2.json``). Otherwise a dataset of :func:`zslkit.data.datasets.list_datasets`
        (e.g. ``"imagenet"``), of which ``n`` images of ``split`` are drawn
        at random; for a real CLIP, a broad dataset is the closest stand-in
        for its web-scale pretraining data (the paper used LAION-400M).
    n : number of images.
    seed : random seed of the draw.
    transform : image transform, e.g. ``preprocess`` of the backbone.
    root, split : where and which split of a full-tier dataset.

    Returns
    -------
    :class:`zslkit.data.datasets.ClassificationDataset` of ``n`` images whose
    ``cache_id`` names the draw (so :func:`zslkit.models.features.extract_features`
    caches its features). Labels are not used by ZPE (-1 for off-palette
    pocket objects).
    """
    from zslkit.data import world
    from zslkit.data.datasets import ClassificationDataset, PocketDataset, load_dataset

    check_choice("reference", name, list_reference_datasets())
    check_range("n", n, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    draw_seed = int(np.random.SeedSequence([seed, _REFERENCE_SALT]).generate_state(1)[0])
    if name == REFERENCE_POCKET:
        off_palette = _toyclip_off_palette()
        images, _, labels = world.pretraining_set(n, seed=draw_seed, off_palette=off_palette)
        cache_id = {
            "dataset": REFERENCE_POCKET,
            "n": n,
            "seed": seed,
            "off_palette": off_palette,
            "renderer": hashlib.sha256(Path(world.__file__).read_bytes()).hexdigest()[:16],
        }
        return PocketDataset(images, labels, world.load_split()["seen"], [], transform, cache_id)
    if name == REFERENCE_WEB:
        from zslkit.data import web

        off_palette = _toyclip_off_palette("toyclip2.json")
        images, _, records = web.pretraining_set(n, seed=draw_seed, off_palette=off_palette)
        cache_id = {
            "dataset": REFERENCE_WEB,
            "n": n,
            "seed": seed,
            "off_palette": off_palette,
            "renderer": hashlib.sha256(
                Path(world.__file__).read_bytes() + Path(web.__file__).read_bytes()
            ).hexdigest()[:16],
        }
        seen = world.load_split()["seen"]
        return PocketDataset(images, records["labels"], seen, [], transform, cache_id)
    base = load_dataset(name, split, root, transform=None)
    if n > len(base):
        raise ValueError(
            f"n={n} reference images asked for, but {name} {split} has only {len(base)}"
        )
    chosen = np.sort(np.random.default_rng(draw_seed).choice(len(base), size=n, replace=False))
    cache_id = {"reference_of": base.cache_id, "n": n, "seed": seed}
    return ClassificationDataset(
        lambda i: base[int(chosen[i])][0],
        base.labels[chosen],
        base.class_names,
        base.templates,
        transform,
        cache_id,
    )


# --------------------------------------------------------------------------
# Chapter 21: ZPE on each test domain of ToyCLIP 2
# --------------------------------------------------------------------------
NEUTRAL, UNSEEN = "neutral", "unseen words"
"""Group labels of :func:`caption_groups` besides the pocket web's conditions."""


def default_reference(backbone: str, dataset: str = "pocket") -> str:
    """The reference sample ZPE uses by default for a backbone and a dataset.

    ``"toyclip"`` -> ``"pocket_pretraining"`` (ToyCLIP 1's pretraining
    distribution); ``"toyclip2"`` or any other backbone on the pocket world
    -> ``"pocket_web"`` (ToyCLIP 2's); a full-tier dataset -> that
    dataset's own images (e.g. ImageNet's train split stands in for a real
    CLIP's web data).

    Taught in: notebooks/21_zpe.ipynb
    """
    if dataset != "pocket":
        return dataset
    return REFERENCE_POCKET if backbone == "toyclip" else REFERENCE_WEB


def parse_conditions(text: str) -> list[tuple[str, str, str]]:
    """Parse ``"photo,noisy,photo/dark"`` into ``(label, variant, context)`` triples.

    Each comma-separated item is a pocket domain of
    :data:`zslkit.data.web.DOMAINS`, optionally followed by ``/`` and a
    photo context of :data:`zslkit.data.web.CONTEXTS` (only for
    ``photo``). The label is the item as written, stripped.

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.data import web

    out = []
    for item in str(text).split(","):
        label = item.strip()
        variant, _, context = (part.strip() for part in label.partition("/"))
        check_choice("condition domain", variant, web.DOMAINS)
        context = context or "plain"
        check_choice("condition context", context, web.CONTEXTS)
        if context != "plain" and variant != "photo":
            raise ValueError(f"condition {label!r}: contexts apply to photo only")
        out.append((label, variant, context))
    if len({label for label, _, _ in out}) != len(out):
        raise ValueError(f"conditions={text!r} names a condition twice")
    return out


def _canonical(template: str) -> str:
    text = str(template).lower().replace("{many}", "{}")
    return " ".join("a" if w == "the" else w for w in text.split())


def caption_groups(templates: Sequence) -> list[str]:
    """Which pocket-web caption group each template belongs to.

    A template whose text (``"the"`` read as ``"a"``, as the pocket web's
    captions swap them) is one of the caption templates that name a
    domain or photo context in ``data/templates/pocket_web.json`` gets
    that condition's name (``"sketch"``, ``"noisy"``, ``"dark"``, ...); one
    with a word no pretraining caption contains
    (:func:`zslkit.data.web.unseen_words`) gets ``"unseen words"``; the rest
    ``"neutral"``.

    Returns
    -------
    list of one group name per template.

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.data import web

    with open(data_dir() / "templates" / "pocket_web.json", encoding="utf-8") as f:
        condition = json.load(f)["condition"]
    named = {_canonical(t): name for name, pool in condition.items() for t in pool}
    unseen = web.unseen_words([str(t) for t in templates])
    return [named.get(_canonical(t), UNSEEN if str(t) in unseen else NEUTRAL) for t in templates]


def condition_group(label: str) -> str:
    """The template group that names a condition: ``"photo/dark"`` -> ``"dark"``, ``"sketch"`` -> ``"sketch"``.

    Plain photos and the held-out background have no group of their own
    (the result is then not a group of :func:`caption_groups`).

    Taught in: notebooks/21_zpe.ipynb
    """
    variant, _, context = (p.strip() for p in str(label).partition("/"))
    return context or variant


def encode_conditions(
    model: Any,
    preprocess: Any,
    conditions: str,
    n_per_class: int = 50,
    seed: int = 0,
    batch_size: int = 256,
    device: str = "cpu",
    dataset: str = "pocket",
    data_root: str = "",
    split: str = "test",
):
    """The test images of each condition, encoded.

    Parameters
    ----------
    conditions : as :func:`parse_conditions` reads it (pocket only).
    dataset, data_root, split : a full-tier dataset replaces the conditions
        by its one ``split`` (labelled with the dataset's name).

    Returns
    -------
    features : {label: (image_features (n, d) L2-normalised, labels (n,))};
    data : the last dataset (for its class names).

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.vlm.experiments import encode_split

    if dataset != "pocket":
        data, x, y = encode_split(
            model, preprocess, dataset, split, data_root, None, batch_size, device
        )
        return {dataset: (x, y)}, data
    features, data = {}, None
    for label, variant, context in parse_conditions(conditions):
        pocket = {"variant": variant, "n_per_class": n_per_class, "seed": seed}
        if context != "plain":
            pocket["context"] = context
        data, x, y = encode_split(
            model, preprocess, "pocket", split, "", pocket, batch_size, device
        )
        features[label] = (x, y)
    return features, data


def compare_per_condition(
    classifiers: Any,
    features: Mapping[str, tuple[Any, Any]],
    reference_features: Any,
    logit_scale: float,
    corrections: Sequence[str] = ("both", "none"),
):
    """Equal weights and ZPE (one per bias correction), fitted on each condition's own images.

    Parameters
    ----------
    classifiers : (T, d, C) per-template classifiers of the pool.
    features : {condition: (image_features, labels)}; labels only judge.
    reference_features : (m, d) the reference sample.
    logit_scale : the model's logit scale.
    corrections : the corrections of :func:`zpe_scores` to fit; ``"both"``
        is reported as ``"ZPE"``, another one ``c`` as ``"ZPE (c)"``.

    Returns
    -------
    correct : {condition: {method: (n,) bool array, image right or wrong}};
    fitted : {condition: {correction: fitted :class:`ZPE`}}.

    Taught in: notebooks/21_zpe.ipynb
    """
    for c in corrections:
        check_choice("correction", c, CORRECTIONS)
    equal = ensemble_classifier(_as_tensor(classifiers))
    correct, fitted = {}, {}
    for condition, (x, y) in features.items():
        y = np.asarray(y)
        x = _as_tensor(x)
        row = {"equal weights": (x @ equal).argmax(1).numpy() == y}
        fitted[condition] = {}
        for c in corrections:
            zpe = ZPE(classifiers, logit_scale=logit_scale, correction=c)
            zpe.fit(x, reference_features)
            fitted[condition][c] = zpe
            row["ZPE" if c == "both" else f"ZPE ({c})"] = zpe.predict(x) == y
        correct[condition] = row
    return correct, fitted


def paired_gaps(
    correct: Mapping[str, Mapping[str, Any]],
    a: str,
    b: str,
    seed: int = 0,
    n_resamples: int = 10_000,
) -> dict[str, Any]:
    """{condition: :func:`zslkit.stats.paired_bootstrap` of method ``a`` minus method ``b``}.

    ``correct`` is :func:`compare_per_condition`'s first result; the
    interval is the 95 % paired percentile bootstrap over the test images
    (``n_resamples`` resamples, seeded by ``seed``).

    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.stats import paired_bootstrap

    return {
        cond: paired_bootstrap(row[a], row[b], n_resamples=n_resamples, seed=seed)
        for cond, row in correct.items()
    }


def group_weight_table(
    groups: Sequence[str], weights: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """{condition: {group: total ZPE weight on the group's templates}}, groups in order of first appearance.

    ``weights`` is {condition: (T,) prompt weights}; the equal-weight share
    of a group is its number of templates over T.

    Taught in: notebooks/21_zpe.ipynb
    """
    groups = np.asarray(list(groups))
    names = list(dict.fromkeys(groups.tolist()))
    return {
        cond: {g: float(np.asarray(w)[groups == g].sum()) for g in names}
        for cond, w in weights.items()
    }


def plot_group_weights(groups: Sequence[str], table: Mapping[str, Mapping[str, float]]):
    """Heatmap: ZPE's weight on each template group over the group's share of the pool.

    Rows are the test conditions, columns the groups of
    :func:`caption_groups` (with their number of templates); a cell is
    ``mass / share`` (1: what equal weights give), on a log colour scale,
    and shows the mass in percent.

    Returns the matplotlib Figure (one Axes, one image).
    Taught in: notebooks/21_zpe.ipynb
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    groups = list(groups)
    conditions = list(table)
    names = list(next(iter(table.values())))
    share = np.array([groups.count(g) / len(groups) for g in names])
    mass = np.array([[table[c][g] for g in names] for c in conditions])
    ratio = np.clip(mass / share, 1e-2, 1e2)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(names), 1.2 + 0.42 * len(conditions)))
    image = ax.imshow(ratio, cmap="RdBu_r", norm=LogNorm(1e-2, 1e2), aspect="auto")
    for i in range(len(conditions)):
        for j in range(len(names)):
            ax.text(j, i, f"{100 * mass[i, j]:.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(
        range(len(names)),
        [f"{g} ({groups.count(g)})" for g in names],
        rotation=50,
        ha="right",
        fontsize=8,
    )
    ax.set_yticks(range(len(conditions)), conditions, fontsize=8)
    ax.set_xlabel("template group (number of templates in the pool)")
    ax.set_ylabel("test images")
    ax.set_title("ZPE weight on each group, % (colour: weight / share of the pool)")
    fig.colorbar(image, ax=ax, label="ZPE weight / equal weight")
    fig.tight_layout()
    return fig


def condition_key(label: str) -> str:
    """A condition label as a figure name: ``"photo/black and white"`` -> ``"photo_black_and_white"``.

    Taught in: notebooks/21_zpe.ipynb
    """
    return str(label).replace("/", "_").replace(" ", "_").replace("-", "_")


def gap_figures(gaps: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """{``prefix_<key>``, ``..._ci_low``, ``..._ci_high``: value} for each condition's interval.

    ``gaps`` is :func:`paired_gaps`'s result; keys from :func:`condition_key`.
    Taught in: notebooks/21_zpe.ipynb
    """
    from zslkit.stats import intervals_as_figures

    named = {condition_key(label): gap for label, gap in gaps.items()}
    return intervals_as_figures(named, prefix=f"{prefix}_")


def print_gaps(gaps: Mapping[str, Any], title: str) -> None:
    """Print one line per condition: ``title``, the gap in points, its interval, ``(tie)`` if it spans zero.

    Taught in: notebooks/21_zpe.ipynb
    """
    for label, gap in gaps.items():
        tie = "  (tie)" if gap.tie else ""
        print(f"{label:<24}{title}: {gap.format(scale=100, digits=1, unit=' points')}{tie}")


def print_top_templates(
    templates: Sequence, weights: Mapping[str, Any], per_template: Mapping[str, Any], k: int = 3
) -> None:
    """Per condition: the ``k`` templates ZPE weighs most (weight, own top-1), the oracle and the median.

    ``per_template`` : {condition: (T,) top-1 of each template alone}, from
    the labels, for judging only. Taught in: notebooks/21_zpe.ipynb
    """
    for label, w in weights.items():
        w, acc = np.asarray(w), np.asarray(per_template[label])
        top = ", ".join(f"{templates[i]!s} {w[i]:.3f} ({acc[i]:.3f})" for i in np.argsort(-w)[:k])
        best = int(acc.argmax())
        print(f"{label}: {top}")
        print(
            f"  oracle: {templates[best]!s} ({acc[best]:.3f}); median template {np.median(acc):.3f}"
        )


def print_group_summary(
    groups: Sequence[str], group: str, weights: Mapping[str, Any], per_template: Mapping[str, Any]
) -> dict[str, float]:
    """Per condition: ZPE's total weight on ``group`` (and its share), and the median top-1 of its templates vs the neutral ones.

    Returns {condition: total weight on the group}. Taught in: notebooks/21_zpe.ipynb
    """
    groups = np.asarray(list(groups))
    members, neutral = groups == group, groups == NEUTRAL
    out = {}
    for label, w in weights.items():
        acc = np.asarray(per_template[label])
        out[label] = float(np.asarray(w)[members].sum())
        print(
            f"{label:<24}weight {out[label]:.3f} (share {members.mean():.3f}); median top-1 "
            f"alone: {group} {np.median(acc[members]):.3f}, neutral {np.median(acc[neutral]):.3f}"
        )
    return out


def plot_gaps(gaps: Mapping[str, Any], xlabel: str):
    """Each condition's gap with its interval, in points, against zero.

    Returns the matplotlib Figure (one Axes, one errorbar container).
    Taught in: notebooks/21_zpe.ipynb
    """
    import matplotlib.pyplot as plt

    from zslkit import style

    fig, ax = plt.subplots(figsize=(6, 0.6 + 0.4 * len(gaps)))
    y = np.arange(len(gaps))
    est = np.array([100 * g.estimate for g in gaps.values()])
    err = np.array(
        [[100 * (g.estimate - g.low), 100 * (g.high - g.estimate)] for g in gaps.values()]
    )
    ax.errorbar(est, y, xerr=err.T, fmt="o", color=style.colour(1), capsize=3)
    ax.axvline(0, color=style.MUTED, ls=":")
    ax.set_yticks(y, list(gaps))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig
