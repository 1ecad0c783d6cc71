"""Data-free post-training quantization: calibrate on inputs distilled from batch-norm statistics.

Quantizing a trained network to ``b``-bit integers maps every real value
``x`` of a tensor to ``q = clamp(round(x / s) + z, q_min, q_max)`` and back
to ``s (q - z)``; the *scale* ``s`` and *zero point* ``z`` come from the
range ``[x_min, x_max]`` the tensor is expected to take. Weights are known,
so their ranges are too; the ranges of *activations* must be measured on
inputs (calibration). ZeroQ's point: without the training data, do not
calibrate on noise, but on inputs *distilled* from the model itself, made
to reproduce the mean and standard deviation that every batch-norm layer
stored during training.

* :func:`integer_range`, :func:`quant_params`, :func:`quantize`,
  :func:`dequantize`, :func:`fake_quantize`, :func:`quantize_weight` -- the
  arithmetic, symmetric or asymmetric, per tensor or per channel;
* :func:`quantize_model` -- a simulated ("fake-quantized") copy of a model:
  every ``Conv2d`` / ``Linear`` gets ``weight_bits`` per-channel weights and
  ``act_bits`` per-tensor input activations with ranges calibrated on given
  inputs (min/max, or the least-squares range of :func:`mse_range`);
* :func:`bn_statistics_loss`, :func:`distill_inputs` -- ZeroQ's distilled
  data; :class:`GenieGenerator`, :class:`SwingConv2d`,
  :func:`genie_distill_inputs` -- Genie's (a generator and its latents,
  learned on the same loss);
* :func:`calibration_sets`, :func:`calibration_experiment`,
  :func:`accuracy_intervals`, :func:`paired_differences`,
  :func:`range_log_errors` -- the chapter's experiment: real, distilled and
  Gaussian calibration sets over seeds, compared with t intervals;
* :func:`pocket_cnn`, :func:`train_pocket_cnn`, :func:`load_pocket_cnn`,
  :func:`fashion_tensors` -- the pocket tier: a small batch-norm CNN on
  Fashion-MNIST, shipped as ``data/checkpoints/pocket_cnn.pt`` (made by
  ``python -m zslkit.domains.quantization``); :func:`load_classifier` and
  :func:`load_image_data` also take torchvision models and datasets.

Taught in: notebooks/44_data_free_quantization.ipynb
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zslkit.checks import check_choice, check_range, resolve_device
from zslkit.paths import data_dir
from zslkit.stats import Interval, t_interval

SCHEMES = ("symmetric", "asymmetric")
ACT_RANGES = ("minmax", "mse")
CHECKPOINT = data_dir() / "checkpoints" / "pocket_cnn.pt"
REPORT = data_dir() / "checkpoints" / "pocket_cnn.json"
FASHION_MEAN, FASHION_STD = (
    0.2860,
    0.3530,
)  # pixel mean and std of the 60,000 training images (0..1 scale)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
QUANTIZED_LAYERS = (nn.Conv2d, nn.Linear)


# --------------------------------------------------------------------------
# Quantization arithmetic
# --------------------------------------------------------------------------
def _check_bits(n_bits: int, scheme: str) -> None:
    check_range("n_bits", n_bits, 2, 16, integer=True)
    check_choice("scheme", scheme, SCHEMES)


def integer_range(n_bits: int, scheme: str = "symmetric") -> tuple[int, int]:
    """The integers a ``n_bits`` code may take.

    symmetric: ``[-(2^(b-1) - 1), 2^(b-1) - 1]`` (the "restricted" range, zero point 0,
    e.g. -127..127 for 8 bits, -7..7 for 4 bits); asymmetric: ``[0, 2^b - 1]``
    (0..255, 0..15).
    """
    _check_bits(n_bits, scheme)
    if scheme == "symmetric":
        return -(2 ** (n_bits - 1) - 1), 2 ** (n_bits - 1) - 1
    return 0, 2**n_bits - 1


def quant_params(
    x_min, x_max, n_bits: int, scheme: str = "symmetric"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and zero point for values in ``[x_min, x_max]`` (tensors broadcast: per-channel works).

    symmetric: ``s = max(|x_min|, |x_max|) / q_max``, ``z = 0``.
    asymmetric: the range is widened to hold 0 (so that 0 is exact), then
    ``s = (x_max - x_min) / (2^b - 1)`` and ``z = round(-x_min / s)``.
    A zero-width range gets ``s = 1e-8`` (its values quantize exactly).

    Returns
    -------
    scale : float32 tensor, > 0
    zero_point : float32 tensor of integers
    """
    q_min, q_max = integer_range(n_bits, scheme)
    x_min = torch.as_tensor(x_min, dtype=torch.float32)
    x_max = torch.as_tensor(x_max, dtype=torch.float32)
    if scheme == "symmetric":
        scale = torch.maximum(x_min.abs(), x_max.abs()) / q_max
        zero_point = torch.zeros_like(scale)
    else:
        x_min, x_max = torch.clamp(x_min, max=0), torch.clamp(x_max, min=0)
        scale = (x_max - x_min) / (q_max - q_min)
        zero_point = torch.round(-x_min / torch.clamp(scale, min=1e-8))
    return torch.clamp(scale, min=1e-8), zero_point


def quantize(
    x: torch.Tensor, scale, zero_point, n_bits: int, scheme: str = "symmetric"
) -> torch.Tensor:
    """Integer codes ``clamp(round(x / scale) + zero_point, q_min, q_max)`` (int64 tensor).

    ``round`` is round-half-to-even (``torch.round``, like numpy's).
    """
    q_min, q_max = integer_range(n_bits, scheme)
    q = torch.round(torch.as_tensor(x, dtype=torch.float32) / scale) + zero_point
    return torch.clamp(q, q_min, q_max).to(torch.int64)


def dequantize(q: torch.Tensor, scale, zero_point) -> torch.Tensor:
    """Real values ``scale * (q - zero_point)`` (float32 tensor)."""
    return torch.as_tensor(scale, dtype=torch.float32) * (q.to(torch.float32) - zero_point)


def fake_quantize(
    x: torch.Tensor, x_min, x_max, n_bits: int, scheme: str = "symmetric"
) -> torch.Tensor:
    """``dequantize(quantize(x))`` with the parameters of ``[x_min, x_max]``: x as the integer model sees it."""
    scale, zero_point = quant_params(x_min, x_max, n_bits, scheme)
    q_min, q_max = integer_range(n_bits, scheme)
    # dequantize(quantize(x)) in float32 (the codes are exact integers there), without int64
    # copies; in place on the one new tensor (the same operations, half the memory traffic)
    q = torch.as_tensor(x, dtype=torch.float32) / scale
    return q.round_().add_(zero_point).clamp_(q_min, q_max).sub_(zero_point).mul_(scale)


def quantize_weight(
    weight: torch.Tensor, n_bits: int, scheme: str = "symmetric", per_channel: bool = True
) -> torch.Tensor:
    """Fake-quantized weights, with one range per output channel (dim 0) or one for the tensor.

    Per output channel, a batch norm that follows the layer can be folded
    into the weights (it rescales each output channel) without changing the
    symmetric codes: folding and quantizing commute.
    """
    weight = weight.detach().float()
    if per_channel:
        flat = weight.reshape(weight.shape[0], -1)
        shape = (-1,) + (1,) * (weight.ndim - 1)
        x_min, x_max = flat.min(dim=1).values.reshape(shape), flat.max(dim=1).values.reshape(shape)
    else:
        x_min, x_max = weight.min(), weight.max()
    return fake_quantize(weight, x_min, x_max, n_bits, scheme)


# --------------------------------------------------------------------------
# Simulated quantized models
# --------------------------------------------------------------------------
class QuantizedLayer(nn.Module):
    """A ``Conv2d`` or ``Linear`` with fake-quantized weights and input activations.

    While ``observing`` is True the layer records the min and max of its
    inputs (calibration) and computes in float; with ``act_range="mse"`` it
    also keeps a strided sample of the input values (at most
    ``SAMPLES_PER_BATCH`` a batch). :meth:`finish_calibration` fixes the
    range: the min/max, or (``"mse"``) the range of
    :func:`mse_range` on the sample. Afterwards the layer fake-quantizes its
    inputs to ``act_bits`` with that range. ``None`` bits leave that part in
    float.
    """

    SAMPLES_PER_BATCH = 16384

    def __init__(
        self,
        layer: nn.Module,
        weight_bits: int | None,
        act_bits: int | None,
        weight_scheme: str = "symmetric",
        act_scheme: str = "asymmetric",
        per_channel: bool = True,
        act_range: str = "minmax",
    ):
        super().__init__()
        check_choice("act_range", act_range, ACT_RANGES)
        self.layer = copy.deepcopy(layer)
        if weight_bits is not None:
            with torch.no_grad():
                self.layer.weight.copy_(
                    quantize_weight(layer.weight, weight_bits, weight_scheme, per_channel)
                )
        self.weight_bits, self.act_bits = weight_bits, act_bits
        self.act_scheme, self.act_range = act_scheme, act_range
        self.observing = act_bits is not None
        self._samples: list[torch.Tensor] = []
        device = self.layer.weight.device
        self.register_buffer("act_min", torch.tensor(float("inf"), device=device))
        self.register_buffer("act_max", torch.tensor(float("-inf"), device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.act_bits is not None:
            if self.observing:
                self.act_min = torch.minimum(self.act_min, x.detach().min())
                self.act_max = torch.maximum(self.act_max, x.detach().max())
                if self.act_range == "mse":
                    flat = x.detach().reshape(-1)
                    step = max(1, flat.numel() // self.SAMPLES_PER_BATCH)
                    self._samples.append(flat[::step].cpu())
            else:
                x = fake_quantize(x, self.act_min, self.act_max, self.act_bits, self.act_scheme)
        return self.layer(x)

    def finish_calibration(self) -> None:
        """End observing: fix the activation range (min/max, or the MSE range of the sample)."""
        if self.act_bits is not None and self.act_range == "mse" and self._samples:
            lo, hi = mse_range(torch.cat(self._samples), self.act_bits, self.act_scheme)
            device = self.act_min.device
            self.act_min, self.act_max = (
                torch.tensor(lo, device=device),
                torch.tensor(hi, device=device),
            )
        self._samples = []
        self.observing = False

    def extra_repr(self) -> str:
        return (
            f"weight_bits={self.weight_bits}, act_bits={self.act_bits}, "
            f"act_range=[{self.act_min:.3g}, {self.act_max:.3g}] ({self.act_range})"
        )


@torch.no_grad()
def mse_range(
    values: torch.Tensor, n_bits: int, scheme: str = "asymmetric", n_grid: int = 100
) -> tuple[float, float]:
    """The clipped range ``[r x_min, r x_max]`` whose quantization error is smallest.

    ``x_min`` is ``min(values.min(), 0)`` and ``x_max`` is
    ``max(values.max(), 0)``; the ratio ``r`` runs over ``k / n_grid``,
    ``k = 1..n_grid``, and the one minimising the mean squared error
    ``mean((fake_quantize(values, r x_min, r x_max) - values)^2)`` wins
    (the smallest ``r`` on a tie). Clipping a few large values buys a finer
    step for all the others: with ``b`` bits the step of a range ``R`` is
    ``R / (2^b - 1)``, and min/max spends it on the single largest value.

    Parameters
    ----------
    values : tensor of any shape (flattened), e.g. a sample of one layer's input.
    n_bits, scheme : see :func:`quant_params`.

    Returns
    -------
    (low, high) : floats, the chosen range.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    _check_bits(n_bits, scheme)
    check_range("n_grid", n_grid, 1, integer=True)
    x = torch.as_tensor(values, dtype=torch.float32).reshape(-1)
    if x.numel() == 0:
        raise ValueError("mse_range needs at least one value, got an empty tensor")
    x_min, x_max = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    best, best_error = (x_min, x_max), float("inf")
    for k in range(1, n_grid + 1):
        r = k / n_grid
        error = float(((fake_quantize(x, r * x_min, r * x_max, n_bits, scheme) - x) ** 2).mean())
        if error < best_error:
            best, best_error = (r * x_min, r * x_max), error
    return best


def _replace_layers(module: nn.Module, make, skip: set[int]) -> None:
    for name, child in module.named_children():
        if isinstance(child, QUANTIZED_LAYERS):
            setattr(module, name, make(child, id(child) in skip))
        else:
            _replace_layers(child, make, skip)


@torch.no_grad()
def quantize_model(
    model: nn.Module,
    calibration_inputs: torch.Tensor | None = None,
    weight_bits: int | None = 8,
    act_bits: int | None = 8,
    weight_scheme: str = "symmetric",
    act_scheme: str = "asymmetric",
    per_channel: bool = True,
    quantize_network_input: bool = False,
    batch_size: int = 256,
    act_range: str = "minmax",
) -> nn.Module:
    """A fake-quantized copy of ``model`` (the original is untouched), in eval mode.

    Every ``Conv2d`` and ``Linear`` gets weights quantized to
    ``weight_bits`` (per output channel by default) and its *input*
    quantized to ``act_bits`` with one range per layer, measured on
    ``calibration_inputs`` (run through the float model): the min and max
    the input took (``act_range="minmax"``) or the clipped range of least
    squared quantization error (``"mse"``, :func:`mse_range`).
    Batch norms, ReLUs, pooling and the output logits stay in float. The
    network's own input (the image, already 8-bit pixels) is left alone
    unless ``quantize_network_input``: the first ``Conv2d``/``Linear`` in
    module order is taken to receive it.

    Parameters
    ----------
    calibration_inputs : (n, ...) float tensor of model inputs; needed when ``act_bits`` is not None.
    weight_bits, act_bits : 2..16, or None to keep that part in float.
    weight_scheme, act_scheme : "symmetric" or "asymmetric" (see :func:`quant_params`).
    act_range : "minmax" or "mse".
    """
    for name, bits in (("weight_bits", weight_bits), ("act_bits", act_bits)):
        if bits is not None:
            check_range(name, bits, 2, 16, integer=True)
    check_choice("weight_scheme", weight_scheme, SCHEMES)
    check_choice("act_scheme", act_scheme, SCHEMES)
    check_choice("act_range", act_range, ACT_RANGES)
    if act_bits is not None and calibration_inputs is None:
        raise ValueError(
            "act_bits needs calibration_inputs (or pass act_bits=None to keep activations in float)"
        )
    quantized = copy.deepcopy(model).eval()
    layers = [m for m in quantized.modules() if isinstance(m, QUANTIZED_LAYERS)]
    if not layers:
        raise ValueError("the model has no Conv2d or Linear layer to quantize")
    skip = set() if quantize_network_input else {id(layers[0])}
    _replace_layers(
        quantized,
        lambda layer, skipped: QuantizedLayer(
            layer,
            weight_bits,
            None if skipped else act_bits,
            weight_scheme,
            act_scheme,
            per_channel,
            act_range,
        ),
        skip,
    )
    if act_bits is not None:
        device = next(quantized.parameters()).device
        for start in range(0, len(calibration_inputs), batch_size):
            quantized(calibration_inputs[start : start + batch_size].to(device))
        for m in quantized.modules():
            if isinstance(m, QuantizedLayer):
                m.finish_calibration()
    return quantized


def activation_ranges(quantized: nn.Module) -> list[tuple[float, float]]:
    """The calibrated (min, max) input range of every quantized layer with quantized inputs, in module order."""
    return [
        (float(m.act_min), float(m.act_max))
        for m in quantized.modules()
        if isinstance(m, QuantizedLayer) and m.act_bits is not None
    ]


@torch.no_grad()
def accuracy(model: nn.Module, inputs: torch.Tensor, labels, batch_size: int = 512) -> float:
    """Top-1 accuracy of ``model`` on (n, ...) ``inputs`` with (n,) integer ``labels``."""
    model.eval()
    device = next(model.parameters()).device
    predictions = torch.cat(
        [
            model(inputs[i : i + batch_size].to(device)).argmax(1).cpu()
            for i in range(0, len(inputs), batch_size)
        ]
    )
    return float((predictions == torch.as_tensor(labels)).float().mean())


# --------------------------------------------------------------------------
# Distilled data (ZeroQ)
# --------------------------------------------------------------------------
def _batchnorms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def bn_statistics(
    model: nn.Module, inputs: torch.Tensor, per_sample: bool = False
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-channel mean and (biased) variance of the input of every batch-norm layer, on ``inputs``.

    The model runs in eval mode (batch norms normalise with their running
    statistics, as at test time). Gradients flow back to ``inputs``.

    Parameters
    ----------
    per_sample : False: statistics over the batch and all positions, (C,)
        tensors; True: over each input's positions only, (n, C) tensors.

    Returns
    -------
    list over batch-norm layers (module order) of (mean, var) tensors.
    """
    layers = _batchnorms(model)
    if not layers:
        raise ValueError("the model has no batch-norm layer")
    stats = []

    def hook(module, args, output):
        stats.append(_moments(args[0], per_sample))

    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        model.eval()
        model(inputs)
    finally:
        for h in handles:
            h.remove()
    return stats


def _moments(x: torch.Tensor, per_sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
    dims = list(range(2, x.ndim)) if per_sample else [0] + list(range(2, x.ndim))
    return x.mean(dim=dims), x.var(dim=dims, unbiased=False)


def bn_statistics_loss(
    model: nn.Module,
    inputs: torch.Tensor,
    per_sample: bool = False,
    input_mean: float | None = 0.0,
    input_std: float | None = 1.0,
) -> torch.Tensor:
    r"""ZeroQ's batch-norm statistics loss of ``inputs``.

    For every batch-norm layer ``l`` with running mean ``mu_l`` and running
    variance ``v_l`` (per channel), and the mean ``m_l`` and biased variance
    ``s2_l`` of its input on ``inputs``:

    .. math::
        \mathcal L = \sum_l \frac{1}{n}\sum_{i=1}^{n}
            \lVert m_{l,i} - \mu_l \rVert_2^2
            + \lVert \sqrt{s^2_{l,i} + \epsilon_l} - \sqrt{v_l + \epsilon_l} \rVert_2^2
            \; + \; \frac{1}{n}\sum_{i=1}^{n} \lVert m_{0,i} - m_0 \rVert_2^2
            + \lVert \sqrt{s^2_{0,i} + \epsilon} - s_0 \rVert_2^2,

    with ``m_{l,i}``, ``s2_{l,i}`` the statistics of input ``i`` alone
    (``per_sample=True``, as ZeroQ's code does: every distilled input must
    look like a training input on its own) or, with ``per_sample=False``,
    one term per layer with the statistics of the whole batch (the
    equation of the paper). ``eps_l`` is the layer's own ``eps``. The last
    term asks each input channel to have mean ``input_mean`` and standard
    deviation ``input_std`` (0 and 1 for normalised images; ``None``
    drops it; ``eps`` = 1e-5).

    Returns
    -------
    scalar tensor (differentiable with respect to ``inputs``)
    """
    total = torch.zeros((), device=inputs.device)
    for (mean, var), bn in zip(bn_statistics(model, inputs, per_sample), _batchnorms(model)):
        total = total + _moment_loss(
            mean, var, bn.running_mean, torch.sqrt(bn.running_var + bn.eps), bn.eps
        )
    if input_mean is not None and input_std is not None:
        mean, var = _moments(inputs, per_sample)
        target_mean, target_std = (
            torch.full_like(mean, input_mean),
            torch.full_like(mean, input_std),
        )
        total = total + _moment_loss(mean, var, target_mean, target_std, 1e-5)
    return total


def _moment_loss(mean, var, target_mean, target_std, eps) -> torch.Tensor:
    squared = (mean - target_mean) ** 2 + (torch.sqrt(var + eps) - target_std) ** 2
    return squared.sum(dim=-1).mean() if squared.ndim > 1 else squared.sum()


def distill_inputs(
    model: nn.Module,
    n: int,
    input_shape: Sequence[int],
    n_steps: int = 200,
    lr: float = 0.1,
    seed: int = 0,
    per_sample: bool = False,
    input_mean: float | None = 0.0,
    input_std: float | None = 1.0,
    device: str = "cpu",
) -> tuple[torch.Tensor, list[float]]:
    """ZeroQ's distilled data: inputs optimised so that every batch norm sees its training statistics.

    Start from standard Gaussian noise (:func:`gaussian_inputs`, the same
    draw for a seed) and minimise :func:`bn_statistics_loss` over the
    inputs with Adam; the model's weights stay fixed.

    Parameters
    ----------
    n : number of inputs, distilled together as one batch.
    input_shape : shape of one input, e.g. (1, 28, 28).
    per_sample, input_mean, input_std : see :func:`bn_statistics_loss`.

    Returns
    -------
    inputs : (n, *input_shape) float32 tensor on the CPU
    history : the loss before each step, then the final loss (n_steps + 1 values)
    """
    check_range("n", n, 1, integer=True)
    check_range("n_steps", n_steps, 0, integer=True)
    check_range("lr", lr, 0)
    device = resolve_device(device)
    model = model.to(device).eval()
    inputs = gaussian_inputs(n, input_shape, seed).to(device).requires_grad_(True)
    optimiser = torch.optim.Adam([inputs], lr=lr)
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p in trainable:
        p.requires_grad_(False)

    def loss_fn():
        return bn_statistics_loss(model, inputs, per_sample, input_mean, input_std)

    history = []
    try:
        for _ in range(n_steps):
            loss = loss_fn()
            history.append(loss.item())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            history.append(loss_fn().item())
    finally:
        for p in trainable:
            p.requires_grad_(True)
    return inputs.detach().cpu(), history


def gaussian_inputs(n: int, input_shape: Sequence[int], seed: int = 0) -> torch.Tensor:
    """(n, *input_shape) standard Gaussian noise: the naive data-free calibration set."""
    return torch.randn((n, *input_shape), generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------
# Distilled data (Genie): a generator and its latent vectors, learned together
# --------------------------------------------------------------------------
class GenieGenerator(nn.Module):
    """Genie's generator: latent vectors to inputs, ending in a batch norm without affine.

    ``z -> Linear -> (c1, H/4, W/4) -> BN -> up x2 -> conv 3x3 (c2) -> BN
    -> LeakyReLU(0.2) -> up x2 -> conv 3x3 (channels) -> tanh -> BN``, the
    architecture of Genie's ``distill.py`` (there ``latent_dim=256``,
    ``c1=128``, ``c2=64`` for 3x224x224). In training mode the last batch
    norm gives every input channel mean 0 and variance 1 over the batch.

    Parameters
    ----------
    input_shape : (channels, H, W), H and W multiples of 4.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """

    def __init__(
        self, input_shape: Sequence[int], latent_dim: int = 64, c1: int = 32, c2: int = 16
    ):
        super().__init__()
        channels, height, width = (int(v) for v in input_shape)
        if height % 4 or width % 4:
            raise ValueError(
                f"input_shape={tuple(input_shape)}: height and width must be multiples of 4"
            )
        for name, value in (("latent_dim", latent_dim), ("c1", c1), ("c2", c2)):
            check_range(name, value, 1, integer=True)
        self.start = (c1, height // 4, width // 4)
        self.linear = nn.Linear(latent_dim, c1 * (height // 4) * (width // 4))
        self.conv_layers = nn.Sequential(
            nn.BatchNorm2d(c1),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c2, channels, 3, padding=1),
            nn.Tanh(),
            nn.BatchNorm2d(channels, affine=False),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(n, latent_dim) latents -> (n, *input_shape) inputs."""
        return self.conv_layers(self.linear(z).view(len(z), *self.start))


class SwingConv2d(nn.Module):
    """Genie's swing convolution: a strided convolution applied to a randomly shifted input.

    The input is padded by ``jitter`` pixels on each side (reflection) and a
    window of the input's size is cut at a random offset ``(dy, dx)`` in
    ``0..2 jitter`` (``jitter, jitter``: the input itself), then the wrapped
    convolution runs. A strided convolution only ever reads one phase of
    the pixel grid; swinging it lets the distilled inputs' gradient reach
    every phase.

    Parameters
    ----------
    conv : the ``Conv2d`` to wrap (its weights are used as they are).
    generator : ``torch.Generator`` drawing the offsets (reproducible).
    offset : a fixed ``(dy, dx)`` instead of random ones (for tests).

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """

    def __init__(
        self,
        conv: nn.Module,
        jitter: int = 1,
        generator: torch.Generator | None = None,
        offset: tuple[int, int] | None = None,
    ):
        super().__init__()
        check_range("jitter", jitter, 1, integer=True)
        if offset is not None and not all(0 <= o <= 2 * jitter for o in offset):
            raise ValueError(f"offset={offset}: each part must lie in 0..{2 * jitter}")
        self.conv, self.jitter, self.generator, self.offset = conv, jitter, generator, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.offset is None:
            dy, dx = torch.randint(2 * self.jitter + 1, (2,), generator=self.generator).tolist()
        else:
            dy, dx = self.offset
        padded = F.pad(x, [self.jitter] * 4, mode="reflect")
        return self.conv(padded[:, :, dy : dy + x.shape[2], dx : dx + x.shape[3]])


def genie_distill_inputs(
    model: nn.Module,
    n: int,
    input_shape: Sequence[int],
    n_steps: int = 50,
    lr_latent: float = 0.1,
    lr_generator: float = 0.01,
    latent_dim: int = 64,
    swing: bool = True,
    seed: int = 0,
    device: str = "cpu",
) -> tuple[torch.Tensor, list[float]]:
    """Genie's distilled data (Genie-D): learn a generator and its latent vectors on the batch-norm loss.

    A :class:`GenieGenerator` (initialised with ``seed``) maps ``n`` latent
    vectors ``z ~ N(0, I)`` (also from ``seed``) to inputs; Adam updates
    both ``z`` (``lr_latent``) and the generator (``lr_generator``), the
    learning rates of Genie's code, to minimise the same
    :func:`bn_statistics_loss` as :func:`distill_inputs`, so that the two
    differ only in what is optimised. During distillation every strided
    ``Conv2d`` of (a copy of) the model becomes a :class:`SwingConv2d`
    (``swing=True``). Genie's learning-rate schedules (which act after 100
    steps) are left out. The returned inputs are the generator's output
    after the last step (training-mode batch norms, as Genie keeps them).

    Returns
    -------
    inputs : (n, *input_shape) float32 tensor on the CPU
    history : the loss before each step, then the final loss (n_steps + 1 values)

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    check_range("n", n, 2, integer=True)
    check_range("n_steps", n_steps, 0, integer=True)
    check_range("lr_latent", lr_latent, 0)
    check_range("lr_generator", lr_generator, 0)
    device = resolve_device(device)
    teacher = copy.deepcopy(model).to(device).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    offsets = torch.Generator().manual_seed(seed)
    if swing:
        _swing_strided(teacher, offsets)
    with torch.random.fork_rng(devices=[]):  # the generator's initial weights, seeded
        torch.manual_seed(seed)
        generator = GenieGenerator(input_shape, latent_dim).to(device).train()
    z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    z = z.to(device).requires_grad_(True)
    opt_z = torch.optim.Adam([z], lr=lr_latent)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_generator)
    history = []
    for _ in range(n_steps):
        loss = bn_statistics_loss(teacher, generator(z))
        history.append(loss.item())
        opt_z.zero_grad()
        opt_g.zero_grad()
        loss.backward()
        opt_z.step()
        opt_g.step()
    with torch.no_grad():
        inputs = generator(z)
        history.append(bn_statistics_loss(teacher, inputs).item())
    return inputs.detach().cpu(), history


def _swing_strided(module: nn.Module, generator: torch.Generator) -> None:
    for name, child in module.named_children():
        if isinstance(child, nn.Conv2d) and child.stride != (1, 1):
            setattr(module, name, SwingConv2d(child, 1, generator))
        else:
            _swing_strided(child, generator)


# --------------------------------------------------------------------------
# The pocket tier: a batch-norm CNN on Fashion-MNIST
# --------------------------------------------------------------------------
def pocket_cnn(width: int = 8, n_classes: int = 10) -> nn.Sequential:
    """Six 3x3 conv + batch-norm + ReLU blocks, global average pool, linear.

    Channels 1 -> w -> 2w -> 2w -> 4w -> 4w -> 4w (``w = width``) at 28, 14,
    14, 7, 7 and 7 pixels (the 2nd and 4th convolutions have stride 2), then
    4w -> ``n_classes``: 27,170 parameters for width 8, six batch norms
    whose statistics a distillation can match, seven quantized layers.
    """
    check_range("width", width, 1, 4096, integer=True)

    def block(c_in, c_out, stride):
        return [
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        ]

    channels = [(width, 1), (2 * width, 2), (2 * width, 1), (4 * width, 2)]
    channels += [(4 * width, 1), (4 * width, 1)]
    layers, c_in = [], 1
    for c_out, stride in channels:
        layers += block(c_in, c_out, stride)
        c_in = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, n_classes))


def fashion_tensors(
    split: str = "test", n_per_class: int | None = None, seed: int = 0, root=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as normalised tensors: ``(pixels / 255 - 0.2860) / 0.3530``.

    Parameters
    ----------
    n_per_class : a class-balanced random subset (``zslkit.data.fashion.balanced_subset``), or None for all.

    Returns
    -------
    inputs : (n, 1, 28, 28) float32 tensor
    labels : (n,) int64 tensor
    """
    from zslkit.data.fashion import balanced_subset, load_fashion_mnist

    images, labels = load_fashion_mnist(split, root)
    if n_per_class is not None:
        index = balanced_subset(labels, n_per_class, seed)
        images, labels = images[index], labels[index]
    x = (torch.from_numpy(np.array(images, dtype=np.float32)) / 255.0 - FASHION_MEAN) / FASHION_STD
    return x.unsqueeze(1), torch.from_numpy(np.array(labels, dtype=np.int64))


def train_pocket_cnn(
    n_epochs: int = 4,
    batch_size: int = 128,
    lr: float = 3e-3,
    width: int = 8,
    n_per_class: int | None = None,
    seed: int = 0,
    log_every: int = 0,
) -> tuple[nn.Module, list[dict]]:
    """Train :func:`pocket_cnn` on the Fashion-MNIST training set (Adam, cosine-decayed learning rate).

    Deterministic for a seed on one thread. Returns the model in eval mode
    and a per-epoch history (training loss, seconds).
    """
    check_range("n_epochs", n_epochs, 1, integer=True)
    check_range("batch_size", batch_size, 1, integer=True)
    torch.manual_seed(seed)
    x, y = fashion_tensors("train", n_per_class, seed)
    model = pocket_cnn(width)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (len(x) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, n_epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    history = []
    start = time.perf_counter()
    for epoch in range(n_epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for i in range(0, len(x), batch_size):
            batch = order[i : i + batch_size]
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        history.append(
            {"epoch": epoch + 1, "loss": total / len(x), "seconds": time.perf_counter() - start}
        )
        if log_every and (epoch + 1) % log_every == 0:
            print(
                f"epoch {epoch + 1}: loss {total / len(x):.4f} ({time.perf_counter() - start:.0f} s)"
            )
    return model.eval(), history


def load_pocket_cnn(path: str | Path = CHECKPOINT, device: str = "cpu") -> nn.Module:
    """The shipped pocket CNN (its width is read from the checkpoint), in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such checkpoint; make it with: python -m zslkit.domains.quantization"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = pocket_cnn(width=state["0.weight"].shape[0])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.to(resolve_device(device)).eval()


def list_classifiers() -> list[str]:
    """Every name :func:`load_classifier` accepts: ``"pocket_cnn"`` and torchvision's classification models."""
    import torchvision

    return ["pocket_cnn"] + sorted(torchvision.models.list_models(module=torchvision.models))


def load_classifier(
    name: str = "pocket_cnn", weights: str | None = None, device: str = "cpu"
) -> tuple[nn.Module, tuple[int, ...]]:
    """A trained image classifier with batch norms, and the shape of one input.

    Parameters
    ----------
    name : ``"pocket_cnn"`` (Fashion-MNIST, 1x28x28) or a torchvision
        classification model (``"resnet18"``, ``"mobilenet_v2"``, ...; 3x224x224).
    weights : a local state-dict file (torchvision models: e.g. the file
        torchvision downloads for ``ResNet18_Weights.IMAGENET1K_V1``);
        ``None`` or ``""``: the shipped checkpoint for ``pocket_cnn``,
        random weights for torchvision models; ``"none"``: random weights.

    Returns
    -------
    model : eval mode; input_shape : e.g. (1, 28, 28)
    """
    check_choice("name", name, list_classifiers())
    device = resolve_device(device)
    random_init = weights is not None and str(weights).lower() == "none"
    if name == "pocket_cnn":
        if random_init:
            return pocket_cnn().to(device).eval(), (1, 28, 28)
        return load_pocket_cnn(weights or CHECKPOINT, device), (1, 28, 28)
    import torchvision

    model = torchvision.models.get_model(name, weights=None)
    if weights and not random_init:
        if not Path(weights).is_file():
            raise FileNotFoundError(f"weights={weights!r}: no such file")
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.to(device).eval(), (3, 224, 224)


def load_image_data(
    dataset: str = "fashion_mnist",
    split: str = "test",
    n_per_class: int | None = None,
    seed: int = 0,
    root=None,
    n_max: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as normalised model inputs, with labels.

    ``"fashion_mnist"``: :func:`fashion_tensors` (1x28x28). Any dataset of
    :func:`zslkit.data.datasets.list_datasets` but ``"pocket"`` (``"imagenet"``,
    ...): torchvision's ImageNet evaluation transform (resize 256, centre
    crop 224, ImageNet mean and std), the first ``n_max`` images of a
    seeded permutation. Class indices are the dataset's label order.

    Returns
    -------
    inputs : (n, C, H, W) float32 tensor; labels : (n,) int64 tensor
    """
    if dataset == "fashion_mnist":
        x, y = fashion_tensors(split, n_per_class, seed, root)
        if n_max is not None:
            keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n_max]
            x, y = x[keep], y[keep]
        return x, y
    from torchvision import transforms

    from zslkit.data.datasets import list_datasets, load_dataset

    check_choice(
        "dataset", dataset, ["fashion_mnist"] + [d for d in list_datasets() if d != "pocket"]
    )
    transform = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    data = load_dataset(dataset, split, root=root, transform=transform)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    order = order[:n_max] if n_max is not None else order
    pairs = [data[int(i)] for i in order]
    return torch.stack([p[0] for p in pairs]), torch.tensor([int(p[1]) for p in pairs])


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the shipped pocket CNN and write its checkpoint and report.

    ``python -m zslkit.domains.quantization [--epochs 4 --batch-size 128 --lr 3e-3 --width 8 --seed 0]``
    """
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = {
        "n_epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "width": args.width,
        "seed": args.seed,
    }
    model, history = train_pocket_cnn(**config, log_every=1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, args.out)
    test_x, test_y = fashion_tensors("test")
    report = {
        "model": "pocket_cnn",
        "checkpoint": args.out.name,
        "size_bytes": args.out.stat().st_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_call": "zslkit.domains.quantization.train_pocket_cnn("
        + ", ".join(f"{k}={v!r}" for k, v in config.items())
        + ")",
        "command": f"python -m zslkit.domains.quantization --epochs {args.epochs} --batch-size {args.batch_size} "
        f"--lr {args.lr} --width {args.width} --seed {args.seed}",
        "data": "Fashion-MNIST, all 60,000 training images (Debian dataset-fashion-mnist)",
        "threads": args.threads,
        "versions": {"torch": torch.__version__},
        "history": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
            for row in history
        ],
        "test_accuracy": round(accuracy(load_pocket_cnn(args.out), test_x, test_y), 4),
    }
    if args.out == CHECKPOINT:
        REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps({k: report[k] for k in ("size_bytes", "parameters", "test_accuracy")}, indent=2)
    )
    return report


# --------------------------------------------------------------------------
# The chapter's experiments
# --------------------------------------------------------------------------
def calibration_sets(
    model: nn.Module,
    input_shape: Sequence[int],
    real_pool: torch.Tensor,
    seeds: Sequence[int],
    n: int,
    n_steps: int = 100,
    lr: float = 0.1,
    device: str = "cpu",
    genie_steps: int = 0,
) -> tuple[dict[str, dict[int, torch.Tensor]], dict[str, dict[int, list[float]]]]:
    """The calibration sets of every seed: real images, distilled inputs (ZeroQ, Genie), Gaussian noise.

    For the ``i``-th seed ``s``: ``real`` is ``real_pool[i n:(i + 1) n]``
    (disjoint draws), ``Gaussian`` is :func:`gaussian_inputs` with seed
    ``s`` and ``distilled`` is :func:`distill_inputs` started from that same
    noise, so that distilled minus Gaussian is the effect of distilling.
    With ``genie_steps > 0``, ``Genie`` is :func:`genie_distill_inputs`
    (``genie_steps`` steps, seed ``s``).

    Parameters
    ----------
    real_pool : (len(seeds) n, ...) float tensor of real inputs.
    n : calibration inputs of each kind per seed.
    n_steps, lr : steps and learning rate of ZeroQ's distillation.

    Returns
    -------
    calibration : ``{kind: {seed: (n, *input_shape) tensor}}``, kinds in the
        order real, distilled, (Genie,) Gaussian.
    histories : ``{"distilled" (, "Genie"): {seed: distillation loss per step}}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    check_range("n", n, 1, integer=True)
    if len(real_pool) < len(seeds) * n:
        raise ValueError(
            f"real_pool has {len(real_pool)} inputs; {len(seeds)} seeds x n={n} need {len(seeds) * n}"
        )
    check_range("genie_steps", genie_steps, 0, integer=True)
    kinds = ["real", "distilled"] + (["Genie"] if genie_steps else []) + ["Gaussian"]
    calibration = {kind: {} for kind in kinds}
    histories = {kind: {} for kind in kinds if kind in ("distilled", "Genie")}
    for i, seed in enumerate(seeds):
        calibration["real"][seed] = real_pool[i * n : (i + 1) * n]
        calibration["distilled"][seed], histories["distilled"][seed] = distill_inputs(
            model, n, input_shape, n_steps=n_steps, lr=lr, seed=seed, device=device
        )
        if genie_steps:
            calibration["Genie"][seed], histories["Genie"][seed] = genie_distill_inputs(
                model, n, input_shape, n_steps=genie_steps, seed=seed, device=device
            )
        calibration["Gaussian"][seed] = gaussian_inputs(n, input_shape, seed)
    return calibration, histories


def calibrated_ranges(
    model: nn.Module,
    calibration: dict[str, torch.Tensor],
    act_bits: int = 8,
    act_range: str = "minmax",
) -> dict[str, np.ndarray]:
    """The upper end of every calibrated activation range, for each calibration set.

    ``model`` is calibrated on each set of inputs (:func:`quantize_model`,
    float weights, ``act_bits`` activations, ``act_range`` "minmax" or
    "mse") and the upper end of every quantized layer input is read back
    (:func:`activation_ranges`).

    Returns ``{kind: (n_quantized_layers,) float array}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    return {
        name: np.array(
            [
                hi
                for _, hi in activation_ranges(
                    quantize_model(
                        model, inputs, weight_bits=None, act_bits=act_bits, act_range=act_range
                    )
                )
            ]
        )
        for name, inputs in calibration.items()
    }


def range_log_errors(
    ranges: dict[int, dict[str, np.ndarray]], reference: str = "real"
) -> dict[str, np.ndarray]:
    """How far each seed's calibrated ranges lie from the reference ranges, per kind.

    The reference range of a layer is the geometric mean over seeds of the
    ``reference`` kind's upper ends; the error of a kind on a seed is
    ``mean over layers |log(range / reference range)|`` (0: the same
    ranges; 0.1: about 10 % off). For the reference kind itself it
    measures how much the ranges move from seed to seed.

    Parameters
    ----------
    ranges : ``{seed: {kind: (n_layers,) upper ends}}`` (:func:`calibrated_ranges` per seed).

    Returns ``{kind: (n_seeds,) array}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    seeds = list(ranges)
    kinds = list(ranges[seeds[0]])
    check_choice("reference", reference, kinds)
    log_ref = np.mean([np.log(ranges[s][reference]) for s in seeds], axis=0)
    return {
        kind: np.array([np.mean(np.abs(np.log(ranges[s][kind]) - log_ref)) for s in seeds])
        for kind in kinds
    }


def calibration_experiment(
    model: nn.Module,
    calibration: dict[str, dict[int, torch.Tensor]],
    configs: Sequence[tuple[int, int]],
    inputs: torch.Tensor,
    labels,
    act_range: str = "mse",
) -> list[dict]:
    """Test accuracy of ``model`` quantized at each (weight bits, activation bits), per calibration set.

    Parameters
    ----------
    calibration : ``{kind: {seed: (n, ...) inputs}}`` (:func:`calibration_sets`).
    configs : e.g. ``[(4, 8), (6, 6)]``.
    act_range : "mse" or "minmax" (:func:`quantize_model`).

    Returns
    -------
    one row a (kind, seed, config): ``{"source", "seed", "config" ("W4A8"), "accuracy"}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    rows = []
    for source, sets in calibration.items():
        for seed, calibration_inputs in sets.items():
            for weight_bits, act_bits in configs:
                quantized = quantize_model(
                    model, calibration_inputs, weight_bits, act_bits, act_range=act_range
                )
                rows.append(
                    {
                        "source": source,
                        "seed": seed,
                        "config": f"W{weight_bits}A{act_bits}",
                        "accuracy": accuracy(quantized, inputs, labels),
                    }
                )
    return rows


def _by_seed(rows: Sequence[dict], source: str, config: str) -> dict[int, float]:
    return {
        r["seed"]: r["accuracy"] for r in rows if r["source"] == source and r["config"] == config
    }


def accuracy_intervals(rows: Sequence[dict]) -> dict[str, dict[str, Interval]]:
    """Mean accuracy over seeds with its 95 % t interval, per config and calibration source.

    rows : as :func:`calibration_experiment` returns them.

    Returns ``{config: {source: zslkit.stats.Interval}}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    configs = list(dict.fromkeys(r["config"] for r in rows))
    sources = list(dict.fromkeys(r["source"] for r in rows))
    return {
        c: {s: t_interval(list(_by_seed(rows, s, c).values())) for s in sources} for c in configs
    }


def paired_differences(rows: Sequence[dict], a: str, b: str) -> dict[str, Interval]:
    """Accuracy of source ``a`` minus source ``b`` on the same seed, mean and 95 % t interval over seeds.

    rows : as :func:`calibration_experiment` returns them; the seeds of
    ``a`` and ``b`` must be the same.

    Returns ``{config: zslkit.stats.Interval}``.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    sources = list(dict.fromkeys(r["source"] for r in rows))
    check_choice("a", a, sources)
    check_choice("b", b, sources)
    out = {}
    for config in dict.fromkeys(r["config"] for r in rows):
        first, second = _by_seed(rows, a, config), _by_seed(rows, b, config)
        if set(first) != set(second):
            raise ValueError(
                f"{a} and {b} have different seeds: {sorted(first)} vs {sorted(second)}"
            )
        out[config] = t_interval([first[seed] - second[seed] for seed in first])
    return out


def parse_configs(text: str) -> list[tuple[int, int]]:
    """``"W4A8,W6A6"`` -> ``[(4, 8), (6, 6)]`` (bits 2..16).

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    configs = []
    for item in text.replace(" ", "").split(","):
        upper = item.upper()
        if not upper.startswith("W") or "A" not in upper:
            raise ValueError(f"bit widths {item!r}: write them as W<bits>A<bits>, e.g. W4A8")
        weight, act = upper[1:].split("A", 1)
        if not (weight.isdigit() and act.isdigit()):
            raise ValueError(f"bit widths {item!r}: write them as W<bits>A<bits>, e.g. W4A8")
        check_range("weight bits", int(weight), 2, 16, integer=True)
        check_range("activation bits", int(act), 2, 16, integer=True)
        configs.append((int(weight), int(act)))
    return configs


def weights_only_accuracy(
    model: nn.Module, bits: Sequence[int], inputs: torch.Tensor, labels
) -> dict[int, float]:
    """Test accuracy with only the weights quantized (activations in float), per bit width.

    Returns ``{bits: accuracy}``; no calibration data is needed.

    Taught in: notebooks/44_data_free_quantization.ipynb.
    """
    return {
        b: accuracy(quantize_model(model, weight_bits=b, act_bits=None), inputs, labels)
        for b in bits
    }


if __name__ == "__main__":
    main()
