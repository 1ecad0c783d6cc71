"""The book's repository URL: one setting, written into every notebook from there.

``book/_config.yml`` (``repository.url``) is the one place that names the
repository: the book's buttons read it directly, and every notebook's Colab
badge and Colab install cell are generated from it. After changing it, run
``python -m zslkit.nbtools.repository --apply`` (``make format`` does);
``tests/test_repository.py`` fails while any notebook disagrees.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Sequence

import yaml

from zslkit.paths import notebooks_dir, repo_dir

BADGE = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
    r"\(https://colab\.research\.google\.com/github/[^)]*\)"
)
INSTALL_MARK = '"google.colab" in sys.modules'


def repository_url(config: Path | None = None) -> str:
    """``repository.url`` of ``book/_config.yml``, without a trailing slash."""
    config = config or repo_dir() / "book" / "_config.yml"
    url = (yaml.safe_load(config.read_text()).get("repository") or {}).get("url", "")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+/?", url):
        raise ValueError(
            f"{config}: repository.url={url!r} must look like https://github.com/OWNER/REPO"
        )
    return url.rstrip("/")


def badge(url: str, stem: str, branch: str = "main") -> str:
    """The 'Open in Colab' badge of notebook ``stem``."""
    path = url.removeprefix("https://github.com/")
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{path}/blob/{branch}/notebooks/{stem}.ipynb)"
    )


def install_cell(url: str) -> str:
    """The Colab-only cell that fetches and installs the book (a no-op anywhere else)."""
    return (
        "import subprocess\n"
        "import sys\n"
        "\n"
        f'BOOK_REPO = "{url}"  # book/_config.yml\n'
        'BOOK_HOME = "/content/zslkit"\n'
        'if "google.colab" in sys.modules:  # Colab only: fetch the book, install it\n'
        '    clone = ["git", "clone", "--depth", "1", BOOK_REPO, BOOK_HOME]\n'
        "    subprocess.run(clone, check=True)\n"
        '    pip = [sys.executable, "-m", "pip", "install", "-q", "-e", BOOK_HOME]\n'
        "    subprocess.run(pip, check=True)\n"
        "    sys.path.insert(0, BOOK_HOME)"
    )


def sync(path: Path, url: str) -> bool:
    """Write ``url`` into a notebook's badge and install cell; whether anything changed."""
    nb = json.loads(path.read_text())
    changed = False
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and BADGE.search(src):
            new = BADGE.sub(badge(url, path.stem), src)
        elif cell["cell_type"] == "code" and INSTALL_MARK in src:
            new = install_cell(url)
        else:
            continue
        if new != src:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def disagreements(url: str, notebooks: Sequence[Path]) -> list[str]:
    """Notebooks whose badge or install cell is missing or names another URL."""
    out = []
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        text = {c["cell_type"]: [] for c in cells}
        for c in cells:
            text[c["cell_type"]].append("".join(c["source"]))
        if badge(url, path.stem) not in "\n".join(text.get("markdown", [])):
            out.append(f"{path.stem}: no Colab badge for {url}")
        if install_cell(url) not in text.get("code", []):
            out.append(f"{path.stem}: no Colab install cell for {url}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apply", action="store_true", help="rewrite badges and install cells")
    args = parser.parse_args(argv)
    url = repository_url()
    notebooks = sorted(notebooks_dir().glob("*.ipynb"))
    if args.apply:
        changed = [p.stem for p in notebooks if sync(p, url)]
        print(f"{url}: {len(changed)} notebooks updated {changed}")
        return 0
    bad = disagreements(url, notebooks)
    print("\n".join(bad) or f"every notebook uses {url}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
