"""How far each recorded figure moves between CPU kernels and thread counts.

torch picks its CPU kernels by ``ATEN_CPU_CAPABILITY`` (``default``,
``avx2``, ``avx512``); another machine runs other kernels and sums in
another order. This script executes notebooks under each capability and
thread count, each configuration with its own empty feature cache (so no
configuration reuses another's features), and prints, for every recorded
figure that moved, the committed value, the range seen, the largest
distance from the committed value and the tolerance the notebook declares.

    python scripts/figure_spread.py                      # every notebook, 6 configurations
    python scripts/figure_spread.py 15_generative_zsl --caps default avx2 --threads 1
    python scripts/figure_spread.py --jobs 2 --out build/spread
    python scripts/figure_spread.py --caps avx2 default --threads 2 --blas   # oneDNN/MKL/OpenBLAS too

The report (over every configuration measured under ``OUT``, ``--report-only``
to run nothing) is also written to ``OUT/spread.json``. Runs already present in
``OUT`` (a ``results.json`` next to a finished notebook) are reused, so an
interrupted measurement resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zslkit.nbtools.figures import committed_figures  # noqa: E402

# With --blas, a capability also caps the other libraries' kernels the way an
# older machine would: oneDNN (convolutions), MKL (torch's matrix products)
# and OpenBLAS (numpy, scipy, scikit-learn). Measurement only: the tests
# leave OpenBLAS alone.
BLAS_ENV = {
    "avx2": {
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "OPENBLAS_CORETYPE": "Haswell",
    },
    "default": {
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "OPENBLAS_CORETYPE": "Nehalem",
    },
}


def _config(cap: str, threads: int, blas: bool) -> str:
    return f"{cap}{'+blas' if blas and cap in BLAS_ENV else ''}-t{threads}"


def _run(stem: str, cap: str, threads: int, out: Path, blas: bool) -> tuple[str, str, int, int]:
    config = _config(cap, threads, blas)
    folder = out / config / stem
    if (folder / "results.json").exists():
        return stem, config, threads, 0
    env = dict(
        os.environ,
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        ZSLKIT_CACHE=str(out / config / ".cache"),
    )
    if cap != "native":
        env["ATEN_CPU_CAPABILITY"] = cap
        if blas:
            env.update(BLAS_ENV.get(cap, {}))
    else:
        env.pop("ATEN_CPU_CAPABILITY", None)
    log = folder.with_suffix(".log")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        rc = subprocess.call(
            [sys.executable, "-m", "zslkit.nbtools.cli", "run", stem, "--out", str(folder)],
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    return stem, config, threads, rc


def _checked_text(path: Path) -> dict[int, str]:
    """The sanitised text outputs of the cells nbval compares, by code-cell number."""
    import re

    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    out = {}
    for i, cell in enumerate(code):
        if "NBVAL_CHECK_OUTPUT" in "".join(cell["source"]):
            text = "".join(
                "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                for o in cell.get("outputs", [])
            )
            out[i] = re.sub(r"\d+(\.\d+)? ?(s|ms|seconds)\b", "TIME", text)
    return out


def _checked_cells_that_changed(nb: Path, out: Path, configs) -> dict[str, list[int]]:
    committed = _checked_text(nb)
    changed = {}
    for config in configs:
        path = out / config / nb.stem / f"{nb.stem}.ipynb"
        if path.exists():
            new = _checked_text(path)
            cells = [i for i in committed if new.get(i) != committed[i]]
            if cells:
                changed[config] = cells
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook stems (default: all)")
    parser.add_argument(
        "--caps",
        nargs="+",
        default=["native", "avx2", "default"],
        help="ATEN_CPU_CAPABILITY values; 'native' leaves it unset",
    )
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="runs at the same time")
    parser.add_argument("--out", default=str(REPO / "build" / "spread"))
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: report on the runs already under OUT",
    )
    parser.add_argument(
        "--blas", action="store_true", help="also cap oneDNN, MKL and OpenBLAS with the capability"
    )
    args = parser.parse_args()
    from zslkit.nbtools.cli import list_notebooks, resolve_notebook

    notebooks = [resolve_notebook(n) for n in args.notebooks] or list_notebooks()
    out = Path(args.out).resolve()
    jobs = [
        (nb.stem, c, t, out, args.blas) for nb in notebooks for c in args.caps for t in args.threads
    ]
    configs = [_config(c, t, args.blas) for c in args.caps for t in args.threads]
    if args.report_only:
        jobs = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for stem, config, _, rc in pool.map(lambda j: _run(*j), jobs):
            print(f"{'ok' if rc == 0 else 'FAILED'} {stem} {config}", flush=True)

    # The report covers every configuration measured so far under OUT.
    configs = sorted(p.name for p in out.iterdir() if p.is_dir() and "-t" in p.name)
    report = {}
    for nb in notebooks:
        committed = committed_figures(nb)
        runs = {}
        for config in configs:
            path = out / config / nb.stem / "results.json"
            if path.exists():
                runs[config] = json.loads(path.read_text())
        rows = {}
        for name, (value, tol) in committed.items():
            seen = {k: r.get(name) for k, r in runs.items()}
            numbers = [
                v for v in seen.values() if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not numbers:
                moved = any(v != value for v in seen.values())
                rows[name] = {"committed": value, "moved": moved, "tol": tol}
                continue
            dev = max(abs(v - value) for v in numbers + [value])
            spread = max(numbers + [value]) - min(numbers + [value])
            rows[name] = {
                "committed": value,
                "min": min(numbers),
                "max": max(numbers),
                "max_dev": dev,
                "spread": spread,
                "tol": tol,
                "runs": seen,
            }
        report[nb.stem] = rows
        moved = {k: r for k, r in rows.items() if r.get("max_dev", 0) > 1e-9 or r.get("moved")}
        print(f"\n{nb.stem}: {len(runs)} runs, {len(moved)} of {len(rows)} figures moved")
        for k, r in moved.items():
            if "max_dev" in r:
                tol = "None (a time)" if r["tol"] is None else f"{r['tol']:.3g}"
                flag = "  EXCEEDS tol" if r["tol"] is not None and r["max_dev"] > r["tol"] else ""
                print(
                    f"  {k:40s} committed {r['committed']:.6g}  range [{r['min']:.6g}, {r['max']:.6g}]"
                    f"  max |dev| {r['max_dev']:.3g}  tol {tol}{flag}"
                )
            else:
                print(f"  {k:40s} non-numeric figure moved: committed {r['committed']!r}")
        for cfg, cells in _checked_cells_that_changed(nb, out, configs).items():
            print(f"  # NBVAL_CHECK_OUTPUT cells whose text differs under {cfg}: {cells}")
    (out / "spread.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    print(f"\nreport: {out / 'spread.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
