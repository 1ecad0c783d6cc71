"""ruff formats and lints the library, the tests, the scripts and the notebooks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["zslkit", "tests", "scripts", "notebooks"]


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TARGETS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ruff_format_leaves_nothing_to_change():
    proc = ruff("format", "--check")
    assert proc.returncode == 0, f"run `make format`:\n{proc.stdout}{proc.stderr}"


def test_ruff_check_passes():
    proc = ruff("check", "--output-format", "concise")
    assert proc.returncode == 0, f"run `make format`, then fix by hand:\n{proc.stdout[-6000:]}"


def test_notebook_lines_fit_the_books_code_blocks():
    config = (ROOT / "notebooks" / "ruff.toml").read_text()
    assert "line-length = 79" in config and '"E501"' in config


def test_house_style_is_seaborns_colourblind_palette_on_white():
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib.colors import to_hex

    from zslkit import style

    params = mpl.rc_params_from_file(str(style.RC_FILE), use_default_template=False)
    cycle = [to_hex(c["color"]) for c in params["axes.prop_cycle"]]
    assert cycle == [to_hex(c) for c in sns.color_palette(style.PALETTE)]
    assert params["figure.facecolor"] == params["savefig.facecolor"] == "white"
    with mpl.rc_context():
        style.use()
        assert [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]] == cycle


def test_plot_code_takes_its_colours_from_the_house_style():
    """No colour literal in the library or the notebooks: figures use zslkit.style (palette and three inks)."""
    import re

    literal = re.compile(
        r"""(?<!cmap=)["'](#[0-9a-fA-F]{6}|tab:\w+|grey|gray|lightgrey)["']|cm\.tab10"""
    )
    import nbformat

    sources = {
        path: path.read_text()
        for path in sorted((ROOT / "zslkit").rglob("*.py"))
        if path.name != "style.py"
    }
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        sources[path] = "\n".join(c.source for c in cells if c.cell_type == "code")
    found = [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for path, text in sources.items()
        for i, line in enumerate(text.splitlines(), 1)
        if literal.search(line)
    ]
    assert not found, "use zslkit.style.colour(i), colours_for(names), INK, MUTED or FAINT:\n" + (
        "\n".join(found)
    )


def test_style_palette_and_method_colours():
    import seaborn as sns
    from matplotlib.colors import to_hex

    from zslkit import style

    assert list(style.COLOURS) == [to_hex(c) for c in sns.color_palette(style.PALETTE)]
    a = style.colours_for(["zero-shot", "Tip-Adapter", "GDA", "new method"], muted=["zero-shot"])
    b = style.colours_for(["GDA", "Tip-Adapter"])
    assert a["zero-shot"] == style.MUTED
    assert a["Tip-Adapter"] == b["Tip-Adapter"] and a["GDA"] == b["GDA"]  # same in every chapter
    assert a["new method"] not in {a["Tip-Adapter"], a["GDA"]}


def test_seed_interval_is_students_t():
    import numpy as np
    from scipy import stats

    from zslkit import style

    x = np.array([0.61, 0.64, 0.66])
    low, high = style.seed_interval(x)
    assert np.allclose([low, high], stats.t.interval(0.95, 2, loc=x.mean(), scale=stats.sem(x)))
    assert style.seed_interval([0.5]) == (0.5, 0.5)
