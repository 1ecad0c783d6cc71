"""The pocket web: captions that say how the image was taken, as the web's captions do.

ToyCLIP 1 was pretrained on photos only, and each caption's wording was
drawn independently of its image, so no wording could be right or wrong
for an image and the text encoder learned to ignore it. Real captions are
not like that: "a sketch of", "a blurry photo of", "a close-up of", "a
black and white photo of" co-vary with how the object looks. This module
builds that relation into the pocket world, for ToyCLIP 2.

An image has, besides its object (colour, shape, pattern, size):

* a **domain**, drawn from :data:`DOMAIN_MIX` for pretraining: ``photo``,
  ``sketch`` (an outline over a faint wash: colour is weak) or ``noisy``
  (blur and sensor noise). The ``background`` domain (clutter) is **never**
  drawn for pretraining: it is the distribution shift of chapter 24.
* a **context**, for photos only, drawn from :data:`CONTEXT_MIX`: a
  transformation that changes class-relevant cues, and the words that say
  so (:data:`CONTEXTS`): ``black and white`` removes colour, ``dark`` and
  ``bright`` shift it, ``close-up`` and ``cropped`` change scale and
  framing, ``many`` shows four small copies, ``blurry`` and ``low
  resolution`` remove detail (pattern).

A caption names the domain or context with probability ``context_mention``
(the words come from ``data/templates/pocket_web.json``, several phrasings
each), otherwise it uses a neutral template that carries nothing. The
object phrase varies too: colour and shape synonyms ("crimson", "disc"),
and other word orders ("a circle that is red"). Test images are rendered
with :func:`make_images` in any domain and context, with the canonical
class names; :func:`vocabulary` lists every word pretraining captions can
contain, so a chapter can print the share of a template pool's words that
ToyCLIP 2 never saw.

Taught in: notebooks/02_toyclip_pretraining.ipynb (and every chapter that
uses ``backbone="toyclip2"``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from zslkit.checks import check_choice, check_range
from zslkit.data import world
from zslkit.paths import data_dir

DOMAINS = ("photo", "sketch", "noisy", "background")
"""Domains an image can be rendered in (the world's variants)."""

DOMAIN_MIX: dict[str, float] = {"photo": 0.65, "sketch": 0.175, "noisy": 0.175}
"""Pretraining share of each domain; ``background`` is held out (share 0)."""

CONTEXTS = (
    "plain",
    "black and white",
    "dark",
    "bright",
    "close-up",
    "cropped",
    "many",
    "blurry",
    "low resolution",
)
"""How a photo can be taken; ``plain`` changes nothing."""

CONTEXT_MIX: dict[str, float] = {
    "plain": 0.44,
    "black and white": 0.07,
    "dark": 0.07,
    "bright": 0.07,
    "close-up": 0.07,
    "cropped": 0.07,
    "many": 0.07,
    "blurry": 0.07,
    "low resolution": 0.07,
}
"""Pretraining share of each context among photos."""

CONTEXT_MENTION = 0.7
"""Probability that a caption names the image's domain or context."""

SYNONYM_PROB = 0.15
"""Probability that a caption says a colour or shape by a synonym."""

WORD_ORDER_PROB = 0.25
"""Probability that a caption puts the shape first ("a circle that is red")."""

_DARK, _BRIGHT = 0.45, 0.55  # dark: scale by 0.45; bright: move 55 % of the way to white
_CLOSE_UP, _CROP_SHIFT = 1.45, 0.42  # radius factor; centre shift as a fraction of the size
_LOW_RES = 4  # block size of low-resolution photos
_BLUR_PASSES = 3


@lru_cache(maxsize=None)
def _language() -> dict:
    with open(data_dir() / "templates" / "pocket_web.json", encoding="utf-8") as f:
        return json.load(f)


def _check_mix(name: str, mix: Mapping[str, float], choices: Sequence[str]) -> np.ndarray:
    for key, value in mix.items():
        check_choice(f"{name} key", key, list(choices))
        check_range(f"{name}[{key!r}]", value, 0.0)
    weights = np.array([float(mix.get(c, 0.0)) for c in choices])
    if weights.sum() <= 0:
        raise ValueError(f"{name} must give a positive share to at least one of {list(choices)}")
    return weights / weights.sum()


# --------------------------------------------------------------------------
# Rendering: domains and contexts
# --------------------------------------------------------------------------
def _apply_context(images: np.ndarray, context: str) -> np.ndarray:
    """Post-process (n, S, S, 3) uint8 photos for the pixel-level contexts."""
    img = images.astype(np.float32)
    if context == "black and white":
        grey = img @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        img = np.repeat(grey[..., None], 3, axis=-1)
    elif context == "dark":
        img = img * _DARK
    elif context == "bright":
        img = img + _BRIGHT * (255.0 - img)
    elif context == "blurry":
        for _ in range(_BLUR_PASSES):
            img = world._blur(img)
    elif context == "low resolution":
        n, s, _, c = img.shape
        k = _LOW_RES
        blocks = img.reshape(n, s // k, k, s // k, k, c).mean(axis=(2, 4))
        img = np.repeat(np.repeat(blocks, k, axis=1), k, axis=2)
    else:
        return images
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _render_group(index: dict, domain: str, context: str, rng, size: int) -> np.ndarray:
    """Render objects with attribute indices ``index`` in one domain and context."""
    if context == "many":  # four small copies, each placed and rendered at half size
        n = len(index["colour"])
        tiles = {a: np.repeat(np.asarray(v), 4) for a, v in index.items() if a != "rgb"}
        scene = world._place(tiles, rng, size // 2)
        if "rgb" in index:
            scene["rgb"] = np.repeat(index["rgb"], 4, axis=0)
        small = world._render(scene, domain, rng, size // 2)
        half = size // 2
        return (
            small.reshape(n, 2, 2, half, half, 3)
            .transpose(0, 1, 3, 2, 4, 5)
            .reshape(n, size, size, 3)
        )
    scene = world._place({a: v for a, v in index.items() if a != "rgb"}, rng, size)
    if "rgb" in index:
        scene["rgb"] = index["rgb"]
    if context == "close-up":
        scene["radius"] = scene["radius"] * np.float32(_CLOSE_UP)
        scene["cx"] = np.full_like(scene["cx"], size / 2)
        scene["cy"] = np.full_like(scene["cy"], size / 2)
    elif context == "cropped":
        theta = rng.uniform(0, 2 * np.pi, size=len(scene["cx"]))
        scene["cx"] = (size / 2 + _CROP_SHIFT * size * np.cos(theta)).astype(np.float32)
        scene["cy"] = (size / 2 + _CROP_SHIFT * size * np.sin(theta)).astype(np.float32)
    return _apply_context(world._render(scene, domain, rng, size), context)


def _render_records(index: dict, domains: np.ndarray, contexts: np.ndarray, rng, size: int):
    n = len(domains)
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for d, domain in enumerate(DOMAINS):
        for c, context in enumerate(CONTEXTS):
            idx = np.flatnonzero((domains == d) & (contexts == c))
            if len(idx):
                part = {a: np.asarray(v)[idx] for a, v in index.items()}
                out[idx] = _render_group(part, domain, context, rng, size)
    return out


def make_images(
    class_names: Sequence[str],
    n_per_class: int,
    domain: str = "photo",
    context: str = "plain",
    seed: int = 0,
    task: str = "colour_shape",
    size: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n_per_class`` test images of each class in one domain and context.

    ``context="plain"`` gives exactly :func:`zslkit.data.world.make_images`
    (same images for the same seed). Contexts other than ``plain`` apply to
    photos only.

    Returns
    -------
    images : (n_classes * n_per_class, size, size, 3) uint8 array
    labels : (n_classes * n_per_class,) int64 array, class-major.
    """
    check_choice("domain", domain, DOMAINS)
    check_choice("context", context, CONTEXTS)
    if context != "plain" and domain != "photo":
        raise ValueError(
            f"context={context!r} applies to photos only; got domain={domain!r} "
            "(use context='plain' for other domains)"
        )
    if context == "plain":
        return world.make_images(class_names, n_per_class, domain, seed, task, size)
    parsed = world._check_classes(class_names, task)
    check_range("n_per_class", n_per_class, 1, integer=True)
    world._check_common(domain, size, seed)
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(parsed), dtype=np.int64), n_per_class)
    index = world._attribute_indices(parsed, labels, rng)
    return _render_group(index, domain, context, rng, size), labels


# --------------------------------------------------------------------------
# Captions
# --------------------------------------------------------------------------
def _plural(shape_word: str) -> str:
    return shape_word + ("es" if shape_word.endswith(("s", "x", "ch", "sh")) else "s")


def _object_phrase(named: Mapping[str, str], rng: np.random.Generator, plural: bool) -> str:
    """The object phrase of a caption, with synonyms and word order drawn at random."""
    lang = _language()
    words = dict(named)
    for attribute in ("colour", "shape"):
        if attribute in words and rng.random() < SYNONYM_PROB:
            options = lang["synonyms"].get(words[attribute])
            if options:
                words[attribute] = options[int(rng.integers(len(options)))]
    noun = words.get("shape", "shape")
    if plural:
        noun = _plural(noun)
    before = [words[a] for a in ("size", "colour", "pattern") if a in words]
    if "colour" in words and rng.random() < WORD_ORDER_PROB:
        rest = [words[a] for a in ("size", "pattern") if a in words]
        form = lang["shape_first"][int(rng.integers(len(lang["shape_first"])))]
        verb = "are" if plural else "is"
        return form.format(noun=" ".join(rest + [noun]), colour=words["colour"], be=verb)
    return " ".join(before + [noun])


def captions(
    objects: Sequence[Mapping[str, str]],
    domains: Sequence[str],
    contexts: Sequence[str],
    seed: int = 0,
    mention_prob: float | Mapping[str, float] = world.MENTION_PROB,
    context_mention: float = CONTEXT_MENTION,
) -> list[str]:
    """Captions for objects seen in given domains and contexts.

    Parameters
    ----------
    objects : per-image ``{attribute: value}`` dicts (colour may be missing:
        an off-palette object).
    domains, contexts : per-image names from :data:`DOMAINS` and :data:`CONTEXTS`.
    seed : random seed of the wording.
    mention_prob : how often each attribute is named, as
        :func:`zslkit.data.world.captions` takes it.
    context_mention : probability that the caption names the domain or the
        context (with one of its phrasings); otherwise a neutral template.

    Returns
    -------
    list of strings, e.g. ``"a black and white photo of a circle that is red."``
    """
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    check_range("context_mention", context_mention, 0.0, 1.0)
    if not len(objects) == len(domains) == len(contexts):
        raise ValueError(
            f"objects, domains and contexts must have one entry per image; got "
            f"{len(objects)}, {len(domains)} and {len(contexts)}"
        )
    probs = world._mention_probabilities(mention_prob)
    lang = _language()
    rng = np.random.default_rng(seed)
    out = []
    for obj, domain, context in zip(objects, domains, contexts):
        check_choice("domain", domain, DOMAINS)
        check_choice("context", context, CONTEXTS)
        named = {a: v for a, v in obj.items() if rng.random() < probs[a]}
        if "colour" not in named and "shape" not in named:
            named["shape"] = obj["shape"]
        key = domain if domain != "photo" else context
        pool = lang["neutral"]
        if key in lang["condition"] and rng.random() < context_mention:
            pool = lang["condition"][key]
        template = pool[int(rng.integers(len(pool)))]
        phrase = _object_phrase(named, rng, plural=context == "many" and "{many}" in template)
        text = template.replace("{many}", "{}")
        if "the" in lang and rng.random() < lang["the"]:
            text = text.replace(" a {}", " the {}")
        out.append(world.Template(text)(phrase))
    return out


@lru_cache(maxsize=None)
def vocabulary(corpus: str = "web") -> frozenset:
    """Every word a pretraining caption can contain (lower case).

    ``corpus="web"``: the pocket web's captions (ToyCLIP 2); ``"pocket"``:
    ToyCLIP 1's (:func:`zslkit.data.world.captions`: its 12 templates and
    the attribute words).
    """
    check_choice("corpus", corpus, ["web", "pocket"])
    if corpus == "pocket":
        words = {w for t in world.templates("captions") for w in _words(str(t))}
        words.update(v for values in world.ATTRIBUTES.values() for v in values)
        return frozenset(words | {"a", "an", "shape"})
    lang = _language()
    texts = list(lang["neutral"]) + [t for pool in lang["condition"].values() for t in pool]
    texts += list(lang["shape_first"]) + [" ".join(v) for v in lang["synonyms"].values()]
    words = set()
    for text in texts:
        words.update(_words(text.replace("{be}", "is are")))
    for values in world.ATTRIBUTES.values():
        words.update(values)
    words.update(_plural(s) for s in world.ATTRIBUTES["shape"])
    words.update(_plural(s) for syn in lang["synonyms"].values() for s in syn)
    words.update({"a", "an", "the", "shape", "shapes"})
    return frozenset(words)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", re.sub(r"\{[a-z]*\}", " ", text.lower()))


def unseen_words(templates: Sequence, corpus: str = "web") -> dict[str, list[str]]:
    """For each template, the words it adds that no pretraining caption contains.

    ``corpus`` as :func:`vocabulary` takes it. Returns ``{template text:
    [unseen words]}`` for the templates that have any; the share of
    templates with an unseen word is ``len(result) / len(templates)``.
    """
    known = vocabulary(corpus)
    out = {}
    for t in templates:
        missing = [w for w in _words(str(t)) if w not in known]
        if missing:
            out[str(t)] = missing
    return out


# --------------------------------------------------------------------------
# Pretraining data
# --------------------------------------------------------------------------
def pretraining_set(
    n: int,
    classes: Sequence[str] | None = None,
    seed: int = 0,
    domain_mix: Mapping[str, float] = DOMAIN_MIX,
    context_mix: Mapping[str, float] = CONTEXT_MIX,
    context_mention: float = CONTEXT_MENTION,
    mention_prob: float | Mapping[str, float] = world.MENTION_PROB,
    off_palette: float = 0.4,
    concept_frequency: Mapping[str, float] | None = None,
    task: str = "colour_shape",
    size: int = 32,
):
    """Image-caption pairs of the pocket web, for pretraining ToyCLIP 2.

    The objects are drawn as :func:`zslkit.data.world.pretraining_set` draws
    them (``classes``, ``concept_frequency``, ``off_palette``: the share of
    objects in an unnamed colour, captioned by their shape only, which makes
    shape features generalise to unseen colour-shape pairs). Each image then
    gets a domain from ``domain_mix`` and, if a photo, a context from
    ``context_mix``, and a caption from :func:`captions`.

    Returns
    -------
    images : (n, size, size, 3) uint8 array
    texts : list of n captions
    records : dict with ``objects`` (per-image attribute dicts), ``domains``
        and ``contexts`` (lists of names) and ``labels`` ((n,) int64 indexing
        ``classes``, -1 for off-palette objects): what :func:`captions`
        needs to draw fresh captions for the same images.
    """
    check_range("n", n, 1, integer=True)
    check_range("off_palette", off_palette, 0.0, 1.0)
    world._check_common("photo", size, seed)
    domain_p = _check_mix("domain_mix", domain_mix, DOMAINS)
    context_p = _check_mix("context_mix", context_mix, CONTEXTS)
    classes = world._split_classes_default(classes, task)
    parsed = world._check_classes(classes, task)
    rng = np.random.default_rng(seed)
    labels, nuisance_p = world._draw_labels(n, parsed, rng, concept_frequency, task)
    index = world._attribute_indices(parsed, labels, rng, nuisance_p)
    off = rng.random(n) < off_palette
    index = {a: np.asarray(v).copy() for a, v in index.items()}
    rgb = world._PALETTE[np.maximum(index["colour"], 0)].copy()
    rgb[off] = world._off_palette_colours(int(off.sum()), rng)
    index["colour"][off] = -1
    index["rgb"] = rgb
    labels = np.where(off, -1, labels)
    domains = rng.choice(len(DOMAINS), size=n, p=domain_p)
    contexts = np.where(
        domains == DOMAINS.index("photo"), rng.choice(len(CONTEXTS), size=n, p=context_p), 0
    )
    render_index = dict(index)
    render_index["colour"] = np.maximum(index["colour"], 0)
    images = _render_records(render_index, domains, contexts, rng, size)
    objects = world.attribute_dicts({a: v for a, v in index.items() if a != "rgb"})
    records = {
        "objects": objects,
        "domains": [DOMAINS[d] for d in domains],
        "contexts": [CONTEXTS[c] for c in contexts],
        "labels": labels.astype(np.int64),
    }
    texts = captions(
        objects,
        records["domains"],
        records["contexts"],
        seed=int(rng.integers(2**32)),
        mention_prob=mention_prob,
        context_mention=context_mention,
    )
    return images, texts, records
