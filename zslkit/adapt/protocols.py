"""The evaluation protocols of Part III: few-shot splits and base-to-new.

* **Few-shot** (CoOp): for ``n_shots`` in :data:`SHOTS` and each seed in
  :data:`SEEDS`, draw exactly ``n_shots`` training images per class and
  ``min(n_shots, 4)`` validation images per class from a pool (the dataset's
  ``"train"`` split), disjoint; every hyperparameter is chosen on the
  validation shots; top-1 accuracy is measured on the full test set and
  reported as mean +- std over the seeds (:func:`mean_std`).
* **Base-to-new** (CoCoOp): sort the class indices (label order, not names),
  ``base`` = the first ``ceil(n / 2)``, ``new`` = the rest
  (:func:`base_to_new_split`); each group is relabelled from 0
  (:func:`relabel`) and evaluated within its own label space; the two
  accuracies B and N are summarised by ``H = 2BN / (B + N)``
  (:func:`harmonic_mean`).

:data:`POCKET_TASK` fixes the pocket task every Part III notebook uses.

Taught in: notebooks/30_training_free_adapters.ipynb (and every Part III notebook).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
import torch

from zslkit.checks import check_choice, check_range
from zslkit.metrics import harmonic_mean

__all__ = [
    "SHOTS",
    "SEEDS",
    "POCKET_TASK",
    "few_shot_split",
    "base_to_new_split",
    "relabel",
    "select_classes",
    "few_shot_data",
    "mean_std",
    "harmonic_mean",
]

SHOTS = (1, 2, 4, 8, 16)
"""Shots per class of the few-shot protocol (CoOp)."""

SEEDS = (1, 2, 3)
"""Seeds of the few-shot subsets (CoOp)."""

MAX_VAL_SHOTS = 4
"""Validation images per class: ``min(n_shots, MAX_VAL_SHOTS)`` (CoOp)."""

POCKET_TASK = {
    "dataset": "pocket",
    "variant": "background",
    "pool_per_class": 32,
    "test_per_class": 32,
}
"""The pocket task of Part III: all 64 colour-shape classes on the ``background`` domain.

Part III's default backbone is ToyCLIP 2 (``load_backbone("toyclip2")``),
pretrained on photos, sketches and noisy images of the pocket web
(:mod:`zslkit.data.web`) but never on objects in clutter: ``background`` is
the domain held out of its pretraining, with classes it knows, like CLIP on
EuroSAT. Its 64-way zero-shot top-1 there is far below the photo domain
(the checkpoint's report, ``data/checkpoints/toyclip2.json``, gives 0.36
against 0.91 on photos) and far above chance (1/64), so a few labels have
room to help. ``pool_per_class`` images per class are rendered once (train
split, seed 0) and the shots drawn from them; ``test_per_class`` is the size
of the test set per class.
"""

POOL_SEED = 0
"""Rendering seed of the pocket pool and test set: fixed, so features are shared by every shot count and seed."""


def _as_numpy_labels(labels: Any) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be a 1-d integer array, got shape {labels.shape} and dtype {labels.dtype}"
        )
    return labels.astype(np.int64)


def few_shot_split(labels: Any, n_shots: int, seed: int) -> dict[str, np.ndarray]:
    """Indices of a few-shot training set and its validation set, drawn from a labelled pool.

    For every class ``c`` (each distinct value of ``labels``) the pool's
    images of ``c`` are shuffled by a generator seeded with ``(seed, c)``;
    the first ``n_shots`` go to ``"train"``, the next ``min(n_shots, 4)`` to
    ``"val"``. So the split depends only on ``(labels, n_shots, seed)``,
    train and val are disjoint, and for a fixed seed the training shots are
    nested (the 1-shot image of a class is among its 2-shot images, ...).

    Parameters
    ----------
    labels : (n,) int array or tensor, the labels of the pool.
    n_shots : training images per class (>= 1).
    seed : seed of the draw (the protocol uses 1, 2, 3).

    Returns
    -------
    dict with ``"train"`` : (n_classes * n_shots,) int64 indices into
    ``labels`` and ``"val"`` : (n_classes * min(n_shots, 4),) int64 indices,
    both sorted.

    Raises
    ------
    ValueError : a class has fewer than ``n_shots + min(n_shots, 4)`` images.
    """
    labels = _as_numpy_labels(labels)
    check_range("n_shots", n_shots, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    n_val = min(n_shots, MAX_VAL_SHOTS)
    train, val = [], []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < n_shots + n_val:
            raise ValueError(
                f"class {c} has {len(members)} images in the pool; {n_shots} shots need "
                f"{n_shots + n_val} ({n_shots} train + {n_val} validation)"
            )
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(c)]))
        order = members[rng.permutation(len(members))]
        train.append(order[:n_shots])
        val.append(order[n_shots : n_shots + n_val])
    return {"train": np.sort(np.concatenate(train)), "val": np.sort(np.concatenate(val))}


def base_to_new_split(n_classes: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """CoCoOp's base / new class split.

    Parameters
    ----------
    n_classes : the number of classes ``n`` (labels ``0..n-1``), or the
        dataset's class labels themselves (any order, repeats allowed).

    Returns
    -------
    base : the first ``ceil(n / 2)`` class labels in sorted order.
    new : the remaining ``floor(n / 2)``. Both int64 arrays.
    """
    if isinstance(n_classes, (int, np.integer)) and not isinstance(n_classes, bool):
        check_range("n_classes", n_classes, 2, integer=True)
        classes = np.arange(n_classes, dtype=np.int64)
    else:
        classes = np.unique(_as_numpy_labels(n_classes))
        if len(classes) < 2:
            raise ValueError(f"base-to-new needs at least 2 classes, got {classes.tolist()}")
    m = math.ceil(len(classes) / 2)
    return classes[:m], classes[m:]


def relabel(labels: Any, classes: Sequence[int], strict: bool = True) -> np.ndarray:
    """Map ``classes[i]`` to ``i``: the labels of a class subset in its own label space.

    Parameters
    ----------
    labels : (n,) int array or tensor.
    classes : the kept class labels, in their new order.
    strict : if True (default) a label not in ``classes`` raises
        ``ValueError``; if False it becomes ``-1``.

    Returns
    -------
    (n,) int64 array.
    """
    labels = _as_numpy_labels(labels)
    classes = _as_numpy_labels(np.asarray(classes))
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes must not repeat, got {classes.tolist()}")
    lookup = {int(c): i for i, c in enumerate(classes)}
    out = np.array([lookup.get(int(y), -1) for y in labels], dtype=np.int64)
    if strict and (out < 0).any():
        missing = sorted(set(labels[out < 0].tolist()))
        raise ValueError(
            f"labels {missing[:10]} are not among classes {classes.tolist()[:10]}...; use strict=False"
        )
    return out


def select_classes(features: Any, labels: Any, classes: Sequence[int]) -> tuple[Any, np.ndarray]:
    """The rows of ``features`` whose label is in ``classes``, with labels relabelled by :func:`relabel`.

    Returns
    -------
    features : the selected rows (same type as the input).
    labels : (m,) int64 array with values in ``0..len(classes)-1``.
    """
    labels = _as_numpy_labels(labels)
    mask = np.isin(labels, np.asarray(classes))
    rows = torch.as_tensor(mask) if isinstance(features, torch.Tensor) else mask
    return features[rows], relabel(labels[mask], classes)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation over seeds (population std, ``ddof=0``, as numpy's default)."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("mean_std needs at least one value")
    return float(values.mean()), float(values.std())


class _Subset(torch.utils.data.Dataset):
    """Some items of a dataset; its ``cache_id`` names the indices, so its features cache on their own."""

    def __init__(self, dataset, indices: np.ndarray):
        self.dataset, self.indices = dataset, np.asarray(indices)
        self.transform = dataset.transform
        digest = hashlib.sha256(self.indices.astype(np.int64).tobytes()).hexdigest()[:16]
        base_id = getattr(dataset, "cache_id", None)
        self.cache_id = (
            None
            if base_id is None
            else {**base_id, "subset": digest, "subset_n": len(self.indices)}
        )

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        return self.dataset[int(self.indices[i])]


_MEMO: "OrderedDict[str, dict]" = OrderedDict()
_MEMO_SIZE = 6


def _model_fingerprint(model: Any) -> str:
    """Names the model's current weights: its identity, ``zslkit_id`` and a checksum of its parameters."""
    params = [p.detach() for p in model.parameters()] if hasattr(model, "parameters") else []
    checksum = sum(float(p.float().sum()) + 1e-3 * float(p.float().abs().sum()) for p in params)
    return f"{id(model)}:{getattr(model, 'zslkit_id', None)}:{len(params)}:{checksum!r}"


def _encoded_split(model, preprocess, dataset, split, root, encode_whole, encode, load_kw) -> dict:
    """The loaded split and, if ``encode_whole(n)``, its features; memoised in this process.

    Rendering the pocket pool costs seconds, so each notebook loop over shots
    and seeds reuses it; the key holds everything that changes the result,
    including the model's current weights (:func:`_model_fingerprint`).
    """
    from zslkit.data.datasets import load_dataset
    from zslkit.models.features import _describe_transform, canonical_json

    key = canonical_json(
        {
            "model": _model_fingerprint(model),
            "transform": _describe_transform(preprocess),
            "dataset": dataset,
            "split": split,
            "root": None if root is None else str(root),
            **load_kw,
        }
    )
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    ds = load_dataset(dataset, split=split, root=root, transform=preprocess, **load_kw)
    entry = {"dataset": ds, "features": None, "labels": torch.as_tensor(ds.labels)}
    if encode_whole(len(ds)):
        entry["features"], entry["labels"] = encode(ds)
    _MEMO[key] = entry
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return entry


def few_shot_data(
    model: Any,
    preprocess: Any,
    dataset: str = "pocket",
    n_shots: int = 16,
    seed: int = 1,
    root: str | None = None,
    variant: str | None = None,
    device: str = "cpu",
    batch_size: int = 256,
    pool_per_class: int | None = None,
    test_per_class: int | None = None,
    max_pool_images: int = 5000,
    progress: bool = False,
    template_set: str = "",
    name_set: str = "",
    **dataset_kwargs: Any,
) -> dict[str, Any]:
    """Cached features of a few-shot task: the shots, their validation images and the full test set.

    The pool is the dataset's ``"train"`` split and the test set its
    ``"test"`` split (:func:`zslkit.data.datasets.load_dataset`). The shots come
    from :func:`few_shot_split` ``(pool labels, n_shots, seed)``. Features
    come from :func:`zslkit.models.features.extract_features`, cached on disk (for
    identified weights) and in this process: a pool of at most
    ``max_pool_images`` images (the pocket pool) is encoded whole once and
    shared by every shot count and seed; a larger pool (full-tier datasets)
    is encoded only at the drawn images, cached per (dataset, shots, seed).

    Parameters
    ----------
    model, preprocess : from :func:`zslkit.models.backbones.load_backbone`, model on ``device``.
    dataset : a name of :func:`zslkit.data.datasets.list_datasets`.
    n_shots, seed : the few-shot draw.
    root : folder of a full-tier dataset (ignored by ``"pocket"``).
    variant : pocket domain variant (default ``POCKET_TASK["variant"]``);
        must be None for other datasets.
    pool_per_class, test_per_class : pocket images per class in the pool and
        the test set (default from :data:`POCKET_TASK`); None for other datasets.
    max_pool_images : pools up to this size are encoded whole.
    template_set, name_set : the prompt sets of the returned ``templates``
        and ``class_names`` (:func:`zslkit.models.prompts.dataset_prompts`;
        empty: the dataset's own, CoOp's on a full-tier dataset).
    **dataset_kwargs : passed to ``load_dataset`` for both splits.

    Returns
    -------
    dict with
    ``train_features`` : (C * n_shots, d) float32 tensor, L2-normalised;
    ``train_labels`` : (C * n_shots,) int64 tensor;
    ``val_features``, ``val_labels`` : (C * min(n_shots, 4), ...) likewise;
    ``test_features``, ``test_labels`` : the whole test split;
    ``class_names`` : list of C str; ``templates`` : the templates (both in
    the chosen prompt sets);
    ``split`` : the :func:`few_shot_split` indices into the pool.
    """
    from zslkit.data.datasets import list_datasets
    from zslkit.models.features import extract_features
    from zslkit.models.prompts import dataset_prompts, resolve_prompt_sets

    check_choice("dataset", dataset, list_datasets())
    resolve_prompt_sets(dataset, template_set, name_set, "fewshot")  # checks both names
    check_range("n_shots", n_shots, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    check_range("max_pool_images", max_pool_images, 0, integer=True)
    if dataset == "pocket":
        variant = POCKET_TASK["variant"] if variant is None else variant
        pool_per_class = POCKET_TASK["pool_per_class"] if pool_per_class is None else pool_per_class
        test_per_class = POCKET_TASK["test_per_class"] if test_per_class is None else test_per_class
        pool_kw = dict(
            variant=variant, n_per_class=pool_per_class, seed=POOL_SEED, **dataset_kwargs
        )
        test_kw = dict(
            variant=variant, n_per_class=test_per_class, seed=POOL_SEED, **dataset_kwargs
        )
    else:
        for name, value in (
            ("variant", variant),
            ("pool_per_class", pool_per_class),
            ("test_per_class", test_per_class),
        ):
            if value is not None:
                raise ValueError(
                    f"{name}={value!r} applies to the pocket dataset only; leave it None for {dataset!r}"
                )
        pool_kw = test_kw = dict(dataset_kwargs)

    def encode(ds):
        return extract_features(model, ds, batch_size=batch_size, device=device, progress=progress)

    pool = _encoded_split(
        model, preprocess, dataset, "train", root, lambda n: n <= max_pool_images, encode, pool_kw
    )
    split = few_shot_split(pool["labels"], n_shots, seed)
    if pool["features"] is not None:
        parts = {name: (pool["features"][idx], pool["labels"][idx]) for name, idx in split.items()}
    else:
        parts = {name: encode(_Subset(pool["dataset"], idx)) for name, idx in split.items()}
    test = _encoded_split(model, preprocess, dataset, "test", root, lambda n: True, encode, test_kw)
    class_names, templates = dataset_prompts(pool["dataset"], template_set, name_set)
    return {
        "train_features": parts["train"][0],
        "train_labels": parts["train"][1],
        "val_features": parts["val"][0],
        "val_labels": parts["val"][1],
        "test_features": test["features"],
        "test_labels": test["labels"],
        "class_names": list(class_names),
        "templates": list(templates),
        "split": split,
    }
