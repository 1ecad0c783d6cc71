"""zslkit.adapt.continual against direct formulas and a hand-made toy batch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import rel_entr, softmax

from zslkit.adapt import continual
from zslkit.data import world
from zslkit.lab import toyclip


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _kl_rows(teacher: np.ndarray, student: np.ndarray) -> float:
    """mean over rows of KL(softmax(teacher row) || softmax(student row)), with scipy."""
    return float(rel_entr(softmax(teacher, axis=1), softmax(student, axis=1)).sum(axis=1).mean())


def test_distillation_loss_is_kl_between_softmaxed_similarity_rows():
    rng = np.random.default_rng(0)
    student, teacher, text = (_unit(rng.normal(size=(5, 4))) for _ in range(3))
    scale = 10.0
    s_s, s_t = scale * student @ text.T, scale * teacher @ text.T
    got_rows = continual.distillation_loss(
        *(torch.tensor(a) for a in (student, teacher, text)), scale, both_directions=False
    )
    assert got_rows.item() == pytest.approx(_kl_rows(s_t, s_s), rel=1e-6)
    got_both = continual.distillation_loss(
        *(torch.tensor(a) for a in (student, teacher, text)), scale
    )
    assert got_both.item() == pytest.approx(
        0.5 * (_kl_rows(s_t, s_s) + _kl_rows(s_t.T, s_s.T)), rel=1e-6
    )
    same = continual.distillation_loss(*(torch.tensor(a) for a in (teacher, teacher, text)), scale)
    assert same.item() == pytest.approx(0.0, abs=1e-7)


def test_distillation_gradient_flows_to_student_only():
    student = F.normalize(torch.randn(3, 4), dim=1).requires_grad_(True)
    teacher = F.normalize(torch.randn(3, 4), dim=1).requires_grad_(True)
    text = F.normalize(torch.randn(3, 4), dim=1)
    continual.distillation_loss(student, teacher, text).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_weight_averaging_matches_manual_state_dict_average():
    torch.manual_seed(0)
    nets = [torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2)) for _ in range(3)]
    sds = [n.state_dict() for n in nets]
    got = continual.average_state_dicts(sds)
    weighted = continual.average_state_dicts(sds, [1, 2, 1])
    for key in sds[0]:
        torch.testing.assert_close(got[key], (sds[0][key] + sds[1][key] + sds[2][key]) / 3)
        torch.testing.assert_close(
            weighted[key], 0.25 * sds[0][key] + 0.5 * sds[1][key] + 0.25 * sds[2][key]
        )
    wise = continual.interpolate_state_dicts(sds[0], sds[1], 0.3)
    for key in sds[0]:
        torch.testing.assert_close(wise[key], 0.7 * sds[0][key] + 0.3 * sds[1][key])
    ints = [{"n": torch.tensor(4), "w": torch.ones(2)}, {"n": torch.tensor(9), "w": torch.zeros(2)}]
    assert continual.average_state_dicts(ints)["n"].item() == 4


def test_average_state_dicts_rejects_bad_weights():
    sd = {"w": torch.ones(2)}
    with pytest.raises(ValueError, match="weights"):
        continual.average_state_dicts([sd, sd], [1.0])
    with pytest.raises(ValueError, match="method"):
        continual.continual_finetune(torch.nn.Linear(1, 1), [], [], method="ewc")


def test_one_finetune_step_changes_weights_and_lowers_task_loss():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)  # random init: fast and independent of the checkpoint
    model.train()
    names = world.class_names()[:4]
    images, labels = world.make_images(names, 4, variant="background", seed=0)
    pixels, labels = toyclip.to_tensor(images, model), torch.from_numpy(labels)
    classifier = continual.task_classifiers(model, tokenizer, [{"class_names": names}])[0]
    before = {k: v.clone() for k, v in model.visual.state_dict().items()}
    text_before = {k: v.clone() for k, v in model.transformer.state_dict().items()}
    with torch.no_grad():
        loss_before = F.cross_entropy(
            10.0 * model.encode_image(pixels, normalize=True) @ classifier, labels
        )
    optimizer = torch.optim.SGD(model.visual.parameters(), lr=0.05)
    out = continual.finetune_step(model, optimizer, pixels, labels, classifier, logit_scale=10.0)
    assert out["task"] == pytest.approx(loss_before.item(), rel=1e-5)
    with torch.no_grad():
        loss_after = continual.task_loss(model, pixels, labels, classifier, logit_scale=10.0)
    assert loss_after.item() < loss_before.item()
    assert any(not torch.equal(before[k], v) for k, v in model.visual.state_dict().items())
    assert all(torch.equal(text_before[k], v) for k, v in model.transformer.state_dict().items())


def test_colour_groups_partition_the_classes():
    groups = continual.colour_groups(4)
    assert [len(g) for g in groups] == [16] * 4
    assert sorted(sum(groups, [])) == sorted(world.class_names())
    assert {world.class_attributes(c)["colour"] for c in groups[0]} == {"red", "orange"}
    with pytest.raises(ValueError, match="n_tasks"):
        continual.colour_groups(3)


def test_task_labels_name_the_colours_in_palette_order():
    tasks = [{"class_names": g} for g in continual.colour_groups(4)]
    tasks.append({"class_names": ["white circle", "red square"]})  # palette order, not list order
    assert continual.task_labels(tasks) == [
        "red + orange",
        "yellow + green",
        "cyan + blue",
        "purple + white",
        "red + white",
    ]


def test_evaluator_against_per_class_accuracy_by_hand():
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)
    names = world.class_names()[:3]
    tasks = [
        {
            "test_images": world.make_images(names, 2, variant="photo", seed=s)[0],
            "test_labels": np.repeat(np.arange(3), 2),
        }
        for s in (0, 1)
    ]
    classifiers = continual.task_classifiers(model, tokenizer, [{"class_names": names}] * 2)
    heldout_images, heldout_labels = world.make_images(names, 2, variant="sketch", seed=2)
    evaluate = continual.evaluator(
        tasks, classifiers, heldout_images, heldout_labels, classifiers[0]
    )

    def by_hand(images, labels, w):  # mean over classes of the per-class top-1
        model.eval()
        with torch.no_grad():
            f = model.encode_image(toyclip.to_tensor(images, model), normalize=True)
        pred = (f @ w).argmax(1).numpy()
        return np.mean([np.mean(pred[labels == c] == c) for c in np.unique(labels)])

    out = evaluate(model, 1)
    expected = [by_hand(t["test_images"], t["test_labels"], w) for t, w in zip(tasks, classifiers)]
    assert out["per_task"] == pytest.approx(expected, abs=1e-6)
    assert out["heldout"] == pytest.approx(
        by_hand(heldout_images, heldout_labels, classifiers[0]), abs=1e-6
    )
    assert out["learned"] == pytest.approx(expected[0], abs=1e-6)
    assert np.isnan(evaluate(model, 0)["learned"])
    assert evaluate(model, 2)["learned"] == pytest.approx(np.mean(expected), abs=1e-6)


def test_evaluator_heldout_groups_restrict_the_images_not_the_classes():
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)
    names = world.class_names()[:4]
    images, labels = world.make_images(names, 3, variant="photo", seed=3)
    w = continual.task_classifiers(model, tokenizer, [{"class_names": names}])[0]
    evaluate = continual.evaluator([], [], images, labels, w, {"two": [1, 3]})
    out = evaluate(model, 0)
    with torch.no_grad():
        f = model.encode_image(toyclip.to_tensor(images, model), normalize=True)
    pred = (f @ w).argmax(1).numpy()  # 4-way predictions, then the images of 1 and 3
    by_hand = np.mean([np.mean(pred[labels == c] == c) for c in (1, 3)])
    assert out["heldout_two"] == pytest.approx(by_hand, abs=1e-9)
    with pytest.raises(ValueError, match="heldout_groups"):
        continual.evaluator([], [], images, labels, w, {"none": [7]})


def test_reference_set_from_the_web_names_only_seen_classes():
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)
    split = world.load_split("default")
    ref = continual.reference_set(model, tokenizer, n=600, seed=5, corpus="web")
    assert len(ref["captions"]) == 600 and ref["images"].shape == (600, 3, 32, 32)
    assert set(ref["classes"]) <= set(split["seen"])
    assert not set(ref["classes"]) & set(split["unseen"])
    assert len(ref["classes"]) == len(split["seen"])  # 600 draws cover all 48
    norms = ref["text_features"].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))
    # the web corpus has sketches and noisy images; ToyCLIP 1's corpus does not
    assert any("sketch" in c or "doodle" in c for c in ref["captions"])
    with pytest.raises(ValueError, match="corpus"):
        continual.reference_set(model, tokenizer, n=4, corpus="laion")


def test_finetune_step_with_reference_equals_the_two_losses_computed_apart():
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)
    model.train()
    names = world.class_names()[:3]
    images, labels = world.make_images(names, 2, variant="background", seed=0)
    pixels, labels = toyclip.to_tensor(images, model), torch.from_numpy(labels)
    w = continual.task_classifiers(model, tokenizer, [{"class_names": names}])[0]
    ref_images = toyclip.to_tensor(world.make_images(names, 2, seed=1)[0], model)
    teacher = F.normalize(torch.randn(6, 64), dim=1)
    text = F.normalize(torch.randn(6, 64), dim=1)
    with torch.no_grad():  # apart: two encoder calls, scipy-checked losses
        task = continual.task_loss(model, pixels, labels, w, logit_scale=7.0)
        student = model.encode_image(ref_images, normalize=True)
        distill = continual.distillation_loss(student, teacher, text, 7.0)
    optimizer = torch.optim.SGD(model.visual.parameters(), lr=0.0)
    out = continual.finetune_step(
        model, optimizer, pixels, labels, w, 7.0, (ref_images, teacher, text), 0.5
    )
    assert out["task"] == pytest.approx(task.item(), rel=1e-5)
    assert out["distill"] == pytest.approx(distill.item(), rel=1e-5)


def _tiny_setup():
    torch.manual_seed(0)
    model, _, tokenizer = toyclip.load(None)
    names = world.class_names()[:4]
    groups = [names[:2], names[2:]]
    classifiers = continual.task_classifiers(model, tokenizer, [{"class_names": g} for g in groups])
    images, labels = world.make_images(names, 2, variant="photo", seed=9)
    w = continual.task_classifiers(model, tokenizer, [{"class_names": names}])[0]
    heldout = {"images": images, "labels": labels, "classifier": w, "groups": {"b": [2, 3]}}
    return model, tokenizer, groups, classifiers, heldout


def test_own_temperature_and_eval_at():
    model, tokenizer, groups, classifiers, heldout = _tiny_setup()
    tasks = continual.make_tasks(groups, "background", 2, 1, seed=0)
    evaluate = continual.evaluator(
        tasks, classifiers, heldout["images"], heldout["labels"], heldout["classifier"]
    )
    own = float(model.logit_scale.detach().exp())
    kwargs = dict(n_steps=2, batch_size=4, lr=1e-3, seed=0, eval_fn=evaluate)
    _, default = continual.continual_finetune(model, tasks, classifiers, **kwargs)
    _, explicit = continual.continual_finetune(model, tasks, classifiers, logit_scale=own, **kwargs)
    _, at_100 = continual.continual_finetune(model, tasks, classifiers, logit_scale=100.0, **kwargs)
    assert [r["task_loss"] for r in default][1:] == [r["task_loss"] for r in explicit][1:]
    assert default[1]["task_loss"] != pytest.approx(at_100[1]["task_loss"])
    _, sparse = continual.continual_finetune(model, tasks, classifiers, eval_at=[2], **kwargs)
    assert "heldout" not in sparse[0] and "heldout" not in sparse[1]
    assert sparse[2]["heldout"] == pytest.approx(default[2]["heldout"])
    reference = continual.reference_set(model, tokenizer, n=8, seed=1)
    _, averaging = continual.continual_finetune(
        model,
        tasks,
        classifiers,
        method="zscl",
        reference=reference,
        distill_weight=0.0,
        average_every=1,
        **kwargs,
    )
    assert np.isnan(averaging[1]["distill_loss"])  # no reference forward at all


def test_continual_sweep_pairs_the_methods_on_each_seed():
    model, tokenizer, groups, classifiers, heldout = _tiny_setup()
    training = dict(n_steps=2, batch_size=4, lr=1e-3, reference_batch_size=4)
    sizes = dict(n_train_per_class=2, n_test_per_class=1, reference_size=8)
    out = continual.continual_sweep(
        model, tokenizer, groups, classifiers, heldout, [3, 4], **sizes, **training
    )
    assert list(out["histories"]) == list(continual.ABLATIONS)
    assert all(len(h) == 2 for h in out["histories"].values())
    assert "heldout" in out["histories"]["plain"][0][1]  # full history: first seed
    assert "heldout" not in out["histories"]["plain"][1][1]  # later seeds: the end
    # the plain run of seed 4, redone by hand from its own tasks
    tasks = continual.make_tasks(groups, "background", 2, 1, seed=4)
    evaluate = continual.evaluator(
        tasks,
        classifiers,
        heldout["images"],
        heldout["labels"],
        heldout["classifier"],
        heldout["groups"],
    )
    _, by_hand = continual.continual_finetune(
        model, tasks, classifiers, seed=4, eval_fn=evaluate, n_steps=2, batch_size=4, lr=1e-3
    )
    got = out["histories"]["plain"][1][-1]
    assert got["heldout_b"] == pytest.approx(by_hand[-1]["heldout_b"])
    assert got["per_task"] == pytest.approx(by_hand[-1]["per_task"])
    assert out["zero_shot"][1]["learned"] == pytest.approx(np.mean(evaluate(model, 2)["per_task"]))


def test_final_differences_is_a_paired_t_interval():
    from scipy import stats

    def run(values):
        return [[{"heldout": v}] for v in values]

    histories = {"a": run([0.8, 0.7, 0.9]), "b": run([0.6, 0.65, 0.7])}
    zero_shot = [{"heldout": 0.75}, {"heldout": 0.7}, {"heldout": 0.8}]
    out = continual.final_differences(
        histories, [("a", "b"), ("b", "zero-shot")], ["heldout"], zero_shot
    )
    d = np.array([0.2, 0.05, 0.2])
    low, high = stats.t.interval(0.95, 2, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(3))
    ci = out["a_minus_b_heldout"]
    assert (ci.estimate, ci.low, ci.high) == pytest.approx((d.mean(), low, high))
    assert out["b_minus_zero_shot_heldout"].estimate == pytest.approx(np.mean([-0.15, -0.05, -0.1]))
    with pytest.raises(ValueError, match="method"):
        continual.final_differences(histories, [("a", "c")])
    with pytest.raises(ValueError, match="zero_shot"):
        continual.final_differences(histories, [("a", "zero-shot")])
