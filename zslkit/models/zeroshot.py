"""CLIP zero-shot classification with a prompt ensemble.

A class is the average of its prompts' text features, renormalised:

    w_c = normalise( (1/T) sum_t normalise(enc_text(t(c))) )

and an image is classified by ``logits = logit_scale * image_features @ W``
with ``W = [w_1, ..., w_C]`` of shape (d, C) and ``logit_scale = 100``
(CLIP's learned temperature, clipped at 100).

Taught in: notebooks/20_prompt_ensembling.ipynb
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from zslkit.checks import check_range


def fill_template(template: str | Callable[[str], str], class_name: str) -> str:
    """A prompt: the class name put into a template.

    ``template`` is a ``str.format`` string whose slot is ``{}`` (CoOp's and
    open_clip's form, ``"a photo of a {}."``) or ``{c}`` (CLIP_benchmark's,
    ``"a photo of a {c}."``), or a callable, called as ``template(class_name)``.
    """
    if callable(template):
        return template(class_name)
    return template.format(class_name, c=class_name)


def zero_shot_classifier(
    model: Any,
    tokenizer: Callable,
    class_names: Sequence[str],
    templates: Sequence[str | Callable[[str], str]],
    device: str = "cpu",
    batch_size: int = 256,
    progress: bool = False,
    precision: str = "auto",
) -> torch.Tensor:
    """Zero-shot classifier weights from class names and prompt templates.

    Parameters
    ----------
    class_names : the C class names, in label order.
    templates : T templates: ``str.format`` strings with ``{}`` or callables.
    batch_size : prompts per text-encoder batch.
    precision : ``"auto"`` (float16 autocast on ``"cuda"``, float32 on the
        CPU), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (CUDA only); see
        :func:`zslkit.models.features.resolve_precision`. The weights are
        float32 in every case.

    Returns
    -------
    weights : (d, C) float32 tensor; column c is
        ``normalise(mean_t normalise(encode_text(templates[t](class_names[c]))))``.
    """
    from zslkit.models.prompts import ensemble_classifier, template_classifiers

    per_template = template_classifiers(
        model, tokenizer, class_names, templates, device, batch_size, progress, precision
    )
    return ensemble_classifier(per_template).contiguous()  # equal weights 1/T


def _as_tensor(x: Any) -> torch.Tensor:
    return (
        x.detach().float().cpu()
        if isinstance(x, torch.Tensor)
        else torch.as_tensor(np.asarray(x), dtype=torch.float32)
    )


class ZeroShotClassifier:
    """Scikit-learn-style CLIP zero-shot classifier on precomputed image features.

    Parameters
    ----------
    model, tokenizer : a backbone from :func:`zslkit.models.backbones.load_backbone`
        (needed by ``fit`` unless ``weights`` is given).
    templates : prompt templates (``str.format`` strings or callables).
    weights : optional (d, C) classifier weights to use as they are.
    logit_scale : multiplies the cosine similarities (CLIP: 100).
    device, batch_size, precision : how to run the text encoder (see
        :func:`zero_shot_classifier`).

    Attributes
    ----------
    weights_ : (d, C) float32 tensor. class_names_ : list of str (or None).
    classes_ : (C,) int array, the label of each column.

    Examples
    --------
    >>> clf = ZeroShotClassifier(model, tokenizer, templates).fit(class_names)
    >>> clf.score(image_features, labels)
    """

    def __init__(
        self,
        model: Any = None,
        tokenizer: Callable | None = None,
        templates: Sequence | None = None,
        weights: Any = None,
        logit_scale: float = 100.0,
        device: str = "cpu",
        batch_size: int = 256,
        precision: str = "auto",
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.templates = templates
        self.weights = weights
        self.logit_scale = logit_scale
        self.device = device
        self.batch_size = batch_size
        self.precision = precision

    def fit(self, class_names: Sequence[str] | None = None, y: Any = None) -> "ZeroShotClassifier":
        """Build ``weights_`` from ``class_names`` (no images needed; ``y`` is ignored)."""
        check_range("logit_scale", self.logit_scale, 0.0)
        if self.weights is not None:
            self.weights_ = _as_tensor(self.weights)
        else:
            if (
                self.model is None
                or self.tokenizer is None
                or not self.templates
                or class_names is None
            ):
                raise ValueError(
                    "fit needs model, tokenizer, templates and class_names (or weights=)"
                )
            self.weights_ = zero_shot_classifier(
                self.model,
                self.tokenizer,
                class_names,
                self.templates,
                self.device,
                self.batch_size,
                precision=self.precision,
            )
        n_classes = self.weights_.shape[1]
        if class_names is not None and len(class_names) != n_classes:
            raise ValueError(f"{len(class_names)} class names for {n_classes} weight columns")
        self.class_names_ = None if class_names is None else list(class_names)
        self.classes_ = np.arange(n_classes)
        return self

    def _weights(self) -> torch.Tensor:
        if not hasattr(self, "weights_"):
            if self.weights is None:
                raise ValueError(
                    "this ZeroShotClassifier is not fitted; call fit(class_names) first"
                )
            self.fit()
        return self.weights_

    def decision_function(self, image_features: Any) -> np.ndarray:
        """logits : (n, C) = ``logit_scale * image_features @ weights_``."""
        return (self.logit_scale * _as_tensor(image_features) @ self._weights()).numpy()

    def predict_proba(self, image_features: Any) -> np.ndarray:
        """(n, C) softmax of the logits."""
        return torch.softmax(torch.as_tensor(self.decision_function(image_features)), dim=1).numpy()

    def predict(self, image_features: Any) -> np.ndarray:
        """(n,) predicted labels: the arg max of the logits."""
        logits = self.decision_function(image_features)  # fits first when built from weights
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, image_features: Any, labels: Any) -> float:
        """Top-1 accuracy (fraction of images whose predicted label is right)."""
        labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(image_features) == labels))
