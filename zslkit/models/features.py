"""Image and text features of a frozen backbone, with an explicit on-disk cache.

Most methods of the book work on frozen features, so images go through the
image encoder once: :func:`extract_features` caches its result under
``zslkit.paths.cache_dir() / "features"``, in a file named by the SHA-256 of
a canonical JSON *key* that lists everything that changes the result: the
backbone and its weights, the dataset with its split and options, the image
transform, the numerical precision. :func:`cache_key_for` shows a reader
that key and :func:`cache_path` where it lives. Files are written atomically
and carry a checksum; a corrupted or truncated file is rebuilt, with a warning.

On a GPU the encoders run as the reference evaluator (CLIP_benchmark) runs
them: under ``torch.autocast`` in float16 (``precision="auto"``; ``"bf16"``
on request), with 4 data-loader workers and pinned memory; outputs are
float32 whatever the precision. On the CPU the default stays float32 with
no workers.

Taught in: notebooks/20_prompt_ensembling.ipynb (and every notebook that uses frozen features).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range, resolve_device
from zslkit.paths import cache_dir

CACHE_FORMAT = 1
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
logger = logging.getLogger(__name__)


def resolve_precision(precision: str, device: str) -> str:
    """The precision the encoders run in on ``device``: ``"fp32"``, ``"bf16"`` or ``"fp16"``.

    Parameters
    ----------
    precision : ``"auto"`` (``"fp16"`` on ``"cuda"``, as CLIP_benchmark's
        default autocast; ``"fp32"`` on the CPU), ``"fp32"``, ``"bf16"`` or
        ``"fp16"``. ``"bf16"`` runs on the CPU too, but only when asked;
        ``"fp16"`` needs CUDA.
    device : a resolved device, ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    ValueError : an unknown ``precision``, or ``"fp16"`` on the CPU.
    """
    check_choice("precision", precision, PRECISIONS)
    if precision == "auto":
        return "fp16" if device == "cuda" else "fp32"
    if precision == "fp16" and device != "cuda":
        raise ValueError(
            f"precision='fp16' needs device='cuda' (got device={device!r}); "
            "on the CPU choose one of: 'fp32', 'bf16'"
        )
    return precision


def autocast_context(device: str, precision: str):
    """The context the encoders run in: ``torch.autocast(device, dtype)`` for ``"bf16"`` /
    ``"fp16"``, no autocast for ``"fp32"`` (``precision`` as :func:`resolve_precision` returns it).
    """
    check_choice("precision", precision, PRECISIONS[1:])
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, dtype=_AUTOCAST_DTYPES[precision])


def default_num_workers(device: str) -> int:
    """Data-loader workers by default: 4 on ``"cuda"`` (CLIP_benchmark's default, at most the
    CPUs this process may use), 0 on the CPU (the encoder already uses every core)."""
    if device != "cuda":
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def _describe_transform(transform: Any) -> str | None:
    """``repr`` of a transform without memory addresses, so the key is the same in every process."""
    if transform is None:
        return None
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(transform))


def cache_key_for(
    model: Any = None, dataset: Any = None, extra: dict | None = None, precision: str = "fp32"
) -> dict:
    """The cache key of the features of ``model`` on ``dataset``.

    Parameters
    ----------
    model : a backbone from :func:`zslkit.models.backbones.load_backbone`; its
        ``zslkit_id`` names the architecture and weights (tag, or checkpoint hash).
    dataset : a dataset from :func:`zslkit.data.datasets.load_dataset`; its
        ``cache_id`` names the data (name, split, variant, n_per_class, seed,
        classes, ...) and its ``transform`` is part of the key.
    extra : anything else that changes the features (merged in).
    precision : ``"fp32"``, ``"bf16"`` or ``"fp16"`` (resolved, see
        :func:`resolve_precision`). Features of two precisions never share an
        entry: ``"bf16"`` and ``"fp16"`` add ``"precision"`` to the key;
        ``"fp32"`` adds nothing, so float32 keys stay those of earlier
        versions (and their cached files valid).

    Returns
    -------
    dict, JSON-serialisable. ``"backbone"`` or ``"dataset"`` is ``None`` when
    the object does not identify itself (e.g. random weights); such features
    are cached only if ``extra`` is given.
    """
    check_choice("precision", precision, PRECISIONS[1:])
    key: dict[str, Any] = {"format": CACHE_FORMAT}
    key["backbone"] = getattr(model, "zslkit_id", None)
    key["dataset"] = getattr(dataset, "cache_id", None)
    key["transform"] = _describe_transform(getattr(dataset, "transform", None))
    key["n"] = None if dataset is None else len(dataset)
    if extra:
        key.update(extra)
    key.pop("precision", None)  # set here only, never by extra
    if precision != "fp32":
        key["precision"] = precision
    return key


def canonical_json(key: dict) -> str:
    """The key as canonical JSON: sorted keys, no spaces (the text that is hashed)."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)


def key_hash(key: dict) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``key``."""
    return hashlib.sha256(canonical_json(key).encode("utf-8")).hexdigest()


def cache_path(key: dict) -> Path:
    """Where the features of ``key`` are cached: ``cache_dir()/features/<sha256>.pt``."""
    return cache_dir() / "features" / f"{key_hash(key)}.pt"


def _checksum(image_features: torch.Tensor, labels: torch.Tensor) -> str:
    digest = hashlib.sha256()
    digest.update(image_features.contiguous().numpy().tobytes())
    digest.update(labels.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _save(
    path: Path, key: dict, image_features: torch.Tensor, labels: torch.Tensor, seconds: float
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "key": canonical_json(key),
        "shape": list(image_features.shape),
        "sha256": _checksum(image_features, labels),
        "seconds": float(seconds),
        "image_features": image_features,
        "labels": labels,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_cached(key: dict) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The cached ``(image_features, labels)`` of ``key``, or ``None`` if absent or invalid.

    A file that cannot be read, or whose key, shapes or checksum do not
    match, is reported with a warning and treated as absent.
    """
    path = cache_path(key)
    if not path.is_file():
        return None
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
        image_features, labels = record["image_features"], record["labels"]
        problems = []
        if record["key"] != canonical_json(key):
            problems.append("its key differs")
        if list(image_features.shape) != list(record["shape"]) or labels.shape != (
            image_features.shape[0],
        ):
            problems.append("its shapes differ")
        elif _checksum(image_features, labels) != record["sha256"]:
            problems.append("its checksum differs")
    except Exception as error:  # truncated or corrupted: any unpickling error
        problems = [f"it cannot be read ({type(error).__name__}: {error})"]
    if problems:
        logger.warning("feature cache %s is invalid (%s); rebuilding it", path, "; ".join(problems))
        return None
    return image_features, labels


@torch.no_grad()
def extract_features(
    model: Any,
    dataset: torch.utils.data.Dataset,
    batch_size: int = 256,
    device: str = "cpu",
    cache_key: dict | None = None,
    cache: bool = True,
    progress: bool = True,
    num_workers: int | None = None,
    return_info: bool = False,
    precision: str = "auto",
    pin_memory: bool | None = None,
):
    """Encode every image of ``dataset`` with ``model.encode_image``, cached on disk.

    Parameters
    ----------
    model : an open_clip-style model (``encode_image``), already on ``device``.
    dataset : yields ``(image tensor, label)``; a dataset from
        :func:`zslkit.data.datasets.load_dataset` needs ``transform=preprocess``.
    batch_size, device : how to run the encoder.
    num_workers : data-loader worker processes; ``None``: 4 on ``"cuda"``
        (:func:`default_num_workers`), 0 on the CPU.
    precision : ``"auto"`` (float16 autocast on ``"cuda"``, float32 on the
        CPU), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only); see
        :func:`resolve_precision`. Part of the cache key.
    pin_memory : page-locked batches for faster copies to the GPU;
        ``None``: ``True`` on ``"cuda"``, ``False`` on the CPU.
    cache_key : extra entries for the cache key (see :func:`cache_key_for`);
        needed to cache when the model or dataset does not identify itself.
    cache : read and write the cache (``False``: always recompute, write nothing).
    progress : show a tqdm progress bar.
    return_info : also return a dict with ``seconds`` (wall time of this
        call), ``from_cache``, ``key`` and ``path`` (``None`` when not cached).

    Returns
    -------
    image_features : (n, d) float32 tensor, L2-normalised rows (any precision).
    labels : (n,) int64 tensor.
    info : dict, only with ``return_info=True``.
    """
    from tqdm import tqdm

    check_range("batch_size", batch_size, 1, integer=True)
    if num_workers is not None:
        check_range("num_workers", num_workers, 0, integer=True)
    if pin_memory is not None and not isinstance(pin_memory, bool):
        raise ValueError(
            f"pin_memory={pin_memory!r} is not valid; choose one of: None, True, False"
        )
    check_choice("precision", precision, PRECISIONS)
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    num_workers = default_num_workers(device) if num_workers is None else num_workers
    pin_memory = device == "cuda" if pin_memory is None else pin_memory
    if getattr(dataset, "transform", True) is None:
        raise ValueError(
            "dataset.transform is None: load the dataset with transform=preprocess from load_backbone"
        )
    start = time.perf_counter()
    key = cache_key_for(model, dataset, cache_key, precision=precision)
    cacheable = cache and (
        cache_key is not None or (key["backbone"] is not None and key["dataset"] is not None)
    )
    if cache and not cacheable:
        logger.info(
            "features not cached: the model or dataset does not identify itself; pass cache_key="
        )
    if cacheable:
        cached = load_cached(key)
        if cached is not None:
            info = {
                "seconds": time.perf_counter() - start,
                "from_cache": True,
                "key": key,
                "path": cache_path(key),
            }
            return (*cached, info) if return_info else cached

    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=pin_memory,
    )
    chunks, label_chunks = [], []
    for images, labels in tqdm(loader, desc="image features", disable=not progress, leave=False):
        with autocast_context(device, precision):
            features = model.encode_image(images.to(device, non_blocking=pin_memory))
        chunks.append(F.normalize(features.float(), dim=-1).cpu())
        label_chunks.append(torch.as_tensor(labels, dtype=torch.int64))
    if was_training:
        model.train()
    image_features = torch.cat(chunks) if chunks else torch.zeros(0, 0)
    labels = torch.cat(label_chunks) if label_chunks else torch.zeros(0, dtype=torch.int64)
    seconds = time.perf_counter() - start
    path = None
    if cacheable:
        path = cache_path(key)
        _save(path, key, image_features, labels, seconds)
    info = {"seconds": seconds, "from_cache": False, "key": key, "path": path}
    return (image_features, labels, info) if return_info else (image_features, labels)


def pocket_features(
    model: Any,
    transform: Callable,
    split: str = "test",
    classes: str | Sequence[str] = "all",
    *,
    batch_size: int = 256,
    device: str = "cpu",
    numpy: bool = False,
    return_info: bool = False,
    **pocket_options: Any,
):
    """Image features of a pocket-world dataset: :func:`zslkit.data.datasets.load_dataset`
    (``"pocket"``) followed by :func:`extract_features`, cached, without a progress bar.

    Parameters
    ----------
    model, transform : the model and ``preprocess`` of
        :func:`zslkit.models.backbones.load_backbone`.
    split : ``"train"``, ``"val"`` or ``"test"``.
    classes : ``"all"``, ``"seen"``, ``"unseen"`` or a list of class names.
    batch_size, device : how to run the encoder.
    numpy : return numpy arrays instead of tensors.
    return_info : also return :func:`extract_features`'s info dict
        (``seconds``, ``from_cache``, ``key``, ``path``).
    **pocket_options : the pocket dataset's other options: ``variant``,
        ``n_per_class``, ``seed``, ``split_name``, ``size``.

    Returns
    -------
    image_features : (n, d) float32, L2-normalised rows.
    labels : (n,) int64, indexing the dataset's ``class_names``.
    info : dict, only with ``return_info=True``.

    Taught in: notebooks/00_what_is_zero_shot.ipynb, notebooks/01_pocket_world.ipynb.
    """
    from zslkit.data.datasets import load_dataset

    data = load_dataset(
        "pocket", split=split, classes=classes, transform=transform, **pocket_options
    )
    out = extract_features(
        model,
        data,
        batch_size=batch_size,
        device=device,
        progress=False,
        return_info=return_info,
    )
    if numpy:
        out = (out[0].numpy(), out[1].numpy(), *out[2:])
    return out


@torch.no_grad()
def encode_text(
    model: Any,
    tokenizer: Callable,
    texts: Sequence[str],
    batch_size: int = 256,
    device: str = "cpu",
    progress: bool = False,
    precision: str = "auto",
) -> torch.Tensor:
    """Encode ``texts`` with ``model.encode_text``.

    Parameters
    ----------
    precision : ``"auto"`` (float16 autocast on ``"cuda"``, float32 on the
        CPU), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only); see
        :func:`resolve_precision`.

    Returns
    -------
    text_features : (len(texts), d) float32 tensor on the CPU, L2-normalised rows.
    """
    from tqdm import tqdm

    check_range("batch_size", batch_size, 1, integer=True)
    check_choice("precision", precision, PRECISIONS)
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    texts = list(texts)
    chunks = []
    for i in tqdm(
        range(0, len(texts), batch_size), desc="text features", disable=not progress, leave=False
    ):
        tokens = tokenizer(texts[i : i + batch_size]).to(device)
        with autocast_context(device, precision):
            features = model.encode_text(tokens)
        chunks.append(F.normalize(features.float(), dim=-1).cpu())
    return torch.cat(chunks) if chunks else torch.zeros(0, 0)
