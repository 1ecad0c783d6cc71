"""The zslkit runner: parameter validation, results recording, exit codes."""

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import zslkit
from zslkit.nbtools import cli, results
from zslkit.nbtools.notebook_params import inspect_parameters, validate_parameters

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny.ipynb"


@pytest.fixture
def fixture_notebooks(monkeypatch):
    monkeypatch.setenv("ZSLKIT_NOTEBOOKS", str(FIXTURES))


def run_cli(*args, env_notebooks=True):
    import os

    env = dict(os.environ)
    if env_notebooks:
        env["ZSLKIT_NOTEBOOKS"] = str(FIXTURES)
    return subprocess.run(
        [sys.executable, "-m", "zslkit.nbtools.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_inspect_reads_types_defaults_and_help():
    params = inspect_parameters(TINY)
    assert list(params) == ["seed", "scale", "label", "fail"]
    assert params["seed"].type == "int" and params["seed"].default == "0"
    assert params["scale"].type == "float"
    assert params["fail"].help == "raise an error on purpose"


def test_unknown_parameter_names_the_valid_ones():
    with pytest.raises(ValueError) as err:
        validate_parameters(TINY, {"no_such_param": 1})
    assert "no_such_param" in str(err.value)
    assert "seed: int" in str(err.value) and "fail: bool" in str(err.value)


@pytest.mark.parametrize(
    "name,value", [("seed", "one"), ("seed", 1.5), ("seed", True), ("fail", 3), ("scale", "big")]
)
def test_wrong_type_is_refused(name, value):
    with pytest.raises(ValueError, match=name):
        validate_parameters(TINY, {name: value})


def test_values_are_coerced_where_safe():
    out = validate_parameters(TINY, {"scale": 2, "label": 2023})
    assert out == {"scale": 2.0, "label": "2023"}
    assert isinstance(out["scale"], float)


def test_record_converts_numpy_and_writes_atomically(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "results.json"
    monkeypatch.setenv(results.RESULTS_ENV, str(path))
    zslkit.record("acc", np.float32(0.25))
    zslkit.record("n", np.int64(3))
    assert json.loads(path.read_text())["acc"] == 0.25
    assert json.loads(path.read_text())["n"] == 3
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("name,value", [("x", math.nan), ("bad name", 1), ("y", [1, 2])])
def test_record_refuses_bad_input(name, value):
    with pytest.raises((ValueError, TypeError)):
        zslkit.record(name, value)


def test_unknown_parameter_fails_fast_before_any_kernel():
    start = time.perf_counter()
    proc = run_cli("run", "tiny", "-p", "no_such_param", "1")
    assert proc.returncode == 2
    assert "no_such_param" in proc.stderr and "valid parameters" in proc.stderr
    assert time.perf_counter() - start < 20  # no kernel: only imports


def test_unknown_notebook_lists_choices():
    proc = run_cli("run", "nope")
    assert proc.returncode == 2 and "tiny" in proc.stderr


def test_run_writes_results_and_seed_changes_them(tmp_path):
    out0, out1 = tmp_path / "s0", tmp_path / "s1"
    assert run_cli("run", "tiny", "--out", str(out0)).returncode == 0
    proc = run_cli("run", str(TINY), "-p", "seed", "1", "-p", "label", "x", "--out", str(out1))
    assert proc.returncode == 0, proc.stderr
    r0 = json.loads((out0 / "results.json").read_text())
    r1 = json.loads((out1 / "results.json").read_text())
    assert r0["value"] == pytest.approx(np.random.default_rng(0).random())
    assert r1["value"] == pytest.approx(np.random.default_rng(1).random())
    assert r1["label"] == "x" and r0["finished"] is True
    executed = json.loads((out1 / "tiny.ipynb").read_text())
    assert executed["metadata"]["zslkit"]["results"] == r1
    assert executed["metadata"]["zslkit"]["run"]["parameters"] == {"seed": 1, "label": "x"}
    assert json.loads((out1 / "run.json").read_text())["parameters"] == {"seed": 1, "label": "x"}


def test_params_file(tmp_path):
    pfile = tmp_path / "p.yaml"
    pfile.write_text("seed: 2\nscale: 10\n")
    proc = run_cli("run", "tiny", "-f", str(pfile), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    value = json.loads((tmp_path / "o" / "results.json").read_text())["value"]
    assert value == pytest.approx(10 * np.random.default_rng(2).random())


def test_failure_exits_nonzero_names_the_error_and_leaves_no_results(tmp_path):
    proc = run_cli("run", "tiny", "-p", "fail", "true", "--out", str(tmp_path))
    assert proc.returncode == 1
    assert "failing on purpose" in proc.stderr and "RuntimeError" in proc.stderr
    assert not (tmp_path / "results.json").exists()
    assert (tmp_path / "tiny.failed.ipynb").exists()


def test_list_shows_parameters():
    proc = run_cli("list")
    assert proc.returncode == 0
    assert "tiny" in proc.stdout and "seed: int = 0" in proc.stdout
    assert "raise an error on purpose" in proc.stdout


def test_resolve_notebook_by_stem(fixture_notebooks):
    assert cli.resolve_notebook("tiny") == TINY.resolve()


def test_relative_out_dir_is_taken_from_the_callers_folder(tmp_path):
    import os

    env = dict(os.environ, ZSLKIT_NOTEBOOKS=str(FIXTURES))
    proc = subprocess.run(
        [sys.executable, "-m", "zslkit.nbtools.cli", "run", "tiny", "--out", "rel/out"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "rel" / "out" / "results.json").read_text())["finished"] is True


def test_help_continues_on_the_comment_lines_below_a_parameter(tmp_path):
    nb = json.loads(TINY.read_text())
    nb["cells"][1]["source"] = (
        "seed: int = 0  # random seed\n"
        "scale: float = 1.0  # multiplies the value, a help text\n"
        "#   too long for one line\n"
        "label: str = 'tiny'  # a free-text label\n"
    )
    path = tmp_path / "wrapped.ipynb"
    path.write_text(json.dumps(nb))
    params = inspect_parameters(path)
    assert params["scale"].help == "multiplies the value, a help text too long for one line"
    assert params["seed"].help == "random seed" and params["label"].help == "a free-text label"
