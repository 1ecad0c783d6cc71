"""Test-time prompt tuning: confidence selection, marginal entropy and one TPT step, against direct computations."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from zslkit.adapt.tta import TPT, augment_views, entropy, marginal_entropy, select_confident
from zslkit.data import world
from zslkit.models.backbones import load_backbone

torch.set_num_threads(1)

# 5 views, 3 classes, given as probabilities. Entropies worked by hand (nats):
# v0 uniform: ln 3 = 1.0986; v1 (0.98, 0.01, 0.01): 0.1119; v2 (0.5, 0.5, 0): ln 2 = 0.6931;
# v3 (0.9, 0.05, 0.05): 0.3944; v4 (0.8, 0.1, 0.1): 0.6390.  Order by entropy: v1, v3, v4, v2, v0.
PROBS = torch.tensor(
    [
        [1 / 3, 1 / 3, 1 / 3],
        [0.98, 0.01, 0.01],
        [0.5, 0.5, 0.0],
        [0.9, 0.05, 0.05],
        [0.8, 0.1, 0.1],
    ]
)


def test_entropy_hand_worked():
    logits = torch.log(PROBS.clamp_min(1e-30))
    expected = [
        math.log(3),
        -(0.98 * math.log(0.98) + 0.02 * math.log(0.01)),
        math.log(2),
        -(0.9 * math.log(0.9) + 0.1 * math.log(0.05)),
        -(0.8 * math.log(0.8) + 0.2 * math.log(0.1)),
    ]
    assert torch.allclose(entropy(logits), torch.tensor(expected), atol=1e-5)


@pytest.mark.parametrize(
    "fraction, expected",
    [(0.2, [1]), (0.4, [1, 3]), (0.6, [1, 3, 4]), (1.0, [1, 3, 4, 2, 0]), (0.01, [1])],
)
def test_select_confident_hand_worked(fraction, expected):
    logits = torch.log(PROBS.clamp_min(1e-30))
    assert select_confident(logits, fraction).tolist() == expected


def test_marginal_entropy_matches_direct_formula():
    logits = torch.randn(7, 5, generator=torch.Generator().manual_seed(0)) * 4
    p_bar = torch.softmax(logits.double(), dim=1).mean(0).numpy()
    direct = -(p_bar * np.log(p_bar)).sum()
    assert float(marginal_entropy(logits)) == pytest.approx(direct, abs=1e-5)
    # hand-worked: the mean of (1, 0) and (0, 1) is uniform, entropy ln 2
    assert float(marginal_entropy(torch.tensor([[30.0, -30.0], [-30.0, 30.0]]))) == pytest.approx(
        math.log(2), abs=1e-6
    )


def test_augment_views_shapes_and_identity():
    image = torch.randn(3, 16, 16)
    views = augment_views(image, 8, generator=torch.Generator().manual_seed(0))
    assert views.shape == (8, 3, 16, 16)
    assert torch.equal(views[0], image)
    full = augment_views(
        image, 3, scale=(1.0, 1.0), flip=False
    )  # a crop of the whole image is the image
    assert torch.allclose(full[1], image, atol=1e-6)
    with pytest.raises(ValueError, match="scale"):
        augment_views(image, 2, scale=(0.0, 1.0))


@pytest.fixture(scope="module")
def toyclip():
    return load_backbone("toyclip")


def test_one_tpt_step_reduces_the_averaged_entropy(toyclip):
    model, _, tokenizer = toyclip
    names = world.class_names()[:8]
    tpt = TPT(model, tokenizer, names, n_views=16, fraction=0.5, steps=1, lr=5e-3).fit()
    before_context = tpt.context_.clone()
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):  # a few toy "images": random view features
        view_features = torch.nn.functional.normalize(
            torch.randn(16, tpt.text_features_.shape[1], generator=gen), dim=1
        )
        context, text_features, info = tpt.tune(view_features)
        assert len(info["selected"]) == 8
        assert info["entropy_after"] < info["entropy_before"]
        assert not torch.equal(context, before_context)
        assert torch.equal(tpt.context_, before_context)  # reset: the initial context is untouched
        # independent recomputation of the initial marginal entropy over the kept views
        with torch.no_grad():
            reference = model.encode_text(
                tokenizer([f"a photo of a {n}." for n in names]), normalize=True
            )
        logits = tpt.logit_scale_ * view_features @ reference.T
        kept = torch.argsort(entropy(logits))[:8]
        assert info["entropy_before"] == pytest.approx(
            float(marginal_entropy(logits[kept])), abs=1e-3
        )


def test_tpt_without_steps_is_zero_shot(toyclip):
    model, preprocess, tokenizer = toyclip
    names = world.class_names()[:6]
    images, labels = world.make_images(names, 1, variant="photo", seed=0)

    batch = torch.stack([preprocess(Image.fromarray(im)) for im in images])
    tpt = TPT(model, tokenizer, names, n_views=4, steps=0).fit()
    with torch.no_grad():
        reference = model.encode_text(
            tokenizer([f"a photo of a {n}." for n in names]), normalize=True
        )
        expected = (
            (torch.nn.functional.normalize(model.encode_image(batch), dim=1) @ reference.T)
            .argmax(1)
            .numpy()
        )
    assert (tpt.predict(batch) == expected).all()
