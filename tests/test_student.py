"""Student versions: solutions stubbed, and each runs up to its first exercise."""

import nbformat
import pytest
from nbclient import NotebookClient

from zslkit.nbtools.student import student_version, write_student_versions
from zslkit.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_stub_replaces_solution_and_keeps_prompt():
    nb = nbformat.v4.new_notebook()
    sol = nbformat.v4.new_code_cell("# Exercise: add one and two.\nx = 1 + 2\nprint(x)")
    sol.metadata["tags"] = ["solution"]
    other = nbformat.v4.new_code_cell("print('hi')")
    other.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    nb.cells = [other, sol]
    out = student_version(nb)
    assert out.cells[0].outputs == [] and out.cells[0].source == "print('hi')"
    assert "x = 1 + 2" not in out.cells[1].source
    assert out.cells[1].source.startswith("# Exercise: add one and two.")
    assert "NotImplementedError" in out.cells[1].source
    assert "solution" in nb.cells[1].metadata["tags"]  # the original is untouched


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_runs_up_to_its_first_exercise(nb_path, tmp_path):
    (student_path,) = write_student_versions([str(nb_path)], tmp_path)
    nb = nbformat.read(student_path, as_version=4)
    first = next(
        (i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", [])), None
    )
    assert first is not None, f"{nb_path.name} has no cell tagged 'solution'"
    nb.cells = nb.cells[: first + 1]
    NotebookClient(
        nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(nb_path.parent)}}
    ).execute()
    for cell in nb.cells[:first]:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, (
            f"cell before the first exercise failed: {errors[0].ename if errors else ''}"
        )
    (err,) = [o for o in nb.cells[first].outputs if o.output_type == "error"]
    assert err.ename == "NotImplementedError"
