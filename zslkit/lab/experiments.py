"""Experiments that pretrain several ToyCLIPs: the loops and plots of chapters 25 and 26.

Each function does one step a notebook used to spell out in a long cell,
with the same operations in the same order (so the same random draws and
the same trained weights), so that the notebook calls it in a line.

Taught in: notebooks/25_concept_frequency.ipynb and 26_contrastive_losses.ipynb
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from zslkit import style
from zslkit.lab import toyclip
from zslkit.lab.losses import LOSS_NAMES, alignment, uniformity
from zslkit.metrics import per_class_accuracy
from zslkit.models.zeroshot import zero_shot_classifier


def _tokenizer():
    import open_clip

    toyclip.register()
    return open_clip.get_tokenizer(toyclip.MODEL_NAME)


def pretrain_concept_models(
    assignments: Sequence[Mapping[str, float]],
    phrases: Sequence[str],
    test_images: np.ndarray,
    n_steps: int = 100,
    batch_size: int = 64,
    seed: int = 0,
    device: str = "cpu",
) -> list[np.ndarray]:
    """Pretrain one ToyCLIP per frequency assignment and classify the test images among ``phrases``.

    Model ``k`` is ``toyclip.pretrain(n_steps, batch_size, seed=seed + k,
    concept_frequency=assignments[k])``; its zero-shot classifier is the
    pocket world's 5-template ensemble over ``phrases`` (one per concept).

    Returns
    -------
    predictions : one (n,) array of predicted concept indices per model.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    from zslkit.data import world

    tokenizer = _tokenizer()
    predictions = []
    for k, weights in enumerate(assignments):
        model, _ = toyclip.pretrain(
            n_steps=n_steps,
            batch_size=batch_size,
            seed=seed + k,
            concept_frequency=weights,
            log_every=n_steps,
            device=device,
        )
        image_features = toyclip.encode_images(model, test_images)
        classifier = zero_shot_classifier(
            model, tokenizer, phrases, world.templates("zeroshot"), device=device
        ).cpu()
        predictions.append((image_features @ classifier).numpy().argmax(1))
    return predictions


def pretrain_each(
    loss_functions: Mapping[str, Any],
    n_steps: int = 100,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "cpu",
):
    """Pretrain one ToyCLIP per loss, everything else (seed, data, schedule) shared.

    Prints one line per model as it finishes (its name in
    :data:`zslkit.lab.losses.LOSS_NAMES`, steps and seconds).

    Returns
    -------
    models, histories, seconds : dicts keyed like ``loss_functions``: the
    trained model, its logged history (``log_every = max(1, n_steps // 12)``)
    and its wall-clock training time.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    models, histories, seconds = {}, {}, {}
    for name, loss in loss_functions.items():
        start = time.perf_counter()
        models[name], histories[name] = toyclip.pretrain(
            n_steps=n_steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            loss=loss,
            log_every=max(1, n_steps // 12),
            device=device,
        )
        seconds[name] = time.perf_counter() - start
        print(
            f"{LOSS_NAMES.get(name, name):<15} {n_steps} steps of {batch_size} "
            f"in {seconds[name]:.0f} s"
        )
    return models, histories, seconds


def evaluate_runs(
    models: Mapping[str, torch.nn.Module],
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    test: tuple[np.ndarray, np.ndarray],
    pairs: tuple[np.ndarray, Sequence[str]],
    unseen_ids: Any,
    classes: Sequence[str],
    device: str = "cpu",
) -> dict[str, dict[str, float]]:
    """Zero-shot accuracy and embedding geometry of each pretrained model.

    Parameters
    ----------
    test : (images, labels) over ``classes``.
    pairs : held-out (images, captions) for alignment and uniformity.
    unseen_ids : the ids (in ``classes``) of the unseen classes.

    Returns
    -------
    {name: {"unseen16": per-class top-1 of the unseen images among the unseen
    classes, "all64": per-class top-1 among all classes, "alignment",
    "uniformity_image", "uniformity_text" (Wang and Isola, on the pairs),
    "final_loss": the last logged loss}}.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    from zslkit.data import world

    test_images, test_labels = test
    pair_images, pair_captions = pairs[0], pairs[1]
    unseen_ids = np.asarray(unseen_ids)
    is_unseen = np.isin(test_labels, unseen_ids)
    tokenizer = _tokenizer()
    rows = {}
    for name, model in models.items():
        image_features = toyclip.encode_images(model, test_images)
        weights = zero_shot_classifier(
            model, tokenizer, classes, world.templates("zeroshot"), device=device
        ).cpu()
        logits = (image_features @ weights).numpy()
        unseen_pred = unseen_ids[logits[is_unseen][:, unseen_ids].argmax(1)]
        with torch.no_grad():
            f = toyclip.encode_images(model, pair_images)
            g = model.encode_text(tokenizer(pair_captions).to(device), normalize=True).cpu()
        rows[name] = {
            "unseen16": per_class_accuracy(test_labels[is_unseen], unseen_pred),
            "all64": per_class_accuracy(test_labels, logits.argmax(1)),
            "alignment": alignment(f, g).item(),
            "uniformity_image": uniformity(f).item(),
            "uniformity_text": uniformity(g).item(),
            "final_loss": histories[name][-1]["loss"],
        }
    return rows


LOSS_COLOURS = style.colours_for(["clip", "infoloob", "cloob", "cwcl"])


def collapsed_loss(name: str, batch_size: int) -> float:
    """The loss of collapsed embeddings: log B for InfoNCE and CWCL, log(B - 1) for InfoLOOB and CLOOB.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    return math.log(batch_size - 1) if name in ("infoloob", "cloob") else math.log(batch_size)


def plot_training(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    rows: Mapping[str, Mapping[str, float]],
    batch_size: int,
):
    """Training curves relative to collapsed embeddings (left) and alignment against uniformity (right).

    Returns the matplotlib Figure with two Axes: one line per loss, one
    scatter point per loss. Taught in: notebooks/26_contrastive_losses.ipynb
    """
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, history in histories.items():
        ax1.plot(
            [r["step"] for r in history],
            [r["loss"] - collapsed_loss(name, batch_size) for r in history],
            marker="o",
            markersize=3,
            color=LOSS_COLOURS.get(name, style.INK),
            label=LOSS_NAMES.get(name, name),
        )
    ax1.axhline(0, color=style.MUTED, linestyle="--", linewidth=1)
    ax1.set_xlabel("step")
    ax1.set_ylabel("loss minus loss of collapsed embeddings (nats)")
    ax1.set_title("Training")
    ax1.legend(fontsize=8)
    for name, row in rows.items():
        ax2.scatter(
            row["uniformity_image"],
            row["alignment"],
            s=60,
            color=LOSS_COLOURS.get(name, style.INK),
            label=f"{LOSS_NAMES.get(name, name)}: 64-way top-1 {row['all64']:.2f}",
        )
    ax2.set_xlabel("uniformity of image embeddings (lower: more spread)")
    ax2.set_ylabel("alignment of held-out pairs (lower: closer)")
    ax2.set_title("Geometry (Wang and Isola)")
    ax2.set_xlim(-2.5, 0.2)
    ax2.set_ylim(0, 2.2)
    ax2.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig
