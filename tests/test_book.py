"""The book builds (warnings are errors) and every notebook has its page."""

import json
import re
from pathlib import Path

import pytest
import yaml

from zslkit.nbtools import book
from zslkit.paths import notebooks_dir

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [ch["file"] for ch in part["chapters"]]
        for ch in part["chapters"]:
            files += [s["file"] for s in ch.get("sections", [])]
    return files


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    missing = [nb.stem for nb in NOTEBOOKS if f"notebooks/{nb.stem}" not in listed]
    assert not missing, f"notebooks missing from book/_toc.yml: {missing}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_carries_outputs_and_no_errors(nb):
    cells = json.loads(nb.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code), f"{nb.name} has no outputs"
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{nb.name} carries an error output"
    tags = [t for c in cells for t in c.get("metadata", {}).get("tags", [])]
    assert "parameters" in tags
    text = "".join("".join(c["source"]) for c in cells)
    assert "colab.research.google.com" in text


def test_book_builds_with_a_page_per_notebook(built_book):
    html = built_book.parent
    index = built_book
    assert "intro.html" in index.read_text()  # jupyter-book's index redirects to the root page
    assert "zero-shot" in (html / "intro.html").read_text().lower()
    for nb in NOTEBOOKS:
        page = html / "notebooks" / f"{nb.stem}.html"
        assert page.exists(), f"no page for {nb.name}"
        assert "colab.research.google.com" in page.read_text()
    assert (html / "bibliography.html").exists()
    reproduce = re.sub(r"<[^>]+>", "", (html / "reproduce.html").read_text())  # text, no markup
    assert "Reproduce the papers" in reproduce and "zslkit run 20_prompt_ensembling" in reproduce
    results = (html / "results.html").read_text()
    for nb in NOTEBOOKS:
        assert nb.stem in results, f"{nb.stem} missing from the results page"


def test_every_chapter_cites_and_the_bibliography_is_complete(built_book):
    html = built_book.parent
    bib = (ROOT / "book" / "references.bib").read_text()
    n_entries = bib.count("\n@")
    assert (html / "bibliography.html").read_text().count('class="citation') >= n_entries - 1
    for nb in NOTEBOOKS:
        text = "".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
        assert "{footcite" in text or "{cite" in text, f"{nb.name} cites no paper"


def test_missing_executed_notebook_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no executed copy"):
        book.stage(tmp_path / "empty", tmp_path / "out")
