"""zslkit.lab.experiments against direct calls of toyclip.pretrain, numpy formulas and hand-worked cases."""

import math
from pathlib import Path

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
    assert set(losses.LOSSES) <= set(losses.LOSS_NAMES)
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


def test_collapsed_loss_of_named_variants():
    assert ex.collapsed_loss("cloob_b30", 64) == pytest.approx(math.log(63))
    assert ex.collapsed_loss("clip_fixed", 64) == pytest.approx(math.log(64))


def test_hopfield_probe_against_numpy():
    from scipy.special import logsumexp, softmax

    classes = world.load_split("default")["seen"]
    images, captions, _ = world.pretraining_set(6, classes, seed=4)
    model = ex.init_model(seed=2)
    out = ex.hopfield_probe(images, captions, beta=8.0, inv_tau=30.0, more_betas=[30.0])(model)
    tokenizer = open_clip.get_tokenizer(toyclip.MODEL_NAME)
    with torch.no_grad():
        f = toyclip.encode_images(model, images).double().numpy()
        g = model.encode_text(tokenizer(captions), normalize=True).double().numpy()
    for beta, key in ((8.0, "attention_entropy"), (30.0, "attention_entropy_b30")):
        h = []
        for q in (f, g):
            for m in (f, g):
                p = softmax(beta * q @ m.T, axis=1)
                h.append(-(p * np.log(p)).sum(1).mean())
        assert out[key] == pytest.approx(np.mean(h), rel=1e-4)
    s = 30.0 * f @ g.T
    off = ~np.eye(6, dtype=bool)
    rows = [logsumexp(s[i][off[i]]) - s[i, i] for i in range(6)]
    cols = [logsumexp(s[:, i][off[i]]) - s[i, i] for i in range(6)]
    assert out["probe_infoloob"] == pytest.approx((np.mean(rows) + np.mean(cols)) / 2, rel=1e-4)
    assert set(out) == {
        "probe_infoloob", "probe_cloob", "attention_entropy",
        "probe_cloob_b30", "attention_entropy_b30",
    }  # fmt: skip


def test_init_model_is_where_pretrain_starts():
    model = ex.init_model(seed=5)
    trained, _ = toyclip.pretrain(n_steps=1, batch_size=4, seed=5, lr=1e-8, log_every=1)
    # one step at lr 1e-8 moves the weights by ~1e-8 at most
    for p, q in zip(model.parameters(), trained.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0)


def test_seed_differences_against_scipy():
    from scipy import stats

    per = {"a": [0.5, 0.6, 0.7], "b": [0.4, 0.4, 0.6]}
    ci = ex.seed_differences(per, [("a", "b")])["a-b"]
    d = np.array([0.1, 0.2, 0.1])
    low, high = stats.t.interval(0.95, 2, loc=d.mean(), scale=stats.sem(d))
    assert (ci.estimate, ci.low, ci.high) == pytest.approx((d.mean(), low, high))
    with pytest.raises(ValueError, match="'c'"):
        ex.seed_differences(per, [("a", "c")])


def test_per_seed_reads_runs_in_seed_order():
    ref = {
        "losses": ["clip"],
        "config": {"seeds": [1, 0]},
        "runs": {
            "clip/seed0": {"all64": 0.2, "history": [{"step": 0, "h": 1.0}, {"step": 5, "h": 2.0}]},
            "clip/seed1": {"all64": 0.3, "history": [{"step": 0, "h": 3.0}, {"step": 5, "h": 4.0}]},
        },
    }
    assert ex.per_seed(ref, "all64") == {"clip": [0.3, 0.2]}
    assert ex.per_seed(ref, "init:h") == {"clip": [3.0, 1.0]}
    assert ex.per_seed(ref, "end:h") == {"clip": [4.0, 2.0]}
    with pytest.raises(ValueError, match="nope"):
        ex.per_seed(ref, "nope")


def _reference_script():
    import importlib.util

    path = Path(__file__).parents[1] / "scripts" / "contrastive_reference.py"
    spec = importlib.util.spec_from_file_location("contrastive_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_run_has_the_form_the_script_writes():
    script = _reference_script()
    ref = ex.load_reference()
    assert ref["config"] == script.CONFIG and ref["command"] == script.COMMAND
    assert ref["losses"] == script.LOSSES
    for key in ("date", "versions", "wall_time_s", "threads"):
        assert key in ref
    seeds = ref["config"]["seeds"]
    assert len(seeds) >= 3
    assert set(ref["runs"]) == {f"{n}/seed{s}" for n in script.LOSSES for s in seeds}
    for run in ref["runs"].values():
        assert 0 <= run["unseen16"] <= 1 and 0 <= run["all64"] <= 1
        assert run["history"][0]["step"] == 0
        assert run["history"][-1]["step"] == ref["config"]["n_steps"]
        for row in run["history"]:
            assert 0 <= row["attention_entropy"] <= math.log(ref["config"]["batch_size"]) + 1e-4


def test_notebook_figures_from_the_reference_run_are_in_it():
    """Every ref_* figure the notebook records is the t interval of the run's per-seed values."""
    from scipy import stats

    from zslkit.nbtools.figures import committed_figures

    ref = ex.load_reference()
    path = Path(__file__).parents[1] / "notebooks" / "26_contrastive_losses.ipynb"
    figures = committed_figures(path)
    names = [n for n in figures if n.startswith("ref_") and n.endswith("_ci_low")]
    assert names, "the notebook records no reference-run figure"
    for name in names:
        stem = name[len("ref_") : -len("_ci_low")]  # e.g. infoloob_vs_clip_fixed_all64
        pair, metric = stem.rsplit("_", 1)
        a, b = pair.split("_vs_")
        per = ex.per_seed(ref, metric)
        d = 100 * (np.array(per[a]) - np.array(per[b]))
        low = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))[0]
        assert figures[name][0] == pytest.approx(low if d.std() > 0 else d.mean(), abs=1e-6)
        assert figures[f"ref_{stem}"][0] == pytest.approx(d.mean(), abs=1e-6)


def test_the_reference_script_writes_that_form_on_a_tiny_run(tmp_path):
    script = _reference_script()
    out = tmp_path / "tiny.json"
    torch.set_num_threads(1)
    script.main(
        ["--out", str(out), "--losses", "clip,cloob_warm", "--seeds", "0,1", "--n-steps", "2"]
    )
    import json

    tiny = json.loads(out.read_text())
    assert set(tiny) == set(ex.load_reference())
    assert set(tiny["runs"]) == {"clip/seed0", "clip/seed1", "cloob_warm/seed0", "cloob_warm/seed1"}
