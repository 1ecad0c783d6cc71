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
