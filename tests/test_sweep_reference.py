"""The committed reference sweep of chapter 03 is the sweep its script and command describe."""

import importlib.util
import itertools
import json
import shlex

from zslkit.nbtools import sweep
from zslkit.nbtools.cli import resolve_notebook
from zslkit.nbtools.runkey import parameters_key
from zslkit.paths import data_dir, repo_dir


def script():
    path = repo_dir() / "scripts" / "sweep_reference.py"
    spec = importlib.util.spec_from_file_location("sweep_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_sweep_holds_every_run_of_the_grid_once():
    ref = script()
    runs = sweep.read_summary(data_dir() / "sweeps" / f"{ref.NAME}.csv")
    meta = json.loads((data_dir() / "sweeps" / f"{ref.NAME}.json").read_text())
    grid = {name: [str(v) for v in values] for name, values in ref.GRID.items()}
    expected = {tuple(p) for p in itertools.product(*grid.values())}
    found = {tuple(str(row[f"param.{n}"]) for n in grid) for _, row in runs.iterrows()}
    assert len(runs) == len(expected) and found == expected
    nb = resolve_notebook(ref.NOTEBOOK)
    folders = {f"{nb.stem}-{parameters_key(nb, dict(zip(grid, p)))}" for p in expected}
    assert set(runs["run"]) == folders == set(meta["run_wall_time_s"])
    words = shlex.split(meta["command"])
    assert words[:3] == ["zslkit", "sweep", ref.NOTEBOOK]
    axes = {words[i + 1]: words[i + 2].split(",") for i, w in enumerate(words) if w == "-p"}
    assert axes == grid
