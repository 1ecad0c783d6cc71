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
