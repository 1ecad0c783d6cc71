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
from typing import Any, Callable

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
