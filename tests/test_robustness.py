"""Chapter 24's domain-shift measurements against independent computations."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from zslkit.vlm import robustness
from zslkit.vlm.experiments import METHODS

SCRIPT = Path(__file__).parents[1] / "scripts" / "domain_shift_trend.py"


def test_class_correct_counts_match_a_confusion_matrix():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    labels, pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    expected = np.diag(confusion_matrix(labels, pred, labels=range(5)))
    assert robustness.class_correct_counts(labels, pred, 5).tolist() == expected.tolist()
    with pytest.raises(ValueError, match="shape"):
        robustness.class_correct_counts(labels, pred[:3], 5)


def test_domain_drop_is_the_difference_of_per_class_means():
    labels = np.repeat(np.arange(4), 10)
    home = labels.copy()  # all right
    away = labels.copy()
    away[::2] = (labels[::2] + 1) % 4  # half wrong in every class
    drop = robustness.domain_drop(labels, home, labels, away, 4, n_resamples=200)
    assert drop.estimate == pytest.approx(0.5)
    assert drop.low == pytest.approx(0.5) and drop.high == pytest.approx(0.5)


def test_fit_trend_matches_scipy_linregress_on_logits():
    x = np.array([0.2, 0.4, 0.6, 0.8, 0.9])
    y = np.array([0.05, 0.12, 0.2, 0.35, 0.5])
    slope, intercept = robustness.fit_trend(x, y)
    ref = stats.linregress(special.logit(x), special.logit(y))
    assert slope == pytest.approx(ref.slope) and intercept == pytest.approx(ref.intercept)
    assert robustness.trend_prediction(0.6, slope, intercept) == pytest.approx(
        special.expit(ref.slope * special.logit(0.6) + ref.intercept)
    )
    with pytest.raises(ValueError, match="spread"):
        robustness.fit_trend([0.5, 0.5], [0.2, 0.3])


def _counts(id_acc, ood_by_method, n_classes=20, n=50):
    """Per-class counts whose per-class accuracies are all equal to the given ones."""
    return {
        f"m{i}": {
            "photo": {k: [round(id_acc[i] * n)] * n_classes for k in ood_by_method},
            "background": {k: [round(v[i] * n)] * n_classes for k, v in ood_by_method.items()},
        }
        for i in range(len(id_acc))
    }


def test_effective_robustness_is_the_mean_residual_from_the_baseline_trend():
    id_acc = np.array([0.2, 0.4, 0.6, 0.8])
    base = special.expit(0.8 * special.logit(id_acc) - 1.0)
    base = np.round(base * 50) / 50  # what counts out of 50 can express
    shifted = np.clip(base + 0.1, 0, 1)
    counts = _counts(id_acc, {"one prompt": base, "ensemble": shifted})
    out = robustness.effective_robustness(
        counts, 50, methods=["one prompt", "ensemble"], n_resamples=200
    )
    fit = stats.linregress(special.logit(id_acc), special.logit(base))
    expected = np.mean(shifted - special.expit(fit.slope * special.logit(id_acc) + fit.intercept))
    assert out["ensemble"].estimate == pytest.approx(expected)
    # all classes are alike, so every resample gives the same value
    assert out["ensemble"].low == pytest.approx(expected)
    assert abs(out["one prompt"].estimate) < 0.01
    with pytest.raises(ValueError, match="ood_domain"):
        robustness.effective_robustness(counts, 50, ood_domain="sketch")
    with pytest.raises(ValueError, match="method"):
        robustness.effective_robustness(counts, 50, methods=["prompt soup"])


def test_effective_robustness_interval_covers_a_noisy_truth():
    rng = np.random.default_rng(1)
    id_acc = np.array([0.3, 0.5, 0.7, 0.9])
    counts = {}
    for i, a in enumerate(id_acc):
        b = special.expit(special.logit(a) - 1.0)
        counts[f"m{i}"] = {
            "photo": {k: rng.binomial(50, a, 64).tolist() for k in ("one prompt", "ZPE")},
            "background": {k: rng.binomial(50, b, 64).tolist() for k in ("one prompt", "ZPE")},
        }
    er = robustness.effective_robustness(counts, 50, methods=["ZPE"], n_resamples=500)["ZPE"]
    assert er.low < 0 < er.high  # ZPE is drawn from the same trend


def _load_script():
    spec = importlib.util.spec_from_file_location("domain_shift_trend", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_trend_run_has_the_form_the_script_writes():
    script = _load_script()
    run = robustness.load_trend_run()
    assert run["config"] == script.CONFIG and run["command"] == script.COMMAND
    config = run["config"]
    names = [f"toyclip2_{s}x{config['batch_size']}" for s in config["schedules"]]
    assert list(run["counts"]) == names + ["toyclip2"] == list(run["models"])
    for per_domain in run["counts"].values():
        assert list(per_domain) == config["domains"]
        for per_method in per_domain.values():
            assert list(per_method) == list(METHODS)
            for c in per_method.values():
                assert len(c) == 64 and all(0 <= v <= config["n_per_class"] for v in c)
    photo = robustness.accuracy_table(run["counts"], config["n_per_class"])
    spread = [photo[m]["photo"]["one prompt"] for m in photo]
    assert max(spread) - min(spread) > 0.2, spread  # a trend needs a spread


def test_the_script_writes_that_form_on_a_tiny_run(tmp_path):
    out = tmp_path / "tiny.json"
    script = _load_script()
    script.main(["--out", str(out), "--schedules", "2", "--n-per-class", "1"])
    tiny = json.loads(out.read_text())
    assert list(tiny["counts"]) == [f"toyclip2_2x{script.CONFIG['batch_size']}", "toyclip2"]
    assert set(tiny) == set(robustness.load_trend_run())


def test_tables_agree_with_hand_counts():
    labels = {"photo": np.repeat(np.arange(3), 4), "background": np.repeat(np.arange(3), 4)}
    right = labels["photo"].copy()
    wrong = (labels["photo"] + 1) % 3
    preds = {
        "photo": {"one prompt": right, "ensemble": right},
        "background": {"one prompt": wrong, "ensemble": np.where(np.arange(12) % 2, right, wrong)},
    }
    acc = robustness.accuracy_by_domain(labels, preds)
    assert acc["background"] == {"one prompt": 0.0, "ensemble": 0.5}
    drops = robustness.domain_drops(labels, preds, 3, n_resamples=200)
    assert drops["one prompt"]["background"].estimate == pytest.approx(1.0)
    assert drops["ensemble"]["background"].estimate == pytest.approx(0.5)
    gaps = robustness.gaps_over_baseline(labels, preds, n_resamples=200)
    assert list(gaps) == ["ensemble"]
    assert gaps["ensemble"]["background"].estimate == pytest.approx(0.5)
    assert gaps["ensemble"]["photo"].estimate == 0.0
    assert robustness.method_key("names + descriptions") == "names_and_descriptions"
    with pytest.raises(ValueError, match="baseline"):
        robustness.gaps_over_baseline(labels, preds, baseline="prompt soup")
