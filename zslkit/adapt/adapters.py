"""Few-shot adapters of CLIP on cached features: linear probe, Tip-Adapter(-F), GDA.

Every adapter is a scikit-learn-style estimator with one signature, so a
leaderboard can loop over them:

    adapter = TipAdapter()                     # hyperparameters (or their search grids)
    adapter.fit(train_features, train_labels,  # the shots: (N, d) L2-normalised, (N,) in 0..C-1
                text_weights=text_weights,     # (d, C) zero-shot classifier (zslkit.models.zeroshot)
                val_features=val_features,     # validation shots: every hyperparameter
                val_labels=val_labels)         #   is chosen on them, never on test
    adapter.score(test_features, test_labels)  # top-1; also predict, predict_proba, decision_function

Inputs may be torch tensors or numpy arrays. ``decision_function`` returns
(n, C) numpy logits. An adapter that does not use the text classifier
(:class:`LinearProbe`) or the validation set accepts and ignores them; one
that needs them raises ``ValueError`` without them. Hyperparameters given as
a grid of one value are used as they are (no validation set needed).
:data:`ADAPTERS` maps a name to each class.

The methods, with ``f`` an image feature, ``W_c`` the (C, d) text classifier
(rows = classes), ``F`` the (N, d) training features and ``L`` their (N, C)
one-hot labels:

* zero-shot: ``logits = 100 f W_c^T`` (:class:`ZeroShot`);
* linear probe: multinomial logistic regression on ``f`` alone, its inverse
  regularisation ``C`` picked on validation (:class:`LinearProbe`);
* Tip-Adapter (Zhang et al., ECCV 2022): a key-value cache of the shots,
  ``logits = 100 f W_c^T + alpha exp(-beta (1 - f F^T)) L``, ``alpha`` and
  ``beta`` searched on validation (:class:`TipAdapter`); Tip-Adapter-F also
  fine-tunes the keys ``F`` (:class:`TipAdapterF`);
* GDA (Wang et al., ICLR 2024): a Gaussian per class with a shared
  covariance, i.e. linear discriminant analysis, added to the zero-shot
  logits, ``logits = 100 f W_c^T + alpha (f W + b)`` (:class:`GDA`).

The 100 is CLIP's learned temperature (``logit_scale``). Each adapter takes
``logit_scale`` as a hyperparameter: for another backbone pass its own,
``float(model.logit_scale.exp())`` (ToyCLIP 1: 16, ToyCLIP 2: 23), so that the text
logits are as sharp as the model was trained to make them. The alpha
grids do not follow: they are the papers' grids, chosen for a scale of
100, so with a smaller scale the same alpha weighs the cache (or the
Gaussian term) more against the text logits, and the validation search
reaches a different balance than the papers' grids were meant to cover.

Taught in: notebooks/30_training_free_adapters.ipynb
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.checks import check_range

__all__ = [
    "ZeroShot",
    "LinearProbe",
    "TipAdapter",
    "TipAdapterF",
    "GDA",
    "ADAPTERS",
    "make_adapter",
    "TIP_ALPHAS",
    "TIP_BETAS",
    "GDA_ALPHAS",
    "LINEAR_PROBE_CS",
    "tip_adapter_logits",
    "cache_votes",
    "accuracy_over_alphas",
]


def _grid(low: float, high: float, steps: int) -> tuple[float, ...]:
    """Tip-Adapter's search grid: ``low + i (high - low) / steps`` for ``i < steps``."""
    return tuple(low + i * (high - low) / steps for i in range(steps))


TIP_BETAS = _grid(0.1, 12.0, 50)
"""Tip-Adapter's beta grid: the authors' EuroSAT range (0.1 to 12), in 50 steps instead of 200."""
TIP_ALPHAS = _grid(0.1, 10.0, 20)
"""Tip-Adapter's alpha grid: the authors' EuroSAT range (0.1 to 10) and steps (20)."""
GDA_ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
"""GDA's alpha grid (as in the authors' few-shot script)."""
LINEAR_PROBE_CS = (1e-2, 1e-1, 1.0, 1e1, 1e2)
"""Inverse L2 regularisation strengths tried by the linear probe."""


def _features(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
    else:
        x = torch.as_tensor(np.asarray(x))
    if x.ndim != 2:
        raise ValueError(f"features must be a 2-d (n, d) array, got shape {tuple(x.shape)}")
    return x.float()


def _labels(y: Any, n: int, n_classes: int | None = None) -> torch.Tensor:
    y = torch.as_tensor(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y))
    if y.ndim != 1 or len(y) != n or y.dtype.is_floating_point:
        raise ValueError(
            f"labels must be (n,) integers matching {n} feature rows, got shape {tuple(y.shape)}"
        )
    y = y.long()
    if len(y) and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        raise ValueError(
            f"labels must lie in 0..{'C-1' if n_classes is None else n_classes - 1}, "
            f"got {int(y.min())}..{int(y.max())}"
        )
    return y


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return float((logits.argmax(dim=-1) == labels).float().mean())


def _first_best(accuracies: Sequence[float]) -> int:
    """Index of the first maximum: ties go to the earlier grid point, as a strict ``>`` search does."""
    return int(np.argmax(np.asarray(accuracies)))


class _Adapter:
    """Shared ``fit`` checks and the ``predict`` / ``predict_proba`` / ``score`` of every adapter."""

    needs_text = True
    needs_all_classes = True

    def _check_fit(
        self, train_features, train_labels, text_weights, val_features, val_labels, grids=()
    ):
        """Convert the inputs; return (F, y, W or None, val F or None, val y or None)."""
        features = _features(train_features)
        weights = None
        if text_weights is not None:
            weights = _features(text_weights)
            if weights.shape[0] != features.shape[1]:
                raise ValueError(
                    f"text_weights must be (d, C) with d = {features.shape[1]}, "
                    f"got shape {tuple(weights.shape)}"
                )
        elif self.needs_text:
            raise ValueError(
                f"{type(self).__name__} combines with the zero-shot classifier: pass text_weights="
            )
        n_classes = weights.shape[1] if weights is not None else None
        labels = _labels(train_labels, len(features), n_classes)
        if n_classes is None:
            n_classes = int(labels.max()) + 1
        missing = sorted(set(range(n_classes)) - set(labels.tolist()))
        if missing and self.needs_all_classes:
            raise ValueError(f"classes {missing[:10]} have no training image")
        searching = [name for name, grid in grids if len(grid) > 1]
        if val_features is None or val_labels is None:
            if searching:
                raise ValueError(
                    f"{type(self).__name__} chooses {searching} on validation shots: pass val_features= "
                    "and val_labels=, or fix each with a grid of one value"
                )
            val = val_labels = None
        else:
            val = _features(val_features)
            if val.shape[1] != features.shape[1]:
                raise ValueError(
                    f"val_features have {val.shape[1]} dimensions, train_features {features.shape[1]}"
                )
            val_labels = _labels(val_labels, len(val), n_classes)
        self.n_classes_ = n_classes
        self.classes_ = np.arange(n_classes)
        return features, labels, weights, val, val_labels

    def _logits(self, image_features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decision_function(self, image_features: Any) -> np.ndarray:
        """logits : (n, C) numpy array."""
        if not hasattr(self, "classes_"):
            raise ValueError(f"this {type(self).__name__} is not fitted; call fit first")
        return self._logits(_features(image_features)).numpy()

    def predict_proba(self, image_features: Any) -> np.ndarray:
        """(n, C) softmax of the logits."""
        return torch.softmax(torch.as_tensor(self.decision_function(image_features)), dim=1).numpy()

    def predict(self, image_features: Any) -> np.ndarray:
        """(n,) predicted labels: the arg max of the logits."""
        logits = self.decision_function(image_features)  # checks that the adapter is fitted
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, image_features: Any, labels: Any) -> float:
        """Top-1 accuracy."""
        labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return float(np.mean(self.predict(image_features) == labels))

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not isinstance(v, tuple)
        )
        return f"{type(self).__name__}({params})"

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's hyperparameters (scikit-learn convention)."""
        import inspect

        return {
            name: getattr(self, name)
            for name in inspect.signature(type(self).__init__).parameters
            if name != "self"
        }

    def set_params(self, **params) -> "_Adapter":
        """Set constructor hyperparameters (scikit-learn convention)."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{name!r} is not a parameter of {type(self).__name__}; valid: {sorted(valid)}"
                )
            setattr(self, name, value)
        return self


class ZeroShot(_Adapter):
    """The zero-shot classifier as an adapter that ignores the shots: ``logits = logit_scale f W_c^T``.

    Parameters
    ----------
    logit_scale : the temperature (CLIP's: 100).

    Attributes
    ----------
    text_weights_ : (d, C) float32 tensor.
    """

    needs_all_classes = False

    def __init__(self, logit_scale: float = 100.0):
        self.logit_scale = logit_scale

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ) -> "ZeroShot":
        """Store ``text_weights``; the images are only checked."""
        check_range("logit_scale", self.logit_scale, 0.0)
        _, _, self.text_weights_, _, _ = self._check_fit(
            train_features, train_labels, text_weights, None, None
        )
        return self

    def _logits(self, image_features):
        return self.logit_scale * image_features @ self.text_weights_


class LinearProbe(_Adapter):
    """Linear probe: multinomial logistic regression on the image features (text not used).

    ``sklearn.linear_model.LogisticRegression`` (lbfgs, L2) is fitted on the
    shots for each inverse regularisation strength in ``Cs`` (increasing,
    warm-started); the one with the best validation accuracy is kept (ties:
    the smaller C, the stronger regularisation).

    Parameters
    ----------
    Cs : grid of inverse regularisation strengths; one value = no search.
    max_iter : lbfgs iterations per fit.

    Attributes
    ----------
    C_ : the chosen strength. model_ : the fitted ``LogisticRegression``.
    val_accuracies_ : validation accuracy per C (None without a validation set).
    """

    needs_text = False

    def __init__(self, Cs: Sequence[float] = LINEAR_PROBE_CS, max_iter: int = 1000):
        self.Cs = Cs
        self.max_iter = max_iter

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ) -> "LinearProbe":
        """Fit one logistic regression per C; keep the best on validation. ``text_weights`` is ignored."""
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        Cs = sorted(float(c) for c in self.Cs)
        if not Cs or min(Cs) <= 0:
            raise ValueError(f"Cs={self.Cs!r} must be a non-empty list of positive numbers")
        check_range("max_iter", self.max_iter, 1, integer=True)
        features, labels, weights, val, val_labels = self._check_fit(
            train_features, train_labels, text_weights, val_features, val_labels, grids=[("C", Cs)]
        )
        X, y = (
            features.numpy(),
            labels.numpy(),
        )  # float32: sklearn's lbfgs keeps it, about twice as fast
        model = LogisticRegression(C=Cs[0], max_iter=self.max_iter, warm_start=True)
        best, accuracies = None, []
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The number of unique classes"
            )  # 1 shot: C = n
            for C in Cs:  # a small problem: BLAS threads (above) would only add overhead
                model.set_params(C=C).fit(X, y)
                if val is None:
                    best = copy.deepcopy(model)
                    break
                accuracies.append(float(np.mean(model.predict(val.numpy()) == val_labels.numpy())))
                if accuracies[-1] > max(accuracies[:-1], default=-1.0):
                    best = copy.deepcopy(model)
        if weights is not None and len(best.classes_) != weights.shape[1]:
            raise ValueError(
                f"the shots cover {len(best.classes_)} classes, text_weights {weights.shape[1]}"
            )
        self.model_, self.C_, self.val_accuracies_ = best, float(best.C), accuracies or None
        self.classes_ = best.classes_
        return self

    def _logits(self, image_features):
        return torch.as_tensor(self.model_.decision_function(image_features.numpy())).float()


def tip_adapter_logits(
    image_features: torch.Tensor,
    text_weights: torch.Tensor,
    cache_keys: torch.Tensor,
    cache_labels: torch.Tensor,
    alpha: float,
    beta: float,
    logit_scale: float = 100.0,
) -> torch.Tensor:
    """Tip-Adapter's logits ``logit_scale f W_c^T + alpha exp(-beta (1 - f K^T)) L``.

    Parameters
    ----------
    image_features : (n, d) L2-normalised. text_weights : (d, C).
    cache_keys : (N, d), the shots' features (or fine-tuned keys).
    cache_labels : (N,) ints; ``L`` is their (N, C) one-hot matrix.

    Returns
    -------
    logits : (n, C) tensor.
    """
    votes = cache_votes(image_features @ cache_keys.T, cache_labels, text_weights.shape[1], beta)
    return logit_scale * image_features @ text_weights + alpha * votes


def cache_votes(
    affinity: torch.Tensor, cache_labels: torch.Tensor, n_classes: int, beta: Any
) -> torch.Tensor:
    """Tip-Adapter's cache term ``exp(-beta (1 - A)) L`` as a per-class sum.

    Each cache entry votes ``exp(-beta (1 - a))`` for its own class, so the
    product with the (N, C) one-hot matrix ``L`` is a sum over the entries of
    each class; this computes it with ``index_add_`` over the entries, without
    building ``L`` (at ImageNet scale, 16,000 entries and 1,000 classes, the
    product costs N x C multiply-adds per image, the sum N additions;
    ``scripts/bench_tip_search.py`` measures both).

    Parameters
    ----------
    affinity : (..., n, N) cosine similarities ``f K^T`` of images and cache keys.
    cache_labels : (N,) int class of each entry, in ``[0, n_classes)``.
    n_classes : C.
    beta : a float, or a (b,) tensor of betas: the result then gains a
        leading axis, one (n, C) slice per beta.

    Returns
    -------
    votes : (n, C), or (b, n, C) for a tensor of betas.

    Taught in: chapter 30 (training-free adapters).
    """
    beta = torch.as_tensor(beta, dtype=affinity.dtype)
    if beta.ndim:
        beta = beta.reshape(-1, *([1] * affinity.ndim))
    weights = (beta * (affinity - 1.0)).exp_()
    votes = weights.new_zeros(*weights.shape[:-1], n_classes)
    return votes.index_add_(-1, cache_labels.to(torch.long), weights)


def accuracy_over_alphas(
    base_logits: torch.Tensor, cache_logits: torch.Tensor, labels: torch.Tensor, alphas: Sequence
) -> torch.Tensor:
    """Accuracy of ``base + alpha cache`` for every alpha of a grid.

    One alpha at a time into one reused (n, C) buffer: the grid's (a, n, C)
    logits are never held at once (at ImageNet scale they would take 320 MB
    for each beta).

    Parameters
    ----------
    base_logits, cache_logits : (n, C). labels : (n,) ints. alphas : the grid.

    Returns
    -------
    accuracies : (len(alphas),) float tensor, in the order of ``alphas``.

    Taught in: chapter 30 (training-free adapters).
    """
    logits = torch.empty_like(base_logits)
    accuracies = []
    for alpha in alphas:
        torch.add(base_logits, cache_logits, alpha=float(alpha), out=logits)
        accuracies.append((logits.argmax(dim=1) == labels).float().mean())
    return torch.stack(accuracies)


def _search_tip(val, val_labels, text_weights, keys, key_labels, alphas, betas, logit_scale):
    """Grid search of (beta, alpha) on validation, beta outer and alpha inner, first best kept."""
    with torch.no_grad():
        clip_logits = logit_scale * val @ text_weights  # (n, C)
        shifted = val @ keys.T - 1.0  # (n, N): affinity - 1, once for every beta
        weights, votes = torch.empty_like(shifted), torch.empty_like(clip_logits)
        labels = key_labels.to(torch.long)
        accuracies = []
        for beta in betas:  # cache_votes, into buffers reused from one beta to the next
            torch.mul(shifted, float(beta), out=weights).exp_()
            votes.zero_().index_add_(1, labels, weights)
            accuracies += accuracy_over_alphas(clip_logits, votes, val_labels, alphas).tolist()
    best = _first_best(accuracies)
    return (
        float(list(betas)[best // len(alphas)]),
        float(list(alphas)[best % len(alphas)]),
        max(accuracies),
    )


class TipAdapter(_Adapter):
    """Tip-Adapter: the zero-shot classifier plus a training-free cache of the shots.

    ``logits = 100 f W_c^T + alpha exp(-beta (1 - f F^T)) L``: each shot votes
    for its class with a weight that decays with its cosine distance to the
    image; ``beta`` sets how sharply, ``alpha`` how much the cache counts
    against the text. Both are chosen on the validation shots over the grids
    (beta outer, alpha inner, first best kept), as the authors' search does.

    Parameters
    ----------
    alphas, betas : search grids (default :data:`TIP_ALPHAS`, :data:`TIP_BETAS`:
        the authors' EuroSAT ranges); one value each = no search.
    logit_scale : temperature of the zero-shot logits (CLIP's: 100).

    Attributes
    ----------
    alpha_, beta_ : chosen values. cache_keys_ : (N, d). cache_labels_ : (N,).
    text_weights_ : (d, C). val_accuracy_ : validation accuracy of the choice.
    """

    def __init__(
        self,
        alphas: Sequence[float] = TIP_ALPHAS,
        betas: Sequence[float] = TIP_BETAS,
        logit_scale: float = 100.0,
    ):
        self.alphas = alphas
        self.betas = betas
        self.logit_scale = logit_scale

    def _check_grids(self):
        if not len(self.alphas) or not len(self.betas):
            raise ValueError("alphas and betas must each hold at least one value")
        check_range("logit_scale", self.logit_scale, 0.0)

    def _choose(self, val, val_labels):
        if val is None:
            self.beta_, self.alpha_, self.val_accuracy_ = (
                float(self.betas[0]),
                float(self.alphas[0]),
                None,
            )
        else:
            self.beta_, self.alpha_, self.val_accuracy_ = _search_tip(
                val,
                val_labels,
                self.text_weights_,
                self.cache_keys_,
                self.cache_labels_,
                self.alphas,
                self.betas,
                self.logit_scale,
            )

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ) -> "TipAdapter":
        """Build the cache from the shots and search alpha, beta on validation."""
        self._check_grids()
        features, labels, weights, val, val_labels = self._check_fit(
            train_features,
            train_labels,
            text_weights,
            val_features,
            val_labels,
            grids=[("alpha", self.alphas), ("beta", self.betas)],
        )
        self.text_weights_, self.cache_keys_, self.cache_labels_ = weights, features, labels
        self._choose(val, val_labels)
        return self

    def _logits(self, image_features):
        with torch.no_grad():
            return tip_adapter_logits(
                image_features,
                self.text_weights_,
                self.cache_keys_,
                self.cache_labels_,
                self.alpha_,
                self.beta_,
                self.logit_scale,
            )


class TipAdapterF(TipAdapter):
    """Tip-Adapter-F: Tip-Adapter whose cache keys are fine-tuned on the shots.

    The keys start as the shots' features and are trained with cross-entropy
    on Tip-Adapter's logits at ``(init_alpha, init_beta)``: AdamW (lr 1e-3,
    eps 1e-4), cosine schedule, ``epochs`` passes over the shots in batches of
    ``batch_size``; the epoch with the best validation accuracy is kept
    (the authors' script keeps the best epoch on the test set; here it is
    the validation set), then alpha and beta are searched on validation as in
    :class:`TipAdapter`. The authors also encode 10 augmented views per shot;
    on cached features there is one view.

    Parameters
    ----------
    lr, epochs, batch_size : the optimisation (the authors' ImageNet config: 1e-3, 20, 256).
    init_alpha, init_beta : alpha and beta during training (their EuroSAT config: 2, 1).
    alphas, betas, logit_scale : as in :class:`TipAdapter`.
    seed : seeds the batch order.

    Attributes
    ----------
    As :class:`TipAdapter`, with ``cache_keys_`` the fine-tuned keys, plus
    ``best_epoch_`` (1-based) and ``history_`` (per epoch: train loss, val accuracy).
    """

    def __init__(
        self,
        lr: float = 1e-3,
        epochs: int = 20,
        batch_size: int = 256,
        init_alpha: float = 2.0,
        init_beta: float = 1.0,
        alphas: Sequence[float] = TIP_ALPHAS,
        betas: Sequence[float] = TIP_BETAS,
        logit_scale: float = 100.0,
        seed: int = 0,
    ):
        super().__init__(alphas=alphas, betas=betas, logit_scale=logit_scale)
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.init_alpha = init_alpha
        self.init_beta = init_beta
        self.seed = seed

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ) -> "TipAdapterF":
        """Fine-tune the cache keys, keep the best epoch on validation, then search alpha, beta."""
        self._check_grids()
        check_range("lr", self.lr, 0.0)
        check_range("epochs", self.epochs, 1, integer=True)
        check_range("batch_size", self.batch_size, 1, integer=True)
        check_range("seed", self.seed, 0, 2**32 - 1, integer=True)
        features, labels, weights, val, val_labels = self._check_fit(
            train_features,
            train_labels,
            text_weights,
            val_features,
            val_labels,
            grids=[("alpha", self.alphas), ("beta", self.betas)],
        )
        self.text_weights_, self.cache_labels_ = weights, labels
        keys = torch.nn.Parameter(features.clone())
        optimizer = torch.optim.AdamW([keys], lr=self.lr, eps=1e-4)
        n_batches = -(-len(features) // self.batch_size)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs * n_batches)
        generator = torch.Generator().manual_seed(self.seed)
        best_keys, best_acc, self.best_epoch_, self.history_ = features.clone(), -1.0, 0, []
        for epoch in range(1, self.epochs + 1):
            losses = []
            for batch in torch.randperm(len(features), generator=generator).split(self.batch_size):
                logits = tip_adapter_logits(
                    features[batch],
                    weights,
                    keys,
                    labels,
                    self.init_alpha,
                    self.init_beta,
                    self.logit_scale,
                )
                loss = F.cross_entropy(logits, labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(float(loss.detach()))
            acc = None
            if val is not None:
                with torch.no_grad():
                    acc = _accuracy(
                        tip_adapter_logits(
                            val,
                            weights,
                            keys,
                            labels,
                            self.init_alpha,
                            self.init_beta,
                            self.logit_scale,
                        ),
                        val_labels,
                    )
            self.history_.append(
                {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_accuracy": acc}
            )
            if val is None or acc > best_acc:
                best_keys, best_acc, self.best_epoch_ = keys.detach().clone(), acc, epoch
        self.cache_keys_ = best_keys
        self._choose(val, val_labels)
        return self


class GDA(_Adapter):
    """Gaussian discriminant analysis added to the zero-shot classifier (Wang et al., ICLR 2024).

    Each class is a Gaussian ``N(mu_c, Sigma)`` with a shared covariance, so
    the Bayes classifier is linear: ``f W + b`` with ``W = Sigma^-1 mu^T``
    (d, C) and ``b_c = log pi_c - 1/2 mu_c Sigma^-1 mu_c^T``. ``Sigma_hat`` is
    the covariance (``ddof=1``) of the class-centred shots; with
    ``shrinkage`` the precision is the authors' estimate
    ``Sigma^-1 = d pinv((N - 1) Sigma_hat + tr(Sigma_hat) I)``, without it
    ``pinv(Sigma_hat)``. ``pi`` are the class frequencies of the shots
    (uniform in the few-shot protocol, as the authors fix it). The logits are
    ``100 f W_c^T + alpha (f W + b)``, ``alpha`` chosen on the validation
    shots (the authors' script does so too, except on ImageNet, where its
    validation set is the test set).

    Without shrinkage this is scikit-learn's ``LinearDiscriminantAnalysis``
    except for the covariance's normalisation: scikit-learn pools
    ``sum_c pi_c cov_c`` with ``ddof=0``, i.e. ``S / N`` for the within-class
    scatter ``S``, here ``S / (N - 1)``; so ``f W + b - log pi`` is
    ``(N - 1) / N`` times scikit-learn's ``decision_function - log pi``.

    Parameters
    ----------
    alphas : grid for alpha (default: the authors' ``1e-4 ... 100``); one value = no search.
    shrinkage : use the authors' shrinkage estimate of the precision.
    logit_scale : temperature of the zero-shot logits (CLIP's: 100).

    Attributes
    ----------
    means_ : (C, d) class means. precision_ : (d, d). coef_ : (d, C) = W.
    intercept_ : (C,) = b. alpha_ : chosen alpha. val_accuracies_ : per alpha.
    """

    def __init__(
        self,
        alphas: Sequence[float] = GDA_ALPHAS,
        shrinkage: bool = True,
        logit_scale: float = 100.0,
    ):
        self.alphas = alphas
        self.shrinkage = shrinkage
        self.logit_scale = logit_scale

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ) -> "GDA":
        """Estimate the class means and shared precision from the shots; choose alpha on validation."""
        if not len(self.alphas):
            raise ValueError("alphas must hold at least one value")
        check_range("logit_scale", self.logit_scale, 0.0)
        features, labels, weights, val, val_labels = self._check_fit(
            train_features,
            train_labels,
            text_weights,
            val_features,
            val_labels,
            grids=[("alpha", self.alphas)],
        )
        from threadpoolctl import threadpool_limits

        X, y = features.double().numpy(), labels.numpy()
        n, d = X.shape
        counts = np.bincount(y, minlength=self.n_classes_)
        means = np.stack([X[y == c].mean(axis=0) for c in range(self.n_classes_)])
        sigma = np.cov(X - means[y], rowvar=False)
        with threadpool_limits(
            limits=1, user_api="blas"
        ):  # d x d with d <= ~1000: threads only add overhead
            if self.shrinkage:
                precision = d * np.linalg.pinv((n - 1) * sigma + np.trace(sigma) * np.eye(d))
            else:
                precision = np.linalg.pinv(sigma)
        self.means_, self.precision_ = means, precision
        self.coef_ = precision @ means.T
        self.intercept_ = np.log(counts / n) - 0.5 * np.einsum("cd,dc->c", means, self.coef_)
        self.text_weights_ = weights
        if val is None:
            self.alpha_, self.val_accuracies_ = float(self.alphas[0]), None
        else:
            clip_logits, gda_logits = self.logit_scale * val @ weights, self._gda_logits(val)
            self.val_accuracies_ = [
                _accuracy(clip_logits + a * gda_logits, val_labels) for a in self.alphas
            ]
            self.alpha_ = float(list(self.alphas)[_first_best(self.val_accuracies_)])
        return self

    def _gda_logits(self, image_features: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(
            image_features.double().numpy() @ self.coef_ + self.intercept_
        ).float()

    def _logits(self, image_features):
        return (
            self.logit_scale * image_features @ self.text_weights_
            + self.alpha_ * self._gda_logits(image_features)
        )


ADAPTERS = {
    "zero_shot": ZeroShot,
    "linear_probe": LinearProbe,
    "tip_adapter": TipAdapter,
    "tip_adapter_f": TipAdapterF,
    "gda": GDA,
}
"""Every adapter by name, all with ``fit(train_features, train_labels, text_weights=, val_features=, val_labels=)``."""


def make_adapter(name: str, **hyperparameters: Any) -> _Adapter:
    """The adapter ``name`` of :data:`ADAPTERS`, constructed with ``hyperparameters``."""
    from zslkit.checks import check_choice

    check_choice("name", name, list(ADAPTERS))
    return ADAPTERS[name](**hyperparameters)
