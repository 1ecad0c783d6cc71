"""zslkit.lab.experiments against direct calls of toyclip.pretrain, numpy formulas and hand-worked cases."""

import math

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import open_clip
import pytest
import torch
from scipy.spatial.distance import pdist

from zslkit.data import world
from zslkit.lab import experiments as ex
from zslkit.lab import losses, toyclip
from zslkit.metrics import per_class_accuracy
from zslkit.models.zeroshot import zero_shot_classifier

STEPS, BATCH = 2, 8


def test_loss_names_cover_the_registered_losses():
    assert list(losses.LOSS_NAMES) == list(losses.LOSSES)
    assert losses.LOSS_NAMES["clip"] == "InfoNCE (CLIP)"


def test_collapsed_loss_by_hand():
    assert ex.collapsed_loss("clip", 64) == pytest.approx(math.log(64))
    assert ex.collapsed_loss("cwcl", 64) == pytest.approx(math.log(64))
    assert ex.collapsed_loss("infoloob", 64) == pytest.approx(math.log(63))
    assert ex.collapsed_loss("cloob", 8) == pytest.approx(math.log(7))


def test_pretrain_concept_models_equals_direct_pretraining():
    classes = world.load_split("default")["classes"][:4]
    images, _ = world.make_images(classes, 1, seed=5)
    assignments = [{"red": 1.0, "blue": 10.0}, {"red": 10.0, "blue": 1.0}]
    phrases = ["red shape", "blue shape"]
    torch.set_num_threads(1)
    predictions = ex.pretrain_concept_models(assignments, phrases, images, STEPS, BATCH, seed=3)
    toyclip.register()
    tokenizer = open_clip.get_tokenizer(toyclip.MODEL_NAME)
    for k, weights in enumerate(assignments):
        model, _ = toyclip.pretrain(
            n_steps=STEPS, batch_size=BATCH, seed=3 + k, concept_frequency=weights, log_every=STEPS
        )
        with torch.no_grad():
            f = toyclip.encode_images(model, images).numpy()
            w = zero_shot_classifier(model, tokenizer, phrases, world.templates("zeroshot")).numpy()
        np.testing.assert_array_equal(predictions[k], np.argmax(f @ w, axis=1))


@pytest.fixture(scope="module")
def runs():
    torch.set_num_threads(1)
    loss_functions = {"clip": losses.get_loss("clip"), "infoloob": losses.get_loss("infoloob")}
    return ex.pretrain_each(loss_functions, STEPS, BATCH, lr=1e-3, seed=1)


def test_pretrain_each_equals_direct_pretraining(runs, capsys):
    models, histories, seconds = runs
    assert list(models) == list(histories) == list(seconds) == ["clip", "infoloob"]
    assert all(s > 0 for s in seconds.values())
    model, history = toyclip.pretrain(
        n_steps=STEPS, batch_size=BATCH, lr=1e-3, seed=1, loss="infoloob", log_every=1
    )

    def drop_time(h):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in h]

    assert drop_time(histories["infoloob"]) == drop_time(history)
    for p, q in zip(models["infoloob"].parameters(), model.parameters()):
        torch.testing.assert_close(p, q)


def test_evaluate_runs_against_numpy(runs):
    models, histories, _ = runs
    split = world.load_split("default")
    classes = split["classes"]
    unseen_ids = np.array([classes.index(c) for c in split["unseen"]])
    test = world.make_images(classes, 1, seed=7)
    pairs = world.pretraining_set(16, classes, seed=2, off_palette=0.4)[:2]
    rows = ex.evaluate_runs(models, histories, test, pairs, unseen_ids, classes)
    tokenizer = open_clip.get_tokenizer(toyclip.MODEL_NAME)
    model = models["clip"]
    with torch.no_grad():
        x = toyclip.encode_images(model, test[0]).numpy()
        w = zero_shot_classifier(model, tokenizer, classes, world.templates("zeroshot")).numpy()
        f = toyclip.encode_images(model, pairs[0]).numpy()
        g = model.encode_text(tokenizer(pairs[1]), normalize=True).numpy()
    labels = test[1]
    unseen = np.isin(labels, unseen_ids)
    logits = x @ w
    row = rows["clip"]
    assert row["all64"] == pytest.approx(per_class_accuracy(labels, logits.argmax(1)))
    unseen_pred = unseen_ids[logits[unseen][:, unseen_ids].argmax(1)]
    assert row["unseen16"] == pytest.approx(per_class_accuracy(labels[unseen], unseen_pred))
    assert row["alignment"] == pytest.approx(np.mean(np.sum((f - g) ** 2, axis=1)), rel=1e-4)
    for key, e in (("uniformity_image", f), ("uniformity_text", g)):
        expected = np.log(np.mean(np.exp(-2 * pdist(e.astype(np.float64)) ** 2)))
        assert row[key] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert row["final_loss"] == histories["clip"][-1]["loss"]


def test_plot_training_draws_a_curve_and_a_point_per_loss():
    histories = {
        "clip": [{"step": 1, "loss": 3.0}, {"step": 2, "loss": 2.0}],
        "cloob": [{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}],
    }
    rows = {name: {"uniformity_image": -1.0, "alignment": 1.0, "all64": 0.1} for name in histories}
    fig = ex.plot_training(histories, rows, batch_size=8)
    assert isinstance(fig, matplotlib.figure.Figure)
    left, right = fig.axes
    assert len(left.lines) == 3 and len(right.collections) == 2
    np.testing.assert_allclose(left.lines[0].get_ydata(), [3 - math.log(8), 2 - math.log(8)])
    np.testing.assert_allclose(left.lines[1].get_ydata(), [1 - math.log(7), 0.5 - math.log(7)])
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert labels == ["InfoNCE (CLIP): 64-way top-1 0.10", "CLOOB: 64-way top-1 0.10"]
    plt.close(fig)
