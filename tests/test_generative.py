"""The conditional VAE feature generator and the generative ZSL classifier."""

import numpy as np

from zslkit.classic import CVAEFeatureGenerator, GenerativeZSL


def _toy(seed=0):
    # features are a noisy linear function of 3-d class semantics; 12 classes, 2 unseen
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(12, 3))
    M = rng.normal(size=(3, 10)) * 3

    def sample(classes, n):
        y = np.repeat(classes, n)
        return S[y] @ M + 0.3 * rng.normal(size=(len(y), 10)), y

    return S, M, sample(np.arange(10), 30), sample([10, 11], 60)


def test_generator_shapes_and_learning():
    S, M, (X, y), _ = _toy()
    gen = CVAEFeatureGenerator(latent_dim=2, hidden_dim=32, epochs=30, batch_size=32, seed=0).fit(
        X, y, S
    )
    assert gen.loss_curve_[-1] < gen.loss_curve_[0]
    Xg, yg = gen.generate([10, 11], n_per_class=50)
    assert Xg.shape == (100, 10) and yg.tolist() == [10] * 50 + [11] * 50
    # generated means of unseen classes lie nearer their true means than the other class's
    for c, other in ((10, 11), (11, 10)):
        mean = Xg[yg == c].mean(0)
        assert np.linalg.norm(mean - S[c] @ M) < np.linalg.norm(mean - S[other] @ M)
    # generation is reproducible from the seed
    np.testing.assert_allclose(gen.generate([10], 5, seed=3)[0], gen.generate([10], 5, seed=3)[0])


def test_generative_zsl_separates_unseen_classes():
    S, M, (X, y), (Xu, yu) = _toy(1)
    model = GenerativeZSL(
        n_generated=30, C=1.0, latent_dim=2, hidden_dim=32, epochs=30, batch_size=32, seed=0
    ).fit(X, y, class_semantics=S)
    assert model.score(Xu, yu, classes=[10, 11]) > 0.9
    assert model.predict_proba(Xu).shape == (120, 12)
    np.testing.assert_allclose(model.predict_proba(Xu).sum(1), 1.0)
