"""Tests of zslkit.domains.quantization against numpy, hand-worked cases and direct formulas."""

import numpy as np
import pytest
import torch
from torch import nn

from zslkit.domains import quantization as Q


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: a single thread is fastest, and much faster on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def np_quantize(x, scale, zero_point, q_min, q_max):
    return np.clip(np.round(x / scale) + zero_point, q_min, q_max)


def test_integer_ranges_by_hand():
    assert Q.integer_range(8, "symmetric") == (-127, 127)
    assert Q.integer_range(4, "symmetric") == (-7, 7)
    assert Q.integer_range(8, "asymmetric") == (0, 255)
    assert Q.integer_range(4, "asymmetric") == (0, 15)
    with pytest.raises(ValueError, match="scheme"):
        Q.integer_range(8, "log")
    with pytest.raises(ValueError, match="n_bits"):
        Q.integer_range(1, "symmetric")


def test_scale_and_zero_point_by_hand():
    scale, zero_point = Q.quant_params(-1.0, 2.0, 4, "symmetric")
    assert float(scale) == pytest.approx(2 / 7) and float(zero_point) == 0
    scale, zero_point = Q.quant_params(-1.0, 2.0, 4, "asymmetric")
    assert float(scale) == pytest.approx(0.2) and float(zero_point) == 5
    scale, zero_point = Q.quant_params(
        0.5, 2.0, 4, "asymmetric"
    )  # widened to [0, 2]: 0 stays exact
    assert float(scale) == pytest.approx(2 / 15) and float(zero_point) == 0
    scale, _ = Q.quant_params(0.0, 0.0, 8, "symmetric")
    assert float(scale) == pytest.approx(1e-8)


def test_hand_values_and_clipping():
    x = torch.tensor([-0.95, -0.2, 0.0, 0.33, 0.45, 2.5, -3.0])
    scale, zero_point = Q.quant_params(-1.0, 2.0, 4, "asymmetric")
    q = Q.quantize(x, scale, zero_point, 4, "asymmetric")
    assert q.tolist() == [0, 4, 5, 7, 7, 15, 0]  # 2.5 and -3.0 are clipped
    np.testing.assert_allclose(
        Q.dequantize(q, scale, zero_point).numpy(), [-1.0, -0.2, 0, 0.4, 0.4, 2.0, -1.0], atol=1e-6
    )
    scale, zero_point = Q.quant_params(-1.0, 2.0, 4, "symmetric")
    q = Q.quantize(x, scale, zero_point, 4, "symmetric")
    assert q.tolist() == [-3, -1, 0, 1, 2, 7, -7]


@pytest.mark.parametrize("scheme", Q.SCHEMES)
@pytest.mark.parametrize("n_bits", [2, 4, 8])
def test_round_trip_matches_numpy(scheme, n_bits):
    rng = np.random.default_rng(n_bits)
    x = rng.normal(0, 2, size=(5, 40)).astype(np.float32)
    x_min, x_max = np.float32(-1.5), np.float32(3.0)
    q_min, q_max = (
        (-(2 ** (n_bits - 1) - 1), 2 ** (n_bits - 1) - 1)
        if scheme == "symmetric"
        else (0, 2**n_bits - 1)
    )
    if scheme == "symmetric":
        scale, zero_point = max(abs(x_min), abs(x_max)) / q_max, 0.0
    else:
        scale = (x_max - x_min) / (q_max - q_min)
        zero_point = np.round(-x_min / scale)
    ours_scale, ours_zero = Q.quant_params(x_min, x_max, n_bits, scheme)
    assert float(ours_scale) == pytest.approx(scale, rel=1e-6) and float(ours_zero) == zero_point
    q = Q.quantize(torch.from_numpy(x), ours_scale, ours_zero, n_bits, scheme).numpy()
    np.testing.assert_array_equal(q, np_quantize(x, np.float32(scale), zero_point, q_min, q_max))
    x_hat = Q.fake_quantize(torch.from_numpy(x), x_min, x_max, n_bits, scheme).numpy()
    np.testing.assert_allclose(x_hat, scale * (q - zero_point), rtol=1e-5, atol=1e-6)
    lo, hi = scale * (q_min - zero_point), scale * (q_max - zero_point)
    inside = (x >= lo) & (x <= hi)
    assert np.all(
        np.abs(x_hat - x)[inside] <= scale / 2 + 1e-6
    )  # rounding moves a value by at most s/2
    np.testing.assert_allclose(x_hat[x > hi], hi, rtol=1e-6)  # clipped to the top level
    grid = scale * (
        np.arange(q_min, q_max + 1) - zero_point
    )  # values on the grid come back exactly
    np.testing.assert_allclose(
        Q.fake_quantize(
            torch.tensor(grid, dtype=torch.float32), x_min, x_max, n_bits, scheme
        ).numpy(),
        grid,
        atol=1e-6,
    )


def test_per_channel_weights_match_numpy_rows_and_commute_with_channel_scaling():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(6, 3, 3, 3)).astype(np.float32)
    ours = Q.quantize_weight(torch.from_numpy(w), 4, "symmetric").numpy()
    for c in range(6):
        scale = np.abs(w[c]).max() / 7
        np.testing.assert_allclose(
            ours[c], scale * np_quantize(w[c], scale, 0, -7, 7), rtol=1e-5, atol=1e-6
        )
    # folding a batch norm multiplies each output channel by a positive factor: the codes stay the same
    factor = rng.uniform(0.2, 5, size=(6, 1, 1, 1)).astype(np.float32)
    folded = Q.quantize_weight(torch.from_numpy(w * factor), 4, "symmetric").numpy()
    np.testing.assert_allclose(folded, ours * factor, rtol=1e-4, atol=1e-6)
    per_tensor = Q.quantize_weight(torch.from_numpy(w), 4, "symmetric", per_channel=False).numpy()
    scale = np.abs(w).max() / 7
    np.testing.assert_allclose(
        per_tensor, scale * np_quantize(w, scale, 0, -7, 7), rtol=1e-5, atol=1e-6
    )


def test_quantized_two_layer_net_equals_hand_computation():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)).eval()
    calibration, x = torch.randn(20, 3), torch.randn(7, 3)
    original = [p.detach().clone() for p in net.parameters()]
    quantized = Q.quantize_model(net, calibration, weight_bits=4, act_bits=4)
    w1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    w2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()

    def sym_rows(w):
        scale = np.abs(w).max(axis=1, keepdims=True) / 7
        return scale * np_quantize(w, scale, 0, -7, 7)

    h_calibration = np.maximum(
        calibration.numpy() @ sym_rows(w1).T + b1, 0
    )  # calibration runs in float ...
    hi = h_calibration.max()  # ... except for the quantized weights; ReLU: the range starts at 0
    scale = hi / 15
    h = np.maximum(x.numpy() @ sym_rows(w1).T + b1, 0)  # the network input is not quantized
    h_hat = scale * np_quantize(h, scale, 0, 0, 15)
    expected = h_hat @ sym_rows(w2).T + b2
    np.testing.assert_allclose(quantized(x).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert Q.activation_ranges(quantized) == [pytest.approx((0.0, hi), rel=1e-5)]
    assert all(
        torch.equal(a, b) for a, b in zip(original, net.parameters())
    )  # the original is untouched
    assert not isinstance(net[0], Q.QuantizedLayer)
    unquantized = Q.quantize_model(net, weight_bits=None, act_bits=None)
    torch.testing.assert_close(unquantized(x), net(x))
    with pytest.raises(ValueError, match="calibration_inputs"):
        Q.quantize_model(net, None, 8, 8)


def _conv_bn_net():
    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Conv2d(3, 4, 3, stride=2),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    for bn in (net[1], net[4]):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    return net.eval()


def test_bn_statistics_loss_equals_direct_formula():
    net = _conv_bn_net()
    x = torch.randn(6, 2, 9, 9)
    with torch.no_grad():
        a1 = net[0](x).numpy()  # the input of the first batch norm
        a2 = net[3](net[:3](x)).numpy()  # ... and of the second

    def terms(a, mean, var, eps, axes):
        m, v = a.mean(axis=axes), a.var(axis=axes)
        squared = (m - mean) ** 2 + (np.sqrt(v + eps) - np.sqrt(var + eps)) ** 2
        return squared.sum(axis=-1).mean() if squared.ndim > 1 else squared.sum()

    for per_sample, axes in ((False, (0, 2, 3)), (True, (2, 3))):
        expected = sum(
            terms(a, bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps, axes)
            for a, bn in ((a1, net[1]), (a2, net[4]))
        )
        xi = x.numpy()
        m, v = xi.mean(axis=axes), xi.var(axis=axes)
        squared = m**2 + (np.sqrt(v + 1e-5) - 1.0) ** 2
        expected_input = squared.sum(axis=-1).mean() if per_sample else squared.sum()
        ours = Q.bn_statistics_loss(net, x, per_sample=per_sample).item()
        assert ours == pytest.approx(expected + expected_input, rel=1e-4)
        no_input = Q.bn_statistics_loss(net, x, per_sample=per_sample, input_mean=None).item()
        assert no_input == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="batch-norm"):
        Q.bn_statistics_loss(nn.Sequential(nn.Linear(2, 2)), torch.randn(3, 2))


def test_distillation_reduces_the_loss_and_starts_from_the_gaussian_draw():
    net = _conv_bn_net()
    inputs, history = Q.distill_inputs(net, 16, (2, 9, 9), n_steps=60, lr=0.1, seed=4)
    assert len(history) == 61
    assert (
        history[-1] < 0.5 * history[0]
    )  # random running statistics: not all of them can be reached
    assert Q.bn_statistics_loss(net, inputs).item() == pytest.approx(history[-1], rel=1e-5)
    assert all(p.requires_grad for p in net.parameters())  # weights are left trainable as they were
    start, _ = Q.distill_inputs(net, 16, (2, 9, 9), n_steps=0, seed=4)
    torch.testing.assert_close(start, Q.gaussian_inputs(16, (2, 9, 9), seed=4))


def test_shipped_pocket_cnn_and_fashion_tensors():
    model = Q.load_pocket_cnn()
    x, y = Q.load_image_data("fashion_mnist", "test", seed=0, n_max=400)
    assert x.shape == (400, 1, 28, 28) and y.dtype == torch.int64
    assert abs(float(x.mean())) < 0.3  # normalised with the training set's mean and std
    assert Q.accuracy(model, x, y) > 0.8
    assert sum(p.numel() for p in model.parameters()) == 4370
    _, history = Q.distill_inputs(model, 8, (1, 28, 28), n_steps=40, lr=0.1)
    assert history[-1] < 0.1 * history[0]  # statistics of a trained network can be matched
    with pytest.raises(FileNotFoundError, match="python -m zslkit.domains.quantization"):
        Q.load_pocket_cnn("/nonexistent/pocket_cnn.pt")


def test_torchvision_model_goes_through_the_same_path():
    model, input_shape = Q.load_classifier("resnet18", "none")
    assert input_shape == (3, 224, 224)
    x = torch.randn(2, 3, 32, 32)
    quantized = Q.quantize_model(model, x, weight_bits=4, act_bits=8)
    n_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert sum(isinstance(m, Q.QuantizedLayer) for m in quantized.modules()) == n_layers
    assert len(Q.activation_ranges(quantized)) == n_layers - 1  # the network input stays in float
    assert quantized(x).shape == (2, 1000)
    _, history = Q.distill_inputs(model, 2, (3, 32, 32), n_steps=2, lr=0.1)
    assert len(history) == 3 and np.isfinite(history).all()
    with pytest.raises(ValueError, match="model_name|name"):
        Q.load_classifier("not_a_model")


def _tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)
    ).eval()


def test_calibrated_ranges_are_the_max_of_each_quantized_layer_input():
    net = _tiny_net()
    x = torch.randn(8, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    ranges = Q.calibrated_ranges(net, {"real": x, "scaled": 2 * x})
    # the first layer's input (the image) is not quantized; the linear layer's input is
    hidden = net[2](net[1](net[0](x)))
    assert ranges["real"] == pytest.approx([float(hidden.max().detach())])
    assert ranges["scaled"] == pytest.approx([float(net[2](net[1](net[0](2 * x))).max().detach())])


def test_accuracy_table_and_weights_only_equal_quantizing_by_hand():
    net = _tiny_net()
    gen = torch.Generator().manual_seed(2)
    x, calib = torch.randn(20, 1, 4, 4, generator=gen), torch.randn(6, 1, 4, 4, generator=gen)
    labels = net(x).argmax(1)  # the float model is right on every input
    table = Q.accuracy_table(net, {"c": calib}, [(8, 8), (4, 2)], x, labels)
    assert list(table["c"]) == ["W8A8", "W4A2"]
    for (w, a), key in [((8, 8), "W8A8"), ((4, 2), "W4A2")]:
        quantized = Q.quantize_model(net, calib, weight_bits=w, act_bits=a)
        hand = float((quantized(x).argmax(1) == labels).float().mean())
        assert table["c"][key] == pytest.approx(hand)
    weights_only = Q.weights_only_accuracy(net, (8, 2), x, labels)
    for bits in (8, 2):
        quantized = Q.quantize_model(net, weight_bits=bits, act_bits=None)
        hand = float((quantized(x).argmax(1) == labels).float().mean())
        assert weights_only[bits] == pytest.approx(hand)


def test_range_sweep_equals_fake_quantizing_one_layer_input_by_hand():
    net = _tiny_net()
    gen = torch.Generator().manual_seed(3)
    x, calib = torch.randn(30, 1, 4, 4, generator=gen), torch.randn(8, 1, 4, 4, generator=gen)
    labels = net(x).argmax(1)
    factors = np.array([0.25, 1.0, 3.0])
    sweep = Q.range_sweep(net, calib, 2, factors, x, labels)
    h_calib = net[2](net[1](net[0](calib)))
    lo, hi = float(h_calib.min().detach()), float(h_calib.max().detach())
    for factor, accuracy in zip(factors, sweep):
        scale, zero = Q.quant_params(lo, hi * factor, 2, "asymmetric")
        h = net[2](net[1](net[0](x)))
        q = np_quantize(h.detach().numpy(), float(scale), float(zero), 0, 3)
        h_hat = torch.tensor((q - float(zero)) * float(scale), dtype=torch.float32)
        hand = float((net[3](h_hat).argmax(1) == labels).float().mean())
        assert accuracy == pytest.approx(hand)
