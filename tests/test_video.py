"""Tests of zslkit.domains.video against open_clip's own functions, closed forms and hand cases."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from open_clip.zero_shot_classifier import build_zero_shot_classifier
from PIL import Image

from zslkit.data import world
from zslkit.domains import video
from zslkit.lab import toyclip


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: a single thread is fastest, and much faster on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def shipped():
    return toyclip.load()


@pytest.fixture(scope="module")
def small_clips():
    return world.make_clips(3, seed=5, frames=4)


def test_opposite_actions_are_hand_pairs():
    assert video.opposite_action("moving left") == "moving right"
    assert video.opposite_action("moving up") == "moving down"
    assert video.opposite_action("rotating anticlockwise") == "rotating clockwise"
    assert video.opposite_action("shrinking") == "growing"
    with pytest.raises(ValueError, match="jumping"):
        video.opposite_action("jumping")


def test_frames_to_tensor_matches_open_clip_preprocess(shipped, small_clips):
    model, preprocess, _ = shipped
    frames = small_clips[0][:2].reshape(-1, 32, 32, 3)
    expected = torch.stack([preprocess(Image.fromarray(f)) for f in frames])
    torch.testing.assert_close(video.frames_to_tensor(frames, model), expected, atol=1e-5, rtol=0)


def test_frames_are_resized_to_the_model_input_like_pil():
    class Visual:
        preprocess_cfg = {"size": 96, "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)}

    class Model:
        visual = Visual()

    frames = world.make_clips(1, seed=2, frames=2, actions=["growing"])[0][0]
    x = video.frames_to_tensor(frames, Model())
    assert x.shape == (2, 3, 96, 96)
    pil = np.stack([np.asarray(Image.fromarray(f).resize((96, 96), Image.BICUBIC)) for f in frames])
    expected = (torch.from_numpy(pil).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25
    assert (
        x - expected
    ).abs().mean() < 0.05  # two bicubic kernels agree up to small ringing differences


def test_encode_clips_equals_encoding_every_frame(shipped, small_clips):
    model = shipped[0]
    clips = small_clips[0]
    clip_features = video.encode_clips(model, clips, batch_size=5)
    assert clip_features.shape == (len(clips), 4, 64)
    flat = toyclip.encode_images(model, clips.reshape(-1, 32, 32, 3))
    torch.testing.assert_close(clip_features.reshape(-1, 64), flat, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="shape"):
        video.encode_clips(model, clips[0])


def test_action_text_features_equal_open_clip_classifier(shipped):
    model, _, tokenizer = shipped
    names = ["moving left", "growing"]
    templates = ["a video of an object {}.", "a shape {}."]
    ours = video.action_text_features(model, tokenizer, names, templates)
    theirs = build_zero_shot_classifier(
        model, tokenizer, names, templates, num_classes_per_batch=1, device="cpu", use_tqdm=False
    ).T
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_center_and_pool_closed_forms():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(3, 5))
    c = t - t.mean(axis=0)
    np.testing.assert_allclose(
        video.center_text_features(torch.tensor(t)).numpy(),
        c / np.linalg.norm(c, axis=1, keepdims=True),
        atol=1e-6,
    )
    f = rng.normal(size=(2, 4, 5)).astype(np.float32)
    m = f.mean(axis=1)
    pooled = video.mean_pool(torch.from_numpy(f))
    np.testing.assert_allclose(
        pooled.numpy(), m / np.linalg.norm(m, axis=1, keepdims=True), atol=1e-6
    )
    torch.testing.assert_close(video.mean_pool(torch.from_numpy(f).flip(1)), pooled)


def test_direction_accuracy_hand_case():
    names = ["moving left", "moving right", "growing"]
    logits = np.array(
        [
            [2.0, 1.0, 9.0],  # left clip, left > right: win
            [2.0, 1.0, 0.0],  # right clip, right < left: loss
            [1.0, 1.0, 0.0],  # left clip, a tie: half
            [0.0, 0.0, 5.0],
        ]
    )  # growing: its opposite is not among the names, ignored
    assert video.direction_accuracy(logits, [0, 1, 0, 2], names) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="opposite"):
        video.direction_accuracy(logits[3:], [2], names)


def test_clip_objects_show_the_named_colour():
    n = 6
    clips, labels, names = world.make_clips(
        n, seed=3, frames=3, actions=["moving left", "moving right", "growing"]
    )
    objects = video.clip_objects(n, seed=3, frames=3, actions=names)
    assert len(objects) == len(clips)
    assert objects[:n] == objects[n : 2 * n]  # opposite actions show the same objects
    palette = {c: np.array(rgb, dtype=float) for c, rgb in world.COLOUR_RGB.items()}
    checked = 0
    for clip, name in zip(clips, objects):
        colour = name.split()[0]
        if colour == "white":
            continue
        pixels = clip.reshape(-1, 3).astype(float)
        saturated = pixels[
            pixels.max(axis=1) - pixels.min(axis=1) > 60
        ]  # the photo background is near grey
        direction = saturated.mean(axis=0) / np.linalg.norm(saturated.mean(axis=0))
        nearest = max(palette, key=lambda c: direction @ palette[c] / np.linalg.norm(palette[c]))
        assert nearest == colour, (name, nearest)
        checked += 1
    assert checked >= 10


def test_untrained_pooled_head_is_mean_pooling_and_parameter_count():
    d, hidden, kernel = 6, 3, 3
    f = torch.randn(4, 5, d)
    head = video.TemporalHead(d, hidden, kernel, temporal=True)
    torch.testing.assert_close(
        head(f), video.mean_pool(f)
    )  # identity map, zero temporal output at init
    expected = (d * d + d) + (d * hidden * kernel + hidden) + (hidden * d + d) + 1
    assert sum(p.numel() for p in head.parameters()) == expected
    assert (
        sum(p.numel() for p in video.TemporalHead(d, temporal=False).parameters()) == d * d + d + 1
    )


def _synthetic_direction_task(n=40, t=6, d=8, seed=0):
    """Clips whose features drift along +u (label 0) or -u (label 1): twins are each other's reverse."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, 1, d, generator=g)
    u = torch.randn(1, 1, d, generator=g)
    time = torch.linspace(-1, 1, t).view(1, t, 1)
    forward = F.normalize(base + time * u, dim=-1)
    clip_features = torch.cat([forward, forward.flip(1)])
    labels = np.repeat([0, 1], n)
    text_features = torch.randn(2, d, generator=g)
    return clip_features, labels, text_features


def test_temporal_head_learns_direction_that_pooling_cannot_see():
    x, y, text = _synthetic_direction_task()
    names = ["moving left", "moving right"]
    temporal = video.ClipTextHead(temporal=True, hidden=4, n_steps=200, lr=0.02).fit(x, y, text)
    pooled = video.ClipTextHead(temporal=False, n_steps=200, lr=0.02).fit(x, y, text)
    assert temporal.score(x, y) > 0.95
    assert temporal.loss_history_[-1] < temporal.loss_history_[0]
    assert video.direction_accuracy(pooled.decision_function(x), y, names) == pytest.approx(0.5)
    assert pooled.predict(x, text).shape == (len(y),)


def test_head_refuses_bad_input():
    x, y, text = _synthetic_direction_task(n=4)
    with pytest.raises(ValueError, match="rows of text_features"):
        video.ClipTextHead(n_steps=1).fit(x, y + 5, text)
    with pytest.raises(ValueError, match="shape"):
        video.ClipTextHead(n_steps=1).fit(x[:, :1], y, text)
    with pytest.raises(ValueError, match="hidden"):
        video.ClipTextHead(hidden=0).fit(x, y, text)


def test_clip_and_head_checks_refuse_bad_values():
    video.check_clips(20, 2, world.VARIANTS[0])
    video.check_head(1, 1, 0.01)
    for bad in [(19, 8, "photo"), (80, 1, "photo"), (80, 8, "no such variant")]:
        with pytest.raises(ValueError):
            video.check_clips(*bad)
    for bad in [(0, 150, 0.01), (16, 0, 0.01), (16, 150, 0.0)]:
        with pytest.raises(ValueError):
            video.check_head(*bad)


def test_score_logits_and_direction_by_pair_by_hand():
    names = ["moving left", "moving right", "growing", "shrinking"]
    labels = np.array([0, 1, 2, 3])
    logits = np.array(
        [
            [0.9, 0.1, 0.0, 0.0],  # right
            [0.8, 0.2, 0.0, 0.0],  # predicts its opposite: kind right, direction wrong
            [0.0, 0.0, 0.5, 0.5],  # tie with its opposite: direction half, top-1 its own (first)
            [0.0, 0.9, 0.0, 0.1],  # wrong kind; own action above its opposite
        ]
    )
    table = video.score_logits({"m": logits}, labels, names)
    kind = [world.ACTIONS.index(a) // 2 for a in names]
    pred = logits.argmax(1)
    expected_kind = np.mean([kind[p] == kind[y] for p, y in zip(pred, labels)])
    assert table == {"m": {"top1": 0.5, "direction": (1 + 0 + 0.5 + 1) / 4, "kind": expected_kind}}
    per_pair = video.direction_by_pair(
        {"m": logits}, labels, names, [("moving left", "moving right"), ("growing", "shrinking")]
    )
    assert [iv.estimate for iv in per_pair["m"]] == [0.5, 0.75]
    # two clips a pair: the bootstrap resamples (1, 0) -> 0, 0.5 or 1; (0.5, 1) -> 0.5 to 1
    assert [(iv.low, iv.high) for iv in per_pair["m"]] == [(0.0, 1.0), (0.5, 1.0)]


def test_motion_signal_equals_loops_and_scipy_intervals():
    from scipy import stats

    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, size=(6, 3, 4, 4, 3), dtype=np.uint8)
    features = torch.tensor(rng.normal(size=(6, 3, 2)), dtype=torch.float32)
    labels = np.array([0, 0, 0, 1, 1, 1])
    twin = np.array([3, 4, 5, 0, 1, 2])
    out = video.motion_signal(clips, features, labels, ["growing", "shrinking"], twin)
    x, f = clips.astype(float), features.numpy().astype(float)
    by_hand = {
        "pixel_step": [
            np.mean([np.abs(x[i, t + 1] - x[i, t]).mean() for t in range(2)]) for i in range(6)
        ],
        "pixel_span": [np.abs(x[i, 2] - x[i, 0]).mean() for i in range(6)],
        "feature_step": [
            np.mean([np.linalg.norm(f[i, t + 1] - f[i, t]) for t in range(2)]) for i in range(6)
        ],
        "pixel_floor": [
            np.mean([np.abs(x[i, t] - x[twin[i], 2 - t]).mean() for t in range(3)])
            for i in range(6)
        ],
        "feature_floor": [
            np.mean([np.linalg.norm(f[i, t] - f[twin[i], 2 - t]) for t in range(3)])
            for i in range(6)
        ],
    }
    for measure, values in by_hand.items():
        for action, members in [("growing", slice(0, 3)), ("shrinking", slice(3, 6))]:
            v = np.array(values[members])
            low, high = stats.t.interval(0.95, 2, loc=v.mean(), scale=stats.sem(v))
            got = out[action][measure]
            assert got.estimate == pytest.approx(v.mean(), rel=1e-5)
            assert (got.low, got.high) == (
                pytest.approx(low, rel=1e-5),
                pytest.approx(high, rel=1e-5),
            )
    assert (
        "pixel_floor"
        not in video.motion_signal(clips, features, labels, ["growing", "shrinking"])["growing"]
    )


def test_direction_wins_per_clip():
    names = ["moving left", "moving right", "growing"]
    logits = np.array([[2.0, 1.0, 9.0], [2.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 5.0]])
    wins = video.direction_wins(logits, [0, 1, 0, 2], names)
    np.testing.assert_array_equal(wins[:3], [1.0, 0.0, 0.5])
    assert np.isnan(wins[3])


def test_mirroring_test_against_scipy_binomtest():
    from scipy.stats import binomtest

    out = video.mirroring_test([[2, 14], [10, 6]])  # 8 of 32 right: mirrored
    assert (out["n"], out["right"], out["mirrored"]) == (32, 8, 24)
    assert out["accuracy"] == 0.25
    assert out["pvalue"] == pytest.approx(binomtest(8, 32, 0.5).pvalue)
    # two-sided: 8 right of 32 is as unlikely as 24 right; by hand, 2 * P(X <= 8)
    from math import comb

    assert out["pvalue"] == pytest.approx(2 * sum(comb(32, k) for k in range(9)) / 2**32)
    assert out["ci_low"] < 0.25 < out["ci_high"] < 0.5
    with pytest.raises(ValueError, match="2, 2"):
        video.mirroring_test([[1, 2, 3]])


def test_fit_heads_and_held_out_pairs_equal_fitting_by_hand():
    rng = np.random.default_rng(1)
    features = torch.tensor(rng.normal(size=(16, 3, 4)), dtype=torch.float32)
    labels = np.repeat(np.arange(4), 4)
    text = torch.tensor(rng.normal(size=(4, 4)), dtype=torch.float32)
    names = ["moving left", "moving right", "growing", "shrinking"]
    kw = dict(hidden=2, n_steps=3, lr=0.01, seed=0)
    heads, seconds = video.fit_heads(features, labels, text, **kw)
    assert list(heads) == list(seconds) == ["pooled head", "temporal head"]
    for name, temporal in [("pooled head", False), ("temporal head", True)]:
        by_hand = video.ClipTextHead(temporal=temporal, **kw).fit(features, labels, text)
        np.testing.assert_allclose(
            heads[name].decision_function(features), by_hand.decision_function(features)
        )
    pairs = [("moving left", "moving right"), ("growing", "shrinking")]
    held_out = video.held_out_pairs(features, labels, features, labels, text, pairs, names, **kw)
    seen = labels >= 2  # without the first pair: train on growing / shrinking, relabelled 0, 1
    head = video.ClipTextHead(temporal=True, **kw).fit(features[seen], labels[seen] - 2, text[2:])
    test = labels < 2
    predicted = head.predict(features[test], text[:2])
    assert held_out["moving left / moving right"] == pytest.approx(
        np.mean(predicted == labels[test])
    )
    assert list(held_out) == ["moving left / moving right", "growing / shrinking"]
    confusions = video.held_out_confusions(
        features, labels, features, labels, text, pairs, names, **kw
    )
    confusion = confusions["moving left / moving right"]
    for true in (0, 1):
        for guess in (0, 1):
            assert confusion[true, guess] == np.sum((labels[test] == true) & (predicted == guess))


def test_held_out_seeds_equal_one_head_per_seed_by_hand():
    rng = np.random.default_rng(3)
    features = torch.tensor(rng.normal(size=(24, 3, 4)), dtype=torch.float32)
    labels = np.repeat(np.arange(6), 4)
    text = F.normalize(torch.tensor(rng.normal(size=(6, 4)), dtype=torch.float32), dim=-1)
    names = ["moving left", "moving right", "moving up", "moving down", "growing", "shrinking"]
    kw = dict(hidden=2, n_steps=3, lr=0.01, seed=99)  # the seed is replaced by each of seeds
    pair = ("moving left", "moving right")
    out = video.held_out_seeds(features, labels, features, labels, text, pair, names, [0, 4], **kw)
    assert out["seen_actions"] == names[2:]
    seen, test = labels >= 2, labels < 2
    for row, seed in enumerate([0, 4]):
        head = video.ClipTextHead(temporal=True, hidden=2, n_steps=3, lr=0.01, seed=seed)
        head.fit(features[seen], labels[seen] - 2, text[2:])
        guess = head.predict(features[test], text[:2])
        assert out["accuracy"][row] == pytest.approx(np.mean(guess == labels[test]))
        for true in (0, 1):
            for g in (0, 1):
                expected = np.sum((labels[test] == true) & (guess == g))
                assert out["confusions"][row, true, g] == expected
            named = head.predict(features[test][labels[test] == true], text[2:])
            np.testing.assert_array_equal(
                out["named_as"][row, true], np.bincount(named, minlength=4)
            )
        e = head.embed(features[test])
        gap = (e[labels[test] == 0].mean(0) - e[labels[test] == 1].mean(0)).numpy()
        w = (text[0] - text[1]).numpy()
        cosine = gap @ w / np.linalg.norm(gap) / np.linalg.norm(w)
        assert out["embedding_cosine"][row] == pytest.approx(cosine, abs=1e-6)
    with pytest.raises(ValueError, match="moving left"):
        video.held_out_seeds(
            features, labels, features, labels, text, ("left", "right"), names, [0]
        )


def test_direction_alignment_hand_case():
    names = ["moving left", "moving right", "moving up", "moving down"]
    text = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 3.0, 0], [2.0, 0, 0]])  # normalised inside
    # left - right = (1, -1, 0); up - down = (-1, 1, 0): opposite
    pairs = (("moving up", "moving down"), ("moving left", "moving right"))
    assert video.direction_alignment(text, names, *pairs) == pytest.approx(-1.0)
    assert video.direction_alignment(text, names, pairs[1], pairs[1]) == pytest.approx(1.0)
    # up (0, 3, 0) normalised is right: left - up = left - right (unnormalised: cosine 0.894)
    left_up = ("moving left", "moving up")
    assert video.direction_alignment(text, names, left_up, pairs[1]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="moving up"):
        video.direction_alignment(text, names, ("moving left", "sideways"), pairs[1])
