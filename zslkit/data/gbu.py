"""The standard GBU benchmark ("Zero-Shot Learning - the Good, the Bad and the Ugly").

Xian et al. (2018) fixed features and *proposed splits* for AwA1/AwA2, CUB,
SUN and aPY: ResNet-101 features in ``res101.mat`` and class semantics and
splits in ``att_splits.mat``, one folder per dataset (the ``xlsa17/data``
layout). This is the full tier of Part I: download the files from the
authors' page and point :func:`load_gbu` at them; nothing is fetched here.

The proposed split also divides the seen classes into training and
*validation* classes (``train_loc``, ``val_loc``), on which the penalties
are chosen before the refit on all of ``trainval``:
:func:`proposed_validation_classes` reads them.

Taught in: notebooks/10_attributes_eszsl.ipynb ("full tier" section).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zslkit.checks import check_choice

GBU_DATASETS = ("AWA1", "AWA2", "CUB", "SUN", "APY")


def _cell_strings(cell) -> list[str]:
    """MATLAB cell array of strings (as scipy.io.loadmat returns it) -> list of str."""
    return [
        str(np.asarray(x).ravel()[0]) if np.asarray(x).size else ""
        for x in np.asarray(cell).ravel()
    ]


def load_gbu(root: str | os.PathLike, dataset: str = "AWA2", semantics: str = "att") -> dict:
    """Load one GBU dataset from ``root/<dataset>/{res101.mat, att_splits.mat}``.

    Parameters
    ----------
    root : folder holding one sub-folder per dataset (``xlsa17/data``), or the dataset folder itself
    dataset : one of :data:`GBU_DATASETS`
    semantics : field of ``att_splits.mat`` to use as class semantics ("att", the
        L2-normalised attributes, or "original_att")

    Returns
    -------
    dict with
        ``features`` (n, 2048) float32; ``labels`` (n,) int64, 0-based;
        ``class_names`` list of str; ``class_semantics`` (n_classes, k) float;
        ``trainval``, ``test_seen``, ``test_unseen``: 0-based row indices;
        ``seen``, ``unseen``: 0-based class indices.
    """
    from scipy.io import loadmat

    check_choice("dataset", dataset, GBU_DATASETS)
    check_choice("semantics", semantics, ["att", "original_att"])
    root = Path(root).expanduser()
    folder = root / dataset if (root / dataset).is_dir() else root
    res_path, att_path = folder / "res101.mat", folder / "att_splits.mat"
    missing = [str(p) for p in (res_path, att_path) if not p.exists()]
    if missing:
        raise FileNotFoundError(
            f"GBU {dataset} files not found: {', '.join(missing)}. Download the proposed splits "
            "(xlsa17) of Xian et al. and pass root= the folder that holds AWA2/, CUB/, SUN/, APY/."
        )
    res, att = loadmat(res_path), loadmat(att_path)
    features = np.asarray(res["features"], dtype=np.float32)
    labels = np.asarray(res["labels"]).ravel().astype(np.int64) - 1  # MATLAB labels are 1-based
    if features.shape[0] != labels.size:  # stored as (2048, n) in the official files
        features = features.T
    if features.shape[0] != labels.size:
        raise ValueError(f"{res_path}: features {features.shape} do not match {labels.size} labels")
    semantics_matrix = np.asarray(att[semantics], dtype=float).T  # stored (k, n_classes)
    class_names = _cell_strings(att["allclasses_names"])
    if semantics_matrix.shape[0] != len(class_names):
        raise ValueError(
            f"{att_path}: {semantics} has {semantics_matrix.shape[0]} classes, "
            f"allclasses_names {len(class_names)}"
        )
    locs = {
        name: np.asarray(att[f"{name}_loc"]).ravel().astype(np.int64) - 1  # 1-based in the files
        for name in ("trainval", "test_seen", "test_unseen")
    }
    return {
        "features": features,
        "labels": labels,
        "class_names": class_names,
        "class_semantics": semantics_matrix,
        **locs,
        "seen": np.unique(labels[locs["trainval"]]),
        "unseen": np.unique(labels[locs["test_unseen"]]),
    }


def proposed_validation_classes(root: str | os.PathLike, dataset: str = "AWA2") -> np.ndarray:
    """The validation classes of a GBU dataset's proposed split: the held-out fold of its protocol.

    The files of Xian et al. divide the seen classes' images into
    ``train_loc`` and ``val_loc``, whose classes are disjoint. The
    reproduction of their ESZSL numbers (``mvp18/Popular-ZSL-Algorithms``,
    ``ESZSL/eszsl.py``: CUB 53.94 against the paper's 53.9) fits on the
    training classes, scores zero-shot on the validation classes, and refits
    the chosen setting on ``trainval``. Only the labels are read from
    ``res101.mat``.

    Parameters
    ----------
    root, dataset : as for :func:`load_gbu`

    Returns
    -------
    sorted (n_val_classes,) int64 array of 0-based class indices, a proper
    subset of ``load_gbu(root, dataset)["seen"]``. Raises ``ValueError`` when
    ``att_splits.mat`` has no ``val_loc`` or its classes are not seen classes.

    Taught in: notebooks/10_attributes_eszsl.ipynb ("full tier" section).
    """
    from scipy.io import loadmat

    check_choice("dataset", dataset, GBU_DATASETS)
    root = Path(root).expanduser()
    folder = root / dataset if (root / dataset).is_dir() else root
    res_path, att_path = folder / "res101.mat", folder / "att_splits.mat"
    missing = [str(p) for p in (res_path, att_path) if not p.exists()]
    if missing:
        raise FileNotFoundError(f"GBU {dataset} files not found: {', '.join(missing)}")
    att = loadmat(att_path, variable_names=["val_loc", "trainval_loc"])
    if "val_loc" not in att:
        raise ValueError(
            f"{att_path} has no val_loc: not the proposed split (xlsa17) of Xian et al."
        )
    labels = np.asarray(loadmat(res_path, variable_names=["labels"])["labels"]).ravel() - 1
    val = np.unique(labels[np.asarray(att["val_loc"]).ravel().astype(np.int64) - 1])
    seen = np.unique(labels[np.asarray(att["trainval_loc"]).ravel().astype(np.int64) - 1])
    if not set(val.tolist()) < set(seen.tolist()):
        raise ValueError(
            f"{att_path}: val_loc classes {val.tolist()} are not a proper subset of "
            f"the trainval classes {seen.tolist()}"
        )
    return val.astype(np.int64)
