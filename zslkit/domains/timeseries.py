"""Zero-shot forecasting with a tiny pretrained patch mixer, in the spirit of Tiny Time Mixers.

A forecaster reads the last ``L`` points of a series (the context) and
predicts the next ``H`` (the horizon). :class:`TinyTimeMixer` does it in
four steps:

1. **instance normalisation** (RevIN-style, :class:`InstanceNorm`): each
   series in the batch is standardised by the mean and standard deviation
   of its own context, ``z = (x - mu) / sigma``, and the forecast is mapped
   back, ``y = mu + sigma * y_z``, so one model serves series of any scale;
2. **patching**: the normalised context is cut into ``P = L / p``
   non-overlapping patches of ``p`` points, each embedded by one linear map
   into ``d`` features: a (P, d) table per series;
3. **mixing**: MLP blocks that mix across patches (time), within a patch
   (features) and, optionally, across the channels of a multivariate
   series, each with a layer norm and a residual connection;
4. a **linear head** from the flattened (P * d) table to the H values.

It is channel-independent unless ``channel_mixing=True``: every channel
goes through the same weights, so a model pretrained on univariate series
forecasts each column of a multivariate file.

:class:`MixerForecaster` wraps pretraining on a pool of real and synthetic
series (:mod:`zslkit.data.series_data`), zero-shot prediction and few-shot
fine-tuning in a scikit-learn-style estimator. The baselines
(:func:`seasonal_naive`, :func:`ets_forecast`, :func:`arima_forecast`),
the metrics (:func:`mase`, :func:`mse`) and :func:`evaluate` measure any of
them on held-out series.

``python -m zslkit.domains.timeseries`` writes the shipped checkpoint
``data/checkpoints/tinymixer.pt`` and its report.

Taught in: notebooks/41_time_series_zero_shot.ipynb
"""

from __future__ import annotations

import argparse
import copy
import json
import time
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from zslkit.checks import check_choice, check_range
from zslkit.data.series_data import (
    HeldOutSeries,
    check_dataset,
    load_pool,
    sample_windows,
    synthetic_series,
)
from zslkit.paths import data_dir

CHECKPOINT = data_dir() / "checkpoints" / "tinymixer.pt"
REPORT = data_dir() / "checkpoints" / "tinymixer.json"


class InstanceNorm(nn.Module):
    """Per-series, per-channel standardisation over the context, and its inverse (RevIN).

    ``normalise`` takes x : (batch, length, channels) and returns the
    standardised x and the statistics (mean, std), each (batch, 1, channels);
    ``denormalise`` maps a (batch, horizon, channels) output back. With
    ``affine=True`` a learned per-channel scale and shift act in the
    normalised space, as in RevIN.
    """

    def __init__(self, n_channels: int = 1, affine: bool = False, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_channels))
            self.bias = nn.Parameter(torch.zeros(n_channels))

    def normalise(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        mean = x.mean(dim=1, keepdim=True)
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps)
        z = (x - mean) / std
        if self.affine:
            z = z * self.weight + self.bias
        return z, (mean, std)

    def denormalise(
        self, y: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        mean, std = stats
        if self.affine:
            y = (y - self.bias) / self.weight
        return y * std + mean


def _mlp(width: int, expansion: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(width, width * expansion),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(width * expansion, width),
        nn.Dropout(dropout),
    )


class MixerBlock(nn.Module):
    """Residual MLPs across patches, across features and (optionally) across channels.

    Input and output: (batch, channels, patches, d_model).
    """

    def __init__(
        self,
        n_patches: int,
        d_model: int,
        expansion: int = 2,
        dropout: float = 0.0,
        n_channels: int | None = None,
    ):
        super().__init__()
        self.time_norm, self.time_mlp = nn.LayerNorm(d_model), _mlp(n_patches, expansion, dropout)
        self.feature_norm, self.feature_mlp = (
            nn.LayerNorm(d_model),
            _mlp(d_model, expansion, dropout),
        )
        self.channel_mlp = None
        if n_channels is not None:
            self.channel_norm, self.channel_mlp = (
                nn.LayerNorm(d_model),
                _mlp(n_channels, expansion, dropout),
            )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = h + self.time_mlp(self.time_norm(h).transpose(-1, -2)).transpose(-1, -2)
        h = h + self.feature_mlp(self.feature_norm(h))
        if self.channel_mlp is not None:
            h = h + self.channel_mlp(self.channel_norm(h).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return h


class TinyTimeMixer(nn.Module):
    """Instance norm -> patches -> mixer blocks -> linear head.

    Parameters
    ----------
    context_length : L, points read; a multiple of ``patch_length``.
    horizon : H, points predicted.
    patch_length : p, points per patch (P = L / p patches).
    d_model : d, features per patch.
    n_layers : mixer blocks.
    expansion : hidden width of every MLP, as a multiple of its input.
    dropout : dropout inside the MLPs.
    n_channels : channels of the input (only used with ``channel_mixing``).
    channel_mixing : add an MLP across channels to every block; otherwise
        channels are forecast independently with shared weights.

    ``forward(x)`` takes x : (batch, L) or (batch, L, channels) and returns
    (batch, H) or (batch, H, channels), in the scale of x.
    """

    def __init__(
        self,
        context_length: int = 64,
        horizon: int = 12,
        patch_length: int = 8,
        d_model: int = 32,
        n_layers: int = 3,
        expansion: int = 2,
        dropout: float = 0.0,
        n_channels: int = 1,
        channel_mixing: bool = False,
    ):
        super().__init__()
        for name, value in (
            ("context_length", context_length),
            ("horizon", horizon),
            ("d_model", d_model),
            ("patch_length", patch_length),
            ("n_layers", n_layers),
            ("expansion", expansion),
            ("n_channels", n_channels),
        ):
            check_range(name, value, 1, integer=True)
        check_range("dropout", dropout, 0.0, 0.99)
        if context_length % patch_length:
            raise ValueError(
                f"context_length={context_length} must be a multiple of patch_length={patch_length}"
            )
        self.config = {
            "context_length": context_length,
            "horizon": horizon,
            "patch_length": patch_length,
            "d_model": d_model,
            "n_layers": n_layers,
            "expansion": expansion,
            "dropout": dropout,
            "n_channels": n_channels,
            "channel_mixing": bool(channel_mixing),
        }
        self.context_length, self.horizon, self.patch_length = context_length, horizon, patch_length
        self.n_patches = context_length // patch_length
        self.norm = InstanceNorm(n_channels)
        self.embed = nn.Linear(patch_length, d_model)
        self.blocks = nn.ModuleList(
            MixerBlock(
                self.n_patches, d_model, expansion, dropout, n_channels if channel_mixing else None
            )
            for _ in range(n_layers)
        )
        self.head = nn.Linear(self.n_patches * d_model, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        univariate = x.ndim == 2
        if univariate:
            x = x.unsqueeze(-1)
        if x.shape[1] != self.context_length:
            raise ValueError(
                f"expected a context of {self.context_length} points, got {x.shape[1]}"
            )
        z, stats = self.norm.normalise(x)
        batch, _, channels = z.shape
        patches = z.transpose(1, 2).reshape(batch, channels, self.n_patches, self.patch_length)
        h = self.embed(patches)
        for block in self.blocks:
            h = block(h)
        y = self.head(h.flatten(-2)).transpose(1, 2)
        y = self.norm.denormalise(y, stats)
        return y.squeeze(-1) if univariate else y


def n_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _normalised_pairs(
    windows: np.ndarray, context_length: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split (n, L + H) windows into context and target, both standardised by the context."""
    w = torch.from_numpy(np.asarray(windows, dtype=np.float32))
    x, y = w[:, :context_length], w[:, context_length:]
    mean = x.mean(1, keepdim=True)
    std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
    return (x - mean) / std, (y - mean) / std


def train_steps(
    model: TinyTimeMixer,
    draw: Callable[[int, np.random.Generator], np.ndarray],
    n_steps: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
    parameters: Sequence[nn.Parameter] | None = None,
    weight_decay: float = 1e-4,
    loss: str = "mse",
    log_every: int = 100,
    device: str = "cpu",
) -> list[dict]:
    """AdamW with a cosine schedule on the MSE (or MAE) of standardised forecasts.

    ``draw(n, rng)`` returns n windows of ``context_length + horizon``
    points; both parts are standardised by the context's mean and standard
    deviation, so every window weighs the same whatever its scale.

    Returns
    -------
    history : list of dicts with ``step``, ``loss`` (mean since the last
        row) and ``seconds``.
    """
    check_range("n_steps", n_steps, 1, integer=True)
    check_range("batch_size", batch_size, 1, integer=True)
    check_range("lr", lr, 1e-8, 1.0)
    check_choice("loss", loss, ["mse", "mae"])
    power = 2 if loss == "mse" else 1
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    params = list(model.parameters() if parameters is None else parameters)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, n_steps)
    model.to(device).train()
    history, running, start = [], [], time.perf_counter()
    for step in range(n_steps):
        x, y = _normalised_pairs(draw(batch_size, rng), model.context_length)
        value = torch.mean(torch.abs(model(x.to(device)) - y.to(device)) ** power)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
        scheduler.step()
        running.append(value.item())
        if (step + 1) % log_every == 0 or step + 1 == n_steps:
            history.append(
                {
                    "step": step + 1,
                    "loss": float(np.mean(running)),
                    "seconds": time.perf_counter() - start,
                }
            )
            running = []
    model.eval()
    return history


def all_windows(values: np.ndarray, length: int) -> np.ndarray:
    """Every window of ``length`` consecutive points of a 1-d series: (T - length + 1, length)."""
    values = np.asarray(values, dtype=np.float32)
    if len(values) < length:
        return np.empty((0, length), dtype=np.float32)
    return np.lib.stride_tricks.sliding_window_view(values, length).copy()


class MixerForecaster:
    """A :class:`TinyTimeMixer` pretrained on a pool of series, then used zero-shot.

    Parameters
    ----------
    context_length, horizon, patch_length, d_model, n_layers, expansion :
        the model (see :class:`TinyTimeMixer`).
    n_steps, batch_size, lr : pretraining schedule (AdamW, cosine).
    n_synthetic : synthetic series generated for the pool
        (:func:`zslkit.data.series_data.synthetic_series`), each
        ``4 * (context_length + horizon)`` points long.
    real_fraction : share of every batch drawn from the real series given
        to ``fit`` (the rest is synthetic).
    loss : ``"mse"`` or ``"mae"`` of the standardised forecast.
    seed : seeds the synthetic bank, the window draws and the weights.
    device : ``"cpu"`` or ``"cuda"``.

    Attributes
    ----------
    model_ : the trained :class:`TinyTimeMixer`, in eval mode (after ``fit`` or ``load``).
    n_parameters_ : its trainable parameters.
    history_ : pretraining loss history (after ``fit``).
    n_real_series_ : real series long enough to draw windows from (after ``fit``).
    """

    def __init__(
        self,
        context_length: int = 64,
        horizon: int = 12,
        patch_length: int = 8,
        d_model: int = 32,
        n_layers: int = 3,
        expansion: int = 2,
        n_steps: int = 4000,
        batch_size: int = 128,
        lr: float = 3e-3,
        n_synthetic: int = 2000,
        real_fraction: float = 0.5,
        loss: str = "mse",
        seed: int = 0,
        device: str = "cpu",
    ):
        self.context_length = context_length
        self.horizon = horizon
        self.patch_length = patch_length
        self.d_model = d_model
        self.n_layers = n_layers
        self.expansion = expansion
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.n_synthetic = n_synthetic
        self.real_fraction = real_fraction
        self.loss = loss
        self.seed = seed
        self.device = device

    def _build(self) -> TinyTimeMixer:
        torch.manual_seed(self.seed)
        return TinyTimeMixer(
            self.context_length,
            self.horizon,
            self.patch_length,
            self.d_model,
            self.n_layers,
            self.expansion,
        )

    def fit(self, series: Sequence[np.ndarray] = ()) -> "MixerForecaster":
        """Pretrain on ``series`` (real, 1-d arrays; may be empty) plus a synthetic bank."""
        check_range("real_fraction", self.real_fraction, 0.0, 1.0)
        check_range("n_synthetic", self.n_synthetic, 0, integer=True)
        window = self.context_length + self.horizon
        real = [np.asarray(s, dtype=np.float32) for s in series if len(s) >= window]
        fraction = self.real_fraction if real else 0.0
        if fraction < 1 and self.n_synthetic == 0:
            raise ValueError(
                "n_synthetic=0 needs real_fraction=1 and real series of at least "
                f"context_length + horizon = {window} points"
            )
        bank = (
            list(synthetic_series(self.n_synthetic, 4 * window, seed=self.seed))
            if self.n_synthetic
            else []
        )

        def draw(n: int, rng: np.random.Generator) -> np.ndarray:
            k = round(n * fraction)
            parts = [sample_windows(real, k, window, rng)] if k else []
            if n - k:
                parts.append(sample_windows(bank, n - k, window, rng))
            return np.concatenate(parts)

        self.model_ = self._build()
        self.n_real_series_ = len(real)
        self.history_ = train_steps(
            self.model_,
            draw,
            self.n_steps,
            self.batch_size,
            self.lr,
            seed=self.seed,
            loss=self.loss,
            device=self.device,
        )
        self.n_parameters_ = n_parameters(self.model_)
        return self

    def predict(self, contexts: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Forecast from the last ``context_length`` points of each context.

        contexts : (n, T) array or a list of n 1-d arrays, T >= context_length.
        Returns (n, horizon) float array.
        """
        rows = [np.asarray(c, dtype=np.float32)[-self.context_length :] for c in contexts]
        if any(len(r) < self.context_length for r in rows):
            raise ValueError(
                f"every context needs at least context_length={self.context_length} points"
            )
        if not rows:
            return np.empty((0, self.horizon))
        x = torch.from_numpy(np.stack(rows)).to(self.device)
        with torch.no_grad():
            return self.model_(x).cpu().numpy().astype(float)

    def finetune(
        self,
        values: np.ndarray,
        n_steps: int = 100,
        lr: float = 1e-3,
        batch_size: int = 32,
        part: str = "all",
        seed: int = 0,
    ) -> "MixerForecaster":
        """A copy fine-tuned on every window of one series' own history (few-shot).

        values : (T,) training part of the held-out series.
        part : ``"all"`` weights, or ``"head"`` only (the backbone frozen).
        """
        check_choice("part", part, ["all", "head"])
        window = self.context_length + self.horizon
        windows = all_windows(values, window)
        if len(windows) == 0:
            raise ValueError(
                f"the history has {len(values)} points, fewer than context_length + horizon = {window}"
            )
        tuned = copy.copy(self)
        tuned.model_ = copy.deepcopy(self.model_)
        params = tuned.model_.head.parameters() if part == "head" else tuned.model_.parameters()

        def draw(n: int, rng: np.random.Generator) -> np.ndarray:
            return windows[rng.integers(len(windows), size=n)]

        tuned.finetune_history_ = train_steps(
            tuned.model_,
            draw,
            n_steps,
            min(batch_size, len(windows)),
            lr,
            seed=seed,
            parameters=list(params),
            loss=self.loss,
            device=self.device,
        )
        return tuned

    def save(self, path: str | Path = CHECKPOINT) -> Path:
        """Weights (fp32) and model settings in one small file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().clone() for k, v in self.model_.state_dict().items()}
        torch.save({"config": self.model_.config, "state_dict": state}, path)
        return path

    @classmethod
    def load(cls, path: str | Path = CHECKPOINT, device: str = "cpu") -> "MixerForecaster":
        """A forecaster with the weights of a file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(
                f"no mixer checkpoint at {str(path)!r}; write one with `python -m zslkit.domains.timeseries`"
            )
        blob = torch.load(path, map_location="cpu", weights_only=True)
        config = blob["config"]
        self = cls(
            **{
                k: config[k]
                for k in (
                    "context_length",
                    "horizon",
                    "patch_length",
                    "d_model",
                    "n_layers",
                    "expansion",
                )
            },
            device=device,
        )
        self.model_ = TinyTimeMixer(**config)
        self.model_.load_state_dict(blob["state_dict"])
        self.model_.to(device).eval()
        self.n_parameters_ = n_parameters(self.model_)
        return self


def seasonal_naive(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Repeat the last full season: ``y_hat[T + h] = y[T + h - m * (1 + (h - 1) // m)]`` (h = 1..H).

    With ``period == 1`` (or a history shorter than one season) it repeats
    the last value (naive).
    """
    history = np.asarray(history, dtype=float)
    m = period if len(history) >= period else 1
    return history[-m:][np.arange(horizon) % m]


def mase(y_true: np.ndarray, y_pred: np.ndarray, history: np.ndarray, period: int) -> float:
    """Mean absolute scaled error (Hyndman & Koehler).

    ``MASE = mean_h |y_h - y_hat_h| / mean_{t > m} |y_t - y_{t-m}|``, the
    denominator the in-sample MAE of the seasonal naive one-season-ahead
    forecast over ``history``. Below 1: better than that in-sample naive.
    """
    history = np.asarray(history, dtype=float)
    m = period if len(history) > period else 1
    scale = np.mean(np.abs(history[m:] - history[:-m]))
    if not scale > 0:
        raise ValueError("the history is constant at the seasonal lag; MASE is undefined")
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))) / scale)


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error."""
    return float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2))


def _ets_seasonal(history: np.ndarray, period: int) -> str | None:
    if period > 1 and len(history) >= 2 * period:
        return "mul" if history.min() > 0 else "add"
    return None


def _ets_model(history: np.ndarray, period: int, seasonal: str | None, **initial):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    return ExponentialSmoothing(
        history,
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=period if seasonal else None,
        **initial,
    )


def ets_forecast(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Holt-Winters exponential smoothing (ETS point forecasts): damped additive trend, seasonal term.

    The seasonal term is multiplicative when the history is positive,
    additive otherwise, and left out when ``period == 1`` or the history
    holds fewer than two seasons. Fitted by statsmodels' maximum likelihood
    (deterministic).
    """
    return ets_forecaster(history, period)(history, horizon)


def ets_forecaster(train: np.ndarray, period: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """ETS (as :func:`ets_forecast`) fitted once on ``train``; returns ``f(history, horizon)``.

    ``f`` runs the model with the parameters and initial states fitted on
    ``train`` through ``history`` (which must start where ``train`` starts,
    e.g. the series up to a later origin) without re-estimating anything,
    and forecasts ``horizon`` points after its end.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    train = np.asarray(train, dtype=float)
    seasonal = _ets_seasonal(train, period)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = _ets_model(train, period, seasonal).fit().params
    initial = {
        "initialization_method": "known",
        "initial_level": p["initial_level"],
        "initial_trend": p["initial_trend"],
    }
    if seasonal:
        initial["initial_seasonal"] = p["initial_seasons"]
    smoothing = {
        k: p[k]
        for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend")
        if k != "smoothing_seasonal" or seasonal
    }

    def f(history: np.ndarray, horizon: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _ets_model(np.asarray(history, dtype=float), period, seasonal, **initial)
            fit = model.fit(**smoothing, optimized=False)
            return np.asarray(fit.forecast(horizon), dtype=float)

    return f


def arima_forecast(history: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Seasonal ARIMA(0,1,1)(0,1,1)_m, Box and Jenkins' airline model (ARIMA(0,1,1) if m = 1).

    Fitted by statsmodels' SARIMAX maximum likelihood (deterministic).
    """
    return arima_forecaster(history, period)(history, horizon)


def arima_forecaster(train: np.ndarray, period: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """The airline model (as :func:`arima_forecast`) fitted once on ``train``; returns ``f(history, horizon)``.

    The model is fitted to the differenced series ``w = (1 - B)(1 - B^m) y``,
    an MA(1) x seasonal MA(1) process (exact likelihood, conditional on the
    first ``m + 1`` points, with the innovation variance concentrated out:
    the same maximum, as high or higher on every pocket series, found in
    about half the time). ``f`` takes a ``history`` that starts with
    ``train`` (the series up to a later origin), runs the Kalman filter
    with the fitted parameters on from the end of ``train`` through the
    new points (no re-estimation), forecasts ``w`` and integrates back:
    ``y_t = y_{t-1} + y_{t-m} - y_{t-m-1} + w_t``.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    train = np.asarray(train, dtype=float)
    m = period if period > 1 and len(train) >= 2 * period + 2 else 0
    seasonal = (0, 0, 1, m) if m else (0, 0, 0, 0)

    def differenced(y: np.ndarray) -> np.ndarray:
        w = np.diff(y)
        return w[m:] - w[:-m] if m else w

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SARIMAX(
            differenced(train), order=(0, 0, 1), seasonal_order=seasonal, concentrate_scale=True
        )
        fitted = model.fit(disp=False)

    def f(history: np.ndarray, horizon: int) -> np.ndarray:
        y = list(np.asarray(history, dtype=float))
        if len(y) < len(train) or not np.array_equal(y[: len(train)], train):
            raise ValueError("the history must start with the series the model was fitted on")
        new = differenced(np.asarray(y))[len(train) - 1 - m :]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = (fitted.extend(new) if len(new) else fitted).forecast(horizon)
        for value in w:
            y.append(y[-1] + value + (y[-m] - y[-m - 1] if m else 0.0))
        return np.asarray(y[-horizon:], dtype=float)

    return f


BASELINES = {"seasonal_naive": seasonal_naive, "ets": ets_forecast, "arima": arima_forecast}
FITTED_BASELINES = {"ets": ets_forecaster, "arima": arima_forecaster}


def forecast(
    series: HeldOutSeries, method: str | MixerForecaster, horizon: int, history_length: int = 0
) -> np.ndarray:
    """Forecasts of one method at every origin of a held-out series.

    method : a name of :data:`BASELINES` or a fitted :class:`MixerForecaster`
        (which reads only its last ``context_length`` points). ETS and ARIMA
        are fitted once, on the training part ``values[:train_end]``
        (:func:`ets_forecaster`, :func:`arima_forecaster`), and at each
        origin ``o`` run with those parameters through ``values[:o]``;
        seasonal naive repeats the last season before each origin.
    history_length : ETS and ARIMA are fitted on at most this many points
        before ``train_end`` and read the series from there (0 = all of it).

    Returns (n_origins, horizon) float array.
    """
    if isinstance(method, MixerForecaster):
        return method.predict([series.values[:o] for o in series.origins])
    check_choice("method", method, list(BASELINES))
    if method not in FITTED_BASELINES:
        rows = [
            BASELINES[method](series.values[:o], horizon, series.period) for o in series.origins
        ]
        return np.stack(rows)
    if np.any(series.origins < series.train_end):
        raise ValueError(
            f"{series.name}: every origin must lie at or after train_end={series.train_end}"
        )
    start = max(0, series.train_end - history_length) if history_length else 0
    f = FITTED_BASELINES[method](series.values[start : series.train_end], series.period)
    return np.stack([f(series.values[start:o], horizon) for o in series.origins])


def rolling_origins(
    heldout: Sequence[HeldOutSeries], n_origins: int, horizon: int, context_length: int
) -> list[HeldOutSeries]:
    """The same series with ``n_origins`` forecast origins each, one seasonal period apart.

    The last origin is ``len(values) - horizon`` (its test window ends the
    series), the others a period, two periods, ... before it. The training
    part ends at the first origin (``train_end``), so every test window lies
    after the training part; it must hold at least ``context_length +
    horizon`` points (one fine-tuning window), else ``ValueError`` naming the series.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    check_range("n_origins", n_origins, 1, 1000, integer=True)
    out = []
    for s in heldout:
        last = len(s.values) - horizon
        origins = last - s.period * np.arange(n_origins)[::-1]
        if origins[0] < context_length + horizon:
            raise ValueError(
                f"{s.name} has {len(s.values)} points: with n_origins={n_origins} its training "
                f"part would end at {origins[0]}, before context_length + horizon = "
                f"{context_length + horizon}; choose fewer origins"
            )
        out.append(HeldOutSeries(s.name, s.values, s.period, origins, int(origins[0])))
    return out


def evaluate(series: HeldOutSeries, forecasts: np.ndarray) -> dict[str, float]:
    """MASE and MSE of (n_origins, horizon) forecasts, averaged over origins.

    MASE scales each origin's error by the seasonal-naive in-sample MAE of
    everything before it; MSE is measured on the series standardised by its
    training part (``series.mean``, ``series.std``), the benchmarks' scale.
    """
    horizon = forecasts.shape[1]
    m = series.period
    diffs = np.abs(series.values[m:] - series.values[:-m])
    cumulative = np.concatenate([[0.0], np.cumsum(diffs)])
    errors, scaled = [], []
    for row, o in enumerate(series.origins):
        truth = series.values[o : o + horizon]
        scale = cumulative[o - m] / (o - m)
        errors.append(np.mean(np.abs(truth - forecasts[row])) / scale)
        scaled.append(np.mean(((truth - forecasts[row]) / series.std) ** 2))
    return {"mase": float(np.mean(errors)), "mse": float(np.mean(scaled))}


def main(argv: Sequence[str] | None = None) -> dict:
    """Pretrain the shipped mixer on the pocket pool and write its checkpoint and report.

    ``python -m zslkit.domains.timeseries [--steps 4000 --seed 0 --out data/checkpoints/tinymixer.pt]``
    """
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    forecaster = MixerForecaster(n_steps=args.steps, seed=args.seed)
    _, pool = load_pool()
    start = time.perf_counter()
    forecaster.fit(pool)
    seconds = time.perf_counter() - start
    path = forecaster.save(args.out)
    report = {
        "checkpoint": path.name,
        "size_bytes": path.stat().st_size,
        "parameters": forecaster.n_parameters_,
        "model": forecaster.model_.config,
        "command": f"python -m zslkit.domains.timeseries --steps {args.steps} --seed {args.seed}",
        "training": {
            k: getattr(forecaster, k)
            for k in ("n_steps", "batch_size", "lr", "n_synthetic", "real_fraction", "loss", "seed")
        },
        "pool_series": forecaster.n_real_series_,
        "train_seconds": round(seconds, 1),
        "threads": args.threads,
        "versions": {"torch": torch.__version__},
        "history": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
            for row in forecaster.history_
        ],
    }
    if args.out == CHECKPOINT:
        REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps({k: report[k] for k in ("train_seconds", "size_bytes", "parameters")}, indent=2)
    )
    return report


# ----------------------------------------------------------------------------------------------------------------------
# the chapter's experiments

# The methods of the chapter and the names their figures are recorded under.
METHOD_KEYS = {
    "seasonal naive": "seasonal_naive",
    "ETS": "ets",
    "ARIMA": "arima",
    "mixer zero-shot": "mixer_zero_shot",
    "mixer fine-tuned": "mixer_finetuned",
}


def check_files(dataset: str, checkpoint: str) -> None:
    """Check the chapter's two paths: the data and the mixer weights.

    ``dataset`` must be ``"pocket"`` or an existing CSV file
    (:func:`zslkit.data.series_data.check_dataset`); ``checkpoint`` ``""`` (the
    shipped weights), ``"none"`` (pretrain here) or an existing file. Raises a
    ``ValueError`` naming the bad value and the valid choices.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    check_dataset(dataset)
    if checkpoint not in ("", "none") and not Path(checkpoint).expanduser().is_file():
        raise ValueError(
            f"checkpoint={checkpoint!r} is not valid; "
            "choose an empty string, none or an existing file"
        )


def check_window(context_length: int, horizon: int, patch_length: int) -> None:
    """Check the mixer's window: positive lengths, and ``patch_length`` dividing ``context_length``.

    Raises a ``ValueError`` naming the bad value (:func:`zslkit.check_range`).

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    check_range("context_length", context_length, 1, 100_000, integer=True)
    check_range("horizon", horizon, 1, 10_000, integer=True)
    check_range("patch_length", patch_length, 1, context_length, integer=True)
    if context_length % patch_length:
        raise ValueError(f"patch_length={patch_length} must divide context_length={context_length}")


def check_budget(
    pretrain_steps: int,
    d_model: int,
    finetune_steps: int,
    eval_stride: int,
    baseline_history: int,
) -> None:
    """Check the chapter's budgets: training steps, width, evaluation stride, baseline history.

    Each is an integer in its range (:func:`zslkit.check_range`): ``pretrain_steps``
    1 to 10^6, ``d_model`` 1 to 1024, ``finetune_steps`` and ``eval_stride`` 1 to
    10^5, ``baseline_history`` 0 (all) to 10^7.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    check_range("pretrain_steps", pretrain_steps, 1, 1_000_000, integer=True)
    check_range("d_model", d_model, 1, 1024, integer=True)
    check_range("finetune_steps", finetune_steps, 1, 100_000, integer=True)
    check_range("eval_stride", eval_stride, 1, 100_000, integer=True)
    check_range("baseline_history", baseline_history, 0, 10_000_000, integer=True)


def load_mixer(
    checkpoint: str,
    pool: Sequence[np.ndarray],
    shape: dict,
    d_model: int,
    n_steps: int,
    seed: int = 0,
    device: str = "cpu",
) -> tuple[MixerForecaster, str]:
    """The chapter's mixer: pretrained here on ``pool`` or loaded from a checkpoint.

    checkpoint : ``"none"`` pretrains a :class:`MixerForecaster` with ``shape``
        (``context_length``, ``horizon``, ``patch_length``), ``d_model``,
        ``n_steps``, ``seed`` on ``pool``; ``""`` loads :data:`CHECKPOINT`; else a path.
        A loaded mixer must have the window ``shape`` (else ``ValueError``).

    Returns ``(mixer, source)``, source a line saying where the weights came from.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    if checkpoint == "none":
        mixer = MixerForecaster(**shape, d_model=d_model, n_steps=n_steps, seed=seed, device=device)
        start = time.perf_counter()
        mixer.fit(pool)
        return mixer, f"pretrained here: {n_steps} steps in {time.perf_counter() - start:.0f} s"
    mixer = MixerForecaster.load(checkpoint or CHECKPOINT, device=device)
    source = f"loaded {Path(checkpoint or CHECKPOINT).name}"
    wanted = {k: shape[k] for k in ("context_length", "horizon", "patch_length")}
    found = {k: mixer.model_.config[k] for k in wanted}
    if found != wanted:
        raise ValueError(
            f"the checkpoint was trained with {found}, the parameters ask for {wanted}; "
            "pass -p checkpoint none to pretrain a matching mixer"
        )
    return mixer, source


def forecast_all(
    heldout: Sequence[HeldOutSeries], methods: dict, horizon: int, history_length: int = 0
) -> tuple[dict, dict]:
    """Forecasts of every method on every held-out series, and the seconds each method took.

    methods : ``{label: a name of BASELINES or a fitted MixerForecaster}``, run
    in order with :func:`forecast`.

    Returns ``(forecasts, seconds)``: ``{label: {series name: (n_origins, horizon)
    array}}`` and ``{label: wall-clock seconds}``.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    forecasts, seconds = {}, {}
    for label, method in methods.items():
        start = time.perf_counter()
        forecasts[label] = {
            s.name: forecast(s, method, horizon, history_length=history_length) for s in heldout
        }
        seconds[label] = time.perf_counter() - start
    return forecasts, seconds


def score_tables(heldout: Sequence[HeldOutSeries], forecasts: dict):
    """MASE and standardised MSE of every method on every series (:func:`evaluate`).

    Returns ``(mase_table, mse_table)``, pandas DataFrames with one row a
    series and one column a method (in the order of ``forecasts``).

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    import pandas as pd

    scores = {
        label: {s.name: evaluate(s, forecasts[label][s.name]) for s in heldout}
        for label in forecasts
    }
    tables = [
        pd.DataFrame({label: {n: v[metric] for n, v in by.items()} for label, by in scores.items()})
        for metric in ("mase", "mse")
    ]
    return tables[0], tables[1]


def forecast_errors(heldout: Sequence[HeldOutSeries], forecasts: dict):
    """The MASE of every single forecast: one row a (series, origin), one column a method.

    Each forecast is scaled as in :func:`evaluate` (the in-sample seasonal
    naive MAE of everything before its origin), so a series' mean over its
    rows is its entry of :func:`score_tables`.

    Returns a pandas DataFrame indexed by ``(series, origin)``.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    import pandas as pd

    rows = {}
    for s in heldout:
        for row, o in enumerate(s.origins):
            one = HeldOutSeries(s.name, s.values, s.period, s.origins[row : row + 1], s.train_end)
            rows[s.name, int(o)] = {
                label: evaluate(one, forecasts[label][s.name][row : row + 1])["mase"]
                for label in forecasts
            }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["series", "origin"])
    return frame


def _sign_test(differences) -> tuple[int, int, int, float]:
    """Wins (``a - b < 0``), losses, ties and scipy's exact two-sided binomial p-value, ties dropped."""
    from scipy.stats import binomtest

    d = np.asarray(differences, dtype=float)
    wins, losses = int((d < 0).sum()), int((d > 0).sum())
    pvalue = float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return wins, losses, len(d) - wins - losses, pvalue


def compare_methods(errors, a: str, b: str) -> dict:
    """How method ``a`` fares against ``b`` on the same forecasts (lower error is better).

    errors : :func:`forecast_errors`. Forecasts of one series are not
    independent (they share the series and, within a season, overlapping
    test windows), so the interval is over series: the mean over series of
    each series' mean difference ``a - b`` with a 95 % Student t interval
    (:func:`zslkit.stats.t_interval`). Two sign tests, each with scipy's
    two-sided exact binomial p-value against 1/2 after dropping the ties
    (which are counted): per forecast (a win when ``a``'s error is strictly
    below ``b``'s), which treats the forecasts of one series as independent,
    and per series (the sign of the series' mean difference), whose units
    are independent.

    Returns ``{"difference": Interval, "wins", "losses", "ties": int, "pvalue": float,
    "series_wins", "series_losses", "series_ties": int, "series_pvalue": float}``.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    from zslkit.stats import t_interval

    for name in (a, b):
        check_choice("method", name, list(errors.columns))
    difference = (errors[a] - errors[b]).to_numpy()
    per_series = (errors[a] - errors[b]).groupby(level="series", sort=False).mean()
    out = {"difference": t_interval(per_series.to_numpy())}
    for prefix, values in (("", difference), ("series_", per_series.to_numpy())):
        counts = _sign_test(values)
        out.update(zip([prefix + k for k in ("wins", "losses", "ties", "pvalue")], counts))
    return out


def comparison_figures(errors, a: str, b: str) -> dict[str, float]:
    """:func:`compare_methods` as flat figures named after the two methods, ready to record.

    The name is ``f"{METHOD_KEYS[a]}_vs_{METHOD_KEYS[b]}"`` (``NAME``); the
    figures are ``NAME`` (mean per-series difference), ``NAME_ci_low``,
    ``NAME_ci_high`` and the sign tests' ``NAME_wins``, ``NAME_losses``,
    ``NAME_ties``, ``NAME_p`` (per forecast) and ``NAME_series_wins``,
    ``NAME_series_losses``, ``NAME_series_ties``, ``NAME_series_p``.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    for label in (a, b):
        check_choice("method", label, list(METHOD_KEYS))
    c = compare_methods(errors, a, b)
    name = f"{METHOD_KEYS[a]}_vs_{METHOD_KEYS[b]}"
    d = c["difference"]
    figures = {name: d.estimate, f"{name}_ci_low": d.low, f"{name}_ci_high": d.high}
    for prefix in ("", "series_"):
        for key in ("wins", "losses", "ties"):
            figures[f"{name}_{prefix}{key}"] = c[prefix + key]
        figures[f"{name}_{prefix}p"] = c[prefix + "pvalue"]
    return figures


def mase_report(mase_table) -> str:
    """The MASE table as text, two decimals, with a last row of the column means.

    Taught in: notebooks/41_time_series_zero_shot.ipynb.
    """
    shown = mase_table.copy()
    shown.loc["mean"] = mase_table.mean()
    return "MASE (lower is better)\n" + shown.round(2).to_string(float_format=lambda v: f"{v:.2f}")


if __name__ == "__main__":
    main()
