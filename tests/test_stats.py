"""zslkit.stats against scipy, statsmodels and hand-worked cases."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from zslkit.stats import mcnemar, paired_bootstrap, t_interval


def test_t_interval_by_hand():
    # values 1, 2, 3: mean 2, s = 1, sem = 1/sqrt(3), t_{0.975, 2} = 4.302652729...
    iv = t_interval([1.0, 2.0, 3.0])
    half = 4.302652729749464 / math.sqrt(3)
    assert iv.estimate == 2.0
    assert iv.low == pytest.approx(2 - half, abs=1e-12) and iv.high == pytest.approx(
        2 + half, abs=1e-12
    )
    assert iv.tie  # 2 +- 2.48 spans zero: three seeds this spread cannot exclude it


def test_t_interval_agrees_with_statsmodels():
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.array([0.012, -0.004, 0.020, 0.007, 0.001])
    low, high = DescrStatsW(x).tconfint_mean(alpha=0.10)
    iv = t_interval(x, confidence=0.90)
    assert (iv.low, iv.high) == pytest.approx((low, high), abs=1e-12)


def test_t_interval_of_identical_seeds_is_a_point_and_one_seed_is_refused():
    iv = t_interval([0.5, 0.5, 0.5])
    assert iv.low == iv.high == 0.5
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([0.5])


def test_mcnemar_by_hand_and_against_statsmodels():
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    # 10 items A alone gets right, 2 items B alone: p = 2 * P(X <= 2), X ~ Bin(12, 1/2)
    a = np.array([1] * 10 + [0] * 2 + [1] * 30 + [0] * 8)
    b = np.array([0] * 10 + [1] * 2 + [1] * 30 + [0] * 8)
    res = mcnemar(a, b)
    by_hand = 2 * sum(math.comb(12, k) for k in range(3)) / 2**12
    assert (res.only_a, res.only_b) == (10, 2)
    assert res.pvalue == pytest.approx(by_hand, abs=1e-12)
    table = [[30, 10], [2, 8]]  # rows A right/wrong, columns B right/wrong
    assert res.pvalue == pytest.approx(sm_mcnemar(table, exact=True).pvalue, abs=1e-12)


def test_mcnemar_with_no_discordant_items_is_p_one_and_refuses_scores():
    assert mcnemar([1, 0, 1], [1, 0, 1]).pvalue == 1.0
    with pytest.raises(ValueError, match="right/wrong"):
        mcnemar([0.3, 1, 0], [1, 0, 1])


def test_paired_bootstrap_equals_scipy_with_the_same_resamples():
    rng = np.random.default_rng(3)
    a = (rng.random(400) < 0.7).astype(float)
    b = np.where(rng.random(400) < 0.9, a, 1 - a)
    iv = paired_bootstrap(a, b, n_resamples=2000, seed=5)
    ref = sps.bootstrap(
        (a, b),
        lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
        paired=True,
        vectorized=True,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(5),
    ).confidence_interval
    assert iv.estimate == pytest.approx(a.mean() - b.mean())
    assert (iv.low, iv.high) == (ref.low, ref.high)


def test_paired_bootstrap_matches_a_numpy_resampling_loop():
    rng = np.random.default_rng(0)
    a = (rng.random(300) < 0.6).astype(float)
    b = np.where(rng.random(300) < 0.8, a, 1 - a)
    idx = np.random.default_rng(1).integers(0, 300, size=(20000, 300))
    diffs = a[idx].mean(1) - b[idx].mean(1)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    iv = paired_bootstrap(a, b, n_resamples=20000)
    assert iv.low == pytest.approx(lo, abs=0.004) and iv.high == pytest.approx(hi, abs=0.004)


def test_pairing_narrows_the_interval_of_two_correlated_methods():
    # B is A with 10 of 500 items flipped: paired, the gap is clearly resolved
    rng = np.random.default_rng(2)
    a = (rng.random(500) < 0.6).astype(float)
    b = a.copy()
    b[np.flatnonzero(a == 1)[:10]] = 0
    iv = paired_bootstrap(a, b)
    assert iv.excludes_zero and iv.estimate == pytest.approx(10 / 500)
    assert (
        iv.high - iv.low < 0.03
    )  # an unpaired interval of two 60 % accuracies on 500 items is ~0.12 wide


def test_ties_and_formatting():
    iv = paired_bootstrap([1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1])
    assert iv.tie
    assert iv.format(scale=100, digits=1, unit=" points").endswith(" points")
    assert "paired bootstrap" in str(iv)


@pytest.mark.parametrize("bad", [dict(confidence=1.5), dict(n_resamples=10)])
def test_bad_arguments_are_named(bad):
    with pytest.raises(ValueError, match=list(bad)[0]):
        paired_bootstrap([1, 0, 1], [0, 0, 1], **bad)


def test_unpaired_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap([1, 0, 1], [1, 0])


def test_interval_figures_name_the_three_numbers_a_notebook_records():
    from zslkit.stats import Interval, interval_figures, intervals_as_figures

    ci = Interval(estimate=0.012, low=-0.004, high=0.028, confidence=0.95, method="test")
    assert interval_figures("gap", ci, scale=100) == pytest.approx(
        {"gap": 1.2, "gap_ci_low": -0.4, "gap_ci_high": 2.8}
    )
    both = intervals_as_figures({"a": ci, "b": ci}, prefix="x_")
    assert set(both) == {"x_a", "x_a_ci_low", "x_a_ci_high", "x_b", "x_b_ci_low", "x_b_ci_high"}
    with pytest.raises(ValueError, match="Interval"):
        interval_figures("gap", (0.1, 0.0, 0.2))


def test_paired_t_intervals_take_differences_seed_by_seed():
    from scipy import stats as st

    from zslkit.stats import paired_t_intervals

    per_seed = {"a": [0.5, 0.7, 0.6], "b": [0.4, 0.5, 0.6]}
    (ci,) = paired_t_intervals(per_seed, [("a", "b")]).values()
    d = np.array([0.1, 0.2, 0.0])  # by hand
    low, high = st.t.interval(0.95, 2, loc=0.1, scale=d.std(ddof=1) / np.sqrt(3))
    assert ci.estimate == pytest.approx(0.1)
    assert (ci.low, ci.high) == pytest.approx((low, high))
    with pytest.raises(ValueError, match="'c'.*choose from"):
        paired_t_intervals(per_seed, [("a", "c")])
    with pytest.raises(ValueError, match="seed by seed"):
        paired_t_intervals({"a": [1, 2, 3], "b": [1, 2]}, [("a", "b")])
