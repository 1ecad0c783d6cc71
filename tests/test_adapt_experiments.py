"""zslkit.adapt.experiments: the loops of the Part III notebooks against plain loops and hand-worked cases."""

import statistics

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score

from zslkit.adapt import experiments
from zslkit.adapt.adapters import GDA


def test_task_loader_passes_pocket_options_only_for_the_pocket(monkeypatch):
    calls = []
    monkeypatch.setattr(experiments, "few_shot_data", lambda *a, **kw: calls.append((a, kw)) or kw)
    pocket = ("noisy", 8, 4)
    experiments.task_loader("m", "p", "pocket", "", "cpu", 16, pocket)(2, 5)
    experiments.task_loader("m", "p", "eurosat", "/data", "cpu", 16, pocket)(2, 5)
    experiments.task_loader("m", "p", "eurosat", "", "cpu", 16, (None,) * 3, pocket_only=False)(
        1, 1
    )
    experiments.task_loader("m", "p", "eurosat", "", "cpu", 16, None, ("standard", "coop"))(1, 2)
    assert calls[0] == (
        ("m", "p", "pocket"),
        dict(
            n_shots=2,
            seed=5,
            root=None,
            device="cpu",
            batch_size=16,
            variant="noisy",
            pool_per_class=8,
            test_per_class=4,
            template_set="",
            name_set="",
        ),
    )
    assert calls[1][1] == dict(
        n_shots=2, seed=5, root="/data", device="cpu", batch_size=16, template_set="", name_set=""
    )
    assert calls[2][1]["variant"] is None and calls[2][1]["pool_per_class"] is None
    assert (calls[3][1]["template_set"], calls[3][1]["name_set"]) == ("standard", "coop")


class Counting:
    """A fake adapter: its score is the number of shots it was fitted on, over 100."""

    def __init__(self, offset=0.0):
        self.offset = offset

    def fit(
        self, train_features, train_labels, text_weights=None, val_features=None, val_labels=None
    ):
        self.n_ = len(train_labels)
        self.alpha_ = self.n_ + self.offset
        return self

    def score(self, features, labels):
        return self.n_ / 100 + self.offset


def fake_task(n_shots, seed, n_classes=3):
    y = torch.arange(n_classes).repeat_interleave(n_shots)
    return {
        "train_features": torch.zeros(len(y), 2),
        "train_labels": y,
        "val_features": torch.zeros(n_classes, 2),
        "val_labels": torch.arange(n_classes),
        "test_features": torch.zeros(1, 2),
        "test_labels": torch.zeros(1, dtype=torch.long),
    }


def test_few_shot_sweep_against_a_plain_loop():
    methods = {"a": Counting, "b": lambda: Counting(0.5)}
    sweep = experiments.few_shot_sweep(methods, fake_task, [1, 4], [7, 8], torch.zeros(2, 3))
    assert sweep["accuracy"] == {
        "a": {1: [0.03, 0.03], 4: [0.12, 0.12]},
        "b": {1: [0.53, 0.53], 4: [0.62, 0.62]},
    }
    assert sweep["chosen"]["b"][4] == [{"alpha_": 12.5}, {"alpha_": 12.5}]
    assert set(sweep["fitted"]) == {(m, k, s) for m in "ab" for k in (1, 4) for s in (7, 8)}
    assert set(sweep["seconds"]) == {"a", "b"}


def test_summarise_sweep_and_figure_key():
    summary = experiments.summarise_sweep({"GDA": {1: [0.5, 0.7], 4: [0.8, 0.8]}})
    mean, std = summary["GDA"][1]
    assert mean == pytest.approx(0.6) and std == pytest.approx(statistics.pstdev([0.5, 0.7]))
    assert summary["GDA"][4] == pytest.approx((0.8, 0.0))
    assert experiments.figure_key("Tip-Adapter-F") == "tip_adapter_f"
    assert experiments.figure_key("linear probe") == "linear_probe"


def test_gda_optimism_against_refits_at_each_alpha():
    rng = np.random.default_rng(0)
    n_classes, d = 3, 5
    centres = rng.standard_normal((n_classes, d))
    text = torch.tensor(centres.T / np.linalg.norm(centres, axis=1), dtype=torch.float32)

    def draw(n):
        y = np.repeat(np.arange(n_classes), n)
        x = centres[y] + rng.standard_normal((len(y), d))
        return torch.tensor(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=torch.float32), y

    (x, y), (xv, yv), (xt, yt) = draw(4), draw(2), draw(20)
    task = {"test_features": xt, "test_labels": torch.as_tensor(yt)}
    alphas = (0.01, 1.0, 10.0)
    gda = GDA(alphas=alphas, logit_scale=10.0).fit(x, y, text, xv, yv)
    optimism = experiments.gda_test_alpha_optimism(
        {("GDA", 2, 1): gda}, lambda k, s: task, [2], [1], text, 10.0
    )
    # the score at each alpha, by a GDA refitted with that alpha alone
    at_alpha = [
        GDA(alphas=(a,), logit_scale=10.0).fit(x, y, text, xv, yv).score(xt, yt) for a in alphas
    ]
    assert optimism[2] == pytest.approx(max(at_alpha) - gda.score(xt, yt), abs=1e-9)


def test_top1_against_sklearn():
    rng = np.random.default_rng(1)
    w, f = torch.randn(4, 3, generator=torch.Generator().manual_seed(0)), torch.randn(10, 4)
    labels = rng.integers(0, 3, 10)
    expected = accuracy_score(labels, (f.numpy() @ w.numpy()).argmax(1))
    assert experiments.top1(w, f, labels) == pytest.approx(expected)


class FakeLearner:
    """A fake prompt learner: two epochs, fixed classifier weights, a score that names its seed."""

    made = []

    def __init__(self, model, tokenizer, epochs=2, seed=0, callback=None, bonus=0.0, **options):
        self.epochs, self.seed, self.callback, self.bonus = epochs, seed, callback, bonus
        self.options, self.n_classes = options, None
        FakeLearner.made.append(self)

    def classifier_weights(self, names):
        return torch.eye(4)[:, : len(names)]

    def fit(self, features, labels, names, val_features=None, val_labels=None):
        self.n_train, self.max_label = len(labels), int(labels.max())
        for epoch in range(self.epochs):
            self.callback(self, epoch)
        return self

    def with_classes(self, names):
        return self

    def score(self, features, labels):
        return self.seed / 10 + self.bonus


def test_base_to_new_run_against_hand_worked_scores():
    eye = torch.eye(4)
    # base = classes 0, 1; new = classes 2, 3 (relabelled 0, 1); test features are one-hot
    test = {"base": (eye[:2], np.array([0, 1])), "new": (eye[2:], np.array([0, 0]))}
    names = {"base": ["a", "b"], "new": ["c", "d"]}
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    data = {
        s: {
            "train_features": torch.zeros(6, 4),
            "train_labels": labels,
            "val_features": torch.zeros(6, 4),
            "val_labels": labels,
        }
        for s in (1, 2)
    }
    zero_shot = {"zs": {"base": eye[:, :2], "new": eye[:, 2:4] @ torch.tensor([[0.0, 1], [1, 0]])}}
    FakeLearner.made = []
    run = experiments.base_to_new_run(
        None,
        None,
        data,
        [0, 1],
        names,
        test,
        zero_shot,
        {"L": (FakeLearner, {"bonus": 0.5})},
        {"epochs": 2, "lr": 0.1},
    )
    # zero-shot: base features e0, e1 -> classes 0, 1 (both right); new e2, e3 -> swapped: 1, 0
    assert run["scores"]["zs"] == {"base": [1.0, 1.0], "new": [0.5, 0.5]}
    assert run["scores"]["L"] == {"base": [0.6, 0.7], "new": [0.6, 0.7]}
    # the learner's classifier is eye[:, :2]: base right, new features e2, e3 score 0 -> class 0
    assert run["curves"]["L"] == [[[1.0, 1.0], [1.0, 1.0]]] * 2
    assert [m.n_train for m in FakeLearner.made] == [4, 4] and FakeLearner.made[0].max_label == 1
    assert FakeLearner.made[1].options == {"lr": 0.1} and run["fitted"]["L", 2].seed == 2


def test_base_to_new_table_against_statistics():
    table = experiments.base_to_new_table({"m": {"base": [0.6, 0.8], "new": [0.4, 0.5]}})["m"]
    b, n = 0.7, 0.45
    assert table["B"] == pytest.approx(b) and table["N"] == pytest.approx(n)
    assert table["B_std"] == pytest.approx(statistics.pstdev([0.6, 0.8]))
    assert table["N_std"] == pytest.approx(statistics.pstdev([0.4, 0.5]))
    assert table["H"] == pytest.approx(2 * b * n / (b + n))


def test_unlabelled_splits_render_the_pocket_task():
    pool, test_set = experiments.unlabelled_splits("pocket", "", None, "", 2, 1)
    assert len(pool) == 64 * 2 and len(test_set) == 64
    assert np.bincount(np.asarray(pool.labels)).tolist() == [2] * 64


def test_encode_unlabelled_keeps_a_seeded_subset():
    from zslkit.lab import toyclip

    model, preprocess, _ = toyclip.load(device="cpu")
    pool, test_set = experiments.unlabelled_splits("pocket", "", preprocess, "photo", 1, 1)
    encoded = experiments.encode_unlabelled(model, pool, test_set, 10, seed=3, batch_size=32)
    keep = np.sort(np.random.default_rng(3).choice(64, 10, replace=False))
    assert encoded["keep"].tolist() == keep.tolist()
    features, hidden = encoded["unlabelled"]
    assert features.shape[0] == 10 and hidden.tolist() == np.asarray(pool.labels)[keep].tolist()
    assert len(encoded["test"][1]) == 64


class FakeGrip:
    def __init__(self, history):
        self.history_ = history

    def score(self, features, labels):
        return 0.25


def test_pseudo_label_curve_rows():
    hidden = np.array([0, 1, 1, 2])
    curve, follow = experiments.pseudo_label_curve(hidden, None, None)
    step = {"k": 1, "indices": np.array([0, 2, 3]), "pseudo_labels": np.array([0, 0, 2])}
    follow(FakeGrip([step]), 1)
    assert curve == [
        {"k": 1, "labelled": 0.75, "pseudo_label_acc": pytest.approx(2 / 3), "test": 0.25}
    ]


def test_first_per_class_and_stack_images():
    labels = np.array([2, 0, 0, 1, 2, 0])
    assert experiments.first_per_class(labels, 3, 2).tolist() == [1, 2, 3, 0, 4]
    assert experiments.first_per_class(labels, 3, 0).tolist() == []
    dataset = [(torch.full((2,), float(i)), i) for i in range(4)]
    assert experiments.stack_images(dataset, np.array([3, 1])).tolist() == [[3.0, 3.0], [1.0, 1.0]]
    assert experiments.stack_images(dataset, np.array([], dtype=int)).numel() == 0


def test_tpt_subset_scores_hand_worked():
    class Tpt:
        last_info_ = [
            {"entropy_before": 1.0, "entropy_after": 0.5},
            {"entropy_before": 2.0, "entropy_after": 1.0},
        ]

    eye = torch.eye(3)
    features, labels = (
        eye[[0, 1, 2, 2]],
        np.array([0, 1, 1, 2]),
    )  # zero-shot: right, right, wrong, right
    tpt_pred = np.array([0, 2, 1, 2])  # right, wrong, right, right
    s = experiments.tpt_subset_scores(Tpt(), tpt_pred, eye, features, labels)
    assert s["tpt"] == 0.75 and s["zero_shot"] == 0.75 and s["entropy_drop"] == 0.75
    assert s["flips"] == {"fixed": 1, "broken": 1}
    empty = experiments.tpt_subset_scores(Tpt(), np.zeros(0, int), eye, eye[:0], np.zeros(0, int))
    assert np.isnan(empty["tpt"]) and np.isnan(empty["zero_shot"]) and empty["entropy_drop"] == 0.0


def test_part_classifiers_are_the_zero_shot_classifiers_of_each_part():
    from zslkit.lab import toyclip
    from zslkit.models.zeroshot import zero_shot_classifier

    model, _, tokenizer = toyclip.load(device="cpu")
    names = {"base": ["red circle", "red square"], "new": ["blue star"]}
    out = experiments.part_classifiers(model, tokenizer, names, ["a photo of a {}."])
    for part in names:
        expected = zero_shot_classifier(model, tokenizer, names[part], ["a photo of a {}."], "cpu")
        assert torch.allclose(out[part], expected)


def test_seed_differences_are_paired_t_intervals_over_draws():
    from scipy import stats as st

    accuracy = {
        "GDA": {16: [0.50, 0.52, 0.47]},
        "Tip-Adapter": {16: [0.45, 0.49, 0.46]},
    }
    out = experiments.seed_differences(accuracy, [("GDA", "Tip-Adapter")], [16])
    ci = out["gda_minus_tip_adapter_16shot"]
    d = np.array([0.05, 0.03, 0.01])  # worked by hand, draw by draw
    low, high = st.t.interval(0.95, 2, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(3))
    assert ci.estimate == pytest.approx(0.03)
    assert (ci.low, ci.high) == pytest.approx((low, high))
    with pytest.raises(ValueError, match="'CoOp'.*choose from"):
        experiments.seed_differences(accuracy, [("CoOp", "GDA")], [16])
    with pytest.raises(ValueError, match="n_shots=4"):
        experiments.seed_differences(accuracy, [("GDA", "Tip-Adapter")], [4])


def test_one_draw_gives_the_difference_without_an_interval():
    """A sweep's run of one seed: the gap of that draw, no bounds, recorded as None."""
    from zslkit.adapt import reports
    from zslkit.stats import intervals_as_figures

    accuracy = {"GDA": {4: [0.50]}, "Tip-Adapter": {4: [0.45]}}
    out = experiments.seed_differences(accuracy, [("GDA", "Tip-Adapter")], [4])
    ci = out["gda_minus_tip_adapter_4shot"]
    assert ci.estimate == pytest.approx(0.05) and np.isnan(ci.low) and np.isnan(ci.high)
    assert intervals_as_figures(out, scale=100) == {
        "gda_minus_tip_adapter_4shot": pytest.approx(5.0),
        "gda_minus_tip_adapter_4shot_ci_low": None,
        "gda_minus_tip_adapter_4shot_ci_high": None,
    }
    assert reports.differences_table(out) == (
        "gda_minus_tip_adapter_4shot  +5.0 (one draw: no interval)"
    )


def test_per_shot_figures_name_each_runs_figures_without_the_shot_count():
    import pandas as pd

    summary = pd.DataFrame(
        {
            "run": ["a", "b"],
            "param.shots": ["1", "16"],
            "param.seeds": ["1", "1"],
            "zero_shot_top1": [0.4, 0.4],
            "gda_top1_1shot": [0.41, None],
            "gda_top1_16shot": [None, 0.52],
            "gda_minus_zero_shot_16shot_ci_low": [None, None],
            "gda_minus_zero_shot_1shot": [1.0, None],
            "gda_minus_zero_shot_16shot": [None, 12.0],
        }
    )
    out = experiments.per_shot_figures(summary)
    assert list(out["param.shots"]) == [1, 16]
    assert list(out["zero_shot_top1"]) == [0.4, 0.4]
    assert list(out["gda_top1"]) == [0.41, 0.52]
    assert list(out["gda_minus_zero_shot"]) == [1.0, 12.0]
    assert "gda_minus_zero_shot_ci_low" not in out  # no bounds from a single draw
    with pytest.raises(ValueError, match="param.shots"):
        experiments.per_shot_figures(summary.drop(columns="param.shots"))


def test_stack_methods_and_sweep_against_run_on_a_hand_made_sweep():
    import pandas as pd
    from scipy import stats as st

    from zslkit.nbtools import sweep

    per_shot = pd.DataFrame(
        {
            "run": ["a", "b", "c"],
            "param.seeds": ["1", "2", "3"],
            "param.shots": [16, 16, 16],
            "gda_top1": [0.50, 0.52, 0.47],
            "tip_adapter_top1": [0.45, 0.49, 0.46],
        }
    )
    stacked = experiments.stack_methods(per_shot, ["gda", "tip_adapter"])
    assert list(stacked["param.method"]) == ["gda"] * 3 + ["tip_adapter"] * 3
    assert list(stacked["top1"]) == [0.50, 0.52, 0.47, 0.45, 0.49, 0.46]
    with pytest.raises(ValueError, match="'coop'"):
        experiments.stack_methods(per_shot, ["coop"])
    table = sweep.summary_table(per_shot, over="seeds")
    x = np.array([0.50, 0.52, 0.47])
    low, high = st.t.interval(0.95, 2, loc=x.mean(), scale=x.std(ddof=1) / np.sqrt(3))
    run = {"gda_top1_16shot": x.mean() + 0.001, "gda_top1_16shot_ci_low": low - 0.002}
    run["tip_adapter_top1_16shot"] = 0.4667
    gaps = experiments.sweep_against_run(table, run)
    assert gaps["n_means"] == 2 and gaps["n_bounds"] == 1
    assert gaps["max_mean_gap"] == pytest.approx(0.001)
    assert gaps["max_bound_gap"] == pytest.approx(0.002)
