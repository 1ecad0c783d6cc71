"""The course kit: otter-grader assignments built from the book's own notebooks.

A chapter notebook is the single source. It marks its graded exercises so:

* a **graded code exercise** is a markdown cell (the question), then a code
  cell tagged ``solution`` whose metadata holds
  ``{"zslkit": {"question": {"name": "csls", "points": 2}}}`` and which
  defines the function the question asks for (with its imports and
  docstring), then one or more code cells tagged ``autograde`` (and
  ``remove-cell``, so the book hides them): each an otter exception-based
  test, one ``def test_...(csls):`` and a call to it, so that the book's
  own run checks the reference solution. A test whose first line is a
  comment containing ``hidden`` is hidden from students;
* an **open-ended exercise** is a markdown question, then a markdown cell
  tagged ``model-answer`` (and ``remove-cell``) with the same ``question``
  metadata: a manually graded question whose model answer only the teacher
  sees;
* any other code cell tagged ``solution`` is an ungraded exercise: students
  get its leading comment lines (the exercise's wording) and ``...``.

:func:`master_notebook` turns a chapter into an otter-assign master
notebook and :func:`build_course` runs ``otter assign`` on each::

    python -m zslkit.nbtools.course --out build/course        # make course
    python -m zslkit.nbtools.course 13_hubness --out /tmp/c     # one chapter

``build/course/`` then holds ``release/<chapter>/`` (the notebook students
get, with ``grader.check`` cells and the public tests), ``source/<chapter>/``
(the notebook with solutions and every test, hidden ones included) and
``autograder/<chapter>-autograder.zip`` (otter's grading package, for
Gradescope or ``otter run``). Why otter-grader and not nbgrader: its
master-notebook format keeps question, solution and tests next to each
other in one notebook (which is how the book is written), its public tests
let students check their work in Colab or any Jupyter, and grading needs no
course database (``otter run`` grades one submission locally, ``otter
grade`` many in Docker, Gradescope takes the zip).

Taught in: book/syllabus.md, book/how_to_use.md ("Teach with it").
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

SOLUTION_TAG = "solution"
AUTOGRADE_TAG = "autograde"
MODEL_ANSWER_TAG = "model-answer"
HIDE_TAG = "remove-cell"
BOOK_REPO = "https://github.com/zslkit/zslkit"  # book/_config.yml
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Question:
    """One exercise of a chapter, as its cells' indices."""

    name: str
    points: float
    manual: bool  # an open-ended question, graded by hand
    solution: int  # the solution cell (code) or the model answer (markdown)
    prompt: int | None = None  # the markdown cell asking the question
    tests: list[int] = field(default_factory=list)  # its autograde cells


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def questions(nb: nbformat.NotebookNode, where: str = "notebook") -> list[Question]:
    """The graded exercises of a notebook, checked; ``where`` names it in errors."""
    found: list[Question] = []
    claimed: set[int] = set()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("zslkit", {}).get("question")
        if meta is None:
            if AUTOGRADE_TAG in _tags(cell) and i not in claimed:
                raise ValueError(
                    f"{where}: cell {i} is tagged {AUTOGRADE_TAG!r} but follows no graded "
                    "solution cell (a code cell tagged 'solution' with zslkit.question metadata)"
                )
            continue
        name, points = meta.get("name"), meta.get("points", 1)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"{where}: cell {i} has question name {name!r}; use lower_case_with_underscores"
            )
        if name in {q.name for q in found}:
            raise ValueError(f"{where}: question name {name!r} is used twice")
        if not isinstance(points, (int, float)) or points <= 0:
            raise ValueError(f"{where}: question {name!r} has points={points!r}; give a number > 0")
        manual = cell.cell_type == "markdown"
        if manual and MODEL_ANSWER_TAG not in _tags(cell):
            raise ValueError(
                f"{where}: question {name!r} is markdown but not tagged {MODEL_ANSWER_TAG!r}"
            )
        if not manual and SOLUTION_TAG not in _tags(cell):
            raise ValueError(f"{where}: question {name!r} is code but not tagged {SOLUTION_TAG!r}")
        prompt = i - 1 if i > 0 and nb.cells[i - 1].cell_type == "markdown" else None
        if prompt is not None and ("question" in nb.cells[prompt].metadata.get("zslkit", {})):
            prompt = None
        q = Question(name, float(points), manual, i, prompt)
        j = i + 1
        while not manual and j < len(nb.cells) and AUTOGRADE_TAG in _tags(nb.cells[j]):
            q.tests.append(j)
            claimed.add(j)
            j += 1
        if not manual and not q.tests:
            raise ValueError(
                f"{where}: question {name!r} has no test: follow its solution cell with "
                f"cells tagged {AUTOGRADE_TAG!r}"
            )
        found.append(q)
    return found


def _wrap(lines: list[str], start: int, end: int, indent: str) -> list[str]:
    """``lines`` with lines start..end-1 between otter's solution markers."""
    return (
        lines[:start]
        + [f"{indent}# BEGIN SOLUTION"]
        + lines[start:end]
        + [f"{indent}# END SOLUTION"]
        + lines[end:]
    )


def mark_solution(source: str) -> str:
    """A solution cell's source with otter's ``# BEGIN/END SOLUTION`` markers.

    Each top-level function keeps its signature and docstring; its body is
    marked (students get ``...``). A cell without a function keeps its
    leading comment lines (the exercise's wording) and the rest is marked.
    """
    lines = source.splitlines()
    defs = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    if not defs:
        start = 0
        while start < len(lines) and lines[start].startswith("#"):
            start += 1
        return "\n".join(_wrap(lines, start, len(lines), "")) if start < len(lines) else source
    for node in reversed(defs):  # from the bottom, so earlier line numbers hold
        body = node.body
        if (
            len(body) > 1
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        first = body[0].lineno - 1
        if body[0].col_offset == 0 or first < node.lineno:  # one-line def: leave it
            continue
        indent = lines[first][: body[0].col_offset]
        lines = _wrap(lines, first, node.end_lineno, indent)
    return "\n".join(lines)


def _retag(cell: nbformat.NotebookNode) -> None:
    """A solution cell becomes an ``exercise`` cell (what students see it as)."""
    cell.metadata["tags"] = [t for t in _tags(cell) if t != SOLUTION_TAG] + ["exercise"]


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def _config(name: str, colab_tests_url: str | None) -> str:
    config = {
        "name": name,
        "requirements": ["otter-grader", f"-e git+{BOOK_REPO}.git#egg=zslkit"],
        "overwrite_requirements": False,
        "init_cell": False,
        "check_all_cell": False,
        "export_cell": False,
        "run_tests": False,
        "strip_solutions_from_all_cells": True,
        "tests": {"files": True, "ok_format": False},
    }
    if colab_tests_url:
        config |= {"runs_on": "colab"}
        config["tests"]["url_prefix"] = colab_tests_url
    return "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)


def _init_cell(stem: str, colab: bool) -> nbformat.NotebookNode:
    target = "" if colab else f'"{stem}.ipynb"'
    cell = nbformat.v4.new_code_cell(
        "import otter  # the course's autograder: grader.check(...) runs the public tests\n\n"
        f"grader = otter.Notebook({target})"
    )
    cell.metadata["tags"] = ["otter-init"]
    return cell


def _after_setup(nb: nbformat.NotebookNode) -> int:
    """Where the otter init cell goes: after the Colab install cell, else after the title."""
    for i, cell in enumerate(nb.cells[:6]):
        if cell.cell_type == "code" and "google.colab" in cell.source:
            return i + 1
    return 1


def master_notebook(
    nb: nbformat.NotebookNode, stem: str, colab_tests_url: str | None = None
) -> nbformat.NotebookNode:
    """An otter-assign master notebook of a chapter (outputs cleared)."""
    qs = questions(nb, stem)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    by_start = {q.prompt if q.prompt is not None else q.solution: q for q in qs}
    setup_at = _after_setup(nb)
    out = [_raw(_config(stem, colab_tests_url))]
    i = 0
    while i < len(nb.cells):
        if i == setup_at:
            out.append(_init_cell(stem, bool(colab_tests_url)))
        q = by_start.get(i)
        cell = nb.cells[i]
        if q is None:
            if cell.cell_type == "code" and SOLUTION_TAG in _tags(cell):
                cell.source = mark_solution(cell.source)
                _retag(cell)
            out.append(cell)
            i += 1
            continue
        head = {"name": q.name, "points": q.points} | ({"manual": True} if q.manual else {})
        out.append(_raw("# BEGIN QUESTION\n" + yaml.safe_dump(head, sort_keys=False)))
        if q.prompt is not None:
            out.append(nb.cells[q.prompt])
        solution = nb.cells[q.solution]
        solution.metadata.pop("zslkit", None)
        if not q.manual:
            solution.source = mark_solution(solution.source)
            _retag(solution)
        out += [_raw("# BEGIN SOLUTION"), solution, _raw("# END SOLUTION")]
        if q.tests:
            out.append(_raw("# BEGIN TESTS"))
            out += [nb.cells[t] for t in q.tests]
            out.append(_raw("# END TESTS"))
        out.append(_raw("# END QUESTION"))
        i = max([q.solution, *q.tests]) + 1
    nb.cells = out
    nb.metadata.pop("zslkit", None)
    return nb


def build_course(
    notebooks: list[Path], out: Path, colab_tests_url: str | None = None
) -> dict[str, list[Question]]:
    """Run ``otter assign`` on each chapter; write ``out/{release,source,autograder}``.

    Everything is built in a temporary folder first: a failing chapter
    leaves ``out`` as it was.
    """
    import otter.assign

    out = Path(out)
    made: dict[str, list[Question]] = {}
    work = Path(
        tempfile.mkdtemp(prefix=".course-", dir=out.parent if out.parent.exists() else None)
    )
    try:
        for path in notebooks:
            nb = nbformat.read(str(path), as_version=4)
            made[path.stem] = questions(nb, path.stem)
            master = work / "master" / path.stem / f"{path.stem}.ipynb"
            master.parent.mkdir(parents=True)
            nbformat.write(master_notebook(nb, path.stem, colab_tests_url), str(master))
            dist = work / "dist" / path.stem
            otter.assign.main(str(master), str(dist), no_pdfs=True, no_run_tests=True)
            for part in ("release", "source", "autograder"):
                (work / part).mkdir(exist_ok=True)
            shutil.move(str(dist / "student"), str(work / "release" / path.stem))
            for zipped in (dist / "autograder").glob("*.zip"):
                shutil.move(str(zipped), str(work / "autograder" / f"{path.stem}-autograder.zip"))
            shutil.move(str(dist / "autograder"), str(work / "source" / path.stem))
        shutil.rmtree(work / "dist")
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(work), str(out))
    finally:
        if work.exists():
            shutil.rmtree(work)
    return made


EXERCISES_MARKER = "<!-- graded exercises: written by zslkit.nbtools.course.exercise_table -->"


def exercise_table(notebooks: list[Path]) -> str:
    """A markdown table of every chapter's questions (the syllabus page shows it)."""
    lines = [
        "| chapter | autograded (points) | graded by hand (points) |",
        "| --- | --- | --- |",
    ]
    for path in notebooks:
        nb = nbformat.read(str(path), as_version=4)
        qs = questions(nb, path.stem)
        if not qs:
            continue

        def listed(manual: bool) -> str:
            return ", ".join(f"`{q.name}` ({q.points:g})" for q in qs if q.manual == manual) or "-"

        link = f"[{path.stem}](notebooks/{path.stem}.ipynb)"
        lines.append(f"| {link} | {listed(False)} | {listed(True)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from zslkit.nbtools.cli import list_notebooks, resolve_notebook

    parser = argparse.ArgumentParser(
        prog="python -m zslkit.nbtools.course", description=__doc__.split("\n")[0]
    )
    parser.add_argument("notebook", nargs="*", help="chapters (default: every notebook)")
    parser.add_argument("--out", default="build/course", help="output folder")
    parser.add_argument(
        "--colab-tests-url",
        help="release notebooks for Colab: otter downloads the public tests from this URL prefix",
    )
    args = parser.parse_args(argv)
    try:
        notebooks = [resolve_notebook(n) for n in args.notebook] or list_notebooks()
        made = build_course(notebooks, Path(args.out), args.colab_tests_url)
    except ValueError as err:
        print(f"course: {err}", file=sys.stderr)
        return 2
    graded = sum(not q.manual for qs in made.values() for q in qs)
    manual = sum(q.manual for qs in made.values() for q in qs)
    print(
        f"course: {len(made)} chapters, {graded} autograded and {manual} hand-graded questions "
        f"-> {args.out}/release, source, autograder"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
