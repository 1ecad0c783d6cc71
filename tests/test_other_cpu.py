"""The figures of the notebooks that train hold under another machine's CPU kernels.

CI runs on one machine, the one that committed the outputs; a reader's
machine picks other kernels (torch by ``ATEN_CPU_CAPABILITY``, oneDNN by
``ONEDNN_MAX_CPU_ISA``, MKL by ``MKL_ENABLE_INSTRUCTIONS``) and sums in
another order. Every notebook with a figure whose tolerance is above the
default (:func:`zslkit.nbtools.figures.trains`) is re-executed here under a lower
capability than the native one, with an empty feature cache of its own, and
its figures are compared with the committed ones (``zslkit check``).
OpenBLAS (numpy) keeps its own choice: its core type is not changed in tests.
"""

import os
import subprocess
import sys

import pytest
import torch

from zslkit.nbtools.cli import list_notebooks
from zslkit.nbtools.figures import trains

LOWER = {"avx512": "avx2", "avx2": "default"}
CAPS = {
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "default": {"ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
}


def other_capability() -> str:
    """A capability below this machine's (``$ZSLKIT_OTHER_CPU`` overrides the choice)."""
    native = torch.backends.cpu.get_cpu_capability().lower()
    other = os.environ.get("ZSLKIT_OTHER_CPU") or LOWER.get(native, "default")
    if other not in CAPS:
        raise ValueError(f"ZSLKIT_OTHER_CPU={other!r}: choose one of {sorted(CAPS)}")
    return other


TRAINING = [nb for nb in list_notebooks() if trains(nb)]


def test_some_notebooks_train():
    assert len(TRAINING) >= 5, [nb.stem for nb in TRAINING]


@pytest.mark.parametrize("notebook", TRAINING, ids=[nb.stem for nb in TRAINING])
def test_figures_hold_on_another_cpu(notebook, tmp_path_factory):
    cap = other_capability()
    env = dict(
        os.environ,
        ATEN_CPU_CAPABILITY=cap,
        **CAPS[cap],
        ZSLKIT_CACHE=str(tmp_path_factory.getbasetemp() / f"cache-{cap}"),
    )
    check = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert check.stdout.strip().lower() == cap  # the kernels really are another machine's
    proc = subprocess.run(
        [sys.executable, "-m", "zslkit.nbtools.cli", "check", notebook.stem],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, f"under ATEN_CPU_CAPABILITY={cap}:\n{proc.stderr[-4000:]}"
