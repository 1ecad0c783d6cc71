"""Render every page of the built book in headless Chromium and check it.

Every relative link and anchor must resolve (:func:`check_links`). A page
passes the browser check when it is not blank (it has text and its screenshot is not
one flat colour), every image of the book on it has loaded (remote badges
cannot load offline and are not checked), and, where it holds
mathematics, MathJax has typeset it. One screenshot per part of the book is
kept for review::

    python -m zslkit.nbtools.pagecheck build/book/_build/html --screenshots build/screenshots

Needs Debian's ``chromium`` and the ``playwright`` Python package (its
driver only; the browser is the system one). The book loads MathJax from its
CDN; here every request for it is answered from a local copy
(``npm install --prefix build/vendor mathjax@3``) and every other network
request is refused, so the check runs offline and the published pages stay
as they are.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-sandbox",
]

_PAGE_STATE = """() => {
  const imgs = Array.from(document.querySelectorAll('main img, article img'));
  const math = document.querySelectorAll('.math, span.math, div.math').length;
  return {
    text: ((document.querySelector('main') || document.body || {}).innerText || '').length,
    images: imgs.length,
    broken: imgs.filter(i => !/^https?:/.test(i.getAttribute('src') || ''))
                .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
    math: math,
    typeset: document.querySelectorAll('mjx-container').length,
  };
}"""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no Chromium found; on Debian: apt-get install chromium")


def _is_flat(png: bytes) -> bool:
    import io

    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return img.std() < 1.0


DEFAULT_MATHJAX = Path("build/vendor/node_modules/mathjax/es5")


def _offline_router(mathjax_es5: Path):
    """Serve MathJax requests from ``mathjax_es5``; refuse all other network requests."""

    def route(route):
        url = route.request.url
        if url.startswith("file:") or url.startswith("data:"):
            return route.continue_()
        if "mathjax" in url and "/es5/" in url:
            local = mathjax_es5 / url.split("/es5/", 1)[1].split("?")[0]
            if local.exists():
                return route.fulfill(path=str(local))
        return route.abort()

    return route


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])
        if tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.hrefs.append(attrs["href"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="ignore"))
    return parser


def check_links(html_dir: Path) -> dict[str, list[str]]:
    """Internal link check: every relative link of every page points to a file that exists,
    and every ``#anchor`` to an element of that page with this id. External links are not
    followed (there is no network here)."""
    html_dir = Path(html_dir).resolve()
    parsed: dict[Path, _Links] = {}
    problems: dict[str, list[str]] = {}
    for page in sorted(html_dir.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        links = parsed.setdefault(page, _parse(page))
        for href in links.hrefs:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href) or href.startswith("//"):
                continue  # http:, https:, mailto:, data:, javascript:
            target, _, anchor = unquote(href).partition("#")
            target = target.split("?", 1)[0]
            path = (page.parent / target).resolve() if target else page
            if not path.exists():
                problems.setdefault(str(page.relative_to(html_dir)), []).append(f"missing {href}")
                continue
            if anchor and path.suffix == ".html":
                ids = parsed.setdefault(path, _parse(path)).ids
                if anchor not in ids:
                    problems.setdefault(str(page.relative_to(html_dir)), []).append(
                        f"no anchor {href}"
                    )
    return problems


def check_pages(
    html_dir: Path,
    screenshots: Path | None = None,
    keep: dict[str, str] | None = None,
    mathjax_es5: Path = DEFAULT_MATHJAX,
) -> dict[str, list[str]]:
    """Check every ``*.html`` page under ``html_dir``; return problems per page.

    ``keep`` maps a page (relative path) to a screenshot name to save in
    ``screenshots``; ``mathjax_es5`` is a local MathJax 3 ``es5`` folder.
    """
    html_dir, mathjax_es5 = Path(html_dir).resolve(), Path(mathjax_es5).resolve()
    if not (mathjax_es5 / "tex-mml-chtml.js").exists():
        raise FileNotFoundError(
            f"no MathJax under {mathjax_es5}; run `npm install --prefix build/vendor mathjax@3`"
        )
    from playwright.sync_api import sync_playwright

    pages = sorted(
        p
        for p in html_dir.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(html_dir).parts)
        and p.name not in {"search.html", "genindex.html"}
        and 'http-equiv="Refresh"' not in p.read_text(errors="ignore")[:500]
    )  # redirects
    problems: dict[str, list[str]] = {}
    keep = keep or {}
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.route("**/*", _offline_router(mathjax_es5))
        for path in pages:
            rel = str(path.relative_to(html_dir))
            page.goto(path.as_uri(), wait_until="load")
            try:
                page.wait_for_function(
                    "() => !document.querySelector('.math') || document.querySelector('mjx-container')",
                    timeout=8000,
                )
            except Exception:
                pass
            state = page.evaluate(_PAGE_STATE)
            shot = page.screenshot(full_page=False)
            issues = []
            if state["text"] < 100 or _is_flat(shot):
                issues.append("page is blank")
            if state["broken"]:
                issues.append(f"images did not load: {state['broken']}")
            if state["math"] and not state["typeset"]:
                issues.append(f"{state['math']} maths elements not typeset by MathJax")
            if issues:
                problems[rel] = issues
            if screenshots and rel in keep:
                (screenshots / keep[rel]).write_bytes(page.screenshot(full_page=True))
        browser.close()
    return problems


def part_screenshots(html_dir: Path) -> dict[str, str]:
    """One page per part of the book: its first notebook chapter (or first page)."""
    import yaml

    from zslkit.paths import repo_dir

    toc = yaml.safe_load((repo_dir() / "book" / "_toc.yml").read_text())
    keep = {"intro.html": "00_landing.png"}
    for i, part in enumerate(toc["parts"], start=1):
        files = [c["file"] for c in part["chapters"]]
        chosen = next((f for f in files if f.startswith("notebooks/")), files[0])
        slug = "".join(ch if ch.isalnum() else "_" for ch in part["caption"].lower())
        keep[f"{chosen}.html"] = f"{i:02d}_{slug}.png"
    return keep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zslkit.nbtools.pagecheck", description=__doc__.split("\n")[0]
    )
    parser.add_argument("html", help="the built book's html folder")
    parser.add_argument(
        "--screenshots", default="build/screenshots", help="where to keep one screenshot per part"
    )
    args = parser.parse_args(argv)
    html = Path(args.html)
    problems = check_links(html)
    problems.update(check_pages(html, Path(args.screenshots), part_screenshots(html)))
    for page, issues in problems.items():
        print(f"{page}: {'; '.join(issues)}", file=sys.stderr)
    print(
        f"checked pages under {html}: {len(problems)} with problems; screenshots in {args.screenshots}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
