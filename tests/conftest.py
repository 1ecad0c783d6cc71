"""Shared fixtures: the book is built once per test session."""

import pytest

from zslkit.nbtools import book
from zslkit.paths import notebooks_dir


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Build the book from the committed notebooks; return its ``index.html``."""
    return book.build(notebooks_dir(), tmp_path_factory.mktemp("book") / "book")


# The fixture notebooks are inputs of the runner tests, not pages of the book:
# nbval (and its figure check) runs the book's notebooks only.
collect_ignore_glob = ["fixtures/*"]
