"""The course's release notebooks (what students get) run on pocket defaults up to their first exercise."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from zslkit.nbtools.course import build_course
from zslkit.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course"
    build_course(NOTEBOOKS, out)
    return out / "release"


def _first_exercise(nb) -> int | None:
    """The first cell whose solution otter stripped (a line that is only ``...``)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(s.strip() == "..." for s in cell.source.splitlines()):
            return i
    return None


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_release_runs_up_to_its_first_exercise(release, nb_path):
    folder = release / nb_path.stem
    nb = nbformat.read(str(folder / f"{nb_path.stem}.ipynb"), as_version=4)
    book = nbformat.read(str(nb_path), as_version=4)
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
    first = _first_exercise(nb)
    assert first is not None, (
        f"{nb_path.name}: no exercise left for students (tag a cell 'solution')"
    )
    solutions = {c.source for c in book.cells if "solution" in c.metadata.get("tags", [])}
    assert not solutions & {c.source for c in nb.cells}, "a solution reached the release notebook"
    nb.cells = nb.cells[: first + 1]
    # the kernel runs beside the chapter, where the book's relative paths hold
    NotebookClient(
        nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(nb_path.parent)}}
    ).execute()
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"release cell {i} failed: {errors[0].ename}: {errors[0].evalue}"
