"""CoOp and PRE: the learned-prompt text path against open_clip's own encode_text."""

import copy

import numpy as np
import open_clip
import pytest
import torch

from zslkit.adapt.prompt_learning import (
    PRE,
    CoOp,
    PromptContext,
    ReparameterisationEncoder,
    build_prompts,
    context_from_words,
    cosine_lr,
    encode_prompts,
    nearest_words,
)
from zslkit.data import world
from zslkit.lab.toyclip import load

torch.set_num_threads(1)
NAMES = ["red star", "blue circle", "green heart", "yellow ring", "purple cross"]


@pytest.fixture(scope="module")
def toyclip():
    model, _, tokenizer = load()
    return model, tokenizer


@pytest.mark.parametrize("truncate", [False, True])
def test_photo_of_a_context_reproduces_encode_text(toyclip, truncate):
    model, tokenizer = toyclip
    names = world.class_names()
    template = build_prompts(model, tokenizer, names, n_ctx=4, truncate=truncate)
    context = context_from_words(model, tokenizer, "a photo of a")
    with torch.no_grad():
        ours = encode_prompts(model, template.embed(context), template.tokens)
        reference = model.encode_text(tokenizer([f"a photo of a {name}." for name in names]))
    if truncate:  # cut after the last EOT: same up to float rounding, thanks to the causal mask
        assert template.tokens.shape[1] < model.context_length
        torch.testing.assert_close(ours, reference, rtol=0, atol=1e-5)
    else:
        assert torch.equal(ours, reference)


def test_learned_prompt_path_on_a_77_token_open_clip_model():
    model = open_clip.create_model("ViT-S-32", pretrained=None).eval()
    tokenizer = open_clip.get_tokenizer("ViT-S-32")
    template = build_prompts(model, tokenizer, NAMES[:2], n_ctx=4, truncate=False)
    context = context_from_words(model, tokenizer, "a photo of a")
    with torch.no_grad():
        ours = encode_prompts(model, template.embed(context), template.tokens, normalize=True)
        reference = model.encode_text(
            tokenizer([f"a photo of a {n}." for n in NAMES[:2]]), normalize=True
        )
    torch.testing.assert_close(ours, reference, rtol=0, atol=1e-6)


def test_coop_initialised_from_words_starts_at_the_zero_shot_prompt(toyclip):
    model, tokenizer = toyclip
    coop = CoOp(model, tokenizer, ctx_init="a photo of a", epochs=0).fit(
        torch.zeros(1, 64), [0], NAMES
    )
    with torch.no_grad():
        reference = model.encode_text(
            tokenizer([f"a photo of a {n}." for n in NAMES]), normalize=True
        ).T
    torch.testing.assert_close(coop.weights_, reference, rtol=0, atol=1e-5)
    assert coop.n_ctx_ == 4


def _toy_task(model, seed=0, n_per_class=16):
    """ToyCLIP image features of noisy pocket images of the five classes of NAMES."""
    from zslkit.lab.toyclip import encode_images

    images, labels = world.make_images(NAMES, n_per_class, variant="noisy", seed=seed)
    return encode_images(model, images), labels


def test_coop_reduces_training_loss_in_a_few_steps(toyclip):
    model, tokenizer = toyclip
    features, labels = _toy_task(model)

    def loss_of(weights):  # independent: cross-entropy of the logits with sklearn's log-loss
        from sklearn.metrics import log_loss

        logits = float(model.logit_scale.detach().exp()) * features @ weights
        return log_loss(labels, torch.softmax(logits, 1).detach().numpy(), labels=range(len(NAMES)))

    coop = CoOp(
        model, tokenizer, n_ctx=4, epochs=3, batch_size=16, lr=0.02, warmup_epochs=0, seed=0
    )
    before = loss_of(
        CoOp(model, tokenizer, n_ctx=4, epochs=0, seed=0).fit(features, labels, NAMES).weights_
    )
    coop.fit(features, labels, NAMES)
    assert loss_of(coop.weights_) < before - 0.05
    assert coop.history_[-1]["loss"] < coop.history_[0]["loss"]
    assert coop.predict(features).shape == labels.shape
    assert 0.0 <= coop.score(features, labels) <= 1.0
    np.testing.assert_allclose(coop.predict_proba(features).sum(1), 1.0, rtol=1e-5)
    # the frozen model is left as it was
    assert all(p.grad is None for p in model.parameters())
    assert all(p.requires_grad for p in model.parameters())


def test_same_seed_same_context(toyclip):
    model, tokenizer = toyclip
    features, labels = _toy_task(model)
    a = PRE(model, tokenizer, n_ctx=4, epochs=2, batch_size=16, seed=3).fit(features, labels, NAMES)
    b = PRE(model, tokenizer, n_ctx=4, epochs=2, batch_size=16, seed=3).fit(features, labels, NAMES)
    assert torch.equal(a.context(), b.context())


def test_new_classes_get_their_own_classifier(toyclip):
    model, tokenizer = toyclip
    features, labels = _toy_task(model)
    coop = CoOp(model, tokenizer, n_ctx=4, epochs=1, batch_size=16).fit(features, labels, NAMES)
    new = ["orange square", "white triangle"]
    other = coop.with_classes(new)
    assert other.weights_.shape == (64, 2) and coop.weights_.shape == (64, len(NAMES))
    torch.testing.assert_close(other.weights_.norm(dim=0), torch.ones(2))
    # the same context with the new names, through open_clip's text path
    template = build_prompts(model, tokenizer, new, coop.n_ctx_, truncate=False)
    with torch.no_grad():
        expected = encode_prompts(
            model, template.embed(coop.context()), template.tokens, normalize=True
        ).T
    torch.testing.assert_close(other.weights_, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "mlp"])
def test_pre_encoder_output_shape(kind):
    encoder = ReparameterisationEncoder(64, kind, bottleneck=8)
    assert encoder(torch.randn(4, 64)).shape == (4, 64)
    assert encoder(torch.randn(5, 4, 64)).shape == (5, 4, 64)
    with pytest.raises(ValueError, match="encoder"):
        ReparameterisationEncoder(64, "gru")


def test_pre_is_a_residual_around_its_encoder():
    encoder = ReparameterisationEncoder(6, "mlp", bottleneck=3)
    torch.nn.init.zeros_(encoder.net[2].weight)
    torch.nn.init.zeros_(encoder.net[2].bias)
    x = torch.randn(4, 6)
    assert torch.equal(encoder(x), x)  # h = 0 leaves the context unchanged


def test_class_specific_context_shapes(toyclip):
    model, tokenizer = toyclip
    features, labels = _toy_task(model, n_per_class=4)
    for cls in (CoOp, PRE):
        est = cls(model, tokenizer, n_ctx=3, class_specific=True, epochs=1, batch_size=8).fit(
            features, labels, NAMES
        )
        assert est.prompt_.vectors.shape == (len(NAMES), 3, 64)
        assert est.context().shape == (len(NAMES), 3, 64)
        assert est.weights_.shape == (64, len(NAMES))
        with pytest.raises(ValueError, match="class-specific"):
            est.with_classes(["orange square"])
    shared = PromptContext(torch.zeros(3, 64))
    template = build_prompts(model, tokenizer, NAMES, 3)
    assert template.embed(shared()).shape == (len(NAMES), template.tokens.shape[1], 64)


def test_bad_input_is_rejected(toyclip):
    model, tokenizer = toyclip
    with pytest.raises(ValueError, match="context length"):
        build_prompts(model, tokenizer, ["red star"], n_ctx=14)
    with pytest.raises(ValueError, match="n_ctx"):
        CoOp(model, tokenizer, n_ctx=3, ctx_init="a photo of a").fit(torch.zeros(1, 64), [0], NAMES)
    with pytest.raises(ValueError, match="epochs"):
        CoOp(model, tokenizer, epochs=-1).fit(torch.zeros(1, 64), [0], NAMES)
    with pytest.raises(ValueError, match="labels"):
        CoOp(model, tokenizer, n_ctx=2, epochs=0).fit(torch.zeros(1, 64), [7], NAMES)
    with pytest.raises(ValueError, match="not fitted"):
        CoOp(model, tokenizer).predict(torch.zeros(1, 64))


def test_cosine_schedule_closed_form():
    assert cosine_lr(0, 10, 0.002) == 1e-5
    assert cosine_lr(5, 10, 0.002) == pytest.approx(0.001)
    assert cosine_lr(3, 10, 0.002, warmup_epochs=0) == pytest.approx(
        0.001 * (1 + np.cos(0.3 * np.pi))
    )


def test_nearest_words_of_unchanged_context(toyclip):
    model, tokenizer = toyclip
    context = context_from_words(model, tokenizer, "a photo of a")
    assert [w[0] for w in nearest_words(model, tokenizer, context)] == ["a", "photo", "of", "a"]


@pytest.mark.parametrize("kind", ["lstm", "mlp"])
def test_a_centred_encoder_starts_at_its_context_with_the_same_gradients(kind):
    torch.manual_seed(0)
    plain = ReparameterisationEncoder(8, kind, bottleneck=4)
    centred = copy.deepcopy(plain)
    c0 = torch.randn(4, 8)
    centred.centre(c0)
    torch.testing.assert_close(centred(c0), c0, rtol=0, atol=1e-6)
    assert not torch.allclose(plain(c0), c0)  # the authors' form starts elsewhere
    # a constant shift: every parameter gets the gradient of the plain encoder
    x = torch.randn(4, 8)
    weights = torch.randn(4, 8)
    for enc in (plain, centred):
        enc.zero_grad()
        (enc(x) * weights).sum().backward()
    for p, q in zip(plain.parameters(), centred.parameters()):
        torch.testing.assert_close(p.grad, q.grad)
    assert [n for n, _ in centred.named_parameters()] == [n for n, _ in plain.named_parameters()]


def test_centred_pre_starts_at_the_zero_shot_prompt(toyclip):
    model, tokenizer = toyclip
    words = context_from_words(model, tokenizer, "a photo of a")
    pre = PRE(model, tokenizer, ctx_init="a photo of a", centred=True, encoder="lstm")
    prompt = PromptContext(words, pre._encoder(words.shape[1]))
    pre._start(prompt)
    with torch.no_grad():
        torch.testing.assert_close(prompt(), words, rtol=0, atol=1e-6)
