"""Benchmark: the feature cache makes a notebook's second run faster.

Runs ``01_pocket_world`` twice through ``zslkit run`` with an empty,
temporary feature cache and prints the time of its feature step (all four
domain variants) in each run, and their ratio::

    .venv/bin/python scripts/bench_feature_cache.py [--notebook 01_pocket_world] [-p NAME VALUE]...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run(notebook: str, out: Path, params: list[list[str]], env: dict) -> dict:
    cmd = [sys.executable, "-m", "zslkit.nbtools.cli", "run", notebook, "--out", str(out)]
    for name, value in params:
        cmd += ["-p", name, value]
    subprocess.run(cmd, check=True, env=env)
    return json.loads((out / "results.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebook", default="01_pocket_world")
    parser.add_argument(
        "-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE")
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ZSLKIT_CACHE=str(Path(tmp) / "cache"))
        first = run(args.notebook, Path(tmp) / "first", args.param, env)
        second = run(args.notebook, Path(tmp) / "second", args.param, env)
    print(
        f"feature step, first run (empty cache): {first['feature_seconds']:.2f} s "
        f"(from cache: {first['features_from_cache']})"
    )
    print(
        f"feature step, second run:              {second['feature_seconds']:.2f} s "
        f"(from cache: {second['features_from_cache']})"
    )
    print(f"speed-up: {first['feature_seconds'] / second['feature_seconds']:.1f}x")
    same = {k: first[k] == second[k] for k in first if k.startswith(("zsl", "gzsl", "domain"))}
    print(f"identical results in both runs: {all(same.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
