"""zslkit.models.prompts against open_clip's own zero-shot builder and templates, numpy and scikit-learn."""

import numpy as np
import open_clip
import pytest
import torch
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES
from sklearn.metrics import accuracy_score

from zslkit.data import world
from zslkit.data.datasets import load_dataset
from zslkit.lab import toyclip
from zslkit.models.prompts import (
    ensemble_classifier,
    list_template_sets,
    load_template_set,
    template_accuracies,
    template_classifiers,
    template_kinds,
    template_logits,
)
from zslkit.models.zeroshot import fill_template, zero_shot_classifier


@pytest.fixture(scope="module")
def toy():
    """A random-init ToyCLIP: a real open_clip CLIP, small enough for the CPU."""
    toyclip.register()
    torch.manual_seed(0)
    model = open_clip.create_model("ToyCLIP", pretrained=None).eval()
    return model, open_clip.get_tokenizer("ToyCLIP")


def test_template_classifiers_are_normalised_text_embeddings(toy):
    model, tokenizer = toy
    class_names = ["cat", "red star", "aeroplane"]
    templates = ["a photo of a {}.", "{}", world.Template("a drawing of a {}.")]
    classifiers = template_classifiers(model, tokenizer, class_names, templates, batch_size=4)
    assert classifiers.shape == (3, model.text_projection.shape[1], 3)
    with torch.no_grad():
        for t, template in enumerate(templates):
            for c, name in enumerate(class_names):
                direct = model.encode_text(tokenizer([fill_template(template, name)]))[0]
                torch.testing.assert_close(
                    classifiers[t, :, c], direct / direct.norm(), rtol=0, atol=1e-5
                )


@pytest.mark.parametrize(
    "templates",
    [
        ["a photo of a {}.", "a drawing of a {}.", "{} texture."],
        world.templates("captions"),
    ],
)
def test_equal_weight_ensemble_equals_open_clip_and_zeroshot(toy, templates):
    model, tokenizer = toy
    class_names = ["red circle", "orange heart", "white ring", "blue star"]
    classifiers = template_classifiers(model, tokenizer, class_names, templates)
    ours = ensemble_classifier(classifiers)
    theirs = open_clip.build_zero_shot_classifier(
        model, tokenizer, class_names, templates, num_classes_per_batch=3
    )
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)
    torch.testing.assert_close(
        ours, zero_shot_classifier(model, tokenizer, class_names, templates), rtol=0, atol=1e-6
    )
    # equal weights given explicitly (any positive constant) are the same ensemble
    torch.testing.assert_close(ensemble_classifier(classifiers, np.full(len(templates), 7.0)), ours)


def test_weighted_ensemble_matches_numpy():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(5, 8, 4))
    classifiers = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    a = np.array([0.5, 0.0, 2.0, 1.0, 0.5])
    mixed = sum(a[t] / a.sum() * classifiers[t] for t in range(5))
    expected = mixed / np.linalg.norm(mixed, axis=0, keepdims=True)
    np.testing.assert_allclose(
        ensemble_classifier(classifiers, a).numpy(), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        ensemble_classifier(classifiers, a, renormalize=False).numpy(), mixed, rtol=1e-5, atol=1e-6
    )
    # renormalize=False: image_features @ mix is the weighted average of the per-template logits
    x = rng.normal(size=(6, 8))
    per_template = np.stack([x @ classifiers[t] for t in range(5)])
    np.testing.assert_allclose(
        x @ mixed, np.tensordot(a / a.sum(), per_template, axes=1), rtol=1e-6
    )
    # a one-hot weight picks that template's classifier
    np.testing.assert_allclose(
        ensemble_classifier(classifiers, np.eye(5)[2]).numpy(), classifiers[2], atol=1e-6
    )
    for bad in ([1.0, -1.0, 1.0, 1.0, 1.0], np.zeros(5), [1.0, 1.0]):
        with pytest.raises(ValueError, match="prompt_weights"):
            ensemble_classifier(classifiers, bad)


def test_template_logits_and_accuracies_match_numpy_and_sklearn():
    rng = np.random.default_rng(1)
    classifiers = rng.normal(size=(3, 6, 5))
    image_features = rng.normal(size=(40, 6))
    labels = rng.integers(0, 5, 40)
    logits = template_logits(torch.as_tensor(image_features), classifiers, logit_scale=20.0).numpy()
    for t in range(3):
        np.testing.assert_allclose(
            logits[t], 20.0 * image_features @ classifiers[t], rtol=1e-4, atol=1e-4
        )
    accs = template_accuracies(image_features, torch.as_tensor(labels), classifiers)
    expected = [
        accuracy_score(labels, (image_features @ classifiers[t]).argmax(1)) for t in range(3)
    ]
    np.testing.assert_allclose(accs, expected)


def test_template_sets_match_open_clip_and_the_pocket_world():
    assert set(list_template_sets()) >= {
        "openai80",
        "simple7",
        "pocket",
        "pocket_bad",
        "baselines",
        "dataset",
    }
    for name, reference in (
        ("openai80", OPENAI_IMAGENET_TEMPLATES),
        ("simple7", SIMPLE_IMAGENET_TEMPLATES),
    ):
        ours = load_template_set(name)
        assert [t.format("tench") for t in ours] == [f("tench") for f in reference]
    pocket = load_dataset("pocket", "test", n_per_class=1)
    captions = load_template_set("pocket", dataset=pocket)
    assert captions == world.templates("captions")
    assert load_template_set("dataset", dataset=pocket) == world.templates("zeroshot")
    # the pocket world's article rule applies to every set used on the pocket dataset, not to the published strings
    assert (
        load_template_set("openai80", dataset=pocket)[2]("orange circle")
        == "a sculpture of an orange circle."
    )
    assert (
        load_template_set("openai80")[2].format("orange circle")
        == "a sculpture of a orange circle."
    )
    bad, kinds = load_template_set("pocket_bad"), template_kinds("pocket_bad")
    assert len(bad) == len(kinds) and "no class" in kinds and template_kinds("openai80") is None
    assert [t.format("x") for t in load_template_set("baselines")] == ["x", "a photo of a x."]
    with pytest.raises(ValueError, match="template_set='nope'"):
        load_template_set("nope")
    with pytest.raises(ValueError, match="needs dataset"):
        load_template_set("dataset")


@pytest.mark.parametrize(
    "template, expected",
    [
        ("a photo of a {}.", "a photo of a red star."),  # CoOp's and open_clip's form
        ("a photo of a {c}.", "a photo of a red star."),  # CLIP_benchmark's form
        ('a photo of the number: "{c}".', 'a photo of the number: "red star".'),
        ("{c}, or {}", "red star, or red star"),
        (world.Template("a {}"), "a red star"),
    ],
)
def test_fill_template_accepts_both_slots(template, expected):
    assert fill_template(template, "red star") == expected


def test_braces_and_c_templates_give_the_same_classifier(toy):
    model, tokenizer = toy
    names = ["red star", "blue circle"]
    braces = zero_shot_classifier(model, tokenizer, names, ["a photo of a {}.", "art of the {}."])
    c_form = zero_shot_classifier(model, tokenizer, names, ["a photo of a {c}.", "art of the {c}."])
    torch.testing.assert_close(braces, c_form, rtol=0, atol=0)
