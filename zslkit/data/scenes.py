"""Pocket scenes: mosaics of several pocket objects with exact per-pixel masks.

A scene is a ``grid x grid`` mosaic of pocket images (``tile`` pixels each,
32 by default, rendered by :mod:`zslkit.data.world` exactly as
:func:`zslkit.data.world.make_images` renders them), one object per tile,
each tile of a different class. This is the pocket form of the "Mosaic-4"
benchmark of Fusioner (Ma et al. 2022: four FSS-1000 samples mosaicked into
one image): the layout is trivial, the labels exact. Because every object is
drawn from its geometry (centre, radius, rotation, shape), its mask is known
exactly: a pixel belongs to the object when at least half of its
``2 x 2`` supersamples fall inside the shape (the same supersamples whose
average is the object's anti-aliased coverage in the image).

Masks hold ``0`` for background and ``k + 1`` for an object of class
``class_names[k]``.

Taught in: notebooks/51_open_vocabulary_segmentation.ipynb
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.data import world

MASK_VARIANTS = ("photo", "noisy", "background")
"""Variants whose object geometry is exact (a sketch's pen wobble is random)."""


def object_masks(scene: dict, size: int) -> np.ndarray:
    """(n, size, size) bool masks of the objects of a world scene dict.

    ``scene`` holds per-object arrays ``shape, cx, cy, radius, angle`` as
    :func:`zslkit.data.world._place` draws them; a pixel is inside when at
    least half of its supersamples are inside the shape.
    """
    g = world._grid(size)
    dx = g[None, None, :] - scene["cx"][:, None, None]
    dy = g[None, :, None] - scene["cy"][:, None, None]
    cos = np.cos(scene["angle"])[:, None, None]
    sin = np.sin(scene["angle"])[:, None, None]
    radius = scene["radius"][:, None, None]
    u, v = (cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius
    inside = np.zeros(u.shape, dtype=bool)
    for k, shape in enumerate(world.ATTRIBUTES["shape"]):
        idx = np.flatnonzero(scene["shape"] == k)
        if len(idx):
            inside[idx] = world._shape_mask(shape, u[idx], v[idx])
    return world._downsample(inside.astype(np.float32)) >= 0.5


def _draw_tile_labels(n_classes: int, n_scenes: int, per_scene: int, rng) -> np.ndarray:
    """Distinct classes per scene, nearly balanced.

    The classes are queued as a run of random permutations; each scene takes
    the first ``per_scene`` distinct classes from the front of the queue (a
    class met twice waits for the next scene), so counts differ by at most
    a few.
    """
    if per_scene > n_classes:
        raise ValueError(
            f"a {per_scene}-object scene needs {per_scene} distinct classes, got {n_classes}"
        )
    labels = np.empty((n_scenes, per_scene), dtype=np.int64)
    queue: list[int] = []
    for s in range(n_scenes):
        while len(set(queue)) < per_scene:
            queue.extend(int(c) for c in rng.permutation(n_classes))
        taken: list[int] = []
        rest: list[int] = []
        for c in queue:
            if len(taken) < per_scene and c not in taken:
                taken.append(c)
            else:
                rest.append(c)
        labels[s], queue = taken, rest
    return labels


def make_mosaics(
    class_names: Sequence[str],
    n_scenes: int,
    seed: int = 0,
    variant: str = "photo",
    grid: int = 2,
    tile: int = 32,
    task: str = "colour_shape",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mosaic scenes of pocket objects with exact masks.

    Parameters
    ----------
    class_names : classes of ``task`` the objects are drawn from; each scene
        shows ``grid**2`` distinct ones, and over the scenes every class
        appears about equally often (counts differ by at most a few).
    n_scenes : number of scenes.
    seed : the same arguments give the same scenes.
    variant : ``"photo"``, ``"noisy"`` or ``"background"``
        (:data:`MASK_VARIANTS`).
    grid, tile : a scene is ``grid x grid`` tiles of ``tile`` pixels.

    Returns
    -------
    images : (n_scenes, grid*tile, grid*tile, 3) uint8 array
    masks : (n_scenes, grid*tile, grid*tile) int64 array, 0 for background,
        ``k + 1`` for class ``class_names[k]``
    tile_labels : (n_scenes, grid*grid) int64 array, the class of each tile,
        row by row (top-left first)
    """
    parsed = world._check_classes(class_names, task)
    check_range("n_scenes", n_scenes, 1, integer=True)
    check_choice("variant", variant, MASK_VARIANTS)
    check_range("grid", grid, 1, 4, integer=True)
    world._check_common(variant, tile, seed)
    rng = np.random.default_rng(seed)
    per = grid * grid
    tile_labels = _draw_tile_labels(len(parsed), n_scenes, per, rng)
    flat = tile_labels.ravel()
    index = world._attribute_indices(parsed, flat, rng)
    scene = world._place(index, rng, tile)
    tiles = world._render(scene, variant, rng, tile)
    inside = object_masks(scene, tile)
    tile_masks = np.where(inside, flat[:, None, None] + 1, 0)

    def assemble(a: np.ndarray) -> np.ndarray:
        a = a.reshape(n_scenes, grid, grid, tile, tile, *a.shape[3:])
        a = np.swapaxes(a, 2, 3)  # (n, row, y, col, x, ...)
        return a.reshape(n_scenes, grid * tile, grid * tile, *a.shape[5:])

    return assemble(tiles), assemble(tile_masks).astype(np.int64), tile_labels


# --------------------------------------------------------------------------
# Full tier: PASCAL VOC 2012 segmentation, in its own on-disk format
# --------------------------------------------------------------------------
VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "dining table", "dog", "horse", "motorbike", "person", "potted plant", "sheep", "sofa",
    "train", "tv monitor",
)  # fmt: skip
"""PASCAL VOC's 20 object classes; mask value ``k + 1`` is ``VOC_CLASSES[k]``, 0 background."""
VOC_IGNORE = 255
"""Mask value of VOC's void pixels (object borders, difficult regions)."""


def voc_root(root=None):
    """The ``VOCdevkit/VOC2012`` folder under ``root`` (default: the full-tier dataset root)."""
    from pathlib import Path

    from zslkit.data.datasets import default_root

    base = Path(root) if root else default_root()
    for candidate in (base, base / "VOC2012", base / "VOCdevkit" / "VOC2012"):
        if (candidate / "SegmentationClass").is_dir() and (candidate / "JPEGImages").is_dir():
            return candidate
    raise FileNotFoundError(
        f"PASCAL VOC 2012 not found under {base}: expected VOCdevkit/VOC2012/ with JPEGImages/, "
        "SegmentationClass/ and ImageSets/Segmentation/{train,val}.txt (the VOCtrainval_11-May-2012 "
        "archive); pass root= or set ZSLKIT_DATASETS"
    )


def load_voc_segmentation(
    root=None, split: str = "val", size: int | None = None, n_max: int | None = None
):
    """PASCAL VOC 2012 segmentation images and masks, read from the official files.

    ``ImageSets/Segmentation/<split>.txt`` lists the image ids; the image is
    ``JPEGImages/<id>.jpg`` and its mask ``SegmentationClass/<id>.png``, a
    palette PNG whose pixel values are the class indices (0 background,
    1-20 :data:`VOC_CLASSES`, 255 void).

    Parameters
    ----------
    root : folder holding ``VOCdevkit/VOC2012`` (or that folder itself).
    split : ``"train"`` or ``"val"``.
    size : if given, images are resized bilinearly and masks by nearest
        neighbour to ``size x size`` and returned as arrays.
    n_max : read at most this many images (the first in the list).

    Returns
    -------
    images : list of (H, W, 3) uint8 arrays, or an (n, size, size, 3) array
    masks : list of (H, W) int64 arrays, or an (n, size, size) array
    ids : list of image ids
    """
    from PIL import Image

    check_choice("split", split, ("train", "val"))
    if size is not None:
        check_range("size", size, 8, 4096, integer=True)
    if n_max is not None:
        check_range("n_max", n_max, 1, integer=True)
    base = voc_root(root)
    listing = base / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not listing.is_file():
        raise FileNotFoundError(f"{listing} is missing: the VOC 2012 split lists are needed")
    ids = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    ids = ids[:n_max] if n_max else ids
    images, masks = [], []
    for image_id in ids:
        img = Image.open(base / "JPEGImages" / f"{image_id}.jpg").convert("RGB")
        mask = Image.open(base / "SegmentationClass" / f"{image_id}.png")
        if mask.mode not in ("P", "L"):
            raise ValueError(f"{image_id}.png has mode {mask.mode}; VOC masks are palette PNGs")
        if size is not None:
            img = img.resize((size, size), Image.BILINEAR)
            mask = mask.resize((size, size), Image.NEAREST)
        images.append(np.asarray(img, dtype=np.uint8))
        masks.append(np.asarray(mask, dtype=np.int64))
    if size is not None:
        return np.stack(images), np.stack(masks), ids
    return images, masks, ids
