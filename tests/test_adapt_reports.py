"""zslkit.adapt.reports: the printed tables of the Part III notebooks, against hand-written text."""

import numpy as np
import torch

from zslkit.adapt import reports
from zslkit.adapt.protocols import POCKET_TASK


def test_task_and_protocol_summaries():
    task = {"class_names": ["a", "b"], "test_labels": [0, 1, 1]}
    line = reports.task_summary("pocket", task, torch.zeros(2, 8), 2.4)
    assert line == "pocket: 2 classes, 3 test images; text classifier (2, 8); features in 2 s"
    assert (
        reports.protocol_summary("pocket", "", "background", 32, 32)
        == f"Part III pocket task: {POCKET_TASK}"
    )
    assert reports.protocol_summary("pocket", "", "photo", 8, 32).splitlines()[1] == (
        "this run departs from it: variant photo, pool 8, test 32 per class"
    )
    assert "\n" not in reports.protocol_summary("pocket", "", "photo", 8, 32, departures=False)
    assert (
        reports.protocol_summary("eurosat", "/d", "noisy", 32, 32) == "dataset 'eurosat' from '/d'"
    )


def test_shots_table():
    text = reports.shots_table({"GDA": {1: (0.5, 0.01), 2: (0.625, 0.0)}}, [1, 2])
    assert text.splitlines() == [
        "method                  1 shot        2 shots",
        "GDA                0.500 ± 0.010    0.625 ± 0.000",
    ]


def test_chosen_table_medians():
    chosen = {
        "linear probe": {1: [{"C_": 1.0}, {"C_": 10.0}, {"C_": 0.1}]},
        "Tip-Adapter": {1: [{"alpha_": 1.0, "beta_": 2.0}] * 3},
        "Tip-Adapter-F": {1: [{"alpha_": 3.0, "beta_": 4.0}] * 3},
        "GDA": {1: [{"alpha_": 0.5}, {"alpha_": 1.5}]},
    }
    lines = reports.chosen_table(chosen, [1]).splitlines()
    assert lines[0] == "linear probe       C (median over seeds) at [1] shots: 1"
    assert lines[2] == "Tip-Adapter     beta (median over seeds) at [1] shots: 2"
    assert lines[-1] == "GDA            alpha (median over seeds) at [1] shots: 1"
    assert len(lines) == 6


def test_base_to_new_summary_and_text():
    names = {"base": ["a", "b"], "new": ["c"]}
    test = {"base": (None, [0, 1, 1]), "new": (None, [0])}
    assert reports.base_to_new_summary("pocket", names, test, 16, [1, 2]).splitlines() == [
        "pocket: 3 classes, 2 base and 1 new; 16 shots per base class, seeds [1, 2]",
        "test images: 3 of base classes, 1 of new classes",
        "base: a, b ...",
        "new:  c ...",
    ]
    row = {"B": 0.7, "B_std": 0.01, "N": 0.5, "N_std": 0.02, "H": 0.58333}
    assert reports.base_to_new_text({"CoOp": row}).splitlines() == [
        "method                        base B           new N       H",
        "CoOp                    0.700 ± 0.010    0.500 ± 0.020   0.583",
    ]


def test_pseudo_label_rounds():
    curve = [{"k": 7, "labelled": 0.216, "pseudo_label_acc": 0.862, "test": 0.654}]
    assert reports.pseudo_label_rounds(curve).splitlines() == [
        "round  k   labelled  pseudo-label acc  test acc",
        "    1   7   0.216      0.862          0.654",
    ]


def test_continual_table_and_forgetting_summary():
    history = [
        {"after_task": 0, "heldout": 0.9, "learned": float("nan"), "per_task": [0.5, 0.4]},
        {"after_task": 1, "heldout": 0.8, "learned": 0.7, "per_task": [0.7, 0.4]},
    ]
    lines = reports.continual_table({"plain": history}, ["red", "blue"]).splitlines()
    assert lines[0] == "plain"
    assert (
        lines[1] == "  after task       held-out  learned   " + " " * 13 + "red" + " " * 13 + "blue"
    )
    assert (
        lines[2] == "  zero-shot           0.900        -   " + "           0.500            0.400"
    )
    assert (
        lines[3] == "  red                 0.800    0.700   " + "           0.700            0.400"
    )
    summary = reports.forgetting_summary(
        {"plain": 0.1, "ZSCL": 0.02}, {"plain": 0.7, "ZSCL": 0.75}, [0.5, 0.4], 2
    ).splitlines()
    assert summary == [
        "held-out zero-shot drop after 2 tasks: plain 0.100, ZSCL 0.020",
        f"mean accuracy on the learned tasks at the end: plain 0.700, ZSCL 0.750 (zero-shot {np.mean([0.5, 0.4]):.3f})",
        "ZSCL forgets less zero-shot accuracy than plain fine-tuning: True",
    ]


def test_differences_table_calls_an_interval_spanning_zero_a_tie():
    from zslkit.stats import Interval

    table = reports.differences_table(
        {
            "a_minus_b": Interval(0.02, -0.01, 0.05, 0.95, "t"),
            "c_minus_d": Interval(0.03, 0.01, 0.05, 0.95, "t"),
            "e_minus_f": Interval(-0.03, -0.05, -0.01, 0.95, "t"),
        }
    )
    assert table.splitlines() == [
        "a_minus_b  +2.0 [ -1.0,  +5.0] tie",
        "c_minus_d  +3.0 [ +1.0,  +5.0] above",
        "e_minus_f  -3.0 [ -5.0,  -1.0] below",
    ]


def test_paper_adapter_table_prints_the_papers_numbers_in_percent():
    lines = reports.paper_adapter_table().splitlines()
    assert lines[0].split() == ["backbone", "zero-shot", "Tip-Adapter", "Tip-Adapter-F", "GDA"]
    # Tip-Adapter-F's 65.51 is the number its authors' README states
    assert lines[1].split() == ["RN50", "60.32", "62.01", "65.51", "63.82"]
    assert lines[2].split() == ["ViT-B/32", "-", "-", "-", "67.00"]


def test_paper_base_to_new_table_prints_the_collected_means_in_percent():
    lines = reports.paper_base_to_new_table().splitlines()
    # the README of muzairkhattak/multimodal-prompt-learning: CoOp 82.69 / 63.22 / 71.66
    assert lines[2].split()[-3:] == ["82.69", "63.22", "71.66"]
    assert lines[1].split()[-3:] == ["69.34", "74.22", "71.70"]
    assert lines[3].split()[-3:] == ["80.47", "71.69", "75.83"]
    # PRE's abstract: +5.60 points on new classes, +3 points of H over CoOp
    assert lines[4].endswith("N +5.60, H +3.00 points")


def test_paper_grip_table_keeps_the_no_label_and_transductive_columns_apart():
    lines = reports.paper_grip_table().splitlines()
    assert lines[0].split()[2:] == "UL CLIP UL GRIP TRZSL CLIP TRZSL GRIP".split()
    # GRIP's README, textual prompts: EuroSAT UL 32.9 -> 57.2, TRZSL 30.5 -> 92.3
    assert lines[1].split() == ["EuroSAT", "32.9", "57.2", "30.5", "92.3"]
    assert lines[2].split() == ["Flowers102", "63.7", "69.8", "63.4", "86.3"]
    assert lines[3].split() == ["DTD", "43.2", "46.1", "43.4", "65.3"]
