"""The real GeneCIS benchmark on disk (full tier of chapter 50).

GeneCIS (Vaze, Carion and Misra, CVPR 2023; github.com/facebookresearch/genecis)
ships one JSON file per task in its ``genecis/`` folder: a list of queries,
each a dict with ``reference`` and ``target`` (one image each), ``condition``
(a string) and ``gallery`` (a list of images, the target not among them).
An image is

* for the attribute tasks (``focus_attribute``, ``change_attribute``), a
  Visual Genome 1.2 object: ``{"image_id": int, "instance_bbox": [x, y, w,
  h], ...}``; the evaluation crops the box dilated by 0.7 of its size on each
  side (clipped to the image) and pads the crop to a square with black;
* for the object tasks (``focus_object``, ``change_object``), a COCO 2017
  validation image: ``{"val_image_id": int}``, file ``{id:012d}.jpg``.

The images are not part of the benchmark: download Visual Genome 1.2 (all
108,249 images in one folder, ``{image_id}.jpg``) and COCO's ``val2017``.
The expected layout under ``root`` (default: ``$ZSLKIT_DATASETS/genecis`` or
``~/datasets/genecis``)::

    genecis/
        focus_attribute.json  change_attribute.json
        focus_object.json     change_object.json
        visual_genome/        {image_id}.jpg
        coco/val2017/         {val_image_id:012d}.jpg

Taught in: notebooks/50_conditional_similarity.ipynb (full tier).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from zslkit.checks import check_choice

TASKS = ("focus_attribute", "change_attribute", "focus_object", "change_object")
"""GeneCIS's four tasks, as its annotation files are named."""

ATTRIBUTE_TASKS = ("focus_attribute", "change_attribute")
DILATION = 0.7
"""How far the evaluation widens an attribute task's box, as a fraction of its size."""

VG_DIR = "visual_genome"
COCO_DIR = os.path.join("coco", "val2017")


def default_root() -> Path:
    """``$ZSLKIT_DATASETS/genecis``, else ``~/datasets/genecis``."""
    from zslkit.data.datasets import default_root as datasets_root

    return datasets_root() / "genecis"


def _fail(message: str) -> None:
    raise FileNotFoundError(
        f"{message}. GeneCIS's annotation files come from "
        "github.com/facebookresearch/genecis (folder genecis/); its images from Visual "
        "Genome 1.2 (into visual_genome/) and COCO 2017 val (into coco/val2017/). "
        "Pass root=... or set ZSLKIT_DATASETS (see zslkit.data.genecis)."
    )


def image_path(image: dict, task: str, root: str | os.PathLike | None = None) -> Path:
    """The file of one annotation image of ``task``."""
    check_choice("task", task, TASKS)
    root = Path(root) if root else default_root()
    if task in ATTRIBUTE_TASKS:
        return root / VG_DIR / f"{int(image['image_id'])}.jpg"
    return root / COCO_DIR / f"{int(image['val_image_id']):012d}.jpg"


def crop_box(bbox, width: int, height: int, dilation: float = DILATION) -> tuple[float, ...]:
    """(left, top, right, bottom) of an attribute task's crop, as GeneCIS evaluates it.

    The box ``[x, y, w, h]`` grows by ``dilation * w`` (``* h``) to the left
    (top), clipped at 0, and the crop is ``(1 + dilation)`` times the box
    wide (high), clipped at the image's right (bottom) edge.
    """
    x, y, w, h = (float(v) for v in bbox)
    left, top = max(0.0, x - dilation * w), max(0.0, y - dilation * h)
    right = min(float(width), left + (1 + dilation) * w)
    bottom = min(float(height), top + (1 + dilation) * h)
    return left, top, right, bottom


def load_image(image: dict, task: str, root: str | os.PathLike | None = None):
    """One annotation image as an RGB PIL image (attribute tasks: cropped and padded)."""
    from PIL import Image

    path = image_path(image, task, root)
    if not path.is_file():
        _fail(f"GeneCIS {task}: image {path} is missing")
    with Image.open(path) as opened:
        im = opened.convert("RGB")
    if task not in ATTRIBUTE_TASKS:
        return im
    im = im.crop(tuple(round(v) for v in crop_box(image["instance_bbox"], *im.size)))
    side = max(im.size)
    square = Image.new("RGB", (side, side), (0, 0, 0))
    square.paste(im, ((side - im.width) // 2, (side - im.height) // 2))
    return square


def load_task(task: str, root: str | os.PathLike | None = None, check_images: bool = True):
    """The queries of one GeneCIS task.

    Parameters
    ----------
    task : one of :data:`TASKS`.
    root : the folder of the layout in the module docstring.
    check_images : fail at once (before any encoding) when an image a query
        needs is missing.

    Returns
    -------
    list of dicts, one per query: ``condition`` (str), ``reference``
    (image dict), ``candidates`` (the target first, then the gallery, as
    GeneCIS's evaluation orders them, so the target's position is 0) and
    ``target`` (0).

    Raises
    ------
    ValueError : an unknown ``task`` (naming the valid ones) or a file not in
        GeneCIS's format.
    FileNotFoundError : the annotation file or an image is missing.
    """
    check_choice("task", task, TASKS)
    root = Path(root) if root else default_root()
    path = root / f"{task}.json"
    if not path.is_file():
        _fail(f"GeneCIS {task}: no annotation file {path}")
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    key = "image_id" if task in ATTRIBUTE_TASKS else "val_image_id"
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: expected a non-empty list of queries, got {type(raw).__name__}")
    queries: list[dict[str, Any]] = []
    for n, q in enumerate(raw):
        missing = {"reference", "target", "condition", "gallery"} - set(q)
        images = [q.get("reference"), q.get("target"), *q.get("gallery", [])]
        if missing or any(not isinstance(im, dict) or key not in im for im in images):
            raise ValueError(
                f"{path}: query {n} is not in GeneCIS's {task} format (keys reference, target, "
                f"condition, gallery; images with {key!r}); missing {sorted(missing) or key!r}"
            )
        if task in ATTRIBUTE_TASKS and any(len(im.get("instance_bbox", ())) != 4 for im in images):
            raise ValueError(f"{path}: query {n} has an image without a 4-number instance_bbox")
        queries.append(
            {
                "condition": str(q["condition"]),
                "reference": q["reference"],
                "candidates": [q["target"], *q["gallery"]],
                "target": 0,
            }
        )
    if check_images:
        for q in queries:
            for im in [q["reference"], *q["candidates"]]:
                if not image_path(im, task, root).is_file():
                    _fail(f"GeneCIS {task}: image {image_path(im, task, root)} is missing")
    return queries
