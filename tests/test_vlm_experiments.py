"""zslkit.vlm.experiments against plain numpy loops, scipy, hand-worked cases and direct encoder calls."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from scipy.special import log_softmax, softmax

from zslkit.data import world
from zslkit.lab import toyclip
from zslkit.metrics import per_class_accuracy
from zslkit.vlm import experiments as ex
from zslkit.vlm.loki import Loki
from zslkit.vlm.zpe import ZPE, zpe_weights


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def unit(x, dim=0):
    return F.normalize(torch.as_tensor(x, dtype=torch.float32), dim=dim)


def stack(seed=0, t=5, d=4, c=3, n=30):
    """A random (T, d, C) classifier stack, (n, d) images and labels."""
    g = torch.Generator().manual_seed(seed)
    classifiers = unit(torch.randn(t, d, c, generator=g), dim=1)
    images = unit(torch.randn(n, d, generator=g), dim=1)
    labels = torch.randint(0, c, (n,), generator=g).numpy()
    return classifiers, images, labels


def top1(images, labels, w):
    """Top-1 of the (d, C) classifier w, with a numpy loop."""
    images, w = np.asarray(images), np.asarray(w)
    return np.mean([np.argmax(x @ w) == y for x, y in zip(images, labels)])


def mean_classifier(classifiers, weights=None):
    t = len(classifiers)
    a = np.full(t, 1 / t) if weights is None else np.asarray(weights) / np.sum(weights)
    mixed = sum(a[i] * np.asarray(classifiers[i]) for i in range(t))
    return mixed / np.linalg.norm(mixed, axis=0, keepdims=True)


# Loading ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toy():
    toyclip.register()
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("ToyCLIP", pretrained=None)
    return model.eval(), preprocess, open_clip.get_tokenizer("ToyCLIP")


def test_encode_split_equals_the_encoder_on_the_rendered_images(toy):
    model, preprocess, _ = toy
    pocket = {"variant": "photo", "n_per_class": 1, "seed": 3}
    data, features, labels = ex.encode_split(model, preprocess, "pocket", "test", "", pocket)
    images = torch.stack([data[i][0] for i in range(len(data))])
    with torch.no_grad():
        direct = F.normalize(model.encode_image(images), dim=1)
    torch.testing.assert_close(features, direct, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(labels, [data[i][1] for i in range(len(data))])
    assert isinstance(labels, np.ndarray) and len(labels) == len(data.class_names)


def test_encode_domains_keeps_each_domain_apart(toy):
    model, preprocess, _ = toy
    features, data = ex.encode_domains(model, preprocess, ["photo", "sketch"], 1, seed=2)
    assert list(features) == ["photo", "sketch"]
    for domain, (f, y) in features.items():
        pocket = {"variant": domain, "n_per_class": 1, "seed": 2}
        _, g, z = ex.encode_split(model, preprocess, "pocket", "test", "", pocket)
        torch.testing.assert_close(f, g)
        np.testing.assert_array_equal(y, z)
    assert not torch.allclose(features["photo"][0], features["sketch"][0])
    assert data.class_names == world.class_names()


# Tables -------------------------------------------------------------------------------------------


def test_print_table_by_hand(capsys):
    ex.print_table({"a": {"x": 0.5, "y": 0.25}, "bb": {"x": 1.0, "y": 0.0}}, "row", 4, 6, 2)
    assert capsys.readouterr().out == ("row      x     y\na     0.50  0.25\nbb    1.00  0.00\n")
    ex.print_table({"a": {"x": 0.5, "y": 0.25}}, "", 2, 5, 1, columns={"y": "Y"})
    assert capsys.readouterr().out == "      Y\na   0.2\n"


def test_single_template_table_against_numpy():
    classifiers, images, labels = stack()
    per_template = np.array([top1(images, labels, w) for w in classifiers])
    ensemble = torch.as_tensor(mean_classifier(classifiers))
    table = ex.single_template_table(images, labels, per_template, classifiers[:2], ensemble)
    assert list(table) == [
        "class name only",
        "a photo of a {}.",
        "worst single template",
        "median single template",
        "best single template",
        "ensemble of 5",
    ]
    assert table["class name only"] == pytest.approx(top1(images, labels, classifiers[0]))
    assert table["a photo of a {}."] == pytest.approx(top1(images, labels, classifiers[1]))
    assert table["worst single template"] == pytest.approx(per_template.min())
    assert table["median single template"] == pytest.approx(np.median(per_template))
    assert table["best single template"] == pytest.approx(per_template.max())
    assert table["ensemble of 5"] == pytest.approx(top1(images, labels, ensemble))


def test_templates_naming_by_hand():
    templates = ["a red {}.", "a photo of a {}.", "{} in white", "a big {}."]
    named, named_top1, other_top1 = ex.templates_naming(
        templates, [0.1, 0.5, 0.3, 0.9], {"red", "white"}
    )
    assert named == ["a red {}.", "{} in white"]
    assert named_top1 == pytest.approx(0.2) and other_top1 == pytest.approx(0.7)
    assert ex.templates_naming(templates, [1, 1, 1, 1], {"blue"})[:2] == ([], None)


def test_random_subset_curve_replays_the_same_draws():
    classifiers, images, labels = stack(t=6)
    sizes, mean, std = ex.random_subset_curve(
        images, labels, classifiers, 3, np.random.default_rng(1), sizes=(1, 2, 8)
    )
    assert sizes == [1, 2, 6]
    rng = np.random.default_rng(1)
    for k, m, s in zip(sizes, mean, std):
        draws = [
            top1(images, labels, mean_classifier(classifiers[rng.choice(6, k, replace=False)]))
            for _ in range(3 if k < 6 else 1)
        ]
        assert m == pytest.approx(np.mean(draws)) and s == pytest.approx(np.std(draws))
    assert std[-1] == 0


def test_compare_weightings_against_direct_fits():
    classifiers, images, labels = stack(t=4)
    reference = stack(seed=1, t=4)[1]
    pools = {"two": np.array([True, True, False, False]), "all": np.ones(4, dtype=bool)}
    table, fitted = ex.compare_weightings(classifiers, pools, images, labels, reference, 10.0)
    per_template = np.array([top1(images, labels, w) for w in classifiers])
    for pool, mask in pools.items():
        zpe = ZPE(classifiers[mask], logit_scale=10.0).fit(images, reference)
        np.testing.assert_allclose(fitted[pool].prompt_weights_, zpe.prompt_weights_)
        assert table[pool]["ZPE"] == pytest.approx(top1(images, labels, zpe.weights_))
        assert table[pool]["equal weights"] == pytest.approx(
            top1(images, labels, mean_classifier(classifiers[mask]))
        )
        assert table[pool]["oracle: best single (labels)"] == pytest.approx(
            per_template[mask].max()
        )
        assert table[pool]["median single"] == pytest.approx(np.median(per_template[mask]))


def test_kind_shares_by_hand():
    shares = ex.kind_shares(["a", "b", "a", "c"], [0.1, 0.2, 0.3, 0.4])
    assert list(shares) == ["a", "b", "c"]
    assert shares == pytest.approx({"a": 0.4, "b": 0.2, "c": 0.4})


def test_bad_prompt_curve_replays_the_same_draws():
    classifiers, images, labels = stack(t=9)
    is_bad = np.array([False] * 4 + [True] * 5)
    scores = np.linspace(1, 3, 9)
    grid, curves = ex.bad_prompt_curve(
        classifiers, is_bad, scores, images, labels, 2, np.random.default_rng(4)
    )
    assert grid == [0, 4, 5]
    rng = np.random.default_rng(4)
    for n_bad, eq, zp in zip(grid, curves["equal weights"], curves["ZPE"]):
        eqs, zps = [], []
        for _ in range(2 if 0 < n_bad < 5 else 1):
            members = np.concatenate([np.arange(4), rng.choice(np.arange(4, 9), n_bad, False)])
            eqs.append(top1(images, labels, mean_classifier(classifiers[members])))
            w = np.exp(scores[members] - scores[members].max())
            np.testing.assert_allclose(zpe_weights(scores[members]), w / w.sum(), rtol=1e-6)
            zps.append(top1(images, labels, mean_classifier(classifiers[members], w)))
        assert eq == pytest.approx(np.mean(eqs)) and zp == pytest.approx(np.mean(zps))


def test_class_groups_and_group_accuracies_by_hand():
    split = {"seen": ["a", "b"], "unseen": ["c"]}
    labels = np.array([0, 0, 1, 2])
    groups = ex.class_groups(["a", "b", "c", "d"], labels, split)
    assert groups == {"all": [0, 1, 2, 3], "seen": [0, 1], "unseen": [2]}
    assert "unseen" not in ex.class_groups(["a", "b", "c"], np.array([0, 1]), split)
    top1_ = ex.group_accuracies(labels, {"names": np.array([0, 1, 1, 0])}, groups)
    # per class: a 1/2, b 1, c 0 (d has no image and is left out)
    assert top1_ == pytest.approx(
        {("names", "all"): 0.5, ("names", "seen"): 0.75, ("names", "unseen"): 0.0}
    )


# Loki ---------------------------------------------------------------------------------------------


def test_label_distances_attributes_is_the_world_metric():
    names = world.class_names()[:5]
    np.testing.assert_array_equal(
        ex.label_distances("attributes", names), world.class_distance_matrix(names)
    )


def test_label_distances_text_is_the_distance_of_the_class_embeddings(toy):
    model, _, tokenizer = toy
    names = ["red circle", "blue star", "green heart"]
    d = ex.label_distances("text", names, model, tokenizer, ["a {}."])
    with torch.no_grad():
        e = F.normalize(model.encode_text(tokenizer([f"a {c}." for c in names])), dim=1).numpy()
    expected = np.linalg.norm(e[:, None] - e[None], axis=-1)
    np.testing.assert_allclose(d, expected, atol=1e-5)


def test_loki_summary_by_hand():
    distances = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    labels, pred = np.array([0, 1, 2, 2]), np.array([0, 0, 2, 1])
    s = ex.loki_summary(labels, pred, [0, 1], distances)
    assert list(s) == list(ex.SUMMARY_COLUMNS)
    # per class: 0 -> 1, 1 -> 0, 2 -> 1/2; known classes 0 and 1, absent 2
    assert s["top1"] == pytest.approx(0.5)
    assert s["top1_known"] == pytest.approx(0.5) and s["top1_absent"] == pytest.approx(0.5)
    assert s["predicted_absent"] == pytest.approx(0.25)
    assert s["distance"] == pytest.approx(0.5) and s["mistake_distance"] == pytest.approx(1.0)


def test_loki_predictions_and_scale_sweep_against_direct_calls(toy):
    model, _, tokenizer = toy
    names = ["red circle", "blue star", "green heart", "red star"]
    distances = world.class_distance_matrix(names)
    clf = zero_shot_for(model, tokenizer, names[:2])
    loki = Loki(distances, label_set=[0, 1], classifier=clf).fit()
    images = unit(
        torch.randn(6, clf.weights_.shape[0], generator=torch.Generator().manual_seed(0)), 1
    )
    preds = ex.loki_predictions(loki, images, model, tokenizer, names, ["a {}."])
    np.testing.assert_array_equal(preds["Loki over all of Y"], loki.predict(images))
    np.testing.assert_array_equal(preds["argmax over the label set"], loki.predict_argmax(images))
    all_w = zero_shot_for(model, tokenizer, names).weights_
    np.testing.assert_array_equal(
        preds["reference: told all names"], (images @ all_w).numpy().argmax(1)
    )
    labels = np.array([0, 1, 2, 3, 2, 0])
    sims = (images @ clf.weights_).numpy()
    on_matrix = Loki(distances, label_set=[0, 1]).fit()
    sweep = ex.loki_scale_sweep(on_matrix, sims, [1.0, 50.0], labels, distances)
    for i, s in enumerate([1.0, 50.0]):
        p = on_matrix.predict(softmax(s * sims, axis=1))
        summary = ex.loki_summary(labels, p, [0, 1], distances)
        assert sweep["loki"][i] == pytest.approx(summary["distance"])
        assert sweep["known_top1"][i] == pytest.approx(summary["top1_known"])
        assert sweep["absent_top1"][i] == pytest.approx(summary["top1_absent"])


def zero_shot_for(model, tokenizer, names):
    from zslkit.models.zeroshot import ZeroShotClassifier

    return ZeroShotClassifier(model, tokenizer, ["a {}."], logit_scale=10.0).fit(names)


def test_fit_softmax_scale_minimises_the_held_out_nll_on_a_grid():
    g = np.random.default_rng(0)
    weights = g.normal(size=(4, 3))
    weights /= np.linalg.norm(weights, axis=0)
    labels = g.integers(0, 5, 200)  # classes 3 and 4 are outside the label set [0, 2, 1]
    label_ids = np.array([0, 2, 1])
    # images near their class's column, with noise: the best scale is inside (1, 1000)
    columns = np.concatenate([weights, g.normal(size=(4, 2))], axis=1)[:, [0, 2, 1, 3, 4]]
    features = columns.T[labels] + 0.5 * g.normal(size=(200, 4))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    fitted = ex.fit_softmax_scale(torch.as_tensor(features), labels, weights, label_ids)
    known = np.isin(labels, label_ids)
    targets = np.array([{0: 0, 2: 1, 1: 2}[c] for c in labels[known]])
    sims = features[known] @ weights

    def nll(s):
        return -log_softmax(s * sims, axis=1)[np.arange(len(targets)), targets].mean()

    grid = np.geomspace(1, 1000, 4000)
    best = grid[np.argmin([nll(s) for s in grid])]
    assert fitted == pytest.approx(best, rel=2e-3)
    assert 1.5 < best < 900 and nll(fitted) <= nll(best) + 1e-7


# Domains ------------------------------------------------------------------------------------------


def test_compare_domains_and_means_against_direct_computation():
    classifiers, images, labels = stack(t=3, c=4, n=40)
    reference = stack(seed=2, t=3, c=4)[1]
    fixed = {m: classifiers[0] for m in ex.METHODS if m != "ZPE"}
    features = {"photo": (images, labels), "sketch": (images.flip(1), labels)}
    table, weights = ex.compare_domains(features, fixed, classifiers, reference, 5.0)
    for domain, (x, y) in features.items():
        zpe = ZPE(classifiers, logit_scale=5.0).fit(x, reference)
        np.testing.assert_allclose(weights[domain], zpe.prompt_weights_)
        expected = per_class_accuracy(y, (x @ zpe.weights_).numpy().argmax(1))
        assert table[domain]["ZPE"] == pytest.approx(expected)
        assert table[domain]["ensemble"] == pytest.approx(
            per_class_accuracy(y, (x @ classifiers[0]).numpy().argmax(1))
        )
    means = ex.mean_over_domains(table, ["ZPE"], ["photo", "sketch"])
    assert means["ZPE"] == pytest.approx((table["photo"]["ZPE"] + table["sketch"]["ZPE"]) / 2)
    assert np.isnan(ex.mean_over_domains(table, ["ZPE"], [])["ZPE"])


def test_fixed_classifiers_against_template_encodings(toy):
    model, _, tokenizer = toy
    names = ["red circle", "blue star"]
    pool_classifiers, fixed = ex.fixed_classifiers(
        model, tokenizer, names, ["a {}.", "a photo of the {}."], ["{}", "a photo of a {}."]
    )
    with torch.no_grad():
        bare = F.normalize(model.encode_text(tokenizer(names)), dim=1).T
    torch.testing.assert_close(fixed["name only"], bare, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        fixed["ensemble"],
        torch.as_tensor(mean_classifier(pool_classifiers), dtype=torch.float32),
        atol=1e-5,
        rtol=0,
    )
    assert set(fixed) == set(ex.METHODS) - {"ZPE"}


# Plots --------------------------------------------------------------------------------------------


def test_plots_have_their_lines_and_labels():
    fig = ex.plot_template_accuracies([0.3, 0.1, 0.2], 0.25, 0.2, 0.15, "t")
    ax = fig.axes[0]
    assert isinstance(fig, matplotlib.figure.Figure) and len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.1, 0.2, 0.3])
    assert ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "ensemble of 3"

    fig = ex.plot_subset_curve([1, 2, 4], [0.1, 0.2, 0.3], [0.01, 0.0, 0.0], 0.4, 0.2)
    assert len(fig.axes[0].containers) == 1  # the error bars
    assert len(fig.axes[0].lines) == 5  # the curve, its two cap lines, two references

    fig = ex.plot_zpe_scores(["clean", "bad", "clean"], [0.5, 0.1, 0.6], [3, 1, 2], [0.5, 0.1, 0.4])
    left, right = fig.axes
    assert len(left.collections) == 2 and len(right.containers) == 2
    assert [t.get_text() for t in right.get_yticklabels()] == ["clean", "bad"]

    fig = ex.plot_bad_prompt_curve(
        [0, 4], {"equal weights": [0.5, 0.4], "ZPE": [0.5, 0.5]}, 0.6, 8, 3
    )
    assert len(fig.axes[0].lines) == 3
    assert fig.axes[0].get_xlabel() == "bad prompts added to the 8 clean ones"

    top1_ = {(s, g): 0.5 for s in ("names", "both") for g in ("all", "seen")}
    fig = ex.plot_source_bars(top1_, ["names", "both"], ["all", "seen"], "y", "t")
    assert len(fig.axes[0].containers) == 2 and len(fig.axes[0].texts) == 4

    sweep = {"argmax": [1, 1], "loki": [0.5, 0.8], "known_top1": [0.9, 1], "absent_top1": [0.5, 0]}
    fig = ex.plot_loki_sweep([2, 20], sweep, 0.95, 16.0, "attributes", "t")
    assert [len(ax.lines) for ax in fig.axes] == [3, 5]

    table = {d: {m: 0.5 for m in ex.METHODS} for d in ("photo", "sketch")}
    fig = ex.plot_domain_shift(table, list(ex.METHODS), ["photo", "sketch"], 64)
    left, right = fig.axes
    assert len(left.lines) == len(ex.METHODS) + 1
    assert len(right.collections) == len(ex.METHODS) and len(right.texts) == 1

    fig = ex.plot_prompt_weights(["a {}.", "b {}."], {"photo": [0.5, 0.5], "noisy": [0.2, 0.8]})
    assert len(fig.axes[0].containers) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a ·.", "b ·."]
