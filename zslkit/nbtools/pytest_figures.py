"""A pytest plugin: nbval executes every notebook, this checks its figures.

nbval runs each cell of a committed notebook in a fresh kernel and compares
the text of the cells marked ``# NBVAL_CHECK_OUTPUT``. Figures that come out
of training or out of float kernels differ in their last digits between
machines, so they are not compared as text: each notebook records them with
``zslkit.record(name, value, tol=...)``. This plugin points the notebook's
kernel at a fresh results file and adds one more test item to every
notebook, ``<notebook>::figures``, which compares what the re-run recorded
with the committed figures (:mod:`zslkit.nbtools.figures`) and, on failure, names
the notebook, figure, committed and new value, tolerance and the command to
rerun that notebook alone.

Loaded with ``-p zslkit.nbtools.pytest_figures`` (see ``pyproject.toml``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from zslkit.nbtools.figures import committed_figures, compare_figures, report
from zslkit.nbtools.results import RESULTS_ENV, tolerances_path, write_json_atomic

_DIR = None


def _results_file(notebook: Path) -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="zslkit-figures-"))
    return _DIR / notebook.stem / "results.json"


def _is_nbval_file(node) -> bool:
    return type(node).__name__ == "IPyNbFile"


class FigureCheck(pytest.Item):
    """Compare the figures recorded by nbval's run of a notebook with the committed ones."""

    def runtest(self):
        notebook = Path(self.parent.path)
        results_file = _results_file(notebook)
        failed = [
            i
            for i in self.parent.session.items
            if i.parent is self.parent and i is not self and getattr(i, "_zslkit_failed", False)
        ]
        if failed:
            pytest.fail(
                f"{notebook.stem}: {len(failed)} cell(s) failed, so its figures were not "
                f"all recorded; fix the cells first",
                pytrace=False,
            )
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        tols_file = Path(tolerances_path(results_file))
        tols = json.loads(tols_file.read_text()) if tols_file.exists() else {}
        moved = compare_figures(notebook.stem, committed_figures(notebook), results, tols)
        if moved:
            pytest.fail(report(moved), pytrace=False)

    def reportinfo(self):
        return self.path, 0, f"{Path(self.parent.path).name}::figures"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts (with its first cell), point it at a fresh results file."""
    parent = item.parent
    if not _is_nbval_file(parent) or getattr(parent, "kernel", None) is not None:
        yield
        return
    path = _results_file(Path(parent.path))
    write_json_atomic(path, {})
    Path(tolerances_path(path)).unlink(missing_ok=True)
    old = os.environ.get(RESULTS_ENV)
    os.environ[RESULTS_ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(RESULTS_ENV, None)
        else:
            os.environ[RESULTS_ENV] = old


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        item._zslkit_failed = True


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Add ``<notebook>::figures`` after the last cell of every notebook nbval collected.

    With pytest-xdist, ``--dist loadfile`` keeps a notebook's cells and its
    figure check on one worker (one kernel).
    """
    out, last = [], {}
    for item in items:
        out.append(item)
        if _is_nbval_file(item.parent):
            last[item.parent] = len(out)
    for parent, pos in sorted(last.items(), key=lambda kv: -kv[1]):
        out.insert(pos, FigureCheck.from_parent(parent, name="figures"))
    items[:] = out
