"""The conditional VAE feature generator and the generative ZSL classifier."""

import numpy as np
import pytest

from zslkit.classic import CVAEFeatureGenerator, GenerativeZSL
from zslkit.classic.generative import generated_vs_real_spread


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


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # tiny resamples can have 0 spread
def test_spread_figures_by_hand():
    # two classes in 1-d: real at -1/+1 with offsets +-1, generated at -0.5/+0.5 with +-0.5
    real = np.array([-2.0, 0.0, 0.0, 2.0])[:, None]
    real_labels = np.array([0, 0, 1, 1])
    fake = np.array([-1.0, 0.0, 0.0, 1.0])[:, None]
    fake = np.concatenate([fake, fake])  # same points twice, labels alike
    fake_labels = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    got = generated_vs_real_spread(real, real_labels, fake, fake_labels, [0, 1], n_resamples=50)
    # real: class means -1, +1 -> between = 1, within = 1; generated: halves of both
    assert got["separation_real"].estimate == pytest.approx(1.0)
    assert got["separation_generated"].estimate == pytest.approx(1.0)
    assert got["within_ratio"].estimate == pytest.approx(0.5)
    assert got["gap_ratio"].estimate == pytest.approx(0.5)
    np.testing.assert_allclose(got["within_ratio_per_class"], [0.5, 0.5])
    # offsets from the mean of the class means: (-1, +1) real, (-0.5, +0.5) generated
    assert got["direction_cosine"].estimate == pytest.approx(1.0)
    assert "centre_ratio" not in got
    # from centre -3: real means lie 2 and 4 away, generated 2.5 and 3.5
    args = (real, real_labels, fake, fake_labels, [0, 1])
    got = generated_vs_real_spread(*args, centre=[-3.0], n_resamples=50)
    assert got["centre_ratio"].estimate == pytest.approx((2.5 / 2 + 3.5 / 4) / 2)
    assert got["centre_ratio"].low <= got["centre_ratio"].estimate <= got["centre_ratio"].high
    with pytest.raises(ValueError, match="no sample"):
        generated_vs_real_spread(real, real_labels, fake, fake_labels, [0, 2])
    with pytest.raises(ValueError, match="centre"):
        generated_vs_real_spread(*args, centre=[0.0, 0.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # tiny resamples can have 0 spread
def test_direction_cosine_by_hand():
    # real class means at (+-1, 0); generated ones at right angles, then reversed
    labels = np.array([0, 0, 1, 1])
    jitter = np.array([[0.0, 0.5], [0.0, -0.5]] * 2)
    real = np.array([[1.0, 0], [1, 0], [-1, 0], [-1, 0]]) + jitter
    turned = np.array([[0.0, 0.1], [0, 0.1], [0, -0.1], [0, -0.1]]) + jitter
    reversed_ = -0.1 * real + jitter
    got = generated_vs_real_spread(real, labels, turned, labels, [0, 1], n_resamples=10)
    assert got["direction_cosine"].estimate == pytest.approx(0.0, abs=1e-12)
    got = generated_vs_real_spread(real, labels, reversed_, labels, [0, 1], n_resamples=10)
    assert got["direction_cosine"].estimate == pytest.approx(-1.0)


def test_spread_sees_a_decoder_that_ignores_the_class():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 100)
    real = rng.normal(size=(300, 5)) + 4 * np.eye(5)[labels]
    blob = rng.normal(size=(300, 5))  # every class drawn from one distribution
    got = generated_vs_real_spread(real, labels, blob, labels, [0, 1, 2], n_resamples=100)
    assert got["gap_ratio"].high < 0.2 and got["separation_ratio"].high < 0.05
    assert got["within_ratio"].low < 1.0 < got["within_ratio"].high
