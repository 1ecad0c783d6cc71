"""One registry of image classification datasets: ``load_dataset(name, split)``.

Every dataset is a ``torch.utils.data.Dataset`` of ``(image, label)`` pairs
with the same extra attributes:

* ``class_names`` - list of str, in label order, as they go into prompts;
* ``templates`` - the dataset's prompt templates: ``str.format`` strings with
  ``{}`` (CoOp's per-dataset templates), or callables (the pocket world's,
  which also fix "a" / "an");
* ``labels`` - (n,) int64 numpy array; ``transform`` - the image transform;
* ``cache_id`` - a dict naming the data exactly (used by the feature cache);
* ``split_source`` - ``"coop"`` when the split came from CoOp's
  ``split_zhou_<Dataset>.json`` file in the dataset folder, else ``"zslkit"``
  (the official split, or zslkit's fixed split); ``split_info`` says it in a
  sentence; ``paths`` - the image files (CoOp splits only, else None).

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
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from zslkit.checks import check_choice, check_range
from zslkit.paths import data_dir

POCKET_SPLITS = ("train", "val", "test")
SPLIT_SOURCES = ("auto", "coop", "zslkit")  # the ``split_source`` option of load_dataset
_LOG = logging.getLogger(__name__)
_ANNOUNCED: set[str] = set()  # CoOp split files load_dataset has named in this process
_POCKET_SALT = 0x706F636B  # keeps pocket dataset seeds apart from other uses of make_images


class ClassificationDataset(torch.utils.data.Dataset):
    """Images with integer labels, class names and prompt templates.

    Items are ``(transform(image), label)`` where ``image`` is an RGB PIL
    image (the input open_clip's ``preprocess`` expects) and ``label`` an int.
    """

    split_source = "zslkit"  # "coop" when read from CoOp's split_zhou_*.json
    split_info = ""  # which split, in a sentence
    paths = None  # image files, for datasets read from a split file
    raw_class_names = None  # the dataset's own (torchvision) class names, for prompt_class_names

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
        source = f", split_source={self.split_source!r}" if self.split_source == "coop" else ""
        return (
            f"{type(self).__name__}({self.cache_id.get('dataset')!r}, split={self.cache_id.get('split')!r}, "
            f"n={len(self)}, n_classes={len(self.class_names)}{source})"
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


#: the prompt sets of a full-tier dataset: name -> what it is (``template_set`` / ``name_set``)
PROMPT_SETS = {
    "coop": "CoOp's per-dataset template (Zhou et al. 2022; CLIP's basic prompt for CIFAR) "
    "and zslkit's class names (CoOp's EuroSAT names, torchvision's elsewhere)",
    "standard": "the standard zero-shot evaluation's class names and templates "
    "(OpenAI's per-dataset lists, as CLIP_benchmark 1.6.2 ships them)",
}


def list_prompt_sets() -> list[str]:
    """Every ``template_set`` / ``name_set`` that :func:`load_templates` and :func:`load_classnames` accept."""
    return list(PROMPT_SETS)


def default_prompt_set(dataset: str, protocol: str = "zeroshot") -> str:
    """The prompt set a chapter uses by default.

    ``"standard"`` for zero-shot evaluation on a full-tier dataset (the
    numbers papers and CLIP_benchmark report), ``"coop"`` for the few-shot
    protocol (CoOp, Tip-Adapter, GDA report with CoOp's prompts), ``"pocket"``
    for the pocket world, which has its own templates.
    """
    check_choice("protocol", protocol, ["zeroshot", "fewshot"])
    check_choice("dataset", dataset, list_datasets())
    if dataset == "pocket":
        return "pocket"
    return "standard" if protocol == "zeroshot" else "coop"


def _set_file(kind: str, name: str, prompt_set: str | None) -> Path:
    """``data/<kind>/<name>.json`` (``None``, ``"coop"``) or ``data/<kind>/standard/<name>.json``."""
    if prompt_set is None:
        return data_dir() / kind / f"{name}.json"
    option = "template_set" if kind == "templates" else "name_set"
    check_choice(option, prompt_set, list_prompt_sets())
    if name not in FULL_DATASETS:
        raise ValueError(
            f"{option}={prompt_set!r} needs a full-tier dataset, not {name!r}; "
            f"choose one of {sorted(FULL_DATASETS)} (or {option}=None)"
        )
    folder = data_dir() / kind / ("standard" if prompt_set == "standard" else "")
    return folder / f"{name}.json"


def load_templates(name: str, template_set: str | None = None) -> list:
    """Prompt templates from ``data/templates/``.

    Parameters
    ----------
    name : a dataset (``"eurosat"``) or a template file
        (``"imagenet_openai80"``, ``"imagenet_simple7"``). ``"pocket"`` gives
        the pocket world's zero-shot ensemble as callables
        (``zslkit.data.world.templates``).
    template_set : ``None``: the file ``data/templates/<name>.json`` (for a
        dataset, CoOp's template). For a full-tier dataset, ``"coop"`` (the
        same) or ``"standard"``: the templates of the standard zero-shot
        evaluation as CLIP_benchmark ships them
        (``data/templates/standard/<name>.json``), written with ``{c}``;
        :func:`zslkit.models.zeroshot.fill_template` fills both forms.

    Returns
    -------
    list of ``str.format`` templates (callables for ``"pocket"``), in file order.
    """
    if name == "pocket" and template_set is None:
        from zslkit.data import world

        return world.templates("zeroshot")
    path = _set_file("templates", name, template_set)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.json"))
        raise ValueError(f"templates {name!r} not found ({path}); choose one of {known}")
    content = _read_json(path)
    return list(content["templates"] if isinstance(content, dict) else content)


def load_classnames(
    name: str,
    raw_classes: Sequence[str] | None = None,
    n_classes: int | None = None,
    name_set: str | None = None,
) -> list[str]:
    """Class names for prompts, in label order.

    A class-name file holds ``"classnames"`` (the full list in label order),
    ``"rename"`` (a map from the dataset's own class names to prompt names;
    names it leaves out, and datasets without a file, have ``_`` and ``/``
    read as spaces) or, in the standard set, ``"from_dataset"`` (the
    dataset's own names with the listed characters read as spaces, nothing
    else changed: CLIP_benchmark's rule where it ships no list).

    Parameters
    ----------
    name : a dataset of :func:`list_datasets` (or ``"fashion_mnist"``).
    raw_classes : the dataset's own class names (torchvision's), in label order.
    n_classes : the number of classes of the data, checked against a full list.
    name_set : ``None`` or ``"coop"``: ``data/classnames/<name>.json``;
        ``"standard"``: ``data/classnames/standard/<name>.json``, the names
        of the standard zero-shot evaluation (CLIP_benchmark 1.6.2).
    """
    path = _set_file("classnames", name, name_set)
    content = _read_json(path) if path.is_file() else {}
    if "classnames" in content:
        names = list(content["classnames"])
        if n_classes is not None and len(names) != n_classes:
            raise ValueError(
                f"{path} lists {len(names)} class names but the data has {n_classes} classes"
            )
        return names
    if raw_classes is None:
        why = "it needs the dataset's own names" if content else f"{path} does not exist"
        raise ValueError(f"no class names for {name!r}: {why}")
    if "from_dataset" in content:
        names = [str(raw) for raw in raw_classes]
        for char in content["from_dataset"]["replace_with_space"]:
            names = [n.replace(char, " ") for n in names]
        return names
    rename = content.get("rename", {})
    return [rename.get(raw, _clean(raw)) for raw in raw_classes]


def prompt_class_names(data: Any, name_set: str | None = None) -> list[str]:
    """The class names of a loaded dataset in a name set.

    Parameters
    ----------
    data : a dataset from :func:`load_dataset`.
    name_set : ``None``: ``data.class_names`` (also ``"pocket"`` for the
        pocket world); for a full-tier dataset ``"coop"`` or ``"standard"``
        (see :func:`load_classnames`).

    Taught in: notebooks/20_prompt_ensembling.ipynb
    """
    name = data.cache_id.get("dataset")
    if name_set is None or (name == "pocket" and name_set == "pocket"):
        return list(data.class_names)
    coop = getattr(data, "split_source", "zslkit") == "coop"
    if coop and name_set == "coop":
        return list(data.class_names)  # CoOp's names, from its split file
    raw = getattr(data, "raw_class_names", None)
    full = _torchvision_classes(name, data) if coop else None
    if full is not None and raw is not None:  # Caltech-101: CoOp dropped a class
        names = load_classnames(name, full, len(full), name_set=name_set)
        return [names[full.index(folder)] for folder in raw]
    return load_classnames(name, raw, len(data.class_names), name_set=name_set)


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


# --------------------------------------------------------------------------
# CoOp's split files: split_zhou_<Dataset>.json
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _CoopSplit:
    file: str  # CoOp's file name (datasets/<name>.py, self.split_path)
    layouts: tuple[tuple[str, str], ...]  # (dataset folder under root, image folder in it)


# File names and image folders as CoOp's datasets/*.py define them; each
# dataset is looked for in zslkit's (torchvision's) layout first, then in
# CoOp's own (its DATASETS.md), e.g. <root>/oxford_pets/images.
COOP_SPLITS: dict[str, _CoopSplit] = {
    "eurosat": _CoopSplit("split_zhou_EuroSAT.json", (("eurosat", "2750"),)),
    "oxford_pets": _CoopSplit(
        "split_zhou_OxfordPets.json", (("oxford-iiit-pet", "images"), ("oxford_pets", "images"))
    ),
    "caltech101": _CoopSplit(
        "split_zhou_Caltech101.json",
        (("caltech101", "101_ObjectCategories"), ("caltech-101", "101_ObjectCategories")),
    ),
    "dtd": _CoopSplit(
        "split_zhou_DescribableTextures.json", (("dtd/dtd", "images"), ("dtd", "images"))
    ),
    "flowers102": _CoopSplit(
        "split_zhou_OxfordFlowers.json", (("flowers-102", "jpg"), ("oxford_flowers", "jpg"))
    ),
    "food101": _CoopSplit("split_zhou_Food101.json", (("food-101", "images"),)),
    "stanford_cars": _CoopSplit("split_zhou_StanfordCars.json", (("stanford_cars", ""),)),
    "sun397": _CoopSplit("split_zhou_SUN397.json", (("SUN397", ""), ("sun397", "SUN397"))),
}


def find_coop_split(name: str, root: str | os.PathLike) -> tuple[Path, Path] | None:
    """Where CoOp's split file of dataset ``name`` lies under ``root``, if anywhere.

    Returns ``(split file, image folder)``: the image paths in the file are
    relative to the image folder (CoOp's ``image_dir``: ``2750`` for
    EuroSAT, ``images`` for Oxford Pets, ...). None when no file exists or
    CoOp defines none for ``name`` (FGVC Aircraft, ImageNet, CIFAR).

    Taught in: notebooks/30_training_free_adapters.ipynb (the full tier's few-shot splits).
    """
    entry = COOP_SPLITS.get(name)
    for folder, images in entry.layouts if entry else ():
        path = Path(root).expanduser() / folder / entry.file
        if path.is_file():
            return path, path.parent / images
    return None


def _coop_item(path: Path, part: str, i: int, item) -> tuple[str, int, str]:
    ok = (
        isinstance(item, (list, tuple))
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and not isinstance(item[1], bool)
        and item[1] >= 0
        and isinstance(item[2], str)
    )
    if not ok:
        raise ValueError(
            f"{path}: entry {i} of {part!r} is {str(item)[:80]!r}; expected "
            "[relative image path, label >= 0, class name] (CoOp's split format)"
        )
    return item[0], item[1], item[2]


def read_coop_split(path: str | os.PathLike, image_dir: str | os.PathLike) -> dict:
    """Read a CoOp split file: ``{"train"|"val"|"test": [[path, label, class name], ...]}``.

    Parameters
    ----------
    path : the ``split_zhou_<Dataset>.json`` file (CoOp's ``save_split``).
    image_dir : the folder the image paths are relative to.

    Returns
    -------
    dict with, for ``"train"``, ``"val"`` and ``"test"``, a pair (list of
    image paths as str, (n,) int64 label array), and ``"class_names"``: the
    file's class names in label order.

    Raises
    ------
    ValueError : not JSON, a part missing, an entry not of the form
        ``[str, int >= 0, str]``, a label with two names or a label of
        ``0..C-1`` that no entry has.

    Taught in: notebooks/30_training_free_adapters.ipynb (the full tier's few-shot splits).
    """
    path = Path(path)
    try:
        content = _read_json(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a CoOp split file: not valid JSON ({err})") from err
    parts = ("train", "val", "test")
    if not isinstance(content, dict) or not all(isinstance(content.get(p), list) for p in parts):
        found = sorted(content) if isinstance(content, dict) else type(content).__name__
        raise ValueError(
            f"{path} is not a CoOp split file: expected lists 'train', 'val', 'test'; found {found}"
        )
    out, names = {}, {}
    for part in parts:
        rows = [_coop_item(path, part, i, item) for i, item in enumerate(content[part])]
        for _, label, cname in rows:
            if names.setdefault(label, cname) != cname:
                raise ValueError(
                    f"{path}: label {label} is named both {names[label]!r} and {cname!r}"
                )
        out[part] = (
            [str(Path(image_dir) / rel) for rel, _, _ in rows],
            np.array([label for _, label, _ in rows], dtype=np.int64),
        )
    missing = sorted(set(range(max(names, default=-1) + 1)) - set(names)) or ([] if names else [0])
    if missing:
        raise ValueError(f"{path}: no entry has label(s) {missing[:10]}; labels must be 0..C-1")
    out["class_names"] = [names[c] for c in range(len(names))]
    return out


def _open_rgb(path: str):
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def _load_coop(name, split, root, transform, found, kwargs) -> ClassificationDataset:
    if kwargs:
        raise ValueError(
            f"{name}: options {sorted(kwargs)} do not apply to CoOp's split file "
            f"{found[0]}; pass split_source='zslkit' to use them"
        )
    path, image_dir = found
    content = read_coop_split(path, image_dir)
    parts = {"trainval": ("train", "val"), "all": ("train", "val", "test")}.get(split, (split,))
    paths = [p for part in parts for p in content[part][0]]
    labels = np.concatenate([content[part][1] for part in parts])
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f"{name}: {len(missing)} of the {len(paths)} {split!r} images listed in {path} "
            f"are missing, e.g. {missing[0]} (paths are relative to {image_dir})"
        )
    cache_id = {
        "dataset": name,
        "split": split,
        "root": str(Path(root).resolve()),
        "n": len(paths),
        "split_source": "coop",
        "split_file": _source_hash(str(path)),
    }
    data = ClassificationDataset(
        lambda i: _open_rgb(paths[i]),
        labels,
        content["class_names"],
        load_templates(name),
        transform,
        cache_id,
    )
    data.split_source, data.paths = "coop", paths
    data.raw_class_names = _coop_folder_classes(name, content, image_dir)
    data.split_info = f"{name} {split!r}: CoOp's split file {path} ({len(paths)} images)"
    if str(path) not in _ANNOUNCED:  # said once per file and process, as CoOp says it
        _ANNOUNCED.add(str(path))
        sizes = " / ".join(f"{p} {len(content[p][1])}" for p in ("train", "val", "test"))
        print(f"{name}: using CoOp's split file {path} ({sizes} images)")
    return data


def _coop_folder_classes(name: str, content: dict, image_dir) -> list[str] | None:
    """Caltech-101 in CoOp's split: each label's class folder, and torchvision's folder order.

    CoOp's Caltech-101 has 100 classes: it leaves out ``Faces_easy`` as well
    as ``BACKGROUND_Google``, while torchvision (and so the standard name
    list) keeps every folder but ``BACKGROUND_Google``. The folders let
    :func:`prompt_class_names` take each CoOp class's standard name by its
    folder. None for the other datasets, whose CoOp labels follow
    torchvision's order.
    """
    if name != "caltech101":
        return None
    folders: dict[int, str] = {}
    for part in ("train", "val", "test"):
        for path, label in zip(content[part][0], content[part][1]):
            folders.setdefault(int(label), Path(path).relative_to(image_dir).parts[0])
    return [folders[c] for c in range(len(content["class_names"]))]


def _torchvision_classes(name: str, data: Any) -> list[str] | None:
    """torchvision's class folders of a CoOp-split Caltech-101 (its ``categories``), else None."""
    if name != "caltech101" or not getattr(data, "paths", None):
        return None
    image_dir = Path(data.paths[0]).parent.parent
    return sorted(
        p.name for p in image_dir.iterdir() if p.is_dir() and p.name != "BACKGROUND_Google"
    )


def _load_full(
    name: str,
    split: str,
    root,
    transform,
    download: bool = False,
    split_seed: int = 0,
    split_source: str = "auto",
    **kwargs,
) -> ClassificationDataset:
    entry = FULL_DATASETS[name]
    check_choice("split", split, _splits_of(entry))
    root = Path(root).expanduser() if root is not None else default_root()
    found = None if split_source == "zslkit" else find_coop_split(name, root)
    if found is not None:
        options = dict(kwargs, **({"split_seed": split_seed} if split_seed else {}))
        return _load_coop(name, split, root, transform, found, options)
    if split_source == "coop":
        coop = COOP_SPLITS[name]
        looked = [str(root / folder / coop.file) for folder, _ in coop.layouts]
        raise FileNotFoundError(
            f"{name}: split_source='coop' but CoOp's split file is not at {' or '.join(looked)}; "
            "get it from CoOp's DATASETS.md (github.com/KaiyangZhou/CoOp), or pass "
            "split_source='auto'"
        )
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
    data = ClassificationDataset(
        lambda i: base[int(indices[i])][0],
        labels[indices],
        class_names,
        templates,
        transform,
        cache_id,
    )
    data.raw_class_names = None if raw is None else list(raw)
    data.split_info = f"{name} {split!r}: " + (
        f"the official {tv_split!r} split"
        if fractions is None
        else "zslkit's fixed per-class "
        + "/".join(f"{round(100 * f)}" for f in fractions.values())
        + f" split of {source!r} (split_seed={split_seed})"
    )
    return data


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
        ``"test"`` is its validation set. When CoOp's split file
        ``split_zhou_<Dataset>.json`` lies in the dataset folder (EuroSAT,
        Pets, Caltech101, DTD, Flowers102, Food101, Cars, SUN397), its
        ``train``/``val``/``test`` lists are used instead (``trainval`` and
        ``all`` join them), with its class names; the dataset's
        ``split_source`` and ``split_info`` say which split was used.
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
        ``split_source`` (``"auto"``: CoOp's ``split_zhou_<Dataset>.json``
        when the dataset folder holds it, see :data:`COOP_SPLITS`, else
        zslkit's split; ``"coop"``: require the file; ``"zslkit"``: ignore
        it), and the torchvision class's own options (``partition`` for DTD).

    Returns
    -------
    ClassificationDataset with ``class_names``, ``templates``, ``labels``
    ((n,) int64), ``transform`` and ``cache_id``; the pocket dataset also has
    ``images`` ((n, size, size, 3) uint8).

    Raises
    ------
    ValueError : unknown ``name``, ``split`` or ``split_source``; a malformed
        CoOp split file (the message names it).
    FileNotFoundError : a full-tier dataset missing from ``root``; the
        message names the path looked in and how to get the data. Images
        a CoOp split file lists but ``root`` lacks (the message names one).
    """
    check_choice("name", name, list_datasets())
    source = kwargs.get("split_source", "auto")
    check_choice("split_source", source, SPLIT_SOURCES)
    if source == "coop" and name not in COOP_SPLITS:
        raise ValueError(
            f"CoOp has no split file for {name!r} (split_source='coop'); "
            f"choose one of {sorted(COOP_SPLITS)}"
        )
    if name == "pocket":
        kwargs.pop("split_source", None)
        data = _load_pocket(split, transform, **kwargs)
        data.split_info = f"pocket {split!r}: rendered (seed {data.cache_id['seed']})"
        return data
    data = _load_full(name, split, root, transform, **kwargs)
    _LOG.info("split used: %s", data.split_info)
    return data
