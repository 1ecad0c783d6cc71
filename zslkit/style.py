"""The book's house style for figures: seaborn's colour-blind-safe palette on a white card.

Inside the book, matplotlib reads ``notebooks/matplotlibrc`` (the kernel
runs in the notebooks' folder), so every figure gets the style without a
line of code. :func:`use` applies the same settings anywhere else (Colab,
a script). Statistical plots use seaborn with their intervals drawn
(``sns.pointplot(..., errorbar=("ci", 95))`` over seeds, or error bars
from :mod:`zslkit.stats`).
"""

from __future__ import annotations

from pathlib import Path

RC_FILE = Path(__file__).resolve().parent.parent / "notebooks" / "matplotlibrc"
PALETTE = "colorblind"  # seaborn's name for the palette in notebooks/matplotlibrc


def use() -> None:
    """Apply the house style to matplotlib (and seaborn's defaults) in this process."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_palette(PALETTE)
    if RC_FILE.is_file():
        mpl.rc_file(RC_FILE)
