"""Chapter 50, conditional similarity: galleries, mining, baselines, Recall@k, the GeneCIS loader.

Checked against independent computations: Recall@k on a hand-worked case,
gallery properties recomputed from the world's attributes, the
image + text baseline against its formula in numpy, the combiner's
residual mix against a hand computation, and the loader on a tiny fake
copy of GeneCIS written here in the format of facebookresearch/genecis.
"""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from zslkit.beyond import conditional as C
from zslkit.data import genecis, world


# --------------------------------------------------------------------------
# Recall@k by hand
# --------------------------------------------------------------------------
def test_recall_at_k_on_a_hand_worked_case():
    scores = np.array(
        [
            [0.9, 0.1, 0.5, 0.3],  # target 0 ranks 1st
            [0.9, 0.1, 0.5, 0.3],  # target 2 ranks 2nd
            [0.9, 0.1, 0.5, 0.3],  # target 1 ranks 4th
            [0.5, 0.5, 0.2, 0.1],  # target 1 ties with image 0: counted 2nd
        ]
    )
    target = np.array([0, 2, 1, 1])
    assert C.recall_at_k(scores, target, 1).tolist() == [True, False, False, False]
    assert C.recall_at_k(scores, target, 2).tolist() == [True, True, False, True]
    assert C.recall_at_k(scores, target, 3).tolist() == [True, True, False, True]
    assert C.recall_at_k(scores, target, 4).all()
    with pytest.raises(ValueError, match="k"):
        C.recall_at_k(scores, target, 5)


# --------------------------------------------------------------------------
# Galleries, from the world's attributes
# --------------------------------------------------------------------------
@pytest.mark.parametrize("task", C.TASKS)
def test_each_gallery_has_exactly_one_conditionally_similar_image(task):
    q = C.make_queries(task, n_queries=40, gallery_size=15, seed=3)
    kind, attribute = task.split("_")
    other = "shape" if attribute == "colour" else "colour"
    for ref, cond, gallery, target, roles in zip(
        q["references"], q["conditions"], q["galleries"], q["target"], q["roles"]
    ):
        assert len(gallery) == 15 and roles[target] == "target"
        assert all(set(o) == {"colour", "shape", "pattern", "size"} for o in gallery)
        if kind == "focus":  # similar = shares the focused attribute with the reference
            assert cond == attribute
            similar = [i for i, o in enumerate(gallery) if o[attribute] == ref[attribute]]
            look = [i for i, o in enumerate(gallery) if o[other] == ref[other]]
            assert gallery[target][other] != ref[other]
        else:  # similar = the reference with the attribute set to the condition
            assert cond in world.ATTRIBUTES[attribute] and cond != ref[attribute]
            similar = [i for i, o in enumerate(gallery) if o == dict(ref, **{attribute: cond})]
            look = [i for i, o in enumerate(gallery) if o[other] == ref[other] and i != target]
            text = [i for i, o in enumerate(gallery) if o[attribute] == cond and i != target]
            assert [i for i, r in enumerate(roles) if r == "text match"] == text
            assert len(text) == 7 and ref in gallery  # a copy of the reference is a look-alike
            assert all(o[other] != ref[other] for o in (gallery[i] for i in text))
        assert similar == [target]
        assert [i for i, r in enumerate(roles) if r == "look-alike"] == look
        assert len(look) == 7


def test_targets_sit_anywhere_and_queries_are_reproducible():
    a = C.make_queries("change_shape", 200, seed=1)
    b = C.make_queries("change_shape", 200, seed=1)
    assert a["galleries"] == b["galleries"] and (a["target"] == b["target"]).all()
    assert len(set(a["target"].tolist())) == 15
    assert a["galleries"] != C.make_queries("change_shape", 200, seed=2)["galleries"]


def test_bad_parameters_name_the_valid_choices():
    with pytest.raises(ValueError, match="focus_colour"):
        C.make_queries("focus_texture")
    with pytest.raises(ValueError, match="gallery_size"):
        C.make_queries("focus_colour", gallery_size=40)
    with pytest.raises(ValueError, match="image only"):
        C.query_features("both", torch.zeros(1, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="combiner"):
        C.query_features("combiner", torch.zeros(1, 4), torch.zeros(1, 4))


def test_rendered_queries_are_the_world_s_objects():
    q = C.make_queries("focus_shape", 2, gallery_size=4, seed=0)
    refs, gallery = C.render_queries(q, seed=5)
    assert refs.shape == (2, 32, 32, 3) and gallery.shape == (2, 4, 32, 32, 3)
    objects = q["references"] + [o for g in q["galleries"] for o in g]
    names = [" ".join(o[a] for a in ("size", "colour", "pattern", "shape")) for o in objects]
    expected, _ = world.make_images(names, 1, seed=5, task="colour_shape_pattern_size")
    assert (expected[:2] == refs).all() and (expected[2:].reshape(gallery.shape) == gallery).all()


# --------------------------------------------------------------------------
# Mining from captions
# --------------------------------------------------------------------------
def test_parse_caption_finds_the_words_as_written():
    assert C.parse_caption("a photo of a crimson disc.") == {"colour": "crimson", "shape": "disc"}
    assert C.parse_caption("a rendition of a triangle in purple.") == {
        "colour": "purple",
        "shape": "triangle",
    }
    assert C.parse_caption("look at this star.") == {"colour": None, "shape": "star"}


def test_mined_triplets_share_one_word_and_the_condition_is_the_target_s_other():
    captions = [
        "a red circle.",
        "a blue circle.",
        "a photo of a red star.",
        "a star.",  # no colour: never used
        "a green heart.",
    ]
    t = C.mine_triplets(captions, 60, seed=0)
    assert 3 not in t["reference"] and 3 not in t["target"] and 4 not in t["reference"]
    parsed = [C.parse_caption(c) for c in captions]
    for r, g, cond, kind in zip(t["reference"], t["target"], t["condition"], t["kind"]):
        shared = "shape" if kind == "colour" else "colour"
        assert r != g and parsed[r][shared] == parsed[g][shared]
        assert parsed[r][kind] != parsed[g][kind] and cond == parsed[g][kind]
    assert set(t["kind"]) == {"colour", "shape"}
    with pytest.raises(ValueError, match="no two captions"):
        C.mine_triplets(["a red circle.", "a blue star."], 5)


# --------------------------------------------------------------------------
# Baselines and the combiner
# --------------------------------------------------------------------------
def test_image_plus_text_is_the_normalised_weighted_sum():
    rng = np.random.default_rng(0)
    i, t = rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    for w in (0.5, 0.3):
        expected = w * i + (1 - w) * t
        expected /= np.linalg.norm(expected, axis=1, keepdims=True)
        got = C.query_features("image + text", torch.tensor(i), torch.tensor(t), weight=w)
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
    only = C.query_features("image only", torch.tensor(i), torch.tensor(t)).numpy()
    np.testing.assert_allclose(only, i / np.linalg.norm(i, axis=1, keepdims=True), atol=1e-6)


def test_gallery_scores_are_cosines():
    rng = np.random.default_rng(1)
    q, g = rng.normal(size=(3, 6)), rng.normal(size=(3, 4, 6))
    got = C.gallery_scores(torch.tensor(q), torch.tensor(g))
    for n in range(3):
        for j in range(4):
            cos = q[n] @ g[n, j] / np.linalg.norm(q[n]) / np.linalg.norm(g[n, j])
            assert got[n, j] == pytest.approx(cos, abs=1e-6)


def test_combiner_mixes_text_and_image_by_its_learnt_scalar():
    torch.manual_seed(0)
    comb = C.Combiner(6, projection_dim=5, hidden_dim=7).eval()
    with torch.no_grad():  # no learnt correction: the output is the residual mix alone
        comb.output_layer.weight.zero_()
        comb.output_layer.bias.zero_()
    i, t = torch.randn(4, 6), torch.randn(4, 6)
    w = {k: v.detach().double().numpy() for k, v in comb.state_dict().items()}
    relu = lambda x: np.maximum(x, 0)  # noqa: E731
    c = np.concatenate(
        [
            relu(t.double().numpy() @ w["text_projection.weight"].T + w["text_projection.bias"]),
            relu(i.double().numpy() @ w["image_projection.weight"].T + w["image_projection.bias"]),
        ],
        axis=1,
    )
    h = relu(c @ w["scalar.0.weight"].T + w["scalar.0.bias"])
    s = 1 / (1 + np.exp(-(h @ w["scalar.3.weight"].T + w["scalar.3.bias"])))
    mix = s * t.double().numpy() + (1 - s) * i.double().numpy()
    expected = mix / np.linalg.norm(mix, axis=1, keepdims=True)
    np.testing.assert_allclose(comb(i, t).detach().numpy(), expected, atol=1e-5)


def test_training_the_combiner_lowers_its_loss_on_a_learnable_task():
    rng = np.random.default_rng(0)  # target = reference with its first half replaced by the text
    ref = torch.tensor(rng.normal(size=(512, 8)), dtype=torch.float32)
    text = torch.zeros(512, 8)
    text[:, :4] = torch.tensor(rng.normal(size=(512, 4)), dtype=torch.float32)
    target = torch.cat([text[:, :4], ref[:, 4:]], dim=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny fit: one thread is fastest on a busy machine
    try:
        comb, history = C.train_combiner(ref, text, target, epochs=15, batch_size=64, dropout=0.0)
    finally:
        torch.set_num_threads(threads)
    assert history[-1] < 0.5 * history[0]
    query = C.query_features("combiner", ref[:64], text[:64], comb)
    scores = C.gallery_scores(query, target[:64][None].expand(64, -1, -1))
    assert C.recall_at_k(scores, np.arange(64), 1).mean() > 0.5


# --------------------------------------------------------------------------
# The GeneCIS loader, on a fake copy in the real format
# --------------------------------------------------------------------------
def _write_fake_genecis(root):
    coco, vg = root / "coco" / "val2017", root / "visual_genome"
    coco.mkdir(parents=True)
    vg.mkdir(parents=True)
    for i in (1, 2, 3, 4):
        Image.new("RGB", (40, 30), (10 * i, 0, 0)).save(coco / f"{i:012d}.jpg")
        Image.new("RGB", (100, 80), (0, 10 * i, 0)).save(vg / f"{i}.jpg")
    obj = [
        {
            "condition": "cardboard",
            "gallery": [{"val_image_id": 3}, {"val_image_id": 4}],
            "reference": {"val_image_id": 1},
            "target": {"val_image_id": 2},
        }
    ]
    box = lambda i, b: {"image_id": i, "instance_bbox": b}  # noqa: E731
    attr = [
        {
            "condition": "color",
            "gallery": [box(3, [0, 0, 10, 10]), box(4, [90, 70, 10, 10])],
            "reference": box(1, [20, 10, 40, 20]),
            "target": box(2, [50, 40, 30, 30]),
        }
    ]
    for task in genecis.TASKS:
        data = attr if task in genecis.ATTRIBUTE_TASKS else obj
        (root / f"{task}.json").write_text(json.dumps(data))


def test_the_loader_reads_the_real_format(tmp_path):
    _write_fake_genecis(tmp_path)
    q = genecis.load_task("change_object", tmp_path)
    assert q[0]["condition"] == "cardboard" and q[0]["target"] == 0
    assert [c["val_image_id"] for c in q[0]["candidates"]] == [2, 3, 4]
    assert genecis.load_image(q[0]["reference"], "change_object", tmp_path).size == (40, 30)
    a = genecis.load_task("focus_attribute", tmp_path)
    crop = genecis.load_image(a[0]["reference"], "focus_attribute", tmp_path)
    # box x=20, y=10, w=40, h=20 dilated by 0.7: left 0, top 0, right 68, bottom 34 -> padded 68 x 68
    assert genecis.crop_box([20, 10, 40, 20], 100, 80) == pytest.approx((0, 0, 68, 34))
    assert crop.size == (68, 68)
    assert crop.getpixel((34, 0)) == (0, 0, 0)  # padding above the crop
    assert genecis.crop_box([90, 70, 10, 10], 100, 80) == pytest.approx((83, 63, 100, 80))


def test_the_loader_fails_fast_and_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="facebookresearch/genecis"):
        genecis.load_task("focus_object", tmp_path)
    with pytest.raises(ValueError, match="change_object"):
        genecis.load_task("focus_colour", tmp_path)
    _write_fake_genecis(tmp_path)
    (tmp_path / "coco" / "val2017" / f"{4:012d}.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="000000000004.jpg"):
        genecis.load_task("focus_object", tmp_path)
    (tmp_path / "change_attribute.json").write_text(json.dumps([{"condition": "red"}]))
    with pytest.raises(ValueError, match="format"):
        genecis.load_task("change_attribute", tmp_path)


def test_the_real_format_goes_through_the_baselines(tmp_path):
    from zslkit.models.backbones import load_backbone

    _write_fake_genecis(tmp_path)
    model, preprocess, tokenizer = load_backbone("toyclip2")
    encoded = C.encode_genecis(model, preprocess, tokenizer, str(tmp_path))
    assert encoded["focus_attribute"]["gallery"].shape == (1, 3, 64)
    hits = C.evaluate_genecis(model, preprocess, tokenizer, str(tmp_path))
    assert set(hits) == set(genecis.TASKS) and hits["change_object"]["image only"][3].all()
    assert set(hits["focus_object"]) == {"image only", "text only", "image + text"}


def test_encode_arrays_matches_open_clip_s_own_preprocess():
    from zslkit.models.backbones import load_backbone

    model, preprocess, _ = load_backbone("toyclip2")
    rng = np.random.default_rng(0)
    for size in (32, 40):  # the model's own size (batched path) and another (preprocess)
        images = rng.integers(0, 256, size=(2, 3, size, size, 3), dtype=np.uint8)
        got = C.encode_arrays(model, preprocess, images)
        x = torch.stack(
            [preprocess(Image.fromarray(im)) for im in images.reshape(-1, size, size, 3)]
        )
        with torch.no_grad():
            want = torch.nn.functional.normalize(model.encode_image(x), dim=-1)
        assert got.shape == (2, 3, 64)
        np.testing.assert_allclose(got.reshape(6, 64).numpy(), want.numpy(), atol=1e-5)
