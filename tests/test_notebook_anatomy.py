"""Every notebook has the book's anatomy: short cells, clean characters, no stray values.

The logic of a chapter lives in zslkit; a notebook cell calls it in a few
lines and the notebook spends its words on the idea (CONTRIBUTING.md).
"""

import json
import re
from pathlib import Path

import pytest

from zslkit.nbtools.cli import list_notebooks

MAX_LINES = 12
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BARE_NUMBER = re.compile(r"^(np\.float(16|32|64)\()?-?\d+(\.\d+)?(e-?\d+)?\)?$")
NOTEBOOKS = list_notebooks()


def cells(nb_path: Path):
    return json.loads(nb_path.read_text())["cells"]


def long_cells(nb_cells) -> list[tuple[int, int]]:
    """(code-cell number, lines) of every code cell but the parameters cell longer than MAX_LINES."""
    code = [c for c in nb_cells if c["cell_type"] == "code"]
    out = []
    for i, c in enumerate(code):
        if "parameters" in c.get("metadata", {}).get("tags", []):
            continue
        n = len("".join(c["source"]).strip().splitlines())
        if n > MAX_LINES:
            out.append((i, n))
    return out


def bare_values(nb_cells) -> list[tuple[int, str]]:
    """Cells whose only result is a bare number (a value left behind, such as a record's)."""
    code = [c for c in nb_cells if c["cell_type"] == "code"]
    out = []
    for i, c in enumerate(code):
        for o in c.get("outputs", []):
            text = "".join(o.get("data", {}).get("text/plain", "")).strip()
            if o.get("output_type") == "execute_result" and BARE_NUMBER.match(text):
                out.append((i, text))
    return out


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_code_cells_are_short(nb):
    assert not long_cells(cells(nb)), (
        f"{nb.stem}: (code cell, lines) over {MAX_LINES}: {long_cells(cells(nb))}; "
        "move the logic into a documented, tested zslkit function"
    )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_no_control_characters(nb):
    bad = [
        (i, repr(m.group()))
        for i, c in enumerate(cells(nb))
        for m in CONTROL.finditer("".join(c["source"]))
    ]
    assert not bad, f"{nb.stem}: (cell, character) {bad}: a Python escape such as \\a in markdown?"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_no_bare_values_left_in_the_book(nb):
    assert not bare_values(cells(nb)), f"{nb.stem}: (code cell, value) {bare_values(cells(nb))}"


def test_the_checks_catch_what_they_should():
    long = {"cell_type": "code", "metadata": {}, "source": "x = 1\n" * 13, "outputs": []}
    params = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1\n" * 20}
    stray = {
        "cell_type": "code",
        "metadata": {},
        "source": "zslkit.record('x', x)",
        "outputs": [
            {"output_type": "execute_result", "data": {"text/plain": "np.float64(0.996875)"}}
        ],
    }
    assert long_cells([params, long]) == [(1, 13)]
    assert bare_values([stray]) == [(0, "np.float64(0.996875)")]
    assert CONTROL.search("$\x07lpha$") and not CONTROL.search("$\\alpha$\n")
