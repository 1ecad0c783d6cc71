"""The book's evidence rules, as checks on a notebook's cells.

1. A measured figure in prose comes from the execution: glued with myst-nb
   (``{glue:text}`name:.3f` ``) or shown by a cell and referred to in words.
   A decimal figure typed into a markdown cell is allowed only in a
   sentence that cites its source (a paper: ``{cite}`` or a footnote
   ``[^ref]``). Parameter values in code spans and maths are not figures.
2. A comparison ("A beats B", "more accurate", "no effect") is stated with
   an interval computed in the notebook (a glued ``*_ci_low``/``*_ci_high``
   figure or an interval shown in brackets), or called a tie.
3. A cell whose text nbval compares (``# NBVAL_CHECK_OUTPUT``) prints no
   bare True/False verdict: a verdict on a gap is an interval, not a boolean.

``tests/test_evidence.py`` applies these to every notebook; notebooks not
yet converted are listed there (their checks run and are reported as
expected failures until a Part issue converts them).
"""

from __future__ import annotations

import re

_CODE_SPAN = re.compile(r"``.+?``|`[^`]*`")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
_GLUE = re.compile(r"\{glue(:\w+)?\}`[^`]*`")
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+")
_CITE = re.compile(r"\{cite(:\w+)?\}`[^`]*`|\[\^[\w-]+\]")
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
_COMPARISON = re.compile(
    r"\b(beats?|outperforms?|better than|worse than|more accurate|less accurate|"
    r"improves?|hurts?|no effect|robust to|wins?|loses to)\b",
    re.I,
)
_INTERVAL = re.compile(
    r"_ci_(low|high)|\[\s*[-+]?\d*\.?\d+\s*,\s*[-+]?\d*\.?\d+\s*\]|\b(tie|ties|tied)\b", re.I
)
_VERDICT = re.compile(r"(:|=)\s*(True|False)\b")


def _sentences(markdown: str) -> list[str]:
    text = re.sub(r"\s+", " ", markdown)
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text) if s.strip()]


def _without_allowed(sentence: str) -> str:
    """The sentence with code spans, maths, glue roles and links removed."""
    for pattern in (_GLUE, _CODE_SPAN, _MATH, _LINK):
        sentence = pattern.sub(" ", sentence)
    return sentence


def unsupported_figures(markdown: str) -> list[str]:
    """Sentences that state a decimal figure neither glued nor cited."""
    out = []
    for sentence in _sentences(_MATH.sub(" ", markdown)):
        if _CITE.search(sentence):
            continue
        if _DECIMAL.search(_without_allowed(sentence)):
            out.append(sentence.strip())
    return out


def comparisons_without_interval(markdown: str) -> list[str]:
    """Paragraphs that compare methods without an interval or the word 'tie'."""
    out = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        plain = _CODE_SPAN.sub(" ", paragraph)
        if _COMPARISON.search(plain) and not _INTERVAL.search(paragraph):
            out.append(re.sub(r"\s+", " ", paragraph.strip())[:160])
    return out


def checked_verdicts(cells: list[dict]) -> list[str]:
    """Printed True/False verdicts in cells whose text nbval compares."""
    out = []
    for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        if not "".join(cell["source"]).startswith("# NBVAL_CHECK_OUTPUT"):
            continue
        text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
        out += [
            f"code cell {i}: {line.strip()}" for line in text.splitlines() if _VERDICT.search(line)
        ]
    return out


def violations(cells: list[dict]) -> list[str]:
    """Every breach of the evidence rules in a notebook's cells."""
    out = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        md = "".join(cell["source"])
        out += [f"cell {i}: figure neither glued nor cited: {s}" for s in unsupported_figures(md)]
        out += [
            f"cell {i}: comparison without interval: {p}" for p in comparisons_without_interval(md)
        ]
    out += [f"checked boolean verdict: {v}" for v in checked_verdicts(cells)]
    return out
