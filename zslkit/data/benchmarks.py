"""One loader for the data of Part I: pocket tier (Fashion-MNIST) or full tier (GBU).

Every Part I notebook starts from the same dictionary, whichever data it
runs on, so the same cells run on the pocket tier (Fashion-MNIST with frozen
VGG19 features, shipped with Debian and PyPI) and on the full tier (the GBU
benchmark files of Xian et al.: AwA2, CUB, SUN, aPY, ResNet-101 features and
the *proposed splits*):

>>> data = load_zsl_benchmark("fashion_mnist")                 # doctest: +SKIP
>>> data = load_zsl_benchmark("cub", root="~/data/xlsa17/data")  # doctest: +SKIP

Train holds seen-class images only; test holds seen and unseen classes (for
GBU: ``test_seen`` and ``test_unseen`` of the proposed split), so the same
arrays serve ZSL (restrict to unseen) and GZSL (all classes).

:func:`zsl_semantics` gives the class semantics of a loaded benchmark in any
space of :mod:`zslkit.data.semantics`, and :func:`reference_number` the number a
paper reports for a (method, dataset, metric), from ``data/paper_numbers.json``
(every published number the book quotes, with its model, weights, dataset,
protocol and source). The commands that reproduce them, the page "Reproduce the papers" and the
results page's paper column are built by :mod:`zslkit.nbtools.results`.

Taught in: notebooks/10_attributes_eszsl.ipynb and every Part I chapter.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.paths import data_dir

GBU_NAMES = {"awa1": "AWA1", "awa2": "AWA2", "cub": "CUB", "sun": "SUN", "apy": "APY"}
ZSL_DATASETS = ("fashion_mnist",) + tuple(GBU_NAMES)


def check_benchmark(dataset: str, split: str | None = None) -> None:
    """Raise ``ValueError`` unless ``dataset`` (and ``split``, when given) name a Part I benchmark.

    The datasets are :data:`ZSL_DATASETS`; the splits are ``"default"`` and
    ``"fine"`` for Fashion-MNIST, ``"default"`` (the proposed split) for GBU.
    The messages are those of :func:`zslkit.check_choice`.

    Taught in: the validation cell of every Part I notebook (10 to 15).
    """
    check_choice("dataset", dataset, ZSL_DATASETS)
    if split is not None:
        splits = ["default", "fine"] if dataset == "fashion_mnist" else ["default"]
        check_choice("split", split, splits)


def readable_class_name(raw: str) -> str:
    """GBU folder names to words: ``"001.Black_footed_Albatross"`` -> ``"black footed albatross"``,
    ``"grizzly+bear"`` -> ``"grizzly bear"``."""
    name = re.sub(r"^\d+\.", "", raw.strip())
    return re.sub(r"[_+]+", " ", name).strip().lower()


def _balanced(labels: np.ndarray, n_per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(labels == c))[:n_per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def load_zsl_benchmark(
    dataset: str = "fashion_mnist",
    root: str | os.PathLike | None = None,
    split: str = "default",
    n_train_per_class: int | None = None,
    seed: int = 0,
    device: str = "cpu",
) -> dict:
    """Features, labels, seen / unseen classes and attributes of a zero-shot benchmark.

    Parameters
    ----------
    dataset : one of :data:`ZSL_DATASETS` ("fashion_mnist" is the pocket tier)
    root : Fashion-MNIST: folder in torchvision's layout (default: the Debian
        package); GBU: the folder holding ``AWA2/``, ``CUB/``, ... (``xlsa17/data``)
    split : Fashion-MNIST: a split of ``data/splits/fashion_mnist.json``;
        GBU: "default", the proposed split
    n_train_per_class : training images per seen class (None: the
        Fashion-MNIST default subset, all of GBU's ``trainval``)
    seed, device : subset draw and feature extraction (Fashion-MNIST)

    Returns
    -------
    dict with ``train_features`` (n_train, d) and ``train_labels`` (seen classes
    only), ``test_features`` / ``test_labels`` (seen and unseen classes),
    ``seen`` / ``unseen`` (lists of class indices), ``class_names`` (readable
    words, label order), ``attributes`` (n_classes, k) class-attribute matrix,
    ``dataset`` and ``text_sources`` (the sources of class text this dataset
    has, for :func:`zsl_semantics`).
    """
    check_choice("dataset", dataset, ZSL_DATASETS)
    if n_train_per_class is not None:
        check_range("n_train_per_class", n_train_per_class, 1, integer=True)
    if dataset == "fashion_mnist":
        from zslkit.data.fashion import load_fashion_zsl
        from zslkit.data.semantics import class_semantics

        data = load_fashion_zsl(
            split, n_train_per_class=n_train_per_class, seed=seed, root=root, device=device
        )
        from zslkit.data.semantics import load_attributes

        data["attributes"] = class_semantics(
            data["class_names"], "attributes", dataset="fashion_mnist"
        )
        data["binary_attributes"] = data["attributes"]
        data["attribute_names"] = load_attributes("fashion_mnist")[1]
        data["text_sources"] = ["names", "descriptions", "glosses"]
        data["dataset"] = dataset
        return data

    from zslkit.data.gbu import load_gbu

    check_choice("split", split, ["default"])
    if not root:
        raise ValueError(
            f"dataset={dataset!r} is a GBU benchmark: pass root= the folder that holds "
            f"{GBU_NAMES[dataset]}/res101.mat and {GBU_NAMES[dataset]}/att_splits.mat"
        )
    gbu = load_gbu(root, GBU_NAMES[dataset])
    train = gbu["trainval"]
    if n_train_per_class is not None:
        train = train[_balanced(gbu["labels"][train], n_train_per_class, seed)]
    test = np.concatenate([gbu["test_seen"], gbu["test_unseen"]])
    return {
        "train_features": gbu["features"][train],
        "train_labels": gbu["labels"][train],
        "test_features": gbu["features"][test],
        "test_labels": gbu["labels"][test],
        "seen": [int(c) for c in gbu["seen"]],
        "unseen": [int(c) for c in gbu["unseen"]],
        "class_names": [readable_class_name(c) for c in gbu["class_names"]],
        "attributes": gbu["class_semantics"],
        # DAP needs yes / no attributes: an attribute holds for a class above its mean over classes (Lampert et al.)
        "binary_attributes": (gbu["class_semantics"] > gbu["class_semantics"].mean(0)).astype(
            float
        ),
        "attribute_names": [f"attribute {i + 1}" for i in range(gbu["class_semantics"].shape[1])],
        "text_sources": ["names", "glosses"],
        "dataset": dataset,
    }


def plot_class_examples(data: dict, classes: list[int], root: str | os.PathLike | None = None):
    """One test image of each class in ``classes``, titled seen / unseen (Fashion-MNIST).

    Returns the Figure (the notebook shows it with ``plt.show()``). The GBU
    files hold ResNet-101 features, not images: then only a line saying so
    is printed and None returned.

    Taught in: notebooks/10_attributes_eszsl.ipynb.
    """
    if data["dataset"] != "fashion_mnist":
        print(
            f"{data['dataset']}: the GBU files hold ResNet-101 features, not images; nothing to show"
        )
        return None
    import matplotlib.pyplot as plt

    from zslkit.data.fashion import load_fashion_mnist

    images, labels = load_fashion_mnist("test", root)
    fig, axes = plt.subplots(1, len(classes), figsize=(1.2 * len(classes), 1.8), squeeze=False)
    for ax, c in zip(axes[0], classes):
        ax.imshow(images[np.flatnonzero(labels == c)[0]], cmap="gray_r")
        ax.set_title(
            data["class_names"][c] + ("\n(unseen)" if c in data["unseen"] else "\n(seen)"),
            fontsize=8,
        )
        ax.set_axis_off()
    return fig


def zsl_semantics(data: dict, space: str = "attributes", source: str = "names") -> np.ndarray:
    """Class semantics of a loaded benchmark: its attributes, or a text encoder of class names,
    descriptions or WordNet glosses (see :func:`zslkit.data.semantics.class_semantics`)."""
    from zslkit.data.semantics import SPACES, class_semantics

    check_choice("space", space, SPACES)
    if space == "attributes":
        return np.asarray(data["attributes"], dtype=float)
    check_choice("source", source, data["text_sources"])
    return class_semantics(data["class_names"], space, source, dataset=data["dataset"])


PAPER_FIELDS = (
    "id",
    "value",
    "metric",
    "model",
    "weights",
    "dataset",
    "protocol",
    "source",
    "cite",
)
"""The fields of every entry of ``data/paper_numbers.json``'s ``numbers``."""


def load_paper_numbers() -> dict:
    """``data/paper_numbers.json`` as a dict: ``note``, ``numbers`` (entries with
    :data:`PAPER_FIELDS`) and ``reproduce`` (commands, see :func:`reproduce_commands`)."""
    with open(data_dir() / "paper_numbers.json") as f:
        return json.load(f)


def paper_number(number_id: str) -> dict:
    """The entry ``"method/dataset/metric"`` of ``data/paper_numbers.json``.

    Raises ``ValueError`` naming the id and the valid ids when it is unknown.
    """
    numbers = {n["id"]: n for n in load_paper_numbers()["numbers"]}
    check_choice("number_id", number_id, list(numbers))
    return numbers[number_id]


def reference_number(method: str, dataset: str, metric: str) -> float | None:
    """A paper's number for ``method`` on ``dataset`` (``data/paper_numbers.json``), or None.

    The value of the entry whose id is ``"method/dataset/metric"``. Used to
    print the paper's figure beside a full-tier row; the pocket datasets
    have none.
    """
    wanted = f"{method}/{dataset}/{metric}"
    for number in load_paper_numbers()["numbers"]:
        if number["id"] == wanted:
            return number["value"]
    return None


def reference_gzsl(method: str, dataset: str) -> dict[str, float] | None:
    """A paper's GZSL seen (S), unseen (U) and harmonic-mean (H) accuracy, or None.

    The three :func:`reference_number` values ``gzsl_seen``, ``gzsl_unseen``
    and ``gzsl_h`` as ``{"seen", "unseen", "h"}``; None where the paper's H is
    not known (the pocket datasets).

    Taught in: notebooks/12_gzsl_calibration.ipynb.
    """
    paper = {m: reference_number(method, dataset, f"gzsl_{m}") for m in ("seen", "unseen", "h")}
    return None if paper["h"] is None else paper
