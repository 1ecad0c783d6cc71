"""The pocket world: a rendered, compositional image world with captions.

An object has four attributes: a colour, a shape, a pattern and a size.
A *task* names the attributes that make up a class: in the default task
``"colour_shape"`` the 64 classes are ``"red circle"``, ``"red square"``, ...
and pattern and size vary inside each class as nuisance. Everything is
rendered on the fly with numpy, deterministically for a seed, in four
domain variants (``photo``, ``sketch``, ``noisy``, ``background``, after
ImageNet / -Sketch / -C / unusual backgrounds). The world also gives a
class-attribute matrix (like AwA's predicate matrix), a metric between
classes, captions from varied templates with a knob for how often pattern
and size are mentioned, a pretraining set with a concept-frequency knob,
short clips of moving objects, and versioned seen / unseen splits
(``data/splits/pocket_<name>.json``).

Taught in: notebooks/01_pocket_world.ipynb
"""

from __future__ import annotations

import itertools
import json
import re
from functools import lru_cache
from typing import Mapping, Sequence, Union

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.paths import data_dir

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "colour": ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "white"),
    "shape": ("circle", "square", "triangle", "diamond", "cross", "star", "heart", "ring"),
    "pattern": ("solid", "striped", "dotted", "checked"),
    "size": ("small", "large"),
}
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "orange": (245, 135, 20),
    "yellow": (240, 215, 40),
    "green": (40, 165, 55),
    "cyan": (40, 205, 215),
    "blue": (35, 70, 215),
    "purple": (140, 45, 175),
    "white": (240, 240, 240),
}
VARIANTS = ("photo", "sketch", "noisy", "background")
TASKS = (
    "colour_shape",
    "colour_shape_pattern",
    "colour_shape_size",
    "shape_pattern",
    "colour_shape_pattern_size",
)
ACTIONS = (
    "moving left",
    "moving right",
    "moving up",
    "moving down",
    "rotating clockwise",
    "rotating anticlockwise",
    "growing",
    "shrinking",
)
# Direction of each action along its path: +x is right, +y is down, a growing
# angle turns clockwise on screen, a growing radius grows.
_ACTION_SIGN = {
    "moving left": -1.0,
    "moving right": 1.0,
    "moving up": -1.0,
    "moving down": 1.0,
    "rotating clockwise": 1.0,
    "rotating anticlockwise": -1.0,
    "growing": 1.0,
    "shrinking": -1.0,
}
# How often a pretraining caption names each attribute (see captions()).
MENTION_PROB = {"colour": 0.8, "shape": 0.8, "pattern": 0.1, "size": 0.1}
# English adjective order used in class names and captions.
WORD_ORDER = ("size", "colour", "pattern", "shape")
_VALUE_TO_ATTRIBUTE = {v: a for a, values in ATTRIBUTES.items() for v in values}
_PALETTE = np.array([COLOUR_RGB[c] for c in ATTRIBUTES["colour"]], dtype=np.float32)
_OFF_PALETTE_DISTANCE = 80.0  # an off-palette colour is this far (RGB) from every named colour
_SUPERSAMPLE = 2
_CHUNK = 512
_RADIUS = {"small": 0.24, "large": 0.36}  # object radius as a fraction of the image size
_MAX_SHIFT = 0.3  # how far an object may sit off-centre, as a fraction of the free margin
_MAX_ROTATION = np.pi / 15  # objects are turned by up to +-12 degrees
_PATTERN_SHADE = 0.6  # brightness of the pattern's marks relative to the object colour
# Seen / unseen splits: task, unseen classes per value of the first attribute, seed.
_SPLIT_SPECS = {"default": {"task": "colour_shape", "unseen_per_value": 2, "seed": 0}}
_SPLIT_VERSION = 1

ClassOrAttributes = Union[str, Mapping[str, str]]


# --------------------------------------------------------------------------
# Tasks, classes and attributes
# --------------------------------------------------------------------------
def task_attributes(task: str = "colour_shape") -> tuple[str, ...]:
    """The attributes that make up a class of ``task``, e.g. ``("colour", "shape")``."""
    check_choice("task", task, TASKS)
    return tuple(task.split("_"))


def _phrase(attrs: Mapping[str, str]) -> str:
    return " ".join(attrs[a] for a in WORD_ORDER if a in attrs)


def class_names(task: str = "colour_shape") -> list[str]:
    """All class names of ``task`` in canonical order.

    The order is the product of the task's attribute values, the first
    attribute outermost: ``["red circle", "red square", ..., "white ring"]``.
    """
    attrs = task_attributes(task)
    return [
        _phrase(dict(zip(attrs, combo)))
        for combo in itertools.product(*(ATTRIBUTES[a] for a in attrs))
    ]


def class_attributes(class_name: str, task: str = "colour_shape") -> dict[str, str]:
    """Parse a class name of ``task`` into ``{attribute: value}``.

    >>> class_attributes("red circle")
    {'colour': 'red', 'shape': 'circle'}
    """
    attrs = task_attributes(task)
    words = class_name.split()
    parsed = {_VALUE_TO_ATTRIBUTE.get(w): w for w in words}
    if (
        None in parsed
        or set(parsed) != set(attrs)
        or len(words) != len(attrs)
        or _phrase(parsed) != class_name
    ):
        raise ValueError(
            f"class_name={class_name!r} is not a class of task {task!r}; "
            f"classes look like {class_names(task)[:3]} (attributes {list(attrs)} in the order {list(WORD_ORDER)})"
        )
    return {a: parsed[a] for a in attrs}


def _check_classes(names: Sequence[str], task: str) -> list[dict[str, str]]:
    if isinstance(names, str) or len(names) == 0:
        raise ValueError(f"class_names must be a non-empty list of class names, got {names!r}")
    return [class_attributes(c, task) for c in names]


def attribute_names(task: str = "colour_shape") -> list[str]:
    """Columns of :func:`attribute_matrix`: every value of every attribute of ``task``."""
    return [v for a in task_attributes(task) for v in ATTRIBUTES[a]]


def attribute_matrix(class_names: Sequence[str], task: str = "colour_shape") -> np.ndarray:
    """The class-attribute matrix (like AwA's predicate matrix).

    Returns
    -------
    (n_classes, n_attribute_values) float array of 0/1: one one-hot block per
    attribute of ``task``; columns are :func:`attribute_names`.
    """
    parsed = _check_classes(class_names, task)
    columns = {v: j for j, v in enumerate(attribute_names(task))}
    matrix = np.zeros((len(parsed), len(columns)))
    for i, attrs in enumerate(parsed):
        for value in attrs.values():
            matrix[i, columns[value]] = 1.0
    return matrix


def shares_attribute(guesses: Sequence[str], truths: Sequence[str], task: str = "colour_shape"):
    """Whether each guessed class shares at least one attribute value with its true class.

    guesses, truths : class names, one pair per test image.
    Returns a (n,) bool array. Taught in: notebooks/00_what_is_zero_shot.ipynb.
    """
    if len(guesses) != len(truths):
        raise ValueError(f"{len(guesses)} guesses for {len(truths)} truths: give one each")
    a, b = attribute_matrix(guesses, task), attribute_matrix(truths, task)
    return (a * b).sum(axis=1) > 0


def chance_of_sharing(
    candidates: Sequence[str], truths: Sequence[str], task: str = "colour_shape"
) -> float:
    """How often a uniformly random guess among ``candidates`` shares an attribute with the truth.

    The mean over ``truths`` (one per test image) of the fraction of
    candidate classes that share at least one attribute value with it: the
    chance baseline of :func:`shares_attribute`. Taught in:
    notebooks/00_what_is_zero_shot.ipynb.
    """
    a, b = attribute_matrix(candidates, task), attribute_matrix(truths, task)
    return float(((b @ a.T) > 0).mean())


def class_distance_matrix(
    class_names: Sequence[str],
    task: str = "colour_shape",
    colour_metric: str = "hamming",
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """A metric between classes: the weighted count of attributes that differ.

    ``d(a, b) = sum_k w_k d_k(a_k, b_k)`` over the attributes of ``task``, where
    ``d_k`` is 0/1 (differs or not). With ``colour_metric="rgb"`` the colour
    term is instead the Euclidean distance between the two RGB colours
    divided by the largest such distance in the palette, in (0, 1]. A
    positive sum of metrics is a metric.

    Returns
    -------
    (n, n) float array, symmetric, zero on the diagonal.
    """
    check_choice("colour_metric", colour_metric, ["hamming", "rgb"])
    parsed = _check_classes(class_names, task)
    weights = dict(weights or {})
    for a, w in weights.items():
        check_choice("weights key", a, task_attributes(task))
        check_range(f"weights[{a!r}]", w, low=1e-12)
    n = len(parsed)
    dist = np.zeros((n, n))
    for a in task_attributes(task):
        values = np.array([p[a] for p in parsed])
        if a == "colour" and colour_metric == "rgb":
            rgb = np.array([COLOUR_RGB[v] for v in values], dtype=float)
            palette = np.array(list(COLOUR_RGB.values()), dtype=float)
            scale = np.max(np.linalg.norm(palette[:, None] - palette[None], axis=-1))
            term = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1) / scale
        else:
            term = (values[:, None] != values[None]).astype(float)
        dist += weights.get(a, 1.0) * term
    return dist


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------
def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside-test of a unit-radius shape in object coordinates (u right, v down)."""
    r2 = u * u + v * v
    if shape == "circle":
        return r2 <= 1.0
    if shape == "ring":
        return (r2 <= 1.0) & (r2 >= 0.5**2)
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= 1.05
    if shape == "cross":
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 0.95)) | ((av <= 0.3) & (au <= 0.95))
    if shape == "triangle":
        big = 1.15  # circumradius; shifted so the triangle's box is centred
        w = v - big / 4
        half = big / 2
        return (w <= half) & (-0.866 * u - 0.5 * w <= half) & (0.866 * u - 0.5 * w <= half)
    if shape == "star":
        phase = np.mod(np.arctan2(v, u) + np.pi / 2, 2 * np.pi / 5) / (2 * np.pi / 5)
        tip = np.abs(phase - 0.5) * 2  # 1 at a tip, 0 between tips
        return np.sqrt(r2) <= 0.42 + 0.63 * tip**1.5
    if shape == "heart":
        x = u * 1.2
        y = -v * 1.2 + 0.15
        return (x * x + y * y - 1) ** 3 - x * x * y**3 <= 0
    raise ValueError(f"shape={shape!r} is not valid; choose one of {list(ATTRIBUTES['shape'])}")


def _pattern_mask(pattern: str, up: np.ndarray, vp: np.ndarray) -> np.ndarray:
    """Where the pattern darkens the object; ``up, vp`` in pixels of a 32-px image."""
    if pattern == "solid":
        return np.zeros(up.shape, dtype=bool)
    if pattern == "striped":
        return np.mod((up + vp) / np.sqrt(2.0), 4.0) < 2.0
    if pattern == "dotted":
        du = np.mod(up, 4.0) - 2.0
        dv = np.mod(vp, 4.0) - 2.0
        return du * du + dv * dv <= 1.1**2
    if pattern == "checked":
        return (np.floor(up / 2.6) + np.floor(vp / 2.6)).astype(int) % 2 == 0
    raise ValueError(
        f"pattern={pattern!r} is not valid; choose one of {list(ATTRIBUTES['pattern'])}"
    )


def _grid(size: int) -> np.ndarray:
    """Pixel centres of the supersampled grid, in low-resolution pixels."""
    return ((np.arange(size * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE).astype(np.float32)


def _uniform(rng: np.random.Generator, low, high, n: int, *trailing: int) -> np.ndarray:
    """float32 uniforms of shape (n, 1, 1, ...) ready to broadcast over images."""
    shape = (n,) + (trailing or (1, 1))
    return rng.uniform(low, high, size=shape).astype(np.float32)


def _backgrounds(n: int, variant: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """(n, size, size, 3) float32 backgrounds, 0..255."""
    g = np.arange(size, dtype=np.float32) + 0.5
    xx, yy = g[None, None, :], g[None, :, None]
    if variant == "sketch":
        paper = _uniform(rng, 228, 250, n, 1, 1, 1)
        return np.broadcast_to(paper, (n, size, size, 3)).copy()
    if variant == "background":
        # Clutter: a random 4x4 colour field, smoothly interpolated, plus a grating.
        control = _uniform(rng, 0, 255, n, 4, 4, 3)
        knots = np.linspace(0, size, 4)
        interp = np.stack([np.interp(g, knots, np.eye(4)[k]) for k in range(4)], axis=1).astype(
            np.float32
        )
        rows = np.matmul(interp, control.reshape(n, 4, 12)).reshape(
            n, size, 4, 3
        )  # interpolate down ...
        field = np.matmul(interp, rows)  # ... then across: (n, size, size, 3)
        theta = _uniform(rng, 0, np.pi, n)
        period = _uniform(rng, 3.0, 8.0, n) * (size / 32)
        phase = _uniform(rng, 0, 2 * np.pi, n)
        grating = np.sign(
            np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period + phase)
        )
        amp = _uniform(rng, 15, 45, n)
        return np.clip(field + (amp * grating)[..., None], 0, 255)
    # photo and noisy: a plain, slightly tinted grey with a soft light gradient
    grey = _uniform(rng, 60, 200, n, 1, 1, 1)
    tint = rng.normal(0, 10, size=(n, 1, 1, 3)).astype(np.float32)
    theta = _uniform(rng, 0, 2 * np.pi, n)
    slope = _uniform(rng, -25, 25, n)
    ramp = slope * ((xx - size / 2) * np.cos(theta) + (yy - size / 2) * np.sin(theta)) / size
    return grey + tint + ramp[..., None]


def _downsample(img: np.ndarray) -> np.ndarray:
    """Average _SUPERSAMPLE x _SUPERSAMPLE blocks of (n, S, S) arrays (anti-aliasing)."""
    n, s, _ = img.shape
    k = _SUPERSAMPLE
    return img.reshape(n, s // k, k, s // k, k).mean(axis=(2, 4), dtype=np.float32)


def _blur(img: np.ndarray) -> np.ndarray:
    """Separable [1, 4, 6, 4, 1] / 16 blur over axes 1 and 2 (edges replicated)."""
    kernel = np.array([1, 4, 6, 4, 1], dtype=np.float32) / 16
    for axis in (1, 2):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (2, 2)
        padded = np.pad(img, pad, mode="edge")
        n = img.shape[axis]
        img = sum(kernel[i] * np.take(padded, np.arange(i, i + n), axis=axis) for i in range(5))
    return img


def _render_chunk(
    scene: dict, variant: str, rng: np.random.Generator, size: int, background
) -> np.ndarray:
    """Draw the objects on the supersampled grid, average down, composite at low resolution."""
    n = len(scene["colour"])
    g = _grid(size)
    bg = _backgrounds(n, variant, rng, size) if background is None else background
    dx = g[None, None, :] - scene["cx"][:, None, None]
    dy = g[None, :, None] - scene["cy"][:, None, None]
    cos, sin = np.cos(scene["angle"])[:, None, None], np.sin(scene["angle"])[:, None, None]
    up = cos * dx + sin * dy  # object coordinates in pixels (rotated with the object)
    vp = -sin * dx + cos * dy
    if variant == "sketch":  # a hand-drawn wobble
        freq = _uniform(rng, 0.3, 0.6, n)
        wob = _uniform(rng, 0.2, 0.5, n) * (size / 32)
        shift_u = wob * np.sin(freq * vp + _uniform(rng, 0, 6.3, n))
        shift_v = wob * np.sin(freq * up + _uniform(rng, 0, 6.3, n))
        up, vp = up + shift_u, vp + shift_v
    radius = scene["radius"][:, None, None]
    u, v = up / radius, vp / radius
    scale = np.float32(32.0 / size)
    mask = np.zeros(u.shape, dtype=bool)
    dark = np.zeros(u.shape, dtype=bool)
    for k, shape in enumerate(ATTRIBUTES["shape"]):
        idx = np.flatnonzero(scene["shape"] == k)
        if len(idx):
            mask[idx] = _shape_mask(shape, u[idx], v[idx])
    for k, pattern in enumerate(ATTRIBUTES["pattern"]):
        idx = np.flatnonzero(scene["pattern"] == k)
        if len(idx):
            dark[idx] = _pattern_mask(pattern, up[idx] * scale, vp[idx] * scale)
    rgb = scene["rgb"][:, None, None, :]
    alpha = _downsample(mask.astype(np.float32))[..., None]
    if variant == "sketch":
        # Dark pen outline and pattern marks over a faint colour wash.
        inner = mask.copy()
        for shift in (1, 2):
            for axis in (1, 2):
                for sign in (1, -1):
                    inner &= np.roll(mask, sign * shift, axis=axis)
        marks = _downsample((dark & inner).astype(np.float32))[..., None]
        outline = _downsample((mask & ~inner).astype(np.float32))[..., None]
        pen = _uniform(rng, 20, 70, n, 1, 1, 1)
        img = bg + 0.35 * alpha * (rgb - bg)
        img = img + 0.45 * marks * (pen - img)
        img = img + outline * (pen - img)
    else:
        light = _uniform(rng, 0, 2 * np.pi, n)
        shade = 1.0 + 0.15 * (u * np.cos(light) + v * np.sin(light))
        lum = _downsample(
            np.where(mask, np.where(dark, np.float32(_PATTERN_SHADE), np.float32(1.0)) * shade, 0)
        )[..., None]
        texture = rng.standard_normal(size=(n, size, size, 1), dtype=np.float32) * 4
        img = rgb * lum + alpha * texture + (1 - alpha) * bg
    if variant == "noisy":
        img = _blur(img)
        img = img + 40 * rng.standard_normal(size=img.shape, dtype=np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _render(
    scene: dict, variant: str, rng: np.random.Generator, size: int, background=None
) -> np.ndarray:
    """Render a scene of per-object arrays in chunks; (n, size, size, 3) uint8."""
    n = len(scene["colour"])
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        part = {k: v[start : start + _CHUNK] for k, v in scene.items()}
        bg = None if background is None else background[start : start + _CHUNK]
        out[start : start + _CHUNK] = _render_chunk(part, variant, rng, size, bg)
    return out


def _place(attr_index: dict, rng: np.random.Generator, size: int) -> dict:
    """Random geometry for objects with given attribute indices (arrays of int)."""
    n = len(attr_index["colour"])
    frac = np.array([_RADIUS[s] for s in ATTRIBUTES["size"]])[attr_index["size"]]
    radius = (frac * rng.uniform(0.93, 1.07, size=n) * size).astype(np.float32)
    slack = _MAX_SHIFT * np.maximum(size / 2 - radius - size / 32, 0)
    cx = (size / 2 + rng.uniform(-slack, slack)).astype(np.float32)
    cy = (size / 2 + rng.uniform(-slack, slack)).astype(np.float32)
    angle = rng.uniform(-_MAX_ROTATION, _MAX_ROTATION, size=n).astype(np.float32)
    scene = {a: np.asarray(attr_index[a]) for a in ATTRIBUTES}
    scene.update(cx=cx, cy=cy, radius=radius, angle=angle, rgb=_PALETTE[scene["colour"]])
    return scene


def _attribute_indices(
    parsed: Sequence[Mapping[str, str]], labels: np.ndarray, rng, nuisance_p=None
) -> dict:
    """Per-image attribute indices: class attributes from ``labels``, the rest sampled."""
    n = len(labels)
    index = {}
    for a, values in ATTRIBUTES.items():
        if a in parsed[0]:
            per_class = np.array([values.index(p[a]) for p in parsed])
            index[a] = per_class[labels]
        else:
            p = None if nuisance_p is None else nuisance_p.get(a)
            index[a] = rng.choice(len(values), size=n, p=p)
    return index


def _check_common(variant: str, size: int, seed: int) -> None:
    check_choice("variant", variant, VARIANTS)
    check_range("size", size, 16, 256, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)


def make_images(
    class_names: Sequence[str],
    n_per_class: int,
    variant: str = "photo",
    seed: int = 0,
    task: str = "colour_shape",
    size: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n_per_class`` fresh images of each class.

    Attributes outside the task (e.g. pattern and size for ``"colour_shape"``)
    are drawn uniformly per image; position, rotation, shading, background
    and noise are random. The same arguments give the same images.

    Returns
    -------
    images : (n_classes * n_per_class, size, size, 3) uint8 array
    labels : (n_classes * n_per_class,) int64 array indexing ``class_names``,
        class-major (all images of class 0 first).
    """
    parsed = _check_classes(class_names, task)
    check_range("n_per_class", n_per_class, 1, integer=True)
    _check_common(variant, size, seed)
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(parsed), dtype=np.int64), n_per_class)
    scene = _place(_attribute_indices(parsed, labels, rng), rng, size)
    return _render(scene, variant, rng, size), labels


# --------------------------------------------------------------------------
# Captions and pretraining data
# --------------------------------------------------------------------------
class Template:
    """A caption template such as ``"a photo of a {}."``, callable on a phrase.

    Calling it fills in the phrase and turns "a" before a vowel into "an"
    (``"an orange circle"``). open_clip's ``build_zero_shot_classifier``
    accepts these callables as templates; ``str(t)`` is the template text.
    """

    def __init__(self, text: str):
        self.text = text

    def __call__(self, phrase: str) -> str:
        return re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", self.text.format(phrase))

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other) -> bool:
        return isinstance(other, Template) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


@lru_cache(maxsize=None)
def _template_file() -> dict:
    with open(data_dir() / "templates" / "pocket.json", encoding="utf-8") as f:
        return json.load(f)


def templates(kind: str = "zeroshot") -> list[Template]:
    """Caption templates from ``data/templates/pocket.json``.

    ``kind="zeroshot"``: the 5-template ensemble for zero-shot classifiers;
    ``kind="captions"``: the 12 varied templates pretraining captions use.
    """
    check_choice("kind", kind, ["zeroshot", "captions"])
    return [Template(t) for t in _template_file()[kind]]


def _mention_probabilities(mention_prob) -> dict[str, float]:
    probs = dict(MENTION_PROB)
    if isinstance(mention_prob, Mapping):
        for a, p in mention_prob.items():
            check_choice("mention_prob key", a, list(ATTRIBUTES))
            check_range(f"mention_prob[{a!r}]", p, 0.0, 1.0)
            probs[a] = float(p)
    else:
        check_range("mention_prob", mention_prob, 0.0, 1.0)
        probs["pattern"] = probs["size"] = float(mention_prob)
    return probs


def captions(
    objects: Sequence[ClassOrAttributes],
    seed: int = 0,
    mention_prob: float | Mapping[str, float] = MENTION_PROB,
    caption_templates: Sequence[Template | str] | None = None,
) -> list[str]:
    """One caption per object, from varied templates, naming some of its attributes.

    Parameters
    ----------
    objects : sequence of class names (any task, e.g. ``"red circle"``,
        ``"large red striped circle"``) or ``{attribute: value}`` dicts.
    seed : random seed (template choice and which attributes are named).
    mention_prob : probability that a caption names each attribute of the
        object, independently: a dict such as ``MENTION_PROB`` (colour 0.8,
        shape 0.8, pattern 0.1, size 0.1: pretraining rarely describes
        pattern and size), merged onto ``MENTION_PROB``; a float sets the
        probability for pattern and size only. A caption that names neither
        colour nor shape names the shape; one without the shape says
        "shape" (``"a red shape."``). Use ``{a: 1.0 for a in ATTRIBUTES}``
        to name everything the object has.
    caption_templates : templates to draw from (default ``templates("captions")``).

    Returns
    -------
    list of ``len(objects)`` strings, e.g. ``"a photo of a large red striped circle."``
    """
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    probs = _mention_probabilities(mention_prob)
    pool = [
        t if isinstance(t, Template) else Template(t)
        for t in (caption_templates or templates("captions"))
    ]
    rng = np.random.default_rng(seed)
    n = len(objects)
    choice = rng.integers(len(pool), size=n)
    keep = {a: rng.random(n) < probs[a] for a in ATTRIBUTES}
    out = []
    for i, obj in enumerate(objects):
        attrs = (
            obj
            if isinstance(obj, Mapping)
            else {_VALUE_TO_ATTRIBUTE.get(w, "?"): w for w in obj.split()}
        )
        if "?" in attrs or "shape" not in attrs:
            raise ValueError(f"object {obj!r} is not a class name or attribute dict with a shape")
        named = {a: v for a, v in attrs.items() if keep[a][i]}
        if "colour" not in named and "shape" not in named:
            named["shape"] = attrs["shape"]
        phrase = _phrase(named) if "shape" in named else _phrase(named) + " shape"
        out.append(pool[choice[i]](phrase))
    return out


def _split_classes_default(classes, task):
    if classes is None:
        split = load_split("default")
        if split["task"] != task:
            raise ValueError(
                f"classes=None uses the default split of task {split['task']!r}; pass classes for task {task!r}"
            )
        return split["seen"]
    return list(classes)


def pretraining_set(
    n: int,
    classes: Sequence[str] | None = None,
    seed: int = 0,
    concept_frequency: Mapping[str, float] | None = None,
    mention_prob: float | Mapping[str, float] = MENTION_PROB,
    task: str = "colour_shape",
    variant: str = "photo",
    size: int = 32,
    off_palette: float = 0.0,
    return_attributes: bool = False,
):
    """Image-caption pairs for contrastive pretraining, drawn from ``classes``.

    Parameters
    ----------
    n : number of pairs.
    classes : class names of ``task`` to draw from (default: the seen
        classes of the default split).
    seed : random seed.
    concept_frequency : how often each concept appears, as
        ``{value: relative weight}`` for values of ONE attribute, e.g.
        ``{"red": 10, "blue": 0.1}`` (values not listed weigh 1; weight 0
        means never shown). The value of that attribute is drawn for each
        image with probability ``weight / sum(weights)``, then the class
        uniformly among ``classes`` having that value; so the expected
        frequency of each value is exactly proportional to its weight. For
        an attribute outside the task (pattern, size in ``"colour_shape"``)
        the weights set how that nuisance is drawn instead. Used by the
        concept-frequency chapter (accuracy vs log frequency).
    mention_prob : see :func:`captions`.
    task, variant, size : see :func:`make_images`.
    off_palette : fraction of images whose object gets a random colour far
        from every named colour (no word for it, so the caption names the
        shape but no colour; label -1, colour index -1). Such images teach
        shape apart from colour without showing any class's colour.
    return_attributes : also return ``{attribute: (n,) array of value
        indices into ATTRIBUTES[attribute]}`` (-1: off-palette colour);
        :func:`attribute_dicts` turns it into per-image dicts.

    Returns
    -------
    images : (n, size, size, 3) uint8 array
    captions : list of n strings
    labels : (n,) int64 array indexing ``classes`` (-1 for off-palette objects)
    (attributes : dict, if ``return_attributes``)
    """
    check_range("n", n, 1, integer=True)
    check_range("off_palette", off_palette, 0.0, 1.0)
    _check_common(variant, size, seed)
    classes = _split_classes_default(classes, task)
    parsed = _check_classes(classes, task)
    rng = np.random.default_rng(seed)
    labels, nuisance_p = _draw_labels(n, parsed, rng, concept_frequency, task)
    index = _attribute_indices(parsed, labels, rng, nuisance_p)
    scene = _place(index, rng, size)
    off = np.flatnonzero(rng.random(n) < off_palette)
    scene["rgb"][off] = _off_palette_colours(len(off), rng)
    index["colour"][off] = -1
    labels[off] = -1
    images = _render(scene, variant, rng, size)
    texts = captions(
        attribute_dicts(index), seed=int(rng.integers(2**32)), mention_prob=mention_prob
    )
    if return_attributes:
        return images, texts, labels, index
    return images, texts, labels


def _draw_labels(n, parsed, rng, concept_frequency, task):
    """Class labels of ``n`` pretraining objects (and nuisance probabilities), as
    :func:`pretraining_set` draws them."""
    nuisance_p = None
    if concept_frequency:
        attribute, weights = _concept_weights(concept_frequency)
        if attribute in task_attributes(task):
            present = {p[attribute] for p in parsed}
            missing = [
                v for v, w in zip(ATTRIBUTES[attribute], weights) if w > 0 and v not in present
            ]
            if missing:
                raise ValueError(
                    f"concept_frequency gives weight to {missing}, but no class in classes has them"
                )
            values = rng.choice(len(weights), size=n, p=weights / weights.sum())
            by_value = [
                [i for i, p in enumerate(parsed) if p[attribute] == v]
                for v in ATTRIBUTES[attribute]
            ]
            pick = rng.random(n)
            labels = np.array(
                [by_value[k][int(pick[i] * len(by_value[k]))] for i, k in enumerate(values)],
                dtype=np.int64,
            )
        else:
            labels = rng.integers(len(parsed), size=n).astype(np.int64)
            nuisance_p = {attribute: weights / weights.sum()}
    else:
        labels = rng.integers(len(parsed), size=n).astype(np.int64)
    return labels, nuisance_p


def attribute_dicts(attributes: Mapping[str, np.ndarray]) -> list[dict[str, str]]:
    """Per-image ``{attribute: value}`` dicts from ``{attribute: (n,) value indices}``; -1 is left out."""
    n = len(next(iter(attributes.values())))
    return [{a: ATTRIBUTES[a][k[i]] for a, k in attributes.items() if k[i] >= 0} for i in range(n)]


def _off_palette_colours(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) float32 random RGB colours at least _OFF_PALETTE_DISTANCE from every named colour."""
    found = np.zeros((0, 3), dtype=np.float32)
    while len(found) < n:
        candidates = rng.uniform(0, 255, size=(4 * n + 8, 3)).astype(np.float32)
        distance = np.linalg.norm(candidates[:, None] - _PALETTE[None], axis=-1).min(1)
        found = np.concatenate([found, candidates[distance >= _OFF_PALETTE_DISTANCE]])
    return found[:n]


def _concept_weights(concept_frequency: Mapping[str, float]) -> tuple[str, np.ndarray]:
    attributes = set()
    for value, w in concept_frequency.items():
        check_choice("concept_frequency key", value, list(_VALUE_TO_ATTRIBUTE))
        check_range(f"concept_frequency[{value!r}]", w, low=0.0)
        attributes.add(_VALUE_TO_ATTRIBUTE[value])
    if len(attributes) != 1:
        raise ValueError(
            f"concept_frequency must weight values of one attribute, got values of {sorted(attributes)}"
        )
    attribute = attributes.pop()
    weights = np.array([float(concept_frequency.get(v, 1.0)) for v in ATTRIBUTES[attribute]])
    if weights.sum() <= 0:
        raise ValueError("concept_frequency weights must not all be 0")
    return attribute, weights


# --------------------------------------------------------------------------
# Clips
# --------------------------------------------------------------------------
def _clip_draws(group: int, n: int, seed: int, variant: str, size: int) -> dict:
    """Objects, backgrounds and paths shared by the two actions of one group."""
    rng = np.random.default_rng([seed, group])
    if group == 2:  # rotation is invisible on a circle or a ring
        shapes = [
            ATTRIBUTES["shape"].index(s) for s in ATTRIBUTES["shape"] if s not in ("circle", "ring")
        ]
    else:
        shapes = list(range(len(ATTRIBUTES["shape"])))
    return {
        "shape": rng.choice(shapes, size=n),
        "colour": rng.integers(len(ATTRIBUTES["colour"]), size=n),
        "pattern": rng.integers(len(ATTRIBUTES["pattern"]), size=n),
        "radius": rng.uniform(0.15, 0.21, size=(n, 1)) * size,
        "cx": rng.uniform(-1.5, 1.5, size=(n, 1)) + size / 2,
        "cy": rng.uniform(-1.5, 1.5, size=(n, 1)) + size / 2,
        "angle": rng.uniform(-0.3, 0.3, size=(n, 1)),
        "travel": rng.uniform(0.3, 0.42, size=(n, 1)) * size,
        "background": _backgrounds(n, variant, rng, size),
    }


def make_clips(
    n_per_action: int,
    seed: int = 0,
    frames: int = 8,
    size: int = 32,
    variant: str = "photo",
    actions: Sequence[str] = ACTIONS,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Short clips of one object moving, rotating, growing or shrinking.

    Opposite actions (left / right, up / down, clockwise / anticlockwise,
    growing / shrinking) show the same objects on the same backgrounds along
    the same paths, played in opposite directions: the i-th "moving left"
    clip is the i-th "moving right" clip backwards (up to pixel noise). So
    a clip's average frame carries no information about the direction; only
    the order of the frames does.

    Returns
    -------
    clips : (n_actions * n_per_action, frames, size, size, 3) uint8 array
    labels : (n_actions * n_per_action,) int64 array indexing ``action_names``, action-major
    action_names : list of str, e.g. ``"moving left"``
    """
    check_range("n_per_action", n_per_action, 1, integer=True)
    check_range("frames", frames, 2, 64, integer=True)
    _check_common(variant, size, seed)
    actions = list(actions)
    for a in actions:
        check_choice("action", a, ACTIONS)
    n = len(actions) * n_per_action
    labels = np.repeat(np.arange(len(actions), dtype=np.int64), n_per_action)
    t = np.linspace(-0.5, 0.5, frames)[None, :]  # (1, T): time, centred
    parts = []
    for action in actions:
        group = ACTIONS.index(action) // 2  # actions come in opposite pairs
        d = _clip_draws(group, n_per_action, seed, variant, size)
        path = _ACTION_SIGN[action] * t
        ones = np.ones_like(t)
        cx, cy, angle, radius = (
            d["cx"] * ones,
            d["cy"] * ones,
            d["angle"] * ones,
            d["radius"] * ones,
        )
        if group == 0:
            cx = cx + d["travel"] * path
        elif group == 1:
            cy = cy + d["travel"] * path
        elif group == 2:
            angle = angle + (np.pi / 3) * path
        else:
            radius = radius * 1.7 ** (2 * path)
        parts.append(
            {
                "colour": np.repeat(d["colour"], frames),
                "shape": np.repeat(d["shape"], frames),
                "pattern": np.repeat(d["pattern"], frames),
                "cx": cx.reshape(-1),
                "cy": cy.reshape(-1),
                "angle": angle.reshape(-1),
                "radius": radius.reshape(-1),
                "background": np.repeat(d["background"], frames, axis=0),
            }
        )
    scene = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    background = scene.pop("background")
    for k in ("cx", "cy", "angle", "radius"):
        scene[k] = scene[k].astype(np.float32)
    scene["size"] = np.zeros(n * frames, dtype=int)
    scene["rgb"] = _PALETTE[scene["colour"]]
    clips = _render(
        scene, variant, np.random.default_rng([seed, len(ACTIONS)]), size, background=background
    )
    return clips.reshape(n, frames, size, size, 3), labels, actions


# --------------------------------------------------------------------------
# Seen / unseen splits
# --------------------------------------------------------------------------
def split_names() -> list[str]:
    """Names of the splits shipped in ``data/splits/pocket_<name>.json``."""
    return sorted(p.stem[len("pocket_") :] for p in (data_dir() / "splits").glob("pocket_*.json"))


def generate_split(name: str = "default") -> dict:
    """Build split ``name`` from its fixed recipe (the shipped JSON is its output).

    For a two-attribute task with value sets A (rows) and B (columns) and
    ``k = unseen_per_value``, rows and columns are shuffled with the seed and
    the unseen classes are the cells ``(row i, column (i + j) mod |B|)`` for
    ``j < k``: each row value has exactly ``k`` unseen classes and, when
    ``|A| = |B|``, so does each column value. Every attribute value therefore
    occurs among the seen classes.
    """
    check_choice("name", name, list(_SPLIT_SPECS))
    spec = _SPLIT_SPECS[name]
    task, k, seed = spec["task"], spec["unseen_per_value"], spec["seed"]
    rows, cols = (ATTRIBUTES[a] for a in task_attributes(task))
    rng = np.random.default_rng(seed)
    row_order, col_order = rng.permutation(len(rows)), rng.permutation(len(cols))
    unseen_cells = {
        (int(row_order[i]), int(col_order[(i + j) % len(cols)]))
        for i in range(len(rows))
        for j in range(k)
    }
    attrs = task_attributes(task)
    all_classes = class_names(task)
    unseen = {_phrase({attrs[0]: rows[r], attrs[1]: cols[c]}) for r, c in unseen_cells}
    return {
        "name": name,
        "version": _SPLIT_VERSION,
        "task": task,
        "generator": f"zslkit.data.world.generate_split({name!r})",
        "recipe": dict(spec),
        "classes": all_classes,
        "seen": [c for c in all_classes if c not in unseen],
        "unseen": [c for c in all_classes if c in unseen],
    }


def split_path(name: str = "default"):
    """Path of the JSON file of split ``name``."""
    return data_dir() / "splits" / f"pocket_{name}.json"


def write_split(name: str = "default") -> None:
    """Regenerate ``data/splits/pocket_<name>.json`` from :func:`generate_split`."""
    path = split_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(generate_split(name), indent=2) + "\n", encoding="utf-8")


def load_split(name: str = "default") -> dict:
    """A seen / unseen split of the pocket world.

    Returns
    -------
    dict with ``"task"``, ``"classes"`` (all class names, canonical order),
    ``"seen"`` and ``"unseen"`` (lists of class names), ``"version"``.
    """
    check_choice("name", name, split_names())
    with open(split_path(name), encoding="utf-8") as f:
        return json.load(f)
