"""Intervals for the book's comparisons, on top of ``scipy.stats``.

Every comparison in the book ("A beats B", "no effect") comes with one of
three intervals, whichever matches how the numbers were obtained:

* :func:`paired_bootstrap` - the difference of two methods' accuracies on
  the *same* test items: a percentile bootstrap over items
  (``scipy.stats.bootstrap`` with ``paired=True``);
* :func:`mcnemar` - the same paired predictions as counts: the exact
  McNemar test on the items one method gets right and the other wrong
  (``scipy.stats.binomtest``);
* :func:`t_interval` - a mean over seeds (or a mean paired difference over
  seeds): Student's t interval (``scipy.stats.t``); :func:`paired_t_intervals`
  takes the differences seed by seed for several pairs of methods.

An :class:`Interval` that contains zero is a tie, and the text must say so.

Taught in: the house rules (CONTRIBUTING.md); used across Parts II-IV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from zslkit.checks import check_range


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    method: str

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly above or wholly below zero."""
        return self.low > 0 or self.high < 0

    @property
    def tie(self) -> bool:
        """The interval contains zero: the data cannot tell the two apart."""
        return not self.excludes_zero

    def format(self, scale: float = 1.0, digits: int = 3, unit: str = "") -> str:
        """``'+0.012 [-0.004, +0.028]'``; ``scale=100, unit=' points'`` for accuracy points."""
        e, lo, hi = (scale * v for v in (self.estimate, self.low, self.high))
        return f"{e:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]{unit}"

    def __str__(self) -> str:
        return f"{self.format()} ({int(round(100 * self.confidence))} % {self.method})"


def _as_paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same length, got {a.size} and {b.size}")
    if a.size < 2:
        raise ValueError(f"need at least 2 paired items, got {a.size}")
    return a, b


def paired_bootstrap(
    correct_a, correct_b, confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> Interval:
    """Difference of mean scores (``mean(a) - mean(b)``) with a paired percentile bootstrap.

    Parameters
    ----------
    correct_a, correct_b : array of shape (n_items,)
        Per-item scores of two methods on the same test items (1/0 for
        correct/wrong, or any per-item score). Items are resampled
        together, so what the two methods share cancels.
    confidence : float
        Coverage of the interval (0.95 by default).
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling, so the interval is reproducible.
    """
    check_range("confidence", confidence, 0.5, 0.999)
    check_range("n_resamples", n_resamples, 100, 10**7, integer=True)
    a, b = _as_paired(correct_a, correct_b)
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
        paired=True,
        vectorized=True,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return Interval(
        float(a.mean() - b.mean()),
        float(ci.low),
        float(ci.high),
        confidence,
        "paired bootstrap over items",
    )


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test of two methods' paired right/wrong predictions."""

    only_a: int  # items A gets right and B wrong
    only_b: int  # items B gets right and A wrong
    pvalue: float

    def __str__(self) -> str:
        return (
            f"A alone right on {self.only_a}, B alone on {self.only_b}: "
            f"exact McNemar p = {self.pvalue:.3g}"
        )


def mcnemar(correct_a, correct_b) -> McNemar:
    """The exact (binomial) McNemar test: under "no difference", each discordant item is a fair coin.

    ``correct_a`` and ``correct_b`` are boolean arrays over the same items.
    """
    a, b = _as_paired(correct_a, correct_b)
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("mcnemar takes right/wrong (0/1 or bool) per item")
    only_a = int(np.sum((a == 1) & (b == 0)))
    only_b = int(np.sum((a == 0) & (b == 1)))
    n = only_a + only_b
    p = 1.0 if n == 0 else float(stats.binomtest(only_a, n, 0.5).pvalue)
    return McNemar(only_a, only_b, p)


def t_interval(values, confidence: float = 0.95) -> Interval:
    """Mean of a few values (one per seed) with Student's t interval.

    For a paired comparison over seeds, pass the per-seed differences.
    """
    check_range("confidence", confidence, 0.5, 0.999)
    x = np.asarray(values, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"a t interval needs at least 2 values (seeds), got {x.size}")
    mean, sem = float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))
    if sem == 0.0:
        return Interval(mean, mean, mean, confidence, f"t interval over {x.size} seeds")
    low, high = stats.t.interval(confidence, x.size - 1, loc=mean, scale=sem)
    return Interval(mean, float(low), float(high), confidence, f"t interval over {x.size} seeds")


def paired_t_intervals(
    per_seed, pairs, confidence: float = 0.95
) -> dict[tuple[str, str], Interval]:
    """Seed-by-seed differences ``a - b`` with Student's t interval, for each pair.

    Parameters
    ----------
    per_seed : name -> one value per seed (or few-shot draw), in the same
        order for every name.
    pairs : ``(a, b)`` names to compare.
    confidence : level of the intervals.

    Returns ``{(a, b): Interval}`` (:func:`t_interval` of the differences),
    in the order of ``pairs``.
    """
    out = {}
    for a, b in pairs:
        for name in (a, b):
            if name not in per_seed:
                raise ValueError(f"no values for {name!r}; choose from {sorted(per_seed)}")
        x, y = np.asarray(per_seed[a], float), np.asarray(per_seed[b], float)
        if x.shape != y.shape:
            raise ValueError(
                f"{a!r} has {x.size} values and {b!r} {y.size}: pair them seed by seed"
            )
        out[a, b] = t_interval(x - y, confidence)
    return out


def interval_figures(name: str, interval: Interval, scale: float = 1.0) -> dict[str, float]:
    """``{name: estimate, name_ci_low: low, name_ci_high: high}`` of an :class:`Interval`.

    The form in which a notebook records a comparison and glues it into its
    prose (``zslkit.record(**interval_figures("gap", ci))``). ``scale=100``
    gives accuracy differences in points. An interval without bounds (NaN,
    e.g. from a single seed) gives ``None`` for both.
    """
    if not isinstance(interval, Interval):
        raise ValueError(f"interval={interval!r} is not a zslkit.stats.Interval")

    def bound(value: float) -> float | None:  # NaN: no interval (e.g. one seed), recorded as None
        return None if np.isnan(value) else scale * float(value)

    return {
        name: scale * float(interval.estimate),
        f"{name}_ci_low": bound(interval.low),
        f"{name}_ci_high": bound(interval.high),
    }


def intervals_as_figures(intervals, prefix: str = "", scale: float = 1.0) -> dict[str, float]:
    """:func:`interval_figures` of every ``{key: Interval}``, each named ``prefix + key``."""
    out: dict[str, float] = {}
    for key, interval in intervals.items():
        out.update(interval_figures(prefix + key, interval, scale))
    return out
