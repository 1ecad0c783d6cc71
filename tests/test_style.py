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
