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
        reports.protocol_summary("pocket", "", "noisy", 32, 32)
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
