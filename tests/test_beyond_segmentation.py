"""Pocket scenes with exact masks, the MaskCLIP readout and mIoU (chapter 51).

Checked against independent computations: the world's own renderer (object
coverage recovered by rendering one scene on two backgrounds), hand-built
shapes, a hand-worked IoU case, scikit-learn's confusion matrix, and
open_clip's own modules run with an attention mask that lets each token see
only itself (MaskCLIP's value path) or lets the class token see one patch.
"""

import numpy as np
import open_clip
import pytest
import torch
from sklearn.metrics import confusion_matrix

from zslkit.beyond import segmentation as seg
from zslkit.data import scenes, world
from zslkit.models import toyclip

torch.manual_seed(0)


# ---------------------------------------------------------------- scenes
def test_object_masks_match_hand_built_circle_and_square():
    size = 32
    scene = {
        "shape": np.array([0, 1]),  # circle, square
        "cx": np.array([16.0, 15.3], dtype=np.float32),
        "cy": np.array([16.0, 17.1], dtype=np.float32),
        "radius": np.array([8.0, 9.0], dtype=np.float32),
        "angle": np.zeros(2, dtype=np.float32),
    }
    masks = scenes.object_masks(scene, size)
    sub = (np.arange(2 * size) + 0.5) / 2  # the 2x2 supersamples, in pixels
    x, y = np.meshgrid(sub, sub)
    circle = (x - 16) ** 2 + (y - 16) ** 2 <= 64
    square = np.maximum(np.abs(x - 15.3), np.abs(y - 17.1)) <= 0.8 * 9
    for mask, inside in zip(masks, (circle, square)):
        frac = inside.reshape(size, 2, size, 2).mean(axis=(1, 3))
        np.testing.assert_array_equal(mask, frac >= 0.5)


def test_mosaic_masks_agree_with_rendered_coverage():
    # Render the same objects on two flat backgrounds: the difference is
    # (1 - coverage) * (difference of backgrounds), an estimate of coverage
    # from the world's renderer alone.
    names = world.class_names()[:8]
    rng = np.random.default_rng(3)
    index = world._attribute_indices(world._check_classes(names, "colour_shape"), np.arange(8), rng)
    scene = world._place(index, rng, 32)
    imgs = [
        world._render(
            scene, "photo", np.random.default_rng(5), 32, np.full((8, 32, 32, 3), b, np.float32)
        )
        for b in (0.0, 100.0)
    ]
    coverage = 1 - (imgs[1].astype(float) - imgs[0].astype(float)).mean(-1) / 100
    masks = scenes.object_masks(scene, 32)
    clear = np.abs(coverage - 0.5) > 0.1
    assert (masks[clear] == (coverage[clear] >= 0.5)).mean() > 0.995


def test_make_mosaics_layout_labels_and_balance():
    names = world.class_names()[:10]
    images, masks, tiles = scenes.make_mosaics(names, 15, seed=1)
    assert images.shape == (15, 64, 64, 3) and images.dtype == np.uint8
    assert masks.shape == (15, 64, 64) and tiles.shape == (15, 4)
    assert all(len(set(t)) == 4 for t in tiles)  # distinct classes per scene
    counts = np.bincount(tiles.ravel(), minlength=10)
    assert counts.max() - counts.min() <= 1
    for r in range(2):
        for c in range(2):
            block = masks[:, 32 * r : 32 * r + 32, 32 * c : 32 * c + 32]
            for s in range(15):
                assert set(np.unique(block[s])) == {0, tiles[s, 2 * r + c] + 1}
    again = scenes.make_mosaics(names, 15, seed=1)
    np.testing.assert_array_equal(again[0], images)


def test_make_mosaics_rejects_bad_input():
    with pytest.raises(ValueError, match="variant"):
        scenes.make_mosaics(world.class_names()[:4], 2, variant="sketch")
    with pytest.raises(ValueError, match="distinct classes"):
        scenes.make_mosaics(world.class_names()[:3], 2)


# ---------------------------------------------------------------- IoU
def test_iou_hand_worked_case():
    truth = np.array([[[0, 1], [1, 2]]])
    pred = np.array([[[0, 1], [2, 2]]])
    counts = seg.iou_counts(pred, truth, 3)
    np.testing.assert_array_equal(counts["inter"], [[1, 1, 1]])
    np.testing.assert_allclose(seg.per_class_iou(counts, [0, 1, 2]), [1.0, 0.5, 0.5])
    assert seg.miou(counts, [1, 2]) == pytest.approx(0.5)
    assert seg.miou(counts, [0, 1, 2]) == pytest.approx(2 / 3)


def test_iou_matches_sklearn_confusion_matrix():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 6, size=(7, 9, 9))
    pred = np.where(rng.random(truth.shape) < 0.6, truth, rng.integers(0, 6, size=truth.shape))
    cm = confusion_matrix(truth.ravel(), pred.ravel(), labels=range(6))
    expected = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    counts = seg.iou_counts(pred, truth, 6)
    np.testing.assert_allclose(seg.per_class_iou(counts, range(6)), expected)
    assert seg.miou(counts, [1, 3, 5]) == pytest.approx(expected[[1, 3, 5]].mean())


def test_bootstrap_miou_interval():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 4, size=(40, 6, 6))
    pred = np.where(rng.random(truth.shape) < 0.7, truth, 0)
    a, b = seg.iou_counts(pred, truth, 4), seg.iou_counts(truth, truth, 4)
    ci = seg.bootstrap_miou(a, [1, 2, 3], n_resamples=500)
    assert ci.estimate == pytest.approx(seg.miou(a, [1, 2, 3]))
    assert ci.low < ci.estimate < ci.high
    same = seg.bootstrap_miou(a, [1, 2, 3], a, n_resamples=500)
    assert (same.estimate, same.low, same.high) == (0.0, 0.0, 0.0)
    diff = seg.bootstrap_miou(a, [1, 2, 3], b, n_resamples=500)
    assert diff.high < 0  # perfect predictions are better
    gap = seg.bootstrap_miou(a, [1], labels_b=[2, 3], n_resamples=500)
    expected = seg.miou(a, [1]) - seg.miou(a, [2, 3])
    assert gap.estimate == pytest.approx(expected) and gap.low <= expected <= gap.high
    with pytest.raises(ValueError, match="labels"):
        seg.miou(a, [7])


def test_paint_segment_and_threshold():
    masks = np.zeros((2, 4, 4), dtype=np.int64)
    masks[0, :2, :2], masks[1, 2:, 2:] = 3, 1
    np.testing.assert_array_equal(seg.paint([4, 0], masks), np.where(masks > 0, [[[5]], [[1]]], 0))
    tiles = seg.paint_tiles(np.array([[0, 1, 2, 3], [4, 5, 6, 7]]), masks)
    assert tiles[0, 0, 0] == 1 and tiles[1, 3, 3] == 8 and tiles[0, 3, 3] == 0
    best = np.array([[[0.1, 0.5]]])
    label = np.array([[[2, 3]]])
    np.testing.assert_array_equal(seg.segment(best, label, 0.3), [[[0, 4]]])
    t, scores = seg.choose_threshold(best, label, np.array([[[0, 4]]]), [4], [0.0, 0.3, 0.6])
    assert t == 0.3 and scores[1] == pytest.approx(1.0)


# ---------------------------------------------------------------- readouts
@pytest.fixture(scope="module")
def random_toyclip():
    model, _, _ = toyclip.load(None)
    return model


def _images(n, size, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def _open_clip_tokens(model, images, last_mask=None):
    """open_clip's own forward, with an attention mask in the last block only."""
    visual = model.visual
    x = visual._embeds(toyclip.to_tensor(images, model))
    blocks = visual.transformer.resblocks
    for block in blocks[:-1]:
        x = block(x)
    x = blocks[-1](x, attn_mask=last_mask)
    return visual.ln_post(x) @ visual.proj  # (n, 1 + g*g, d)


@torch.no_grad()
def test_maskclip_readout_equals_self_only_attention(random_toyclip):
    images = _images(3, 32)
    length = 1 + 16
    self_only = torch.full((length, length), float("-inf"))
    self_only.fill_diagonal_(0.0)
    expected = torch.nn.functional.normalize(
        _open_clip_tokens(random_toyclip, images, self_only)[:, 1:], dim=-1
    )
    got = seg.dense_features(random_toyclip, images, "maskclip")
    torch.testing.assert_close(got.reshape(3, 16, -1), expected, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_tokens_readout_equals_open_clip_output_tokens(random_toyclip):
    images = _images(2, 32, seed=1)
    random_toyclip.visual.output_tokens = True
    try:
        _, tokens = random_toyclip.visual(toyclip.to_tensor(images, random_toyclip))
    finally:
        random_toyclip.visual.output_tokens = False
    expected = torch.nn.functional.normalize(tokens @ random_toyclip.visual.proj, dim=-1)
    got = seg.dense_features(random_toyclip, images, "tokens")
    torch.testing.assert_close(got.reshape(2, 16, -1), expected, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_cls_value_readout_is_class_token_attending_to_one_patch(random_toyclip):
    images = _images(2, 32, seed=2)
    got = seg.dense_features(random_toyclip, images, "cls_value").reshape(2, 16, -1)
    for j in (0, 5, 15):
        mask = torch.zeros(17, 17)
        mask[0] = float("-inf")
        mask[0, 1 + j] = 0.0  # the class token sees patch j alone
        pooled = _open_clip_tokens(random_toyclip, images, mask)[:, 0]
        torch.testing.assert_close(
            got[:, j], torch.nn.functional.normalize(pooled, dim=-1), atol=1e-5, rtol=1e-5
        )


def test_at_image_size_matches_open_clip_force_image_size():
    # open_clip's own route: a 64-px model, the checkpoint's positional
    # embedding resized by open_clip.model.resize_pos_embed (in float32: the
    # checkpoint is float16, which bicubic resizing does not take on the CPU).
    toyclip.register()
    reference = open_clip.create_model("ToyCLIP", force_image_size=64).eval()
    state = {k: v.float() for k, v in torch.load(toyclip.CHECKPOINT2).items()}
    open_clip.model.resize_pos_embed(state, reference)
    reference.load_state_dict(state)
    model, _, _ = toyclip.load(toyclip.CHECKPOINT2)
    big = seg.at_image_size(model, 64)
    torch.testing.assert_close(
        big.visual.positional_embedding, reference.visual.positional_embedding
    )
    assert model.visual.positional_embedding.shape[0] == 17  # the input is untouched
    images = _images(2, 64, seed=3)
    with torch.no_grad():
        ours = big.encode_image(toyclip.to_tensor(images, big))
        theirs = reference.encode_image(toyclip.to_tensor(images, reference))
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    assert seg.dense_features(big, images).shape == (2, 8, 8, 64)
    with pytest.raises(ValueError, match="multiple of the patch size"):
        seg.at_image_size(model, 60)


def test_window_similarities_on_tiles(random_toyclip):
    images = _images(2, 64, seed=4)
    weights = torch.nn.functional.normalize(torch.randn(64, 5), dim=0)
    sims = seg.window_similarities(random_toyclip, images, weights, window=32, stride=32)
    assert sims.shape == (2, 5, 2, 2)
    tile = np.ascontiguousarray(images[:, 32:, :32])  # bottom-left tile
    expected = toyclip.encode_images(random_toyclip, tile) @ weights
    torch.testing.assert_close(sims[:, :, 1, 0], expected, atol=1e-5, rtol=1e-5)
    finer = seg.window_similarities(random_toyclip, images, weights, window=32, stride=16)
    assert finer.shape == (2, 5, 4, 4)
    torch.testing.assert_close(finer[:, :, 0, 0], sims[:, :, 0, 0])
    with pytest.raises(ValueError, match="stride"):
        seg.window_similarities(random_toyclip, images, weights, window=32, stride=12)


def test_readout_rejects_bad_input(random_toyclip):
    with pytest.raises(ValueError, match="readout"):
        seg.dense_features(random_toyclip, _images(1, 32), readout="pooled")
    with pytest.raises(ValueError, match="uint8"):
        seg.dense_features(random_toyclip, np.zeros((1, 32, 32, 3), dtype=np.float32))


# ---------------------------------------------------------------- full tier
def _fake_voc(root, ids, shape=(20, 30)):
    from PIL import Image

    base = root / "VOCdevkit" / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (base / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    palette = [int(v) for v in rng.integers(0, 256, size=768)]
    masks = {}
    for k, image_id in enumerate(ids):
        pixels = rng.integers(0, 256, size=(*shape, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(base / "JPEGImages" / f"{image_id}.jpg")
        mask = np.zeros(shape, dtype=np.uint8)
        mask[2:9, 3:12] = k + 1  # an object, outlined by void pixels
        mask[1, 2:13] = 255
        png = Image.fromarray(mask, mode="P")
        png.putpalette(palette)
        png.save(base / "SegmentationClass" / f"{image_id}.png")
        masks[image_id] = mask.astype(np.int64)
    (base / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(ids) + "\n")
    (base / "ImageSets" / "Segmentation" / "train.txt").write_text("")
    return masks


def test_voc_loader_reads_the_official_layout(tmp_path):
    ids = ["2007_000033", "2007_000042"]
    truth = _fake_voc(tmp_path, ids)
    images, masks, got_ids = scenes.load_voc_segmentation(tmp_path, "val")
    assert got_ids == ids
    assert images[0].shape == (20, 30, 3) and images[0].dtype == np.uint8
    for image_id, mask in zip(ids, masks):
        np.testing.assert_array_equal(mask, truth[image_id])  # palette indices, not colours
    small, small_masks, _ = scenes.load_voc_segmentation(tmp_path, "val", size=16, n_max=1)
    assert small.shape == (1, 16, 16, 3) and small_masks.shape == (1, 16, 16)
    assert set(np.unique(small_masks)) <= {0, 1, 255}
    assert len(scenes.VOC_CLASSES) == 20


def test_voc_loader_fails_fast_when_absent(tmp_path):
    with pytest.raises(FileNotFoundError, match="VOC2012"):
        scenes.load_voc_segmentation(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split"):
        scenes.load_voc_segmentation(tmp_path, split="test")


def test_iou_ignores_void_pixels_like_sklearn_on_the_rest():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 4, size=(3, 8, 8))
    truth[:, 0] = 255
    pred = rng.integers(0, 4, size=truth.shape)
    keep = truth != 255
    cm = confusion_matrix(truth[keep], pred[keep], labels=range(4))
    expected = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    counts = seg.iou_counts(pred, truth, 4, ignore=255)
    np.testing.assert_allclose(seg.per_class_iou(counts, range(4)), expected)
    with pytest.raises(ValueError, match="outside"):
        seg.iou_counts(pred, truth, 4)
