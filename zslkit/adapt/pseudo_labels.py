"""Iterative, class-balanced pseudo-labelling of unlabelled images (GRIP-style).

Menghini et al. {menghini2023enhancing} adapt CLIP to a task without any
label: CLIP's own zero-shot predictions label the unlabelled images, a light
model is trained on those pseudo-labels, and the procedure repeats. Two
choices make it work:

* **class balance** - instead of thresholding the confidence (which keeps
  many images of the easy classes and none of the hard ones), every class
  gets the same budget: the ``k`` images it is most confidently predicted
  for (:func:`select_top_k_per_class`);
* **a growing budget** - ``k`` starts small (only the surest images) and
  grows by ``|X_U| / (C T)`` per iteration over ``T`` iterations
  (:func:`k_schedule`), and at every iteration the *current* model relabels
  the whole unlabelled set, so early mistakes can be corrected.

Here the light model is a linear probe on cached image features whose
weights start from the zero-shot text classifier (``logits = tau f W``);
GRIP trains textual prompts (CoOp), available with ``learner="coop"``
(:class:`zslkit.adapt.prompt_learning.CoOp`). Each iteration trains from the
zero-shot initialisation on the new pseudo-labels, as GRIP re-initialises
its prompts.

Taught in: notebooks/32_pseudo_labels_tta.ipynb
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range

LEARNERS = ("linear", "coop")
"""Light models trained on the pseudo-labels: a linear probe on the features, or CoOp prompts."""

__all__ = [
    "LEARNERS",
    "select_top_k_per_class",
    "select_top_n_global",
    "k_schedule",
    "fit_linear_probe",
    "IterativePseudoLabeler",
]


def _as_tensor(x: Any) -> torch.Tensor:
    return (
        x.detach().float().cpu()
        if isinstance(x, torch.Tensor)
        else torch.as_tensor(np.asarray(x), dtype=torch.float32)
    )


def _predictions(probs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(probs, predicted class, its score)`` of an (n, C) array or tensor, checked."""
    probs = _as_tensor(probs).numpy()
    if probs.ndim != 2:
        raise ValueError(f"probs must be (n, C), got shape {probs.shape}")
    predicted = probs.argmax(axis=1)
    return probs, predicted, probs[np.arange(len(probs)), predicted]


def select_top_k_per_class(probs: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The class-balanced pseudo-labels: for each class, its ``k`` most confident images.

    Every image is assigned to its predicted class (the argmax of its row);
    among the images assigned to class ``c``, the ``k`` with the highest
    probability ``p(c | x)`` are kept (all of them if fewer than ``k`` are
    assigned to ``c``). So an image receives at most one pseudo-label and no
    class receives more than ``k``. Ties are broken by the lower image index.

    Parameters
    ----------
    probs : (n, C) float array or tensor of class probabilities (or any scores).
    k : images per class (>= 0).

    Returns
    -------
    indices : (m,) int64 array of selected images, sorted; m <= C k.
    labels : (m,) int64 array, their pseudo-labels (the predicted class).
    """
    check_range("k", k, 0, integer=True)
    probs, predicted, confidence = _predictions(probs)
    chosen = []
    for c in range(probs.shape[1]):
        members = np.flatnonzero(predicted == c)
        order = np.lexsort((members, -confidence[members]))  # by confidence, then index
        chosen.append(members[order[:k]])
    indices = np.sort(np.concatenate(chosen)).astype(np.int64) if chosen else np.zeros(0, np.int64)
    return indices, predicted[indices].astype(np.int64)


def select_top_n_global(probs: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The baseline without class balance: the ``n`` most confident images overall.

    Every image is labelled with its predicted class; the ``n`` images with
    the highest confidence ``max_c p(c | x)`` are kept, whatever their class
    (with ``n = k C`` the budget of :func:`select_top_k_per_class`). Classes
    the model is confident about take most of the budget. Ties are broken by
    the lower image index.

    Returns ``indices`` (sorted, int64) and ``labels`` (their predicted class).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    check_range("n", n, 0, integer=True)
    probs, predicted, confidence = _predictions(probs)
    order = np.lexsort((np.arange(len(probs)), -confidence))
    indices = np.sort(order[:n]).astype(np.int64)
    return indices, predicted[indices].astype(np.int64)


def k_schedule(n_unlabelled: int, n_classes: int, n_iterations: int) -> list[int]:
    """GRIP's budget per class: ``k_t = t * ceil(n / (C T))`` for ``t = 1..T``.

    With ``T`` iterations the budget grows by ``ceil(n / (C T))`` images per
    class each time, so the last iteration may pseudo-label every image
    (``k_T >= n / C``).

    Parameters
    ----------
    n_unlabelled : n, the number of unlabelled images.
    n_classes : C.
    n_iterations : T (>= 1).

    Returns
    -------
    list of T ints.
    """
    check_range("n_unlabelled", n_unlabelled, 1, integer=True)
    check_range("n_classes", n_classes, 1, integer=True)
    check_range("n_iterations", n_iterations, 1, integer=True)
    step = math.ceil(n_unlabelled / (n_classes * n_iterations))
    return [step * t for t in range(1, n_iterations + 1)]


def fit_linear_probe(
    features: Any,
    labels: Any,
    init_weights: Any,
    epochs: int = 100,
    lr: float = 1e-3,
    logit_scale: float = 100.0,
) -> torch.Tensor:
    """A linear probe started at the text classifier: ``logits = tau f normalise(W)``, full-batch Adam.

    Parameters
    ----------
    features : (n, d) float tensor, L2-normalised image features.
    labels : (n,) int labels in ``0..C-1`` (true labels or pseudo-labels).
    init_weights : (d, C) float tensor, the starting classifier (e.g. zero-shot text features).
    epochs : Adam steps on the whole set. lr : Adam's learning rate. logit_scale : tau.

    Returns
    -------
    (d, C) float tensor with L2-normalised columns.
    """
    check_range("epochs", epochs, 0, integer=True)
    check_range("lr", lr, 0.0)
    features, labels = _as_tensor(features), torch.as_tensor(np.asarray(labels), dtype=torch.long)
    weights = torch.nn.Parameter(_as_tensor(init_weights).clone())
    optimizer = torch.optim.Adam([weights], lr=lr)
    for _ in range(epochs):
        logits = logit_scale * features @ F.normalize(weights, dim=0)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return F.normalize(weights.detach(), dim=0)


class IterativePseudoLabeler:
    """GRIP-style iterative pseudo-labelling, a scikit-learn-style estimator.

    ``fit(unlabelled_features)`` runs ``n_iterations`` rounds. Round ``t``
    takes the probabilities of the current model (round 1: the zero-shot
    classifier ``text_weights``) on every unlabelled image, keeps the
    ``k_t`` most confident images per class (:func:`select_top_k_per_class`,
    :func:`k_schedule`) and trains the learner from the zero-shot
    initialisation on them. No label is used.

    Parameters
    ----------
    text_weights : (d, C) float tensor, the zero-shot classifier (L2-normalised columns).
    n_iterations : T, rounds of pseudo-labelling.
    learner : ``"linear"`` (:func:`fit_linear_probe`: ``tau f W`` with W
        initialised at ``text_weights``; its columns stay L2-normalised) or ``"coop"``
        (CoOp prompts; needs ``model``, ``tokenizer`` and ``class_names``).
    epochs : full-batch Adam steps of the linear probe, or CoOp epochs.
    lr : learning rate (Adam for the probe; SGD for CoOp, whose default 0.002 is CoOp's).
    logit_scale : tau of the probe (CoOp uses the model's own).
    model, tokenizer, class_names, coop_kwargs : for ``learner="coop"``.
    seed : seeds the learner.
    balanced : True (GRIP): the ``k`` most confident images of each class;
        False: the ``k C`` most confident images overall
        (:func:`select_top_n_global`), the baseline without class balance.
    callback : optional ``callback(estimator, iteration)`` after each round
        (e.g. to measure test accuracy for a plot); return value ignored.

    Attributes
    ----------
    weights_ : (d, C) float tensor, the final classifier.
    schedule_ : list of T ints, k per round.
    history_ : list of dicts per round: ``iteration``, ``k``, ``n_selected``,
        ``indices`` and ``pseudo_labels`` (the selection, into the unlabelled set).
    classes_ : (C,) int array.
    """

    def __init__(
        self,
        text_weights: Any,
        n_iterations: int = 5,
        learner: str = "linear",
        epochs: int = 100,
        lr: float = 1e-3,
        logit_scale: float = 100.0,
        model: Any = None,
        tokenizer: Callable | None = None,
        class_names: Sequence[str] | None = None,
        coop_kwargs: dict | None = None,
        seed: int = 0,
        callback: Callable[["IterativePseudoLabeler", int], Any] | None = None,
        balanced: bool = True,
    ):
        self.text_weights = text_weights
        self.n_iterations = n_iterations
        self.learner = learner
        self.epochs = epochs
        self.lr = lr
        self.logit_scale = logit_scale
        self.model = model
        self.tokenizer = tokenizer
        self.class_names = class_names
        self.coop_kwargs = coop_kwargs
        self.seed = seed
        self.callback = callback
        self.balanced = balanced

    def _check_params(self) -> None:
        check_range("n_iterations", self.n_iterations, 1, integer=True)
        check_choice("learner", self.learner, LEARNERS)
        check_range("epochs", self.epochs, 0, integer=True)
        check_range("lr", self.lr, 0.0)
        check_range("logit_scale", self.logit_scale, 0.0)
        check_range("seed", self.seed, 0, 2**32 - 1, integer=True)
        if self.learner == "coop" and (
            self.model is None or self.tokenizer is None or self.class_names is None
        ):
            raise ValueError("learner='coop' needs model, tokenizer and class_names")

    def _fit_coop(
        self, features: torch.Tensor, labels: torch.Tensor, iteration: int
    ) -> torch.Tensor:
        from zslkit.adapt.prompt_learning import CoOp

        options = {"ctx_init": "a photo of a", "epochs": self.epochs, **(self.coop_kwargs or {})}
        coop = CoOp(self.model, self.tokenizer, seed=self.seed + iteration, **options)
        coop.fit(features, labels, self.class_names)
        return coop.weights_.float()

    def fit(self, unlabelled_features: Any, y: Any = None) -> "IterativePseudoLabeler":
        """Pseudo-label and train, ``n_iterations`` rounds.

        Parameters
        ----------
        unlabelled_features : (n, d) float tensor or array, L2-normalised image features.
        y : ignored (present for the scikit-learn convention; no label is used).
        """
        self._check_params()
        features = _as_tensor(unlabelled_features)
        text_weights = _as_tensor(self.text_weights)
        if (
            features.dim() != 2
            or text_weights.dim() != 2
            or features.shape[1] != text_weights.shape[0]
        ):
            raise ValueError(
                f"unlabelled_features (n, d) and text_weights (d, C) do not match: "
                f"{tuple(features.shape)} and {tuple(text_weights.shape)}"
            )
        n_classes = text_weights.shape[1]
        self.classes_ = np.arange(n_classes)
        self.schedule_ = k_schedule(len(features), n_classes, self.n_iterations)
        self.weights_ = text_weights.clone()
        self.history_ = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            for t, k in enumerate(self.schedule_, start=1):
                probs = self.predict_proba(features)
                if self.balanced:
                    indices, pseudo = select_top_k_per_class(probs, k)
                else:
                    indices, pseudo = select_top_n_global(probs, k * n_classes)
                x, labels = features[torch.as_tensor(indices)], torch.as_tensor(pseudo)
                if self.learner == "linear":
                    self.weights_ = fit_linear_probe(
                        x, labels, text_weights, self.epochs, self.lr, self.logit_scale
                    )
                else:
                    self.weights_ = self._fit_coop(x, labels, t)
                self.history_.append(
                    {
                        "iteration": t,
                        "k": k,
                        "n_selected": len(indices),
                        "indices": indices,
                        "pseudo_labels": pseudo,
                    }
                )
                if self.callback is not None:
                    self.callback(self, t)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise ValueError("this IterativePseudoLabeler is not fitted; call fit first")

    def decision_function(self, image_features: Any) -> np.ndarray:
        """logits : (n, C) = ``logit_scale * image_features @ weights_``."""
        self._check_fitted()
        with torch.no_grad():
            return (self.logit_scale * _as_tensor(image_features) @ self.weights_).numpy()

    def predict_proba(self, image_features: Any) -> np.ndarray:
        """(n, C) softmax of the logits."""
        return torch.softmax(torch.as_tensor(self.decision_function(image_features)), dim=1).numpy()

    def predict(self, image_features: Any) -> np.ndarray:
        """(n,) predicted labels."""
        return self.classes_[np.argmax(self.decision_function(image_features), axis=1)]

    def score(self, image_features: Any, labels: Any) -> float:
        """Top-1 accuracy."""
        labels = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(image_features) == labels))
