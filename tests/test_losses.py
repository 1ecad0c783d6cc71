"""Tests of the contrastive losses against open_clip and formulas written out with loops in numpy."""

import math

import numpy as np
import open_clip
import pytest
import torch

from zslkit.lab import losses, toyclip


def batch(n=6, d=5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(n, d, generator=g, dtype=dtype), dim=1)
    y = torch.nn.functional.normalize(x + 0.7 * torch.randn(n, d, generator=g, dtype=dtype), dim=1)
    return x, y


def loob_by_loops(a, c, scale):
    """1/B sum_i [log sum_{j != i} exp(scale a_i.c_j) - scale a_i.c_i], with numpy loops."""
    a, c = np.asarray(a), np.asarray(c)
    total = 0.0
    for i in range(len(a)):
        negatives = sum(math.exp(scale * a[i] @ c[j]) for j in range(len(a)) if j != i)
        total += math.log(negatives) - scale * a[i] @ c[i]
    return total / len(a)


def retrieve_by_loops(state, memory, beta):
    out = []
    for xi in np.asarray(state):
        energies = np.array([beta * xi @ m for m in np.asarray(memory)])
        p = np.exp(energies - energies.max())
        p /= p.sum()
        v = sum(pk * m for pk, m in zip(p, np.asarray(memory)))
        out.append(v / np.linalg.norm(v))
    return np.array(out)


def test_clip_loss_equals_open_clip():
    x, y = batch(8, 6, dtype=torch.float32)
    scale = torch.tensor(14.3)
    expected = open_clip.ClipLoss()(x, y, scale)
    torch.testing.assert_close(losses.clip_loss(x, y, scale), expected)


def test_infoloob_leaves_the_positive_out():
    x, y = batch()
    expected = (loob_by_loops(x, y, 30.0) + loob_by_loops(y, x, 30.0)) / 2
    assert losses.infoloob_loss(x, y, torch.tensor(5.0)).item() == pytest.approx(
        expected, rel=1e-10
    )
    # inv_tau=None uses the model's logit scale
    expected = (loob_by_loops(x, y, 5.0) + loob_by_loops(y, x, 5.0)) / 2
    assert losses.infoloob_loss(x, y, torch.tensor(5.0), inv_tau=None).item() == pytest.approx(
        expected, rel=1e-10
    )


def test_hopfield_retrieval_by_hand():
    x, y = batch(5, 4, seed=1)
    expected = retrieve_by_loops(y, x, 8.0)
    np.testing.assert_allclose(
        losses.hopfield_retrieval(y, x, beta=8.0).numpy(), expected, rtol=1e-10
    )
    # a very large beta retrieves the nearest stored pattern itself
    nearest = x[(y @ x.T).argmax(1)]
    torch.testing.assert_close(losses.hopfield_retrieval(y, x, beta=1e4), nearest)


def test_cloob_loss_by_hand():
    x, y = batch(7, 5, seed=2)
    beta, inv_tau = 8.0, 30.0
    u_x, u_y = retrieve_by_loops(x, x, beta), retrieve_by_loops(y, x, beta)
    v_x, v_y = retrieve_by_loops(x, y, beta), retrieve_by_loops(y, y, beta)
    expected = (loob_by_loops(u_x, u_y, inv_tau) + loob_by_loops(v_y, v_x, inv_tau)) / 2
    assert losses.cloob_loss(x, y, torch.tensor(1.0)).item() == pytest.approx(expected, rel=1e-9)


def test_cwcl_by_hand_and_identity_weights_give_clip():
    x, y = batch(6, 5, seed=3)
    scale = torch.tensor(10.0)
    torch.testing.assert_close(
        losses.cwcl_loss(x, y, scale, weights=torch.eye(6, dtype=x.dtype)),
        losses.clip_loss(x, y, scale),
    )
    w = np.random.default_rng(0).uniform(0.1, 1.0, size=(6, 6))
    np.fill_diagonal(w, 1.0)
    s = 10.0 * x.numpy() @ y.numpy().T
    total = 0.0
    for i in range(6):
        log_p_row = s[i] - np.log(np.exp(s[i]).sum())  # image i over captions
        log_p_col = s[:, i] - np.log(np.exp(s[:, i]).sum())  # caption i over images
        total += sum(w[i, j] * log_p_row[j] for j in range(6)) / w[i].sum()
        total += sum(w[j, i] * log_p_col[j] for j in range(6)) / w[:, i].sum()
    expected = -total / (2 * 6)
    assert losses.cwcl_loss(x, y, scale, weights=torch.tensor(w)).item() == pytest.approx(
        expected, rel=1e-10
    )


def test_caption_weights_count_shared_concepts():
    w = losses.caption_weights(
        [
            "a red star.",
            "this is a red star.",
            "a photo of a red circle.",
            "the blue shape.",
            "a small red striped star.",
        ]
    )
    assert w[0, 1] == pytest.approx(1.0)
    assert w[0, 2] == pytest.approx(0.5)  # {red, star} vs {red, circle}
    assert w[0, 3] == pytest.approx(0.0)
    assert w[0, 4] == pytest.approx(2 / math.sqrt(2 * 4))
    torch.testing.assert_close(w, w.T)
    with pytest.raises(ValueError, match="name no word"):
        losses.caption_weights(["a photo."])


def test_text_weights_map_cosine_to_unit_interval():
    x, _ = batch(4, 3)
    w = losses.text_weights(x.requires_grad_())
    assert not w.requires_grad
    torch.testing.assert_close(w, (x.detach() @ x.detach().T + 1) / 2)
    torch.testing.assert_close(w.diagonal(), torch.ones(4, dtype=x.dtype))


def test_alignment_and_uniformity_on_hand_cases():
    e = torch.eye(2)
    assert losses.alignment(e, e).item() == 0.0
    # antipodal pairs: ||x - y||^2 = 4
    assert losses.alignment(e, -e).item() == pytest.approx(4.0)
    assert losses.alignment(e, -e, alpha=1).item() == pytest.approx(2.0)
    # two antipodal points: one pair at squared distance 4 -> log exp(-8) = -8
    assert losses.uniformity(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])).item() == pytest.approx(-8.0)
    # identical points: 0; the 4 points of a square: 4 pairs at 2, 2 pairs at 4
    assert losses.uniformity(torch.ones(3, 2) / math.sqrt(2)).item() == pytest.approx(0.0, abs=1e-6)
    square = torch.tensor([[1.0, 0], [0, 1], [-1, 0], [0, -1]])
    expected = math.log((4 * math.exp(-4) + 2 * math.exp(-8)) / 6)
    assert losses.uniformity(square).item() == pytest.approx(expected, rel=1e-6)


def test_bad_input_and_registry():
    x, y = batch(4, 3)
    with pytest.raises(ValueError, match="same shape"):
        losses.clip_loss(x, y[:3], 1.0)
    with pytest.raises(ValueError, match="positive diagonal"):
        losses.cwcl_loss(x, y, 1.0, weights=torch.zeros(4, 4))
    with pytest.raises(ValueError, match="'hinge'"):
        losses.get_loss("hinge")
    bound = losses.get_loss("cloob", beta=1e4)
    assert bound(x, y, 1.0).item() == pytest.approx(losses.cloob_loss(x, y, 1.0, beta=1e4).item())
    assert set(losses.LOSSES) == {"clip", "infoloob", "cloob", "cwcl"}


@pytest.fixture
def one_thread():
    """Two threads on a busy 2-core machine spin-wait: train with one, then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_pretrain_passes_captions_to_losses_that_ask(one_thread):
    seen = []

    def loss(image_features, text_features, logit_scale, *, captions):
        # the captions belong to the rows: equal captions, and only they, have equal text features
        same_caption = np.equal.outer(np.array(captions), np.array(captions))
        same_feature = torch.cdist(text_features, text_features).detach().numpy() < 1e-5
        seen.append((list(captions), same_caption.sum() - len(captions)))
        assert (same_caption == same_feature).all()
        return losses.cwcl_loss(image_features, text_features, logit_scale, captions=captions)

    toyclip.pretrain(
        n_steps=4, batch_size=16, seed=1, loss=loss, pool_size=32, warmup_steps=1, log_every=4
    )
    assert len(seen) == 4 and all(len(c) == 16 and isinstance(c[0], str) for c, _ in seen)
    assert sum(duplicates for _, duplicates in seen) > 0  # the check above met repeated captions
    _, history = toyclip.pretrain(
        n_steps=2, batch_size=8, seed=1, loss="cloob", pool_size=16, warmup_steps=1
    )
    assert np.isfinite(history[-1]["loss"])


def test_clip_loss_with_a_fixed_temperature_ignores_the_learned_one():
    x, y = batch(dtype=torch.float32)
    expected = open_clip.ClipLoss()(x, y, torch.tensor(30.0))
    got = losses.clip_loss(x, y, torch.tensor(14.3), inv_tau=30.0)
    torch.testing.assert_close(got, expected)


def test_hopfield_entropy_by_hand():
    x, y = batch(n=5, d=4)
    assert losses.hopfield_entropy(x, y, beta=0.0).item() == pytest.approx(math.log(5))
    beta, total = 8.0, 0.0
    for xi in x.numpy():
        e = beta * y.numpy() @ xi
        p = np.exp(e - e.max())
        p /= p.sum()
        total += -(p * np.log(p)).sum()
    assert losses.hopfield_entropy(x, y, beta).item() == pytest.approx(total / 5)


def test_caption_weights_read_pocket_web_captions_with_care():
    w = losses.caption_weights(
        [
            "a crimson disc.",
            "a red circle.",
            "four solid crosses.",
            "a solid plus.",
            "a black and white photo of a star.",
            "a doodle of a star that is ivory.",
        ]
    ).numpy()
    assert w[0, 1] == pytest.approx(1.0)  # synonyms: crimson is red, disc a circle
    assert w[2, 3] == pytest.approx(1.0)  # plural, synonym
    assert w[4, 5] == pytest.approx(1 / math.sqrt(2))  # "white" of the template is no colour
    assert w[0, 4] == pytest.approx(0.0)


class _StubTeacher(torch.nn.Module):
    """encode_text = a fixed embedding of the first token id."""

    def __init__(self):
        super().__init__()
        self.table = torch.nn.Parameter(
            torch.randn(50, 3, generator=torch.Generator().manual_seed(1))
        )

    def encode_text(self, tokens, normalize=True):
        return torch.nn.functional.normalize(self.table[tokens[:, 0] % 50], dim=-1)


def test_teacher_cwcl_equals_cwcl_with_the_teachers_cosines():
    teacher = _StubTeacher()

    def tokenizer(texts):
        return torch.tensor([[len(t)] for t in texts])

    captions = ["a", "bb", "a", "cccc"]
    loss = losses.TeacherCWCL(teacher, tokenizer)
    t = torch.nn.functional.normalize(teacher.table[torch.tensor([1, 2, 1, 4])], dim=1).detach()
    expected_w = (t @ t.T + 1) / 2
    torch.testing.assert_close(loss.weights(captions), expected_w)
    assert expected_w[0, 2] == pytest.approx(1.0)  # the same caption weighs 1
    x, y = batch(n=4, d=3, dtype=torch.float32)
    expected = losses.cwcl_loss(x, y, torch.tensor(10.0), weights=expected_w)
    torch.testing.assert_close(loss(x, y, torch.tensor(10.0), captions=captions), expected)
    assert toyclip._takes_captions(loss)


def test_warm_start_switches_after_n_calls():
    x, y = batch(dtype=torch.float32)
    scale = torch.tensor(20.0)
    then = losses.get_loss("cloob", inv_tau=30.0, beta=8.0)
    loss = losses.WarmStart(losses.clip_loss, then, 2)
    got = [loss(x, y, scale) for _ in range(3)]
    torch.testing.assert_close(got[0], losses.clip_loss(x, y, scale))
    torch.testing.assert_close(got[1], losses.clip_loss(x, y, scale))
    torch.testing.assert_close(got[2], then(x, y, scale))
    with pytest.raises(ValueError, match="n_first"):
        losses.WarmStart(losses.clip_loss, then, -1)
