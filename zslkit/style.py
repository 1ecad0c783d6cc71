"""The book's house style for figures: seaborn's colour-blind-safe palette on a white card.

Inside the book, matplotlib reads ``notebooks/matplotlibrc`` (the kernel
runs in the notebooks' folder), so every figure gets the style without a
line of code. :func:`use` applies the same settings anywhere else (Colab,
a script).

Plot functions take their colours from here, never from a literal:
:func:`colour` (the i-th colour of the palette), :func:`colours_for`
(one colour per name, the same name in the same colour in every chapter),
and three inks for what is not data: :data:`INK` (text, a reference
curve), :data:`MUTED` (baselines such as "zero-shot") and :data:`FAINT`
(chance, guides). Statistical plots draw their intervals with seaborn
(``sns.lineplot(..., errorbar=seed_interval)`` over seeds) or with error
bars from :mod:`zslkit.stats`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "PALETTE",
    "COLOURS",
    "INK",
    "MUTED",
    "FAINT",
    "colour",
    "colours_for",
    "seed_interval",
    "use",
]

RC_FILE = Path(__file__).resolve().parent.parent / "notebooks" / "matplotlibrc"
PALETTE = "colorblind"  # seaborn's name for the palette in notebooks/matplotlibrc

COLOURS = (
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
)
"""seaborn's ``colorblind`` palette (tests/test_style.py keeps it equal to seaborn's)."""

INK = "#222222"
"""Text and reference curves (the data themselves, a ground truth)."""
MUTED = "#777777"
"""Baselines drawn for comparison (zero-shot, equal weights, the median template)."""
FAINT = "#bbbbbb"
"""Chance levels and guides."""

_NAMED = {
    # Part III adapters and learners: one colour per method in 30-34.
    "linear probe": 2,
    "Tip-Adapter": 0,
    "Tip-Adapter-F": 4,
    "GDA": 1,
    "CoOp": 3,
    "PRE": 9,
    "ZPE": 5,
    "descriptions": 6,
    # Part II losses (26).
    "clip": 0,
    "infoloob": 1,
    "cloob": 4,
    "cwcl": 2,
}


def colour(i: int) -> str:
    """The ``i``-th colour of the house palette (it repeats after ten)."""
    return COLOURS[int(i) % len(COLOURS)]


def colours_for(names: Iterable[str], muted: Sequence[str] = ()) -> dict[str, str]:
    """One colour per name: the book's fixed colour for a known method, else the next free one.

    Names in ``muted`` (baselines) get :data:`MUTED`. The result keeps the
    order of ``names``.
    """
    names = list(names)
    taken = {_NAMED[n] for n in names if n in _NAMED}
    free = (i for i in range(10 * len(COLOURS)) if i % len(COLOURS) not in taken)
    out = {}
    for name in names:
        if name in muted:
            out[name] = MUTED
        elif name in _NAMED:
            out[name] = colour(_NAMED[name])
        else:
            out[name] = colour(next(free))
    return out


def seed_interval(values) -> tuple[float, float]:
    """Student's t 95 % interval of the mean over seeds, for seaborn's ``errorbar=``.

    seaborn calls it with the values of one point (one per seed); with a
    single seed there is no interval and the point is drawn alone.
    """
    from zslkit.stats import t_interval

    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return float(x.mean()), float(x.mean())
    ci = t_interval(x)
    return ci.low, ci.high


def use() -> None:
    """Apply the house style to matplotlib (and seaborn's defaults) in this process."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_palette(PALETTE)
    if RC_FILE.is_file():
        mpl.rc_file(RC_FILE)
