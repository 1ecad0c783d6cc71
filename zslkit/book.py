"""Assemble and build the Jupyter Book from executed notebooks.

The book never executes code itself. ``make book`` first runs every
notebook through papermill (``zslkit run --all``), then this module copies
``book/`` and the executed notebooks into a staging folder and runs
``jupyter-book build`` there with warnings treated as errors::

    python -m zslkit.book --notebooks build/runs --out build/book

``--notebooks notebooks`` builds from the committed notebooks, which carry
the outputs of their default run (what the test suite does).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from zslkit.paths import notebooks_dir, repo_dir


def find_executed(stem: str, source: Path) -> Path:
    """The executed copy of notebook ``stem`` in ``source`` (flat or ``<stem>/<stem>.ipynb``)."""
    for candidate in (source / stem / f"{stem}.ipynb", source / f"{stem}.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"no executed copy of {stem}.ipynb under {source}; run `zslkit run {stem} --out {source / stem}` "
        "or `make notebooks` first"
    )


def stage(source: Path, out: Path) -> Path:
    """Copy ``book/`` and every executed notebook into ``out``; return ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for item in out.iterdir():
        if item.name != "_build":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    shutil.copytree(repo_dir() / "book", out, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("_build"))
    nb_out = out / "notebooks"
    nb_out.mkdir(exist_ok=True)
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        shutil.copy2(find_executed(nb.stem, source), nb_out / nb.name)
    return out


def build(source: Path, out: Path) -> Path:
    """Stage and build the book; return the path of its ``index.html``."""
    stage(source, out)
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", str(out),
           "--warningiserror", "--nitpick", "--keep-going", "--quiet"]
    subprocess.run(cmd, check=True)
    index = out / "_build" / "html" / "index.html"
    if not index.exists():
        raise RuntimeError(f"jupyter-book finished but {index} is missing")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zslkit.book", description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", default="build/runs",
                        help="folder of executed notebooks (default build/runs)")
    parser.add_argument("--out", default="build/book", help="staging and output folder")
    args = parser.parse_args(argv)
    try:
        index = build(Path(args.notebooks), Path(args.out))
    except (FileNotFoundError, subprocess.CalledProcessError, RuntimeError) as err:
        print(f"book build failed: {err}", file=sys.stderr)
        return 1
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
