"""Open-vocabulary segmentation with a frozen CLIP: the MaskCLIP readout and mIoU.

A CLIP image encoder (a ViT) ends with a class token that has attended to
every patch: one vector for the whole image, matched with class-name text
embeddings. MaskCLIP (Zhou, Loy and Dai 2022, "Extract Free Dense Labels
from CLIP") reads a *dense* label map out of the same frozen model: in the
last transformer block it skips the query-key attention, so that every
patch token is carried by the value path alone (value projection, output
projection, residual, MLP, final layer norm and the visual projection, as
in the authors' code), and compares each patch embedding with the class
text embeddings. In open_clip's terms the readout equals the last block run
with an attention mask that lets each token attend only to itself
(:func:`dense_features` with ``readout="maskclip"``); ``readout="tokens"``
is the naive alternative, the ordinary last-layer patch tokens, and
``readout="cls_value"`` adds each patch's value to the class token's
residual instead of its own (what the image embedding would be if the class
token attended to that patch alone). :func:`window_similarities` is the
training-free alternative that asks the model only what it was trained on:
the image-level zero-shot scores of sliding windows, averaged per cell.

The patch similarities are upsampled bilinearly to pixels; a pixel whose
best similarity is below a threshold (chosen on validation scenes) is
background. :func:`iou_counts` keeps per-scene intersections and unions so
that :func:`miou` and :func:`bootstrap_miou` (a percentile bootstrap over
scenes) can be computed for any subset of classes, e.g. the classes seen and
unseen in pretraining.

Taught in: notebooks/51_open_vocabulary_segmentation.ipynb
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range
from zslkit.stats import Interval

READOUTS = ("maskclip", "cls_value", "tokens")
"""Dense readouts of the last block: MaskCLIP's value path (each patch's own
residual), the value path added to the class token's residual instead (what
the image embedding would be if the class token attended to that patch
alone), or the plain last-layer patch tokens."""


def _vision_tower(model):
    visual = getattr(model, "visual", model)
    needed = ("conv1", "positional_embedding", "transformer", "ln_post")
    if not all(hasattr(visual, a) for a in needed) or getattr(visual, "attn_pool", None):
        raise ValueError(
            f"{type(visual).__name__} is not an open_clip VisionTransformer with a class "
            "token; the dense readout needs a ViT backbone (e.g. 'toyclip2', 'ViT-B-32')"
        )
    return visual


def at_image_size(model, image_size: int):
    """A copy of an open_clip CLIP whose ViT takes ``image_size`` pixel images.

    The patch grid grows with the image (a 64-px image has 8x8 patches of 8
    px); the positional embeddings are interpolated bicubically to the new
    grid by open_clip's own :func:`open_clip.model.resize_pos_embed`, the way
    open_clip loads a checkpoint into a model of another image size. The
    input model is left unchanged.
    """
    from open_clip.model import resize_pos_embed

    visual = _vision_tower(model)
    patch = visual.conv1.kernel_size[0]
    check_range("image_size", image_size, patch, 4096, integer=True)
    if image_size % patch:
        raise ValueError(f"image_size={image_size} must be a multiple of the patch size {patch}")
    new = copy.deepcopy(model)
    nv = _vision_tower(new)
    nv.image_size = (image_size, image_size)
    nv.grid_size = (image_size // patch, image_size // patch)
    state = {"visual.positional_embedding": nv.positional_embedding.data}
    resize_pos_embed(state, new)
    nv.positional_embedding = torch.nn.Parameter(state["visual.positional_embedding"])
    if isinstance(getattr(nv, "preprocess_cfg", None), dict):
        nv.preprocess_cfg = dict(nv.preprocess_cfg, size=(image_size, image_size))
    return new


def _last_block_value_path(block, x: torch.Tensor, residual: str = "own") -> torch.Tensor:
    """The last block with its attention replaced by each token's own value.

    ``residual="own"`` keeps each token's residual (MaskCLIP); ``"cls"``
    adds every token's value to the class token's residual instead.
    """
    attn = block.attn
    d = x.shape[-1]
    v = F.linear(block.ln_1(x), attn.in_proj_weight[2 * d :], attn.in_proj_bias[2 * d :])
    base = x if residual == "own" else x[:, :1]
    x = base + block.ls_1(attn.out_proj(v))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


def _input_size(visual) -> tuple[int, int]:
    size = visual.image_size
    return tuple(size) if hasattr(size, "__len__") else (size, size)


def _batch_tensor(model, images: np.ndarray, device) -> torch.Tensor:
    from zslkit.models.toyclip import to_tensor

    t = to_tensor(images, model).to(device)
    size = _input_size(_vision_tower(model))
    if tuple(t.shape[-2:]) != size:
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False)
    return t


@torch.no_grad()
def scene_embeddings(model, images: np.ndarray, batch_size: int = 512) -> torch.Tensor:
    """(n, d) unit image embeddings of uint8 ``images``, resized to the model's input size.

    The image-level zero-shot view of a whole scene (or of a crop).
    """
    images = np.asarray(images)
    device = next(model.parameters()).device
    out = [
        model.encode_image(_batch_tensor(model, images[i : i + batch_size], device), normalize=True)
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out).float().cpu()


def tiles(images: np.ndarray, grid: int = 2) -> np.ndarray:
    """The ``grid x grid`` tiles of mosaic images, row by row: (n * grid**2, H/grid, W/grid, ...)."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    if h % grid or w % grid:
        raise ValueError(f"a {h}x{w} image does not split into {grid}x{grid} tiles")
    a = images.reshape(n, grid, h // grid, grid, w // grid, *images.shape[3:])
    a = np.swapaxes(a, 2, 3)
    return np.ascontiguousarray(a.reshape(n * grid * grid, h // grid, w // grid, *images.shape[3:]))


@torch.no_grad()
def dense_features(
    model, images: np.ndarray, readout: str = "maskclip", batch_size: int = 256
) -> torch.Tensor:
    """L2-normalised patch embeddings of ``images`` in the joint image-text space.

    Parameters
    ----------
    model : an open_clip CLIP with a ViT image tower (ToyCLIP, ViT-B-32, ...);
        images are resized bilinearly to its ``visual.image_size`` if needed
        (see :func:`at_image_size`).
    images : (n, H, W, 3) uint8 array.
    readout : ``"maskclip"`` (last block through the value path only),
        ``"cls_value"`` (the same with the class token's residual) or
        ``"tokens"`` (the ordinary last-layer patch tokens); see :data:`READOUTS`.

    Returns
    -------
    (n, g, g, d) float32 tensor on the CPU, unit rows (g: patches per side).
    """
    check_choice("readout", readout, READOUTS)
    check_range("batch_size", batch_size, 1, integer=True)
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"images must be an (n, H, W, 3) uint8 array, got {images.dtype} {images.shape}"
        )
    visual = _vision_tower(model)
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(images), batch_size):
        x = visual._embeds(_batch_tensor(model, images[i : i + batch_size], device))
        blocks = visual.transformer.resblocks
        for block in blocks[:-1]:
            x = block(x)
        last = blocks[-1]
        if readout == "tokens":
            x = last(x)
        else:
            x = _last_block_value_path(last, x, "own" if readout == "maskclip" else "cls")
        tokens = visual.ln_post(x)[:, 1:]
        if visual.proj is not None:
            tokens = tokens @ visual.proj
        g = int(round(tokens.shape[1] ** 0.5))
        out.append(F.normalize(tokens.float(), dim=-1).reshape(-1, g, g, tokens.shape[-1]).cpu())
    return torch.cat(out)


def patch_similarities(features: torch.Tensor, text_weights: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every patch with every class: (n, g, g, d) @ (d, C) -> (n, C, g, g)."""
    if features.shape[-1] != text_weights.shape[0]:
        raise ValueError(
            f"features have dimension {features.shape[-1]} and text_weights {text_weights.shape[0]}"
            "; give text_weights as a (d, C) matrix of class embeddings"
        )
    return torch.einsum("nhwd,dc->nchw", features.float(), text_weights.float())


def best_labels(
    similarities: torch.Tensor, size: int, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel best class and its similarity, from (n, C, g, g) patch similarities.

    The similarity maps are upsampled bilinearly to ``size x size``
    (``align_corners=False``; no change when ``g == size``), as MaskCLIP
    upsamples its score maps. Returns ``best`` (n, size, size) float32 and
    ``label`` (n, size, size) int64 class indices.
    """
    check_range("size", size, 1, 8192, integer=True)
    check_range("batch_size", batch_size, 1, integer=True)
    if similarities.ndim != 4:
        raise ValueError(f"similarities must be (n, C, g, g), got {tuple(similarities.shape)}")
    best, label = [], []
    for i in range(0, len(similarities), batch_size):
        chunk = similarities[i : i + batch_size].float()
        if chunk.shape[-1] != size or chunk.shape[-2] != size:
            chunk = F.interpolate(chunk, size=(size, size), mode="bilinear", align_corners=False)
        b, lab = chunk.max(dim=1)
        best.append(b.numpy())
        label.append(lab.numpy().astype(np.int64))
    return np.concatenate(best), np.concatenate(label)


def segment(best: np.ndarray, label: np.ndarray, threshold: float) -> np.ndarray:
    """Label maps: ``label + 1`` where ``best >= threshold``, else 0 (background)."""
    best, label = np.asarray(best), np.asarray(label)
    if best.shape != label.shape:
        raise ValueError(f"best {best.shape} and label {label.shape} must have the same shape")
    return np.where(best >= threshold, label + 1, 0).astype(np.int64)


@torch.no_grad()
def window_similarities(
    model,
    images: np.ndarray,
    text_weights: torch.Tensor,
    window: int = 32,
    stride: int = 8,
) -> torch.Tensor:
    """Dense scores from the image-level zero-shot scores of sliding windows.

    Every ``window x window`` crop on a grid of step ``stride`` is encoded as
    a whole image (its class-token embedding; :func:`scene_embeddings` resizes it to
    the model's input size)
    and compared with the classes (cosine similarity). The image is cut into
    ``stride x stride`` cells; a cell's similarity to a class is the mean
    over the windows that cover it.

    Returns
    -------
    (n, C, H // stride, W // stride) float32 tensor, like
    :func:`patch_similarities` (pass it to :func:`best_labels`).
    """
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    check_range("window", window, 1, min(h, w), integer=True)
    check_range("stride", stride, 1, window, integer=True)
    if window % stride or (h - window) % stride or (w - window) % stride:
        raise ValueError(
            f"stride={stride} must divide window={window} and the image's free space "
            f"({h - window}, {w - window}); choose e.g. stride={window // 4 or 1}"
        )
    k, gh, gw = window // stride, h // stride, w // stride
    total = torch.zeros(n, text_weights.shape[1], gh, gw)
    cover = torch.zeros(gh, gw)
    for y in range(0, gh - k + 1):
        for x in range(0, gw - k + 1):
            crop = np.ascontiguousarray(
                images[:, y * stride : y * stride + window, x * stride : x * stride + window]
            )
            scores = scene_embeddings(model, crop) @ text_weights.float()
            total[:, :, y : y + k, x : x + k] += scores[:, :, None, None]
            cover[y : y + k, x : x + k] += 1
    return total / cover


def on_foreground(label: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Label maps with the true foreground given: ``label + 1`` on object pixels, 0 elsewhere.

    Judges only which class each object pixel gets, the setting in which the
    image-level baseline (:func:`paint`) is judged.
    """
    label, masks = np.asarray(label), np.asarray(masks)
    if label.shape != masks.shape:
        raise ValueError(f"label {label.shape} and masks {masks.shape} must have the same shape")
    return np.where(masks > 0, label + 1, 0).astype(np.int64)


def paint(scene_labels: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The image-level baseline's map: every foreground pixel gets the scene's one label.

    ``scene_labels`` (n,) class indices, ``masks`` (n, H, W) true masks (0
    background): the baseline is given the true foreground, so only its
    class is judged. Returns (n, H, W) int64 maps, 0 background.
    """
    scene_labels = np.asarray(scene_labels).reshape(-1, 1, 1)
    if len(scene_labels) != len(masks):
        raise ValueError(f"{len(scene_labels)} labels for {len(masks)} masks: give one per scene")
    return np.where(np.asarray(masks) > 0, scene_labels + 1, 0).astype(np.int64)


def paint_tiles(tile_labels: np.ndarray, masks: np.ndarray, grid: int = 2) -> np.ndarray:
    """Each tile's foreground painted with that tile's label (the layout-oracle map).

    ``tile_labels`` (n, grid*grid) class indices row by row; ``masks`` (n, H, W).
    """
    tile_labels = np.asarray(tile_labels)
    n, h, w = np.asarray(masks).shape
    if tile_labels.shape != (n, grid * grid) or h % grid or w % grid:
        raise ValueError(
            f"tile_labels {tile_labels.shape} and masks {(n, h, w)} do not make a {grid}x{grid} "
            "mosaic; give one label per tile"
        )
    per_pixel = np.repeat(np.repeat(tile_labels.reshape(n, grid, grid), h // grid, 1), w // grid, 2)
    return np.where(np.asarray(masks) > 0, per_pixel + 1, 0).astype(np.int64)


def iou_counts(
    pred: np.ndarray, truth: np.ndarray, n_labels: int, ignore: int | None = None
) -> dict[str, np.ndarray]:
    """Per-scene pixel counts behind IoU: ``inter``, ``pred``, ``true``, each (n, n_labels).

    ``pred`` and ``truth`` are (n, H, W) integer label maps with values in
    ``0 .. n_labels - 1`` (0 is background). Summed over scenes they give the
    dataset-level IoU of each label, ``inter / (pred + true - inter)``.
    Pixels whose truth is ``ignore`` (e.g. PASCAL VOC's void value 255) are
    left out of every count.
    """
    pred, truth = np.asarray(pred), np.asarray(truth)
    if pred.shape != truth.shape or pred.ndim != 3:
        raise ValueError(f"pred {pred.shape} and truth {truth.shape} must be equal (n, H, W)")
    keep = np.ones(truth.shape, dtype=bool) if ignore is None else truth != ignore
    for name, a in (("pred", pred[keep]), ("truth", truth[keep])):
        if a.size and (a.min() < 0 or a.max() >= n_labels):
            raise ValueError(f"{name} has labels outside 0..{n_labels - 1}")
    n = len(pred)
    scene = np.broadcast_to(np.arange(n)[:, None, None], pred.shape)[keep]
    pred, truth = pred[keep], truth[keep]

    def count(a):
        return np.bincount(scene * n_labels + a, minlength=n * n_labels).reshape(n, n_labels)

    hit = pred == truth
    inter = np.bincount(scene[hit] * n_labels + pred[hit], minlength=n * n_labels)
    return {"inter": inter.reshape(n, n_labels), "pred": count(pred), "true": count(truth)}


def _iou_from_sums(inter, pred, true, labels):
    union = pred + true - inter
    labels = np.asarray(labels)
    u = union[..., labels]
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(u > 0, inter[..., labels] / np.maximum(u, 1), np.nan)
    return iou


def per_class_iou(counts: dict[str, np.ndarray], labels: Sequence[int]) -> np.ndarray:
    """Dataset-level IoU of each of ``labels`` (NaN for a label never predicted nor present)."""
    sums = [counts[k].sum(axis=0) for k in ("inter", "pred", "true")]
    return _iou_from_sums(*sums, labels)


def miou(counts: dict[str, np.ndarray], labels: Sequence[int]) -> float:
    """Mean IoU over ``labels`` (label ids: ``k + 1`` for class k, 0 background).

    Labels that never occur in the truth nor the prediction are left out.
    """
    labels = _check_labels(counts, labels)
    return float(np.nanmean(per_class_iou(counts, labels)))


def _check_labels(counts, labels) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.int64).ravel()
    n_labels = counts["inter"].shape[1]
    if labels.size == 0 or labels.min() < 0 or labels.max() >= n_labels:
        raise ValueError(f"labels must be a non-empty list of ids in 0..{n_labels - 1}")
    return labels


def bootstrap_miou(
    counts_a: dict[str, np.ndarray],
    labels: Sequence[int],
    counts_b: dict[str, np.ndarray] | None = None,
    labels_b: Sequence[int] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """mIoU, or a paired difference of two mIoUs, with a percentile bootstrap over scenes.

    Alone: the mIoU of ``counts_a`` over ``labels``. With ``counts_b`` and/or
    ``labels_b``: ``mIoU(counts_a, labels) - mIoU(counts_b or counts_a,
    labels_b or labels)``, e.g. two methods on the same classes, or one
    method's seen minus unseen classes. Scenes are resampled with
    replacement, the same resample for both terms; each resample's mIoU is
    computed from its summed counts (IoU is a ratio of sums, not a mean over
    scenes).
    """
    check_range("confidence", confidence, 0.5, 0.999)
    check_range("n_resamples", n_resamples, 100, 10**6, integer=True)
    labels = _check_labels(counts_a, labels)
    paired = counts_b is not None or labels_b is not None
    counts_b = counts_a if counts_b is None else counts_b
    labels_b = labels if labels_b is None else _check_labels(counts_b, labels_b)
    n = counts_a["inter"].shape[0]
    if counts_b["inter"].shape[0] != n:
        raise ValueError("counts_a and counts_b must come from the same scenes")
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(float)

    def stat(counts, ids):
        sums = [weights @ counts[k][:, ids].astype(float) for k in ("inter", "pred", "true")]
        with np.errstate(invalid="ignore"):
            return np.nanmean(_iou_from_sums(*sums, np.arange(len(ids))), axis=-1)

    def estimate(counts, ids):
        return float(np.nanmean(per_class_iou(counts, ids)))

    boot, point = stat(counts_a, labels), estimate(counts_a, labels)
    method = "bootstrap over scenes"
    if paired:
        boot = boot - stat(counts_b, labels_b)
        point -= estimate(counts_b, labels_b)
        method = "paired bootstrap over scenes"
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return Interval(point, float(low), float(high), confidence, method)


def choose_threshold(
    best: np.ndarray,
    label: np.ndarray,
    masks: np.ndarray,
    labels: Sequence[int],
    thresholds: Sequence[float],
) -> tuple[float, np.ndarray]:
    """The background threshold with the best mIoU (over ``labels`` and background) on given scenes.

    Meant for validation scenes. Returns ``(best_threshold, miou_per_threshold)``.
    """
    thresholds = np.asarray(thresholds, dtype=float).ravel()
    if thresholds.size == 0:
        raise ValueError("thresholds must be a non-empty list of similarity values")
    masks = np.asarray(masks)
    n_labels = int(max(masks.max(), np.max(label) + 1, np.max(labels))) + 1
    ids = np.union1d([0], np.asarray(labels))
    scores = np.array(
        [miou(iou_counts(segment(best, label, t), masks, n_labels), ids) for t in thresholds]
    )
    return float(thresholds[int(np.argmax(scores))]), scores


# ---------------------------------------------------------------- figures
OUTCOMES = ("background", "right class", "wrong class", "missed", "false object")
"""What a pixel of a predicted map can be, against the truth (:func:`outcome_map`)."""


def outcome_map(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Index into :data:`OUTCOMES` per pixel: background kept, object right or wrong, missed, false."""
    pred, truth = np.asarray(pred), np.asarray(truth)
    out = np.zeros(pred.shape, dtype=np.int64)
    obj = truth > 0
    out[obj & (pred == truth)] = 1
    out[obj & (pred > 0) & (pred != truth)] = 2
    out[obj & (pred == 0)] = 3
    out[~obj & (pred > 0)] = 4
    return out


def plot_scene_maps(images, truth, maps: dict, scenes_shown: Sequence[int] = (0, 1, 2)):
    """Rows of scenes: the image, its true masks, then each method's map coloured by outcome.

    ``maps`` is ``{method name: (n, H, W) label maps}``. Returns the figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from zslkit import style

    inks = ["white", style.colour(2), style.colour(3), style.MUTED, style.colour(1)]
    cmap = ListedColormap(inks)
    truth_cmap = ListedColormap(["white"] + [style.colour(i) for i in (0, 4, 5, 9)])
    cols = 2 + len(maps)
    fig, axes = plt.subplots(
        len(scenes_shown), cols, figsize=(1.6 * cols, 1.6 * len(scenes_shown)), squeeze=False
    )
    for row, s in enumerate(scenes_shown):
        objects = np.unique(truth[s][truth[s] > 0])
        ranks = np.searchsorted(objects, truth[s]) + 1
        axes[row, 0].imshow(images[s])
        axes[row, 1].imshow(np.where(truth[s] > 0, ranks, 0), cmap=truth_cmap, vmin=0, vmax=4)
        for col, m in enumerate(maps.values(), start=2):
            axes[row, col].imshow(
                outcome_map(m[s], truth[s]), cmap=cmap, vmin=0, vmax=len(OUTCOMES) - 1
            )
    for col, title in enumerate(["scene", "truth", *maps]):
        axes[0, col].set_title(title, fontsize=8)
    for ax in axes.ravel():
        ax.set_axis_off()
    handles = [Patch(facecolor=c, edgecolor=style.FAINT, label=o) for c, o in zip(inks, OUTCOMES)]
    fig.legend(handles=handles, loc="lower center", ncol=len(OUTCOMES), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_miou(intervals: dict):
    """Bars of mIoU on seen and unseen classes with their bootstrap intervals.

    ``intervals`` is ``{method: {"seen": Interval, "unseen": Interval}}``.
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    from zslkit import style

    methods = list(intervals)
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    x = np.arange(len(methods))
    for k, (split, colour) in enumerate((("seen", style.colour(0)), ("unseen", style.colour(1)))):
        est = np.array([intervals[m][split].estimate for m in methods])
        low = np.array([intervals[m][split].low for m in methods])
        high = np.array([intervals[m][split].high for m in methods])
        ax.bar(x + (k - 0.5) * 0.38, est, 0.38, color=colour, label=f"{split} classes")
        ax.errorbar(
            x + (k - 0.5) * 0.38, est, yerr=[est - low, high - est], fmt="none", ecolor=style.INK
        )
    ax.set_xticks(x, methods, fontsize=8)
    ax.set_ylabel("mIoU (true foreground given)")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
