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

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range
from zslkit.data import world
from zslkit.data.semantics import descriptions_path, load_descriptions
from zslkit.models.features import encode_text
from zslkit.models.zeroshot import zero_shot_classifier
from zslkit.stats import interval_figures  # noqa: F401  (re-exported: chapter 22)

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
    renormalise: bool = True,
) -> torch.Tensor:
    """Zero-shot classifier weights from class descriptions.

    Parameters
    ----------
    class_names : the C class names, in label order.
    descriptions : ``{class_name: [sentence, ...]}`` with at least one
        sentence for each of ``class_names`` (classes may have different numbers).
    renormalise : True (default): each column is the averaged embedding
        scaled back to unit length, a prompt ensemble. False: the plain mean
        of the unit sentence embeddings, so that ``image_features @ weights``
        is, for every class, the MEAN OF THE COSINES between the image and
        the class's sentences: Menon & Vondrick's class score.

    Returns
    -------
    weights : (d, C) float32 tensor; column c is
        ``normalise(mean_m normalise(encode_text(descriptions[class_names[c]][m])))``
        (without the outer ``normalise`` when ``renormalise=False``).
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
    columns = torch.stack(columns)
    if renormalise:
        columns = F.normalize(columns, dim=-1)
    return columns.T.contiguous()


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


# Menon & Vondrick's classifier and WaffleCLIP's random control (chapter 22) ----------------------

DESCRIPTION_METHODS = ("names", "descriptions", "both", "Menon & Vondrick", "WaffleCLIP control")
"""The class scores chapter 22 compares (see :func:`description_methods`)."""


def descriptor_sentence(descriptor: str) -> str:
    """Menon & Vondrick's connective: ``"which is ..."``, ``"which ..."`` or ``"which has ..."``.

    Their rule (``make_descriptor_sentence`` of the authors' code,
    sachit-menon/classify_by_description_release): a descriptor starting
    with "a" (or "an") or "used" gets "which is", one starting with "has",
    "often", "typically", "may" or "can" gets "which", any other "which has".
    A trailing full stop is dropped. ``"a red shape."`` -> ``"which is a red shape"``.
    """
    d = descriptor.strip().rstrip(".")
    if d.startswith(("a", "used")):
        return f"which is {d}"
    if d.startswith(("has", "often", "typically", "may", "can")):
        return f"which {d}"
    return f"which has {d}"


def menon_prompts(
    class_names: Sequence[str], descriptions: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Menon & Vondrick's prompts: ``"{class name}, {descriptor_sentence(d)}"`` per descriptor.

    E.g. ``"red star, which is a red shape"``. Their default builds the
    prompt with no template around it (``before_text = ""``, a comma between).
    """
    missing = [c for c in class_names if not descriptions.get(c)]
    if missing:
        raise ValueError(f"classes {missing} have no descriptions")
    return {c: [f"{c}, {descriptor_sentence(d)}" for d in descriptions[c]] for c in class_names}


def control_words(class_names: Sequence[str]) -> list[str]:
    """The words of ToyCLIP 2's pretraining captions that name no colour, shape or other attribute.

    :func:`zslkit.data.web.vocabulary` less every attribute value, its plural
    and its synonyms, and less every word of ``class_names``: words the text
    encoder read, which carry no class (WaffleCLIP draws from an English word list).
    """
    from zslkit.data import web

    named = {w for c in class_names for w in str(c).lower().split()}
    from zslkit.paths import data_dir

    lang = json.loads((data_dir() / "templates" / "pocket_web.json").read_text())
    attributes = {v for values in world.ATTRIBUTES.values() for v in values}
    attributes |= {s for syn in lang["synonyms"].values() for s in syn}
    attributes |= {a + s for a in attributes for s in ("s", "es")}
    return sorted(web.vocabulary() - attributes - named - {"a", "an", "the"})


def waffle_descriptors(
    class_names: Sequence[str],
    n: int,
    seed: int = 0,
    words: Sequence[str] | None = None,
) -> list[str]:
    """WaffleCLIP's random descriptors: alternately a random word sequence and a random character sequence.

    Built as WaffleCLIP's ``waffle`` mode builds them (Roth et al. 2023,
    ExplainableML/WaffleCLIP): a word sequence has as many words as a class
    name has on average, each drawn from ``words`` (default
    :func:`control_words`) and cut to the mean word length of the class
    names; a character sequence has as many comma-separated groups as a
    class name has words and, in all, about the length of a class name's
    longest word, in characters drawn from ``words``. The same ``n``
    descriptors serve every class, so they carry no class information.

    Returns
    -------
    list of ``n`` strings, e.g. ``["photo there", "kqe, aol"]``.
    """
    check_range("n", n, 1, integer=True)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    class_names = [str(c) for c in class_names]
    if not class_names:
        raise ValueError("need at least one class name")
    words = list(words) if words is not None else control_words(class_names)
    if not words:
        raise ValueError("need at least one word to draw from")
    rng = np.random.default_rng(seed)
    n_words = max(int(round(np.mean([len(c.split()) for c in class_names]))), 1)
    word_len = int(round(np.mean([np.mean([len(w) for w in c.split()]) for c in class_names])))
    pool = [w[:word_len] for w in words]
    letters = sorted(set("".join(words)))
    n_groups = n_words
    n_chars = int(np.ceil(np.mean([max(len(w) for w in c.split()) for c in class_names])))
    n_chars += n_groups - n_chars % n_groups
    out = []
    for k in range(n):
        if k % 2 == 0:
            out.append(" ".join(pool[i] for i in rng.integers(len(pool), size=n_words)))
        else:
            groups = [
                "".join(letters[i] for i in rng.integers(len(letters), size=n_chars // n_groups))
                for _ in range(n_groups)
            ]
            out.append(", ".join(groups))
    return out


def waffle_prompts(
    class_names: Sequence[str],
    n: int,
    seed: int = 0,
    words: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """The random-descriptor control: :func:`menon_prompts` with :func:`waffle_descriptors` for every class."""
    shared = waffle_descriptors(class_names, n, seed, words)
    return menon_prompts(class_names, {c: shared for c in class_names})


def description_methods(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    templates: Sequence[str | Callable[[str], str]],
    descriptions: Mapping[str, Sequence[str]],
    seed: int = 0,
    device: str = "cpu",
    batch_size: int = 256,
    n_draws: int = 1,
) -> dict[str, Any]:
    """The (d, C) weights of every class score of :data:`DESCRIPTION_METHODS`.

    ``"names"``, ``"descriptions"``, ``"both"``: :func:`text_classifier`
    (averaged, renormalised embeddings); ``"Menon & Vondrick"``: the mean of
    the cosines to :func:`menon_prompts` (``renormalise=False``);
    ``"WaffleCLIP control"``: the same with :func:`waffle_prompts`, as many
    random descriptors per class as the classes have descriptions on average
    (rounded), drawn with seeds ``seed * n_draws + j`` for ``j < n_draws``:
    a single (d, C) tensor when ``n_draws == 1``, else a list of them, whose
    accuracies :func:`correct_by_method` averages (WaffleCLIP averages
    several draws too).

    Taught in: notebooks/22_descriptions.ipynb
    """
    args = (model, tokenizer, class_names)
    out = {
        s: text_classifier(*args, templates, descriptions, s, device, batch_size) for s in SOURCES
    }
    menon = menon_prompts(class_names, descriptions)
    out["Menon & Vondrick"] = description_classifier(
        *args, menon, device, batch_size, renormalise=False
    )
    n = max(int(round(np.mean([len(descriptions[c]) for c in class_names]))), 1)
    check_range("n_draws", n_draws, 1, integer=True)
    draws = [
        description_classifier(
            *args,
            waffle_prompts(class_names, n, seed * n_draws + j),
            device,
            batch_size,
            renormalise=False,
        )
        for j in range(n_draws)
    ]
    out["WaffleCLIP control"] = draws[0] if n_draws == 1 else draws
    return out


def correct_by_method(weights: Mapping[str, torch.Tensor], image_features: Any, labels: Any):
    """``{method: (n,) array}``: whether each test image's arg max class is its label.

    A method whose weights are a list of (d, C) tensors (several random
    draws) gets the fraction of its draws that are right, per image.

    Taught in: notebooks/22_descriptions.ipynb
    """
    features = torch.as_tensor(image_features, dtype=torch.float32)
    labels = np.asarray(labels)

    def right(w):
        return (features @ w.to(features)).argmax(dim=1).numpy() == labels

    return {
        m: np.mean([right(x) for x in w], axis=0) if isinstance(w, (list, tuple)) else right(w)
        for m, w in weights.items()
    }


def compare_over_seeds(
    runs: Sequence[Mapping[str, Any]],
    labels: Sequence[Any],
    a: str,
    b: str,
    classes: Sequence[int] | None = None,
    n_resamples: int = 10_000,
    per_seed: bool = True,
) -> dict[str, Any]:
    """Accuracy of ``a`` minus ``b``, per seed and over seeds, on the test images of ``classes``.

    Parameters
    ----------
    runs : one :func:`correct_by_method` result per seed (a different test set each).
    labels : the (n_s,) labels of each seed's test images.
    a, b : method names.
    classes : class ids whose images count (default all); on balanced
        test sets the image mean is the per-class top-1.

    Returns
    -------
    dict with ``"per_seed"``: one :func:`zslkit.stats.paired_bootstrap`
    Interval per seed (over its test images; None when ``per_seed=False``),
    ``"estimates"``: the per-seed differences, ``"over_seeds"``: the
    :func:`zslkit.stats.t_interval` of the per-seed differences (needs 2
    seeds or more, else None), and ``"pooled"``: a paired bootstrap over the
    images of all seeds together.

    Taught in: notebooks/22_descriptions.ipynb
    """
    from zslkit.stats import paired_bootstrap, t_interval

    if len(runs) != len(labels) or not runs:
        raise ValueError(f"need one labels array per run, got {len(runs)} runs, {len(labels)}")
    for m in (a, b):
        check_choice("method", m, list(runs[0]))
    pairs = []
    for run, y in zip(runs, labels):
        keep = np.ones(len(y), bool) if classes is None else np.isin(np.asarray(y), classes)
        pairs.append((np.asarray(run[a])[keep], np.asarray(run[b])[keep]))
    estimates = [float(np.mean(x) - np.mean(y)) for x, y in pairs]
    seeds = (
        [paired_bootstrap(x, y, n_resamples=n_resamples) for x, y in pairs] if per_seed else None
    )
    pooled = paired_bootstrap(
        np.concatenate([x for x, _ in pairs]),
        np.concatenate([y for _, y in pairs]),
        n_resamples=n_resamples,
    )
    over = t_interval(estimates) if len(estimates) > 1 else None
    return {"per_seed": seeds, "estimates": estimates, "over_seeds": over, "pooled": pooled}


def encode_seeds(
    model: Any,
    preprocess: Any,
    dataset: str,
    seeds: Sequence[int],
    data_root: str = "",
    pocket: Mapping[str, Any] | None = None,
    batch_size: int = 256,
    device: str = "cpu",
):
    """One test set per seed (the pocket world renders a fresh one), encoded.

    ``pocket`` holds the pocket options but the seed (``variant``,
    ``n_per_class``, ...). Returns ``(data, tests)``: the last dataset and a
    list of ``(image_features, labels)``, one per seed.

    Taught in: notebooks/22_descriptions.ipynb
    """
    from zslkit.vlm.experiments import encode_split

    tests = []
    for s in seeds:
        options = dict(pocket or {}) | {"seed": int(s)}
        data, image_features, labels = encode_split(
            model, preprocess, dataset, "test", data_root, options, batch_size, device
        )
        tests.append((image_features, labels))
    return data, tests


def evaluate_seeds(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    templates: Sequence,
    descriptions: Mapping[str, Sequence[str]],
    tests: Sequence[tuple[Any, Any]],
    seeds: Sequence[int],
    device: str = "cpu",
    n_draws: int = 1,
) -> list[dict[str, np.ndarray]]:
    """:func:`correct_by_method` of :func:`description_methods` on each seed's test set.

    The random descriptors of test set k are drawn with ``seeds[k]``.
    Taught in: notebooks/22_descriptions.ipynb
    """
    runs = []
    for (image_features, labels), s in zip(tests, seeds):
        weights = description_methods(
            model, tokenizer, class_names, templates, descriptions, int(s), device, n_draws=n_draws
        )
        runs.append(correct_by_method(weights, image_features, labels))
    return runs


def group_top1(
    runs: Sequence[Mapping[str, Any]],
    labels: Sequence[Any],
    groups: Mapping[str, Sequence[int]],
) -> dict[tuple[str, str], float]:
    """``{(method, group): mean over seeds of the accuracy on the images of the group's classes}``.

    Taught in: notebooks/22_descriptions.ipynb
    """
    return {
        (m, g): float(
            np.mean([np.asarray(r[m])[np.isin(y, ids)].mean() for r, y in zip(runs, labels)])
        )
        for m in runs[0]
        for g, ids in groups.items()
    }


def unseen_word_share(prompts: Mapping[str, Sequence[str]], corpus: str = "web") -> float:
    """Share of the prompts (all classes together) holding a word no pretraining caption has.

    ``corpus`` as :func:`zslkit.data.web.vocabulary` takes it. Taught in:
    notebooks/22_descriptions.ipynb
    """
    from zslkit.data import web

    flat = [t for texts in prompts.values() for t in texts]
    if not flat:
        raise ValueError("no prompts to count")
    return len(web.unseen_words(flat, corpus)) / len(flat)


def plot_description_gains(gains: Mapping[str, Mapping[str, Sequence[float]]], title: str = ""):
    """Per-seed gains over the names, with their t interval over seeds, per method and class group.

    Parameters
    ----------
    gains : ``{method: {group: [gain of seed 0, gain of seed 1, ...]}}``.

    Returns the matplotlib Figure: one bar per (group, method), its height the
    mean over seeds, its error bar :func:`zslkit.style.seed_interval`, the
    seeds as dots. Taught in: notebooks/22_descriptions.ipynb
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    from zslkit import style

    rows = [
        {"method": m, "classes": g, "gain": v, "seed": k}
        for m, by_group in gains.items()
        for g, values in by_group.items()
        for k, v in enumerate(values)
    ]
    frame = pd.DataFrame(rows)
    palette = style.colours_for(list(gains))
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    sns.barplot(
        frame,
        x="classes",
        y="gain",
        hue="method",
        palette=palette,
        errorbar=style.seed_interval,
        capsize=0.1,
        ax=ax,
        err_kws={"color": style.INK},
    )
    sns.stripplot(
        frame,
        x="classes",
        y="gain",
        hue="method",
        dodge=True,
        palette={m: style.INK for m in gains},
        size=3,
        legend=False,
        ax=ax,
    )
    ax.axhline(0, color=style.MUTED, linewidth=0.8)
    ax.set_ylabel("top-1 gain over names")
    ax.set_xlabel("")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    return fig


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
