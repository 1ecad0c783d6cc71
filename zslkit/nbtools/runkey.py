"""The key of a notebook run: a hash of everything its recorded figures depend on.

Two runs with the same key execute the same cells with the same parameters
on the same code, data and packages, so the second can reuse the first's
results. ``zslkit run --all`` (the main job) skips a notebook whose key is
the one of its last successful run; ``zslkit sweep`` skips a run whose
folder already holds results under the same key.

What goes into a key (:func:`run_key`):

* the notebook's cells (type and source, not their outputs or metadata),
* its parameters, the notebook's defaults updated by the given values,
* :func:`code_version`: every file of the ``zslkit`` package and of
  ``data/`` (by content), ``notebooks/matplotlibrc``, the versions of all
  installed Python distributions, the machine type and the environment
  variables that choose CPU kernels or the dataset folder.

What it cannot see: files outside the project that a notebook reads (the
full tier's datasets under ``ZSLKIT_DATASETS``, Debian data packages) are
identified by their folder, not by their content. ``--force`` re-executes.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from zslkit.paths import PACKAGE_DIR, data_dir, notebooks_dir

__all__ = ["code_version", "notebook_digest", "full_parameters", "parameters_key", "run_key"]

#: environment variables that change what a run computes
KEY_ENVIRONMENT = (
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "MKL_ENABLE_INSTRUCTIONS",
    "ZSLKIT_DATASETS",
)


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _tree_digest(root: Path) -> str:
    """sha256 over the relative paths and contents of every file below ``root``."""
    h = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        h.update(str(rel).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _distributions() -> list[str]:
    from importlib.metadata import distributions

    names = {f"{d.metadata['Name']}=={d.version}" for d in distributions() if d.metadata["Name"]}
    return sorted(names, key=str.lower)


@functools.lru_cache(maxsize=None)
def _code_version(package: str, data: str, rc: str) -> str:
    rc_path = Path(rc)
    return _hash(
        {
            "zslkit": _tree_digest(Path(package)),
            "data": _tree_digest(Path(data)),
            "matplotlibrc": rc_path.read_text() if rc_path.exists() else "",
            "distributions": _distributions(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "environment": {k: os.environ.get(k, "") for k in KEY_ENVIRONMENT},
        }
    )


def code_version() -> str:
    """A hash of the code, data and packages a notebook can read (computed once per process)."""
    return _code_version(str(PACKAGE_DIR), str(data_dir()), str(notebooks_dir() / "matplotlibrc"))


def notebook_digest(notebook: str | Path) -> str:
    """A hash of a notebook's cells: their types and sources, not outputs or metadata."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return _hash([(cell.cell_type, cell.source) for cell in nb.cells])


def full_parameters(notebook: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """The notebook's default parameters (as papermill reads them) updated by the given values.

    ``given`` should already be checked by
    :func:`zslkit.nbtools.notebook_params.validate_parameters`; a run
    given its defaults explicitly has the same parameters as one given
    nothing.
    """
    from zslkit.nbtools.notebook_params import inspect_parameters

    out: dict[str, Any] = {}
    for name, p in inspect_parameters(notebook).items():
        try:  # papermill reports a default as the Python literal in the cell
            out[name] = ast.literal_eval(p.default)
        except (ValueError, SyntaxError):
            out[name] = p.default
    out.update(given)
    return out


def parameters_key(notebook: str | Path, given: dict[str, Any], length: int = 16) -> str:
    """A stable short hash of a notebook's name and full parameters: a run's folder name."""
    params = full_parameters(notebook, given)
    return _hash({"notebook": Path(notebook).stem, "parameters": params})[:length]


def run_key(notebook: str | Path, given: dict[str, Any]) -> str:
    """The key of a run: its notebook's cells, its full parameters and :func:`code_version`."""
    return _hash(
        {
            "notebook": Path(notebook).stem,
            "cells": notebook_digest(notebook),
            "parameters": full_parameters(notebook, given),
            "code": code_version(),
        }
    )
