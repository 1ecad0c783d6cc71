"""Benchmark: a sweep on a Dask LocalCluster against the same runs one after another.

Runs a 3 x 3 grid of a pocket notebook (default ``11_semantic_spaces``,
ridge penalties ``alpha`` 0.1,1,10 x ``lam`` 0.1,1,10: nine runs) twice,
each time into a fresh temporary folder:

1. one after another in this process with
   :func:`zslkit.nbtools.cli.run_notebook` (what a shell loop over
   ``zslkit run`` does, less the interpreter start-ups);
2. as one :func:`zslkit.nbtools.sweep.run_sweep` on a ``LocalCluster`` of
   ``--workers`` processes (default 2), cluster start-up and shut-down
   included.

An untimed run on the first grid point warms the caches (the feature
cache, the page cache, the imports) first, so neither timing pays for
them. The default grid leaves ``seed`` alone on purpose: the notebook's
features depend on the seed, so with a seed axis the first run of each
seed would fill the feature cache for the other arm (a first run takes
about four times as long here). It prints both wall times, their ratio (sequential / sweep: the
speed-up), the mean wall time of one run in each (``wall_time_s`` of
run.json: papermill's execution, kernel start included), and Dask's
overhead per run, defined as

    overhead = sweep wall time x workers / runs - mean run wall time in the sweep

the worker-seconds the sweep spends per run beyond executing the notebook
(cluster start and stop, worker imports, run keys, scheduling, idle
workers at the end of the grid). It prints the load average before and
after, since other processes on the machine move every figure::

    .venv/bin/python scripts/bench_sweep.py [--notebook NB] [-p NAME V1,V2,...]... [--workers 2]
    .venv/bin/python scripts/bench_sweep.py --notebook tests/fixtures/sweep_grid.ipynb \\
        -p seed 1,2,3 -p sleep 1,2,3          # the overhead on runs that only sleep
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    from zslkit.nbtools.cli import resolve_notebook, run_notebook
    from zslkit.nbtools.sweep import expand_grid, parse_axis, run_sweep

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebook", default="11_semantic_spaces")
    parser.add_argument(
        "-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "V1,V2,...")
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first run")
    args = parser.parse_args()
    axes = args.param or [["alpha", "0.1,1.0,10.0"], ["lam", "0.1,1.0,10.0"]]
    nb = resolve_notebook(args.notebook)
    runs = expand_grid({name: parse_axis(text) for name, text in axes})
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tmp = Path(tmp)
        if not args.no_warmup:
            run_notebook(nb, runs[0], tmp / "warmup")
        start = time.perf_counter()
        for i, params in enumerate(runs):
            run_notebook(nb, params, tmp / "one_by_one" / str(i))
        sequential = time.perf_counter() - start
        seq_runs = [
            json.loads((tmp / "one_by_one" / str(i) / "run.json").read_text())["wall_time_s"]
            for i in range(len(runs))
        ]
        start = time.perf_counter()
        report = run_sweep(nb, runs, tmp / "sweep", workers=args.workers, progress=False)
        swept = time.perf_counter() - start
        if report["failed"]:
            raise SystemExit(f"{len(report['failed'])} runs failed: {report['failed']}")
        sweep_runs = [
            json.loads((tmp / "sweep" / run / "run.json").read_text())["wall_time_s"]
            for run in report["runs"]
        ]
    n = len(runs)
    overhead = swept * args.workers / n - statistics.mean(sweep_runs)
    print(f"{nb.stem}: {n} runs ({', '.join(f'{k} {v}' for k, v in axes)})")
    print(f"one after another: {sequential:.1f} s (mean run {statistics.mean(seq_runs):.1f} s)")
    print(
        f"sweep, {args.workers} workers: {swept:.1f} s "
        f"(mean run {statistics.mean(sweep_runs):.1f} s)"
    )
    print(f"ratio one after another / sweep: {sequential / swept:.2f}")
    print(f"Dask overhead per run: {overhead:.1f} worker-seconds")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
