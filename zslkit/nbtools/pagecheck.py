"""Render every page of the built book in headless Chromium and check it.

Every relative link and anchor must resolve (:func:`check_links`). A page
passes the browser check when it is not blank (it has text and its screenshot is not
one flat colour), every image of the book on it has loaded (remote badges
cannot load offline and are not checked), and, where it holds
mathematics, MathJax has typeset it. One screenshot per part of the book is
kept for review::

    python -m zslkit.nbtools.pagecheck build/book/_build/html --screenshots build/screenshots

A rebuilt book is checked incrementally: ``SCREENSHOTS/pagecheck-state.json``
keeps a digest of every page that passed (its HTML and the local images,
scripts and style sheets it loads); a page with the same digest is not
rendered again, unless this module, MathJax or the browser changed.
``--all-pages`` renders every page.

Needs Debian's ``chromium`` and the ``playwright`` Python package (its
driver only; the browser is the system one). The book loads MathJax from its
CDN; here every request for it is answered from a local copy
(``npm install --prefix build/vendor mathjax@3``) and every other network
request is refused, so the check runs offline and the published pages stay
as they are.
"""

from __future__ import annotations

import argparse
import json
import os
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
STATE_FILE = "pagecheck-state.json"  # beside the screenshots: the pages that passed


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
        self.resources: list[str] = []  # what the page loads: images, scripts, style sheets
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.hrefs.append(attrs["href"])
            self.resources.append(attrs["href"])


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
        links = parsed[page] = parsed.get(page) or _parse(page)
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
                if path not in parsed:  # each page parsed once, not once per link to it
                    parsed[path] = _parse(path)
                ids = parsed[path].ids
                if anchor not in ids:
                    problems.setdefault(str(page.relative_to(html_dir)), []).append(
                        f"no anchor {href}"
                    )
    return problems


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def page_digest(page: Path, files: dict[Path, str] | None = None) -> str:
    """A digest of a page as the browser check sees it: its HTML and the local files it loads.

    ``files`` memoises the digests of shared files (style sheets, scripts).
    Sphinx's ``searchindex.js``, which every page loads and which changes
    with any page's text, is left out: it holds the search data, not what
    a page shows.
    """
    files = {} if files is None else files
    html = page.read_bytes()
    parts = [_sha256(html)]
    for src in sorted(set(_parse(page).resources)):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith("//"):
            continue
        if Path(src.split("?")[0]).name == "searchindex.js":
            continue
        path = (page.parent / unquote(src).split("#")[0].split("?")[0]).resolve()
        if path not in files:
            files[path] = _sha256(path.read_bytes()) if path.is_file() else "missing"
        parts.append(f"{src}={files[path]}")
    return _sha256("\n".join(parts).encode())


def checker_version(mathjax_es5: Path = DEFAULT_MATHJAX) -> str:
    """What a page's result also depends on: this module, MathJax and the browser."""
    from importlib.metadata import version

    js = Path(mathjax_es5) / "tex-mml-chtml.js"
    browser = Path(chromium_path()).resolve()
    return _sha256(
        b"\0".join(
            [
                Path(__file__).read_bytes(),
                js.read_bytes() if js.exists() else b"",
                f"{browser} {browser.stat().st_size}".encode(),
                version("playwright").encode(),
            ]
        )
    )


def _load_state(state: Path | None, version: str) -> dict[str, str]:
    if state is None or not state.exists():
        return {}
    try:
        saved = json.loads(state.read_text())
    except ValueError:
        return {}
    return saved.get("pages", {}) if saved.get("version") == version else {}


def check_pages(
    html_dir: Path,
    screenshots: Path | None = None,
    keep: dict[str, str] | None = None,
    mathjax_es5: Path = DEFAULT_MATHJAX,
    state: Path | None = None,
    jobs: int = 1,
) -> dict[str, list[str]]:
    """Check every ``*.html`` page under ``html_dir``; return problems per page.

    ``keep`` maps a page (relative path) to a screenshot name to save in
    ``screenshots``; ``mathjax_es5`` is a local MathJax 3 ``es5`` folder.
    With ``state`` (a JSON file), a page whose :func:`page_digest` is the
    one recorded when it last passed under the same :func:`checker_version`
    (and whose screenshot, if kept, exists) is not rendered again; the
    file is rewritten with the digests of the pages that pass now.
    ``jobs`` browsers render the pages side by side, each a process of its own.
    """
    html_dir, mathjax_es5 = Path(html_dir).resolve(), Path(mathjax_es5).resolve()
    if not (mathjax_es5 / "tex-mml-chtml.js").exists():
        raise FileNotFoundError(
            f"no MathJax under {mathjax_es5}; run `npm install --prefix build/vendor mathjax@3`"
        )
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
    passed: dict[str, str] = {}
    if state is not None:
        version = checker_version(mathjax_es5)
        shared: dict[Path, str] = {}
        digests = {str(p.relative_to(html_dir)): page_digest(p, shared) for p in pages}
        passed = {rel: d for rel, d in _load_state(state, version).items() if digests.get(rel) == d}
        total = len(pages)
        pages = [
            p
            for p in pages
            if (rel := str(p.relative_to(html_dir))) not in passed
            or (screenshots and rel in keep and not (screenshots / keep[rel]).exists())
        ]
        print(
            f"rendering {len(pages)} of {total} pages; the others are unchanged "
            f"since they passed ({state})"
        )
    if jobs > 1 and len(pages) > 1:
        import concurrent.futures
        import multiprocessing

        chunks = [pages[i::jobs] for i in range(min(jobs, len(pages)))]
        with concurrent.futures.ProcessPoolExecutor(
            len(chunks), mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            args = (html_dir, mathjax_es5, screenshots, keep)
            found = {}
            for part in pool.map(_render_pages, chunks, *([a] * len(chunks) for a in args)):
                found.update(part)
    else:
        found = _render_pages(pages, html_dir, mathjax_es5, screenshots, keep)
    for rel, issues in sorted(found.items()):
        if issues:
            problems[rel] = issues
            passed.pop(rel, None)
        elif state is not None:
            passed[rel] = digests[rel]
    if state is not None:
        state.parent.mkdir(parents=True, exist_ok=True)
        tmp = state.with_name(f".{state.name}.tmp")
        tmp.write_text(json.dumps({"version": version, "pages": passed}, indent=1, sort_keys=True))
        tmp.replace(state)
    return problems


def _render_pages(
    pages: list[Path],
    html_dir: Path,
    mathjax_es5: Path,
    screenshots: Path | None,
    keep: dict[str, str],
) -> dict[str, list[str]]:
    """Render ``pages`` in one headless Chromium; the problems of each (empty: it passed)."""
    from playwright.sync_api import sync_playwright

    found: dict[str, list[str]] = {}
    if not pages:
        return found
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
            seen = page.evaluate(_PAGE_STATE)
            shot = page.screenshot(full_page=False)
            issues = []
            if seen["text"] < 100 or _is_flat(shot):
                issues.append("page is blank")
            if seen["broken"]:
                issues.append(f"images did not load: {seen['broken']}")
            if seen["math"] and not seen["typeset"]:
                issues.append(f"{seen['math']} maths elements not typeset by MathJax")
            found[rel] = issues
            if screenshots and rel in keep:
                (screenshots / keep[rel]).write_bytes(page.screenshot(full_page=True))
        browser.close()
    return found


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
    parser.add_argument(
        "--all-pages",
        action="store_true",
        help="render every page, not only those changed since they last passed",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="browsers rendering side by side (0: one per core)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 0:
        parser.error(f"--jobs {args.jobs} must be 0 (one per core) or more")
    jobs = args.jobs or os.cpu_count() or 1
    html = Path(args.html)
    shots = Path(args.screenshots)
    state = shots / STATE_FILE
    if args.all_pages:
        state.unlink(missing_ok=True)
    problems = check_links(html)
    problems.update(check_pages(html, shots, part_screenshots(html), state=state, jobs=jobs))
    for page, issues in problems.items():
        print(f"{page}: {'; '.join(issues)}", file=sys.stderr)
    print(
        f"checked pages under {html}: {len(problems)} with problems; screenshots in {args.screenshots}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
