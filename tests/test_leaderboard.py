"""zslkit.adapt.leaderboard against hand-worked results."""

import json
import statistics

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from zslkit.adapt.leaderboard import (
    Method,
    best_methods,
    format_table,
    leaders,
    load_reference,
    per_draw_accuracy,
    plot_leaderboard,
    run_leaderboard,
    summarise,
    table_records,
)

SHOTS = [1, 4]

# A hand-made result list: a label-free method, one at every shot count, one at 4 shots only.
RESULTS = [
    {"method": "ZPE", "kind": "zero-shot", "shots": 0, "seed": None, "top1": 0.65},
    {"method": "GDA", "kind": "training-free", "shots": 1, "seed": 1, "top1": 0.50},
    {"method": "GDA", "kind": "training-free", "shots": 1, "seed": 2, "top1": 0.70},
    {"method": "GDA", "kind": "training-free", "shots": 4, "seed": 1, "top1": 0.80},
    {"method": "GDA", "kind": "training-free", "shots": 4, "seed": 2, "top1": 0.80},
    {"method": "CoOp", "kind": "trained", "shots": 4, "seed": 1, "top1": 0.90},
    {"method": "CoOp", "kind": "trained", "shots": 4, "seed": 2, "top1": 0.84},
]


def test_mean_std_over_seeds():
    summary = summarise(RESULTS, SHOTS)
    mean, std, n = summary["GDA"]["cells"][1]
    assert n == 2 and mean == pytest.approx(0.6)
    assert std == pytest.approx(statistics.pstdev([0.5, 0.7]))  # population std, as numpy's default
    mean, std, _ = summary["CoOp"]["cells"][4]
    assert mean == pytest.approx(0.87) and std == pytest.approx(0.03)


def test_average_rule():
    summary = summarise(RESULTS, SHOTS)
    assert summary["GDA"]["mean_over_shots"] == pytest.approx((0.6 + 0.8) / 2)
    assert summary["CoOp"]["mean_over_shots"] is None  # missing the 1-shot column
    assert 1 not in summary["CoOp"]["cells"]
    zpe = summary["ZPE"]
    assert zpe["label_free"] and zpe["mean_over_shots"] == pytest.approx(0.65)
    assert zpe["cells"][1] == zpe["cells"][4] == (0.65, 0.0, 1)


def test_best_records_and_table():
    summary = summarise(RESULTS, SHOTS)
    assert best_methods(summary, SHOTS) == {1: "ZPE", 4: "CoOp"}
    records = table_records(summary, SHOTS)
    assert records == pytest.approx(
        {
            "zpe_top1": 0.65,
            "gda_top1_1shot": 0.6,
            "gda_top1_1shot_std": 0.1,
            "gda_top1_4shot": 0.8,
            "gda_top1_4shot_std": 0.0,
            "gda_top1_mean_over_shots": 0.7,
            "coop_top1_4shot": 0.87,
            "coop_top1_4shot_std": 0.03,
        }
    )
    table = format_table(summary, SHOTS, reference={"GDA": {"4": 0.75}})
    lines = table.splitlines()
    assert len(lines) == 4 and "paper" in lines[0]
    assert "0.600 ± 0.100" in lines[2] and "4 shots: 0.7500" in lines[2]
    assert lines[3].split()[-2:] == ["-", "-"]  # CoOp: no mean over shots, no paper number
    assert "paper" not in format_table(summary, SHOTS, reference={})


def test_run_leaderboard_loop():
    calls = []

    def load_task(n_shots, seed):
        calls.append((n_shots, seed))
        return {"n_shots": n_shots}

    methods = [
        Method("zs", "zero-shot", lambda task, seed: 0.5, shots=()),
        Method("all", "training-free", lambda task, seed: task["n_shots"] / 10 + seed / 100),
        Method("last", "trained", lambda task, seed: 0.9, shots=(4,)),
    ]
    results = run_leaderboard(methods, load_task, SHOTS, [1, 2])
    assert calls == [(1, 1), (1, 2), (4, 1), (4, 2)]
    by_method = {m.name: [r for r in results if r["method"] == m.name] for m in methods}
    assert [(r["shots"], r["seed"]) for r in by_method["zs"]] == [(0, None)]
    assert [r["top1"] for r in by_method["all"]] == pytest.approx([0.11, 0.12, 0.41, 0.42])
    assert [(r["shots"], r["seed"]) for r in by_method["last"]] == [(4, 1), (4, 2)]
    summary = summarise(results, SHOTS)
    assert summary["all"]["cells"][4][0] == pytest.approx(0.415)
    ax = plot_leaderboard(results, SHOTS)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["zs (no labels)"].get_linestyle() == "--"
    assert np.allclose(lines["all"].get_ydata(), [0.115, 0.415])
    assert np.allclose(lines["last"].get_xdata(), [4])
    with pytest.raises(ValueError, match="unique"):
        run_leaderboard(methods + methods[:1], load_task, SHOTS, [1])
    with pytest.raises(ValueError, match="kind"):
        Method("x", "magic", lambda task, seed: 0.0)


def test_reference_file(tmp_path):
    assert load_reference("RN50", "openai", "imagenet")["Tip-Adapter-F"] == {
        "16": pytest.approx(0.6551)
    }
    assert load_reference("ViT-B-16", "openai", "imagenet")["GDA"]["16"] == pytest.approx(0.7224)
    assert load_reference("toyclip", "", "pocket") == {}
    path = tmp_path / "ref.json"
    path.write_text(json.dumps({"numbers": {"A/b": {"d": {"m": {"1": 0.5}}}}}))
    assert load_reference("A", "b", "d", path=path) == {"m": {"1": 0.5}}


def _toy_task():
    import torch

    eye = torch.eye(3)
    return {
        "train_features": eye[[0, 1, 2, 0, 1, 2]],
        "train_labels": torch.tensor([0, 1, 2, 0, 1, 2]),
        "val_features": eye,
        "val_labels": torch.tensor([0, 1, 2]),
        "test_features": eye[[0, 1, 2, 2]],
        "test_labels": torch.tensor([0, 1, 2, 0]),
    }


def test_weights_score_and_zero_shot_rows():
    import torch

    from zslkit.adapt.leaderboard import weights_score, zero_shot_methods

    task = _toy_task()
    swap = torch.eye(3)[[1, 0, 2]]  # predicts 1, 0, 2, 2 for the test features
    assert weights_score(torch.eye(3))(task, 1) == pytest.approx(0.75)
    assert weights_score(swap)(task, 1) == pytest.approx(0.25)
    rows = zero_shot_methods({"one": torch.eye(3), "two": swap})
    assert [(m.name, m.kind, m.shots) for m in rows] == [
        ("one", "zero-shot", ()),
        ("two", "zero-shot", ()),
    ]


def test_adapter_rows_fit_on_the_shots():
    import torch

    from zslkit.adapt.adapters import ZeroShot
    from zslkit.adapt.leaderboard import adapter_methods, adapter_score

    task = _toy_task()
    # zero-shot with the identity classifier: test predictions 0, 1, 2, 2 against 0, 1, 2, 0
    assert adapter_score(ZeroShot, torch.eye(3))(task, 1) == pytest.approx(0.75)
    rows = adapter_methods(torch.eye(3), 10.0, 2, 0)
    assert [(m.name, m.kind, m.shots) for m in rows] == [
        ("linear probe", "trained", None),
        ("Tip-Adapter", "training-free", None),
        ("Tip-Adapter-F", "trained", None),
        ("GDA", "training-free", None),
    ]
    assert 0.0 <= rows[3].score(task, 1) <= 1.0


def test_learner_rows_get_their_seed_and_options():
    from zslkit.adapt.leaderboard import learner_score, prompt_learner_methods

    seen = []

    class Fake:
        def __init__(self, model, tokenizer, seed=0, **options):
            seen.append((model, tokenizer, seed, options))

        def fit(self, features, labels, class_names, val_features=None, val_labels=None):
            seen.append(list(class_names))

        def score(self, features, labels):
            return 0.5

    assert learner_score(Fake, "m", "t", ["a"], {"epochs": 3})(_toy_task(), 7) == 0.5
    assert seen == [("m", "t", 7, {"epochs": 3}), ["a"]]
    rows = prompt_learner_methods(["PRE", "CoOp"], [4, 16], "m", "t", ["a"], {})
    assert [(m.name, m.kind, m.shots) for m in rows] == [
        ("PRE", "trained", (4, 16)),
        ("CoOp", "trained", (4, 16)),
    ]


def test_gains_and_best_rows_hand_worked():
    from zslkit.adapt.leaderboard import best_label_free, best_of_kind, gains_over

    summary = summarise(RESULTS, SHOTS)
    gains = gains_over(summary, SHOTS, 0.65)
    assert gains["GDA"] == pytest.approx({1: 100 * (0.6 - 0.65), 4: 100 * (0.8 - 0.65)})
    assert gains["CoOp"] == pytest.approx({4: 100 * (0.87 - 0.65)}) and "ZPE" not in gains
    assert best_of_kind(summary, "trained", 4) == "CoOp"
    assert best_of_kind(summary, "training-free", 1) == "GDA"
    assert best_label_free(summary) == "ZPE"


def test_leaders_compare_the_best_with_every_method_draw_by_draw():
    from scipy import stats as st

    results = [
        {"method": "ensemble", "kind": "zero-shot", "shots": 0, "seed": None, "top1": 0.40},
        {"method": "ZPE", "kind": "transductive", "shots": 0, "seed": None, "top1": 0.39},
    ]
    for seed, (a, b) in zip((1, 2, 3), ((0.50, 0.44), (0.52, 0.50), (0.48, 0.41))):
        results.append(
            {"method": "GDA", "kind": "training-free", "shots": 4, "seed": seed, "top1": a}
        )
        results.append(
            {"method": "Tip", "kind": "training-free", "shots": 4, "seed": seed, "top1": b}
        )
    summary = summarise(results, [4])
    accuracy = per_draw_accuracy(results, [4], [1, 2, 3])
    assert accuracy["ensemble"][4] == [0.40, 0.40, 0.40]
    assert accuracy["Tip"][4] == [0.44, 0.50, 0.41]
    out = leaders(summary, accuracy, [4])[4]
    assert out["leader"] == "GDA"
    d = np.array([0.06, 0.02, 0.07])  # GDA - Tip, by hand
    low, high = st.t.interval(0.95, 2, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(3))
    assert (out["intervals"]["Tip"].low, out["intervals"]["Tip"].high) == pytest.approx((low, high))
    assert low < 0 and out["ties"] == ["Tip"]  # 0.05 +- 4.30 x 0.015: spans zero
    # GDA minus the label-free ensemble: 0.10, 0.12, 0.08, an interval above zero
    assert out["intervals"]["ensemble"].low > 0 and "ensemble" not in out["ties"]
