"""The ``zslkit`` command: list the book's notebooks and run them headless.

::

    zslkit list
    zslkit run NOTEBOOK [-p NAME VALUE]... [-f params.yaml] [--out DIR] [--force]
    zslkit run --all [--out DIR] [--force] [--jobs N]
    zslkit check NOTEBOOK... | --all [--trains] [--keep DIR]
    zslkit sweep NOTEBOOK -p NAME V1,V2,... [-f grid.yaml] --out DIR
                 [--scheduler ADDRESS | --workers N] [--retries N]
    zslkit sweep --summary DIR [--over PARAM] [--plot FIGURE --x PARAM --plot-out FILE]

``check`` re-executes notebooks on their defaults (in a temporary folder)
and compares every recorded figure with the committed one within the
tolerance the notebook declares for it (:mod:`zslkit.nbtools.figures`).

``run`` executes through papermill and writes ``DIR/<notebook>.ipynb`` (the
executed copy), ``DIR/results.json`` (every value the notebook recorded with
:func:`zslkit.record`) and ``DIR/run.json`` (parameters, wall time, versions).
A notebook whose ``DIR`` already holds a finished run with the same key
(:func:`zslkit.nbtools.runkey.run_key`: its cells, parameters, and the code,
data and packages it can read) is not executed again; ``--force`` re-executes.
``run --all --jobs N`` executes N notebooks at a time, each in its own
``zslkit run`` process (longest first, by their last run's wall time), with
``OMP_NUM_THREADS`` set so the jobs share the cores instead of contending
for them; ``--jobs 0`` takes one job per core.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import yaml

from zslkit.nbtools.notebook_params import inspect_parameters, parse_value, validate_parameters
from zslkit.nbtools.results import RESULTS_ENV, tolerances_path, write_json_atomic
from zslkit.paths import notebooks_dir, repo_dir

DEFAULT_OUT = "build/runs"


def list_notebooks() -> list[Path]:
    """Every notebook of the book, in file-name order."""
    return sorted(p for p in notebooks_dir().glob("*.ipynb") if not p.name.startswith("."))


def resolve_notebook(name: str) -> Path:
    """Find a notebook by path, by stem, or by stem without its number prefix."""
    path = Path(name)
    if path.suffix == ".ipynb" and path.exists():
        return path.resolve()
    stem = path.stem if path.suffix == ".ipynb" else name
    known = list_notebooks()
    for nb in known:
        if nb.stem == stem or nb.stem.split("_", 1)[-1] == stem:
            return nb
    choices = ", ".join(nb.stem for nb in known)
    raise ValueError(f"no notebook named {name!r}; choose one of: {choices}")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("zslkit", "numpy", "torch", "open_clip_torch", "scikit-learn", "papermill"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def run_notebook(notebook: Path, parameters: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Execute one notebook with papermill; return its recorded results.

    Parameters are validated before the kernel starts. On failure the
    executed notebook is kept as ``<stem>.failed.ipynb`` for inspection
    and no ``results.json`` is left behind.
    """
    import papermill

    from zslkit.nbtools.runkey import code_version, run_key

    parameters = validate_parameters(notebook, parameters)
    key = run_key(notebook, parameters)  # before the run: the code it ran on
    out_dir = out_dir.resolve()  # the kernel runs in the notebook's folder, not ours
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = notebook.stem
    final_nb = out_dir / f"{stem}.ipynb"
    final_results = out_dir / "results.json"
    for stale in (
        final_results,
        out_dir / "tolerances.json",
        out_dir / f"{stem}.failed.ipynb",
        out_dir / f"{stem}.failed.kernel.log",
    ):
        stale.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".run-") as tmp:
        tmp_nb = Path(tmp) / f"{stem}.ipynb"
        tmp_results = Path(tmp) / "results.json"
        write_json_atomic(tmp_results, {})
        old = os.environ.get(RESULTS_ENV)
        os.environ[RESULTS_ENV] = str(tmp_results)
        start = time.perf_counter()
        try:
            with _kernel_stderr_to(Path(tmp) / "kernel.log"):
                papermill.execute_notebook(
                    str(notebook),
                    str(tmp_nb),
                    parameters=parameters,
                    cwd=str(notebook.parent),
                    progress_bar=False,
                    log_output=False,
                )
        except Exception:
            if tmp_nb.exists():
                shutil.move(str(tmp_nb), out_dir / f"{stem}.failed.ipynb")
                shutil.move(str(Path(tmp) / "kernel.log"), out_dir / f"{stem}.failed.kernel.log")
            raise
        finally:
            if old is None:
                os.environ.pop(RESULTS_ENV, None)
            else:
                os.environ[RESULTS_ENV] = old
        wall = time.perf_counter() - start
        results = json.loads(tmp_results.read_text())
        tmp_tols = Path(tolerances_path(tmp_results))
        tolerances = json.loads(tmp_tols.read_text()) if tmp_tols.exists() else {}
        meta = {
            "notebook": stem,
            "parameters": parameters,
            "command": command_line(stem, parameters, out_dir),
            "wall_time_s": round(wall, 2),
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(),
            "key": key,  # zslkit.nbtools.runkey.run_key: a rerun with this key is skipped
            "code_version": code_version(),
        }
        write_json_atomic(out_dir / "run.json", meta)
        _stamp_notebook(tmp_nb, results, tolerances, meta)
        write_json_atomic(out_dir / "tolerances.json", tolerances)
        shutil.move(str(tmp_nb), final_nb)
        shutil.move(str(tmp_results), final_results)
    return results


@contextlib.contextmanager
def _kernel_stderr_to(path: Path):
    """Send what the kernel process writes to its stderr (file descriptor 2) to ``path``.

    The kernel inherits the descriptor; its start-up warnings and, after
    Ctrl-C, its complaints about closed sockets would otherwise fill the
    terminal. A failed run keeps the file as ``<stem>.failed.kernel.log``.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def command_line(stem: str, parameters: dict[str, Any], out_dir: Path | None = None) -> str:
    """The ``zslkit run`` command that re-creates a run (paths relative to the repo when inside it)."""
    import shlex

    words = ["zslkit", "run", stem]
    for name, value in parameters.items():
        text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True)
        words += ["-p", name, str(text).strip().removesuffix("...").strip()]
    if out_dir is not None:
        try:
            out = out_dir.resolve().relative_to(repo_dir().resolve())
        except ValueError:
            out = out_dir
        words += ["--out", str(out)]
    return shlex.join(words)


def _stamp_notebook(
    path: Path, results: dict[str, Any], tolerances: dict[str, float], meta: dict[str, Any]
) -> None:
    """Keep the run's results, their tolerances and metadata inside the executed notebook.

    The book's results page reads them from there, and the tests compare a
    re-run with them, so a committed notebook carries its own figures
    together with the parameters that made them.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata["zslkit"] = {"results": results, "tolerances": tolerances, "run": meta}
    nbformat.write(nb, path)


def _cmd_list(args: argparse.Namespace) -> int:
    for nb in list_notebooks():
        print(nb.stem)
        for p in inspect_parameters(nb).values():
            print(f"    {p.name}: {p.type} = {p.default}    # {p.help}")
    return 0


def _gather_parameters(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.file:
        try:
            loaded = yaml.safe_load(Path(args.file).read_text()) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise ValueError(f"{args.file}:{where} is not valid YAML ({problem})") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"{args.file} must hold a mapping of parameter names to values")
        params.update(loaded)
    for name, value in args.param or []:
        params[name] = parse_value(value)
    return params


def _report_failure(stem: str, err: Exception) -> None:
    print(f"FAILED {stem}: {type(err).__name__}", file=sys.stderr)
    print(str(err), file=sys.stderr)


def _reusable_run(notebook: Path, parameters: dict[str, Any], out_dir: Path) -> dict | None:
    """The ``run.json`` of a finished run in ``out_dir`` that has this run's key, else None.

    A run is finished when its executed notebook and ``results.json`` are
    there (:func:`run_notebook` deletes ``results.json`` when it starts and
    moves it into place last, so a failed or interrupted run leaves none).
    """
    from zslkit.nbtools.runkey import run_key

    if (
        not (out_dir / "results.json").is_file()
        or not (out_dir / f"{notebook.stem}.ipynb").is_file()
    ):
        return None
    try:
        meta = json.loads((out_dir / "run.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != run_key(notebook, parameters):
        return None
    return meta


def _cmd_run(args: argparse.Namespace) -> int:
    if args.all == bool(args.notebook):
        print("zslkit run: give one NOTEBOOK or --all", file=sys.stderr)
        return 2
    if args.jobs < 0:
        print(f"zslkit run: --jobs {args.jobs} must be 0 (one per core) or more", file=sys.stderr)
        return 2
    try:
        params = _gather_parameters(args)
        if args.all:
            notebooks = list_notebooks()
            # Check every notebook's parameters before running any of them.
            for nb in notebooks:
                validate_parameters(nb, params)
        else:
            notebooks = [resolve_notebook(args.notebook)]
            validate_parameters(notebooks[0], params)
    except (ValueError, FileNotFoundError) as err:
        print(f"zslkit run: {err}", file=sys.stderr)
        return 2
    base = Path(args.out) if args.out else repo_dir() / DEFAULT_OUT
    jobs = args.jobs or os.cpu_count() or 1
    if args.all and jobs > 1:
        return _run_parallel(notebooks, base, args, jobs)
    failures, finished, reused = 0, [], 0
    for nb in notebooks:
        out_dir = base / nb.stem if (args.all or not args.out) else base
        start = time.perf_counter()
        given = validate_parameters(nb, params)
        previous = None if args.force else _reusable_run(nb, given, out_dir)
        if previous is not None:
            finished.append(nb.stem)
            reused += 1
            print(
                f"unchanged {nb.stem}: reusing its run of {previous.get('date', '?')} "
                f"(key {previous['key'][:8]}); --force re-executes"
            )
            continue
        try:
            results = run_notebook(nb, params, out_dir)
        except KeyboardInterrupt:
            return _interrupted(nb.stem, finished if args.all else None)
        except Exception as err:  # papermill raises its own error types
            _report_failure(nb.stem, err)
            failures += 1
            continue
        finished.append(nb.stem)
        print(
            f"ok {nb.stem} in {time.perf_counter() - start:.1f} s -> {out_dir} "
            f"({len(results)} results)"
        )
    if args.all:
        ran = len(notebooks) - reused - failures
        print(f"{ran} executed, {reused} unchanged (reused), {failures} failed")
    return 1 if failures else 0


def _longest_first(notebooks: list[Path], base: Path) -> list[Path]:
    """Notebooks, longest first: by their last run's wall time in ``base``, else by the
    committed notebook's own (papermill's ``duration``), else first."""

    def last_time(nb: Path) -> float:
        try:
            return float(json.loads((base / nb.stem / "run.json").read_text())["wall_time_s"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            return float(json.loads(nb.read_text())["metadata"]["papermill"]["duration"])
        except (OSError, ValueError, KeyError, TypeError):
            return float("inf")

    return sorted(notebooks, key=lambda nb: (-last_time(nb), nb.stem))


def _run_parallel(notebooks: list[Path], base: Path, args: argparse.Namespace, jobs: int) -> int:
    """``run --all`` with ``jobs`` notebooks at a time, each a ``zslkit run NOTEBOOK`` process.

    A child does its own reuse check and prints its own lines; they are
    printed here whole, as each child ends, so lines of two runs never mix.
    """
    import concurrent.futures
    import subprocess

    options: list[str] = ["--file", args.file] if args.file else []
    for name, value in args.param or []:
        options += ["-p", name, value]
    if args.force:
        options.append("--force")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // jobs)))
    procs: dict[str, subprocess.Popen] = {}

    def one(nb: Path) -> tuple[Path, int, str]:
        command = [sys.executable, "-m", "zslkit.nbtools.cli", "run", str(nb)]
        command += ["--out", str(base / nb.stem), *options]
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        procs[nb.stem] = proc
        out, _ = proc.communicate()
        return nb, proc.returncode, out

    failures, reused, finished = 0, 0, []
    order = _longest_first(notebooks, base)
    print(f"running {len(order)} notebooks, {jobs} at a time")
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        for future in concurrent.futures.as_completed([pool.submit(one, nb) for nb in order]):
            nb, code, out = future.result()
            print(out, end="" if out.endswith("\n") or not out else "\n", flush=True)
            if code == 0:
                finished.append(nb.stem)
                reused += any(line.startswith("unchanged ") for line in out.splitlines())
            else:
                failures += 1
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        print("interrupted: the runs still going were stopped", file=sys.stderr)
        print(f"finished before it: {', '.join(finished) or 'none'}", file=sys.stderr)
        return 130
    pool.shutdown()
    ran = len(notebooks) - reused - failures
    print(f"{ran} executed, {reused} unchanged (reused), {failures} failed")
    return 1 if failures else 0


def _interrupted(stem: str, finished: list[str] | None) -> int:
    """Ctrl-C: one line instead of a traceback, and the shell's exit status for SIGINT."""
    print(f"interrupted: {stem}, nothing recorded", file=sys.stderr)
    if finished is not None:
        print(f"finished before it: {', '.join(finished) or 'none'}", file=sys.stderr)
    return 130


def _cmd_check(args: argparse.Namespace) -> int:
    from zslkit.nbtools.figures import committed_figures, compare_figures, report, trains

    try:
        notebooks = list_notebooks() if args.all else [resolve_notebook(n) for n in args.notebook]
    except ValueError as err:
        print(f"zslkit check: {err}", file=sys.stderr)
        return 2
    if not notebooks:
        print("zslkit check: give NOTEBOOK... or --all", file=sys.stderr)
        return 2
    if args.trains:
        notebooks = [nb for nb in notebooks if trains(nb)]
    failures = 0
    for nb in notebooks:
        with tempfile.TemporaryDirectory(prefix=f"zslkit-check-{nb.stem}-") as tmp:
            out_dir = Path(args.keep) / nb.stem if args.keep else Path(tmp)
            try:
                results = run_notebook(nb, {}, out_dir)
            except KeyboardInterrupt:
                return _interrupted(nb.stem, None)
            except Exception as err:
                _report_failure(nb.stem, err)
                failures += 1
                continue
            tols = json.loads((out_dir / "tolerances.json").read_text())
        moved = compare_figures(nb.stem, committed_figures(nb), results, tols)
        if moved:
            print(report(moved), file=sys.stderr)
            failures += 1
        else:
            print(f"ok {nb.stem}: {len(results)} figures within their tolerances")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zslkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="print every notebook with its parameters")
    p_list.set_defaults(func=_cmd_list)
    p_run = sub.add_parser("run", help="execute notebooks headless with papermill")
    p_run.add_argument("notebook", nargs="?", help="notebook path or stem")
    p_run.add_argument("--all", action="store_true", help="run every notebook")
    p_run.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter (value parsed as YAML)",
    )
    p_run.add_argument("-f", "--file", help="YAML file of parameters")
    p_run.add_argument("--out", help=f"output folder (default {DEFAULT_OUT}/<notebook>)")
    p_run.add_argument(
        "--force",
        action="store_true",
        help="execute even when the output folder holds a finished run with the same key",
    )
    p_run.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="with --all: execute N notebooks at a time (0: one per core; default 1)",
    )
    p_run.set_defaults(func=_cmd_run)
    p_check = sub.add_parser(
        "check", help="re-execute notebooks and compare their figures with the committed ones"
    )
    p_check.add_argument("notebook", nargs="*", help="notebook paths or stems")
    p_check.add_argument("--all", action="store_true", help="every notebook")
    p_check.add_argument(
        "--trains",
        action="store_true",
        help="only notebooks with a figure whose tolerance is above the default",
    )
    p_check.add_argument(
        "--keep",
        metavar="DIR",
        help="keep each executed notebook, results.json and run.json in DIR/<notebook>",
    )
    p_check.set_defaults(func=_cmd_check)
    from zslkit.nbtools import sweep  # zslkit sweep: parser and command live in sweep.py

    sweep.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # before or between notebooks
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
