"""The run key changes exactly when what a run computes can change."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from zslkit.nbtools import runkey


def _tiny(path: Path, body: str = "y = 2 * x") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x: int = 3  # a number\nname: str = 'a'  # a word")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_defaults_given_or_not_are_one_run(tmp_path):
    nb = _tiny(tmp_path / "t.ipynb")
    assert runkey.full_parameters(nb, {}) == {"x": 3, "name": "a"}
    assert runkey.run_key(nb, {}) == runkey.run_key(nb, {"x": 3, "name": "a"})
    assert runkey.parameters_key(nb, {}) == runkey.parameters_key(nb, {"x": 3})
    assert runkey.run_key(nb, {"x": 4}) != runkey.run_key(nb, {})
    assert runkey.parameters_key(nb, {"x": 4}) != runkey.parameters_key(nb, {})


def test_cells_count_outputs_do_not(tmp_path):
    nb = _tiny(tmp_path / "t.ipynb")
    before = runkey.run_key(nb, {})
    doc = nbformat.read(nb, as_version=4)
    doc.cells[2].outputs = [nbformat.v4.new_output("stream", text="6\n")]
    doc.cells[2].execution_count = 1
    doc.metadata["zslkit"] = {"results": {"y": 6}}
    nbformat.write(doc, nb)
    assert runkey.run_key(nb, {}) == before
    _tiny(nb, body="y = 3 * x")
    assert runkey.run_key(nb, {}) != before


def test_code_version_follows_data_and_environment(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.json").write_text(json.dumps([1, 2]))
    monkeypatch.setenv("ZSLKIT_DATA", str(data))
    runkey._code_version.cache_clear()
    first = runkey.code_version()
    (data / "a.json").write_text(json.dumps([1, 3]))
    runkey._code_version.cache_clear()
    second = runkey.code_version()
    assert second != first
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    runkey._code_version.cache_clear()
    assert runkey.code_version() != second
    runkey._code_version.cache_clear()


def test_tree_digest_is_by_content_and_name(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "sub").mkdir(parents=True)
        (root / "sub" / "f.txt").write_text("same")
    assert runkey._tree_digest(a) == runkey._tree_digest(b)
    shutil.move(b / "sub" / "f.txt", b / "sub" / "g.txt")
    assert runkey._tree_digest(a) != runkey._tree_digest(b)
    (b / "sub" / "__pycache__").mkdir()
    (b / "sub" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (a / "sub" / "f.txt").rename(a / "sub" / "g.txt")
    assert runkey._tree_digest(a) == runkey._tree_digest(b)


@pytest.mark.parametrize("given", [{}, {"x": 5}])
def test_run_notebook_records_the_key(tmp_path, given):
    from zslkit.nbtools.cli import run_notebook

    nb = _tiny(tmp_path / "t.ipynb")
    run_notebook(nb, given, tmp_path / "out")
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    assert meta["key"] == runkey.run_key(nb, given)
    assert meta["code_version"] == runkey.code_version()
