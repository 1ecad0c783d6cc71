"""Parameter-efficient transfer (zslkit.beyond.peft_family) against closed forms and torch itself."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from zslkit.beyond import peft_family as pf
from zslkit.models import toyclip
from zslkit.paths import PACKAGE_DIR

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def visual():
    model, _, _ = toyclip.load(toyclip.CHECKPOINT2)
    return model.visual


@pytest.fixture(scope="module")
def arch():
    cfg = json.loads((PACKAGE_DIR / "configs" / "ToyCLIP.json").read_text())["vision_cfg"]
    d, layers, patch, side = cfg["width"], cfg["layers"], cfg["patch_size"], cfg["image_size"]
    return {"d": d, "L": layers, "ff": 4 * d, "patch": patch, "tokens": (side // patch) ** 2 + 1}


def _closed_form(method, a, rank=4, bottleneck=8, prefix_length=4):
    d, L, ff = a["d"], a["L"], a["ff"]
    if method == "full":  # conv1 (no bias), class token, positions, ln_pre, blocks, ln_post, proj
        block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (d * ff + ff) + (ff * d + d)
        return 3 * a["patch"] ** 2 * d + d + a["tokens"] * d + 2 * d + L * block + 2 * d + d * d
    if method == "linear_probe":
        return 0
    if method == "bitfit":  # ln_pre, ln_post; per block ln_1, in_proj, out_proj, ln_2, c_fc, c_proj
        return 2 * d + L * (d + 3 * d + d + d + ff + d)
    adapter = 2 * d * bottleneck + bottleneck + d
    if method == "adapter_houlsby":
        return 2 * L * adapter
    if method == "adapter_pfeiffer":
        return L * adapter
    if method == "lora":  # c_fc: A r x d, B ff x r; c_proj: A r x ff, B d x r
        return L * rank * (d + ff + ff + d)
    if method == "prefix":
        return L * 2 * prefix_length * d
    raise AssertionError(method)


@pytest.mark.parametrize("method", pf.METHODS)
def test_trainable_parameters_match_the_closed_form(visual, arch, method):
    tower = pf.prepare_tower(visual, method)
    assert pf.n_trainable(tower) == _closed_form(method, arch)
    head = torch.randn(4, 64)
    clf = pf.TowerClassifier(tower, head, 10.0)  # the head adds C x d weights and C biases
    assert pf.n_trainable(clf) == _closed_form(method, arch) + 4 * 64 + 4


def test_full_count_is_the_whole_tower(visual, arch):
    assert _closed_form("full", arch) == sum(p.numel() for p in visual.parameters())


@pytest.mark.parametrize("method", ["adapter_houlsby", "adapter_pfeiffer", "lora"])
def test_zero_initialised_modules_leave_the_output_unchanged(visual, method):
    x = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        before = visual(x)
        after = pf.prepare_tower(visual, method, seed=3)(x)
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


def test_prepare_leaves_the_pretrained_tower_untouched(visual):
    state = {k: v.clone() for k, v in visual.state_dict().items()}
    pf.prepare_tower(visual, "lora")
    pf.prepare_tower(visual, "prefix")
    for k, v in visual.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert all(p.requires_grad for p in visual.parameters())


def test_lora_merged_weight_is_w_plus_scaled_b_a(visual):
    tower = pf.prepare_tower(visual, "lora", rank=3, lora_alpha=6)
    torch.manual_seed(0)
    block = tower.transformer.resblocks[1]
    for layer in (block.mlp.c_fc, block.mlp.c_proj):
        nn.init.normal_(layer.lora_B["default"].weight, std=0.1)  # B = 0 at init: make it nonzero
    base = visual.transformer.resblocks[1].mlp
    scale = 6 / 3  # lora_alpha / r
    merged = {}
    for name in ("c_fc", "c_proj"):
        layer = getattr(block.mlp, name)
        a, b = layer.lora_A["default"].weight.detach(), layer.lora_B["default"].weight.detach()
        merged[name] = getattr(base, name).weight.detach() + scale * b @ a
    x = torch.randn(2, 17, 64)
    with torch.no_grad():
        # the unmerged LoRA forward equals plain torch with W + s B A
        hidden = torch.nn.functional.gelu(
            torch.nn.functional.linear(x, merged["c_fc"], base.c_fc.bias)
        )
        expected = torch.nn.functional.linear(hidden, merged["c_proj"], base.c_proj.bias)
        torch.testing.assert_close(block.mlp(x), expected, rtol=1e-5, atol=1e-5)
        # peft's merge writes exactly these weights
        for name in ("c_fc", "c_proj"):
            layer = getattr(block.mlp, name)
            layer.merge()
            torch.testing.assert_close(layer.base_layer.weight, merged[name])


def test_bitfit_trains_only_biases(visual):
    tower = pf.prepare_tower(visual, "bitfit")
    trainable = [n for n, p in tower.named_parameters() if p.requires_grad]
    assert trainable and all(n.endswith("bias") for n in trainable)
    task = pf.attribute_task("pattern", shots=2, n_val=1, n_test=1, seed=0)
    head = torch.nn.functional.normalize(torch.randn(4, 64), dim=-1)
    run = pf.fine_tune(visual, head, 20.0, task, "bitfit", steps=3, batch_size=4, eval_every=100)
    # keep the last step rather than step 0: compare the trained weights themselves
    trained = dict(run["model"].visual.named_parameters())
    original = dict(visual.named_parameters())
    for name, p in trained.items():
        if not name.endswith("bias"):
            assert torch.equal(p, original[name]), name
    # the kept step may be 0 (best validation); train without validation to see biases move
    tower = pf.prepare_tower(visual, "bitfit")
    opt = torch.optim.SGD([p for p in tower.parameters() if p.requires_grad], lr=0.1)
    tower(torch.randn(2, 3, 32, 32)).square().sum().backward()
    opt.step()
    moved = {n for n, p in tower.named_parameters() if not torch.equal(p, original[n])}
    assert moved and all(n.endswith("bias") for n in moved)


def _copy_attention(mha, add_bias_kv=False):
    twin = nn.MultiheadAttention(
        mha.embed_dim, mha.num_heads, batch_first=mha.batch_first, add_bias_kv=add_bias_kv
    )
    with torch.no_grad():
        twin.in_proj_weight.copy_(mha.in_proj_weight)
        twin.in_proj_bias.copy_(mha.in_proj_bias)
        twin.out_proj.weight.copy_(mha.out_proj.weight)
        twin.out_proj.bias.copy_(mha.out_proj.bias)
    return twin


def test_prefix_of_length_one_is_torch_attention_with_a_key_value_bias(visual):
    mha = visual.transformer.resblocks[0].attn
    prefix = pf.PrefixAttention(mha, length=1, init_std=0.5)
    # torch's add_bias_kv appends one learned key and value after projection:
    # attention does not depend on the order of keys, so it is a prefix of length 1
    twin = _copy_attention(mha, add_bias_kv=True)
    with torch.no_grad():
        twin.bias_k.copy_(prefix.prefix_keys.view(1, 1, -1))
        twin.bias_v.copy_(prefix.prefix_values.view(1, 1, -1))
        x = torch.randn(3, 17, mha.embed_dim)
        torch.testing.assert_close(prefix(x, x, x)[0], twin(x, x, x, need_weights=False)[0])


def test_prefix_of_length_zero_is_the_attention_itself(visual):
    mha = visual.transformer.resblocks[2].attn
    with torch.no_grad():
        x = torch.randn(2, 17, mha.embed_dim)
        torch.testing.assert_close(
            pf.PrefixAttention(mha, length=0)(x, x, x)[0], mha(x, x, x, need_weights=False)[0]
        )


def test_prefix_output_is_the_unified_views_interpolation(visual):
    """He et al.'s form: per head, out = (1 - lambda) Attn(x, C) + lambda Attn(x, P)."""
    mha = visual.transformer.resblocks[0].attn
    prefix = pf.PrefixAttention(mha, length=3, init_std=0.5)
    x = torch.randn(2, 17, mha.embed_dim)
    heads, dh = mha.num_heads, mha.embed_dim // mha.num_heads
    with torch.no_grad():
        q, k, v = torch.nn.functional.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, -1)
        lam = pf.prefix_mass(prefix, x)  # (n, heads, tokens)
        combined = []
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            scores = q[..., sl] @ k[..., sl].transpose(1, 2) / dh**0.5
            own = torch.softmax(scores, -1) @ v[..., sl]
            p_scores = q[..., sl] @ prefix.prefix_keys[:, sl].T / dh**0.5
            from_prefix = torch.softmax(p_scores, -1) @ prefix.prefix_values[:, sl]
            lh = lam[:, h, :, None]
            combined.append((1 - lh) * own + lh * from_prefix)
        expected = mha.out_proj(torch.cat(combined, -1))
        torch.testing.assert_close(prefix(x, x, x)[0], expected, rtol=1e-5, atol=1e-5)
    assert bool(((lam > 0) & (lam < 1)).all())


def test_attribute_task_is_balanced_and_respects_fixed_values():
    task = pf.attribute_task("pattern", shots=5, n_val=3, n_test=4, seed=2, fixed={"size": "large"})
    assert task["class_names"] == ["solid", "striped", "dotted", "checked"]
    for split, n in (("train", 5), ("val", 3), ("test", 4)):
        images, labels = task[split]
        assert images.shape == (4 * n, 32, 32, 3) and images.dtype == np.uint8
        assert np.bincount(labels, minlength=4).tolist() == [n] * 4
    other = pf.attribute_task(
        "pattern", shots=5, n_val=3, n_test=4, seed=3, fixed={"size": "large"}
    )
    assert np.array_equal(task["test"][0], other["test"][0])  # one test set for every seed
    assert not np.array_equal(task["train"][0], other["train"][0])


def test_unified_view_rows_follow_the_built_modules(visual):
    rows = {r["method"]: r for r in pf.unified_view()}
    assert set(rows) == set(pf.LABELS.values())
    assert rows["LoRA (peft)"]["insertion"] == "parallel"
    assert rows["adapter (Pfeiffer)"]["insertion"] == "sequential"
    # where the modules really sit in the prepared towers
    pfeiffer = pf.prepare_tower(visual, "adapter_pfeiffer").transformer.resblocks[0]
    assert isinstance(pfeiffer.ls_2, pf.BottleneckAdapter) and isinstance(
        pfeiffer.ls_1, nn.Identity
    )
    houlsby = pf.prepare_tower(visual, "adapter_houlsby").transformer.resblocks[0]
    assert isinstance(houlsby.ls_1, pf.BottleneckAdapter)
    prefix = pf.prepare_tower(visual, "prefix").transformer.resblocks[0]
    assert isinstance(prefix.attn, pf.PrefixAttention)


def test_bad_input_names_the_value_and_the_choices(visual):
    with pytest.raises(ValueError, match="'dora'.*lora"):
        pf.prepare_tower(visual, "dora")
    with pytest.raises(ValueError, match="'texture'.*pattern"):
        pf.attribute_task("texture")
    with pytest.raises(ValueError, match="'sunny'.*close-up"):
        pf.attribute_task("pattern", context="sunny")
    with pytest.raises(ValueError, match="size"):
        pf.attribute_task("pattern", fixed={"size": "huge"})
    with pytest.raises(ValueError, match="ResNet"):
        pf.prepare_tower(nn.Linear(2, 2), "lora")
