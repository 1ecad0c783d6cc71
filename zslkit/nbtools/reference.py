"""Reference runs: the figures of a longer or different run than a notebook's defaults.

When a chapter's prose relies on a run with more steps, more seeds or
another schedule than its pocket defaults, that run is committed as a
reference run::

    zslkit run 26_contrastive_losses -p n_steps 400 --out data/reference_runs/losses_400_steps

which keeps ``results.json`` and ``run.json`` (notebook, parameters,
command, date, versions, wall time) under ``data/reference_runs/NAME/``.
``make reference-runs`` (``python -m zslkit.nbtools.reference --all``)
re-creates every one of them from its ``run.json``. A notebook shows one
with :func:`show_reference_run`, which prints its command and date and the
figures the prose uses, and glues them for the prose (myst-nb's ``glue``,
under ``ref_<NAME>_<figure>``). ``tests/test_reference_runs.py`` checks
that each run's notebook and parameters still exist, and that every
figure a notebook asks of a reference run is in it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Sequence

from zslkit.paths import data_dir


def reference_dir() -> Path:
    """``data/reference_runs``: one folder per reference run."""
    return data_dir() / "reference_runs"


def load_reference_run(name: str) -> dict[str, Any]:
    """``{"results": {...}, "run": {...}}`` of the committed reference run ``name``."""
    folder = reference_dir() / name
    if not (folder / "results.json").is_file() or not (folder / "run.json").is_file():
        known = sorted(p.name for p in reference_dir().glob("*") if (p / "run.json").is_file())
        raise ValueError(f"no reference run named {name!r}; committed runs: {known or 'none'}")
    return {
        "results": json.loads((folder / "results.json").read_text()),
        "run": json.loads((folder / "run.json").read_text()),
    }


def show_reference_run(name: str, *figures: str, digits: int = 3) -> dict[str, Any]:
    """Print a reference run's command, date and the named figures; glue them for the prose.

    Returns the figures as a dict (for plots); a figure the run does not hold
    raises ``ValueError`` naming the figures it does hold.
    """
    ref = load_reference_run(name)
    results, run = ref["results"], ref["run"]
    missing = [f for f in figures if f not in results]
    if missing:
        raise ValueError(f"reference run {name!r} holds no {missing}; it holds {sorted(results)}")
    versions = ", ".join(f"{k} {v}" for k, v in sorted(run.get("versions", {}).items()))
    print(f"reference run {name}: {run['command']}")
    print(f"  run on {run['date']} in {run['wall_time_s']:.0f} s ({versions})")
    for f in figures:
        value = results[f]
        shown = f"{value:.{digits}f}" if isinstance(value, float) else repr(value)
        print(f"  {f}: {shown}")
        _glue(f"ref_{name}_{f}", value)
    return {f: results[f] for f in figures}


def _glue(name: str, value: Any) -> None:
    try:
        from myst_nb import glue
    except ImportError:  # outside the book's environment (e.g. Colab): printing is enough
        return
    glue(name, value, display=False)


def recreate(name: str) -> Path:
    """Re-run reference run ``name`` from its ``run.json`` (same notebook and parameters)."""
    from zslkit.nbtools.cli import resolve_notebook, run_notebook

    run = load_reference_run(name)["run"]
    folder = reference_dir() / name
    run_notebook(resolve_notebook(run["notebook"]), run["parameters"], folder)
    prune(folder)
    return folder


def prune(folder: Path) -> None:
    """Keep only what a reference run commits: results.json, tolerances.json and run.json."""
    for path in folder.iterdir():
        if path.name not in {"results.json", "tolerances.json", "run.json"}:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="re-create the committed reference runs")
    parser.add_argument("names", nargs="*", help="reference runs to re-create")
    parser.add_argument("--all", action="store_true", help="every committed reference run")
    parser.add_argument("--prune", metavar="DIR", help="only drop the executed notebook from DIR")
    args = parser.parse_args(argv)
    if args.prune:
        prune(Path(args.prune))
        return 0
    names = sorted(p.name for p in reference_dir().glob("*") if (p / "run.json").is_file())
    names = names if args.all else args.names
    for name in names:
        print(f"re-creating reference run {name} ...", flush=True)
        print(f"  -> {recreate(name)}")
    if not names:
        print("no reference runs to re-create" if args.all else "give NAME... or --all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
