"""One registry of image-text backbones, each returned as open_clip's triple.

``load_backbone(name, pretrained)`` gives ``(model, preprocess, tokenizer)``:

* ``"toyclip"`` - the project's pocket CLIP, trained from scratch on
  photos of the pocket world and shipped in ``data/checkpoints/toyclip.pt``;
* ``"toyclip2"`` - the same architecture trained on the pocket web
  (:mod:`zslkit.data.web`: several domains and photo contexts that the
  captions name), shipped in ``data/checkpoints/toyclip2.pt``;
* any open_clip architecture (``open_clip.list_models()``: ``"ViT-B-32"``,
  ``"RN50"``, ...) with ``pretrained`` an open_clip tag (``"openai"``,
  ``"laion2b_s34b_b79k"``), a local checkpoint file, or ``None`` / ``"none"``
  for random weights.

Named tags resolve the way open_clip resolves them (the Hugging Face hub
first, else the tag's URL), but the local caches are looked at first: a
cached tag loads without touching the network, and a tag that is not cached
while the network is unreachable fails at once with a message saying how to
provide the weights, instead of after a minute of retries.

Taught in: notebooks/20_prompt_ensembling.ipynb (and every Part II notebook).
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

from zslkit.checks import resolve_device

BACKBONES: dict[str, str] = {
    "toyclip": "pocket CLIP trained from scratch on the pocket world (ships with the project)",
    "toyclip2": "pocket CLIP trained on the pocket web: domains and contexts in the captions",
    "ViT-B-32": "open_clip ViT-B/32; tags e.g. 'openai', 'laion2b_s34b_b79k'",
    "ViT-B-16": "open_clip ViT-B/16; tags e.g. 'openai', 'laion2b_s34b_b88k'",
    "RN50": "open_clip ResNet-50; tags e.g. 'openai', 'yfcc15m'",
    "ViT-L-14": "open_clip ViT-L/14; tags e.g. 'openai', 'laion2b_s32b_b82k'",
}
"""Backbones the book uses, with a one-line note. Any open_clip architecture also works."""

TOYCLIPS = ("toyclip", "toyclip2")
"""The project's own backbones (one architecture, two pretraining corpora)."""

OFFLINE_ENV_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
PROBE_TIMEOUT_S = 1.5
_RANDOM_INIT = (None, "", "none", "random")


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights were asked for by tag, are not cached, and cannot be downloaded."""


def list_backbones() -> list[str]:
    """Every name :func:`load_backbone` accepts: the ToyCLIPs, then open_clip's architectures."""
    import open_clip

    return list(TOYCLIPS) + list(open_clip.list_models())


def load_backbone(
    name: str = "toyclip",
    pretrained: str | None = None,
    device: str = "cpu",
    cache_dir: str | os.PathLike | None = None,
) -> tuple[Any, Callable, Callable]:
    """Load an image-text model as open_clip's ``(model, preprocess, tokenizer)``.

    Parameters
    ----------
    name : ``"toyclip"``, ``"toyclip2"`` or an open_clip architecture
        (``open_clip.list_models()``).
    pretrained : for open_clip architectures: a tag (``"openai"``), a local
        checkpoint path, or ``None`` / ``"none"`` for random weights. For
        the ToyCLIPs: ``None`` (the shipped checkpoint) or a checkpoint path.
    device : ``"cpu"``, ``"cuda"`` or ``"auto"``.
    cache_dir : where open_clip keeps downloaded weights; ``None`` uses the
        defaults (the Hugging Face hub cache, ``~/.cache/clip`` for URLs).

    Returns
    -------
    model : ``torch.nn.Module`` in eval mode, with ``encode_image`` /
        ``encode_text``. ``model.zslkit_id`` names the backbone and its weights
        (used by the feature cache; ``None`` for random weights).
    preprocess : PIL image -> (3, H, W) float tensor (open_clip's eval transform).
    tokenizer : list of strings -> (n, context_length) int tensor.

    Raises
    ------
    ValueError : an unknown ``name`` or a tag that the architecture does not have.
    FileNotFoundError : a checkpoint path (or ToyCLIP's checkpoint) that does not exist.
    WeightsUnavailableError : a tag that is not cached while offline (within a
        few seconds, never after download retries).
    """
    import open_clip

    device = resolve_device(device)
    if not isinstance(name, str):
        raise ValueError(
            f"name={name!r} must be a string; choose 'toyclip' or an open_clip architecture"
        )
    if name.lower() in TOYCLIPS:
        return _load_toyclip(pretrained, device, name.lower())
    if name not in open_clip.list_models():
        raise ValueError(
            f"name={name!r} is not a known backbone; choose one of {list(BACKBONES)} "
            "or any open_clip architecture (full list: zslkit.models.backbones.list_backbones())"
        )

    kwargs: dict[str, Any] = {}
    if pretrained is None or str(pretrained).lower() in _RANDOM_INIT:
        checkpoint, weights_id = None, None
    elif open_clip.is_pretrained_cfg(name, pretrained):
        cfg = open_clip.get_pretrained_cfg(name, pretrained)
        checkpoint = cached_weights(cfg, cache_dir)
        if checkpoint is None:
            host = _download_host(cfg)
            if is_offline(host):
                raise WeightsUnavailableError(_offline_message(name, pretrained, cfg, cache_dir))
            checkpoint = pretrained  # online: let open_clip download it as usual
        else:
            # Loading a cached file by path skips the tag's preprocessing
            # settings, so pass them on explicitly.
            kwargs = {
                f"image_{k}": cfg[k]
                for k in ("mean", "std", "interpolation", "resize_mode")
                if cfg.get(k) is not None
            }
        weights_id = {"tag": pretrained.lower().replace("-", "_")}
    elif os.path.isfile(pretrained):
        checkpoint = str(pretrained)
        weights_id = file_id(pretrained)
    else:
        tags = open_clip.list_pretrained_tags_by_model(name)
        if os.sep in str(pretrained) or str(pretrained).endswith(
            (".pt", ".pth", ".bin", ".safetensors")
        ):
            raise FileNotFoundError(f"pretrained={pretrained!r}: no such checkpoint file")
        raise ValueError(
            f"pretrained={pretrained!r} is neither an open_clip tag of {name} nor a local file; "
            f"choose one of {tags}, a checkpoint path, or None for random weights"
        )

    model, _, preprocess = open_clip.create_model_and_transforms(
        name,
        pretrained=checkpoint,
        device=device,
        cache_dir=None if cache_dir is None else str(cache_dir),
        **kwargs,
    )
    model.eval()
    model.zslkit_id = None if weights_id is None else {"backbone": name, "weights": weights_id}
    return model, preprocess, open_clip.get_tokenizer(name)


def _load_toyclip(
    pretrained: str | None, device: str, name: str = "toyclip"
) -> tuple[Any, Callable, Callable]:
    import open_clip

    from zslkit.models import toyclip

    toyclip.register()
    shipped = toyclip.CHECKPOINT2 if name == "toyclip2" else toyclip.CHECKPOINT
    path = Path(shipped if pretrained is None else pretrained)
    if not path.is_file():
        raise FileNotFoundError(
            f"{name} checkpoint not found at {path}; it ships with the project "
            f"(data/checkpoints/{shipped.name}) and can be retrained with zslkit.lab.toyclip"
        )
    model, _, preprocess = open_clip.create_model_and_transforms(
        "ToyCLIP", pretrained=str(path), device=device
    )
    model.eval()
    model.zslkit_id = {"backbone": name, "weights": file_id(path)}
    return model, preprocess, open_clip.get_tokenizer("ToyCLIP")


def file_id(path: str | os.PathLike, hash_limit: int = 256 * 2**20) -> dict[str, Any]:
    """Identify a checkpoint file: its SHA-256 if under ``hash_limit`` bytes, else path, size and mtime."""
    path = Path(path).resolve()
    stat = path.stat()
    if stat.st_size <= hash_limit:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(2**20), b""):
                digest.update(block)
        return {"sha256": digest.hexdigest()}
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cached_weights(cfg: dict, cache_dir: str | os.PathLike | None = None) -> str | None:
    """The local file holding a tag's weights, or ``None`` if not cached.

    Looks where open_clip's download functions would put it: the Hugging Face
    hub cache (``cache_dir`` or ``HF_HUB_CACHE``) for ``cfg["hf_hub"]``, with
    its safetensors alternative, and ``cache_dir`` or ``~/.cache/clip`` for
    ``cfg["url"]``.
    """
    if cfg.get("file"):
        return cfg["file"] if os.path.isfile(cfg["file"]) else None
    if cfg.get("hf_hub"):
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            try_to_load_from_cache = None
        if try_to_load_from_cache is not None:
            for repo_id, filename in _hf_candidates(cfg["hf_hub"]):
                found = try_to_load_from_cache(
                    repo_id, filename, cache_dir=None if cache_dir is None else str(cache_dir)
                )
                if isinstance(found, str) and os.path.isfile(found):
                    return found
    if cfg.get("url"):
        folder = Path(cache_dir) if cache_dir else Path("~/.cache/clip").expanduser()
        target = folder / os.path.basename(urllib.parse.urlparse(cfg["url"]).path)
        if target.is_file():
            return str(target)
    return None


def _hf_candidates(hf_hub: str) -> list[tuple[str, str]]:
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    repo_id, filename = os.path.split(hf_hub)  # "org/repo/" -> ("org/repo", "")
    filename = filename or HF_WEIGHTS_NAME
    names = [filename]
    if filename == HF_WEIGHTS_NAME:
        names.insert(0, HF_SAFE_WEIGHTS_NAME)
    elif filename.endswith((".bin", ".pth")):
        names.insert(0, filename[:-4] + ".safetensors")
    return [(repo_id, n) for n in names]


def _download_host(cfg: dict) -> str:
    if cfg.get("hf_hub"):
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        return urllib.parse.urlparse(endpoint).hostname or "huggingface.co"
    return urllib.parse.urlparse(cfg.get("url", "")).hostname or "huggingface.co"


def is_offline(
    host: str = "huggingface.co", port: int = 443, timeout: float = PROBE_TIMEOUT_S
) -> bool:
    """True when downloads cannot work: ``HF_HUB_OFFLINE=1`` is set, or ``host`` is unreachable.

    The probe opens one TCP connection (to the HTTPS proxy when one is set)
    and gives up after ``timeout`` seconds, name lookup included.
    """
    for var in OFFLINE_ENV_VARS:
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(host):
        parsed = urllib.parse.urlparse(proxy if "://" in proxy else "http://" + proxy)
        return not can_connect(parsed.hostname or host, parsed.port or 8080, timeout, tls=False)
    return not can_connect(host, port, timeout)


def can_connect(host: str, port: int, timeout: float = PROBE_TIMEOUT_S, tls: bool = True) -> bool:
    """Whether ``host:port`` answers within ``timeout`` seconds, name lookup included.

    With ``tls`` the probe also completes a verified TLS handshake, so a
    firewall that accepts every TCP connection does not pass for the internet.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                if tls:
                    context = ssl.create_default_context()
                    with context.wrap_socket(sock, server_hostname=host):
                        pass
                result.append(True)
        except (OSError, ssl.SSLError):
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.25)
    return bool(result and result[0])


def _offline_message(name: str, tag: str, cfg: dict, cache_dir) -> str:
    where = []
    if cfg.get("hf_hub"):
        try:
            from huggingface_hub import constants

            hub_cache = cache_dir or constants.HF_HUB_CACHE
        except ImportError:
            hub_cache = cache_dir or "~/.cache/huggingface/hub"
        repo_id, filename = _hf_candidates(cfg["hf_hub"])[-1]
        where.append(f"the Hugging Face hub cache {hub_cache} (repo {repo_id}, file {filename})")
    if cfg.get("url"):
        folder = cache_dir or "~/.cache/clip"
        where.append(f"{folder}/{os.path.basename(cfg['url'])} (from {cfg['url']})")
    return (
        f"Weights for {name} pretrained={tag!r} are not in the local cache and the network is "
        f"unreachable (or HF_HUB_OFFLINE=1). Looked in: {'; '.join(where)}. To provide them: "
        f"pass a local checkpoint file as pretrained='/path/to/weights.pt'; or copy them into that "
        f"cache on a machine with internet (e.g. run load_backbone({name!r}, {tag!r}) there and copy "
        f"the cache folder); or, when online, unset HF_HUB_OFFLINE (or set HF_HUB_OFFLINE=0) and retry."
    )
