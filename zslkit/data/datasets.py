"""One registry of image classification datasets: ``load_dataset(name, split)``.

Every dataset is a ``torch.utils.data.Dataset`` of ``(image, label)`` pairs
with the same extra attributes:

* ``class_names`` - list of str, in label order, as they go into prompts;
* ``templates`` - the dataset's prompt templates: ``str.format`` strings with
  ``{}`` (CoOp's per-dataset templates), or callables (the pocket world's,
  which also fix "a" / "an");
* ``labels`` - (n,) int64 numpy array; ``transform`` - the image transform;
* ``cache_id`` - a dict naming the data exactly (used by the feature cache).

``"pocket"`` renders the project's own pocket world; the others are the
standard benchmarks (CIFAR, CoOp's suite, ImageNet), read through
torchvision from a local ``root`` in torchvision's layout and never
downloaded unless ``download=True`` is passed. Class names and templates
live in ``data/classnames/`` and ``data/templates/``.

Taught in: notebooks/20_prompt_ensembling.ipynb (and every Part II and III notebook).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from zslkit.checks import check_choice, check_range
from zslkit.paths import data_dir

POCKET_SPLITS = ("train", "val", "test")
_POCKET_SALT = 0x706F636B  # keeps pocket dataset seeds apart from other uses of make_images


class ClassificationDataset(torch.utils.data.Dataset):
    """Images with integer labels, class names and prompt templates.

    Items are ``(transform(image), label)`` where ``image`` is an RGB PIL
    image (the input open_clip's ``preprocess`` expects) and ``label`` an int.
    """

    def __init__(
        self,
        get_image: Callable[[int], Any],
        labels: np.ndarray,
        class_names: Sequence[str],
        templates: Sequence,
        transform: Callable | None,
        cache_id: dict,
    ):
        self._get_image = get_image
        self.labels = np.asarray(labels, dtype=np.int64)
        self.class_names = list(class_names)
        self.templates = list(templates)
        self.transform = transform
        self.cache_id = dict(cache_id)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self._get_image(int(index))
        if getattr(image, "mode", "RGB") != "RGB":
            image = image.convert("RGB")
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.cache_id.get('dataset')!r}, split={self.cache_id.get('split')!r}, "
            f"n={len(self)}, n_classes={len(self.class_names)})"
        )


class PocketDataset(ClassificationDataset):
    """The pocket world rendered in memory; ``images`` is the (n, size, size, 3) uint8 array."""

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, class_names, templates, transform, cache_id
    ):
        from PIL import Image

        self.images = images
        super().__init__(
            lambda i: Image.fromarray(self.images[i]),
            labels,
            class_names,
            templates,
            transform,
            cache_id,
        )


# --------------------------------------------------------------------------
# Data files: class names and templates
# --------------------------------------------------------------------------
def _read_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_templates(name: str) -> list:
    """Prompt templates from ``data/templates/<name>.json``.

    ``name`` is a dataset (``"eurosat"``: CoOp's template) or a template set
    (``"imagenet_openai80"``, ``"imagenet_simple7"``). ``"pocket"`` gives the
    pocket world's zero-shot ensemble as callables (``zslkit.data.world.templates``).
    """
    if name == "pocket":
        from zslkit.data import world

        return world.templates("zeroshot")
    path = data_dir() / "templates" / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in (data_dir() / "templates").glob("*.json"))
        raise ValueError(f"templates {name!r} not found ({path}); choose one of {known}")
    content = _read_json(path)
    return list(content["templates"] if isinstance(content, dict) else content)


def load_classnames(
    name: str, raw_classes: Sequence[str] | None = None, n_classes: int | None = None
) -> list[str]:
    """Class names for prompts, in label order.

    ``data/classnames/<name>.json`` holds either ``"classnames"`` (the full
    list in label order) or ``"rename"`` (a map from the dataset's own class
    names to prompt names). Without a file, or for names the map leaves out,
    the dataset's own names are used with ``_`` and ``/`` turned into spaces.
    """
    path = data_dir() / "classnames" / f"{name}.json"
    content = _read_json(path) if path.is_file() else {}
    if "classnames" in content:
        names = list(content["classnames"])
        if n_classes is not None and len(names) != n_classes:
            raise ValueError(
                f"{path} lists {len(names)} class names but the data has {n_classes} classes"
            )
        return names
    if raw_classes is None:
        raise ValueError(f"no class names for {name!r}: {path} does not exist")
    rename = content.get("rename", {})
    return [rename.get(raw, _clean(raw)) for raw in raw_classes]


def _clean(raw: str) -> str:
    return " ".join(str(raw).replace("_", " ").replace("/", " ").split())


# --------------------------------------------------------------------------
# Pocket world
# --------------------------------------------------------------------------
def _source_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def pocket_seed(seed: int, split: str) -> int:
    """The rendering seed of a pocket split: different per split, so images never repeat across splits."""
    state = np.random.SeedSequence([seed, POCKET_SPLITS.index(split), _POCKET_SALT]).generate_state(
        1
    )
    return int(state[0])


def _load_pocket(
    split: str = "test",
    transform: Callable | None = None,
    variant: str = "photo",
    n_per_class: int = 20,
    seed: int = 0,
    classes: str | Sequence[str] = "all",
    split_name: str = "default",
    size: int = 32,
    context: str = "plain",
) -> PocketDataset:
    from zslkit.data import web, world

    check_choice("split", split, POCKET_SPLITS)
    check_choice("variant", variant, world.VARIANTS)
    check_choice("context", context, web.CONTEXTS)
    check_range("n_per_class", n_per_class, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    class_split = world.load_split(split_name)
    if isinstance(classes, str):
        check_choice("classes", classes, ["all", "seen", "unseen"])
        class_names = list(class_split["classes" if classes == "all" else classes])
    else:
        class_names = list(classes)
    images, labels = web.make_images(
        class_names,
        n_per_class,
        domain=variant,
        context=context,
        seed=pocket_seed(seed, split),
        task=class_split["task"],
        size=size,
    )
    cache_id = {
        "dataset": "pocket",
        "split": split,
        "variant": variant,
        "n_per_class": n_per_class,
        "seed": seed,
        "classes": classes if isinstance(classes, str) else class_names,
        "split_name": split_name,
        "split_version": class_split.get("version"),
        "task": class_split["task"],
        "size": size,
        "renderer": _source_hash(
            world.__file__
        ),  # a change to the renderer invalidates cached features
    }
    if context != "plain":  # photo contexts of the pocket web (zslkit.data.web)
        cache_id.update(context=context, web_renderer=_source_hash(web.__file__))
    return PocketDataset(images, labels, class_names, load_templates("pocket"), transform, cache_id)


# --------------------------------------------------------------------------
# Full tier: torchvision datasets from a local root
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Full:
    expected: str  # path under root that must exist (torchvision's layout)
    official: dict[str, Any]  # our split name -> torchvision's split argument
    build: (
        Callable  # (root, tv_split, download, **kwargs) -> (base, labels, raw class names or None)
    )
    derived: dict[str, tuple[str, dict[str, float]]] = field(
        default_factory=dict
    )  # split -> (source, fractions)
    how: str = ""
    downloadable: bool = True


def _tv():
    import torchvision.datasets as tvd

    return tvd


def _no_options(name: str, kwargs: dict) -> None:
    if kwargs:
        raise ValueError(f"{name} takes no options {sorted(kwargs)}; valid: download, split_seed")


def _build_cifar(cls_name):
    def build(root, tv_split, download, **kwargs):
        _no_options(cls_name, kwargs)
        base = getattr(_tv(), cls_name)(root, train=tv_split == "train", download=download)
        return base, np.asarray(base.targets), list(base.classes)

    return build


def _build_simple(cls_name, labels_attr="_labels", classes_attr="classes", **fixed):
    def build(root, tv_split, download, **kwargs):
        cls = getattr(_tv(), cls_name)
        args = dict(fixed, **kwargs)
        if tv_split is not None:
            args["split"] = tv_split
        base = cls(root, download=download, **args)
        labels = getattr(base, labels_attr)
        if labels_attr == "_samples":
            labels = [target for _, target in labels]
        return (
            base,
            np.asarray(labels),
            (list(getattr(base, classes_attr)) if classes_attr else None),
        )

    return build


def _build_imagenet(root, tv_split, download, **kwargs):
    _no_options("ImageNet", kwargs)
    tvd = _tv()
    folder = Path(root) / tv_split
    if (Path(root) / "meta.bin").is_file() or (
        Path(root) / "ILSVRC2012_devkit_t12.tar.gz"
    ).is_file():
        base = tvd.ImageNet(root, split=tv_split)
        raw = list(base.wnids)
    else:
        base = tvd.ImageFolder(str(folder), allow_empty=True)
        raw = list(base.classes)
    return base, np.asarray(base.targets), raw


_THREE_WAY = {
    "train": 0.5,
    "val": 0.2,
    "test": 0.3,
}  # CoOp's proportions where no official split exists
_TRAIN_VAL = {"train": 0.8, "val": 0.2}  # CoOp's validation share of an official train split
_NO_SPLIT = {"all": None}

FULL_DATASETS: dict[str, _Full] = {
    "cifar10": _Full(
        "cifar-10-batches-py",
        {"train": "train", "test": "test"},
        _build_cifar("CIFAR10"),
        how="the 'CIFAR-10 python version' archive, unpacked",
    ),
    "cifar100": _Full(
        "cifar-100-python",
        {"train": "train", "test": "test"},
        _build_cifar("CIFAR100"),
        how="the 'CIFAR-100 python version' archive, unpacked",
    ),
    "eurosat": _Full(
        "eurosat/2750",
        _NO_SPLIT,
        _build_simple("EuroSAT", "targets", "classes"),
        derived={s: ("all", _THREE_WAY) for s in _THREE_WAY},
        how="EuroSAT RGB (EuroSAT.zip), unpacked into eurosat/ so that eurosat/2750/<Class>/*.jpg exist",
    ),
    "flowers102": _Full(
        "flowers-102",
        {"train": "train", "val": "val", "test": "test"},
        _build_simple("Flowers102", "_labels", None),
        how="102flowers.tgz (giving jpg/), imagelabels.mat and setid.mat in flowers-102/",
    ),
    "dtd": _Full(
        "dtd/dtd",
        {"train": "train", "val": "val", "test": "test"},
        _build_simple("DTD"),
        how="dtd-r1.0.1.tar.gz unpacked into dtd/ so that dtd/dtd/images and dtd/dtd/labels exist",
    ),
    "oxford_pets": _Full(
        "oxford-iiit-pet",
        {"trainval": "trainval", "test": "test"},
        _build_simple("OxfordIIITPet"),
        derived={s: ("trainval", _TRAIN_VAL) for s in _TRAIN_VAL},
        how="images.tar.gz and annotations.tar.gz unpacked into oxford-iiit-pet/",
    ),
    "food101": _Full(
        "food-101",
        {"trainval": "train", "test": "test"},
        _build_simple("Food101"),
        derived={s: ("trainval", _TRAIN_VAL) for s in _TRAIN_VAL},
        how="food-101.tar.gz unpacked, giving food-101/images and food-101/meta",
    ),
    "caltech101": _Full(
        "caltech101/101_ObjectCategories",
        _NO_SPLIT,
        _build_simple("Caltech101", "y", "categories"),
        derived={s: ("all", _THREE_WAY) for s in _THREE_WAY},
        how="101_ObjectCategories.tar.gz unpacked into caltech101/",
    ),
    "fgvc_aircraft": _Full(
        "fgvc-aircraft-2013b",
        {"train": "train", "val": "val", "trainval": "trainval", "test": "test"},
        _build_simple("FGVCAircraft", annotation_level="variant"),
        how="fgvc-aircraft-2013b.tar.gz unpacked, giving fgvc-aircraft-2013b/data",
    ),
    "stanford_cars": _Full(
        "stanford_cars",
        {"trainval": "train", "test": "test"},
        _build_simple("StanfordCars", "_samples"),
        derived={s: ("trainval", _TRAIN_VAL) for s in _TRAIN_VAL},
        how="stanford_cars/ with devkit/, cars_train/, cars_test/ and "
        "cars_test_annos_withlabels.mat (no longer downloadable from the original site)",
        downloadable=False,
    ),
    "sun397": _Full(
        "SUN397",
        _NO_SPLIT,
        _build_simple("SUN397"),
        derived={s: ("all", _THREE_WAY) for s in _THREE_WAY},
        how="SUN397.tar.gz unpacked, giving SUN397/ClassName.txt and SUN397/<letter>/<class>/*.jpg",
    ),
    "imagenet": _Full(
        "val",
        {"val": "val", "test": "val", "train": "train"},
        _build_imagenet,
        how="ILSVRC2012 as <root>/val/<wnid>/*.JPEG (one folder per class), or the archives "
        "ILSVRC2012_devkit_t12.tar.gz + ILSVRC2012_img_val.tar for torchvision.datasets.ImageNet",
        downloadable=False,
    ),
}


def list_datasets() -> list[str]:
    """Every name :func:`load_dataset` accepts."""
    return ["pocket"] + sorted(FULL_DATASETS)


def default_root() -> Path:
    """Where full-tier datasets are looked for: ``$ZSLKIT_DATASETS``, else ``~/datasets``."""
    return Path(os.environ.get("ZSLKIT_DATASETS", Path.home() / "datasets")).expanduser()


def _splits_of(entry: _Full) -> list[str]:
    return list(dict.fromkeys(list(entry.derived) + list(entry.official)))


def stratified_split(
    labels: np.ndarray, fractions: dict[str, float], split: str, seed: int = 0
) -> np.ndarray:
    """Indices of ``split`` in a per-class random split with the given ``fractions`` (last part takes the rest)."""
    rng = np.random.default_rng(seed)
    names = list(fractions)
    chosen = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        cuts = np.round(np.cumsum([fractions[s] for s in names[:-1]]) * len(idx)).astype(int)
        chosen.append(np.split(idx, cuts)[names.index(split)])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def _load_full(
    name: str, split: str, root, transform, download: bool = False, split_seed: int = 0, **kwargs
) -> ClassificationDataset:
    entry = FULL_DATASETS[name]
    check_choice("split", split, _splits_of(entry))
    root = Path(root).expanduser() if root is not None else default_root()
    if download and not entry.downloadable:
        raise ValueError(
            f"{name} cannot be downloaded automatically; provide {entry.how} under {root}"
        )
    expected = root / entry.expected
    if name == "imagenet" and split == "train":
        expected = root / "train"
    if not download and not expected.exists() and not _imagenet_archives(name, root):
        raise FileNotFoundError(
            f"{name}: no data at {expected} (looked under root={root}). Get {entry.how} and place it under "
            f"{root}, pass root=..., or set ZSLKIT_DATASETS"
            + (", or pass download=True on a machine with internet." if entry.downloadable else ".")
        )
    if split in entry.official:
        source, fractions = split, None
    else:
        source, fractions = entry.derived[split]
    tv_split = entry.official[source]
    base, labels, raw = entry.build(str(root), tv_split, download, **kwargs)
    indices = (
        np.arange(len(labels))
        if fractions is None
        else stratified_split(labels, fractions, split, split_seed)
    )
    class_names = load_classnames(name, raw, n_classes=len(raw) if raw is not None else None)
    templates = load_templates(name)
    cache_id = {
        "dataset": name,
        "split": split,
        "root": str(root.resolve()),
        "n": int(len(indices)),
        **kwargs,
    }
    if fractions is not None:
        cache_id["split_seed"] = split_seed
    return ClassificationDataset(
        lambda i: base[int(indices[i])][0],
        labels[indices],
        class_names,
        templates,
        transform,
        cache_id,
    )


def _imagenet_archives(name: str, root: Path) -> bool:
    return name == "imagenet" and (root / "ILSVRC2012_img_val.tar").is_file()


def load_dataset(
    name: str,
    split: str = "test",
    root: str | os.PathLike | None = None,
    transform: Callable | None = None,
    **kwargs,
) -> ClassificationDataset:
    """Load a dataset of the registry as a torch ``Dataset`` of ``(image, label)``.

    Parameters
    ----------
    name : one of :func:`list_datasets` (``"pocket"``, ``"cifar10"``, ``"eurosat"``, ...).
    split : ``"train"``, ``"val"`` or ``"test"`` (plus ``"trainval"`` / ``"all"``
        where the dataset defines them). Datasets without an official split
        (EuroSAT, Caltech101, SUN397) get a fixed per-class 50/20/30 split,
        datasets without an official validation split a fixed 80/20 split of
        their training set (CoOp's proportions; ``split_seed=0``). ImageNet's
        ``"test"`` is its validation set.
    root : folder holding the full-tier data in torchvision's layout
        (default :func:`default_root`); ignored by ``"pocket"``.
    transform : applied to each RGB PIL image, e.g. ``preprocess`` from
        :func:`zslkit.models.backbones.load_backbone`.
    **kwargs : for ``"pocket"``: ``variant`` (``"photo"``, ``"sketch"``,
        ``"noisy"``, ``"background"``), ``n_per_class`` (20), ``seed`` (0),
        ``classes`` (``"all"``, ``"seen"``, ``"unseen"`` or a list of names),
        ``split_name`` (``"default"``), ``size`` (32), ``context``
        (``"plain"``, or a photo context of :data:`zslkit.data.web.CONTEXTS`
        such as ``"dark"``). For the others:
        ``download`` (False: never download unless asked), ``split_seed``,
        and the torchvision class's own options (``partition`` for DTD).

    Returns
    -------
    ClassificationDataset with ``class_names``, ``templates``, ``labels``
    ((n,) int64), ``transform`` and ``cache_id``; the pocket dataset also has
    ``images`` ((n, size, size, 3) uint8).

    Raises
    ------
    ValueError : unknown ``name`` or ``split``.
    FileNotFoundError : a full-tier dataset missing from ``root``; the
        message names the path looked in and how to get the data.
    """
    check_choice("name", name, list_datasets())
    if name == "pocket":
        return _load_pocket(split, transform, **kwargs)
    return _load_full(name, split, root, transform, **kwargs)
