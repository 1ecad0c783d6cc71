"""Prompt ensembling: one classifier per template, then a (weighted) average.

CLIP turns a class name into a classifier with a prompt template such as
"a photo of a {}.". With T templates, template t gives class c the
L2-normalised text embedding

    e_t(c) = normalise(enc_text(t(c))),

which this module keeps apart as a (T, d, C) stack of *per-template
classifiers*. An ensemble mixes them with prompt weights ``a`` (``a_t >= 0``,
summing to one) and renormalises each class:

    w_c = normalise( sum_t a_t e_t(c) ).

Equal weights ``a_t = 1/T`` give CLIP's prompt ensemble, the weights of
:func:`zslkit.models.zeroshot.zero_shot_classifier` and of
``open_clip.build_zero_shot_classifier``; :mod:`zslkit.vlm.zpe` chooses ``a``
from unlabelled images. Template sets are data (``data/templates/``):
:func:`load_template_set` reads them by name.

Taught in: notebooks/20_prompt_ensembling.ipynb (and notebooks/21_zpe.ipynb)
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range
from zslkit.models.features import encode_text
from zslkit.models.zeroshot import fill_template
from zslkit.paths import data_dir

#: template-set name -> (file in data/templates/, key of its template list)
TEMPLATE_SETS: dict[str, tuple[str, str]] = {
    "openai80": ("imagenet_openai80", "templates"),  # CLIP's 80 ImageNet templates
    "simple7": ("imagenet_simple7", "templates"),  # their 7-template subset
    "pocket": ("pocket", "captions"),  # the 12 templates of the pocket world's captions
    "pocket_zeroshot": ("pocket", "zeroshot"),  # the pocket world's 5-template zero-shot ensemble
    "pocket_bad": (
        "pocket_bad",
        "templates",
    ),  # deliberately bad templates (notebooks/21_zpe.ipynb)
    "baselines": ("baselines", "templates"),  # the class name alone, and "a photo of a {}."
}


def list_template_sets() -> list[str]:
    """Every name :func:`load_template_set` accepts (``"dataset"``: the dataset's own templates;
    ``"standard"``, ``"coop"``: a full-tier dataset's sets, :data:`zslkit.data.datasets.PROMPT_SETS`)."""
    return list(TEMPLATE_SETS) + ["dataset", "standard", "coop"]


def _read_set(name: str) -> dict:
    file, _ = TEMPLATE_SETS[name]
    with open(data_dir() / "templates" / f"{file}.json", encoding="utf-8") as f:
        return json.load(f)


def _uses_articles(dataset: Any) -> bool:
    from zslkit.data.world import Template

    return any(isinstance(t, Template) for t in getattr(dataset, "templates", []))


def load_template_set(name: str, dataset: Any = None, articles: bool | None = None) -> list:
    """A named set of prompt templates from ``data/templates/``.

    Parameters
    ----------
    name : one of :func:`list_template_sets`: ``"openai80"``, ``"simple7"``,
        ``"pocket"`` (the 12 caption templates of the pocket world),
        ``"pocket_zeroshot"``, ``"pocket_bad"``, ``"baselines"`` or
        ``"dataset"`` (``dataset.templates``: CoOp's per-dataset templates,
        the pocket world's zero-shot ensemble for ``"pocket"``), or, for a
        full-tier dataset, ``"standard"`` (the standard zero-shot
        evaluation's templates, as CLIP_benchmark ships them, with ``{c}``)
        and ``"coop"`` (CoOp's).
    dataset : a dataset from :func:`zslkit.data.datasets.load_dataset`; needed for
        ``"dataset"``, and it decides the default of ``articles``.
    articles : wrap each template in :class:`zslkit.data.world.Template`, which
        turns "a" before a vowel into "an" when the template is filled
        ("an orange circle"). ``None``: do so exactly when the dataset's own
        templates do (the pocket world, whose captions always use the right
        article); full-tier datasets keep the templates as published.

    Returns
    -------
    list of T templates: ``str.format`` strings or callables, in file order.
    """
    from zslkit.data.world import Template

    check_choice("template_set", name, list_template_sets())
    if name == "dataset":
        if dataset is None:
            raise ValueError(
                "template_set='dataset' needs dataset= (a dataset from zslkit.data.datasets.load_dataset)"
            )
        return list(dataset.templates)
    if name in ("standard", "coop"):
        from zslkit.data.datasets import load_templates

        data_name = getattr(dataset, "cache_id", {}).get("dataset")
        return load_templates(data_name, template_set=name)  # ValueError off the full tier
    templates = list(_read_set(name)[TEMPLATE_SETS[name][1]])
    if articles is None:
        articles = _uses_articles(dataset)
    return [Template(t) for t in templates] if articles else templates


def resolve_prompt_sets(
    dataset: str,
    template_set: str = "",
    name_set: str = "",
    protocol: str = "zeroshot",
    pocket_default: str = "openai80",
) -> tuple[str, str]:
    """The template set and class-name set a chapter runs with.

    Parameters
    ----------
    dataset : a dataset of :func:`zslkit.data.datasets.list_datasets`.
    template_set : one of :func:`list_template_sets`, or ``""`` for the
        default: ``pocket_default`` on the pocket tier; on the full tier
        :func:`zslkit.data.datasets.default_prompt_set` (``"standard"``,
        the standard zero-shot evaluation's templates, for
        ``protocol="zeroshot"``; ``"coop"`` for ``"fewshot"``).
    name_set : ``"standard"``, ``"coop"`` (full tier) or ``""`` for the same
        default; the pocket world has its own names, ``"pocket"``.

    Returns
    -------
    (template_set, name_set), checked (ValueError naming the valid choices)
    before any data is loaded; ``name_set`` goes to
    :func:`zslkit.data.datasets.prompt_class_names`.

    Taught in: notebooks/20_prompt_ensembling.ipynb (and notebooks/21_zpe.ipynb)
    """
    from zslkit.data.datasets import default_prompt_set, list_prompt_sets

    default = default_prompt_set(dataset, protocol)  # checks dataset and protocol
    check_choice("template_set", template_set, ["", *list_template_sets()])
    names = ["pocket"] if dataset == "pocket" else list_prompt_sets()
    check_choice("name_set", name_set, ["", *names])
    if dataset == "pocket":
        return template_set or pocket_default, "pocket"
    return template_set or default, name_set or default


def dataset_prompts(data: Any, template_set: str = "", name_set: str = "") -> tuple[list, list]:
    """The class names and the templates of a loaded dataset in the chosen prompt sets.

    Parameters
    ----------
    data : a dataset from :func:`zslkit.data.datasets.load_dataset`.
    template_set : ``""`` or ``"dataset"``: the dataset's own templates
        (``data.templates``: CoOp's on a full-tier dataset, the pocket
        world's zero-shot ensemble on ``"pocket"``); any other name of
        :func:`list_template_sets` goes to :func:`load_template_set`.
    name_set : ``""``: ``data.class_names``; otherwise a name set of
        :func:`zslkit.data.datasets.prompt_class_names` (``"coop"``,
        ``"standard"``, or ``"pocket"`` for the pocket world).

    Returns
    -------
    (class_names, templates): lists of C names and of T templates.

    Taught in: notebooks/30_training_free_adapters.ipynb (and 31, 32, 34, through
    :func:`zslkit.adapt.protocols.few_shot_data`)
    """
    from zslkit.data.datasets import prompt_class_names

    check_choice("template_set", template_set, ["", *list_template_sets()])
    names = prompt_class_names(data, name_set or None)
    templates = load_template_set(template_set or "dataset", dataset=data)
    return names, templates


def template_kinds(name: str) -> list[str] | None:
    """The ``"kinds"`` list of a template set's file (one label per template), or ``None`` if it has none."""
    check_choice("template_set", name, list(TEMPLATE_SETS))
    kinds = _read_set(name).get("kinds")
    return None if kinds is None else list(kinds)


@torch.no_grad()
def template_classifiers(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    templates: Sequence[str | Callable[[str], str]],
    device: str = "cpu",
    batch_size: int = 256,
    progress: bool = False,
    precision: str = "auto",
) -> torch.Tensor:
    """One zero-shot classifier per template.

    Parameters
    ----------
    model, tokenizer : a backbone from :func:`zslkit.models.backbones.load_backbone`.
    class_names : the C class names, in label order.
    templates : T templates: ``str.format`` strings with ``{}`` or callables.
    device, batch_size, progress : how to run the text encoder.
    precision : the text encoder's arithmetic (``"auto"``, ``"fp32"``,
        ``"bf16"``, ``"fp16"``; see :func:`zslkit.models.features.resolve_precision`).

    Returns
    -------
    classifiers : (T, d, C) float32 tensor; ``classifiers[t, :, c]`` is
        ``normalise(encode_text(templates[t](class_names[c])))``.
    """
    class_names, templates = list(class_names), list(templates)
    if not class_names or not templates:
        raise ValueError(
            f"need at least one class name and one template; got {len(class_names)} and {len(templates)}"
        )
    prompts = [fill_template(t, c) for t in templates for c in class_names]
    text_features = encode_text(
        model,
        tokenizer,
        prompts,
        batch_size=batch_size,
        device=device,
        progress=progress,
        precision=precision,
    )
    return text_features.reshape(len(templates), len(class_names), -1).transpose(1, 2).contiguous()


def _as_tensor(x: Any) -> torch.Tensor:
    return (
        x.detach().float().cpu()
        if isinstance(x, torch.Tensor)
        else torch.as_tensor(np.asarray(x), dtype=torch.float32)
    )


def _check_classifiers(classifiers: torch.Tensor) -> None:
    if classifiers.ndim != 3:
        raise ValueError(f"classifiers must have shape (T, d, C); got {tuple(classifiers.shape)}")


def check_prompt_weights(prompt_weights: Any, n_templates: int) -> torch.Tensor:
    """Validate prompt weights and scale them to sum to one: (T,) float32 tensor."""
    weights = _as_tensor(prompt_weights).reshape(-1)
    if weights.numel() != n_templates:
        raise ValueError(
            f"prompt_weights has {weights.numel()} entries for {n_templates} templates"
        )
    if not torch.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError("prompt_weights must be finite, non-negative and not all zero")
    return weights / weights.sum()


def ensemble_classifier(
    classifiers: Any, prompt_weights: Any = None, renormalize: bool = True
) -> torch.Tensor:
    """Mix per-template classifiers into one.

    Parameters
    ----------
    classifiers : (T, d, C) per-template classifiers (:func:`template_classifiers`).
    prompt_weights : (T,) non-negative weights, scaled here to sum to one;
        ``None`` for equal weights ``1/T`` (CLIP's prompt ensemble).
    renormalize : L2-normalise each class column of the mix (CLIP's
        ensemble). ``False`` keeps the convex combination itself, so that
        ``image_features @ result`` is the weighted average of the
        per-template logits (how the ZPE reference code mixes prompts).

    Returns
    -------
    weights : (d, C) float32 tensor,
        ``normalise(sum_t a_t classifiers[t])`` column by column.
    """
    classifiers = _as_tensor(classifiers)
    _check_classifiers(classifiers)
    n_templates = classifiers.shape[0]
    weights = (
        torch.full((n_templates,), 1.0 / n_templates)
        if prompt_weights is None
        else check_prompt_weights(prompt_weights, n_templates)
    )
    mixed = torch.einsum("t,tdc->dc", weights, classifiers)
    return F.normalize(mixed, dim=0) if renormalize else mixed


def template_logits(
    image_features: Any, classifiers: Any, logit_scale: float = 100.0
) -> torch.Tensor:
    """Logits of every image under every template's classifier.

    Parameters
    ----------
    image_features : (n, d) float tensor, L2-normalised rows.
    classifiers : (T, d, C) per-template classifiers.
    logit_scale : multiplies the cosine similarities (CLIP: 100; a model's
        own is ``model.logit_scale.exp()``).

    Returns
    -------
    logits : (T, n, C) float32 tensor, ``logit_scale * image_features @ classifiers[t]``.
    """
    check_range("logit_scale", logit_scale, 0.0)
    classifiers = _as_tensor(classifiers)
    _check_classifiers(classifiers)
    return logit_scale * torch.einsum("nd,tdc->tnc", _as_tensor(image_features), classifiers)


def _labels(labels: Any) -> np.ndarray:
    return labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)


def accuracy(image_features: Any, labels: Any, weights: Any) -> float:
    """Top-1 accuracy of the (d, C) classifier ``weights`` on (n, d) ``image_features``."""
    predictions = (_as_tensor(image_features) @ _as_tensor(weights)).argmax(1).numpy()
    return float(np.mean(predictions == _labels(labels)))


def template_accuracies(image_features: Any, labels: Any, classifiers: Any) -> np.ndarray:
    """(T,) top-1 accuracy of each template's classifier alone (this needs labels: an oracle's view)."""
    predictions = template_logits(image_features, classifiers, 1.0).argmax(-1).numpy()  # (T, n)
    return (predictions == _labels(labels)[None, :]).mean(axis=1)
