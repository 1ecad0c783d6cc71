"""Test-time prompt tuning (TPT): adapt the prompt to one test image, predict, reset.

TPT {shu2022test} needs no training data at all. For each test image
separately it

1. makes ``N`` augmented views (random resized crops and flips,
   :func:`augment_views`; the first view is the image itself);
2. keeps the ``rho`` fraction of views whose prediction is most confident,
   i.e. has the lowest entropy (:func:`select_confident`): a crop that cut
   the object away gives a flat prediction and is dropped;
3. takes a gradient step on the prompt's context vectors (CoOp's
   parameterisation, :mod:`zslkit.adapt.prompt_learning`) that minimises the
   entropy of the *averaged* prediction of the kept views
   (:func:`marginal_entropy`), ``H(p_bar)`` with ``p_bar = mean_i p(y | v_i)``:
   the prompt is pulled towards the class the views agree on;
4. predicts the original image with the tuned prompt, then resets the
   prompt to its initial value before the next image.

The image tower is frozen, so the views are encoded once and the gradient
flows through the text tower only. RLCF {zhao2024test} replaces the entropy by
a reward from a larger CLIP teacher, DiffTPT {feng2023diverse} adds
diffusion-generated views; neither is implemented here.

Taught in: notebooks/32_pseudo_labels_tta.ipynb
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.adapt.prompt_learning import _frozen, build_prompts, context_from_words, encode_prompts
from zslkit.checks import check_range, resolve_device

__all__ = ["augment_views", "entropy", "select_confident", "marginal_entropy", "TPT"]


def augment_views(
    image: torch.Tensor,
    n_views: int,
    scale: tuple[float, float] = (0.3, 1.0),
    flip: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The image and ``n_views - 1`` random resized crops of it (optionally flipped).

    Each crop covers a fraction ``s ~ U(scale)`` of the image area with a
    square aspect, at a uniform random position, resized back to the input
    size (bilinear); with ``flip`` half the crops are mirrored left-right.

    Parameters
    ----------
    image : (3, H, W) float tensor (already preprocessed).
    n_views : N >= 1.
    scale : area fraction range of the crops, within (0, 1].
    generator : torch generator for reproducible views.

    Returns
    -------
    (N, 3, H, W) float tensor; view 0 is ``image``.
    """
    check_range("n_views", n_views, 1, integer=True)
    if image.dim() != 3:
        raise ValueError(f"image must be (3, H, W), got shape {tuple(image.shape)}")
    low, high = scale
    if not 0 < low <= high <= 1:
        raise ValueError(f"scale must satisfy 0 < low <= high <= 1, got {scale}")
    _, height, width = image.shape
    views = [image]
    for _ in range(n_views - 1):
        s = low + (high - low) * float(torch.rand((), generator=generator))
        h, w = max(1, round(height * math.sqrt(s))), max(1, round(width * math.sqrt(s)))
        top = int(torch.randint(0, height - h + 1, (), generator=generator))
        left = int(torch.randint(0, width - w + 1, (), generator=generator))
        crop = image[:, top : top + h, left : left + w].unsqueeze(0)
        crop = F.interpolate(crop, size=(height, width), mode="bilinear", align_corners=False)[0]
        if flip and float(torch.rand((), generator=generator)) < 0.5:
            crop = crop.flip(-1)
        views.append(crop)
    return torch.stack(views)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """(n,) entropy (nats) of ``softmax(logits)`` per row; logits : (n, C)."""
    log_p = logits.log_softmax(dim=-1)
    return -(log_p.exp() * log_p).sum(dim=-1)


def select_confident(logits: Any, fraction: float) -> torch.Tensor:
    """Indices of the ``max(1, floor(fraction * n))`` rows of lowest entropy (most confident first).

    Parameters
    ----------
    logits : (n, C) float tensor or array (logits or log-probabilities).
    fraction : rho in (0, 1] (TPT: 0.1).

    Returns
    -------
    (m,) int64 tensor of row indices, by increasing entropy.
    """
    check_range("fraction", fraction, 0.0, 1.0)
    if fraction == 0:
        raise ValueError("fraction must be > 0")
    logits = torch.as_tensor(logits, dtype=torch.float32)
    m = max(1, int(fraction * len(logits)))
    return torch.argsort(entropy(logits), stable=True)[:m]


def marginal_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the averaged prediction, ``H(mean_i softmax(logits_i))``, computed in log space.

    ``log p_bar = logsumexp_i log_softmax(logits_i) - log n`` (stable for
    confident views). logits : (n, C); returns a scalar tensor (nats).
    """
    log_p = logits.log_softmax(dim=-1)
    log_mean = torch.logsumexp(log_p, dim=0) - math.log(len(logits))
    return -(log_mean.exp() * log_mean).sum()


class TPT:
    """Test-time prompt tuning of CoOp's context on each test image, a scikit-learn-style estimator.

    Parameters
    ----------
    model, tokenizer : an open_clip ``CLIP`` (frozen) and its tokenizer.
    class_names : the C class names.
    ctx_init : words that initialise the context (TPT: ``"a photo of a"``).
    context : optional (M, D) initial context (e.g. ``CoOp.context()`` of a
        learned prompt); overrides ``ctx_init``.
    n_views : N augmented views per image (TPT: 64).
    fraction : rho, the fraction of most confident views kept (TPT: 0.1).
    steps : gradient steps per image (TPT: 1).
    lr : AdamW learning rate on the context (TPT: 5e-3).
    scale, flip : the crops of :func:`augment_views`.
    device : ``"auto"``, ``"cpu"`` or ``"cuda"``; the model must already be there.
    seed : seeds the views.

    ``fit(class_names=None)`` builds the prompts (no data is used);
    ``predict(images)`` tunes, predicts and resets image by image.

    Attributes
    ----------
    context_ : (M, D) float tensor, the initial context every image starts from.
    text_features_ : (C, d) float tensor, the text features of the initial prompts.
    last_info_ : per image of the last :meth:`decision_function` call, the
        marginal entropy of the kept views before and after tuning.
    logit_scale_ : float, the model's ``logit_scale.exp()``.
    classes_ : (C,) int array.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Callable,
        class_names: Sequence[str],
        ctx_init: str = "a photo of a",
        context: torch.Tensor | None = None,
        n_views: int = 64,
        fraction: float = 0.1,
        steps: int = 1,
        lr: float = 5e-3,
        scale: tuple[float, float] = (0.3, 1.0),
        flip: bool = True,
        device: str = "cpu",
        seed: int = 0,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.class_names = class_names
        self.ctx_init = ctx_init
        self.context = context
        self.n_views = n_views
        self.fraction = fraction
        self.steps = steps
        self.lr = lr
        self.scale = scale
        self.flip = flip
        self.device = device
        self.seed = seed

    def fit(self, X: Any = None, y: Any = None) -> "TPT":
        """Build the prompts and the initial context (nothing is learned; X and y are ignored)."""
        check_range("n_views", self.n_views, 1, integer=True)
        check_range("fraction", self.fraction, 0.0, 1.0)
        check_range("steps", self.steps, 0, integer=True)
        check_range("lr", self.lr, 0.0)
        check_range("seed", self.seed, 0, 2**32 - 1, integer=True)
        self.device_ = resolve_device(self.device)
        if self.context is not None:
            context = torch.as_tensor(self.context).float()
        else:
            context = context_from_words(self.model, self.tokenizer, self.ctx_init).float()
        self.context_ = context.detach().to(self.model.positional_embedding.device)
        self.template_ = build_prompts(
            self.model, self.tokenizer, list(self.class_names), len(self.context_)
        )
        self.logit_scale_ = float(self.model.logit_scale.detach().exp())
        with torch.no_grad(), _frozen(self.model):
            self.text_features_ = self._text_features(self.context_)
        self.classes_ = np.arange(len(self.class_names))
        return self

    def _text_features(self, context: torch.Tensor) -> torch.Tensor:
        """(C, d) L2-normalised text features of the prompts with ``context``."""
        return encode_prompts(
            self.model, self.template_.embed(context), self.template_.tokens, normalize=True
        ).float()

    def tune(self, view_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """Tune the context on one image's view features; the initial context is left unchanged.

        Parameters
        ----------
        view_features : (N, d) float tensor, L2-normalised features of the
            views (row 0: the original image).

        Returns
        -------
        context : (M, D) tuned context.
        text_features : (C, d) L2-normalised text features of the tuned prompts.
        info : ``selected`` (indices of the kept views) and
            ``entropy_before`` / ``entropy_after``: the marginal entropy of
            the kept views under the initial and the tuned context.
        """
        if not hasattr(self, "context_"):
            raise ValueError("this TPT is not fitted; call fit first")
        context = torch.nn.Parameter(self.context_.clone())
        optimizer = torch.optim.AdamW([context], lr=self.lr, weight_decay=0.0)
        with _frozen(self.model):
            logits = self.logit_scale_ * view_features @ self.text_features_.T
            selected = select_confident(logits, self.fraction)
            chosen = view_features[selected]
            before = float(marginal_entropy(logits[selected]))
            for _ in range(self.steps):
                loss = marginal_entropy(self.logit_scale_ * chosen @ self._text_features(context).T)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                text_features = self._text_features(context) if self.steps else self.text_features_
                after = float(marginal_entropy(self.logit_scale_ * chosen @ text_features.T))
        return (
            context.detach(),
            text_features,
            {"selected": selected, "entropy_before": before, "entropy_after": after},
        )

    @torch.no_grad()
    def _encode_views(self, image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        views = augment_views(image.float().cpu(), self.n_views, self.scale, self.flip, generator)
        return F.normalize(self.model.encode_image(views.to(self.device_)).float(), dim=-1)

    def decision_function(self, images: Any) -> np.ndarray:
        """logits : (n, C) of each image under its own tuned prompt; images : (n, 3, H, W) tensor."""
        if not hasattr(self, "context_"):
            raise ValueError("this TPT is not fitted; call fit first")
        images = torch.as_tensor(images)
        if images.dim() != 4:
            raise ValueError(f"images must be (n, 3, H, W), got shape {tuple(images.shape)}")
        generator = torch.Generator().manual_seed(self.seed)
        rows = []
        self.last_info_ = []
        for image in images:
            view_features = self._encode_views(image, generator)
            _, text_features, info = self.tune(view_features)
            rows.append((self.logit_scale_ * view_features[0] @ text_features.T).cpu())
            self.last_info_.append(
                {"entropy_before": info["entropy_before"], "entropy_after": info["entropy_after"]}
            )
        return torch.stack(rows).numpy()

    def predict_proba(self, images: Any) -> np.ndarray:
        """(n, C) softmax of :meth:`decision_function`."""
        return torch.softmax(torch.as_tensor(self.decision_function(images)), dim=1).numpy()

    def predict(self, images: Any) -> np.ndarray:
        """(n,) predicted labels, each image with its own tuned prompt."""
        return self.classes_[np.argmax(self.decision_function(images), axis=1)]

    def score(self, images: Any, labels: Any) -> float:
        """Top-1 accuracy."""
        labels = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(images) == labels))
