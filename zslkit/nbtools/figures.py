"""Checking a re-executed notebook's figures against the committed ones.

Every committed notebook carries the figures of its default run in its
metadata (``metadata.zslkit.results``), each with the tolerance the notebook
declared for it (``metadata.zslkit.tolerances``, from
``zslkit.record(name, value, tol=...)``). A re-run on another machine passes
when every numeric figure lies within its tolerance of the committed value
and every other figure (string, bool, None) is equal. The tolerance of the
re-run counts (it is the notebook's current source), else the committed one.

``zslkit check NOTEBOOK`` re-executes one notebook and applies this check;
the test suite applies it to every notebook (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from zslkit.nbtools.results import DEFAULT_TOL


@dataclass(frozen=True)
class Moved:
    """One figure that did not reproduce."""

    notebook: str
    name: str
    committed: Any
    new: Any
    tol: float | None
    why: str  # moved, changed, missing or new

    def message(self) -> str:
        if self.why == "moved":
            detail = (
                f"committed {self.committed!r}, re-run {self.new!r}, "
                f"|difference| {abs(self.new - self.committed):.3g} > tolerance {self.tol:g}"
            )
        elif self.why == "changed":
            detail = f"committed {self.committed!r}, re-run {self.new!r} (must be equal)"
        elif self.why == "missing":
            detail = f"committed {self.committed!r}, not recorded by the re-run"
        else:
            detail = f"re-run recorded {self.new!r}, the committed notebook has no such figure"
        return (
            f"{self.notebook}: figure {self.name!r} {self.why}: {detail}\n"
            f"    rerun this notebook alone: .venv/bin/zslkit check {self.notebook}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def committed_figures(notebook: str | Path) -> dict[str, tuple[Any, float | None]]:
    """``{name: (value, tolerance)}`` of a committed notebook's recorded figures."""
    meta = json.loads(Path(notebook).read_text()).get("metadata", {}).get("zslkit", {})
    tols = meta.get("tolerances", {})
    return {k: (v, tols.get(k, DEFAULT_TOL)) for k, v in meta.get("results", {}).items()}


def compare_figures(
    notebook: str,
    committed: Mapping[str, tuple[Any, float]],
    results: Mapping[str, Any],
    tolerances: Mapping[str, float],
) -> list[Moved]:
    """Every figure of a re-run that does not reproduce its committed value.

    ``committed`` is :func:`committed_figures`' answer; ``results`` and
    ``tolerances`` are what the re-run recorded.
    """
    moved = []
    for name, (old, old_tol) in committed.items():
        if name not in results:
            moved.append(Moved(notebook, name, old, None, None, "missing"))
            continue
        new, tol = results[name], tolerances.get(name, old_tol)
        if tol is None:  # measures the machine (a time, a warm cache): recorded, never compared
            continue
        if _is_number(old) and _is_number(new):
            if not math.isclose(new, old, rel_tol=0.0, abs_tol=tol):
                moved.append(Moved(notebook, name, old, new, tol, "moved"))
        elif old != new or type(old) is not type(new):
            moved.append(Moved(notebook, name, old, new, None, "changed"))
    for name in results.keys() - committed.keys():
        moved.append(Moved(notebook, name, None, results[name], None, "new"))
    return sorted(moved, key=lambda m: m.name)


def report(moved: list[Moved]) -> str:
    """The failure message of a check: one paragraph per figure."""
    return "\n".join(m.message() for m in moved)


def trains(notebook: str | Path) -> bool:
    """Whether a committed notebook declares any figure float-sensitive (tolerance above the default)."""
    return any(
        tol is not None and tol > DEFAULT_TOL for _, tol in committed_figures(notebook).values()
    )
