"""Generative zero-shot learning: invent features for the unseen classes.

A conditional generator learns ``p(x | s)``, image features given class
semantics, from the seen classes only (f-CLSWGAN, Xian et al. 2018; LisGAN
and OntoZSL refine it). Fed with an unseen class's semantic vector it
produces features for a class no image of which was ever seen; an ordinary
softmax classifier trained on real seen features plus generated unseen
features then handles ZSL and GZSL alike, and is far less biased towards
the seen classes than a compatibility model.

The generator here is a small conditional VAE (Kingma et al. 2014), as Mishra
et al. (2018, "A Generative Model for Zero Shot Learning Using Conditional
Variational Autoencoders") used for ZSL::

    q(z | x, s) = N(mu(x, s), diag sigma^2(x, s)),   x_hat = g(z, s)
    loss = ||x - x_hat||^2 + beta KL(q(z | x, s) || N(0, I))

minimised on standardised features (with ``beta = 1`` the negative ELBO of a
Gaussian decoder of variance 1/2, up to a constant); generation samples
``z ~ N(0, I)``. :func:`generated_vs_real_spread` measures how far the
generated features reproduce the class structure of real ones.

Taught in: notebooks/15_generative_zsl.ipynb.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from zslkit.checks import check_range
from zslkit.classic.base import ZeroShotClassifier


def _mlp(n_in: int, n_hidden: int, n_out: int):
    import torch.nn as nn

    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.LeakyReLU(0.2), nn.Linear(n_hidden, n_out))


class CVAEFeatureGenerator(BaseEstimator):
    """A conditional VAE over (standardised) image features, conditioned on class semantics.

    Parameters
    ----------
    latent_dim, hidden_dim : sizes of the latent code and of the hidden layers
    epochs, batch_size, lr : Adam training schedule
    beta : weight of the KL term
    seed : int, seeds the weights, the batches and the generated noise
    device : "cpu" or "cuda"
    num_threads : int, torch CPU threads while training (restored afterwards); a
        small MLP trains fastest on one, and more threads can slow it down
        badly on a busy two-core machine

    Attributes
    ----------
    scaler_ : StandardScaler of the training features (generation undoes it)
    encoder_, decoder_ : torch modules
    loss_curve_ : list of the mean loss of every epoch
    """

    def __init__(
        self,
        latent_dim: int = 16,
        hidden_dim: int = 256,
        epochs: int = 40,
        batch_size: int = 128,
        lr: float = 1e-3,
        beta: float = 1.0,
        seed: int = 0,
        device: str = "cpu",
        num_threads: int = 1,
    ):
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.seed = seed
        self.device = device
        self.num_threads = num_threads

    def fit(self, X, y, class_semantics):
        """X : (n, d) features; y : (n,) rows of ``class_semantics : (n_classes, k)``."""
        import torch

        check_range("latent_dim", self.latent_dim, 1, integer=True)
        check_range("epochs", self.epochs, 1, integer=True)
        check_range("beta", self.beta, 0.0)
        check_range("num_threads", self.num_threads, 1, integer=True)
        previous = torch.get_num_threads()
        torch.set_num_threads(self.num_threads)
        try:
            return self._train(X, y, class_semantics)
        finally:
            torch.set_num_threads(previous)

    def _train(self, X, y, class_semantics):
        import torch

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.scaler_ = StandardScaler().fit(X)
        S = np.asarray(class_semantics, dtype=np.float32)
        self.class_semantics_ = S
        x = torch.as_tensor(self.scaler_.transform(X), dtype=torch.float32, device=self.device)
        s = torch.as_tensor(S[np.asarray(y)], device=self.device)
        d, k = x.shape[1], s.shape[1]
        self.encoder_ = _mlp(d + k, self.hidden_dim, 2 * self.latent_dim).to(self.device)
        self.decoder_ = _mlp(self.latent_dim + k, self.hidden_dim, d).to(self.device)
        opt = torch.optim.Adam(
            [*self.encoder_.parameters(), *self.decoder_.parameters()], lr=self.lr
        )
        self.loss_curve_ = []
        for _ in range(self.epochs):
            order = torch.as_tensor(rng.permutation(len(x)), device=self.device)
            total = 0.0
            for start in range(0, len(x), self.batch_size):
                b = order[start : start + self.batch_size]
                mu, logvar = self.encoder_(torch.cat([x[b], s[b]], 1)).chunk(2, dim=1)
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
                recon = self.decoder_(torch.cat([z, s[b]], 1))
                rec = ((recon - x[b]) ** 2).sum(1).mean()
                kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1).mean()
                loss = rec + self.beta * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(b)
            self.loss_curve_.append(total / len(x))
        return self

    def generate(self, classes, n_per_class: int = 200, seed: int | None = None):
        """Sample features of ``classes``.

        Returns
        -------
        features : (len(classes) * n_per_class, d) float array, in the original feature scale
        labels : (len(classes) * n_per_class,) int array
        """
        import torch

        classes = np.asarray(list(classes))
        labels = np.repeat(classes, n_per_class)
        g = torch.Generator(device=self.device).manual_seed(self.seed if seed is None else seed)
        s = torch.as_tensor(self.class_semantics_[labels], device=self.device)
        z = torch.randn(len(labels), self.latent_dim, generator=g, device=self.device)
        with torch.no_grad():
            x = self.decoder_(torch.cat([z, s], 1)).cpu().numpy()
        return self.scaler_.inverse_transform(x), labels


class GenerativeZSL(ZeroShotClassifier):
    """CVAE-generated unseen features + a softmax (logistic regression) classifier.

    Parameters
    ----------
    n_generated : int, features generated per unseen class
    C : float, inverse L2 penalty of the final logistic regression
    latent_dim, hidden_dim, epochs, batch_size, lr, beta, seed, device, num_threads :
        passed to :class:`CVAEFeatureGenerator`

    Attributes
    ----------
    generator_ : the fitted CVAEFeatureGenerator
    classifier_ : LogisticRegression over all classes (standardised features)
    """

    def __init__(
        self,
        n_generated: int = 300,
        C: float = 0.01,
        latent_dim: int = 16,
        hidden_dim: int = 256,
        epochs: int = 40,
        batch_size: int = 128,
        lr: float = 1e-3,
        beta: float = 1.0,
        seed: int = 0,
        device: str = "cpu",
        num_threads: int = 1,
    ):
        self.n_generated = n_generated
        self.C = C
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.seed = seed
        self.device = device
        self.num_threads = num_threads

    def _fit(self, X, y, S):
        check_range("n_generated", self.n_generated, 1, integer=True)
        self.generator_ = CVAEFeatureGenerator(
            latent_dim=self.latent_dim,
            hidden_dim=self.hidden_dim,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            beta=self.beta,
            seed=self.seed,
            device=self.device,
            num_threads=self.num_threads,
        ).fit(X, y, S)
        Xg, yg = self.generator_.generate(self.unseen_classes_, self.n_generated)
        Xall, yall = np.concatenate([X, Xg]), np.concatenate([y, yg])
        self.scaler_ = StandardScaler().fit(Xall)
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000).fit(
            self.scaler_.transform(Xall), yall
        )
        return self

    def _scores(self, X):
        logp = np.full((X.shape[0], len(self.classes_)), -np.inf)
        logp[:, self.classifier_.classes_] = self.classifier_.predict_log_proba(
            self.scaler_.transform(X)
        )
        return logp


def _class_spread(features: np.ndarray, labels: np.ndarray, classes) -> dict:
    means = np.stack([features[labels == c].mean(0) for c in classes])
    within = np.array(
        [((features[labels == c] - m) ** 2).sum(1).mean() for c, m in zip(classes, means)]
    )
    between = ((means - means.mean(0)) ** 2).sum(1).mean()
    gaps = np.sqrt(((means[:, None] - means[None]) ** 2).sum(-1))[np.triu_indices(len(classes), 1)]
    return {"means": means, "within": within, "between": between, "gaps": gaps}


def generated_vs_real_spread(
    real,
    real_labels,
    generated,
    generated_labels,
    classes,
    centre: np.ndarray | None = None,
    n_resamples: int = 500,
    seed: int = 0,
) -> dict:
    """How far generated features reproduce the class structure of real ones, with intervals.

    Computed in whatever feature space the arrays are given in (the book uses
    the generator's standardised space). For a set of features of
    ``classes`` (at least 2):

    * ``separation``: between-class spread / within-class spread, where the
      between-class spread is the mean squared distance of the class means
      from their mean, and the within-class spread the mean over classes of
      the mean squared distance of a class's features from its mean (a
      Fisher-like ratio: 0 when all classes share one mean);
    * ``within``: the root of each class's within-class spread.

    Returned, each an :class:`zslkit.stats.Interval` (percentile bootstrap
    that resamples the features of every class, real and generated,
    independently and within the class):

    * ``separation_real``, ``separation_generated``;
    * ``separation_ratio``: generated / real separation;
    * ``within_ratio``: mean over classes of generated / real ``within``
      (1: the generated class is as varied as the real one);
    * ``gap_ratio``: mean distance between the generated class means over the
      mean distance between the real class means (0: the generated classes
      are one blob, the decoder ignores the class semantics; 1: they lie as
      far apart as the real ones);
    * ``direction_cosine``: mean over classes of the cosine between a
      generated class mean's offset from the mean of the generated class
      means and the same offset of the real class mean (1: the generated
      classes, however close together, differ in the directions the real
      ones do; 0: unrelated directions);
    * ``centre_ratio`` (only when ``centre`` is given): mean over classes of
      the distance of the generated class mean from ``centre`` over that of
      the real class mean (below 1: the generated class sits nearer the
      centre, e.g. the mean of the seen training features, than the real one).

    Parameters
    ----------
    real : (n, d) array; real_labels : (n,) int array
    generated : (m, d) array; generated_labels : (m,) int array
    classes : the classes to compare (each present in both sets)
    centre : (d,) array or None, the point ``centre_ratio`` measures from
    n_resamples, seed : the bootstrap

    Returns
    -------
    dict name -> Interval, plus ``"within_ratio_per_class"``: (len(classes),) array
    of the per-class ratios on the full data

    Taught in: notebooks/15_generative_zsl.ipynb.
    """
    from zslkit.stats import Interval

    classes = list(classes)
    check_range("n_resamples", n_resamples, 10, integer=True)
    if len(classes) < 2:
        raise ValueError(f"need at least 2 classes to compare spreads, got {classes}")
    real, generated = np.asarray(real, dtype=float), np.asarray(generated, dtype=float)
    real_labels, generated_labels = np.asarray(real_labels), np.asarray(generated_labels)
    for name, labels in (("real_labels", real_labels), ("generated_labels", generated_labels)):
        missing = [c for c in classes if not np.any(labels == c)]
        if missing:
            raise ValueError(f"classes {missing} have no sample in {name}")
    if centre is not None:
        centre = np.asarray(centre, dtype=float)
        if centre.shape != real.shape[1:]:
            raise ValueError(
                f"centre has shape {centre.shape}; valid: ({real.shape[1]},), one value a feature"
            )

    def figures(r, rl, g, gl):
        a, b = _class_spread(r, rl, classes), _class_spread(g, gl, classes)
        sep_r, sep_g = a["between"] / a["within"].mean(), b["between"] / b["within"].mean()
        per_class = np.sqrt(b["within"] / a["within"])
        off_r, off_g = a["means"] - a["means"].mean(0), b["means"] - b["means"].mean(0)
        cosines = (
            (off_r * off_g).sum(1) / np.linalg.norm(off_r, axis=1) / np.linalg.norm(off_g, axis=1)
        )
        out = {
            "separation_real": sep_r,
            "separation_generated": sep_g,
            "separation_ratio": sep_g / sep_r,
            "within_ratio": per_class.mean(),
            "gap_ratio": b["gaps"].mean() / a["gaps"].mean(),
            "direction_cosine": cosines.mean(),
        }
        if centre is not None:
            dist_r = np.linalg.norm(a["means"] - centre, axis=1)
            out["centre_ratio"] = (np.linalg.norm(b["means"] - centre, axis=1) / dist_r).mean()
        return out, per_class

    estimate, per_class = figures(real, real_labels, generated, generated_labels)
    rng = np.random.default_rng(seed)

    def resample(labels):
        return np.concatenate(
            [rng.choice(np.flatnonzero(labels == c), np.sum(labels == c)) for c in classes]
        )

    draws = {k: [] for k in estimate}
    for _ in range(n_resamples):
        i, j = resample(real_labels), resample(generated_labels)
        values, _ = figures(real[i], real_labels[i], generated[j], generated_labels[j])
        for k, v in values.items():
            draws[k].append(v)
    out = {
        k: Interval(
            float(estimate[k]),
            float(np.percentile(draws[k], 2.5)),
            float(np.percentile(draws[k], 97.5)),
            0.95,
            "bootstrap over features within classes",
        )
        for k in estimate
    }
    out["within_ratio_per_class"] = per_class
    return out
