"""Figures checked within their tolerances: the comparison, `zslkit check`, the pytest plugin."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import zslkit
from zslkit.nbtools import results
from zslkit.nbtools.figures import committed_figures, compare_figures, report, trains

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def cli(*args, notebooks, **kw):
    env = dict(os.environ, ZSLKIT_NOTEBOOKS=str(notebooks))
    return subprocess.run(
        [sys.executable, "-m", "zslkit.nbtools.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kw,
    )


@pytest.fixture(scope="module")
def executed_tiny(tmp_path_factory):
    """A folder holding tiny.ipynb as it would be committed: executed, results in its metadata."""
    folder = tmp_path_factory.mktemp("committed")
    shutil.copy(FIXTURES / "tiny.ipynb", folder / "tiny.ipynb")
    proc = cli("run", "tiny", "--out", str(folder / "run"), notebooks=folder)
    assert proc.returncode == 0, proc.stderr
    shutil.copy(folder / "run" / "tiny.ipynb", folder / "tiny.ipynb")
    shutil.rmtree(folder / "run")
    return folder


def edited_copy(src: Path, dst: Path, name: str, delta: float) -> Path:
    """Copy a committed notebook folder, moving one recorded figure by ``delta``."""
    shutil.copytree(src, dst)
    path = dst / "tiny.ipynb"
    nb = json.loads(path.read_text())
    nb["metadata"]["zslkit"]["results"][name] += delta
    path.write_text(json.dumps(nb))
    return dst


def test_compare_by_hand():
    committed = {"acc": (0.50, 0.02), "exact": (3, 1e-6), "label": ("a", 1e-6), "gone": (1.0, 1e-6)}
    new = {"acc": 0.519, "exact": 3, "label": "b", "extra": 2.0}
    moved = {m.name: m for m in compare_figures("nb", committed, new, {"acc": 0.02})}
    assert set(moved) == {"label", "gone", "extra"}  # 0.519 is within 0.02 of 0.50
    assert moved["label"].why == "changed" and moved["gone"].why == "missing"
    assert moved["extra"].why == "new"
    moved = compare_figures("nb", committed, dict(new, acc=0.521), {"acc": 0.02})
    assert [m.name for m in moved if m.why == "moved"] == ["acc"]


def test_rerun_tolerance_wins_and_bool_is_not_a_number():
    # the notebook's current source declares the tolerance, not the committed metadata
    assert compare_figures("nb", {"x": (1.0, 1e-6)}, {"x": 1.01}, {"x": 0.05}) == []
    assert compare_figures("nb", {"x": (1.0, 1e-6)}, {"x": 1.01}, {}) != []
    assert [m.why for m in compare_figures("nb", {"ok": (True, 1e-6)}, {"ok": 1}, {})] == [
        "changed"
    ]


def test_message_names_everything_a_reader_needs():
    (m,) = compare_figures("15_generative_zsl", {"h": (0.25, 0.01)}, {"h": 0.27}, {"h": 0.01})
    text = report([m])
    for part in (
        "15_generative_zsl",
        "'h'",
        "committed 0.25",
        "re-run 0.27",
        "0.02",
        "tolerance 0.01",
        "zslkit check 15_generative_zsl",
    ):
        assert part in text, (part, text)


def test_record_writes_tolerances_beside_results(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    monkeypatch.setenv(results.RESULTS_ENV, str(path))
    zslkit.record("trained", 0.5, tol=0.03)
    zslkit.record("closed_form", 0.25)
    tols = json.loads((tmp_path / "tolerances.json").read_text())
    assert tols["trained"] == 0.03 and tols["closed_form"] == results.DEFAULT_TOL


@pytest.mark.parametrize("tol", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_record_refuses_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tol"):
        zslkit.record("x", 0.5, tol=tol)


def test_committed_figures_read_the_notebook_metadata(executed_tiny):
    figs = committed_figures(executed_tiny / "tiny.ipynb")
    assert figs["label"] == ("tiny", results.DEFAULT_TOL) and figs["finished"][0] is True
    assert not trains(executed_tiny / "tiny.ipynb")  # every figure at the default tolerance


def test_check_passes_unchanged_and_within_tolerance(executed_tiny, tmp_path):
    assert cli("check", "tiny", notebooks=executed_tiny).returncode == 0
    # a bit-level difference (far below the default 1e-6) must not fail
    folder = edited_copy(executed_tiny, tmp_path / "c", "value", 1e-9)
    proc = cli("check", "tiny", notebooks=folder)
    assert proc.returncode == 0, proc.stderr
    assert "ok tiny" in proc.stdout


def test_check_fails_on_a_moved_figure_and_says_what_moved(executed_tiny, tmp_path):
    folder = edited_copy(executed_tiny, tmp_path / "c", "value", 0.1)
    proc = cli("check", "tiny", notebooks=folder)
    assert proc.returncode == 1
    assert "tiny: figure 'value' moved" in proc.stderr
    assert "tolerance 1e-06" in proc.stderr and "zslkit check tiny" in proc.stderr


def test_pytest_plugin_adds_a_figure_check_to_every_notebook(executed_tiny, tmp_path):
    folder = edited_copy(executed_tiny, tmp_path / "c", "value", 0.1)
    shutil.copy(executed_tiny / "tiny.ipynb", folder / "tiny_ok.ipynb")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "zslkit.nbtools.pytest_figures",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(folder),
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
        env=dict(os.environ, ZSLKIT_NOTEBOOKS=str(folder)),
    )
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "1 failed, 7 passed" in out, out  # 3 cells + figures, twice; one figure check fails
    assert "tiny.ipynb::figures" in out and "tiny: figure 'value' moved" in out
    assert "tiny_ok.ipynb::figures" not in out.split("short test summary")[-1]


def test_malformed_params_file_is_one_line(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("seed: 1\nscale: [2, 3\n")
    proc = cli("run", "tiny", "-f", str(bad), "--out", str(tmp_path / "o"), notebooks=FIXTURES)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert str(bad) in proc.stderr and "line 3, column 1" in proc.stderr


def test_ctrl_c_prints_one_line_exits_130_and_leaves_nothing(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    started = tmp_path / "cell-started"  # the slow cell writes it, then sleeps
    nb = json.loads((FIXTURES / "tiny.ipynb").read_text())
    nb["cells"][2]["source"] = (
        f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(120)\n"
        + "".join(nb["cells"][2]["source"])
    )
    (folder / "slow.ipynb").write_text(json.dumps(nb))
    shutil.copy(FIXTURES / "tiny.ipynb", folder / "tiny.ipynb")
    env = dict(os.environ, ZSLKIT_NOTEBOOKS=str(folder))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zslkit.nbtools.cli", "run", "--all", "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # pytest-xdist workers ignore SIGINT, and an ignored signal stays ignored
        # across exec: give the runner the default a terminal gives it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 240
    while not started.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    assert started.exists(), "the slow cell never started"
    time.sleep(1)  # inside the slow cell
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: slow, nothing recorded" in err and "Traceback" not in err
    assert "finished before it: none" in err
    assert not list((tmp_path / "o" / "slow").iterdir())  # no notebook, results or temp folder


def test_a_figure_of_the_machine_is_recorded_but_never_compared():
    committed = {"seconds": (2.1, None), "from_cache": (False, None)}
    new = {"seconds": 9.7, "from_cache": True}
    assert compare_figures("nb", committed, new, {"seconds": None, "from_cache": None}) == []
    assert [m.why for m in compare_figures("nb", committed, {}, {})] == ["missing", "missing"]


def test_record_takes_several_figures_returns_nothing_and_is_all_or_nothing(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    monkeypatch.setenv(results.RESULTS_ENV, str(path))
    assert zslkit.record(seen=0.8, unseen=0.4, tol=0.01) is None
    assert zslkit.record("h", 0.53) is None
    saved = json.loads(path.read_text())
    assert {k: saved[k] for k in ("seen", "unseen", "h")} == {"seen": 0.8, "unseen": 0.4, "h": 0.53}
    tols = json.loads((tmp_path / "tolerances.json").read_text())
    assert (tols["seen"], tols["unseen"], tols["h"]) == (0.01, 0.01, results.DEFAULT_TOL)
    with pytest.raises(TypeError):
        zslkit.record(ok_figure=1.0, bad_figure=[1, 2])
    assert "ok_figure" not in json.loads(path.read_text())  # nothing of a failed call is kept
    with pytest.raises(ValueError, match="twice"):
        zslkit.record("a", 1, a=2)
    with pytest.raises(ValueError, match="nothing to record"):
        zslkit.record()


def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch):
    """myst-nb formats glued text with float(); ``np.float64(0.5)``'s repr would fail."""
    import myst_nb
    import numpy as np

    from zslkit.nbtools import results

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: value}))
    results.glue(a=np.float64(0.25), b=np.int64(3), c="text", d=np.array([1.0, 2.0]))
    assert type(glued["a"]) is float and glued["a"] == 0.25
    assert type(glued["b"]) is int and glued["c"] == "text"
    assert isinstance(glued["d"], np.ndarray)
    assert float(repr(glued["a"])) == 0.25
