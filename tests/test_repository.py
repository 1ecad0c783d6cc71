"""One setting names the repository: book/_config.yml; badges and install cells follow it."""

import json
import shutil

import pytest

from zslkit.nbtools.cli import list_notebooks
from zslkit.nbtools.repository import (
    badge,
    disagreements,
    install_cell,
    repository_url,
    sync,
)
from zslkit.paths import repo_dir


def test_every_notebook_uses_the_configured_repository():
    bad = disagreements(repository_url(), list_notebooks())
    assert not bad, "run python -m zslkit.nbtools.repository --apply:\n" + "\n".join(bad)


def test_changing_the_setting_rewrites_badge_and_install_cell(tmp_path):
    nb = tmp_path / "10_attributes_eszsl.ipynb"
    shutil.copy(list_notebooks()[3], nb)
    assert sync(nb, "https://github.com/someone/fork")
    text = nb.read_text()
    assert "zslkit/zslkit" not in text
    cells = ["".join(c["source"]) for c in json.loads(text)["cells"]]
    assert badge("https://github.com/someone/fork", nb.stem) in cells[0]
    assert install_cell("https://github.com/someone/fork") in cells
    assert "github/someone/fork/blob/main/notebooks/10_attributes_eszsl.ipynb" in cells[0]
    assert not sync(nb, "https://github.com/someone/fork")  # already in sync


def test_the_install_cell_fits_the_books_code_blocks():
    lines = install_cell(repository_url()).splitlines()
    assert len(lines) <= 12 and max(map(len, lines)) <= 79


def test_a_malformed_setting_is_named(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: gitlab.example/x\n")
    with pytest.raises(ValueError, match="repository.url='gitlab.example/x'"):
        repository_url(config)
    assert repository_url(repo_dir() / "book" / "_config.yml").startswith("https://github.com/")
