"""Parameter checks every notebook runs right after its parameters cell.

Bad input must fail before any heavy work, with a message that names the
bad value and the valid choices.
"""

from __future__ import annotations

import os
import random
from typing import Iterable

import numpy as np


def check_choice(name: str, value, choices: Iterable, show: int = 25) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    The message lists the valid choices (the first ``show`` of a long list,
    with the count of the rest).
    """
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices[:show])
        if len(choices) > show:
            listed += f", ... ({len(choices) - show} more)"
        raise ValueError(f"{name}={value!r} is not valid; choose one of: {listed}")


def check_range(name: str, value, low=None, high=None, integer: bool = False) -> None:
    """Raise ``ValueError`` unless ``low <= value <= high`` (bounds optional)."""
    if integer and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise ValueError(f"{name}={value!r} must be an integer")
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be a number")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name}={value!r} is out of range; valid values lie in [{lo}, {hi}]")


def resolve_device(device: str = "auto") -> str:
    """Map ``"auto"`` to ``"cuda"`` when a GPU is visible, else ``"cpu"``."""
    check_choice("device", device, ["auto", "cpu", "cuda"])
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was asked for but no CUDA device is visible; use 'auto' or 'cpu'"
        )
    return device


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python, numpy and torch (if installed); return a numpy Generator."""
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)
