"""Reference runs: each committed one can be re-created, and holds the figures notebooks ask of it."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zslkit.nbtools import reference
from zslkit.nbtools.cli import list_notebooks, resolve_notebook
from zslkit.nbtools.notebook_params import validate_parameters

FIXTURES = Path(__file__).parent / "fixtures"
RUNS = sorted(p for p in reference.reference_dir().glob("*") if (p / "run.json").is_file())


def asked_of_reference_runs(nb_path: Path) -> list[tuple[str, list[str]]]:
    """``(run, figures)`` of every ``show_reference_run(...)`` call in a notebook's code."""
    out = []
    for cell in json.loads(nb_path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "show_reference_run"
            ):
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                out.append((args[0], args[1:]))
    return out


def check_run(run: Path) -> None:
    """A reference run's folder names a notebook and parameters that exist, and holds figures."""
    meta = json.loads((run / "run.json").read_text())
    for key in ("notebook", "parameters", "command", "date", "versions", "wall_time_s"):
        assert key in meta, f"{run.name}/run.json has no {key!r}"
    notebook = resolve_notebook(meta["notebook"])
    validate_parameters(notebook, meta["parameters"])  # raises if a parameter is gone
    assert json.loads((run / "results.json").read_text()), f"{run.name}: no figures"
    assert not list(run.glob("*.ipynb")), "commit results.json and run.json only"


def test_every_committed_reference_run_can_be_recreated():
    for run in RUNS:  # none yet: the Part issues add them
        check_run(run)
    print(f"{len(RUNS)} reference runs checked")


@pytest.mark.parametrize("nb", list_notebooks(), ids=[nb.stem for nb in list_notebooks()])
def test_every_figure_a_notebook_asks_of_a_reference_run_is_there(nb):
    for name, figures in asked_of_reference_runs(nb):
        results = reference.load_reference_run(name)["results"]
        assert set(figures) <= set(results), (nb.stem, name, set(figures) - set(results))
        assert (
            json.loads((reference.reference_dir() / name / "run.json").read_text())["notebook"]
            == nb.stem
        )


def test_create_show_and_recreate_on_the_tiny_notebook(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZSLKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ZSLKIT_NOTEBOOKS", str(FIXTURES))
    out = tmp_path / "data" / "reference_runs" / "tiny_seed3"
    env = dict(os.environ)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zslkit.nbtools.cli",
            "run",
            "tiny",
            "-p",
            "seed",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    reference.prune(out)
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "run.json", "tolerances.json"]
    check_run(out)
    import numpy as np

    shown = reference.show_reference_run("tiny_seed3", "value")
    assert shown["value"] == pytest.approx(np.random.default_rng(3).random())
    printed = capsys.readouterr().out
    assert "zslkit run tiny -p seed 3 --out" in printed and "value: " in printed
    first = json.loads((out / "results.json").read_text())
    monkeypatch.chdir(
        tmp_path
    )  # recreate runs in-process: the fixture notebook dir comes from the env
    reference.recreate("tiny_seed3")
    assert json.loads((out / "results.json").read_text()) == first
    with pytest.raises(ValueError, match="holds no"):
        reference.show_reference_run("tiny_seed3", "no_such_figure")
    with pytest.raises(ValueError, match="committed runs: \\['tiny_seed3'\\]"):
        reference.load_reference_run("nope")


def test_the_notebook_scanner_finds_calls():
    src = {
        "cells": [
            {
                "cell_type": "code",
                "source": 'show_reference_run("losses_400", "clip_top1", "cwcl_top1")',
            }
        ]
    }
    path = Path(__file__).parent / "fixtures" / "tiny.ipynb"
    assert asked_of_reference_runs(path) == []
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "zslkit-scan.ipynb"
    tmp.write_text(json.dumps(src))
    assert asked_of_reference_runs(tmp) == [("losses_400", ["clip_top1", "cwcl_top1"])]
