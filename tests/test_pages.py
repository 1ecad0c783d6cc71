"""Every built page renders in headless Chromium: not blank, images loaded, maths typeset."""
import shutil
from pathlib import Path

import pytest

from zslkit.pagecheck import DEFAULT_MATHJAX, check_pages, part_screenshots

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = ROOT / DEFAULT_MATHJAX


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed (make setup installs it as root)")
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
