"""ToyCLIP's architecture: a tiny open_clip CLIP registered as an open_clip model config.

The architecture is an ordinary open_clip model config
(``zslkit/configs/ToyCLIP.json``: a 3-layer, width-64 ViT with 8-pixel
patches on 32x32 images and a 2-layer, width-64 text transformer with a
context of 16 tokens), registered with ``open_clip.add_model_config``. So
after :func:`register` every open_clip function works on it::

    model, _, preprocess = open_clip.create_model_and_transforms("ToyCLIP", pretrained=str(CHECKPOINT))
    tokenizer = open_clip.get_tokenizer("ToyCLIP")

:func:`load` gives the shipped checkpoint (``data/checkpoints/toyclip.pt``)
as open_clip's ``(model, preprocess, tokenizer)``; how it was pretrained is
in :mod:`zslkit.lab.toyclip`.

Taught in: notebooks/01_pocket_world.ipynb, notebooks/02_toyclip_pretraining.ipynb
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np
import open_clip
import torch

from zslkit.paths import PACKAGE_DIR, data_dir

MODEL_NAME = "ToyCLIP"
CONFIG_PATH = PACKAGE_DIR / "configs" / f"{MODEL_NAME}.json"
CHECKPOINT = data_dir() / "checkpoints" / "toyclip.pt"
REPORT = data_dir() / "checkpoints" / "toyclip.json"
CHECKPOINT2 = data_dir() / "checkpoints" / "toyclip2.pt"
"""ToyCLIP 2: the same architecture pretrained on the pocket web (:mod:`zslkit.data.web`)."""
REPORT2 = data_dir() / "checkpoints" / "toyclip2.json"


def register() -> None:
    """Add ``ToyCLIP`` to open_clip's model configs (safe to call many times)."""
    if MODEL_NAME not in open_clip.list_models():
        open_clip.add_model_config(CONFIG_PATH)


@contextlib.contextmanager
def _quiet_open_clip():
    """Hide open_clip's 'initialized randomly' warning while we build a fresh model."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def load(path: str | Path | None = CHECKPOINT, device: str = "cpu"):
    """ToyCLIP as open_clip's triple ``(model, preprocess, tokenizer)``.

    ``path=None`` gives a randomly initialised model. The model is in eval mode.
    """
    register()
    if path is not None and not Path(path).is_file():
        raise ValueError(
            f"path={str(path)!r} is not a file; the shipped checkpoint is {CHECKPOINT}"
        )
    with _quiet_open_clip():
        model, _, preprocess = open_clip.create_model_and_transforms(
            MODEL_NAME, pretrained=None if path is None else str(path), device=device
        )
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(MODEL_NAME)


def to_tensor(images: np.ndarray, model: torch.nn.Module | None = None) -> torch.Tensor:
    """Batch-convert uint8 images to model input, exactly as open_clip's preprocess would.

    Parameters
    ----------
    images : (n, 32, 32, 3) uint8 array
    model : its ``visual.preprocess_cfg`` gives mean and std (default: OpenAI's).

    Returns
    -------
    (n, 3, 32, 32) float32 tensor, normalised.
    """
    cfg = getattr(getattr(model, "visual", None), "preprocess_cfg", {}) or {}
    mean = torch.tensor(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=torch.float32).view(
        1, 3, 1, 1
    )
    std = torch.tensor(cfg.get("std", open_clip.OPENAI_DATASET_STD), dtype=torch.float32).view(
        1, 3, 1, 1
    )
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    return (x - mean) / std


@torch.no_grad()
def encode_images(
    model: torch.nn.Module, images: np.ndarray, batch_size: int = 1024
) -> torch.Tensor:
    """(n, 64) float tensor of L2-normalised image features of uint8 ``images``."""
    device = next(model.parameters()).device
    feats = [
        model.encode_image(to_tensor(images[i : i + batch_size], model).to(device), normalize=True)
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(feats).cpu()
