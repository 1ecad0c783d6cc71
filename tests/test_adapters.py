"""zslkit.adapt.adapters against formulas written out independently, numpy and scikit-learn."""

import numpy as np
import pytest
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression

from zslkit.adapt.adapters import (
    ADAPTERS,
    GDA,
    LinearProbe,
    TipAdapter,
    TipAdapterF,
    ZeroShot,
    make_adapter,
)


def normalised(rng, *shape):
    x = rng.standard_normal(shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def task(seed=0, n_classes=4, d=6, per_class=5, n_val=3, n_test=7, spread=0.8):
    """Random clustered features: (train X, y, text weights (d, C), val X, y, test X, y)."""
    rng = np.random.default_rng(seed)
    centres = normalised(rng, n_classes, d)

    def draw(n):
        y = np.repeat(np.arange(n_classes), n)
        x = centres[y] + spread * rng.standard_normal((len(y), d)) / np.sqrt(d)
        return x / np.linalg.norm(x, axis=1, keepdims=True), y

    (X, y), (Xv, yv), (Xt, yt) = draw(per_class), draw(n_val), draw(n_test)
    text = centres + 0.7 * normalised(rng, n_classes, d)
    text = (text / np.linalg.norm(text, axis=1, keepdims=True)).T
    return X, y, text, Xv, yv, Xt, yt


def tip_by_hand(f, w, keys, key_labels, alpha, beta, scale=100.0):
    out = np.zeros((len(f), w.shape[1]))
    for i in range(len(f)):
        for c in range(w.shape[1]):
            out[i, c] = scale * f[i] @ w[:, c]
            for j in range(len(keys)):
                if key_labels[j] == c:
                    out[i, c] += alpha * np.exp(-beta * (1.0 - f[i] @ keys[j]))
    return out


def test_tip_adapter_logits_formula():
    X, y, w, _, _, Xt, _ = task()
    tip = TipAdapter(alphas=(1.7,), betas=(5.5,)).fit(X, y, text_weights=w)
    assert np.allclose(tip.decision_function(Xt), tip_by_hand(Xt, w, X, y, 1.7, 5.5), atol=1e-3)
    tip = TipAdapter(alphas=(0.4,), betas=(2.0,), logit_scale=16.0).fit(
        torch.as_tensor(X), torch.as_tensor(y), w
    )
    assert np.allclose(
        tip.decision_function(torch.as_tensor(Xt)),
        tip_by_hand(Xt, w, X, y, 0.4, 2.0, 16.0),
        atol=1e-3,
    )


def test_tip_adapter_search_is_first_best_on_validation():
    X, y, w, Xv, yv, _, _ = task(seed=1, spread=1.5)
    alphas, betas = (0.5, 1.0, 2.0, 4.0), (0.5, 1.0, 3.0, 7.0)
    tip = TipAdapter(alphas=alphas, betas=betas, logit_scale=10.0).fit(X, y, w, Xv, yv)
    table = [
        (np.mean(tip_by_hand(Xv, w, X, y, a, b, 10.0).argmax(1) == yv), b, a)
        for b in betas
        for a in alphas
    ]
    best = max(acc for acc, _, _ in table)
    first = next((b, a) for acc, b, a in table if acc == best)
    assert (tip.beta_, tip.alpha_) == pytest.approx(first) and tip.val_accuracy_ == pytest.approx(
        best
    )


def test_tip_adapter_f_without_learning_is_tip_adapter():
    X, y, w, Xv, yv, Xt, _ = task(seed=2)
    grids = dict(alphas=(0.5, 2.0), betas=(1.0, 5.0), logit_scale=10.0)
    frozen = TipAdapterF(lr=0.0, epochs=2, **grids).fit(X, y, w, Xv, yv)
    plain = TipAdapter(**grids).fit(X, y, w, Xv, yv)
    assert torch.equal(frozen.cache_keys_, torch.as_tensor(X, dtype=torch.float32))
    assert np.allclose(frozen.decision_function(Xt), plain.decision_function(Xt), atol=1e-5)


def test_tip_adapter_f_learns_keys():
    X, y, w, Xv, yv, _, _ = task(seed=3, spread=1.5)
    tuned = TipAdapterF(
        lr=1e-2,
        epochs=20,
        batch_size=8,
        init_alpha=2.0,
        alphas=(2.0,),
        betas=(1.0,),
        logit_scale=10.0,
    ).fit(X, y, w)  # no validation: the last epoch is kept
    losses = [h["train_loss"] for h in tuned.history_]
    assert tuned.best_epoch_ == 20 and losses[-1] < losses[0]
    assert not torch.allclose(tuned.cache_keys_, torch.as_tensor(X, dtype=torch.float32))
    logits = tuned.decision_function(X)
    assert np.allclose(
        logits, tip_by_hand(X, w, tuned.cache_keys_.numpy(), y, 2.0, 1.0, 10.0), atol=1e-3
    )


def gda_by_hand(X, y, shrinkage=True):
    n, d = X.shape
    classes = np.unique(y)
    means = np.array([X[y == c].mean(axis=0) for c in classes])
    scatter = np.zeros((d, d))
    for x, c in zip(X, y):
        scatter += np.outer(x - means[c], x - means[c])
    sigma = scatter / (n - 1)
    precision = (
        d * np.linalg.inv((n - 1) * sigma + np.trace(sigma) * np.eye(d))
        if shrinkage
        else np.linalg.inv(sigma)
    )
    W = precision @ means.T
    priors = np.array([np.mean(y == c) for c in classes])
    b = np.log(priors) - 0.5 * np.array([m @ precision @ m for m in means])
    return W, b


@pytest.mark.parametrize("shrinkage", [True, False])
def test_gda_weights_against_numpy(shrinkage):
    X, y, w, _, _, Xt, _ = task(seed=4, per_class=9)
    gda = GDA(alphas=(0.3,), shrinkage=shrinkage).fit(X, y, text_weights=w)
    W, b = gda_by_hand(X, y, shrinkage)
    assert np.allclose(gda.coef_, W, rtol=1e-5, atol=1e-6)  # inputs are float32 features
    assert np.allclose(gda.intercept_, b, rtol=1e-5, atol=1e-6)
    assert np.allclose(gda.decision_function(Xt), 100 * Xt @ w + 0.3 * (Xt @ W + b), atol=1e-3)


@pytest.mark.parametrize("per_class", [(12, 12, 12), (9, 15, 20)])
def test_gda_without_shrinkage_is_lda_up_to_normalisation(per_class):
    rng = np.random.default_rng(5)
    y = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    X = rng.standard_normal((len(y), 4)) + 2.0 * rng.standard_normal((3, 4))[y]
    gda = GDA(alphas=(1.0,), shrinkage=False, logit_scale=0.0).fit(
        X, y, text_weights=np.zeros((4, 3))
    )
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    n, log_prior = len(y), np.log(lda.priors_)
    ours = (
        gda.decision_function(X) - log_prior
    )  # documented: sklearn's covariance is S / N, ours S / (N - 1)
    assert np.allclose(
        ours, (n - 1) / n * (lda.decision_function(X) - log_prior), rtol=1e-4, atol=1e-3
    )


def test_gda_with_one_shot_is_zero_shot():
    X, y, w, Xv, yv, Xt, _ = task(seed=6, per_class=1)
    gda = GDA().fit(X, y, w, Xv, yv)  # no spread around a single shot: W = 0, b = log pi
    assert np.allclose(gda.coef_, 0.0)
    assert np.array_equal(gda.predict(Xt), ZeroShot().fit(X, y, w).predict(Xt))


def test_linear_probe_against_sklearn():
    X, y, _, Xv, yv, Xt, _ = task(seed=7, spread=2.0)
    probe = LinearProbe(Cs=(0.5,)).fit(X, y)
    reference = LogisticRegression(C=0.5, max_iter=1000).fit(X, y)
    assert np.allclose(probe.decision_function(Xt), reference.decision_function(Xt), atol=1e-3)
    Cs = (0.01, 0.1, 1.0, 10.0, 100.0)
    probe = LinearProbe(Cs=Cs).fit(X, y, val_features=Xv, val_labels=yv)
    accuracies = [LogisticRegression(C=C, max_iter=1000).fit(X, y).score(Xv, yv) for C in Cs]
    assert probe.val_accuracies_ == pytest.approx(accuracies)
    assert probe.C_ == Cs[int(np.argmax(accuracies))]
    reference = LogisticRegression(C=probe.C_, max_iter=1000).fit(X, y)
    assert np.array_equal(probe.predict(Xt), reference.predict(Xt))


def test_uniform_interface_and_errors():
    X, y, w, Xv, yv, Xt, yt = task(seed=8)
    for name in ADAPTERS:
        adapter = make_adapter(name).fit(X, y, text_weights=w, val_features=Xv, val_labels=yv)
        proba = adapter.predict_proba(Xt)
        assert proba.shape == (len(Xt), 4) and np.allclose(proba.sum(1), 1.0, atol=1e-5)
        assert adapter.score(Xt, yt) == np.mean(adapter.predict(Xt) == yt)
    assert ZeroShot().fit(X, y, w).score(Xt, yt) == np.mean((Xt @ w).argmax(1) == yt)
    with pytest.raises(ValueError, match="text_weights"):
        TipAdapter().fit(X, y, val_features=Xv, val_labels=yv)
    with pytest.raises(ValueError, match="val_features"):
        GDA().fit(X, y, text_weights=w)
    with pytest.raises(ValueError, match="labels must lie"):
        GDA(alphas=(1.0,)).fit(X, y + 1, text_weights=w)
    with pytest.raises(ValueError, match="not fitted"):
        TipAdapter().predict(Xt)
    with pytest.raises(ValueError, match="choose one of"):
        make_adapter("coop")


def test_cache_votes_equal_the_product_with_the_one_hot_matrix():
    """The per-class sum against ``exp(-beta (1 - A)) @ L`` written out densely, values and gradients."""
    from zslkit.adapt.adapters import cache_votes

    g = torch.Generator().manual_seed(0)
    affinity = torch.rand(7, 12, generator=g) * 2 - 1
    labels = torch.tensor([3, 0, 0, 1, 4, 4, 4, 2, 0, 1, 3, 4])  # unequal counts per class
    dense = torch.nn.functional.one_hot(labels, 6).float()  # class 5 has no entry
    assert torch.allclose(
        cache_votes(affinity, labels, 6, 2.5), torch.exp(-2.5 * (1 - affinity)) @ dense
    )
    betas = torch.tensor([0.5, 3.0, 9.0])
    expected = torch.stack([torch.exp(-b * (1 - affinity)) @ dense for b in betas])
    assert torch.allclose(cache_votes(affinity, labels, 6, betas), expected)
    assert (cache_votes(affinity, labels, 6, betas)[..., 5] == 0).all()
    a1 = affinity.clone().requires_grad_()
    a2 = affinity.clone().requires_grad_()
    (cache_votes(a1, labels, 6, 2.5) * torch.arange(6.0)).sum().backward()
    ((torch.exp(-2.5 * (1 - a2)) @ dense) * torch.arange(6.0)).sum().backward()
    assert torch.allclose(a1.grad, a2.grad)


def test_tip_adapter_search_chooses_as_the_dense_search():
    """The grid search with per-class sums against a dense one-hot search written here."""
    X, y, w, Xv, yv, Xt, _ = task(seed=3, spread=1.5)
    alphas, betas = (0.1, 0.5, 1.0, 3.0, 8.0), (0.2, 1.0, 2.5, 5.0, 11.0)
    tip = TipAdapter(alphas=alphas, betas=betas, logit_scale=10.0).fit(X, y, w, Xv, yv)
    Xv_, X_, w_ = (torch.as_tensor(a).float() for a in (Xv, X, w))
    dense = torch.nn.functional.one_hot(torch.as_tensor(y), w.shape[1]).float()
    table = []
    for b in betas:
        votes = torch.exp(-b * (1 - Xv_ @ X_.T)) @ dense
        for a in alphas:
            logits = 10.0 * Xv_ @ w_ + a * votes
            table.append(((logits.argmax(1).numpy() == yv).mean(), b, a))
    best = max(acc for acc, _, _ in table)
    assert (tip.beta_, tip.alpha_) == pytest.approx(
        next((b, a) for acc, b, a in table if acc == best)
    )
    logits = 10.0 * torch.as_tensor(Xt).float() @ w_
    logits += tip.alpha_ * torch.exp(-tip.beta_ * (1 - torch.as_tensor(Xt).float() @ X_.T)) @ dense
    assert (tip.predict(Xt) == logits.argmax(1).numpy()).all()


def test_accuracy_over_alphas_equals_the_argmax_over_every_class():
    """Candidate pruning against the plain argmax over all classes, ties included."""
    from zslkit.adapt.adapters import accuracy_over_alphas

    g = torch.Generator().manual_seed(1)
    alphas = (0.1, 0.6, 1.1, 2.0, 5.0, 10.0)
    for base, cache in [
        (torch.randn(50, 30, generator=g), torch.rand(50, 30, generator=g)),
        # small integers: many exact ties, which argmax gives to the lower index
        (
            torch.randint(0, 3, (50, 30), generator=g).float(),
            torch.randint(0, 2, (50, 30), generator=g).float(),
        ),
    ]:
        labels = torch.randint(30, (50,), generator=g)
        expected = [((base + a * cache).argmax(1) == labels).float().mean() for a in alphas]
        assert torch.allclose(
            accuracy_over_alphas(base, cache, labels, alphas), torch.stack(expected)
        )


def test_bench_tip_search_runs_and_agrees(tmp_path):
    """The benchmark script at a tiny scale: both searches choose the same (beta, alpha)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_tip_search.py"
    args = ["--n-betas", "5", "--n-val", "60", "--classes", "12", "--shots", "4", "--dim", "16"]
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "same choice and same predictions: True" in proc.stdout
