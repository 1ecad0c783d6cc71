"""Student versions of the notebooks, for teaching.

A code cell tagged ``solution`` is replaced in the student version by a
stub: the exercise prompt (the solution cell's leading ``#`` comment lines)
and a ``raise NotImplementedError`` for the student to replace. Outputs are
cleared everywhere, so students run the notebook themselves::

    python -m zslkit.nbtools.student --out build/student      # every notebook
    python -m zslkit.nbtools.student 00_what_is_zero_shot     # one

Taught in: book/how_to_use.md ("Teach with it").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"


def exercise_prompt(source: str) -> list[str]:
    """The leading comment lines of a solution cell: the exercise's wording."""
    lines = []
    for line in source.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def stub_for(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    prompt = exercise_prompt(cell.source) or ["# Exercise: complete this cell."]
    source = "\n".join(
        prompt
        + [
            "# Your code here; delete the next line when done.",
            'raise NotImplementedError("exercise: complete this cell")',
        ]
    )
    stub = nbformat.v4.new_code_cell(source)
    stub.metadata["tags"] = ["exercise"]
    return stub


def student_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with solutions stubbed out and outputs cleared."""
    out = nbformat.from_dict(notebook)
    out.metadata.pop("zslkit", None)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "code":
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell = stub_for(cell)
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    return out


def write_student_versions(names: list[str] | None, out_dir: Path) -> list[Path]:
    """Write the student version of each named notebook (all by default)."""
    from zslkit.nbtools.cli import list_notebooks, resolve_notebook

    notebooks = [resolve_notebook(n) for n in names] if names else list_notebooks()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        target = out_dir / nb_path.name
        nbformat.write(student_version(nb), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zslkit.nbtools.student", description=__doc__.split("\n")[0]
    )
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    parser.add_argument("--out", default="build/student", help="output folder")
    args = parser.parse_args(argv)
    for path in write_student_versions(args.notebooks or None, Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
