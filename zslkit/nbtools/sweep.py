"""``zslkit sweep``: run one notebook over a grid of parameters on Dask, and aggregate its figures.

::

    zslkit sweep NOTEBOOK -p NAME V1,V2,... [-p ...] [-f grid.yaml] --out DIR
                 [--scheduler ADDRESS | --workers N] [--retries N]
    zslkit sweep --summary DIR [--over PARAM]
                 [--plot FIGURE --x PARAM --plot-out FILE.png]

The grid
--------
``-p NAME V1,V2,...`` gives one axis: the text is split at its commas and
each value parsed the way ``zslkit run -p`` parses one
(:func:`~zslkit.nbtools.notebook_params.parse_value`: ``1`` is an int,
``0.5`` a float, ``true`` a bool, anything else a string). The runs are the
Cartesian product of the axes, the last axis varying fastest. ``-f
grid.yaml`` holds axes, an explicit list of runs, or both::

    seed: [1, 2, 3]      # an axis
    backbone: toyclip    # a scalar: one value, the same in every run
    shots: "1,4,16"      # a string is ONE value, commas and all
    runs:                # optional: explicit parameter sets
      - {method: tip}
      - {method: coop, epochs: 5}

With ``runs:`` alone, those are the runs. With axes as well, every listed
run is combined with every point of the axes' product (above: 2 runs x 3
seeds = 6 runs); a name may not be both in ``runs:`` and an axis. An axis
given with ``-p`` replaces the file's axis of the same name.

Every parameter set is checked (names and types:
:func:`~zslkit.nbtools.notebook_params.validate_parameters`) before anything
is created or run; the error names the run, the parameter and the
notebook's valid parameters, and ``zslkit sweep`` exits with status 2.

Runs, retries and resuming
--------------------------
Each run is one Dask task (``client.submit(..., pure=False, retries=N)``)
that executes the notebook with :func:`zslkit.nbtools.cli.run_notebook`,
exactly as ``zslkit run`` does, in ``DIR/<stem>-<parameters_key>/`` (the
executed notebook, ``results.json`` and ``run.json``, written atomically;
:func:`zslkit.nbtools.runkey.parameters_key`). A failing run raises in its
task, so Dask retries it up to ``--retries`` times (default 1) and a run
whose worker died is rescheduled by Dask on another worker; a run that still
fails is reported at the end with its folder, its parameters and the failing
cell, without stopping the others, and the exit status is 1.

A run is *finished* when its folder holds ``results.json`` and its
``run.json`` carries the run's key (:func:`zslkit.nbtools.runkey.run_key`:
notebook cells, parameters, code, data and packages). Running the same
sweep again skips the finished runs and says how many; anything else
(a run interrupted, failed or run on other code) is run again. Give the
whole grid again when extending a sweep: ``DIR/sweep.json`` records the
latest sweep (notebook, grid, the runs with their keys, what was skipped,
done and failed), and the summary holds its runs.

Summary
-------
After the runs, ``DIR/summary.parquet`` and ``DIR/summary.csv`` hold one row
per finished run: ``run`` (its folder), ``param.<name>`` for every
parameter named in the grid (the run's full value, defaults included),
``wall_time_s``, then one column per numeric figure the notebook recorded
(strings and booleans are left out). ``zslkit sweep --summary DIR`` prints
every figure's mean with a 95 % Student t interval over ``--over`` (default:
the parameter ``seed`` or ``seeds`` when the grid has one, else all runs),
grouped by the other grid parameters (:func:`summary_table`); ``--plot
FIGURE --x PARAM --plot-out FILE.png`` draws that figure against a
parameter with its intervals (:func:`plot_summary`). From a notebook cell::

    df = sweep.read_summary("sweeps/30")  # a folder, or a committed .csv/.parquet
    sweep.summary_table(df)
    sweep.plot_summary(df, "tip_top1", x="shots")

Where the runs execute
----------------------
By default on this machine: a Dask ``LocalCluster`` of ``--workers`` worker
processes (default: one per CPU core, at most one per run to do), one
thread each, since a run changes its process's environment variables and
file descriptor 2. On a cluster, start a Dask scheduler and workers and
give the scheduler's address; the tasks are the same::

    dask scheduler                                   # prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nworkers 4 --nthreads 1   # on each machine
    zslkit sweep 30_tip_adapter -p seed 1,2,3 --out /shared/sweeps/30 \\
        --scheduler tcp://HOST:8786

Every worker needs the project installed from the same commit as the
client (``git checkout COMMIT && pip install -e .`` in an environment made
from ``environment.yml`` or ``requirements/constraints.txt``) and the data
files the notebook reads (``data/``, the feature cache, ``ZSLKIT_DATASETS``
for the full tier); the notebook and ``DIR`` must be on a file system the
client and the workers share, at the same path. Restart the workers after
installing another commit (a worker computes its code version once). A
worker skips a run that it finds finished under its own key, so a worker
whose packages differ from the client's does not redo finished runs either.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import itertools
import json
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

__all__ = [
    "RunFailed",
    "expand_grid",
    "load_grid",
    "plan_runs",
    "run_sweep",
    "build_summary",
    "read_summary",
    "summary_table",
    "plot_summary",
    "add_parser",
    "cmd_sweep",
]

SWEEP_FILE = "sweep.json"
SUMMARY_PARQUET = "summary.parquet"
SUMMARY_CSV = "summary.csv"
PARAM_PREFIX = "param."
SEED_NAMES = ("seed", "seeds")


# --------------------------------------------------------------------------- the grid


def expand_grid(
    grid: dict[str, Any] | None = None, runs: Sequence[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The parameter sets of a sweep: the product of the axes, applied to each listed run.

    Parameters
    ----------
    grid : dict, optional
        Parameter name -> list of values (an axis) or a scalar (one value).
        A string is one value even when it holds commas.
    runs : list of dict, optional
        Explicit parameter sets. Each is combined with every point of the
        product of ``grid``; without ``runs`` the product alone is the
        sweep.

    Returns
    -------
    list of dict
        One dict per run, in order (last axis varying fastest).

    Raises
    ------
    ValueError
        An empty axis, a run that is not a mapping, or a name both in a run
        and in ``grid``.
    """
    grid = dict(grid or {})
    axes: dict[str, list[Any]] = {}
    for name, values in grid.items():
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise ValueError(f"parameter {name!r} has an empty list of values; give at least one")
        axes[name] = values
    product = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    if runs is None:
        return product
    runs = list(runs)
    if not runs:
        raise ValueError("'runs' is an empty list; give at least one parameter set or leave it out")
    out = []
    for i, run in enumerate(runs, 1):
        if not isinstance(run, dict):
            raise ValueError(f"run {i} of 'runs' must be a mapping of parameters, got {run!r}")
        both = sorted(set(run) & set(axes))
        if both:
            raise ValueError(
                f"run {i} of 'runs' sets {', '.join(both)}, which is also a grid axis; "
                "give it in one place"
            )
        out += [{**run, **point} for point in product]
    return out


def load_grid(path: str | os.PathLike) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Read a grid file: ``(axes, runs)``, ``runs`` None when the file has no ``runs:``.

    Raises
    ------
    ValueError
        The file is not valid YAML, not a mapping, or its ``runs`` is not a list.
    """
    try:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(f"{path}:{where} is not valid YAML ({problem})") from None
    if not isinstance(loaded, dict):
        raise ValueError(
            f"{path} must hold a mapping: parameter names to values or lists, and/or 'runs:'"
        )
    runs = loaded.pop("runs", None)
    if runs is not None and not isinstance(runs, list):
        raise ValueError(f"'runs' in {path} must be a list of parameter mappings, got {runs!r}")
    return loaded, runs


def parse_axis(text: str) -> list[Any]:
    """``"1,2,3"`` -> ``[1, 2, 3]``: split at commas, each value parsed like ``zslkit run -p``."""
    from zslkit.nbtools.notebook_params import parse_value

    return [parse_value(part.strip()) for part in text.split(",")]


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its folder name, given parameters, full parameters and key."""

    id: str
    parameters: dict[str, Any]
    full: dict[str, Any]
    key: str


def _fmt(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "defaults"


def plan_runs(notebook: str | os.PathLike, runs: Sequence[dict[str, Any]]) -> list[Run]:
    """Check every parameter set, then name each run; repeated sets become one run.

    Raises
    ------
    ValueError
        Naming the run (its number and parameters), the bad parameter and
        the notebook's valid parameters, before anything is created.
    """
    from zslkit.nbtools.notebook_params import validate_parameters
    from zslkit.nbtools.runkey import full_parameters, parameters_key, run_key

    notebook = Path(notebook)
    runs = list(runs)
    checked = []
    for i, params in enumerate(runs, 1):
        try:
            checked.append(validate_parameters(notebook, params))
        except ValueError as err:
            raise ValueError(f"run {i} of {len(runs)} ({_fmt(params)}): {err}") from None
    planned: dict[str, Run] = {}
    for params in checked:
        run_id = f"{notebook.stem}-{parameters_key(notebook, params)}"
        if run_id not in planned:
            full = full_parameters(notebook, params)
            planned[run_id] = Run(run_id, params, full, run_key(notebook, params))
    return list(planned.values())


# --------------------------------------------------------------------------- the runs


class RunFailed(RuntimeError):
    """A run that raised: its folder name and the failing cell (papermill's numbering).

    Plain arguments only, so the error pickles from a Dask worker to the client.
    """

    def __init__(
        self,
        run: str,
        cell_index: int | None = None,
        exec_count: int | None = None,
        ename: str = "",
        evalue: str = "",
    ):
        super().__init__(run, cell_index, exec_count, ename, evalue)
        self.run, self.cell_index, self.exec_count = run, cell_index, exec_count
        self.ename, self.evalue = ename, evalue

    @classmethod
    def from_error(cls, run: str, err: BaseException) -> RunFailed:
        if hasattr(err, "cell_index") and hasattr(err, "ename"):  # PapermillExecutionError
            return cls(run, err.cell_index, err.exec_count, str(err.ename), str(err.evalue))
        return cls(run, None, None, type(err).__name__, str(err).strip())

    def where(self) -> str:
        if self.cell_index is None:
            return "outside the notebook's cells"
        return f"cell {self.cell_index} (In [{self.exec_count}])"

    def __str__(self) -> str:
        return f"{self.run}: {self.where()}: {self.ename}: {self.evalue}"


def _finished(folder: Path, key: str) -> bool:
    """A folder holds a finished run of ``key``: results.json and run.json with that key."""
    if not (folder / "results.json").is_file():
        return False
    try:
        return json.loads((folder / "run.json").read_text()).get("key") == key
    except (OSError, ValueError):
        return False


def _execute(notebook: str, parameters: dict[str, Any], folder: str, run: str) -> dict[str, Any]:
    """The Dask task of one run, executed in a worker process.

    Skips the run if the folder holds it finished under the worker's own
    key; removes what a worker killed in the middle of the run left; runs
    the notebook; raises :class:`RunFailed` if it fails (Dask retries).
    """
    from zslkit.nbtools.cli import run_notebook
    from zslkit.nbtools.runkey import run_key

    nb, out = Path(notebook), Path(folder)
    key = run_key(nb, parameters)
    if _finished(out, key):
        return {"run": run, "key": key, "status": "skipped"}
    for stale in out.glob(".run-*"):  # the temporary folder of a run whose worker died
        shutil.rmtree(stale, ignore_errors=True)
    try:
        run_notebook(nb, parameters, out)
    except Exception as err:  # papermill raises its own types; send plain ones back
        raise RunFailed.from_error(run, err) from None
    return {"run": run, "key": key, "status": "done"}


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None, n_runs: int):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client, f"Dask scheduler {scheduler}"
        return
    n = max(1, min(workers or os.cpu_count() or 1, n_runs))
    with (
        LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client, f"LocalCluster of {n} worker processes"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def run_sweep(
    notebook: str | os.PathLike,
    runs: Sequence[dict[str, Any]],
    out: str | os.PathLike,
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    grid: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``notebook`` once per parameter set on Dask; skip finished runs; write the summary.

    Parameters
    ----------
    notebook : path or str
        A notebook path, or a book notebook's stem.
    runs : list of dict
        The parameter sets (:func:`expand_grid`). All are checked before
        anything is created.
    out : path
        The sweep's folder: one sub-folder per run, ``sweep.json``,
        ``summary.parquet`` and ``summary.csv``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); by
        default a ``LocalCluster`` on this machine.
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default one per core, at
        most one per run to do). Not with ``scheduler``.
    retries : int
        How many times Dask re-runs a failed run before reporting it.
    grid : dict, optional
        The grid as given, recorded in ``sweep.json``.
    progress : bool
        Show a tqdm progress bar over the runs.

    Returns
    -------
    dict
        ``out``, ``notebook``, ``runs`` (folder names), ``skipped`` (found
        finished), ``done``, ``failed`` (one dict per failed run: run,
        parameters, cell_index, exec_count, ename, evalue) and ``summary``
        (path of the parquet file).

    Raises
    ------
    ValueError
        A bad parameter set or option, before anything is created.
    """
    from zslkit.nbtools.cli import resolve_notebook
    from zslkit.nbtools.results import write_json_atomic

    if scheduler and workers:
        raise ValueError("give either scheduler (an existing cluster) or workers (a local one)")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    nb = resolve_notebook(str(notebook))
    runs = list(runs)
    plan = plan_runs(nb, runs)
    if not plan:
        raise ValueError("the grid has no runs")
    out = Path(out).resolve()
    repeated = len(runs) - len(plan)
    if repeated:
        print(f"{repeated} parameter sets repeat another one: {len(plan)} distinct runs")
    skipped = [r.id for r in plan if _finished(out / r.id, r.key)]
    todo = [r for r in plan if r.id not in set(skipped)]
    if skipped:
        print(f"{len(skipped)} of {len(plan)} runs already finished in {out} (same key): skipped")
    keys = {r.id: r.key for r in plan}
    record = {
        "notebook": nb.stem,
        "notebook_path": str(nb),
        "grid": grid,
        "retries": retries,
        "date": _now(),
        "parameter_names": list(dict.fromkeys(n for params in runs for n in params)),
        "runs": [
            {"run": r.id, "parameters": r.parameters, "full_parameters": r.full} for r in plan
        ],
        "skipped": skipped,
        "done": [],
        "failed": [],
        "status": "running",
    }

    def save(status: str) -> None:
        record["status"] = status
        for entry in record["runs"]:
            entry["key"] = keys[entry["run"]]
        write_json_atomic(out / SWEEP_FILE, record)

    out.mkdir(parents=True, exist_ok=True)
    save("running")
    try:
        if todo:
            _submit_all(nb, todo, out, scheduler, workers, retries, progress, record, keys, save)
    except KeyboardInterrupt:
        save("interrupted")
        build_summary(out)
        raise
    save("finished")
    build_summary(out)
    done, failed = record["done"], record["failed"]
    print(f"{len(done)} runs done, {len(skipped)} skipped, {len(failed)} failed -> {out}")
    for f in failed:
        print(
            f"FAILED {f['run']} ({_fmt(f['parameters'])}) after {retries + 1} attempts: "
            f"{RunFailed(f['run'], f['cell_index'], f['exec_count']).where()}: "
            f"{f['ename']}: {f['evalue']}\n    see {out / f['run']}",
            file=sys.stderr,
        )
    return {
        "out": out,
        "notebook": nb.stem,
        "runs": [r.id for r in plan],
        "skipped": skipped,
        "done": list(done),
        "failed": list(failed),
        "summary": out / SUMMARY_PARQUET,
    }


def _submit_all(nb, todo, out, scheduler, workers, retries, progress, record, keys, save):
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    with _client(scheduler, workers, len(todo)) as (client, where):
        print(f"{len(todo)} runs of {nb.stem} on {where}")
        futures = {
            client.submit(
                _execute,
                str(nb),
                r.parameters,
                str(out / r.id),
                r.id,
                key=f"zslkit-sweep-{r.id}-{r.key[:12]}",
                pure=False,
                retries=retries,
            ): r
            for r in todo
        }
        try:
            bar = tqdm(
                as_completed(futures),
                total=len(futures),
                desc=nb.stem,
                unit="run",
                disable=not progress,
            )
            for fut in bar:
                run = futures[fut]
                if fut.status == "finished":
                    res = fut.result()
                    keys[run.id] = res["key"]  # the worker's key, under which it finished
                    record["done" if res["status"] == "done" else "skipped"].append(run.id)
                else:
                    err = fut.exception() if fut.status == "error" else None
                    if err is None:  # cancelled: the scheduler or the client went away
                        err = RunFailed(run.id, None, None, "Cancelled", f"task {fut.status}")
                    elif not isinstance(err, RunFailed):  # KilledWorker: died too often
                        err = RunFailed(run.id, None, None, type(err).__name__, str(err))
                    record["failed"].append(
                        {
                            "run": run.id,
                            "parameters": run.parameters,
                            "cell_index": err.cell_index,
                            "exec_count": err.exec_count,
                            "ename": err.ename,
                            "evalue": err.evalue,
                        }
                    )
                save("running")
        finally:
            client.cancel(list(futures))


# --------------------------------------------------------------------------- the summary


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _column(values: list[Any]) -> list[Any]:
    """Values of one parameter column that parquet can store: one type per column."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, float} or kinds <= {bool} or kinds <= {str}:
        return values
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def build_summary(out: str | os.PathLike):
    """Write ``summary.parquet`` and ``summary.csv`` of a sweep's finished runs; return the frame.

    A run counts when its folder holds ``results.json`` and its ``run.json``
    carries the key recorded for it in ``sweep.json``.
    """
    import pandas as pd

    out = Path(out)
    sweep = json.loads((out / SWEEP_FILE).read_text())
    names = sweep["parameter_names"]
    rows, figures = [], []
    for entry in sweep["runs"]:
        folder = out / entry["run"]
        if not _finished(folder, entry["key"]):
            continue
        meta = json.loads((folder / "run.json").read_text())
        results = json.loads((folder / "results.json").read_text())
        row = {"run": entry["run"]}
        row.update({PARAM_PREFIX + n: entry["full_parameters"].get(n) for n in names})
        row["wall_time_s"] = meta.get("wall_time_s")
        numbers = {k: v for k, v in results.items() if _is_number(v)}
        figures += [k for k in numbers if k not in figures]
        rows.append({**row, **numbers})
    columns = ["run", *(PARAM_PREFIX + n for n in names), "wall_time_s", *figures]
    df = pd.DataFrame(rows, columns=columns)
    for n in names:
        df[PARAM_PREFIX + n] = _column(list(df[PARAM_PREFIX + n]))
    for path, write in (
        (out / SUMMARY_PARQUET, lambda p: df.to_parquet(p, index=False)),
        (out / SUMMARY_CSV, lambda p: df.to_csv(p, index=False)),
    ):
        tmp = path.with_name(f".tmp-{path.name}")
        write(tmp)
        os.replace(tmp, path)
    return df


def read_summary(out: str | os.PathLike):
    """The summary of a sweep: a folder (its summary.parquet, else summary.csv) or either file.

    Raises
    ------
    FileNotFoundError
        Neither file is there.
    """
    import pandas as pd

    path = Path(out)
    if path.is_file():
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    if (path / SUMMARY_PARQUET).is_file():
        return pd.read_parquet(path / SUMMARY_PARQUET)
    if (path / SUMMARY_CSV).is_file():
        return pd.read_csv(path / SUMMARY_CSV)
    raise FileNotFoundError(f"no {SUMMARY_PARQUET} or {SUMMARY_CSV} in {path}")


def _param_columns(df) -> list[str]:
    return [c for c in df.columns if c.startswith(PARAM_PREFIX)]


def _figure_columns(df) -> list[str]:
    return [
        c for c in df.columns if c not in ("run", "wall_time_s") and c not in _param_columns(df)
    ]


def _param(df, name: str | None) -> str | None:
    """``"seed"`` or ``"param.seed"`` -> the column ``"param.seed"``."""
    if name is None:
        return None
    col = name if name.startswith(PARAM_PREFIX) else PARAM_PREFIX + name
    if col not in df.columns:
        valid = ", ".join(c.removeprefix(PARAM_PREFIX) for c in _param_columns(df)) or "none"
        raise ValueError(f"the summary has no parameter {name!r}; its parameters: {valid}")
    return col


def _over(df, over: str | None) -> str | None:
    if over is not None:
        return _param(df, over)
    for name in SEED_NAMES:
        if PARAM_PREFIX + name in df.columns:
            return PARAM_PREFIX + name
    return None


def summary_table(df, over: str | None = None, confidence: float = 0.95):
    """Every figure's mean and Student t interval over ``over``, grouped by the other parameters.

    Parameters
    ----------
    df : DataFrame
        A sweep summary (:func:`read_summary`).
    over : str, optional
        The parameter the intervals run over (``"seed"``). Default: the
        parameter ``seed`` or ``seeds`` if there is one, else all runs in
        one group.
    confidence : float
        Coverage of the intervals (:func:`zslkit.stats.t_interval`).

    Returns
    -------
    DataFrame
        One row per group and figure that the group's runs record: the
        grouping parameters (without the ``param.`` prefix), ``figure``,
        ``mean``, ``ci_low``, ``ci_high`` and ``n`` (runs with a value).
        With one value there is no interval (NaN).
    """
    import pandas as pd

    from zslkit.stats import t_interval

    over_col = _over(df, over)
    by = [c for c in _param_columns(df) if c != over_col] if over_col else []
    groups = df.groupby(by, dropna=False, sort=True) if by else [((), df)]
    rows = []
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        keys = {c.removeprefix(PARAM_PREFIX): v for c, v in zip(by, values)}
        for fig in _figure_columns(df):
            x = pd.to_numeric(group[fig], errors="coerce").dropna().to_numpy(float)
            if not x.size:  # a figure that the group's runs do not record
                continue
            mean = float(x.mean())
            low = high = math.nan
            if x.size >= 2:
                ci = t_interval(x, confidence)
                low, high = ci.low, ci.high
            stats = {"mean": mean, "ci_low": low, "ci_high": high, "n": int(x.size)}
            rows.append({**keys, "figure": fig, **stats})
    columns = [c.removeprefix(PARAM_PREFIX) for c in by] + ["figure", "mean", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "n"])


def plot_summary(df, figure: str, x: str, over: str | None = None, ax=None):
    """A seaborn line plot of ``figure`` against the parameter ``x``, with t intervals over ``over``.

    The other parameters that vary in the summary each get a line (house
    colours, :func:`zslkit.style.colours_for`); the interval at each point
    is :func:`zslkit.style.seed_interval` of the runs there.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from zslkit import style

    if figure not in _figure_columns(df):
        raise ValueError(f"no figure {figure!r}; choose one of: {', '.join(_figure_columns(df))}")
    x_col, over_col = _param(df, x), _over(df, over)
    if x_col == over_col:
        raise ValueError(f"x and over are both {x!r}; plot against another parameter")
    lines = [
        c
        for c in _param_columns(df)
        if c not in (x_col, over_col) and df[c].nunique(dropna=False) > 1
    ]
    data = df.copy()
    if ax is None:
        _, ax = plt.subplots()
    kwargs: dict[str, Any] = {"color": style.colour(0)}
    if lines:
        data["line"] = [
            ", ".join(f"{c.removeprefix(PARAM_PREFIX)}={v}" for c, v in zip(lines, row))
            for row in data[lines].itertuples(index=False)
        ]
        labels = list(dict.fromkeys(data["line"]))
        kwargs = {"hue": "line", "hue_order": labels, "palette": style.colours_for(labels)}
    sns.lineplot(
        data=data, x=x_col, y=figure, errorbar=style.seed_interval, marker="o", ax=ax, **kwargs
    )
    ax.set_xlabel(x_col.removeprefix(PARAM_PREFIX))
    ax.set_ylabel(figure)
    if over_col:
        ax.set_title(f"mean and 95 % t interval over {over_col.removeprefix(PARAM_PREFIX)}")
    return ax


# --------------------------------------------------------------------------- the command


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``zslkit sweep`` on the ``zslkit`` command's sub-parsers."""
    p = sub.add_parser(
        "sweep",
        help="run a notebook over a grid of parameters on Dask; summarise a sweep",
        description=__doc__.split("\n")[0],
    )
    p.add_argument("notebook", nargs="?", help="notebook path or stem")
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "V1,V2,..."),
        help="a grid axis: values split at commas, each parsed as YAML",
    )
    p.add_argument("-f", "--file", help="YAML grid: NAME: [values] axes and/or runs: [...]")
    p.add_argument("--out", help="the sweep's folder (one sub-folder per run)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, tcp://host:8786")
    where.add_argument("--workers", type=int, help="LocalCluster workers (default: CPU cores)")
    p.add_argument("--retries", type=int, default=1, help="re-runs of a failed run (default 1)")
    p.add_argument("--summary", metavar="DIR", help="print the summary of the sweep in DIR")
    p.add_argument("--over", help="the parameter of the intervals (default seed or seeds)")
    p.add_argument("--plot", metavar="FIGURE", help="with --summary: plot FIGURE against --x")
    p.add_argument("--x", help="the parameter on the plot's x axis")
    p.add_argument("--plot-out", help="the plot's file (PNG, PDF, SVG)")
    p.set_defaults(func=cmd_sweep)
    return p


def _gather_grid(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    grid, runs = load_grid(args.file) if args.file else ({}, None)
    given: set[str] = set()
    for name, text in args.param or []:
        if name in given:
            raise ValueError(f"-p {name} is given twice; give all its values in one -p")
        given.add(name)
        grid[name] = parse_axis(text)
    return grid, runs


def cmd_sweep(args: argparse.Namespace) -> int:
    """``zslkit sweep``: 0 when every run finished, 1 when some failed, 2 for bad input."""
    if args.summary:
        if args.notebook or args.param or args.file or args.out:
            print("zslkit sweep: --summary DIR takes no NOTEBOOK, -p, -f or --out", file=sys.stderr)
            return 2
        return _cmd_summary(args)
    if not args.notebook or not args.out:
        print("zslkit sweep: give NOTEBOOK and --out DIR (or --summary DIR)", file=sys.stderr)
        return 2
    if args.plot or args.over:
        print("zslkit sweep: --plot and --over go with --summary DIR", file=sys.stderr)
        return 2
    try:
        grid, runs = _gather_grid(args)
        params = expand_grid(grid, runs)
        report = run_sweep(
            args.notebook,
            params,
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            retries=args.retries,
            grid={"axes": grid, "runs": runs},
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"zslkit sweep: {err}", file=sys.stderr)
        return 2
    return 1 if report["failed"] else 0


def _cmd_summary(args: argparse.Namespace) -> int:
    import pandas as pd

    try:
        out = Path(args.summary)
        if out.is_dir() and not any((out / f).is_file() for f in (SUMMARY_PARQUET, SUMMARY_CSV)):
            if (out / SWEEP_FILE).is_file():
                build_summary(out)
        df = read_summary(out)
        table = summary_table(df, args.over)
        if args.plot and not (args.x and args.plot_out):
            raise ValueError("--plot FIGURE needs --x PARAM and --plot-out FILE")
        over = _over(df, args.over)
        print(
            f"{len(df)} finished runs; mean and 95 % t interval over "
            f"{over.removeprefix(PARAM_PREFIX) if over else 'all runs'}"
        )
        with pd.option_context("display.width", 200, "display.max_rows", None):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if args.plot:
            _save_plot(df, args.plot, args.x, args.over, args.plot_out)
            print(f"plot -> {args.plot_out}")
    except (ValueError, FileNotFoundError) as err:
        print(f"zslkit sweep: {err}", file=sys.stderr)
        return 2
    return 0


def _save_plot(df, figure: str, x: str, over: str | None, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zslkit import style

    style.use()
    ax = plot_summary(df, figure, x, over)
    ax.figure.savefig(path, bbox_inches="tight")
    plt.close(ax.figure)
