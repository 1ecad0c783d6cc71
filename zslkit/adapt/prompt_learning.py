"""Prompt learning on a frozen CLIP: CoOp and PRE.

CoOp (Zhou et al., 2022) replaces the hand-written words of a prompt by
``M`` learned vectors in the token-embedding space and keeps the class name
at the end::

    SOT [V]_1 [V]_2 ... [V]_M  <class name> .  EOT

The prompt runs through the frozen text transformer exactly as open_clip's
``CLIP.encode_text`` runs a tokenised sentence (token embeddings + positional
embedding, transformer with the causal mask, ``ln_final``, pooling at the
EOT token, ``text_projection``; :func:`encode_prompts`), so the same code
trains on ToyCLIP and on ViT-B/32. With the class-name columns
``w_c = normalise(g([V]_1..[V]_M, c))`` the classifier is CLIP's,
``logits = tau * f @ W``, and only the context vectors are trained by
cross-entropy on a few labelled images; the image tower is frozen and its
features are computed once (``image_features`` here are cached, so CoOp's
random-crop/flip augmentation is not used). The context is *unified*
(shared by all classes; it transfers to any class list) or
*class-specific* (``M`` vectors per class).

PRE (Pham et al., 2023) does not optimise the context vectors directly: they pass
through a small *reparameterisation encoder* before entering the text
transformer, ``[V] = c + BiLSTM(c)`` (a residual bidirectional LSTM over the
``M`` context tokens, as in the authors' code; a residual bottleneck MLP is
the alternative). Encoder and ``c`` are trained together; at the end only
the encoded context matters.

Training follows CoOp's configs: SGD with momentum 0.9 and weight decay
5e-4, learning rate 0.002 with a cosine schedule over the epochs (the first
epoch at a constant 1e-5, CoOp's warm-up), batch 32; the number of epochs
is the budget knob. The logit scale ``tau`` is the model's own
(``model.logit_scale.exp()``: 100 for OpenAI's CLIP).

Taught in: notebooks/31_prompt_learning.ipynb
"""

from __future__ import annotations

import contextlib
import copy
import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from open_clip.transformer import text_global_pool

from zslkit.checks import check_choice, check_range, resolve_device

PLACEHOLDER = "X"
"""The word whose token embeddings the context vectors replace (as in CoOp's code)."""

ENCODERS = ("lstm", "mlp")
"""PRE's reparameterisation encoders: a residual BiLSTM (default) or a residual bottleneck MLP."""

__all__ = [
    "PLACEHOLDER",
    "ENCODERS",
    "check_text_tower",
    "encode_prompts",
    "PromptTemplate",
    "build_prompts",
    "context_from_words",
    "ReparameterisationEncoder",
    "PromptContext",
    "cosine_lr",
    "CoOp",
    "PRE",
    "nearest_words",
]

_TEXT_PARTS = (
    "token_embedding",
    "positional_embedding",
    "transformer",
    "ln_final",
    "text_projection",
    "attn_mask",
)


def check_text_tower(model: Any) -> None:
    """Raise ``ValueError`` unless ``model`` has open_clip's ``CLIP`` text tower.

    Prompt learning needs the parts of ``CLIP.encode_text``:
    ``token_embedding``, ``positional_embedding``, ``transformer``,
    ``ln_final``, ``text_projection``, ``attn_mask`` and a pooling type
    (``text_pool_type``) of ``"argmax"`` or ``"eos"``.
    """
    missing = [name for name in _TEXT_PARTS if not hasattr(model, name)]
    if missing:
        raise ValueError(
            f"{type(model).__name__} lacks {missing}: prompt learning needs an open_clip CLIP text tower "
            "(e.g. ToyCLIP, ViT-B-32, RN50; not CustomTextCLIP models with a Hugging Face text tower)"
        )
    check_choice("text_pool_type", getattr(model, "text_pool_type", "argmax"), ["argmax", "eos"])


def encode_prompts(
    model: Any, prompt_embeddings: torch.Tensor, tokens: torch.Tensor, normalize: bool = False
) -> torch.Tensor:
    """open_clip's ``CLIP.encode_text``, starting from token embeddings instead of token ids.

    ``encode_prompts(model, model.token_embedding(tokens), tokens)`` equals
    ``model.encode_text(tokens)``; CoOp puts learned vectors in place of some
    of the token embeddings. The token ids still decide where the sentence
    ends (pooling at the EOT token), so the prompt's ids must have the EOT
    where the embedded prompt has it.

    Prompts may be cut after their last EOT token (``L`` shorter than the
    context length): with the causal attention mask of CLIP's text
    transformer no position sees a later one, so the features at the EOT
    token do not change (up to float rounding), and training is faster
    (a 77-token CLIP prompt of CoOp is about 25 tokens long).

    Parameters
    ----------
    model : an open_clip ``CLIP`` (see :func:`check_text_tower`).
    prompt_embeddings : (n, L, D) float tensor, L <= ``model.context_length``,
        D = the text transformer's width.
    tokens : (n, L) int64 tensor, the token ids the embeddings stand for.
    normalize : L2-normalise the output rows.

    Returns
    -------
    text_features : (n, d) tensor, d = the joint embedding dimension.
    """
    length = tokens.shape[1]
    attn_mask = model.attn_mask
    if length < model.positional_embedding.shape[0]:
        if attn_mask is None:
            raise ValueError(
                "prompts shorter than the context length need a causal text transformer (attn_mask)"
            )
        attn_mask = attn_mask[:length, :length]
    cast_dtype = model.transformer.get_cast_dtype()
    x = prompt_embeddings.to(cast_dtype)
    x = x + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=attn_mask)
    x = model.ln_final(x)
    x = text_global_pool(
        x, tokens, model.text_pool_type, eos_token_id=getattr(model, "text_eos_id", None)
    )
    if isinstance(model.text_projection, nn.Linear):
        x = model.text_projection(x)
    elif model.text_projection is not None:
        x = x @ model.text_projection
    return F.normalize(x, dim=-1) if normalize else x


class PromptTemplate(nn.Module):
    """The fixed parts of CoOp prompts ``SOT [V]_1..[V]_M <name>. EOT`` for a list of classes.

    Attributes (buffers)
    --------------------
    tokens : (C, L) int64, the ids of ``"X X ... X <name>."`` (M placeholders);
        L is the context length, or less for prompts cut after their EOT.
    prefix : (C, 1, D) embedding of the start-of-text token.
    suffix : (C, L - 1 - M, D) embeddings of the class name, the full stop,
        the end-of-text token and the padding.
    """

    def __init__(
        self, tokens: torch.Tensor, prefix: torch.Tensor, suffix: torch.Tensor, n_ctx: int
    ):
        super().__init__()
        self.n_ctx = n_ctx
        self.register_buffer("tokens", tokens)
        self.register_buffer("prefix", prefix)
        self.register_buffer("suffix", suffix)

    def embed(self, context: torch.Tensor) -> torch.Tensor:
        """(C, L, D) prompt embeddings with ``context`` ((M, D) shared or (C, M, D) per class) after SOT."""
        n_classes = self.tokens.shape[0]
        if context.dim() == 2:
            context = context.unsqueeze(0).expand(n_classes, -1, -1)
        return torch.cat([self.prefix, context.to(self.prefix.dtype), self.suffix], dim=1)


def _n_tokens(tokenizer: Callable, text: str) -> int | None:
    """Tokens of ``text`` with SOT and EOT, before truncation (None if the tokenizer cannot tell)."""
    encode = getattr(tokenizer, "encode", None)
    return len(encode(text)) + 2 if callable(encode) else None


@torch.no_grad()
def build_prompts(
    model: Any, tokenizer: Callable, class_names: Sequence[str], n_ctx: int, truncate: bool = True
) -> PromptTemplate:
    """Tokenise and embed ``"X X ... X <name>."`` for every class name (``n_ctx`` placeholders).

    ``truncate`` cuts the prompts after the last EOT token among them (see
    :func:`encode_prompts`; only for a causal text transformer). Raises
    ``ValueError`` when a prompt does not fit the model's context length
    (ToyCLIP: 16 tokens, so ``n_ctx`` <= 10 for its longest names).
    """
    check_text_tower(model)
    check_range("n_ctx", n_ctx, 1, integer=True)
    class_names = list(class_names)
    if not class_names:
        raise ValueError("class_names is empty")
    prompts = [" ".join([PLACEHOLDER] * n_ctx + [name]) + "." for name in class_names]
    context_length = int(model.positional_embedding.shape[0])
    for prompt in prompts:
        n = _n_tokens(tokenizer, prompt)
        if n is not None and n > context_length:
            raise ValueError(
                f"the prompt {prompt!r} needs {n} tokens but the model's context length is {context_length}; "
                f"use a smaller n_ctx (now {n_ctx})"
            )
    device = model.positional_embedding.device
    tokens = tokenizer(prompts).to(device)
    if truncate and model.attn_mask is not None:
        tokens = tokens[:, : _eot_positions(model, tokens).max() + 1]
    embedding = model.token_embedding(tokens)
    return PromptTemplate(
        tokens, embedding[:, :1].clone(), embedding[:, 1 + n_ctx :].clone(), n_ctx
    )


def _eot_positions(model: Any, tokens: torch.Tensor) -> torch.Tensor:
    """(n,) position of each prompt's end-of-text token, where open_clip pools."""
    if getattr(model, "text_pool_type", "argmax") == "eos":
        return (tokens == model.text_eos_id).int().argmax(dim=-1)
    return tokens.argmax(dim=-1)


@torch.no_grad()
def context_from_words(model: Any, tokenizer: Callable, words: str) -> torch.Tensor:
    """(M, D) token embeddings of ``words`` (e.g. ``"a photo of a"``): CoOp's initialisation from words."""
    tokens = tokenizer([words]).to(model.positional_embedding.device)
    n = _n_tokens(tokenizer, words)
    if n is None:  # the end of the sentence is the pooling position
        n = int(_eot_positions(model, tokens)[0]) + 1
    if n < 3:
        raise ValueError(f"ctx_init={words!r} holds no token")
    return model.token_embedding(tokens)[0, 1 : n - 1].clone()


class ReparameterisationEncoder(nn.Module):
    """PRE's prompt encoder: ``out = c + h(c)`` over the M context tokens.

    Parameters
    ----------
    width : D, the token-embedding width.
    kind : ``"lstm"``: ``h`` is a one-layer bidirectional LSTM with D/2
        hidden units each way (so its output has width D), run along the M
        context tokens; ``"mlp"``: ``h`` is ``Linear(D, bottleneck) -> ReLU ->
        Linear(bottleneck, D)`` applied to each token.
    bottleneck : hidden width of the MLP.

    Shapes: (M, D) -> (M, D), or (C, M, D) -> (C, M, D) for class-specific context.

    After :meth:`centre` with the initial context ``c_0``, the output is
    ``c + h(c) - h(c_0)``: the constant ``h(c_0)`` (computed once, not
    trained) leaves every gradient unchanged and makes the prompt start
    exactly at ``c_0``.
    """

    def __init__(self, width: int, kind: str = "lstm", bottleneck: int = 32):
        super().__init__()
        check_choice("encoder", kind, ENCODERS)
        check_range("bottleneck", bottleneck, 1, integer=True)
        self.kind = kind
        self.register_buffer("offset", None)  # h(c_0) once centred
        if kind == "lstm":
            if width % 2:
                raise ValueError(f"the BiLSTM encoder needs an even width, got {width}")
            self.net = nn.LSTM(
                width, width // 2, num_layers=1, bidirectional=True, batch_first=True
            )
        else:
            self.net = nn.Sequential(
                nn.Linear(width, bottleneck), nn.ReLU(), nn.Linear(bottleneck, width)
            )

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        squeeze = context.dim() == 2
        x = context.unsqueeze(0) if squeeze else context
        h = self.net(x)[0] if self.kind == "lstm" else self.net(x)
        out = x + h
        if self.offset is not None:
            out = out - self.offset
        return out.squeeze(0) if squeeze else out

    def centre(self, context: torch.Tensor) -> "ReparameterisationEncoder":
        """Subtract ``h(context)`` from now on, so that ``forward(context) == context``."""
        self.offset = None
        with torch.no_grad():
            shift = self.forward(context) - context
        x = shift.unsqueeze(0) if shift.dim() == 2 else shift
        self.offset = x.detach().clone()
        return self


class PromptContext(nn.Module):
    """The learnable context: vectors ``c`` ((M, D) or (C, M, D)), optionally passed through an encoder.

    ``forward()`` returns the context that enters the prompt: ``c`` (CoOp) or
    ``encoder(c)`` (PRE), same shape as ``c``.
    """

    def __init__(self, context: torch.Tensor, encoder: nn.Module | None = None):
        super().__init__()
        self.vectors = nn.Parameter(context.clone())
        self.encoder = encoder

    @property
    def class_specific(self) -> bool:
        return self.vectors.dim() == 3

    def forward(self) -> torch.Tensor:
        return self.vectors if self.encoder is None else self.encoder(self.vectors)


@contextlib.contextmanager
def _frozen(model: nn.Module):
    """Switch off gradients of ``model``'s parameters (and restore them), model in eval mode."""
    flags = [p.requires_grad for p in model.parameters()]
    was_training = model.training
    model.requires_grad_(False)
    model.eval()
    try:
        yield
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)
        model.train(was_training)


def _as_features(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu()
    return torch.as_tensor(np.asarray(x), dtype=torch.float32)


def _as_labels(y: Any) -> torch.Tensor:
    y = y.detach().cpu() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    if y.dim() != 1 or y.dtype.is_floating_point:
        raise ValueError(
            f"labels must be a 1-d integer array, got shape {tuple(y.shape)} and dtype {y.dtype}"
        )
    return y.long()


def cosine_lr(
    epoch: int, epochs: int, lr: float, warmup_epochs: int = 1, warmup_lr: float = 1e-5
) -> float:
    """CoOp's schedule: ``warmup_lr`` for the first ``warmup_epochs``, then ``lr (1 + cos(pi e / E)) / 2``."""
    if epoch < warmup_epochs:
        return warmup_lr
    return 0.5 * lr * (1.0 + math.cos(math.pi * epoch / epochs))


class CoOp:
    """CoOp: learn the context words of CLIP's prompt from a few labelled images.

    Parameters
    ----------
    model, tokenizer : a backbone from :func:`zslkit.models.backbones.load_backbone`
        (an open_clip ``CLIP``; frozen, never modified).
    n_ctx : M, the number of context vectors. ``None``: the token count of
        ``ctx_init`` if given, else 16 (CoOp's default).
    ctx_init : words whose token embeddings initialise the context (e.g.
        ``"a photo of a"``: training then starts from that zero-shot prompt);
        ``None``: random N(0, 0.02^2) vectors, as in CoOp.
    class_specific : one context per class (CoOp's CSC) instead of one shared
        context. A class-specific context exists only for the training classes.
    epochs, batch_size, lr, momentum, weight_decay, warmup_epochs, warmup_lr :
        SGD as in CoOp's configs (see :func:`cosine_lr`).
    logit_scale : ``tau``; ``None`` uses the model's ``logit_scale.exp()``.
    device : ``"auto"``, ``"cpu"`` or ``"cuda"``; the model must already be there.
    seed : seeds the initial context, the encoder and the batch order.
    callback : optional ``callback(estimator, epoch)`` called after every
        epoch (e.g. to follow the accuracy on other classes with
        :meth:`classifier_weights`); its return value is ignored.

    Attributes
    ----------
    prompt_ : :class:`PromptContext`, the trained context (and encoder).
    n_ctx_ : int. class_names_ : list of str. classes_ : (C,) int array.
    weights_ : (d, C) float32 tensor on the CPU, L2-normalised columns (the classifier).
    logit_scale_ : float. history_ : list of per-epoch dicts (``epoch``, ``lr``,
        ``loss``, ``train_acc`` and, with validation data, ``val_acc``).

    Examples
    --------
    >>> coop = CoOp(model, tokenizer, ctx_init="a photo of a", epochs=10)
    >>> coop.fit(train_features, train_labels, class_names)
    >>> coop.score(test_features, test_labels)
    >>> coop.with_classes(new_class_names).score(new_features, new_labels)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Callable,
        n_ctx: int | None = None,
        ctx_init: str | None = None,
        class_specific: bool = False,
        epochs: int = 50,
        batch_size: int = 32,
        lr: float = 0.002,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        warmup_epochs: int = 1,
        warmup_lr: float = 1e-5,
        logit_scale: float | None = None,
        device: str = "cpu",
        seed: int = 0,
        callback: Callable[["CoOp", int], Any] | None = None,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.n_ctx = n_ctx
        self.ctx_init = ctx_init
        self.class_specific = class_specific
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.warmup_lr = warmup_lr
        self.logit_scale = logit_scale
        self.device = device
        self.seed = seed
        self.callback = callback

    # -- the parts PRE changes --------------------------------------------
    def _encoder(self, width: int) -> nn.Module | None:
        return None

    # -- fitting -----------------------------------------------------------
    def _start(self, prompt: "PromptContext") -> None:
        """Hook run once on the initial prompt context (PRE centres its encoder here)."""

    def _check_params(self) -> None:
        check_text_tower(self.model)
        if self.n_ctx is not None:
            check_range("n_ctx", self.n_ctx, 1, integer=True)
        check_range("epochs", self.epochs, 0, integer=True)
        check_range("batch_size", self.batch_size, 1, integer=True)
        check_range("lr", self.lr, 0.0)
        check_range("momentum", self.momentum, 0.0, 1.0)
        check_range("weight_decay", self.weight_decay, 0.0)
        check_range("warmup_epochs", self.warmup_epochs, 0, integer=True)
        check_range("warmup_lr", self.warmup_lr, 0.0)
        if self.logit_scale is not None:
            check_range("logit_scale", self.logit_scale, 0.0)
        check_range("seed", self.seed, 0, 2**32 - 1, integer=True)

    def _initial_context(
        self, n_classes: int, width: int, generator: torch.Generator
    ) -> torch.Tensor:
        device = self.model.positional_embedding.device
        if self.ctx_init:
            words = context_from_words(self.model, self.tokenizer, self.ctx_init).float()
            if self.n_ctx is not None and self.n_ctx != len(words):
                raise ValueError(
                    f"n_ctx={self.n_ctx} but ctx_init={self.ctx_init!r} has {len(words)} tokens; "
                    "leave n_ctx=None to take the token count of ctx_init"
                )
            context = words.cpu()
            if self.class_specific:  # every class starts from the same words
                context = context.unsqueeze(0).repeat(n_classes, 1, 1)
        else:  # N(0, 0.02^2), drawn independently for every class when class-specific
            n_ctx = 16 if self.n_ctx is None else self.n_ctx
            shape = (n_classes, n_ctx, width) if self.class_specific else (n_ctx, width)
            context = torch.randn(shape, generator=generator) * 0.02
        return context.to(device)

    def _text_features(self, template: PromptTemplate) -> torch.Tensor:
        """(C, d) L2-normalised text features of the learned prompts of ``template``'s classes."""
        embeddings = template.embed(self.prompt_())
        return encode_prompts(self.model, embeddings, template.tokens, normalize=True).float()

    def fit(
        self,
        train_features: Any,
        train_labels: Any,
        class_names: Sequence[str],
        val_features: Any = None,
        val_labels: Any = None,
    ) -> "CoOp":
        """Learn the context from labelled image features.

        Parameters
        ----------
        train_features : (n, d) float tensor or array, L2-normalised image features.
        train_labels : (n,) ints in ``0..C-1``.
        class_names : the C class names, in label order.
        val_features, val_labels : optional validation shots; their accuracy
            after every epoch goes to ``history_`` (monitoring only: the last
            epoch is kept, as in CoOp).
        """
        self._check_params()
        device = resolve_device(self.device)
        features, labels = (
            _as_features(train_features).to(device),
            _as_labels(train_labels).to(device),
        )
        class_names = list(class_names)
        if len(features) != len(labels) or len(features) == 0:
            raise ValueError(f"{len(features)} training features for {len(labels)} labels")
        if labels.min() < 0 or labels.max() >= len(class_names):
            raise ValueError(f"labels must lie in 0..{len(class_names) - 1} (one per class name)")
        has_val = val_features is not None and val_labels is not None
        if has_val:
            val_x, val_y = _as_features(val_features).to(device), _as_labels(val_labels).to(device)
        width = int(self.model.token_embedding.weight.shape[1])
        self.logit_scale_ = (
            float(self.model.logit_scale.detach().exp())
            if self.logit_scale is None
            else float(self.logit_scale)
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            generator = torch.Generator().manual_seed(self.seed)
            context = self._initial_context(len(class_names), width, generator)
            self.n_ctx_ = int(context.shape[-2])
            self.prompt_ = PromptContext(context, self._encoder(width)).to(device)
            self._start(self.prompt_)
            template = build_prompts(self.model, self.tokenizer, class_names, self.n_ctx_)
            optimizer = torch.optim.SGD(
                self.prompt_.parameters(),
                lr=self.lr,
                momentum=self.momentum,
                weight_decay=self.weight_decay,
            )
            n = len(labels)
            batch = min(self.batch_size, n)
            self.history_ = []
            with _frozen(self.model):
                for epoch in range(self.epochs):
                    lr = cosine_lr(epoch, self.epochs, self.lr, self.warmup_epochs, self.warmup_lr)
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                    order = torch.randperm(n, generator=generator).to(device)
                    self.prompt_.train()
                    losses, correct = [], 0
                    for start in range(0, n - batch + 1, batch):  # drop the last incomplete batch
                        idx = order[start : start + batch]
                        x, y = features[idx], labels[idx]
                        logits = self.logit_scale_ * x @ self._text_features(template).T
                        loss = F.cross_entropy(logits, y)
                        optimizer.zero_grad(set_to_none=True)
                        loss.backward()
                        optimizer.step()
                        losses.append(float(loss.detach()))
                        correct += int((logits.argmax(1) == y).sum())
                    row = {
                        "epoch": epoch + 1,
                        "lr": lr,
                        "loss": float(np.mean(losses)),
                        "train_acc": correct / (len(losses) * batch),
                    }
                    if has_val:
                        with torch.no_grad():
                            self.prompt_.eval()
                            val_pred = (val_x @ self._text_features(template).T).argmax(1)
                            row["val_acc"] = float((val_pred == val_y).float().mean())
                    self.history_.append(row)
                    if self.callback is not None:
                        self.class_names_ = class_names
                        self.callback(self, epoch + 1)
                self.prompt_.eval()
                with torch.no_grad():
                    self.weights_ = self._text_features(template).T.contiguous().cpu()
        self.class_names_ = class_names
        self.classes_ = np.arange(len(class_names))
        return self

    # -- using the learned context -----------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "prompt_"):
            raise ValueError(f"this {type(self).__name__} is not fitted; call fit first")

    @torch.no_grad()
    def context(self) -> torch.Tensor:
        """The context that enters the prompt ((M, D) or (C, M, D)), after PRE's encoder; on the CPU."""
        self._check_fitted()
        self.prompt_.eval()
        return self.prompt_().detach().float().cpu()

    @torch.no_grad()
    def classifier_weights(self, class_names: Sequence[str]) -> torch.Tensor:
        """(d, C') L2-normalised text features of the learned prompt for any class list.

        The same learned context with other class names: the base-to-new
        protocol's classifier for the new classes. A class-specific context
        exists only for the training classes, in their order.
        """
        self._check_fitted()
        class_names = list(class_names)
        if self.prompt_.class_specific and class_names != self.class_names_:
            raise ValueError(
                "a class-specific context has one context per training class; it cannot build a classifier "
                f"for other classes (got {class_names[:3]}..., trained on {self.class_names_[:3]}...)"
            )
        template = build_prompts(self.model, self.tokenizer, class_names, self.n_ctx_)
        self.prompt_.eval()
        with _frozen(self.model):
            return self._text_features(template).T.contiguous().cpu()

    def with_classes(self, class_names: Sequence[str]) -> "CoOp":
        """A fitted copy that classifies among ``class_names`` with the learned context (shared with self)."""
        other = copy.copy(self)
        other.weights_ = self.classifier_weights(class_names)
        other.class_names_ = list(class_names)
        other.classes_ = np.arange(len(class_names))
        return other

    def decision_function(self, image_features: Any) -> np.ndarray:
        """logits : (n, C) = ``logit_scale_ * image_features @ weights_``."""
        self._check_fitted()
        return (self.logit_scale_ * _as_features(image_features) @ self.weights_).numpy()

    def predict_proba(self, image_features: Any) -> np.ndarray:
        """(n, C) softmax of the logits."""
        return torch.softmax(torch.as_tensor(self.decision_function(image_features)), dim=1).numpy()

    def predict(self, image_features: Any) -> np.ndarray:
        """(n,) predicted labels."""
        logits = self.decision_function(image_features)  # checks that the estimator is fitted
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, image_features: Any, labels: Any) -> float:
        """Top-1 accuracy."""
        return float(np.mean(self.predict(image_features) == _as_labels(labels).numpy()))


class PRE(CoOp):
    """PRE: CoOp whose context vectors pass through a residual encoder before the text transformer.

    Parameters are CoOp's (:class:`CoOp`), plus

    encoder : ``"lstm"`` (a residual BiLSTM over the context tokens, as in
        the authors' code) or ``"mlp"`` (a residual bottleneck MLP per token);
        see :class:`ReparameterisationEncoder`.
    bottleneck : hidden width of the ``"mlp"`` encoder.

    centred : if True, the encoder's output is ``c + h(c) - h(c_0)``
        (:meth:`ReparameterisationEncoder.centre`), so training starts
        exactly at the initial context ``c_0`` (with ``ctx_init="a photo of
        a"``: at CoOp's start, the zero-shot prompt) and only the geometry of
        the optimisation differs from CoOp's. If False (the authors' form),
        the prompt starts at ``c_0 + h(c_0)``: the randomly initialised
        encoder already moves it away from the zero-shot prompt.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Callable,
        n_ctx: int | None = None,
        ctx_init: str | None = None,
        class_specific: bool = False,
        encoder: str = "lstm",
        bottleneck: int = 32,
        centred: bool = False,
        epochs: int = 50,
        batch_size: int = 32,
        lr: float = 0.002,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        warmup_epochs: int = 1,
        warmup_lr: float = 1e-5,
        logit_scale: float | None = None,
        device: str = "cpu",
        seed: int = 0,
        callback: Callable[["CoOp", int], Any] | None = None,
    ):
        super().__init__(
            model,
            tokenizer,
            n_ctx=n_ctx,
            ctx_init=ctx_init,
            class_specific=class_specific,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            warmup_epochs=warmup_epochs,
            warmup_lr=warmup_lr,
            logit_scale=logit_scale,
            device=device,
            seed=seed,
            callback=callback,
        )
        self.encoder = encoder
        self.bottleneck = bottleneck
        self.centred = centred

    def _encoder(self, width: int) -> nn.Module:
        return ReparameterisationEncoder(width, self.encoder, self.bottleneck)

    def _start(self, prompt: "PromptContext") -> None:
        if self.centred:
            prompt.encoder.centre(prompt.vectors.detach())


@torch.no_grad()
def nearest_words(
    model: Any, tokenizer: Callable, context: torch.Tensor, k: int = 1
) -> list[list[str]]:
    """The ``k`` vocabulary tokens nearest (Euclidean) to each context vector: CoOp's way to read a learned prompt.

    Parameters
    ----------
    context : (M, D) float tensor (e.g. ``coop.context()``).

    Returns
    -------
    M lists of ``k`` decoded tokens.
    """
    check_range("k", k, 1, integer=True)
    if context.dim() != 2:
        raise ValueError(f"context must be (M, D), got shape {tuple(context.shape)}")
    vocabulary = model.token_embedding.weight.detach().float().cpu()
    distances = torch.cdist(context.float().cpu(), vocabulary)
    ids = distances.topk(k, dim=1, largest=False).indices
    decode = getattr(tokenizer, "decode", None)
    return [
        [decode([int(i)]).strip() if callable(decode) else str(int(i)) for i in row] for row in ids
    ]
