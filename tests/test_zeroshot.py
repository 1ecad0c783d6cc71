"""zslkit.models.zeroshot against open_clip's own zero-shot classifier, scipy and scikit-learn."""

import numpy as np
import open_clip
import pytest
import torch
from scipy.special import softmax
from sklearn.metrics import accuracy_score

from zslkit.data import world
from zslkit.lab import toyclip
from zslkit.models.zeroshot import ZeroShotClassifier, zero_shot_classifier


@pytest.fixture(scope="module")
def toy():
    """A random-init ToyCLIP: a real open_clip CLIP, small enough for the CPU."""
    toyclip.register()
    torch.manual_seed(0)
    model = open_clip.create_model("ToyCLIP", pretrained=None).eval()
    return model, open_clip.get_tokenizer("ToyCLIP")


def test_weights_equal_open_clip_string_templates(toy):
    model, tokenizer = toy
    class_names = ["cat", "dog", "aeroplane"]
    templates = ["a photo of a {}.", "a drawing of a {}.", "{} texture."]
    ours = zero_shot_classifier(model, tokenizer, class_names, templates, batch_size=4)
    theirs = open_clip.build_zero_shot_classifier(
        model, tokenizer, class_names, templates, num_classes_per_batch=2
    )
    assert ours.shape == (model.text_projection.shape[1], 3)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)
    torch.testing.assert_close(ours.norm(dim=0), torch.ones(3))


def test_weights_equal_open_clip_callable_templates(toy):
    model, tokenizer = toy
    class_names = world.load_split()["unseen"][:5]
    templates = world.templates("zeroshot")
    ours = zero_shot_classifier(model, tokenizer, class_names, templates, batch_size=7)
    theirs = open_clip.build_zero_shot_classifier(
        model, tokenizer, class_names, templates, num_classes_per_batch=None
    )
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)


def test_estimator_matches_scipy_and_sklearn():
    rng = np.random.default_rng(0)
    weights = torch.nn.functional.normalize(torch.randn(8, 4), dim=0)
    image_features = torch.nn.functional.normalize(torch.randn(20, 8), dim=1)
    labels = rng.integers(0, 4, 20)
    clf = ZeroShotClassifier(weights=weights, logit_scale=50.0)
    logits = 50.0 * image_features.numpy() @ weights.numpy()
    np.testing.assert_allclose(
        clf.predict_proba(image_features), softmax(logits, axis=1), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(clf.predict(image_features.numpy()), logits.argmax(1))
    assert clf.score(image_features, torch.as_tensor(labels)) == pytest.approx(
        accuracy_score(labels, logits.argmax(1))
    )
    assert clf.logit_scale == 50.0 and clf.weights is weights  # hyperparameters stored as given


def test_estimator_fit_from_class_names(toy):
    model, tokenizer = toy
    templates = world.templates("zeroshot")
    class_names = ["red circle", "blue star"]
    clf = ZeroShotClassifier(model, tokenizer, templates).fit(class_names)
    torch.testing.assert_close(
        clf.weights_, zero_shot_classifier(model, tokenizer, class_names, templates)
    )
    assert clf.class_names_ == class_names and clf.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match="not fitted"):
        ZeroShotClassifier(model, tokenizer, templates).predict(torch.zeros(1, 64))
    with pytest.raises(ValueError, match="class names"):
        ZeroShotClassifier(weights=clf.weights_).fit(["only one"])


CB_TEMPLATES = ["a photo of a {c}.", "a drawing of a {c}.", "{c} texture."]  # CLIP_benchmark's form


@pytest.mark.parametrize("precision, amp, atol", [("fp32", False, 1e-6), ("bf16", True, 5e-3)])
def test_weights_equal_clip_benchmark_at_each_precision(toy, precision, amp, atol):
    """CLIP_benchmark's classifier runs under torch.autocast(device) when amp: bfloat16 on the CPU."""
    cb = pytest.importorskip("clip_benchmark.metrics.zeroshot_classification")
    model, tokenizer = toy
    names = ["cat", "dog", "aeroplane", "red circle"]
    templates = [t.replace("{c}", "{}") for t in CB_TEMPLATES]
    ours = zero_shot_classifier(model, tokenizer, names, templates, precision=precision)
    theirs = cb.zero_shot_classifier(model, tokenizer, names, CB_TEMPLATES, "cpu", amp=amp)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, theirs.float(), rtol=0, atol=atol)


def test_fp32_weights_are_bit_for_bit_the_per_template_path(toy):
    """The default on the CPU is float32, exactly prompts.template_classifiers + ensemble."""
    from zslkit.models.prompts import ensemble_classifier, template_classifiers

    model, tokenizer = toy
    names, templates = ["cat", "dog", "aeroplane"], ["a photo of a {}.", "{} texture."]
    expected = ensemble_classifier(template_classifiers(model, tokenizer, names, templates))
    for precision in ("auto", "fp32"):
        ours = zero_shot_classifier(model, tokenizer, names, templates, precision=precision)
        assert torch.equal(ours, expected)
    bf16 = ZeroShotClassifier(model, tokenizer, templates, precision="bf16").fit(names)
    assert bf16.precision == "bf16" and not torch.equal(bf16.weights_, expected)
    torch.testing.assert_close(
        bf16.weights_, zero_shot_classifier(model, tokenizer, names, templates, precision="bf16")
    )


def test_bad_precision_names_the_choices(toy):
    model, tokenizer = toy
    with pytest.raises(ValueError, match=r"precision='half' is not valid.*'fp32', 'bf16', 'fp16'"):
        zero_shot_classifier(model, tokenizer, ["cat"], ["a {}."], precision="half")
    with pytest.raises(ValueError, match=r"precision='fp16' needs device='cuda'"):
        ZeroShotClassifier(model, tokenizer, ["a {}."], precision="fp16").fit(["cat"])
