"""The course kit: otter assignments built from the chapters, checked with otter's own test runner.

For every graded question of every chapter: the reference solution (the
book's solution cell, run on its own) passes the question's otter tests,
the stub students get fails them, and so does each typical mistake listed in
``tests/course_mistakes.py``. The chapters of Parts I-III have at least two
graded questions each; each release notebook runs up to its first exercise.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest
from course_mistakes import MISTAKES
from otter.test_files import ExceptionTestFile

from zslkit.nbtools.course import build_course, mark_solution, master_notebook, questions
from zslkit.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
PARTS_I_TO_III = [nb for nb in NOTEBOOKS if nb.stem[0] in "123"]


def _graded(nb_path: Path):
    nb = nbformat.read(str(nb_path), as_version=4)
    return [(nb_path.stem, q.name) for q in questions(nb, nb_path.stem) if not q.manual]


GRADED = [pair for nb in NOTEBOOKS for pair in _graded(nb)]


def _code(source: str, tags=(), question=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    if question:
        cell.metadata["zslkit"] = {"question": question}
    return cell


def _md(source: str, tags=(), question=None):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = list(tags)
    if question:
        cell.metadata["zslkit"] = {"question": question}
    return cell


SOLUTION = '''import numpy as np


def double(x):
    """Twice x."""
    y = np.asarray(x)
    return 2 * y'''
TEST = """def test_double(double):
    import numpy as np

    assert np.allclose(double([1, 2]), [2, 4])


test_double(double)"""
HIDDEN = """# hidden: a negative number
def test_negative(double):
    assert double(-3) == -6


test_negative(double)"""


def _chapter() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        _md("# A chapter"),
        _code('import sys\n\nif "google.colab" in sys.modules:\n    pass'),
        _code("# Exercise: count to three.\nn = 1 + 2\nprint(n)", ["solution"]),
        _md("Write `double`."),
        _code(SOLUTION, ["solution"], {"name": "double", "points": 2}),
        _code(TEST, ["autograde", "remove-cell"]),
        _code(HIDDEN, ["autograde", "remove-cell"]),
        _md("Why is doubling linear?"),
        _md("Because 2(a + b) = 2a + 2b.", ["model-answer", "remove-cell"], {"name": "why"}),
        _code("print(double(1))"),
    ]
    return nb


def _run_tests(test_file: Path, source: str) -> ExceptionTestFile:
    env: dict = {}
    exec(compile(source, str(test_file), "exec"), env)  # noqa: S102 - the cell under test
    tf = ExceptionTestFile.from_file(str(test_file))
    tf.run(env)
    return tf


def test_mark_solution_keeps_signature_docstring_and_wording():
    marked = mark_solution(SOLUTION).splitlines()
    assert marked[:5] == ["import numpy as np", "", "", "def double(x):", '    """Twice x."""']
    assert marked[5] == "    # BEGIN SOLUTION" and marked[-1] == "    # END SOLUTION"
    plain = mark_solution("# Exercise: count.\n# Two lines.\nn = 3").splitlines()
    assert plain == [
        "# Exercise: count.",
        "# Two lines.",
        "# BEGIN SOLUTION",
        "n = 3",
        "# END SOLUTION",
    ]


def test_questions_are_read_and_bad_ones_named():
    qs = questions(_chapter(), "ch")
    assert [(q.name, q.points, q.manual, q.prompt, q.solution, q.tests) for q in qs] == [
        ("double", 2.0, False, 3, 4, [5, 6]),
        ("why", 1.0, True, 7, 8, []),
    ]
    nb = _chapter()
    del nb.cells[5:7]  # no tests left
    with pytest.raises(ValueError, match="ch: question 'double' has no test"):
        questions(nb, "ch")
    nb = _chapter()
    nb.cells[4].metadata["zslkit"]["question"]["name"] = "Double!"
    with pytest.raises(ValueError, match="question name 'Double!'"):
        questions(nb, "ch")
    nb = _chapter()
    nb.cells[4].metadata.pop("zslkit")
    with pytest.raises(ValueError, match="cell 5 is tagged 'autograde' but follows no graded"):
        questions(nb, "ch")


def test_master_notebook_is_otters_format():
    master = master_notebook(_chapter(), "ch")
    kinds = [(c.cell_type, c.source.splitlines()[0] if c.source else "") for c in master.cells]
    raw = [s for t, s in kinds if t == "raw"]
    assert raw == ["# ASSIGNMENT CONFIG"] + [
        "# BEGIN QUESTION",
        "# BEGIN SOLUTION",
        "# END SOLUTION",
        "# BEGIN TESTS",
        "# END TESTS",
        "# END QUESTION",
    ] + ["# BEGIN QUESTION", "# BEGIN SOLUTION", "# END SOLUTION", "# END QUESTION"]
    assert kinds[3] == (
        "code",
        "import otter  # the course's autograder: grader.check(...) runs the public tests",
    )


def test_build_course_writes_release_source_and_autograder(tmp_path):
    (tmp_path / "nb").mkdir()
    path = tmp_path / "nb" / "ch.ipynb"
    nbformat.write(_chapter(), str(path))
    made = build_course([path], tmp_path / "course")
    assert [q.name for q in made["ch"]] == ["double", "why"]
    course = tmp_path / "course"
    release = nbformat.read(str(course / "release" / "ch" / "ch.ipynb"), as_version=4)
    text = "\n".join(c.source for c in release.cells)
    assert "return 2 * y" not in text and "n = 1 + 2" not in text and "Because 2(a + b)" not in text
    assert (
        'grader.check("double")' in text and 'def double(x):\n    """Twice x."""\n    ...' in text
    )
    assert "# Exercise: count to three." in text
    public = (course / "release" / "ch" / "tests" / "double.py").read_text()
    assert "test_double" in public and "test_negative" not in public  # hidden stays hidden
    source = (course / "source" / "ch" / "tests" / "double.py").read_text()
    assert "test_double" in source and "test_negative" in source
    with zipfile.ZipFile(course / "autograder" / "ch-autograder.zip") as z:
        assert "tests/double.py" in z.namelist()
    # otter's runner: the solution passes every test, the stub and a mistake fail
    tests = course / "source" / "ch" / "tests" / "double.py"
    assert _run_tests(tests, SOLUTION).passed_all
    assert not _run_tests(tests, 'def double(x):\n    """Twice x."""\n    ...').passed_all
    assert not _run_tests(tests, "def double(x):\n    return [2 * v for v in x]").passed_all


def test_a_bad_chapter_leaves_the_course_as_it_was(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "keep.txt").write_text("old")
    nb = _chapter()
    del nb.cells[5:7]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(ValueError, match="has no test"):
        build_course([path], tmp_path / "course")
    assert [p.name for p in (tmp_path / "course").iterdir()] == ["keep.txt"]
    assert not list(tmp_path.glob(".course-*"))


# --------------------------------------------------------------------------
# The book's own chapters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("nb_path", PARTS_I_TO_III, ids=lambda p: p.stem)
def test_parts_i_to_iii_have_two_graded_questions(nb_path):
    graded = _graded(nb_path)
    assert len(graded) >= 2, f"{nb_path.stem} has {len(graded)} graded questions; give it 2"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_tests_and_model_answers_are_hidden_in_the_book(nb_path):
    nb = nbformat.read(str(nb_path), as_version=4)
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if "autograde" in tags or "model-answer" in tags:
            assert "remove-cell" in tags, f"{nb_path.stem} cell {i}: tag it remove-cell too"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    chapters = sorted({stem for stem, _ in GRADED})
    out = tmp_path_factory.mktemp("course") / "course"
    build_course([notebooks_dir() / f"{s}.ipynb" for s in chapters], out)
    return out


def _solution_source(stem: str, name: str) -> str:
    nb = nbformat.read(str(notebooks_dir() / f"{stem}.ipynb"), as_version=4)
    (q,) = [q for q in questions(nb, stem) if q.name == name]
    return nb.cells[q.solution].source


def _stub_source(course: Path, stem: str, name: str) -> str:
    nb = nbformat.read(str(course / "release" / stem / f"{stem}.ipynb"), as_version=4)
    check = next(i for i, c in enumerate(nb.cells) if c.source == f'grader.check("{name}")')
    answers = [c for c in nb.cells[:check] if "exercise" in c.metadata.get("tags", [])]
    return answers[-1].source


@pytest.mark.parametrize("stem,name", GRADED, ids=[f"{s}::{n}" for s, n in GRADED])
def test_solution_passes_and_stub_and_mistakes_fail(course, stem, name):
    tests = course / "source" / stem / "tests" / f"{name}.py"
    solution = _solution_source(stem, name)
    alone: dict = {}
    exec(compile(solution, f"{stem}::{name}", "exec"), alone)  # noqa: S102 - on its own
    assert callable(alone.get(name)), f"the solution cell must define {name}() by itself"
    result = _run_tests(tests, solution)
    assert result.passed_all, result.summary()
    stub = _stub_source(course, stem, name)
    assert "..." in stub
    assert not _run_tests(tests, stub).passed_all, "the released stub must fail"
    mistakes = MISTAKES.get(stem, {}).get(name, [])
    assert mistakes, f"list at least one typical mistake for {stem}::{name} in course_mistakes.py"
    for mistake in mistakes:
        assert not _run_tests(tests, mistake).passed_all, f"a typical mistake passes:\n{mistake}"


def test_otter_run_grades_the_source_full_and_the_release_zero(tmp_path):
    """End to end with otter's own grader: ``otter run -a <autograder.zip> <submission>``."""
    import json
    import subprocess
    import sys

    (tmp_path / "nb").mkdir()
    nbformat.write(_chapter(), str(tmp_path / "nb" / "ch.ipynb"))
    course = tmp_path / "course"
    build_course([tmp_path / "nb" / "ch.ipynb"], course)
    otter = [sys.executable, "-m", "otter", "run", "--no-logo", "-a"]
    scores = {}
    for kind in ("source", "release"):
        out = tmp_path / f"graded_{kind}"
        out.mkdir()
        submission = course / kind / "ch" / "ch.ipynb"
        zipped = str(course / "autograder" / "ch-autograder.zip")
        subprocess.run([*otter, zipped, "-o", str(out), str(submission)], check=True)
        results = json.loads((out / "results.json").read_text())
        scores[kind] = {t["name"]: t["score"] for t in results["tests"] if "score" in t}
    assert scores["source"] == {"double": 2.0}  # 'why' is graded by hand, not here
    assert scores["release"] == {"double": 0.0}
