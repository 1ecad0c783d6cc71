"""Contrastive pretraining losses and the geometry of the embeddings they learn.

Every loss is a callable ``loss(image_features, text_features, logit_scale)
-> scalar tensor`` on a batch of B matching image-caption pairs with
(B, d) L2-normalised features, so each plugs into
``zslkit.lab.toyclip.pretrain(loss=...)`` (or ``loss="infoloob"``, ... by name).
With ``s_ij = logit_scale * f_i . g_j`` (image i, caption j):

* :func:`clip_loss` - InfoNCE both ways (CLIP): the positive competes with
  every caption in the batch, itself included.
* :func:`infoloob_loss` - InfoLOOB ("leave one out bound", CLOOB): the
  positive is removed from the denominator.
* :func:`cloob_loss` - InfoLOOB on embeddings retrieved from the batch by a
  modern Hopfield network (:func:`hopfield_retrieval`), CLOOB's loss.
* :func:`cwcl_loss` - cross-entropy against continuous targets (CWCL):
  caption j is a partial positive for image i in proportion to a similarity
  weight ``w_ij`` in [0, 1] instead of the identity.

:class:`TeacherCWCL` takes CWCL's weights from a frozen learned text encoder
(the paper's setting; :func:`caption_weights` is an oracle), :class:`WarmStart`
switches losses after some steps, :func:`hopfield_entropy` measures how much
of the batch a CLOOB retrieval averages. :func:`alignment` and
:func:`uniformity` (Wang & Isola, 2020) measure what a loss did to the
embedding space.

Taught in: notebooks/26_contrastive_losses.ipynb
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from zslkit.checks import check_choice, check_range
from zslkit.data import world

LossFn = Callable[..., torch.Tensor]
CLOOB_INV_TAU = 30.0  # CLOOB's fixed inverse temperature (ml-jku/cloob README: --init-inv-tau=30)
CLOOB_BETA = 8.0  # CLOOB's Hopfield inverse temperature (--scale-hopfield=8)


def _check_pair(image_features: torch.Tensor, text_features: torch.Tensor) -> None:
    if image_features.ndim != 2 or image_features.shape != text_features.shape:
        raise ValueError(
            f"image_features and text_features must be (B, d) of the same shape, got "
            f"{tuple(image_features.shape)} and {tuple(text_features.shape)}"
        )
    if len(image_features) < 2:
        raise ValueError(
            f"a contrastive loss needs a batch of at least 2 pairs, got {len(image_features)}"
        )


def clip_loss(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: torch.Tensor,
    inv_tau: float | None = None,
) -> torch.Tensor:
    """CLIP's loss: InfoNCE from images to captions and from captions to images, averaged.

    ``L = -1/(2B) sum_i [log softmax_j(s_ij)_i + log softmax_j(s_ji)_i]``
    with ``s = logit_scale * image_features @ text_features.T``; equal to
    ``open_clip.ClipLoss()``.

    Parameters
    ----------
    image_features, text_features : (B, d) float tensors, L2-normalised; row i of each is a pair.
    logit_scale : scalar tensor or float, the inverse temperature ``1/tau``.
    inv_tau : a fixed inverse temperature used instead of ``logit_scale``
        (the like-for-like control of InfoLOOB and CLOOB, whose ``1/tau`` is
        fixed), or None for the learned ``logit_scale`` (CLIP).
    """
    _check_pair(image_features, text_features)
    scale = logit_scale if inv_tau is None else inv_tau
    logits = scale * image_features @ text_features.T
    labels = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def _leave_one_out(logits: torch.Tensor) -> torch.Tensor:
    """Mean over rows i of ``logsumexp_{j != i} logits_ij - logits_ii`` (one InfoLOOB direction)."""
    eye = torch.eye(len(logits), dtype=torch.bool, device=logits.device)
    negatives = torch.logsumexp(logits.masked_fill(eye, float("-inf")), dim=1)
    return (negatives - logits.diagonal()).mean()


def infoloob_loss(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: torch.Tensor,
    inv_tau: float | None = CLOOB_INV_TAU,
) -> torch.Tensor:
    """InfoLOOB both ways: InfoNCE with the positive left out of the denominator.

    ``L = 1/(2B) sum_i [(logsumexp_{j != i} s_ij - s_ii) + (logsumexp_{j != i} s_ji - s_ii)]``
    with ``s = inv_tau * image_features @ text_features.T``. Unlike InfoNCE it
    is not bounded below (its positive term no longer saturates), so its
    gradients do not vanish once a pair is matched; for the same reason a
    learned temperature would grow without end, and CLOOB fixes it.

    Parameters
    ----------
    image_features, text_features : (B, d) float tensors, L2-normalised.
    logit_scale : the model's learned inverse temperature; used only when ``inv_tau=None``.
    inv_tau : fixed inverse temperature (CLOOB: 30), or None for ``logit_scale``.

    Notes
    -----
    CLOOB's code sums the two directions and multiplies by ``tau``; with a
    fixed ``tau`` that is a constant factor, which changes nothing under Adam
    but the printed loss.
    """
    _check_pair(image_features, text_features)
    scale = logit_scale if inv_tau is None else inv_tau
    logits = scale * image_features @ text_features.T
    return (_leave_one_out(logits) + _leave_one_out(logits.T)) / 2


def hopfield_retrieval(
    state: torch.Tensor, memory: torch.Tensor, beta: float = CLOOB_BETA
) -> torch.Tensor:
    """One update of a modern Hopfield network: each state retrieves a mixture of the stored patterns.

    ``retrieve(xi) = normalise(memory.T softmax(beta * memory @ xi))``.

    Parameters
    ----------
    state : (n, d) float tensor, the queries.
    memory : (m, d) float tensor, the stored patterns.
    beta : inverse temperature of the softmax (CLOOB: 8); large beta retrieves the nearest pattern.

    Returns
    -------
    (n, d) float tensor, L2-normalised rows.
    """
    attention = torch.softmax(beta * state @ memory.T, dim=1)  # (n, m)
    return F.normalize(attention @ memory, dim=-1)


def hopfield_entropy(
    state: torch.Tensor, memory: torch.Tensor, beta: float = CLOOB_BETA
) -> torch.Tensor:
    """Mean entropy (nats) of the Hopfield attention ``softmax(beta * state @ memory.T)`` over states.

    At most ``log m`` (``m`` stored patterns): the retrieval averages the
    whole memory uniformly; 0 when each state retrieves one pattern.

    Parameters
    ----------
    state : (n, d) float tensor, the queries.
    memory : (m, d) float tensor, the stored patterns.
    beta : inverse temperature of the softmax (CLOOB: 8).

    Returns
    -------
    scalar tensor in [0, log m].

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    check_range("beta", beta, low=0.0)
    log_attention = torch.log_softmax(beta * state @ memory.T, dim=1)
    return -(log_attention.exp() * log_attention).sum(1).mean()


def cloob_loss(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: torch.Tensor,
    inv_tau: float | None = CLOOB_INV_TAU,
    beta: float = CLOOB_BETA,
) -> torch.Tensor:
    """CLOOB: InfoLOOB on embeddings retrieved from the batch by a modern Hopfield network.

    With images X and captions Y of the batch as memories,
    ``U_x = retrieve(x from X)``, ``U_y = retrieve(y from X)``,
    ``V_x = retrieve(x from Y)``, ``V_y = retrieve(y from Y)``
    (:func:`hopfield_retrieval`); then
    ``L = 1/2 [LOOB(anchors U_x, candidates U_y) + LOOB(anchors V_y, candidates V_x)]``
    where ``LOOB(a, c) = 1/B sum_i [logsumexp_{j != i} inv_tau a_i.c_j - inv_tau a_i.c_i]``.
    Retrieval replaces each embedding by an average of similar ones from the
    same memory, which strengthens the covariance structure the batch shares.

    Parameters
    ----------
    image_features, text_features : (B, d) float tensors, L2-normalised.
    logit_scale : used only when ``inv_tau=None``.
    inv_tau : fixed inverse temperature of the InfoLOOB term (CLOOB: 30).
    beta : Hopfield inverse temperature (CLOOB: 8).
    """
    _check_pair(image_features, text_features)
    check_range("beta", beta, low=0.0)
    scale = logit_scale if inv_tau is None else inv_tau
    u_x = hopfield_retrieval(image_features, image_features, beta)
    u_y = hopfield_retrieval(text_features, image_features, beta)
    v_x = hopfield_retrieval(image_features, text_features, beta)
    v_y = hopfield_retrieval(text_features, text_features, beta)
    return (_leave_one_out(scale * u_x @ u_y.T) + _leave_one_out(scale * v_y @ v_x.T)) / 2


@functools.lru_cache(maxsize=1)
def _canonical_words() -> dict[str, str]:
    """Pocket-web word -> pocket-world attribute value: synonyms ("crimson") and plurals ("crosses")."""
    from zslkit.data import web

    out = {}
    for value, synonyms in web._language()["synonyms"].items():
        out.update({synonym: value for synonym in synonyms})
    for shape in world.ATTRIBUTES["shape"]:
        out[web._plural(shape)] = shape
    for synonym, value in list(out.items()):
        if value in world.ATTRIBUTES["shape"]:
            out[web._plural(synonym)] = value
    return out


def caption_weights(
    captions: Sequence[str], vocabulary: Sequence[str] | None = None
) -> torch.Tensor:
    """Similarity of captions by the concept words they name, in [0, 1].

    Each caption becomes a 0/1 vector over ``vocabulary`` (default: every
    value of every pocket-world attribute, ``"red"``, ..., ``"star"``, ...,
    ``"striped"``, ..., ``"large"``); the weight is the cosine similarity of
    two such vectors: 1 for captions naming the same concepts ("a red star."
    and "this is a red star."), 1/2 for "a red star." and "a red circle.",
    0 for captions sharing no concept. It is what a perfect frozen text
    encoder of the pocket world would say (an ORACLE: it reads the concepts
    off the words); templates are ignored. Pocket-web captions (ToyCLIP 2)
    are read with care: synonyms count as their attribute value ("crimson"
    is red, "disc" a circle), plurals as the shape ("crosses"), and the
    template "a black and white photo of" names no colour.

    Returns
    -------
    (B, B) float32 tensor, symmetric, ones on the diagonal.
    """
    vocabulary = list(vocabulary or world.attribute_names("colour_shape_pattern_size"))
    column = {word: k for k, word in enumerate(vocabulary)}
    canonical = _canonical_words()
    bags = torch.zeros(len(captions), len(vocabulary))
    for i, caption in enumerate(captions):
        text = caption.lower().replace("black and white", " ")
        for word in text.replace(".", " ").replace(",", " ").split():
            word = canonical.get(word, word)
            if word in column:
                bags[i, column[word]] = 1.0
    if (bags.sum(1) == 0).any():
        empty = [c for c, b in zip(captions, bags) if b.sum() == 0]
        raise ValueError(f"captions {empty[:3]} name no word of the vocabulary {vocabulary[:5]}...")
    bags = F.normalize(bags, dim=1)
    return bags @ bags.T


def text_weights(text_features: torch.Tensor) -> torch.Tensor:
    """CWCL's weights from one modality's own features: ``(cos(g_i, g_j) + 1) / 2``, detached, in [0, 1].

    Parameters
    ----------
    text_features : (B, d) float tensor, L2-normalised.

    Returns
    -------
    (B, B) float tensor without gradient.
    """
    features = text_features.detach()
    return ((features @ features.T + 1) / 2).clamp(0, 1)


def cwcl_loss(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: torch.Tensor,
    *,
    weights: torch.Tensor | None = None,
    captions: Sequence[str] | None = None,
) -> torch.Tensor:
    """Continuously weighted contrastive loss: cross-entropy against similarity-weighted targets.

    ``L = -1/(2B) sum_i [sum_j wbar_ij log softmax_k(s_ik)_j + sum_j wbar'_ij log softmax_k(s_ki)_j]``
    with ``s = logit_scale * image_features @ text_features.T``,
    ``wbar_ij = w_ij / sum_k w_ik`` (rows of ``w``) and ``wbar'`` the same for
    ``w.T``. With ``w = I`` it is :func:`clip_loss`.

    Parameters
    ----------
    image_features, text_features : (B, d) float tensors, L2-normalised.
    logit_scale : scalar tensor, the learned inverse temperature.
    weights : (B, B) non-negative tensor of pair similarities with a positive diagonal.
        Default: :func:`caption_weights` of ``captions`` when given (``toyclip.pretrain``
        passes the batch's captions to a loss that takes a ``captions`` argument),
        else :func:`text_weights` of ``text_features``.
    captions : the B captions of the batch.

    Notes
    -----
    In the paper one modality comes from a frozen pretrained model and its
    intra-modal similarities give the weights; a standard contrastive loss
    runs in the other direction. Here both towers train from scratch and
    the weights weigh both directions; they come from a frozen learned text
    encoder (:class:`TeacherCWCL`), the captions' concept words (an oracle,
    :func:`caption_weights`) or the detached text features.
    """
    _check_pair(image_features, text_features)
    if weights is None:
        weights = caption_weights(captions) if captions is not None else text_weights(text_features)
    weights = torch.as_tensor(weights, dtype=image_features.dtype, device=image_features.device)
    if (
        weights.shape != (len(image_features),) * 2
        or (weights < 0).any()
        or (weights.diagonal() <= 0).any()
    ):
        raise ValueError(
            f"weights must be a non-negative ({len(image_features)}, {len(image_features)}) matrix with a "
            f"positive diagonal, got shape {tuple(weights.shape)}"
        )
    logits = logit_scale * image_features @ text_features.T
    image_to_text = weights / weights.sum(1, keepdim=True)
    text_to_image = weights.T / weights.T.sum(1, keepdim=True)
    loss_images = -(image_to_text * F.log_softmax(logits, dim=1)).sum(1).mean()
    loss_texts = -(text_to_image * F.log_softmax(logits.T, dim=1)).sum(1).mean()
    return (loss_images + loss_texts) / 2


class TeacherCWCL:
    """CWCL whose weights come from a frozen, learned text encoder: the paper's setting.

    Each step the batch's captions are encoded by ``teacher``'s text tower
    (frozen: no gradient, features cached per caption) and
    ``w = (cos(t_i, t_j) + 1) / 2`` (:func:`text_weights`) weights
    :func:`cwcl_loss` in both directions. ``toyclip.pretrain`` hands the
    captions over because ``__call__`` takes ``captions``.

    Parameters
    ----------
    teacher : an open_clip model with ``encode_text`` (e.g. the shipped
        ``toyclip2``, trained on the pocket web), used frozen.
    tokenizer : its tokenizer.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """

    def __init__(self, teacher: torch.nn.Module, tokenizer: Callable) -> None:
        self.teacher = teacher.eval()
        self.tokenizer = tokenizer
        self._cache: dict[str, torch.Tensor] = {}

    def text_features(self, captions: Sequence[str]) -> torch.Tensor:
        """(B, d) L2-normalised teacher features of ``captions`` (cached, no gradient)."""
        new = sorted({c for c in captions if c not in self._cache})
        if new:
            device = next(self.teacher.parameters()).device
            with torch.no_grad():
                tokens = self.tokenizer(new).to(device)
                features = self.teacher.encode_text(tokens, normalize=True).float().cpu()
            self._cache.update(zip(new, features))
        return torch.stack([self._cache[c] for c in captions])

    def weights(self, captions: Sequence[str]) -> torch.Tensor:
        """(B, B) CWCL weights of the batch: :func:`text_weights` of the teacher's features."""
        return text_weights(self.text_features(captions))

    def __call__(
        self,
        image_features: torch.Tensor,
        text_features: torch.Tensor,
        logit_scale: torch.Tensor,
        *,
        captions: Sequence[str],
    ) -> torch.Tensor:
        return cwcl_loss(image_features, text_features, logit_scale, weights=self.weights(captions))


class WarmStart:
    """A loss that is ``first`` for the first ``n_first`` calls (steps), then ``then``.

    E.g. ``WarmStart(clip_loss, get_loss("cloob"), 50)``: CLOOB warm-started
    from 50 steps of InfoNCE (with its learned temperature), all in one
    ``toyclip.pretrain`` run.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """

    def __init__(self, first: LossFn, then: LossFn, n_first: int) -> None:
        check_range("n_first", n_first, 0, integer=True)
        self.first, self.then, self.n_first = first, then, n_first
        self.calls = 0

    def __call__(
        self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
    ) -> torch.Tensor:
        loss = self.first if self.calls < self.n_first else self.then
        self.calls += 1
        return loss(image_features, text_features, logit_scale)


def alignment(x: torch.Tensor, y: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Wang & Isola's alignment: ``mean_i ||x_i - y_i||^alpha`` over positive pairs (lower: closer pairs).

    Parameters
    ----------
    x, y : (n, d) float tensors, L2-normalised; row i of each is a positive pair.
    alpha : exponent (the paper: 2).

    Returns
    -------
    scalar tensor in [0, 2**alpha].
    """
    check_range("alpha", alpha, low=1e-12)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    return (x - y).norm(dim=1).pow(alpha).mean()


def uniformity(x: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """Wang & Isola's uniformity: ``log mean_{i<j} exp(-t ||x_i - x_j||^2)`` (lower: more spread out).

    Parameters
    ----------
    x : (n, d) float tensor, L2-normalised, n >= 2.
    t : scale of the Gaussian potential (the paper: 2).

    Returns
    -------
    scalar tensor in [-4t, 0]; 0 when all points coincide.
    """
    check_range("t", t, low=1e-12)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x must be (n, d) with n >= 2, got shape {tuple(x.shape)}")
    return torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()


LOSSES: dict[str, LossFn] = {
    "clip": clip_loss,
    "infoloob": infoloob_loss,
    "cloob": cloob_loss,
    "cwcl": cwcl_loss,
}
#: How the book names each registered loss (notebooks/26_contrastive_losses.ipynb).
LOSS_NAMES: dict[str, str] = {
    "clip": "InfoNCE (CLIP)",
    "infoloob": "InfoLOOB",
    "cloob": "CLOOB",
    "cwcl": "CWCL",
    "clip_fixed": "InfoNCE, 1/tau 30",
    "cloob_b30": "CLOOB, beta 30",
    "cloob_b100": "CLOOB, beta 100",
    "cloob_warm": "CLOOB, warm start",
    "cwcl_oracle": "CWCL, oracle",
}
#: The losses that learn CLIP's temperature (``model.logit_scale``) all
#: through training; the others use a fixed ``1/tau`` (``inv_tau``), and the
#: warm start learns it only during its InfoNCE steps.
LEARNS_TEMPERATURE: tuple[str, ...] = ("clip", "cwcl", "cwcl_oracle")


def get_loss(name: str, **kwargs) -> LossFn:
    """The loss registered as ``name`` (``"clip"``, ``"infoloob"``, ``"cloob"``, ``"cwcl"``), with ``kwargs`` bound."""
    check_choice("loss", name, list(LOSSES))
    return functools.partial(LOSSES[name], **kwargs) if kwargs else LOSSES[name]
