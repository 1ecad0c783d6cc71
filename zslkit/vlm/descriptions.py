"""Zero-shot classifiers from class descriptions instead of (or as well as) class names.

A class is described by a few short sentences ``d_{c,1}, ..., d_{c,M_c}``
(what it looks like) and its embedding is the normalised mean of their
normalised text embeddings, exactly as a prompt ensemble averages templates:

    w_c = normalise( (1/M_c) sum_m normalise(enc_text(d_{c,m})) )

:func:`text_classifier` builds the weights from the names (the prompt
ensemble of :func:`zslkit.models.zeroshot.zero_shot_classifier`), from the
descriptions, or from both (the normalised mean of the two class vectors).
Descriptions live in ``data/descriptions/<dataset>.json`` and are read by
:func:`zslkit.data.semantics.load_descriptions`; the pocket world's are generated
from its attributes by :func:`pocket_descriptions` (``python -m
zslkit.vlm.descriptions`` rewrites ``data/descriptions/pocket.json``).

Taught in: notebooks/22_descriptions.ipynb
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from zslkit.checks import check_choice
from zslkit.data import world
from zslkit.data.semantics import descriptions_path, load_descriptions
from zslkit.models.features import encode_text
from zslkit.models.zeroshot import zero_shot_classifier

SOURCES = ("names", "descriptions", "both")
"""What a class embedding is built from (see :func:`text_classifier`)."""

# How a pretraining caption names a single attribute (see zslkit.data.world.captions):
# the shape alone is "a star."; any other attribute alone takes the word "shape": "a red shape.".
_ONE_ATTRIBUTE = world.Template("a {}.")


def pocket_descriptions(task: str = "colour_shape") -> dict[str, list[str]]:
    """Descriptions of every pocket-world class, one sentence per attribute of the class.

    Each sentence names ONE attribute, in the words ToyCLIP's pretraining
    captions use when they name only that attribute: ``"a red shape."``
    for the colour, ``"a star."`` for the shape (``"a striped shape."``,
    ``"a large shape."`` for the pattern and size of richer tasks). So a
    description never contains the class name, and every word of it was
    seen in pretraining even when the class itself never was.

    Returns
    -------
    dict ``{class_name: [sentence, ...]}`` over :func:`zslkit.data.world.class_names`
    of ``task``, in canonical class order, e.g.
    ``{"red circle": ["a red shape.", "a circle."], ...}``.
    """
    out = {}
    for name in world.class_names(task):
        attributes = world.class_attributes(name, task)
        out[name] = [
            _ONE_ATTRIBUTE(value if attribute == "shape" else f"{value} shape")
            for attribute, value in attributes.items()
        ]
    return out


def pocket_descriptions_file(task: str = "colour_shape") -> dict:
    """The content of ``data/descriptions/pocket.json``: :func:`pocket_descriptions` with a header."""
    return {
        "dataset": "pocket",
        "task": task,
        "note": "Generated from the pocket world's attributes: one sentence per attribute of the class, "
        "worded as ToyCLIP's pretraining captions word a single attribute.",
        "generator": f"python -m zslkit.vlm.descriptions --task {task}",
        "descriptions": pocket_descriptions(task),
    }


def write_pocket_descriptions(task: str = "colour_shape", path: str | Path | None = None) -> Path:
    """Write :func:`pocket_descriptions_file` to ``path`` (default ``data/descriptions/pocket.json``)."""
    path = Path(path) if path is not None else descriptions_path("pocket")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(pocket_descriptions_file(task), indent=2) + "\n", encoding="utf-8")
    return path


def class_descriptions(dataset: str, class_names: Sequence[str]) -> dict[str, list[str]]:
    """The descriptions of ``class_names`` from ``data/descriptions/<dataset>.json``, in their order.

    Raises
    ------
    FileNotFoundError : the file is missing (the message names the path and its format).
    ValueError : a class has no entry in the file (the message lists them).
    """
    descriptions = load_descriptions(dataset)
    missing = [c for c in class_names if c not in descriptions]
    if missing:
        raise ValueError(
            f"classes {missing} have no descriptions in {descriptions_path(dataset)}; "
            f"it describes {list(descriptions)[:10]}{' ...' if len(descriptions) > 10 else ''}"
        )
    return {c: descriptions[c] for c in class_names}


def description_classifier(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    descriptions: Mapping[str, Sequence[str]],
    device: str = "cpu",
    batch_size: int = 256,
) -> torch.Tensor:
    """Zero-shot classifier weights from class descriptions.

    Parameters
    ----------
    class_names : the C class names, in label order.
    descriptions : ``{class_name: [sentence, ...]}`` with at least one
        sentence for each of ``class_names`` (classes may have different numbers).

    Returns
    -------
    weights : (d, C) float32 tensor; column c is
        ``normalise(mean_m normalise(encode_text(descriptions[class_names[c]][m])))``.
    """
    class_names = list(class_names)
    if not class_names:
        raise ValueError("need at least one class name")
    missing = [c for c in class_names if not descriptions.get(c)]
    if missing:
        raise ValueError(f"classes {missing} have no descriptions")
    texts = [t for c in class_names for t in descriptions[c]]
    text_features = encode_text(model, tokenizer, texts, batch_size=batch_size, device=device)
    columns, start = [], 0
    for c in class_names:
        n = len(descriptions[c])
        columns.append(text_features[start : start + n].mean(dim=0))
        start += n
    return F.normalize(torch.stack(columns), dim=-1).T.contiguous()


def text_classifier(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    templates: Sequence[str | Callable[[str], str]] | None = None,
    descriptions: Mapping[str, Sequence[str]] | None = None,
    source: str = "both",
    device: str = "cpu",
    batch_size: int = 256,
) -> torch.Tensor:
    """Zero-shot classifier weights from names, descriptions or both.

    Parameters
    ----------
    class_names : the C class names, in label order.
    templates : prompt templates for the names (needed unless ``source="descriptions"``).
    descriptions : ``{class_name: [sentence, ...]}`` (needed unless ``source="names"``).
    source : ``"names"``: the prompt ensemble ``w_c^names``
        (:func:`zslkit.models.zeroshot.zero_shot_classifier`); ``"descriptions"``:
        ``w_c^desc`` (:func:`description_classifier`); ``"both"``:
        ``normalise(w_c^names + w_c^desc)``, the two unit vectors weighted
        equally whatever the number of templates and descriptions.

    Returns
    -------
    weights : (d, C) float32 tensor with unit-norm columns.
    """
    check_choice("source", source, SOURCES)
    if source != "descriptions" and not templates:
        raise ValueError(f"source={source!r} needs templates for the class names")
    if source != "names" and descriptions is None:
        raise ValueError(f"source={source!r} needs descriptions")
    parts = []
    if source in ("names", "both"):
        parts.append(
            zero_shot_classifier(model, tokenizer, class_names, templates, device, batch_size)
        )
    if source in ("descriptions", "both"):
        parts.append(
            description_classifier(model, tokenizer, class_names, descriptions, device, batch_size)
        )
    return F.normalize(sum(parts), dim=0)


def main(argv: Sequence[str] | None = None) -> Path:
    """``python -m zslkit.vlm.descriptions``: regenerate ``data/descriptions/pocket.json``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--task", default="colour_shape", choices=world.TASKS, help="pocket-world task"
    )
    parser.add_argument(
        "--out", default=None, help="output path (default: data/descriptions/pocket.json)"
    )
    args = parser.parse_args(argv)
    path = write_pocket_descriptions(args.task, args.out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
