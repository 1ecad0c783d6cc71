"""Where zslkit finds its notebooks, shipped data and on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def repo_dir() -> Path:
    """The project checkout: ``$ZSLKIT_REPO`` if set, else the folder above the package."""
    return Path(os.environ.get("ZSLKIT_REPO", REPO_DIR))


def notebooks_dir() -> Path:
    """The book's notebooks: ``$ZSLKIT_NOTEBOOKS`` if set, else ``<repo>/notebooks``."""
    return Path(os.environ.get("ZSLKIT_NOTEBOOKS", repo_dir() / "notebooks"))


def data_dir() -> Path:
    """Data shipped with the project (splits, templates, checkpoints): ``<repo>/data``."""
    return Path(os.environ.get("ZSLKIT_DATA", repo_dir() / "data"))


def cache_dir() -> Path:
    """The feature cache: ``$ZSLKIT_CACHE`` if set, else ``~/.cache/zslkit``."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zslkit"
    path = Path(os.environ.get("ZSLKIT_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path
