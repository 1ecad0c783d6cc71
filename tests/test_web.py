"""The pocket web (zslkit.data.web): contexts render what their words say, captions say it."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage, stats

from zslkit.data import web, world

RED = ["red circle", "red square", "red star"]


def _plain(n=20, seed=5, classes=RED):
    return world.make_images(classes, n, "photo", seed)


def test_plain_context_is_the_world_renderer():
    images, labels = web.make_images(RED, 4, context="plain", seed=3)
    expected, expected_labels = world.make_images(RED, 4, "photo", 3)
    assert np.array_equal(images, expected) and np.array_equal(labels, expected_labels)


def test_black_and_white_is_pils_luminance_of_the_same_photo():
    plain, _ = _plain()
    grey, _ = web.make_images(RED, 20, context="black and white", seed=5)
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    pil = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in plain])
    assert np.abs(grey[..., 0].astype(int) - pil.astype(int)).max() <= 1


def test_dark_and_bright_scale_the_same_photo():
    plain, _ = _plain()
    dark, _ = web.make_images(RED, 20, context="dark", seed=5)
    bright, _ = web.make_images(RED, 20, context="bright", seed=5)
    p = plain.astype(float)
    assert np.abs(dark - np.rint(0.45 * p)).max() <= 1
    assert np.abs(bright - np.rint(p + 0.55 * (255 - p))).max() <= 1


def test_blurry_is_three_binomial_blurs():
    plain, _ = _plain(n=4)
    blurry, _ = web.make_images(RED, 4, context="blurry", seed=5)
    kernel = np.array([1, 4, 6, 4, 1]) / 16
    x = plain.astype(float)
    for _ in range(3):
        for axis in (1, 2):
            x = ndimage.convolve1d(x, kernel, axis=axis, mode="nearest")
    assert np.abs(blurry - np.rint(x)).max() <= 1


def test_low_resolution_is_constant_on_4x4_blocks_with_the_photos_block_means():
    plain, _ = _plain(n=4)
    low, _ = web.make_images(RED, 4, context="low resolution", seed=5)
    blocks = low.reshape(len(low), 8, 4, 8, 4, 3)
    assert (blocks == blocks[:, :, :1, :, :1]).all()
    means = plain.reshape(len(plain), 8, 4, 8, 4, 3).mean(axis=(2, 4))
    assert np.abs(blocks[:, :, 0, :, 0] - means).max() <= 0.5 + 1e-9


def _red_pixels(images):
    rgb = images.astype(int)
    return (rgb[..., 0] - rgb[..., 1] > 90) & (rgb[..., 0] - rgb[..., 2] > 90)


def test_close_up_enlarges_and_cropped_cuts_at_the_frame():
    plain, _ = _plain(n=30)
    close, _ = web.make_images(RED, 30, context="close-up", seed=5)
    cropped, _ = web.make_images(RED, 30, context="cropped", seed=5)
    ratio = _red_pixels(close).sum() / _red_pixels(plain).sum()
    assert 1.6 < ratio < 2.4  # radius x1.45: area about x2.1, less where the frame cuts it

    def touches_border(images):
        red = _red_pixels(images)
        edge = red[:, 0].any(1) | red[:, -1].any(1) | red[:, :, 0].any(1) | red[:, :, -1].any(1)
        return edge.mean()

    assert touches_border(cropped) > 0.9 and touches_border(plain) < 0.1


def test_many_shows_an_object_in_every_quadrant():
    many, _ = web.make_images(RED, 10, context="many", seed=2)
    red = _red_pixels(many)
    quadrants = [red[:, :16, :16], red[:, :16, 16:], red[:, 16:, :16], red[:, 16:, 16:]]
    assert all((q.sum(axis=(1, 2)) > 5).all() for q in quadrants)


def test_bad_domains_and_contexts_are_named():
    with pytest.raises(ValueError, match="photos only"):
        web.make_images(RED, 2, domain="sketch", context="dark")
    with pytest.raises(ValueError, match="'foggy'"):
        web.make_images(RED, 2, context="foggy")
    with pytest.raises(ValueError, match="'cartoon'"):
        web.pretraining_set(10, domain_mix={"cartoon": 1.0})


def test_captions_name_the_condition_as_often_as_stated():
    n = 3000
    objects = [{"colour": "red", "shape": "circle"}] * n
    lang = web._language()
    for context in ("black and white", "many"):
        texts = web.captions(objects, ["photo"] * n, [context] * n, seed=1, context_mention=0.7)
        # a condition's phrasings never occur in the neutral templates' text
        markers = {"black and white": ("black and white", "monochrome", "greyscale", "grayscale")}
        markers["many"] = ("many", "group of", "four", "lots of", "several")
        hits = sum(any(m in t for m in markers[context]) for t in texts)
        assert stats.binomtest(hits, n, 0.7).pvalue > 1e-3, (context, hits)
        assert len(lang["condition"][context]) >= 4
    always = web.captions(objects[:50], ["sketch"] * 50, ["plain"] * 50, context_mention=1.0)
    sketch_words = ("sketch", "drawing", "doodle", "drawn")
    assert all(any(w in t for w in sketch_words) for t in always)
    never = web.captions(objects[:50], ["sketch"] * 50, ["plain"] * 50, context_mention=0.0)
    assert not any(any(w in t for w in sketch_words) for t in never)


def test_many_captions_use_the_plural():
    objects = [{"colour": "blue", "shape": "cross"}] * 200
    texts = web.captions(objects, ["photo"] * 200, ["many"] * 200, seed=0, context_mention=1.0)
    plural = ("crosses", "pluses", "shapes")  # "shapes": the caption left the shape out
    assert all(any(p in t for p in plural) for t in texts)


def test_pretraining_never_shows_the_held_out_domain_and_keeps_the_mix():
    n = 4000
    images, texts, records = web.pretraining_set(n, seed=3, off_palette=0.4)
    assert images.shape == (n, 32, 32, 3) and len(texts) == n
    domains = np.array(records["domains"])
    assert "background" not in set(domains)
    for domain, share in web.DOMAIN_MIX.items():
        assert stats.binomtest(int((domains == domain).sum()), n, share).pvalue > 1e-3
    contexts = np.array(records["contexts"])
    assert set(contexts[domains != "photo"]) == {"plain"}
    off = records["labels"] == -1
    assert stats.binomtest(int(off.sum()), n, 0.4).pvalue > 1e-3
    assert not any("colour" in records["objects"][i] for i in np.flatnonzero(off))


def test_unseen_words_of_hand_worked_templates():
    found = web.unseen_words(
        ["a sculpture of a {}.", "a photo of a {}.", "a black and white photo of the {}.", "{}"]
    )
    assert found == {"a sculpture of a {}.": ["sculpture"]}
    assert {"many", "dark", "pixelated", "sketch", "circles"} <= web.vocabulary()


def test_plot_conditions_shows_each_class_in_every_condition():
    import matplotlib

    matplotlib.use("Agg")
    from zslkit.data.plots import plot_conditions

    fig, axes = plot_conditions(["red circle", "blue star"], seed=1)
    assert axes.shape == (2, len(web.DOMAINS) + len(web.CONTEXTS) - 1)
    titles = [ax.get_title() for ax in axes[0]]
    assert titles[:4] == list(web.DOMAINS) and titles[4:] == list(web.CONTEXTS[1:])
    dark, _ = web.make_images(["red circle", "blue star"], 1, context="dark", seed=1)
    shown = axes[1, titles.index("dark")].get_images()[0].get_array()
    assert np.array_equal(np.asarray(shown), dark[1])
