"""Conditional image similarity (GeneCIS) in the pocket world.

GeneCIS (Vaze, Carion and Misra, CVPR 2023) asks for the image of a small
gallery that is similar to a reference image *under a condition* given in
text: "focus on an attribute", "change an attribute", "focus on an object",
"change an object". Each gallery holds one target and hard distractors, so
that neither the reference image alone nor the text alone finds the target;
the metric is Recall@1/2/3 (is the target among the top k of the gallery).
The authors' method trains a *combiner* of the reference's image feature
and the condition's text feature on triplets (reference, condition, target)
mined automatically from image-caption data: images whose parsed captions
share a subject and differ in what is said about it, the condition being
the target's part of the caption.

In the pocket world every object's attributes are exact, so galleries can
be built with certainty (:func:`make_queries`):

* ``focus_colour`` ("focus on an attribute"): condition ``"colour"``; the
  target alone has the reference's colour (on another shape); half the
  distractors are *look-alikes* (the reference's shape in another colour,
  every second one with its pattern and size too), the rest share neither.
* ``focus_shape`` ("focus on an object"): the same with colour and shape
  swapped (condition ``"shape"``).
* ``change_colour`` ("change an attribute"): condition a colour word, the
  target the reference in that colour; distractors are look-alikes (the
  reference's shape in other colours, one of them a copy of the
  reference) and *text matches* (the named colour on other shapes).
* ``change_shape`` ("change an object"): the same with a shape word.

Image-only retrieval falls for the look-alikes, text-only for the text
matches (and knows nothing of the reference). The baselines and the
trained combiner are :func:`query_features` methods; :func:`mine_triplets`
reproduces the paper's mining on pocket-web captions, never on the test
galleries.

Taught in: notebooks/50_conditional_similarity.ipynb
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zslkit.checks import check_choice, check_range
from zslkit.data import world

TASKS = ("focus_colour", "change_colour", "focus_shape", "change_shape")
"""The four pocket tasks, in the order of GeneCIS's four."""

GENECIS_TASKS = {
    "focus_colour": "focus on an attribute",
    "change_colour": "change an attribute",
    "focus_shape": "focus on an object",
    "change_shape": "change an object",
}
"""The GeneCIS task each pocket task stands for."""

GALLERY_SIZE = 15
"""Images per gallery, target included: GeneCIS's object-task galleries
(``focus_object.json``, ``change_object.json``) hold a target and 14 others."""

METHODS = ("image only", "text only", "image + text", "combiner")
"""Ways to turn (reference, condition) into a query feature."""

ROLES = ("target", "look-alike", "text match", "other")
"""What a gallery image is to its query (see :func:`make_queries`)."""

_ATTRS = ("colour", "shape", "pattern", "size")


# --------------------------------------------------------------------------
# Galleries
# --------------------------------------------------------------------------
def _draw_object(rng: np.random.Generator) -> dict[str, str]:
    return {a: world.ATTRIBUTES[a][int(rng.integers(len(world.ATTRIBUTES[a])))] for a in _ATTRS}


def _other_value(attribute: str, exclude: Sequence[str], rng) -> str:
    options = [v for v in world.ATTRIBUTES[attribute] if v not in exclude]
    return options[int(rng.integers(len(options)))]


def _cycle(options: Sequence[str], n: int, rng) -> list[str]:
    """``n`` values running through a shuffled ``options`` (each once before any twice)."""
    out: list[str] = []
    while len(out) < n:
        out.extend(rng.permutation(list(options)).tolist())
    return out[:n]


def _focus_gallery(ref, focus: str, n_other: int, rng):
    """Target: ``ref``'s ``focus`` value on another value of the other attribute.

    Half the distractors are look-alikes (``ref`` with another ``focus``
    value, every second one also with ``ref``'s pattern and size), the rest
    share nothing of the two with ``ref``.
    """
    other = "shape" if focus == "colour" else "colour"
    target = {focus: ref[focus], other: _other_value(other, [ref[other]], rng)}
    target.update({a: _other_value(a, [], rng) for a in ("pattern", "size")})
    n_look = n_other // 2
    others, roles = [], []
    for i, value in enumerate(
        _cycle([v for v in world.ATTRIBUTES[focus] if v != ref[focus]], n_other, rng)
    ):
        if i < n_look:
            item = dict(ref, **{focus: value})
            if i % 2:
                item.update({a: _other_value(a, [], rng) for a in ("pattern", "size")})
            role = "look-alike"
        else:
            item = {focus: value, other: _other_value(other, [ref[other]], rng)}
            item.update({a: _other_value(a, [], rng) for a in ("pattern", "size")})
            role = "other"
        others.append(item)
        roles.append(role)
    return target, others, roles


def _change_gallery(ref, change: str, new: str, n_other: int, rng):
    """Target: ``ref`` with ``change`` set to ``new``."""
    target = dict(ref, **{change: new})
    keep = "shape" if change == "colour" else "colour"
    n_look = n_other // 2
    look_values = [ref[change]] + _cycle(
        [v for v in world.ATTRIBUTES[change] if v not in (ref[change], new)], n_look - 1, rng
    )
    others = [dict(ref, **{change: v}) for v in look_values[:n_look]]
    roles = ["look-alike"] * len(others)
    for value in _cycle(
        [v for v in world.ATTRIBUTES[keep] if v != ref[keep]], n_other - n_look, rng
    ):
        item = dict(ref, **{change: new, keep: value})
        item.update({a: _other_value(a, [], rng) for a in ("pattern", "size")})
        others.append(item)
        roles.append("text match")
    return target, others, roles


def make_queries(
    task: str, n_queries: int = 150, gallery_size: int = GALLERY_SIZE, seed: int = 0
) -> dict[str, Any]:
    """Queries of one pocket GeneCIS task, as attribute dicts (nothing rendered).

    Parameters
    ----------
    task : one of :data:`TASKS` (see the module docstring for each design).
    n_queries : number of (reference, condition, gallery) queries.
    gallery_size : images per gallery, target included (3 to 15).
    seed : random seed of the references, conditions and galleries.

    Returns
    -------
    dict with ``task``; ``references`` (list of ``{colour, shape, pattern,
    size}``); ``conditions`` (list of strings: ``"colour"``, ``"shape"``, a
    colour or a shape word); ``galleries`` (list of lists of attribute
    dicts, the target at a random position); ``target`` ((n,) int64 position
    of the target); ``roles`` ((n, gallery_size) array of :data:`ROLES`).
    """
    check_choice("task", task, TASKS)
    check_range("n_queries", n_queries, 1, integer=True)
    check_range("gallery_size", gallery_size, 3, 15, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    rng = np.random.default_rng([seed, TASKS.index(task)])
    refs, conditions, galleries, targets, roles = [], [], [], [], []
    for _ in range(n_queries):
        ref = _draw_object(rng)
        if task.startswith("focus"):
            condition = focus = task.split("_")[1]
            target, others, role = _focus_gallery(ref, focus, gallery_size - 1, rng)
        else:
            change = task.split("_")[1]
            condition = _other_value(change, [ref[change]], rng)
            target, others, role = _change_gallery(ref, change, condition, gallery_size - 1, rng)
        order = rng.permutation(gallery_size)
        items = [target] + others
        item_roles = ["target"] + role
        galleries.append([items[i] for i in order])
        roles.append([item_roles[i] for i in order])
        targets.append(int(np.flatnonzero(order == 0)[0]))
        refs.append(ref)
        conditions.append(condition)
    return {
        "task": task,
        "references": refs,
        "conditions": conditions,
        "galleries": galleries,
        "target": np.array(targets, dtype=np.int64),
        "roles": np.array(roles),
    }


def object_name(obj: Mapping[str, str]) -> str:
    """The class name of an object of the task ``colour_shape_pattern_size``."""
    return " ".join(obj[a] for a in world.WORD_ORDER)


def render_queries(queries: Mapping[str, Any], seed: int = 0, size: int = 32):
    """Render the references and galleries of :func:`make_queries` as photos.

    Returns
    -------
    references : (n, size, size, 3) uint8 array
    galleries : (n, gallery_size, size, size, 3) uint8 array
    """
    n, g = queries["roles"].shape
    names = [object_name(r) for r in queries["references"]]
    names += [object_name(o) for gallery in queries["galleries"] for o in gallery]
    images, _ = world.make_images(
        names, 1, "photo", seed=seed, task="colour_shape_pattern_size", size=size
    )
    return images[:n], images[n:].reshape(n, g, size, size, 3)


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------
@torch.no_grad()
def encode_arrays(
    model: Any,
    preprocess: Callable,
    images: np.ndarray,
    device: str = "cpu",
    batch_size: int = 512,
) -> torch.Tensor:
    """L2-normalised image features of uint8 images (..., S, S, 3), any backbone.

    Where the model's input size is the images' (ToyCLIP), the images are
    normalised in one batch as open_clip's ``preprocess`` would
    (:func:`zslkit.models.toyclip.to_tensor`); otherwise every image goes
    through ``preprocess`` (resize, crop, normalise). Returns a float32 CPU
    tensor of shape (..., d).
    """
    from PIL import Image

    from zslkit.models.toyclip import to_tensor

    lead, flat = images.shape[:-3], images.reshape(-1, *images.shape[-3:])
    image_size = getattr(getattr(model, "visual", None), "image_size", None)
    same = tuple(np.atleast_1d(image_size)) in ((flat.shape[1],), (flat.shape[1], flat.shape[2]))
    chunks = []
    for i in range(0, len(flat), batch_size):
        part = flat[i : i + batch_size]
        if same:
            x = to_tensor(part, model)
        else:
            x = torch.stack([preprocess(Image.fromarray(im)) for im in part])
        chunks.append(F.normalize(model.encode_image(x.to(device)).float(), dim=-1).cpu())
    return torch.cat(chunks).reshape(*lead, -1)


# --------------------------------------------------------------------------
# Mining triplets from captions
# --------------------------------------------------------------------------
def caption_lexicon() -> dict[str, dict[str, str]]:
    """``{"colour": {word: canonical}, "shape": {...}}``: every word a pocket-web
    caption can use for a colour or a shape (canonical names and synonyms)."""
    from zslkit.data import web

    synonyms = web._language()["synonyms"]
    lexicon: dict[str, dict[str, str]] = {}
    for attribute in ("colour", "shape"):
        words = {}
        for value in world.ATTRIBUTES[attribute]:
            words[value] = value
            for word in synonyms.get(value, []):
                words[word] = value
        lexicon[attribute] = words
    return lexicon


def parse_caption(caption: str) -> dict[str, str | None]:
    """The colour and shape words of a caption, as they are written (or None).

    The pocket counterpart of the paper's scene-graph parsing: the shape word
    is the subject, the colour word what the caption says about it. A
    caption with two words of one kind gives None for that kind.
    """
    words = re.findall(r"[a-z]+", caption.lower())
    out: dict[str, str | None] = {}
    for attribute, lexicon in caption_lexicon().items():
        found = [w for w in words if w in lexicon]
        out[attribute] = found[0] if len(found) == 1 else None
    return out


def mine_triplets(captions: Sequence[str], n_triplets: int, seed: int = 0) -> dict[str, Any]:
    """Training triplets (reference, condition, target) mined from captions only.

    Two images make a triplet when their captions name the same shape word
    and different colour words (condition: the target's colour word, as in
    "change an attribute"), or the same colour word and different shape
    words (condition: the target's shape word, "change an object"). Captions
    that do not name both are skipped, as the paper skips captions without a
    parsed relation. Half the triplets are of each kind (where both exist).

    Returns
    -------
    dict with ``reference`` and ``target`` ((n,) int64 caption indices, never
    equal), ``condition`` (list of n words) and ``kind`` ((n,) array of
    ``"colour"`` / ``"shape"``: which word differs).
    """
    check_range("n_triplets", n_triplets, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    parsed = [parse_caption(c) for c in captions]
    full = [i for i, p in enumerate(parsed) if p["colour"] and p["shape"]]
    rng = np.random.default_rng(seed)
    groups = {}
    for kind, shared in (("colour", "shape"), ("shape", "colour")):
        by_word: dict[str, list[int]] = {}
        for i in full:
            by_word.setdefault(parsed[i][shared], []).append(i)
        # a group can give a triplet when its captions use two different words of `kind`
        groups[kind] = [g for g in by_word.values() if len({parsed[i][kind] for i in g}) >= 2]
    kinds = [k for k in ("colour", "shape") if groups[k]]
    if not kinds:
        raise ValueError("no two captions share a shape or colour word and differ in the other")
    refs, targets, conditions, kind_of = [], [], [], []
    while len(refs) < n_triplets:
        kind = kinds[len(refs) % len(kinds)]
        group = groups[kind][int(rng.integers(len(groups[kind])))]
        ref = group[int(rng.integers(len(group)))]
        candidates = [i for i in group if parsed[i][kind] != parsed[ref][kind]]
        if not candidates:
            continue
        target = candidates[int(rng.integers(len(candidates)))]
        refs.append(ref)
        targets.append(target)
        conditions.append(parsed[target][kind])
        kind_of.append(kind)
    return {
        "reference": np.array(refs, dtype=np.int64),
        "target": np.array(targets, dtype=np.int64),
        "condition": conditions,
        "kind": np.array(kind_of),
    }


# --------------------------------------------------------------------------
# Combining image and text
# --------------------------------------------------------------------------
class Combiner(nn.Module):
    """The combiner of GeneCIS (from CLIP4Cir): a learnt fusion of the
    reference's image feature ``i`` and the condition's text feature ``t``.

    Both are projected (linear + ReLU + dropout) to ``projection_dim`` and
    concatenated into ``c``; the output is

    ``normalise(W_out relu(W_c c) + s(c) * t + (1 - s(c)) * i)``

    where ``s(c)`` is a learnt scalar in (0, 1) (a two-layer MLP and a
    sigmoid) that mixes text and image residually.
    """

    def __init__(
        self, dim: int, projection_dim: int = 256, hidden_dim: int = 512, dropout: float = 0.5
    ):
        super().__init__()
        check_range("dim", dim, 1, integer=True)
        check_range("projection_dim", projection_dim, 1, integer=True)
        check_range("hidden_dim", hidden_dim, 1, integer=True)
        check_range("dropout", dropout, 0.0, 0.99)
        self.text_projection = nn.Linear(dim, projection_dim)
        self.image_projection = nn.Linear(dim, projection_dim)
        self.combiner_layer = nn.Linear(2 * projection_dim, hidden_dim)
        self.output_layer = nn.Linear(hidden_dim, dim)
        self.scalar = nn.Sequential(
            nn.Linear(2 * projection_dim, hidden_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, 1),
            nn.Sigmoid(),
        )
        self.dropout = nn.Dropout(dropout)

    def mix(self, image_features: torch.Tensor, text_features: torch.Tensor) -> torch.Tensor:
        """The scalar ``s(c)``, shape (n, 1)."""
        return self.scalar(self._concat(image_features, text_features))

    def _concat(self, image_features, text_features):
        t = self.dropout(F.relu(self.text_projection(text_features)))
        i = self.dropout(F.relu(self.image_projection(image_features)))
        return torch.cat([t, i], dim=-1)

    def forward(self, image_features: torch.Tensor, text_features: torch.Tensor) -> torch.Tensor:
        c = self._concat(image_features, text_features)
        s = self.scalar(c)
        out = self.output_layer(self.dropout(F.relu(self.combiner_layer(c))))
        return F.normalize(out + s * text_features + (1 - s) * image_features, dim=-1)


def train_combiner(
    reference_features: torch.Tensor,
    condition_features: torch.Tensor,
    target_features: torch.Tensor,
    epochs: int = 10,
    batch_size: int = 256,
    lr: float = 1e-3,
    inverse_temperature: float = 100.0,
    dropout: float = 0.5,
    seed: int = 0,
) -> tuple[Combiner, list[float]]:
    """Train a :class:`Combiner` with the paper's loss on frozen features.

    The loss is the in-batch contrastive cross-entropy: each combined query
    must pick its own target among the batch's targets, logits scaled by
    ``inverse_temperature`` (the paper's lambda = 100). Adam, a fixed number
    of epochs, no test data. Returns the combiner (in eval mode) and the
    mean training loss of every epoch.
    """
    check_range("epochs", epochs, 1, integer=True)
    check_range("batch_size", batch_size, 2, integer=True)
    check_range("lr", lr, 0.0)
    check_range("inverse_temperature", inverse_temperature, 0.0)
    n = len(reference_features)
    if not n == len(condition_features) == len(target_features):
        raise ValueError(
            f"reference, condition and target features need one row per triplet; got "
            f"{n}, {len(condition_features)} and {len(target_features)}"
        )
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    combiner = Combiner(reference_features.shape[1], dropout=dropout)
    optimiser = torch.optim.Adam(combiner.parameters(), lr=lr)
    targets = F.normalize(target_features.float(), dim=-1)
    history = []
    combiner.train()
    for _ in range(epochs):
        order, total = torch.randperm(n, generator=generator), 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            query = combiner(reference_features[idx].float(), condition_features[idx].float())
            logits = inverse_temperature * query @ targets[idx].T
            loss = F.cross_entropy(logits, torch.arange(len(idx)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        history.append(total / n)
    return combiner.eval(), history


@torch.no_grad()
def query_features(
    method: str,
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    combiner: Combiner | None = None,
    weight: float = 0.5,
) -> torch.Tensor:
    """Query features (n, d), L2-normalised, from reference and condition features.

    ``"image only"``: the reference's feature; ``"text only"``: the
    condition's; ``"image + text"``: ``normalise(weight * i + (1 - weight) *
    t)`` of the given features (GeneCIS's ``image_plus_text`` baseline with
    its default weight 0.5; pass L2-normalised features for the sum of
    normalised features); ``"combiner"``: a trained :class:`Combiner`.
    """
    check_choice("method", method, METHODS)
    check_range("weight", weight, 0.0, 1.0)
    i, t = image_features.float(), text_features.float()
    if method == "image only":
        out = i
    elif method == "text only":
        out = t
    elif method == "image + text":
        out = weight * i + (1 - weight) * t
    else:
        if combiner is None:
            raise ValueError("method='combiner' needs a trained combiner (train_combiner)")
        return combiner.eval()(i, t)
    return F.normalize(out, dim=-1)


def gallery_scores(queries: torch.Tensor, galleries: torch.Tensor) -> np.ndarray:
    """(n, G) cosine similarity of each query (n, d) with its gallery (n, G, d)."""
    g = F.normalize(galleries.float(), dim=-1)
    return torch.einsum("nd,ngd->ng", F.normalize(queries.float(), dim=-1), g).numpy()


def recall_at_k(scores: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """(n,) bool: is the target among the ``k`` highest-scoring gallery images?

    Ties are counted against the target: an image scoring exactly as high as
    the target ranks before it.
    """
    scores = np.asarray(scores, dtype=float)
    target = np.asarray(target, dtype=np.int64)
    check_range("k", k, 1, scores.shape[1], integer=True)
    target_score = scores[np.arange(len(scores)), target]
    better = (scores >= target_score[:, None]).sum(axis=1) - 1  # others at least as high
    return better < k


def top1_roles(scores: np.ndarray, roles: np.ndarray) -> np.ndarray:
    """(n,) role (:data:`ROLES`) of each query's top-ranked gallery image."""
    return np.asarray(roles)[np.arange(len(scores)), np.argmax(scores, axis=1)]


def evaluate(
    scores: Mapping[str, Mapping[str, np.ndarray]],
    targets: Mapping[str, np.ndarray],
    ks: Sequence[int] = (1, 2, 3),
) -> dict[str, dict[str, dict[int, np.ndarray]]]:
    """Per-query hits ``{task: {method: {k: (n,) bool}}}`` from ``{task: {method: scores}}``."""
    return {
        task: {m: {k: recall_at_k(s, targets[task], k) for k in ks} for m, s in by_method.items()}
        for task, by_method in scores.items()
    }


def recall_table(hits: Mapping[str, Mapping[str, Mapping[int, np.ndarray]]]) -> str:
    """Recall@k (%) of each method on each task, and their mean over tasks, as text."""
    tasks = list(hits)
    methods = list(hits[tasks[0]])
    ks = list(hits[tasks[0]][methods[0]])
    head = f"{'method':<14}" + "".join(f"{t:>15}" for t in tasks + ["average"])
    lines = [head, f"{'':<14}" + f"{'R@' + '/'.join(map(str, ks)):>15}" * (len(tasks) + 1)]
    for m in methods:
        cells = []
        for t in tasks:
            cells.append("/".join(f"{100 * hits[t][m][k].mean():.0f}" for k in ks))
        mean = "/".join(f"{100 * np.mean([hits[t][m][k].mean() for t in tasks]):.0f}" for k in ks)
        lines.append(f"{m:<14}" + "".join(f"{c:>15}" for c in cells + [mean]))
    return "\n".join(lines)


def compare(
    hits: Mapping[str, Mapping[str, Mapping[int, np.ndarray]]],
    method: str,
    baseline: str,
    k: int = 1,
    seed: int = 0,
):
    """Recall@k of ``method`` minus ``baseline``: paired bootstrap over queries.

    Returns ``{task: Interval}`` for every task and ``"average"`` (all tasks'
    queries pooled, equal to the mean over tasks when they have as many
    queries each).
    """
    from zslkit.stats import paired_bootstrap

    out = {}
    for task, by_method in hits.items():
        out[task] = paired_bootstrap(by_method[method][k], by_method[baseline][k], seed=seed)
    pooled = [np.concatenate([hits[t][m][k] for t in hits]) for m in (method, baseline)]
    out["average"] = paired_bootstrap(*pooled, seed=seed)
    return out


# --------------------------------------------------------------------------
# The chapter's pipeline
# --------------------------------------------------------------------------
def encode_tasks(
    model: Any,
    preprocess: Callable,
    tokenizer: Callable,
    n_queries: int = 100,
    gallery_size: int = GALLERY_SIZE,
    seed: int = 0,
    device: str = "cpu",
    tasks: Sequence[str] = TASKS,
) -> dict[str, dict[str, Any]]:
    """Build, render and encode every task's queries.

    Returns ``{task: {"queries", "reference_images", "gallery_images",
    "reference", "gallery", "condition"}}``: the :func:`make_queries` dict,
    the rendered images and their features (reference (n, d), gallery (n,
    G, d), condition (n, d) text features of the condition strings).
    """
    from zslkit.models.features import encode_text

    for task in tasks:
        check_choice("task", task, TASKS)
    out = {}
    for i, task in enumerate(tasks):
        queries = make_queries(task, n_queries, gallery_size, seed)
        refs, gallery = render_queries(queries, seed=seed + 1000 * (i + 1))
        out[task] = {
            "queries": queries,
            "reference_images": refs,
            "gallery_images": gallery,
            "reference": encode_arrays(model, preprocess, refs, device),
            "gallery": encode_arrays(model, preprocess, gallery, device),
            "condition": encode_text(model, tokenizer, queries["conditions"], device=device),
        }
    return out


def mining_set(
    model: Any,
    preprocess: Callable,
    tokenizer: Callable,
    n_captions: int = 4000,
    n_triplets: int = 8000,
    seed: int = 0,
    device: str = "cpu",
) -> dict[str, Any]:
    """Fresh pocket-web photos with captions, and triplets mined from the captions.

    The images are drawn as ToyCLIP 2's pretraining draws them
    (:func:`zslkit.data.web.pretraining_set`: its seen classes, 40 % in an
    unnamed colour), all plain photos, with a seed of their own; no test
    gallery is used. Returns the captions, the :func:`mine_triplets` dict and
    the features ``reference``, ``target`` (image) and ``condition`` (text)
    of every triplet.
    """
    from zslkit.data import web
    from zslkit.models.features import encode_text

    images, captions, _ = web.pretraining_set(
        n_captions, seed=seed, domain_mix={"photo": 1.0}, context_mix={"plain": 1.0}
    )
    triplets = mine_triplets(captions, n_triplets, seed=seed)
    features = encode_arrays(model, preprocess, images, device)
    words = sorted(set(triplets["condition"]))
    word_features = encode_text(model, tokenizer, words, device=device)
    index = torch.as_tensor([words.index(w) for w in triplets["condition"]])
    return {
        "captions": captions,
        "triplets": triplets,
        "reference": features[triplets["reference"]],
        "target": features[triplets["target"]],
        "condition": word_features[index],
    }


def score_all(
    encoded: Mapping[str, Mapping[str, Any]], combiner: Combiner | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """``{task: {method: (n, G) scores}}`` for every method of :data:`METHODS`
    (the combiner only when one is given)."""
    methods = [m for m in METHODS if m != "combiner" or combiner is not None]
    out = {}
    for task, e in encoded.items():
        out[task] = {
            m: gallery_scores(
                query_features(m, e["reference"], e["condition"], combiner), e["gallery"]
            )
            for m in methods
        }
    return out


def roles_table(scores: Mapping[str, Mapping[str, np.ndarray]], encoded) -> str:
    """Where each method's top-ranked image goes: share (%) of queries per role."""
    lines = [f"{'task':<14}{'method':<14}" + "".join(f"{r:>12}" for r in ROLES)]
    for task, by_method in scores.items():
        roles = encoded[task]["queries"]["roles"]
        for m, s in by_method.items():
            top = top1_roles(s, roles)
            shares = "".join(f"{100 * np.mean(top == r):>12.0f}" for r in ROLES)
            lines.append(f"{task:<14}{m:<14}{shares}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------
def plot_query(encoded_task: Mapping[str, Any], index: int = 0, axes=None):
    """One query: the reference, its condition, and the gallery framed by role."""
    import matplotlib.pyplot as plt

    from zslkit import style

    q = encoded_task["queries"]
    gallery = encoded_task["gallery_images"][index]
    roles = q["roles"][index]
    colours = style.colours_for(ROLES, muted=("other",))
    if axes is None:
        _, axes = plt.subplots(1, len(gallery) + 1, figsize=(1.0 * (len(gallery) + 1), 1.5))
    axes[0].imshow(encoded_task["reference_images"][index])
    axes[0].set_title(f"ref\n{q['conditions'][index]!r}", fontsize=7)
    for ax, image, role in zip(axes[1:], gallery, roles):
        ax.imshow(image)
        ax.set_title(role, fontsize=6, color=colours[role])
        for spine in ax.spines.values():
            spine.set(visible=True, color=colours[role], linewidth=2.5)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return axes


def plot_recalls(hits: Mapping[str, Mapping[str, Mapping[int, np.ndarray]]], k: int = 1, ax=None):
    """Recall@k of each method on each task, with 95 % t intervals over queries."""
    import matplotlib.pyplot as plt

    from zslkit import style
    from zslkit.stats import t_interval

    tasks = list(hits)
    methods = list(hits[tasks[0]])
    colours = style.colours_for(methods)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(methods)
    for j, m in enumerate(methods):
        ci = [t_interval(hits[t][m][k].astype(float)) for t in tasks]
        x = np.arange(len(tasks)) + (j - (len(methods) - 1) / 2) * width
        mean = np.array([c.estimate for c in ci])
        err = np.array([[c.estimate - c.low for c in ci], [c.high - c.estimate for c in ci]])
        ax.bar(x, mean, width, yerr=err, color=colours[m], label=m, capsize=2, ecolor=style.INK)
    ax.set_xticks(np.arange(len(tasks)), [t.replace("_", " ") for t in tasks])
    ax.set_ylabel(f"Recall@{k}")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, ncol=len(methods), loc="upper center")
    return ax


@torch.no_grad()
def encode_genecis(
    model: Any,
    preprocess: Callable,
    tokenizer: Callable,
    root: str | None = None,
    n_queries: int | None = None,
    device: str = "cpu",
    tasks: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Features of the real GeneCIS queries (full tier), in :func:`encode_tasks`'s form.

    Images come from :func:`zslkit.data.genecis.load_image` (attribute tasks
    cropped as GeneCIS crops them) through ``preprocess``; the target is
    candidate 0 of each gallery, as in GeneCIS's evaluation. ``n_queries``
    keeps the first queries of each task (None: all). Fails fast, before
    encoding, when a file is missing.
    """
    from zslkit.data import genecis
    from zslkit.models.features import encode_text

    tasks = list(genecis.TASKS if tasks is None else tasks)
    for task in tasks:
        check_choice("task", task, genecis.TASKS)
    loaded = {t: genecis.load_task(t, root)[:n_queries] for t in tasks}
    out = {}
    for task, queries in loaded.items():
        sizes = {len(q["candidates"]) for q in queries}
        if len(sizes) != 1:
            raise ValueError(f"GeneCIS {task}: galleries of different sizes {sorted(sizes)}")

        def encode(images):
            x = torch.stack([preprocess(genecis.load_image(im, task, root)) for im in images])
            return F.normalize(model.encode_image(x.to(device)).float(), dim=-1).cpu()

        gallery = torch.stack([encode(q["candidates"]) for q in queries])
        conditions = [q["condition"] for q in queries]
        out[task] = {
            "queries": {
                "task": task,
                "conditions": conditions,
                "target": np.zeros(len(queries), dtype=np.int64),
            },
            "reference": encode([q["reference"] for q in queries]),
            "gallery": gallery,
            "condition": encode_text(model, tokenizer, conditions, device=device),
        }
    return out


def figure_key(method: str) -> str:
    """A method's name in figure names: ``"image + text"`` -> ``"image_text"``."""
    return method.replace(" + ", "_").replace(" ", "_")


def recall_figures(hits: Mapping[str, Mapping[str, Mapping[int, np.ndarray]]]) -> dict[str, float]:
    """``{"r{k}_{task}_{method}": Recall@k}`` for every task, method and k, and
    ``"r{k}_average_{method}"``, the mean over the tasks (GeneCIS's average)."""
    out = {}
    tasks = list(hits)
    for m in hits[tasks[0]]:
        for k in hits[tasks[0]][m]:
            per_task = {t: float(hits[t][m][k].mean()) for t in tasks}
            per_task["average"] = float(np.mean(list(per_task.values())))
            out.update({f"r{k}_{t}_{figure_key(m)}": v for t, v in per_task.items()})
    return out


def gap_figures(
    hits, pairs: Sequence[tuple[str, str]], k: int = 1, seed: int = 0
) -> dict[str, float]:
    """:func:`compare` of each ``(method, baseline)`` pair as recorded figures:
    ``{method}_minus_{baseline}_r{k}_{task}`` and its ``_ci_low`` / ``_ci_high``."""
    from zslkit.stats import intervals_as_figures

    out = {}
    for method, baseline in pairs:
        prefix = f"{figure_key(method)}_minus_{figure_key(baseline)}_r{k}_"
        out.update(intervals_as_figures(compare(hits, method, baseline, k, seed), prefix=prefix))
    return out


def evaluate_genecis(
    model: Any,
    preprocess: Callable,
    tokenizer: Callable,
    root: str,
    n_queries: int | None = None,
    device: str = "cpu",
    combiner: Combiner | None = None,
):
    """Per-query hits (:func:`evaluate`) of every method on the real GeneCIS files."""
    real = encode_genecis(model, preprocess, tokenizer, root, n_queries, device)
    targets = {t: e["queries"]["target"] for t, e in real.items()}
    return evaluate(score_all(real, combiner), targets)
