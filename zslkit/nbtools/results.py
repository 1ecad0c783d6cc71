"""Recording a notebook's results.

A notebook calls ``zslkit.record("zsl_top1_unseen", 0.93)`` (or several at
once, ``zslkit.record(seen=s, unseen=u, tol=0.01)``) for every figure it
wants to report, and states how far the figure may move when the notebook
runs on another machine: ``zslkit.record("h", h, tol=0.02)``. The default,
``DEFAULT_TOL`` (1e-6), is for closed forms and deterministic pipelines; a
figure that comes out of training, or out of float kernels whose order of
summation differs between CPUs, carries the bound measured for it by
``scripts/figure_spread.py``. The tests re-execute every notebook and compare
each figure with the committed one within its tolerance
(:mod:`zslkit.nbtools.figures`).

When the notebook runs under ``zslkit run``, the runner points the
environment variable ``ZSLKIT_RESULTS`` at a JSON file and each call rewrites
that file atomically, so ``results.json`` always holds every value recorded
so far as one flat object; the tolerances go to ``tolerances.json`` beside it.
Outside the runner (Colab, a plain Jupyter session) the values are kept in
memory only.

The papers' numbers stand beside the recorded figures: :func:`paper_column`
gives the results page's paper column and :func:`reproduce_markdown` the
book's page "Reproduce the papers" (``book/reproduce.md``), both from the
``reproduce`` commands of ``data/paper_numbers.json``
(:func:`reproduce_commands`).

Taught in: notebooks/00_what_is_zero_shot.ipynb (the first use).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from typing import Any

RESULTS_ENV = "ZSLKIT_RESULTS"
DEFAULT_TOL = 1e-6
_RECORDED: dict[str, Any] = {}
_TOLERANCES: dict[str, float | None] = {}


def tolerances_path(results_path: str | os.PathLike) -> str:
    """Where the tolerances of a ``results.json`` are kept: ``tolerances.json`` beside it."""
    return os.path.join(os.path.dirname(os.fspath(results_path)), "tolerances.json")


def _to_json_value(name: str, value: Any) -> Any:
    """Turn numpy / torch scalars into plain Python values, refusing others."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"record({name!r}): value {value} is not finite")
        return value
    raise TypeError(
        f"record({name!r}): value of type {type(value).__name__} is not a number, "
        "string, bool or None; record each figure under its own name"
    )


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file and a rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def record(
    name: str | None = None,
    value: Any = None,
    /,
    *,
    tol: float | None = DEFAULT_TOL,
    **figures: Any,
) -> None:
    """Record figures of the notebook: ``record("h", h)`` or ``record(h=h, seen=s, tol=0.02)``.

    Returns nothing, so a cell that ends with it leaves no stray value in
    the book.

    Parameters
    ----------
    name, value : str and number, str, bool or None
        One figure: a flat name such as ``"zsl_top1_unseen"`` (letters,
        digits, ``_``) and its value; numpy and torch scalars are converted
        to plain Python numbers.
    tol : float or None
        How far a re-run on another machine may move each numeric figure of
        this call (absolute). Keep the default for closed forms and
        deterministic pipelines; give the measured bound for anything
        trained. ``None`` marks a figure that measures the machine or its
        state, not the method (a wall-clock time, whether the feature cache
        was warm): recorded, never compared. Strings, bools and None values
        must otherwise match exactly.
    **figures
        Several figures at once, by keyword, all with the same ``tol``.
    """
    if name is not None:
        if name in figures:
            raise ValueError(f"record: {name!r} given twice")
        figures = {name: value, **figures}
    elif value is not None:
        raise ValueError(
            "record: a value needs a name: record('name', value) or record(name=value)"
        )
    if not figures:
        raise ValueError(
            "record: nothing to record; use record('name', value) or record(name=value)"
        )
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (0 <= tol < math.inf)
    ):
        raise ValueError(
            f"record: tol={tol!r} must be a finite number >= 0, or None for a wall-clock time"
        )
    for key in figures:
        if not isinstance(key, str) or not key or not all(c.isalnum() or c == "_" for c in key):
            raise ValueError(
                f"record: name {key!r} must be a non-empty string of letters, digits and '_'"
            )
    converted = {key: _to_json_value(key, v) for key, v in figures.items()}  # all or nothing
    _RECORDED.update(converted)
    _TOLERANCES.update({key: None if tol is None else float(tol) for key in converted})
    path = os.environ.get(RESULTS_ENV)
    if path:
        write_json_atomic(path, _RECORDED)
        write_json_atomic(tolerances_path(path), _TOLERANCES)


def recorded() -> dict[str, Any]:
    """Every value recorded in this kernel so far, as a new dict."""
    return dict(_RECORDED)


def recorded_tolerances() -> dict[str, float | None]:
    """The tolerance of every value recorded in this kernel so far, as a new dict."""
    return dict(_TOLERANCES)


def glue(**figures: Any) -> None:
    """Make figures quotable in the notebook's prose: ``{glue:text}`name:.3f` `` in markdown.

    myst-nb's ``glue`` without display: the value is stored in the cell's
    output for the book and not shown. Outside the book's environment (no
    myst-nb, e.g. in Colab) nothing happens; the figures are printed or
    recorded elsewhere anyway. numpy scalars are glued as Python numbers,
    whose text myst-nb can format (``np.float64(0.5)`` it cannot).
    """
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:
        return
    for name, value in figures.items():
        _myst_glue(name, _plain(value), display=False)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds; anything else unchanged."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    return value


# The papers' numbers beside the recorded figures: the results page's paper
# column and the page "Reproduce the papers", from data/paper_numbers.json
# (zslkit.data.benchmarks.reference_number reads the same file's values).


def _paper_numbers() -> dict:
    from zslkit.paths import data_dir

    return json.loads((data_dir() / "paper_numbers.json").read_text())


def reproduce_commands() -> list[dict]:
    """The commands of "Reproduce the papers": one dict per paper number that a run reproduces.

    Each holds the ``reproduce`` entry of ``data/paper_numbers.json``
    (``number``, ``notebook``, ``parameters``, ``figure``, ``differs``), the
    paper's entry under ``paper`` and the ``zslkit run`` command line under
    ``command``; the run's recorded ``figure`` should match ``paper["value"]``.

    Taught in: book/reproduce.md.
    """
    from zslkit.nbtools.cli import command_line

    table = _paper_numbers()
    numbers = {n["id"]: n for n in table["numbers"]}
    return [
        {
            **entry,
            "paper": numbers[entry["number"]],
            "command": command_line(entry["notebook"], entry["parameters"]),
        }
        for entry in table["reproduce"]
    ]


def _percent(value: float) -> str:
    return f"{100 * value:.2f} %"


def paper_column(stem: str) -> dict[str, str]:
    """The results page's paper column for notebook ``stem``: figure name -> text.

    For each figure the notebook records that a full-tier command of
    :func:`reproduce_commands` matches to a paper's number, that number and
    its configuration, e.g. ``"68.57 % (CLIP ViT-B/16 openai, ImageNet)"``;
    several such numbers are joined by ``"; "``.
    """
    column: dict[str, list[str]] = {}
    for entry in reproduce_commands():
        if entry["notebook"] == stem:
            paper = entry["paper"]
            text = f"{_percent(paper['value'])} ({paper['model']} {paper['weights']}, {paper['dataset']})"
            column.setdefault(entry["figure"], []).append(text)
    return {figure: "; ".join(texts) for figure, texts in column.items()}


def _cite(key: str) -> str:
    return f" {{cite}}`{key}`" if key else ""


def reproduce_markdown() -> str:
    """The book's page "Reproduce the papers" (``book/reproduce.md``), from ``data/paper_numbers.json``.

    The commands that share a configuration form one section: the command,
    a table of recorded figure against the paper's number, the source and
    what differs. The numbers no command reproduces are listed at the end.
    A test keeps ``book/reproduce.md`` equal to this text; after editing the
    data file, rewrite the page with :func:`write_reproduce_page`.

    Taught in: book/reproduce.md.
    """
    entries = reproduce_commands()
    lines = [
        "# Reproduce the papers",
        "",
        "Each command below runs a notebook on the full tier (the papers' backbone, weights",
        "and dataset, on your machine) and records a figure that should match a number a",
        "paper reports; the results page shows these numbers in its paper column. The",
        "numbers, their sources and these commands are kept in `data/paper_numbers.json`",
        "(this page is generated from it). The commands need the weights (an open_clip tag",
        "downloads them once) and the dataset under `ZSLKIT_DATASETS` or `~/datasets`",
        "(`-p data_root` elsewhere); they fail at once, naming what is missing, when either",
        "is absent. Where the notebook's protocol is not the paper's, the section says what",
        "differs: expect the figure to match only as far as that allows.",
        "",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for entry in entries:
        method, dataset, _ = entry["number"].split("/")
        groups.setdefault((f"{method}/{dataset}", entry["command"]), []).append(entry)
    titles = _paper_numbers()["methods"]
    for (key, command), group in groups.items():
        paper = group[0]["paper"]
        method = key.split("/")[0]
        lines += [
            f"## {titles[method]}: {paper['model']} ({paper['weights']}), {paper['dataset']}",
            "",
            f"Notebook [{group[0]['notebook']}](notebooks/{group[0]['notebook']}.ipynb).",
            "",
            f"Protocol: {paper['protocol']}. Source: {paper['source']}{_cite(paper['cite'])}.",
            "",
            "```bash",
            command,
            "```",
            "",
            "| recorded figure | paper | metric |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| `{e['figure']}` | {_percent(e['paper']['value'])} | {e['paper']['metric']} |"
            for e in group
        ]
        differs = list(dict.fromkeys(e["differs"] for e in group))
        if len(differs) == 1:
            lines += ["", f"What differs: {differs[0]}", ""]
        else:
            lines += ["", "What differs:", ""]
            lines += [f"- `{e['figure']}`: {e['differs']}" for e in group]
            lines.append("")
    reproduced = {e["number"] for e in entries}
    rest = [n for n in _paper_numbers()["numbers"] if n["id"] not in reproduced]
    lines += [
        "## Numbers without a command",
        "",
        "The book quotes these numbers too; no notebook records a figure of the same",
        "configuration yet.",
        "",
        "| paper | metric | model, weights | dataset | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {_percent(n['value'])} | {n['metric']} | {n['model']}, {n['weights']} | "
        f"{n['dataset']} | {n['source']}{_cite(n['cite'])} |"
        for n in rest
    ]
    return "\n".join(lines) + "\n"


def write_reproduce_page() -> None:
    """Rewrite ``book/reproduce.md`` from ``data/paper_numbers.json`` (:func:`reproduce_markdown`)."""
    from zslkit.paths import repo_dir

    (repo_dir() / "book" / "reproduce.md").write_text(reproduce_markdown())
