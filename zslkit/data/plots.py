"""Figures of the pocket world: rendered images laid out in a labelled grid.

Taught in: notebooks/00_what_is_zero_shot.ipynb (seen and unseen classes),
notebooks/02_toyclip_pretraining.ipynb (the pocket web's conditions)
and notebooks/01_pocket_world.ipynb (one class per column, one domain per row).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_image_grid(
    rows: Sequence[np.ndarray],
    titles: Sequence[str] | Sequence[Sequence[str]] | None = None,
    row_labels: Sequence[str] | None = None,
    *,
    frame: bool = True,
    title_size: float = 9,
    label_size: float = 10,
    figsize: tuple[float, float] | None = None,
    suptitle: str | None = None,
):
    """Show images in a grid: one row per entry of ``rows``, one image per column.

    Parameters
    ----------
    rows : R arrays of C images each, ``(C, H, W, 3)`` uint8, e.g. the images
        of :func:`zslkit.data.world.make_images` with one image per class.
    titles : C column titles (drawn above the top row), or R lists of C
        titles, one above every image.
    row_labels : R labels, written vertically left of each row.
    frame : keep a thin frame around each image (ticks are always hidden).
    title_size, label_size : font sizes of the titles and the row labels.
    figsize, suptitle : size and overall title of the figure.

    Returns
    -------
    fig, axes : the matplotlib Figure and the (R, C) array of its Axes, each
        holding one image.
    """
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), len(rows[0])
    if any(len(images) != n_cols for images in rows):
        raise ValueError(f"every row needs {n_cols} images, got {[len(r) for r in rows]}")
    per_image = titles is not None and len(titles) > 0 and not isinstance(titles[0], str)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image)
            ax.set_xticks([])
            ax.set_yticks([])
            if not frame:
                ax.spines[:].set_visible(False)
            if titles is not None and (per_image or r == 0):
                ax.set_title(titles[r][c] if per_image else titles[c], fontsize=title_size)
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=label_size)
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig, axes


def plot_conditions(class_names: Sequence[str], seed: int = 0, figsize=(12, 3.4)):
    """One image of each class in every domain and photo context of the pocket web.

    Columns: the domains of :data:`zslkit.data.web.DOMAINS` (plain photos
    first), then the photo contexts of :data:`zslkit.data.web.CONTEXTS`;
    rows: ``class_names``. Images from :func:`zslkit.data.web.make_images`
    with ``seed``.

    Returns
    -------
    fig, axes : as :func:`plot_image_grid`.

    Taught in: notebooks/02_toyclip_pretraining.ipynb
    """
    from zslkit.data import web

    conditions = [(d, "plain") for d in web.DOMAINS]
    conditions += [("photo", c) for c in web.CONTEXTS if c != "plain"]
    columns = [web.make_images(class_names, 1, d, c, seed=seed)[0] for d, c in conditions]
    rows = [np.stack([column[i] for column in columns]) for i in range(len(class_names))]
    names = [d if c == "plain" else c for d, c in conditions]
    return plot_image_grid(rows, names, class_names, title_size=6, figsize=figsize)
