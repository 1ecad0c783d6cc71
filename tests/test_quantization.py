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
    assert sum(p.numel() for p in model.parameters()) == 27170
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 6
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


def test_weights_only_equals_quantizing_by_hand():
    net = _tiny_net()
    x = torch.randn(20, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    labels = net(x).argmax(1)  # the float model is right on every input
    weights_only = Q.weights_only_accuracy(net, (8, 2), x, labels)
    for bits in (8, 2):
        quantized = Q.quantize_model(net, weight_bits=bits, act_bits=None)
        hand = float((quantized(x).argmax(1) == labels).float().mean())
        assert weights_only[bits] == pytest.approx(hand)


def _brute_force_mse_range(x, n_bits, n_grid):
    """numpy: every clipping ratio k / n_grid, asymmetric codes 0..2^b - 1, the first minimum."""
    lo, hi = min(x.min(), 0.0), max(x.max(), 0.0)
    errors, ranges = [], []
    for k in range(1, n_grid + 1):
        a, b = lo * k / n_grid, hi * k / n_grid
        scale = np.float32((b - a) / (2**n_bits - 1))
        zero = np.round(-a / scale)
        q = np.clip(np.round(x / scale) + zero, 0, 2**n_bits - 1)
        errors.append(np.mean((scale * (q - zero) - x) ** 2))
        ranges.append((a, b))
    return ranges[int(np.argmin(errors))]


@pytest.mark.parametrize("n_bits", [3, 6])
def test_mse_range_matches_a_numpy_grid_search_and_clips_a_long_tail(n_bits):
    rng = np.random.default_rng(n_bits)
    x = np.maximum(rng.standard_t(3, size=5000), 0).astype(np.float32)  # post-ReLU, heavy tail
    lo, hi = Q.mse_range(torch.from_numpy(x), n_bits, "asymmetric", n_grid=50)
    expected = _brute_force_mse_range(x.astype(np.float64), n_bits, 50)
    assert (lo, hi) == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert lo == 0 and hi < x.max()  # the tail is clipped
    with pytest.raises(ValueError, match="n_bits"):
        Q.mse_range(torch.from_numpy(x), 1)


def test_mse_calibration_quantizes_with_the_mse_range_of_the_layer_input():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 50), nn.ReLU(), nn.Linear(50, 2)).eval()
    calibration, x = torch.randn(200, 3), torch.randn(7, 3)
    quantized = Q.quantize_model(net, calibration, weight_bits=None, act_bits=3, act_range="mse")
    h_calibration = torch.relu(net[0](calibration)).detach().numpy().astype(np.float64)
    lo, hi = _brute_force_mse_range(h_calibration.ravel(), 3, 100)
    assert Q.activation_ranges(quantized) == [pytest.approx((lo, hi), rel=1e-5, abs=1e-7)]
    h = torch.relu(net[0](x)).detach().numpy()
    scale = np.float32(hi / 7)
    h_hat = scale * np.clip(np.round(h / scale), 0, 7)
    expected = h_hat @ net[2].weight.detach().numpy().T + net[2].bias.detach().numpy()
    np.testing.assert_allclose(quantized(x).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="act_range"):
        Q.quantize_model(net, calibration, act_range="percentile")


def test_range_log_errors_by_hand():
    ranges = {
        0: {"real": np.array([1.0, 4.0]), "noise": np.array([2.0, 4.0])},
        1: {"real": np.array([4.0, 1.0]), "noise": np.array([2.0, 8.0])},
    }
    errors = Q.range_log_errors(ranges)
    # reference: geometric means (2, 2)
    np.testing.assert_allclose(errors["real"], [np.log(2), np.log(2)])
    np.testing.assert_allclose(errors["noise"], [np.log(2) / 2, np.log(4) / 2])
    with pytest.raises(ValueError, match="reference"):
        Q.range_log_errors(ranges, reference="distilled")


def test_calibration_sets_and_experiment_equal_building_them_by_hand():
    net = _conv_bn_net()
    pool = torch.randn(12, 2, 9, 9, generator=torch.Generator().manual_seed(5))
    calibration, histories = Q.calibration_sets(net, (2, 9, 9), pool, [3, 7], 6, n_steps=3)
    assert list(calibration) == ["real", "distilled", "Gaussian"]
    assert list(histories) == ["distilled"] and list(histories["distilled"]) == [3, 7]
    torch.testing.assert_close(calibration["real"][7], pool[6:12])
    torch.testing.assert_close(calibration["Gaussian"][3], Q.gaussian_inputs(6, (2, 9, 9), 3))
    distilled, history = Q.distill_inputs(net, 6, (2, 9, 9), n_steps=3, seed=7)
    torch.testing.assert_close(calibration["distilled"][7], distilled)
    assert histories["distilled"][7] == pytest.approx(history)
    x = torch.randn(10, 2, 9, 9, generator=torch.Generator().manual_seed(6))
    labels = net(x).argmax(1)
    rows = Q.calibration_experiment(net, calibration, [(4, 4)], x, labels)
    assert [(r["source"], r["seed"], r["config"]) for r in rows][:2] == [
        ("real", 3, "W4A4"),
        ("real", 7, "W4A4"),
    ]
    hand = Q.quantize_model(net, pool[:6], 4, 4, act_range="mse")
    assert rows[0]["accuracy"] == pytest.approx(float((hand(x).argmax(1) == labels).float().mean()))
    with pytest.raises(ValueError, match="real_pool"):
        Q.calibration_sets(net, (2, 9, 9), pool, [0, 1, 2], 6, n_steps=0)


def test_calibration_sets_with_genie_add_its_inputs_between_distilled_and_gaussian():
    net = _conv_bn_net()
    pool = torch.randn(8, 2, 8, 8, generator=torch.Generator().manual_seed(5))
    calibration, histories = Q.calibration_sets(
        net, (2, 8, 8), pool, [3, 7], 4, n_steps=2, genie_steps=3
    )
    assert list(calibration) == ["real", "distilled", "Genie", "Gaussian"]
    assert list(histories) == ["distilled", "Genie"]
    genie, history = Q.genie_distill_inputs(net, 4, (2, 8, 8), n_steps=3, seed=7)
    torch.testing.assert_close(calibration["Genie"][7], genie)
    assert histories["Genie"][7] == pytest.approx(history)
    with pytest.raises(ValueError, match="genie_steps"):
        Q.calibration_sets(net, (2, 8, 8), pool, [3], 4, n_steps=0, genie_steps=-1)


def test_swing_convolution_by_hand():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    pick = nn.Conv2d(1, 1, 1, stride=2, bias=False)  # reads every second pixel
    with torch.no_grad():
        pick.weight.fill_(1.0)
    # offset (1, 1) is the input itself
    torch.testing.assert_close(Q.SwingConv2d(pick, offset=(1, 1))(x), pick(x))
    # reflect-padded x = rows [5 4 5 6 7 6], [1 0 1 2 3 2], [5 4 5 6 7 6], [9 8 9 10 11 10], ...
    hand = {(0, 0): [[5.0, 5.0], [5.0, 5.0]], (2, 2): [[5.0, 7.0], [13.0, 15.0]]}
    padded = np.pad(x[0, 0].numpy(), 1, mode="reflect")
    for (dy, dx), values in hand.items():
        out = Q.SwingConv2d(pick, offset=(dy, dx))(x)[0, 0].detach().numpy()
        np.testing.assert_array_equal(out, values)
        np.testing.assert_array_equal(out, padded[dy : dy + 4, dx : dx + 4][::2, ::2])
    draws = [Q.SwingConv2d(pick, generator=torch.Generator().manual_seed(2)) for _ in range(2)]
    outs = [[d(x) for _ in range(5)] for d in draws]  # the same generator seed: the same shifts
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="offset"):
        Q.SwingConv2d(pick, offset=(0, 3))


def test_genie_generator_normalises_each_channel_over_the_batch():
    torch.manual_seed(0)
    generator = Q.GenieGenerator((3, 8, 12), latent_dim=5).train()
    out = generator(torch.randn(6, 5))
    assert out.shape == (6, 3, 8, 12)
    mean, var = out.mean(dim=(0, 2, 3)), out.var(dim=(0, 2, 3), unbiased=False)
    torch.testing.assert_close(mean, torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(var, torch.ones(3), atol=1e-3, rtol=0)  # BN eps = 1e-5
    with pytest.raises(ValueError, match="multiples of 4"):
        Q.GenieGenerator((1, 28, 30))


def test_genie_distillation_reduces_the_loss_and_leaves_the_model_alone():
    net = _conv_bn_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    inputs, history = Q.genie_distill_inputs(net, 16, (2, 8, 8), n_steps=60, swing=False, seed=1)
    assert inputs.shape == (16, 2, 8, 8) and len(history) == 61
    assert history[-1] < 0.6 * history[0]  # random running statistics: not all reachable
    # without swing the teacher is the model: the last value is the loss of the inputs
    assert Q.bn_statistics_loss(net, inputs).item() == pytest.approx(history[-1], rel=1e-5)
    again, _ = Q.genie_distill_inputs(net, 16, (2, 8, 8), n_steps=60, swing=False, seed=1)
    torch.testing.assert_close(inputs, again)  # seeded: reproducible
    swung, swung_history = Q.genie_distill_inputs(net, 16, (2, 8, 8), n_steps=60, seed=1)
    assert swung_history[-1] < swung_history[0]  # through random shifts: a noisier loss
    assert not torch.allclose(swung, inputs)
    assert not any(isinstance(m, Q.SwingConv2d) for m in net.modules())
    assert all(p.requires_grad for p in net.parameters())
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])
    with pytest.raises(ValueError, match="n_steps"):
        Q.genie_distill_inputs(net, 4, (2, 8, 8), n_steps=-1)


def test_parse_configs():
    assert Q.parse_configs("W4A8, w6a6") == [(4, 8), (6, 6)]
    with pytest.raises(ValueError, match="W<bits>A<bits>"):
        Q.parse_configs("4x8")
    with pytest.raises(ValueError, match="weight bits"):
        Q.parse_configs("W1A8")


def test_accuracy_intervals_and_paired_differences_match_scipy():
    from scipy import stats

    a, b = [0.80, 0.82, 0.79, 0.85], [0.78, 0.80, 0.80, 0.81]
    rows = [
        {"source": s, "seed": seed, "config": "W4A8", "accuracy": v}
        for s, values in (("real", a), ("noise", b))
        for seed, v in zip((3, 1, 2, 0), values)
    ]
    mean = Q.accuracy_intervals(rows)["W4A8"]["real"]
    low, high = stats.t.interval(0.95, 3, loc=np.mean(a), scale=stats.sem(a))
    assert (mean.estimate, mean.low, mean.high) == pytest.approx((np.mean(a), low, high))
    diff = Q.paired_differences(rows, "real", "noise")["W4A8"]
    d = np.subtract(a, b)
    low, high = stats.t.interval(0.95, 3, loc=d.mean(), scale=stats.sem(d))
    assert (diff.estimate, diff.low, diff.high) == pytest.approx((d.mean(), low, high))
    with pytest.raises(ValueError, match="distilled"):
        Q.paired_differences(rows, "distilled", "noise")
