"""``zslkit sweep``: a grid of runs of one notebook on Dask, resumable, summarised with intervals.

The fixture notebook ``sweep_grid`` records ``value = seed * scale + 0.5``
and ``square = (seed * scale) ** 2``, can sleep, fail on purpose, and
append one line per execution to the file ``mark`` (with the pid of the
process that runs it), so the tests count executions independently of the
sweep's own bookkeeping.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zslkit.nbtools import sweep
from zslkit.nbtools.cli import main, run_notebook

NB = Path(__file__).parent / "fixtures" / "sweep_grid.ipynb"


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes shared by the tests that give its address."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c.scheduler_address


def marks(path: Path) -> list[tuple[int, int, bool]]:
    """(pid, seed, fail) of every execution that appended to ``path``."""
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines()]
    return [(int(pid), int(seed), fail == "True") for pid, seed, fail in lines]


def test_expand_grid_product_runs_and_strings():
    assert sweep.expand_grid({"seed": [1, 2], "shots": "1,4,16"}) == [
        {"seed": 1, "shots": "1,4,16"},
        {"seed": 2, "shots": "1,4,16"},
    ]
    runs = [{"method": "a"}, {"method": "b", "epochs": 5}]
    assert sweep.expand_grid({"seed": [1, 2]}, runs) == [
        {"method": "a", "seed": 1},
        {"method": "a", "seed": 2},
        {"method": "b", "epochs": 5, "seed": 1},
        {"method": "b", "epochs": 5, "seed": 2},
    ]
    assert sweep.expand_grid(None, runs) == runs
    assert sweep.parse_axis("1,0.5,true,tip") == [1, 0.5, True, "tip"]
    with pytest.raises(ValueError, match="'seed' has an empty list"):
        sweep.expand_grid({"seed": []})
    with pytest.raises(ValueError, match="run 2 of 'runs' sets seed"):
        sweep.expand_grid({"seed": [1]}, [{"scale": 1.0}, {"seed": 3}])


def test_sweep_on_two_workers_equals_runs_one_by_one(tmp_path, capsys):
    runs = sweep.expand_grid({"seed": [1, 2], "scale": [0.5, 2.0]})
    report = sweep.run_sweep(NB, runs, tmp_path / "sweep", workers=2, progress=False)
    assert not report["failed"] and len(report["done"]) == 4 and not report["skipped"]
    assert "LocalCluster of 2 worker processes" in capsys.readouterr().out
    df = sweep.read_summary(tmp_path / "sweep")
    assert list(df.columns) == [
        "run",
        "param.seed",
        "param.scale",
        "wall_time_s",
        "square",
        "value",
    ]
    assert sorted(df["run"]) == sorted(report["runs"])
    for i, params in enumerate(runs):
        alone = run_notebook(NB, params, tmp_path / f"alone{i}")
        row = df[(df["param.seed"] == params["seed"]) & (df["param.scale"] == params["scale"])]
        assert len(row) == 1
        folder = tmp_path / "sweep" / row["run"].iloc[0]
        assert json.loads((folder / "results.json").read_text()) == alone
        assert row["value"].iloc[0] == params["seed"] * params["scale"] + 0.5  # closed form
        assert row["square"].iloc[0] == (params["seed"] * params["scale"]) ** 2
    pd.testing.assert_frame_equal(df, pd.read_csv(tmp_path / "sweep" / "summary.csv"))
    recorded = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [r["run"] for r in recorded["runs"]] == report["runs"]
    # the summary command prints the intervals and draws the plot
    png = tmp_path / "value.png"
    argv = ["sweep", "--summary", str(tmp_path / "sweep"), "--plot", "value", "--x", "scale"]
    assert main([*argv, "--plot-out", str(png)]) == 0
    out = capsys.readouterr().out
    assert "interval over seed" in out and "square" in out and png.stat().st_size > 0


def test_an_interrupted_sweep_resumes_without_redoing_finished_runs(cluster, tmp_path, capsys):
    mark = tmp_path / "mark.txt"
    runs = sweep.expand_grid({"seed": [1, 2, 3], "mark": str(mark)})
    first = sweep.run_sweep(NB, runs, tmp_path / "sweep", scheduler=cluster, progress=False)
    assert sorted(s for _, s, _ in marks(mark)) == [1, 2, 3]
    lost = first["runs"][1]  # as if the sweep was stopped before this run had finished
    (tmp_path / "sweep" / lost / "results.json").unlink()
    kept = {r: (tmp_path / "sweep" / r / "run.json") for r in first["runs"] if r != lost}
    before = {r: (p.stat().st_mtime_ns, json.loads(p.read_text())["date"]) for r, p in kept.items()}
    capsys.readouterr()
    again = sweep.run_sweep(NB, runs, tmp_path / "sweep", scheduler=cluster, progress=False)
    assert "1 runs done, 2 skipped, 0 failed" in capsys.readouterr().out
    assert sorted(again["skipped"]) == sorted(kept) and again["done"] == [lost]
    assert sorted(s for _, s, _ in marks(mark)) == [1, 2, 2, 3]  # only seed 2 ran again
    after = {r: (p.stat().st_mtime_ns, json.loads(p.read_text())["date"]) for r, p in kept.items()}
    assert after == before
    assert len(sweep.read_summary(tmp_path / "sweep")) == 3


def test_a_failing_run_is_retried_reported_and_the_others_finish(cluster, tmp_path, capsys):
    mark = tmp_path / "mark.txt"
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"mark: {mark}\nruns:\n  - {{seed: 1}}\n  - {{seed: 2}}\n")
    grid.write_text(grid.read_text() + "  - {seed: 3, fail: true}\n")
    runs = sweep.expand_grid(*sweep.load_grid(grid))
    report = sweep.run_sweep(
        NB, runs, tmp_path / "sweep", scheduler=cluster, retries=1, progress=False
    )
    assert len(report["done"]) == 2 and len(report["failed"]) == 1
    failed = report["failed"][0]
    assert failed["parameters"] == {"mark": str(mark), "seed": 3, "fail": True}
    assert failed["ename"] == "RuntimeError" and failed["evalue"] == "failing on purpose"
    assert failed["cell_index"] is not None and failed["exec_count"] is not None
    err = capsys.readouterr().err
    assert f"FAILED {failed['run']}" in err and "after 2 attempts" in err
    assert f"cell {failed['cell_index']}" in err and "failing on purpose" in err
    assert [f for _, _, f in marks(mark)].count(True) == 2  # the first attempt and one retry
    assert (tmp_path / "sweep" / failed["run"] / "sweep_grid.failed.ipynb").exists()
    assert len(sweep.read_summary(tmp_path / "sweep")) == 2  # failed runs are not in it
    # the same sweep again from the command line: only the failed run runs, exit status 1
    argv = ["sweep", str(NB), "-f", str(grid), "--out", str(tmp_path / "sweep")]
    assert main([*argv, "--scheduler", cluster, "--retries", "0"]) == 1
    assert sorted(f for _, _, f in marks(mark)) == [False, False, True, True, True]


@pytest.mark.parametrize(
    "argv, named",
    [
        (["-p", "seed", "1,two,3"], ["run 2 of 3", "'seed'", "must be int", "'two'"]),
        (["-p", "seed", "1,2", "-p", "sleeep", "0"], ["run 1 of 2", "'sleeep'"]),
        (["-f", "GRID"], ["run 2 of 2", "'bogus'"]),
    ],
)
def test_a_bad_value_or_name_is_refused_before_anything_runs(tmp_path, capsys, argv, named):
    grid = tmp_path / "grid.yaml"
    grid.write_text("runs:\n  - {seed: 1}\n  - {seed: 2, bogus: 1}\n")
    argv = [str(grid) if a == "GRID" else a for a in argv]
    out = tmp_path / "sweep"
    start = time.perf_counter()
    status = main(["sweep", str(NB), *argv, "--out", str(out), "--workers", "2"])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert status == 2 and elapsed < 5.0
    assert not out.exists()
    for word in [*named, "valid parameters: seed: int, scale: float, sleep: float"]:
        assert word in err


def test_summary_table_equals_a_hand_computed_t_interval():
    df = pd.DataFrame(
        {
            "run": list("abcdef"),
            "param.shots": [1, 1, 1, 4, 4, 4],
            "param.seed": [1, 2, 3, 1, 2, 3],
            "wall_time_s": [1.0] * 6,
            "acc": [0.50, 0.60, 0.58, 0.70, 0.74, 0.69],
        }
    )
    table = sweep.summary_table(df)  # over seed, by default
    assert list(table.columns) == ["shots", "figure", "mean", "ci_low", "ci_high", "n"]
    for shots, x in ((1, [0.50, 0.60, 0.58]), (4, [0.70, 0.74, 0.69])):
        x = np.array(x)
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        row = table[table["shots"] == shots].iloc[0]
        assert row["figure"] == "acc" and row["n"] == 3
        assert row["mean"] == pytest.approx(x.mean(), abs=1e-12)
        assert row["ci_low"] == pytest.approx(x.mean() - half, abs=1e-12)
        assert row["ci_high"] == pytest.approx(x.mean() + half, abs=1e-12)
    everything = sweep.summary_table(df.drop(columns="param.seed"))  # no seed: all runs
    assert len(everything) == 1 and everything["n"].iloc[0] == 6
    assert everything["mean"].iloc[0] == pytest.approx(df["acc"].mean(), abs=1e-12)
    by_shots = sweep.summary_table(df, over="shots")
    assert list(by_shots["seed"]) == [1, 2, 3] and set(by_shots["n"]) == {2}
    with pytest.raises(ValueError, match="no parameter 'dataset'; its parameters: shots, seed"):
        sweep.summary_table(df, over="dataset")


def test_a_killed_worker_still_ends_with_every_run_done_once(cluster, tmp_path):
    from dask.distributed import Client

    with Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
    mark = tmp_path / "mark.txt"
    runs = [{"seed": 1, "sleep": 2.5}, {"seed": 2}, {"seed": 3}]
    runs = [{**r, "mark": str(mark)} for r in runs]
    killed = []

    def kill_the_sleeper():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            for pid, seed, _ in marks(mark):
                if seed == 1:
                    assert pid in worker_pids  # the kernel's parent is the worker process
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_sleeper)
    killer.start()
    report = sweep.run_sweep(NB, runs, tmp_path / "sweep", scheduler=cluster, progress=False)
    killer.join()
    assert killed, "the sleeping run never started"
    assert not report["failed"] and sorted(report["done"]) == sorted(report["runs"])
    assert [s for _, s, _ in marks(mark)].count(1) == 2  # killed once, rescheduled once
    df = sweep.read_summary(tmp_path / "sweep")
    assert sorted(df["run"]) == sorted(report["runs"]) and sorted(df["param.seed"]) == [1, 2, 3]
    for run in report["runs"]:
        folder = tmp_path / "sweep" / run
        assert len(list(folder.glob("results.json"))) == 1
        assert not list(folder.glob("*.failed.*")) and not list(folder.glob(".run-*"))
