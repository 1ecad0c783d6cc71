"""Every built page renders in headless Chromium: not blank, images loaded, maths typeset."""

import shutil
from pathlib import Path

import pytest

from zslkit.nbtools.pagecheck import DEFAULT_MATHJAX, check_links, check_pages, part_screenshots

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = ROOT / DEFAULT_MATHJAX


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian chromium is not installed (make setup installs it as root)",
)
def test_every_page_renders(built_book, tmp_path):
    html = built_book.parent
    keep = part_screenshots(html)
    problems = check_pages(html, tmp_path / "shots", keep, mathjax_es5=MATHJAX)
    assert not problems, problems
    shots = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert len(shots) == len(keep)
    # keep the screenshots for review beside the other build outputs
    out = ROOT / "build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for shot in (tmp_path / "shots").iterdir():
        shutil.copy2(shot, out / shot.name)


def test_internal_links_of_the_book_resolve(built_book):
    assert check_links(built_book.parent) == {}


def test_link_check_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">b</a> <a href="c.html">c</a> '
        '<a href="https://example.org/x">ext</a> <p id="here"></p>'
        '<a href="#here">self</a> <a href="b.html#nope">bad</a>'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">B</h1>')
    problems = check_links(tmp_path)
    assert problems == {"a.html": ["missing c.html", "no anchor b.html#nope"]}
