"""Time the stages of the main job (``make book``) one by one.

::

    python scripts/bench_main_job.py [--runs build/runs] [--book build/book]
        [--screenshots build/screenshots] [--jobs N] [--skip-runs]

Runs, in order and as ``make book`` does, ``zslkit run --all --out RUNS``
(which re-executes only the notebooks whose run key changed), the book
build from RUNS and the page check, and prints each
stage's wall time and the total. Set ``ZSLKIT_NOTEBOOKS`` to time a copy
of the notebooks (e.g. one with an edited cell). ``--skip-runs`` leaves
out the first stage (e.g. to time a book built from ``notebooks``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def stages(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    py = sys.executable
    out = (
        []
        if args.skip_runs
        else [
            (
                "run --all",
                [str(BIN / "zslkit"), "run", "--all", "--jobs", str(args.jobs), "--out", args.runs],
            )
        ]
    )
    return out + [
        ("book", [py, "-m", "zslkit.nbtools.book", "--notebooks", args.runs, "--out", args.book]),
        (
            "pagecheck",
            [
                py,
                "-m",
                "zslkit.nbtools.pagecheck",
                f"{args.book}/_build/html",
                "--screenshots",
                args.screenshots,
                "--jobs",
                str(args.jobs),
            ],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="build/runs")
    parser.add_argument("--book", default="build/book")
    parser.add_argument("--screenshots", default="build/screenshots")
    parser.add_argument("--jobs", type=int, default=0, help="as make book's JOBS (0: one per core)")
    parser.add_argument("--skip-runs", action="store_true", help="time the other stages only")
    args = parser.parse_args(argv)
    times = []
    for name, cmd in stages(args):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append((name, time.perf_counter() - start))
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        summary = [line for line in lines if line.startswith(("unchanged", "ok ", "rendering"))]
        for line in summary[-30:]:
            print(f"  {line}")
        print(f"{name}: {times[-1][1]:.1f} s (exit {proc.returncode})", flush=True)
        if proc.returncode:
            print("\n".join(lines[-20:]), file=sys.stderr)
            return proc.returncode
    print(f"total: {sum(t for _, t in times):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
