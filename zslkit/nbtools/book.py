"""Assemble and build the Jupyter Book from executed notebooks.

The book never executes code itself. ``make book`` first runs every
notebook through papermill (``zslkit run --all``), then this module copies
``book/`` and the executed notebooks into a staging folder, adds to each
notebook page its parameters table, writes the results page from the
figures each run recorded, and runs ``jupyter-book build`` there with
warnings treated as errors::

    python -m zslkit.nbtools.book --notebooks build/runs --out build/book

``--notebooks notebooks`` builds from the committed notebooks, which carry
the outputs and recorded results of their default run (what the tests do).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from zslkit import style
from zslkit.nbtools.notebook_params import inspect_parameters
from zslkit.nbtools.results import paper_column
from zslkit.paths import notebooks_dir, repo_dir

PARAMS_MARKER = "zslkit-parameters-table"


def find_executed(stem: str, source: Path) -> Path:
    """The executed copy of notebook ``stem`` in ``source`` (flat or ``<stem>/<stem>.ipynb``)."""
    for candidate in (source / stem / f"{stem}.ipynb", source / f"{stem}.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"no executed copy of {stem}.ipynb under {source}; run `zslkit run {stem} --out {source / stem}` "
        "or `make notebooks` first"
    )


def parameters_markdown(notebook: Path) -> str:
    """A markdown table of the notebook's papermill parameters."""
    rows = [
        f"| `{p.name}` | `{p.type}` | `{p.default}` | {p.help} |"
        for p in inspect_parameters(notebook).values()
    ]
    return "\n".join(
        [
            f"<!-- {PARAMS_MARKER} -->",
            "```{admonition} Parameters of this notebook",
            ":class: tip dropdown",
            f"Re-run it with other values: `zslkit run {notebook.stem} -p NAME VALUE`.",
            "",
            "| name | type | default | meaning |",
            "| --- | --- | --- | --- |",
            *rows,
            "```",
        ]
    )


def _add_parameters_table(source_nb: Path, nb: nbformat.NotebookNode) -> dict:
    cell = nbformat.v4.new_markdown_cell(parameters_markdown(source_nb))
    cell.id = PARAMS_MARKER  # a fixed id: the staged notebook's bytes change only with its run
    first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    nb.cells.insert(first_md + 1, cell)
    title = next(
        (
            line[2:].strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("# ")
        ),
        source_nb.stem,
    )
    return {**nb.metadata.get("zslkit", {}), "title": title}


def _toc_parts() -> list[tuple[str, list[str]]]:
    toc = yaml.safe_load((repo_dir() / "book" / "_toc.yml").read_text())
    return [(part["caption"], [ch["file"] for ch in part["chapters"]]) for part in toc["parts"]]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def results_figure(stem: str, results: dict, out: Path, cache: Path | None = None) -> str | None:
    """A bar chart of the run's figures that lie in [0, 1] (accuracies, H, ...); its file name.

    With ``cache``, a chart drawn before from the same figures, code and
    matplotlib settings is copied from there instead of drawn again.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = {
        k: v
        for k, v in results.items()
        if isinstance(v, float) and 0.0 <= v <= 1.0 and not k.endswith(("seconds", "gamma"))
    }
    if not shown:
        return None
    name = f"results_{stem}.png"
    cached = None
    if cache is not None:
        key = hashlib.sha256(
            repr(
                (
                    stem,
                    sorted(shown.items()),
                    Path(__file__).read_bytes(),
                    Path(style.__file__).read_bytes(),
                    matplotlib.__version__,
                    sorted((k, str(v)) for k, v in matplotlib.rcParams.items()),
                )
            ).encode()
        ).hexdigest()[:20]
        cached = cache / f"results_{stem}-{key}.png"
        if cached.exists():
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, out / name)
            return name
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(shown) + 0.9))
    ax.barh(list(shown)[::-1], list(shown.values())[::-1], color=style.colour(0))
    ax.set_xlim(0, 1)
    ax.set_xlabel("value (accuracies and rates)")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / name, dpi=90, facecolor="white")
    plt.close(fig)
    if cached is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"results_{stem}-*.png"):
            old.unlink()
        shutil.copyfile(out / name, cached)
    return name


def results_markdown(
    runs: dict[str, dict], figures: Path | None = None, cache: Path | None = None
) -> str:
    """The results page: every recorded figure by part and chapter.

    ``runs`` maps a notebook stem to the ``zslkit`` metadata its run left
    (``results`` and ``run``). Reference numbers from the papers come from
    ``data/paper_numbers.json``: beside each figure that a full-tier command of
    "Reproduce the papers" matches to a paper's number, that number
    (:func:`zslkit.nbtools.results.paper_column`). The charts go to
    ``figures`` (:func:`results_figure`, reusing those in ``cache``).
    """
    lines = [
        "# Results",
        "",
        "Every figure the notebooks recorded with `zslkit.record` in the run that built",
        "this book, on each notebook's parameters as shown. The pocket tier shows each",
        "method's mechanism and the direction of its effect. The paper column gives, beside",
        "a figure, the number a paper reports for the full-tier configuration whose command",
        "[Reproduce the papers](reproduce.md) lists; on the pocket tier the two are not",
        "expected to agree.",
        "",
    ]
    for caption, files in _toc_parts():
        stems = [f.split("/", 1)[1] for f in files if f.startswith("notebooks/")]
        stems = [s for s in stems if s in runs]
        if not stems:
            continue
        lines += [f"## {caption}", ""]
        for stem in stems:
            meta = runs[stem]
            run = meta.get("run", {})
            params = run.get("parameters") or {}
            shown = ", ".join(f"`{k}={v!r}`" for k, v in params.items()) or "defaults"
            lines += [
                f"### [{meta.get('title', stem)}](notebooks/{stem}.ipynb)",
                "",
                f"Notebook `{stem}`, run {run.get('date', 'date unknown')}, parameters: {shown}, "
                f"wall time {run.get('wall_time_s', '?')} s.",
                "",
            ]
            ref = paper_column(stem)
            results = meta.get("results", {})
            if ref:
                header = "| metric | value | paper (full tier, see [Reproduce the papers](reproduce.md)) |"
                lines += [header, "| --- | --- | --- |"]
                lines += [f"| `{k}` | {_fmt(v)} | {ref.get(k, '')} |" for k, v in results.items()]
            else:
                lines += ["| metric | value |", "| --- | --- |"]
                lines += [f"| `{k}` | {_fmt(v)} |" for k, v in results.items()]
            lines.append("")
            name = results_figure(stem, results, figures, cache) if figures else None
            if name:
                lines += [f"![Recorded figures of {stem}](figures/{name})", ""]
            versions = run.get("versions", {})
            if versions:
                lines += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), ""]
    return "\n".join(lines) + "\n"


def staged_files(source: Path, cache: Path | None = None) -> dict[str, bytes]:
    """Every file of the staging folder by relative path: ``book/``, the notebooks, the results page.

    ``cache`` keeps the results page's charts (:func:`results_figure`).
    """
    book_dir = repo_dir() / "book"
    files = {
        str(p.relative_to(book_dir)): p.read_bytes()
        for p in sorted(book_dir.rglob("*"))
        if p.is_file() and "_build" not in p.relative_to(book_dir).parts
    }
    runs = {}
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        executed = nbformat.read(find_executed(nb.stem, source), as_version=4)
        runs[nb.stem] = _add_parameters_table(nb, executed)
        files[f"notebooks/{nb.name}"] = nbformat.writes(executed).encode()
    if "syllabus.md" in files:  # the course's exercises, read from the notebooks
        from zslkit.nbtools.course import EXERCISES_MARKER, exercise_table

        table = exercise_table(sorted(notebooks_dir().glob("*.ipynb")))
        text = files["syllabus.md"].decode().replace(EXERCISES_MARKER, table)
        files["syllabus.md"] = text.encode()
    with tempfile.TemporaryDirectory() as tmp:
        files["results.md"] = results_markdown(runs, Path(tmp), cache).encode()
        for png in sorted(Path(tmp).iterdir()):
            files[f"figures/{png.name}"] = png.read_bytes()
    return files


def stage(source: Path, out: Path) -> Path:
    """Put ``book/``, every executed notebook and the results page into ``out``; return ``out``.

    A file is written only when its bytes differ from the staged one (and
    files no longer staged are removed), so Sphinx's environment in
    ``out/_build`` sees unchanged pages as unchanged and re-reads only the
    rest. Nothing is written when an executed notebook is missing.
    """
    files = staged_files(source, out / "_build" / "results-figures")
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(out.rglob("*"), reverse=True):  # files before their folders
        rel = path.relative_to(out)
        if rel.parts[0] == "_build" or str(rel) in files:
            continue
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink()
    for rel, data in files.items():
        path = out / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return out


def build(source: Path, out: Path) -> Path:
    """Stage and build the book; return the path of its ``index.html``.

    Sphinx builds incrementally: it re-reads the pages whose staged files
    changed since the last successful build in ``out`` (:func:`stage`).
    """
    stage(source, out)
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [
        str(jb if jb.exists() else "jupyter-book"),
        "build",
        str(out),
        "--warningiserror",
        "--nitpick",
        "--keep-going",
        "--quiet",
    ]
    try:
        subprocess.run(cmd, check=True)
    except subprocess.CalledProcessError:
        # Sphinx keeps the pages it read despite their warnings; a next build
        # must read every page again, or it would not see those warnings.
        shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
        raise
    index = out / "_build" / "html" / "index.html"
    if not index.exists():
        raise RuntimeError(f"jupyter-book finished but {index} is missing")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zslkit.nbtools.book", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--notebooks",
        default="build/runs",
        help="folder of executed notebooks (default build/runs)",
    )
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
