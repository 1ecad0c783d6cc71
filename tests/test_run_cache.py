"""The main job reuses what has not changed: ``zslkit run`` skips a finished run with the same key.

Two tiny notebooks in a temporary notebooks folder (``ZSLKIT_NOTEBOOKS``)
run through ``zslkit run --all`` once (module fixture); each test copies
that folder and its runs, changes one thing and reads what ran from the
files (the executed notebooks' modification times, run.json dates) and
from the printed lines.
"""

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from zslkit.nbtools import cli, runkey
from zslkit.paths import data_dir

STEMS = ("a_first", "b_second")
FAIL_ENV = "ZSLKIT_TEST_RUN_CACHE_FAIL"  # not part of the key: the same run fails or not


def _notebook(path: Path, factor: int = 2) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("seed: int = 0  # a number the result depends on")
    params.metadata["tags"] = ["parameters"]
    body = (
        "import os\n\nimport zslkit\n\n"
        f"if os.environ.get({FAIL_ENV!r}) == {path.stem!r}:\n"
        "    raise RuntimeError('failing on purpose')\n"
        f"zslkit.record('value', {factor} * seed + 1)"
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        params,
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def _run(capsys, *args: str) -> tuple[int, str]:
    """``zslkit run ARGS`` in this process; its exit status and everything it printed."""
    capsys.readouterr()
    code = cli.main(["run", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _reused(out: str) -> set[str]:
    """The notebooks that ``zslkit run`` said it reused."""
    return {
        line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("unchanged ")
    }


def _stamps(runs: Path) -> dict[str, int]:
    """Modification time (ns) of each executed notebook: it changes exactly when the notebook ran."""
    return {s: (runs / s / f"{s}.ipynb").stat().st_mtime_ns for s in STEMS}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """Notebooks, a data folder and one finished ``--all`` run of both notebooks."""
    root = tmp_path_factory.mktemp("run_cache")
    (root / "notebooks").mkdir()
    for stem in STEMS:
        _notebook(root / "notebooks" / f"{stem}.ipynb")
    (root / "data").mkdir()
    (root / "data" / "numbers.json").write_text("[1, 2]")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZSLKIT_NOTEBOOKS", str(root / "notebooks"))
        mp.setenv("ZSLKIT_DATA", str(root / "data"))
        mp.delenv(FAIL_ENV, raising=False)
        assert cli.main(["run", "--all", "--out", str(root / "runs")]) == 0
    return root


@pytest.fixture
def book(first_run, tmp_path, monkeypatch):
    """A copy of the notebooks and their runs (modification times kept); the shared data folder."""
    for name in ("notebooks", "runs"):
        shutil.copytree(first_run / name, tmp_path / name)
    monkeypatch.setenv("ZSLKIT_NOTEBOOKS", str(tmp_path / "notebooks"))
    monkeypatch.setenv("ZSLKIT_DATA", str(first_run / "data"))
    monkeypatch.delenv(FAIL_ENV, raising=False)
    return tmp_path


def _value(runs: Path, stem: str):
    return json.loads((runs / stem / "results.json").read_text())["value"]


def test_first_run_left_finished_runs_with_their_keys(book):
    for stem in STEMS:
        run = json.loads((book / "runs" / stem / "run.json").read_text())
        assert run["key"] == runkey.run_key(book / "notebooks" / f"{stem}.ipynb", {})
        assert _value(book / "runs", stem) == 1  # 2 * 0 + 1


def test_nothing_changed_reuses_both_and_says_so(book, capsys):
    runs = book / "runs"
    before = _stamps(runs)
    code, out = _run(capsys, "--all", "--out", str(runs))
    assert code == 0
    assert _stamps(runs) == before
    for stem in STEMS:
        date = json.loads((runs / stem / "run.json").read_text())["date"]
        assert f"unchanged {stem}: reusing its run of {date} (key " in out
    assert "--force re-executes" in out and "0 executed, 2 unchanged (reused), 0 failed" in out
    # one NOTEBOOK reuses the same folder's run too
    code, out = _run(capsys, "a_first", "--out", str(runs / "a_first"))
    assert code == 0 and "unchanged a_first" in out and _stamps(runs) == before


def test_an_edited_cell_reruns_only_that_notebook(book, capsys):
    runs = book / "runs"
    before = _stamps(runs)
    _notebook(book / "notebooks" / "b_second.ipynb", factor=3)
    code, out = _run(capsys, "--all", "--out", str(runs), "-p", "seed", "0")
    assert code == 0  # seed 0 given is the default: same key for a_first
    after = _stamps(runs)
    assert after["a_first"] == before["a_first"] and after["b_second"] != before["b_second"]
    assert _reused(out) == {"a_first"} and "ok b_second" in out
    assert "1 executed, 1 unchanged (reused), 0 failed" in out


def test_a_changed_parameter_reruns_and_force_reexecutes(book, capsys):
    runs = book / "runs"
    before = _stamps(runs)
    code, out = _run(capsys, "--all", "--out", str(runs), "-p", "seed", "2")
    assert code == 0 and not _reused(out)
    with_seed = _stamps(runs)
    assert all(with_seed[s] != before[s] for s in STEMS)
    assert _value(runs, "a_first") == 5  # 2 * 2 + 1
    code, out = _run(capsys, "a_first", "--out", str(runs / "a_first"), "-p", "seed", "2")
    assert "unchanged a_first" in out and _stamps(runs) == with_seed
    code, out = _run(
        capsys, "a_first", "--out", str(runs / "a_first"), "-p", "seed", "2", "--force"
    )
    assert code == 0 and not _reused(out) and "ok a_first" in out
    forced = _stamps(runs)
    assert forced["a_first"] != with_seed["a_first"] and forced["b_second"] == with_seed["b_second"]


def test_a_failed_run_is_never_reused(book, capsys, monkeypatch):
    runs = book / "runs"
    key = json.loads((runs / "a_first" / "run.json").read_text())["key"]
    monkeypatch.setenv(FAIL_ENV, "a_first")  # the same key, but this time the run fails
    code, out = _run(capsys, "a_first", "--out", str(runs / "a_first"), "--force")
    assert code == 1 and "failing on purpose" in out
    # what the failure left: the earlier run's notebook and run.json (same key), no results.json
    assert json.loads((runs / "a_first" / "run.json").read_text())["key"] == key
    assert (runs / "a_first" / "a_first.ipynb").exists()
    assert not (runs / "a_first" / "results.json").exists()
    monkeypatch.delenv(FAIL_ENV)
    before = _stamps(runs)
    code, out = _run(capsys, "--all", "--out", str(runs))
    assert code == 0 and "ok a_first" in out and _reused(out) == {"b_second"}
    after = _stamps(runs)
    assert after["a_first"] != before["a_first"] and after["b_second"] == before["b_second"]
    assert _value(runs, "a_first") == 1


def test_a_changed_code_version_reruns(book, capsys, monkeypatch):
    runs = book / "runs"
    shutil.copytree(data_dir(), book / "data")
    monkeypatch.setenv("ZSLKIT_DATA", str(book / "data"))  # same content elsewhere: same key
    before = _stamps(runs)
    code, out = _run(capsys, "--all", "--out", str(runs))
    assert code == 0 and _reused(out) == set(STEMS) and _stamps(runs) == before
    (book / "data" / "numbers.json").write_text("[1, 3]")
    runkey._code_version.cache_clear()  # memoised per process; a new `zslkit run` reads afresh
    code, out = _run(capsys, "--all", "--out", str(runs))
    assert code == 0 and not _reused(out)
    edited = _stamps(runs)
    assert all(edited[s] != before[s] for s in STEMS)
    other = "default" if os.environ.get("ATEN_CPU_CAPABILITY") == "avx2" else "avx2"
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", other)  # a kernel-choosing variable
    runkey._code_version.cache_clear()
    code, out = _run(capsys, "a_first", "--out", str(runs / "a_first"))
    assert code == 0 and "ok a_first" in out and _stamps(runs)["a_first"] != edited["a_first"]


# The main job's later stages are incremental too: the book's staging folder
# keeps the bytes (so Sphinx re-reads only changed pages) and the page check
# renders only pages that changed since they last passed.


def test_book_stage_rewrites_only_what_changed(book):
    from zslkit.nbtools.book import PARAMS_MARKER, stage

    out = book / "stage"
    stage(book / "runs", out)
    (out / "stray.md").write_text("left from an earlier build")
    (out / "_build").mkdir()
    (out / "_build" / "kept").write_text("Sphinx's environment")

    def files():
        return {
            str(p.relative_to(out)): p.stat().st_mtime_ns
            for p in out.rglob("*")
            if p.is_file() and "_build" not in p.parts
        }

    first = files()
    staged = nbformat.read(out / "notebooks" / "a_first.ipynb", as_version=4)
    assert PARAMS_MARKER in staged.cells[1].source  # the parameters table, as before
    stage(book / "runs", out)
    second = files()
    assert "stray.md" not in second and (out / "_build" / "kept").exists()
    assert second == {k: v for k, v in first.items() if k != "stray.md"}
    executed = book / "runs" / "b_second" / "b_second.ipynb"
    nb = nbformat.read(executed, as_version=4)
    nb.metadata["zslkit"]["results"]["value"] = 99
    nbformat.write(nb, executed)
    stage(book / "runs", out)
    changed = {k for k, v in files().items() if second.get(k) != v}
    assert changed == {"notebooks/b_second.ipynb"}


MATHJAX = Path(__file__).resolve().parents[1] / "build/vendor/node_modules/mathjax/es5"


@pytest.mark.skipif(
    shutil.which("chromium") is None or not (MATHJAX / "tex-mml-chtml.js").exists(),
    reason="needs Debian chromium and the local MathJax (make setup)",
)
def test_pagecheck_renders_only_pages_changed_since_they_passed(tmp_path, capsys):
    from zslkit.nbtools.pagecheck import check_pages

    html = tmp_path / "html"
    html.mkdir()
    text = "<p>" + "A page with enough text to count as not blank. " * 5 + "</p>"
    (html / "style.css").write_text("p { color: #222; }")
    (html / "a.html").write_text(f"<html><body><main>{text}</main></body></html>")
    (html / "b.html").write_text(
        f'<html><head><link rel="stylesheet" href="style.css"></head><body><main>{text}</main></body></html>'
    )
    (html / "c.html").write_text("<html><body><main></main></body></html>")  # blank: fails
    state = tmp_path / "shots" / "state.json"

    def check():
        capsys.readouterr()
        problems = check_pages(html, tmp_path / "shots", {}, mathjax_es5=MATHJAX, state=state)
        return problems, capsys.readouterr().out

    problems, out = check()
    assert list(problems) == ["c.html"] and "rendering 3 of 3 pages" in out
    problems, out = check()  # the failed page is checked again, the passed ones are not
    assert list(problems) == ["c.html"] and "rendering 1 of 3 pages" in out
    (html / "style.css").write_text("p { color: #000; }")  # what b.html loads changed
    (html / "a.html").write_text(f"<html><body><main>{text}<p>more</p></main></body></html>")
    problems, out = check()
    assert list(problems) == ["c.html"] and "rendering 3 of 3 pages" in out
    (html / "c.html").write_text(f"<html><body><main>{text}</main></body></html>")
    problems, out = check()
    assert problems == {} and "rendering 1 of 3 pages" in out
    problems, out = check()
    assert problems == {} and "rendering 0 of 3 pages" in out
    assert check_pages(html, None, {}, mathjax_es5=MATHJAX) == {}  # no state: every page


def test_jobs_run_notebooks_side_by_side_like_one_after_another(book, capsys):
    """``--jobs 2`` gives what the serial run gave, reuses the same way and reports a failure."""
    runs = book / "runs"
    serial = {s: _value(runs, s) for s in STEMS}
    code, out = _run(capsys, "--all", "--out", str(runs), "--jobs", "2")
    assert code == 0 and "running 2 notebooks, 2 at a time" in out
    assert _reused(out) == set(STEMS) and "0 executed, 2 unchanged (reused), 0 failed" in out
    code, out = _run(capsys, "--all", "--out", str(runs), "--jobs", "2", "-p", "seed", "3")
    assert code == 0 and "2 executed, 0 unchanged (reused), 0 failed" in out
    assert {s: _value(runs, s) for s in STEMS} == {s: 2 * 3 + 1 for s in STEMS}
    runkey._code_version.cache_clear()  # the children computed it afresh
    for stem in STEMS:  # each child recorded its own parameters and key
        run = json.loads((runs / stem / "run.json").read_text())
        assert run["parameters"] == {"seed": 3}
        assert run["key"] == runkey.run_key(book / "notebooks" / f"{stem}.ipynb", {"seed": 3})
    assert serial == {s: 1 for s in STEMS}
    os.environ[FAIL_ENV] = "b_second"
    try:
        code, out = _run(capsys, "--all", "--out", str(runs), "--jobs", "2", "--force")
    finally:
        del os.environ[FAIL_ENV]
    assert code == 1 and "FAILED b_second" in out and "ok a_first" in out
    assert "1 executed, 0 unchanged (reused), 1 failed" in out


def test_jobs_refuses_a_negative_count(book, capsys):
    before = _stamps(book / "runs")
    code, out = _run(capsys, "--all", "--out", str(book / "runs"), "--jobs", "-1")
    assert code == 2 and "--jobs -1 must be 0 (one per core) or more" in out
    assert _stamps(book / "runs") == before


def test_jobs_start_the_longest_notebook_first(book):
    """Last run's wall time first, then the committed notebook's papermill duration."""
    notebooks = [book / "notebooks" / f"{s}.ipynb" for s in STEMS]
    for stem, seconds in zip(STEMS, (5.0, 50.0)):
        run = json.loads((book / "runs" / stem / "run.json").read_text())
        (book / "runs" / stem / "run.json").write_text(json.dumps(run | {"wall_time_s": seconds}))
    assert [nb.stem for nb in cli._longest_first(notebooks, book / "runs")] == [
        "b_second",
        "a_first",
    ]
    for nb, seconds in zip(notebooks, (70.0, 7.0)):
        committed = nbformat.read(nb, as_version=4)
        committed.metadata["papermill"] = {"duration": seconds}
        nbformat.write(committed, nb)
    assert [nb.stem for nb in cli._longest_first(notebooks, book / "none")] == [
        "a_first",
        "b_second",
    ]


@pytest.mark.skipif(
    shutil.which("chromium") is None or not (MATHJAX / "tex-mml-chtml.js").exists(),
    reason="needs Debian chromium and the local MathJax (make setup)",
)
def test_pagecheck_with_two_browsers_finds_what_one_finds(tmp_path):
    from zslkit.nbtools.pagecheck import check_pages

    html = tmp_path / "html"
    html.mkdir()
    text = "<p>" + "A page with enough text to count as not blank. " * 5 + "</p>"
    for name in ("a", "b", "d"):
        (html / f"{name}.html").write_text(f"<html><body><main>{text}</main></body></html>")
    (html / "c.html").write_text("<html><body><main></main></body></html>")  # blank: fails
    keep = {"a.html": "a.png", "d.html": "d.png"}
    state = tmp_path / "two" / "state.json"
    two = check_pages(html, tmp_path / "two", keep, mathjax_es5=MATHJAX, state=state, jobs=2)
    one = check_pages(html, tmp_path / "one", keep, mathjax_es5=MATHJAX, jobs=1)
    assert two == one == {"c.html": ["page is blank"]}
    assert sorted(p.name for p in (tmp_path / "two").glob("*.png")) == ["a.png", "d.png"]
    passed = json.loads(state.read_text())["pages"]
    assert sorted(passed) == ["a.html", "b.html", "d.html"]
