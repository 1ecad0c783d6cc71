"""Reference sweep of chapter 03: chapter 30 over three few-shot draws and three shot counts.

::

    .venv/bin/python scripts/sweep_reference.py [--workers 2] [--out build/sweeps/adapters]

runs, through :func:`zslkit.nbtools.sweep.run_sweep`, the same sweep as::

    zslkit sweep 30_training_free_adapters -p seeds 1,2,3 -p shots 1,4,16 \\
        --out build/sweeps/adapters --workers 2

(9 runs, each one draw at one shot count, every other parameter at chapter
30's pocket default), then copies its summary to ``data/sweeps/adapters.csv``
and writes ``data/sweeps/adapters.json``: the command, the grid, the date,
the package versions, the sweep's wall time, the workers, and each run's
own wall time (from its ``run.json``). Chapter 03 reads both files. The run
folders stay under ``--out`` (executed notebooks, not committed); a rerun
with the same code skips the finished runs (the wall time then measures
only the skip).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import time
from pathlib import Path

from zslkit.nbtools import sweep
from zslkit.nbtools.cli import _versions, resolve_notebook
from zslkit.nbtools.results import write_json_atomic
from zslkit.paths import data_dir, repo_dir

NOTEBOOK = "30_training_free_adapters"
GRID = {"seeds": ["1", "2", "3"], "shots": ["1", "4", "16"]}
NAME = "adapters"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--out", default=f"build/sweeps/{NAME}", help="the sweep's folder")
    args = parser.parse_args()
    out = Path(args.out)
    if not out.is_absolute():
        out = repo_dir() / out
    runs = sweep.expand_grid(GRID)
    start = time.perf_counter()
    report = sweep.run_sweep(NOTEBOOK, runs, out, workers=args.workers, grid=GRID)
    wall = time.perf_counter() - start
    if report["failed"]:
        raise SystemExit(f"{len(report['failed'])} runs failed: {report['failed']}")
    target = data_dir() / "sweeps"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / sweep.SUMMARY_CSV, target / f"{NAME}.csv")
    run_walls = {
        run: json.loads((out / run / "run.json").read_text())["wall_time_s"]
        for run in report["runs"]
    }
    axes = " ".join(f"-p {k} {','.join(v)}" for k, v in GRID.items())
    write_json_atomic(
        target / f"{NAME}.json",
        {
            "notebook": resolve_notebook(NOTEBOOK).stem,
            "grid": GRID,
            "command": f"zslkit sweep {NOTEBOOK} {axes} --out build/sweeps/{NAME} "
            f"--workers {args.workers}",
            "recreate": "python scripts/sweep_reference.py (make reference-runs)",
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(),
            "workers": args.workers,
            "sweep_wall_time_s": round(wall, 1),
            "skipped": len(report["skipped"]),
            "run_wall_time_s": run_walls,
        },
    )
    print(f"{len(report['runs'])} runs ({len(report['skipped'])} skipped) in {wall:.0f} s")
    print(f"wrote {target / (NAME + '.csv')} and {target / (NAME + '.json')}")


if __name__ == "__main__":
    main()
