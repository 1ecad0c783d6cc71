"""Parameter-efficient transfer as one family: six ways to adapt CLIP's image tower.

A downstream task that pretraining rarely describes (the pocket world's
*pattern*: ToyCLIP 2's captions name it with probability
``world.MENTION_PROB["pattern"] = 0.1``) is learned from a few labels per
class with one of these methods, all on the same open_clip
``VisionTransformer`` and the same linear head (initialised from the
zero-shot text classifier, trained in every method):

* ``full`` - every weight of the image tower;
* ``linear_probe`` - the head only, the tower frozen;
* ``bitfit`` - the bias terms only (Zaken et al. 2022), LayerNorm biases
  included;
* ``adapter_houlsby`` / ``adapter_pfeiffer`` - bottleneck adapters
  :math:`h \\leftarrow h + \\mathrm{ReLU}(h W_{down}) W_{up}` after the
  attention and the MLP sublayer of every block (Houlsby et al. 2019), or
  after the MLP only (Pfeiffer et al. 2021), with :math:`W_{up} = 0` at the
  start; written here (:class:`BottleneckAdapter`) because ``peft`` has no
  bottleneck adapter;
* ``lora`` - LoRA (Hu et al. 2022) from the ``peft`` library:
  ``peft.inject_adapter_in_model(LoraConfig(target_modules=["c_fc",
  "c_proj"]), tower)`` on the two ``nn.Linear`` layers of every MLP. peft
  0.21.2 also wraps ``nn.MultiheadAttention`` (its packed q, k, v projection
  and its output projection together, never q and v alone), but that
  wrapper adds the output projection's update twice in every forward pass
  (huggingface/peft pull request #3774, open), so the attention is not a
  target here (``lora_targets`` can ask for ``"attn"`` all the same);
* ``prefix`` - prefix tuning (Li & Liang 2021): ``l`` learned key and value
  vectors prepended in every attention layer (:class:`PrefixAttention`);
  written here because ``peft``'s prefix tuning feeds ``past_key_values`` to
  a Hugging Face transformers model and has no path into open_clip's
  ``nn.MultiheadAttention``.

:func:`unified_view` gives each method as a modification :math:`\\Delta h` of
a hidden state, in the design dimensions of He et al. (2022, "Towards a
Unified View of Parameter-Efficient Transfer Learning", Table 1).

Taught in: notebooks/53_parameter_efficient_transfer.ipynb
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zslkit.checks import check_choice, check_range
from zslkit.data import web, world

METHODS = (
    "full",
    "linear_probe",
    "bitfit",
    "adapter_houlsby",
    "adapter_pfeiffer",
    "lora",
    "prefix",
)
"""The methods :func:`prepare_tower` builds, in the order the chapter shows them."""

LABELS = {
    "full": "full fine-tuning",
    "linear_probe": "linear probe",
    "bitfit": "BitFit",
    "adapter_houlsby": "adapter (Houlsby)",
    "adapter_pfeiffer": "adapter (Pfeiffer)",
    "lora": "LoRA (peft)",
    "prefix": "prefix tuning",
}
"""Display name of each method."""

TARGETS = ("pattern", "size", "colour", "shape")
"""Attributes a downstream task can classify (pattern and size are rarely captioned)."""

DEFAULT_LR = {
    "full": 1e-3,
    "linear_probe": 1e-2,
    "bitfit": 1e-2,
    "adapter_houlsby": 1e-2,
    "adapter_pfeiffer": 1e-2,
    "lora": 1e-2,
    "prefix": 1e-2,
}
"""Middle of each method's learning-rate grid (full fine-tuning takes smaller steps)."""


# --------------------------------------------------------------------------
# The downstream task
# --------------------------------------------------------------------------
def _draw_per_class(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    picks = [rng.choice(np.flatnonzero(labels == c), n, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(picks))


def attribute_task(
    target: str = "pattern",
    shots: int = 8,
    n_val: int = 8,
    n_test: int = 64,
    seed: int = 0,
    context: str = "plain",
    size: int = 32,
    fixed: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A few-shot task: classify one attribute of pocket-world objects.

    The other attributes vary as nuisance (images of every colour-shape-
    pattern-size class are rendered, then labelled by ``target`` alone),
    except those held at one value by ``fixed`` (e.g. ``{"size": "large"}``:
    large objects only, whose patterns cover more pixels).
    Photos are rendered in one :data:`zslkit.data.web.CONTEXTS` context
    (``"close-up"`` enlarges and centres the object). ``shots`` training and
    ``n_val`` validation images per class come from two renders seeded by
    ``seed``, the ``n_test`` test images per class from a render with a
    fixed seed, the same for every ``seed``, so that seeds are paired on one
    test set.

    Returns
    -------
    dict with ``class_names`` (the target's values), ``train``, ``val``,
    ``test`` (each ``(images, labels)``: uint8 (n, size, size, 3), int64).
    """
    check_choice("target", target, TARGETS)
    check_range("shots", shots, 1, 10_000, integer=True)
    check_range("n_val", n_val, 1, 10_000, integer=True)
    check_range("n_test", n_test, 1, 100_000, integer=True)
    check_range("seed", seed, 0, 2**31 - 1, integer=True)
    check_choice("context", context, web.CONTEXTS)
    task = "colour_shape_pattern_size"
    fixed = dict(fixed or {})
    for attribute, value in fixed.items():
        check_choice("fixed attribute", attribute, [a for a in world.ATTRIBUTES if a != target])
        check_choice(f"fixed[{attribute!r}]", value, world.ATTRIBUTES[attribute])
    names = [
        c
        for c in world.class_names(task)
        if all(world.class_attributes(c, task)[a] == v for a, v in fixed.items())
    ]
    values = list(world.ATTRIBUTES[target])
    to_target = np.array([values.index(world.class_attributes(c, task)[target]) for c in names])
    n_classes = len(names)
    per_value = n_classes // len(values)

    def render(n_each: int, render_seed: int):
        per_class = max(1, math.ceil(n_each / per_value))
        images, labels = web.make_images(
            names, per_class, "photo", context, render_seed, task, size
        )
        labels = to_target[labels]
        keep = _draw_per_class(labels, n_each, np.random.default_rng(render_seed))
        return images[keep], labels[keep]

    train_x, train_y = render(shots, 1_000 + seed)
    val_x, val_y = render(n_val, 2_000 + seed)
    test_x, test_y = render(n_test, 7_777)
    return {
        "target": target,
        "fixed": fixed,
        "class_names": values,
        "train": (train_x, train_y),
        "val": (val_x, val_y),
        "test": (test_x, test_y),
    }


def image_tensor(images: np.ndarray, visual: nn.Module) -> torch.Tensor:
    """uint8 (n, s, s, 3) images as the tower's normalised input (resized to its image size)."""
    cfg = getattr(visual, "preprocess_cfg", {}) or {}
    mean = torch.tensor(cfg.get("mean", (0.48145466, 0.4578275, 0.40821073))).view(1, 3, 1, 1)
    std = torch.tensor(cfg.get("std", (0.26862954, 0.26130258, 0.27577711))).view(1, 3, 1, 1)
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    side = visual.image_size
    side = side[0] if isinstance(side, (tuple, list)) else side
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bicubic", align_corners=False).clamp(0, 1)
    return (x - mean) / std


def text_head(
    model: Any, tokenizer: Any, target: str, template: str = "a photo of a {}."
) -> torch.Tensor:
    """Zero-shot classifier for ``target``: (C, d) mean text embedding of every class phrase.

    Row c averages the normalised embeddings of the prompts of every
    colour-shape-pattern-size phrase whose ``target`` is value c
    ("a photo of a small red striped circle."), renormalised.
    """
    check_choice("target", target, TARGETS)
    task = "colour_shape_pattern_size"
    names = world.class_names(task)
    device = next(model.parameters()).device
    rows = []
    with torch.no_grad():
        for value in world.ATTRIBUTES[target]:
            phrases = [c for c in names if world.class_attributes(c, task)[target] == value]
            tokens = tokenizer([world.Template(template)(p) for p in phrases]).to(device)
            emb = F.normalize(model.encode_text(tokens).float(), dim=-1).mean(0)
            rows.append(F.normalize(emb, dim=0))
    return torch.stack(rows).cpu()


# --------------------------------------------------------------------------
# The methods' modules
# --------------------------------------------------------------------------
class BottleneckAdapter(nn.Module):
    """``y = base(h)``, then ``y + ReLU(y W_down + b_down) W_up + b_up`` (a sequential adapter).

    Wraps a block's layer-scale slot (``ls_1`` after attention, ``ls_2``
    after the MLP; an ``nn.Identity`` in ToyCLIP and in OpenAI's ViTs), so the
    adapter sees the sublayer's output before the residual sum, Houlsby's
    placement. ``W_up`` and ``b_up`` start at zero: the adapted model starts
    as the pretrained one.
    """

    def __init__(self, base: nn.Module, width: int, bottleneck: int):
        super().__init__()
        self.base = base
        self.down = nn.Linear(width, bottleneck)
        self.up = nn.Linear(bottleneck, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The modification Δh = ReLU(h W_down) W_up of a hidden state ``h``."""
        return self.up(F.relu(self.down(h)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.base(x)
        return h + self.delta(h)


class PrefixAttention(nn.Module):
    """An ``nn.MultiheadAttention`` whose keys and values get ``length`` learned prefix vectors.

    ``softmax(q [P_k; K]^T / sqrt(d_head)) [P_v; V]`` per head, with ``K``,
    ``V`` the projected keys and values of the tokens and ``P_k``, ``P_v``
    (``length`` x width, in the projected space, split into heads like the
    tokens' own) learned. The wrapped attention's weights are used as they
    are; only ``prefix_keys`` and ``prefix_values`` are new. Called like the
    attention it replaces (``query, key, value, need_weights, attn_mask``);
    returns ``(output, None)``.
    """

    def __init__(self, attn: nn.MultiheadAttention, length: int, init_std: float = 0.02):
        super().__init__()
        if not getattr(attn, "_qkv_same_embed_dim", True) or attn.in_proj_weight is None:
            raise ValueError("PrefixAttention needs an attention with packed q, k, v projections")
        check_range("length", length, 0, 10_000, integer=True)
        self.attn = attn
        width = attn.embed_dim
        self.prefix_keys = nn.Parameter(init_std * torch.randn(length, width))
        self.prefix_values = nn.Parameter(init_std * torch.randn(length, width))

    def forward(self, query, key=None, value=None, need_weights=False, attn_mask=None, **_):
        attn = self.attn
        x = query if attn.batch_first else query.transpose(0, 1)  # (n, tokens, width)
        n, tokens, width = x.shape
        heads, length = attn.num_heads, self.prefix_keys.shape[0]
        q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        k = torch.cat([self.prefix_keys.unsqueeze(0).expand(n, -1, -1), k], dim=1)
        v = torch.cat([self.prefix_values.unsqueeze(0).expand(n, -1, -1), v], dim=1)

        def split(t):
            return t.reshape(n, t.shape[1], heads, width // heads).transpose(1, 2)

        mask = None
        if attn_mask is not None:  # prefix positions are visible to every query
            mask = F.pad(attn_mask.to(q.dtype), (length, 0))
        out = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=mask)
        out = attn.out_proj(out.transpose(1, 2).reshape(n, tokens, width))
        return (out if attn.batch_first else out.transpose(0, 1)), None


class TowerClassifier(nn.Module):
    """An image tower and a linear head on its normalised embedding: ``scale * f W^T + b``."""

    def __init__(self, visual: nn.Module, head: torch.Tensor, scale: float):
        super().__init__()
        self.visual = visual
        self.weight = nn.Parameter(head.clone().float())
        self.bias = nn.Parameter(torch.zeros(head.shape[0]))
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = F.normalize(self.visual(x), dim=-1)
        return self.scale * f @ self.weight.T + self.bias


def _blocks(visual: nn.Module) -> list[nn.Module]:
    try:
        return list(visual.transformer.resblocks)
    except AttributeError as err:
        raise ValueError(
            f"{type(visual).__name__} has no transformer.resblocks: the methods need an open_clip "
            "VisionTransformer (ToyCLIP, ViT-B-32, ...), not a ResNet"
        ) from err


def prepare_tower(
    visual: nn.Module,
    method: str,
    rank: int = 4,
    bottleneck: int = 8,
    prefix_length: int = 4,
    lora_alpha: float | None = None,
    lora_targets: Sequence[str] = ("c_fc", "c_proj"),
    seed: int = 0,
) -> nn.Module:
    """A copy of ``visual`` set up for ``method``: new modules inserted, ``requires_grad`` set.

    Parameters
    ----------
    visual : an open_clip ``VisionTransformer`` (left untouched).
    method : one of :data:`METHODS`.
    rank : LoRA's rank r (``peft.LoraConfig(r=rank, lora_alpha=lora_alpha)``;
        ``lora_alpha`` defaults to ``rank``, a scale s = alpha / r of 1).
    lora_targets : module names LoRA adapts (peft's ``target_modules``).
    bottleneck : the adapters' bottleneck width.
    prefix_length : prefix tuning's number of key/value vectors per layer.
    seed : seeds the new modules' initialisation.

    Returns the prepared copy; its trainable parameters are those with
    ``requires_grad`` (the head of :class:`TowerClassifier` comes on top).
    """
    check_choice("method", method, METHODS)
    check_range("rank", rank, 1, 4096, integer=True)
    check_range("bottleneck", bottleneck, 1, 4096, integer=True)
    check_range("prefix_length", prefix_length, 1, 4096, integer=True)
    blocks = _blocks(visual)
    tower = copy.deepcopy(visual)
    blocks = _blocks(tower)
    torch.manual_seed(seed)
    for p in tower.parameters():
        p.requires_grad_(method == "full")
    if method == "bitfit":
        for name, p in tower.named_parameters():
            p.requires_grad_(name.endswith("bias"))
    elif method in ("adapter_houlsby", "adapter_pfeiffer"):
        width = blocks[0].ln_2.normalized_shape[0]
        for block in blocks:
            if method == "adapter_houlsby":
                block.ls_1 = BottleneckAdapter(block.ls_1, width, bottleneck)
            block.ls_2 = BottleneckAdapter(block.ls_2, width, bottleneck)
    elif method == "lora":
        from peft import LoraConfig, inject_adapter_in_model

        config = LoraConfig(
            r=rank,
            lora_alpha=rank if lora_alpha is None else lora_alpha,
            target_modules=list(lora_targets),
        )
        tower = inject_adapter_in_model(config, tower)  # marks only lora_ params trainable
    elif method == "prefix":
        for block in blocks:
            block.attn = PrefixAttention(block.attn, prefix_length)
    return tower


def n_trainable(module: nn.Module) -> int:
    """Number of parameters with ``requires_grad`` (shared tensors counted once)."""
    return sum(
        p.numel() for p in {id(p): p for p in module.parameters()}.values() if p.requires_grad
    )


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
@torch.no_grad()
def predict_classes(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Arg-max class of every row of the input tensor ``x``."""
    return torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])


def fine_tune(
    visual: nn.Module,
    head: torch.Tensor,
    scale: float,
    task: dict,
    method: str,
    lr: float | None = None,
    steps: int = 60,
    batch_size: int = 32,
    eval_every: int = 10,
    seed: int = 0,
    tensors: dict | None = None,
    **method_kwargs,
) -> dict[str, Any]:
    """Train ``method`` on ``task`` with AdamW; keep the step of best validation accuracy.

    Parameters
    ----------
    visual : the pretrained image tower (copied, never changed).
    head, scale : the head's initial (C, d) weights and its logit scale.
    task : from :func:`attribute_task`.
    lr : AdamW's learning rate (default :data:`DEFAULT_LR`); weight decay 0.
    steps, batch_size : optimisation steps and images per step (drawn
        without replacement, epoch by epoch, with ``seed``).
    eval_every : validation accuracy every this many steps (and at step 0);
        the trainable weights of the best step (first of ties) are kept.
    tensors : the task's images already converted by :func:`image_tensor`
        (``{"train": x, "val": x, "test": x}``), to convert them once for
        every method.
    method_kwargs : passed to :func:`prepare_tower` (``rank``, ``bottleneck``,
        ``prefix_length``).

    Returns
    -------
    dict with ``test_correct`` (bool array over the test images),
    ``test_accuracy``, ``val_accuracy`` (at the kept step), ``best_step``,
    ``n_trainable`` (tower and head), ``seconds``, and ``model`` (the
    trained :class:`TowerClassifier`; for ``linear_probe`` its tower is an
    ``nn.Identity`` on the cached embeddings).
    """
    check_choice("method", method, METHODS)
    check_range("steps", steps, 0, 1_000_000, integer=True)
    check_range("batch_size", batch_size, 1, 100_000, integer=True)
    check_range("eval_every", eval_every, 1, 1_000_000, integer=True)
    lr = DEFAULT_LR[method] if lr is None else lr
    check_range("lr", lr, 1e-8, 10.0)
    start = time.perf_counter()
    if tensors is None:
        tensors = {k: image_tensor(task[k][0], visual) for k in ("train", "val", "test")}
    ys = {k: torch.as_tensor(task[k][1]) for k in ("train", "val", "test")}
    model = TowerClassifier(prepare_tower(visual, method, seed=seed, **method_kwargs), head, scale)
    if method == "linear_probe":  # frozen tower: embed every image once, train the head on that
        with torch.no_grad():
            tensors = {k: model.visual(x) for k, x in tensors.items()}
        model.visual = nn.Identity()
    model.to(tensors["train"].device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(seed)
    n = len(ys["train"])
    order = torch.randperm(n, generator=generator)

    def val_accuracy() -> float:
        return float((predict_classes(model, tensors["val"]).cpu() == ys["val"]).float().mean())

    best = (val_accuracy(), 0, [p.detach().clone() for p in params])
    position = 0
    for step in range(1, steps + 1):
        if position + batch_size > n:
            order, position = torch.randperm(n, generator=generator), 0
        idx = order[position : position + batch_size]
        position += batch_size
        loss = F.cross_entropy(model(tensors["train"][idx]), ys["train"][idx].to(params[0].device))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % eval_every == 0 or step == steps:
            acc = val_accuracy()
            if acc > best[0]:
                best = (acc, step, [p.detach().clone() for p in params])
    with torch.no_grad():
        for p, kept in zip(params, best[2]):
            p.copy_(kept)
    correct = (predict_classes(model, tensors["test"]).cpu() == ys["test"]).numpy()
    return {
        "test_correct": correct,
        "test_accuracy": float(correct.mean()),
        "val_accuracy": best[0],
        "best_step": best[1],
        "n_trainable": n_trainable(model),
        "seconds": time.perf_counter() - start,
        "model": model,
    }


def zero_shot_correct(visual: nn.Module, head: torch.Tensor, x: torch.Tensor, y) -> np.ndarray:
    """Whether the untrained head (the zero-shot classifier) gets each image right."""
    model = TowerClassifier(visual, head, 1.0)
    return (predict_classes(model, x).cpu() == torch.as_tensor(y)).numpy()


def peft_sweep(
    visual: nn.Module,
    head: torch.Tensor,
    scale: float,
    task_for_seed,
    methods: Sequence[str],
    seeds: Sequence[int],
    lr_grid: Sequence[float] = (1.0,),
    **train_kwargs,
) -> dict[str, Any]:
    """Every method on every seed; each method's learning rate chosen on validation.

    ``task_for_seed(seed)`` gives the task of a seed (its draw of shots).
    For each method and seed, every ``DEFAULT_LR[method] * factor`` for
    ``factor`` in ``lr_grid`` is trained and the run of best validation
    accuracy (first of ties) is kept: the test labels choose nothing.

    Returns ``{"accuracy": {method: [per seed]}, "correct": {method: [bool
    arrays]}, "n_trainable": {method: int}, "lr": {method: [per seed]},
    "best_step": {...}, "seconds": {method: total}, "models": {method: the
    last seed's trained TowerClassifier}}``.
    """
    for m in methods:
        check_choice("method", m, METHODS)
    if len(seeds) < 1 or len(lr_grid) < 1:
        raise ValueError(f"need at least one seed and one lr factor, got {seeds!r}, {lr_grid!r}")
    out = {k: {m: [] for m in methods} for k in ("accuracy", "correct", "lr", "best_step")}
    out["n_trainable"], out["seconds"], out["models"] = {}, {m: 0.0 for m in methods}, {}
    for seed in seeds:
        task = task_for_seed(seed)
        tensors = {k: image_tensor(task[k][0], visual) for k in ("train", "val", "test")}
        device = next(visual.parameters()).device
        tensors = {k: v.to(device) for k, v in tensors.items()}
        for m in methods:
            runs = []
            for factor in lr_grid:
                lr = DEFAULT_LR[m] * factor
                run = fine_tune(
                    visual, head, scale, task, m, lr, seed=seed, tensors=tensors, **train_kwargs
                )
                run["lr"] = lr
                runs.append(run)
                out["seconds"][m] += run["seconds"]
            run = max(runs, key=lambda r: r["val_accuracy"])  # first of ties
            out["accuracy"][m].append(run["test_accuracy"])
            out["correct"][m].append(run["test_correct"])
            out["lr"][m].append(run["lr"])
            out["best_step"][m].append(run["best_step"])
            out["n_trainable"][m] = run["n_trainable"]
            out["models"][m] = run["model"]  # the last seed's kept model
    return out


# --------------------------------------------------------------------------
# The unified view
# --------------------------------------------------------------------------
_DESIGN = {
    # method: (in He et al. Table 1 as, modified hidden state, functional form of Δh,
    #          insertion form, composition)
    "prefix": (
        "Prefix Tuning",
        "head attention output (each head)",
        "softmax(x W_q P_k^T) P_v",
        "parallel",
        "h <- (1 - lambda) h + lambda Δh",
    ),
    "adapter_houlsby": (
        "Adapter",
        "attention and MLP sublayer outputs",
        "ReLU(h W_down) W_up",
        "sequential",
        "h <- h + Δh",
    ),
    "adapter_pfeiffer": (
        "Adapter",
        "MLP sublayer output",
        "ReLU(h W_down) W_up",
        "sequential",
        "h <- h + Δh",
    ),
    "lora": (
        "LoRA",
        "MLP c_fc and c_proj outputs (Hu et al.: attention W_q and W_v)",
        "x W_down W_up",
        "parallel",
        "h <- h + s Δh",
    ),
    "bitfit": (
        "",
        "every linear and LayerNorm output",
        "b (a learned constant)",
        "parallel",
        "h <- h + Δh",
    ),
    "full": ("", "every weight", "x ΔW (full rank)", "parallel", "h <- h + Δh"),
    "linear_probe": ("", "none (head only)", "0", "-", "-"),
}


def unified_view(
    methods: Sequence[str] = METHODS, rank: int = 4, bottleneck: int = 8, prefix_length: int = 4
) -> list[dict[str, str]]:
    """Each method as a modification Δh of a hidden state (He et al. 2022's design dimensions).

    One row per method: ``method``, ``paper_row`` (the row of the paper's
    Table 1 it instantiates, empty for methods the table does not list),
    ``hidden_state`` (which hidden state of an open_clip block is modified
    here), ``delta_h`` (the function computing Δh), ``insertion``
    (sequential: Δh is computed from the sublayer's output h; parallel:
    from its input x), ``composition`` (how Δh is combined with h) and
    ``scale`` (the constant s or λ's origin, as built here). For prefix
    tuning λ is not a parameter: it is the attention mass the prefix
    receives, ``sum_i exp(x W_q P_k,i) / (sum_i exp(x W_q P_k,i) + sum_j
    exp(x W_q k_j))``.
    """
    rows = []
    scales = {
        "lora": f"s = lora_alpha / r = 1 (r = {rank})",
        "prefix": f"lambda = attention mass on the {prefix_length} prefix vectors",
        "adapter_houlsby": f"1 (bottleneck {bottleneck})",
        "adapter_pfeiffer": f"1 (bottleneck {bottleneck})",
    }
    for m in methods:
        check_choice("method", m, METHODS)
        paper, state, form, insertion, composition = _DESIGN[m]
        rows.append(
            {
                "method": LABELS[m],
                "paper_row": paper,
                "hidden_state": state,
                "delta_h": form,
                "insertion": insertion,
                "composition": composition,
                "scale": scales.get(m, "1" if m not in ("linear_probe",) else "-"),
            }
        )
    return rows


def prefix_mass(attn: PrefixAttention, x: torch.Tensor) -> torch.Tensor:
    """λ of the unified view: per query token and head, the softmax mass on the prefix.

    ``x`` is the attention's input (batch-first, (n, tokens, width)).
    Returns (n, heads, tokens).
    """
    a = attn.attn
    n, tokens, width = x.shape
    heads, length = a.num_heads, attn.prefix_keys.shape[0]
    q, k, _ = F.linear(x, a.in_proj_weight, a.in_proj_bias).chunk(3, dim=-1)
    k = torch.cat([attn.prefix_keys.unsqueeze(0).expand(n, -1, -1), k], dim=1)
    q = q.reshape(n, tokens, heads, -1).transpose(1, 2)
    k = k.reshape(n, tokens + length, heads, -1).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(width // heads), dim=-1)
    return weights[..., :length].sum(-1)


# --------------------------------------------------------------------------
# Figures of a sweep
# --------------------------------------------------------------------------
def accuracy_figures(result: dict) -> dict[str, float]:
    """``{METHOD_top1, METHOD_top1_ci_low, METHOD_top1_ci_high}``: mean test top-1 over seeds, t interval."""
    from zslkit.stats import interval_figures, t_interval

    out: dict[str, float] = {}
    for m, values in result["accuracy"].items():
        out.update(interval_figures(f"{m}_top1", t_interval(values)))
    return out


def gap_figures(result: dict, baseline: str = "linear_probe", scale: float = 100.0) -> dict:
    """Each method minus ``baseline``, seed by seed: ``{METHOD_minus_BASELINE[_ci_low/_ci_high]}``.

    Student's t interval of the paired per-seed differences (every method
    of a seed trains on the same shots and is tested on the same images), in
    points for ``scale=100``.
    """
    from zslkit.stats import intervals_as_figures, paired_t_intervals

    accuracy = result["accuracy"]
    if baseline not in accuracy:
        raise ValueError(f"baseline={baseline!r} was not run; choose from {sorted(accuracy)}")
    pairs = [(m, baseline) for m in accuracy if m != baseline]
    gaps = paired_t_intervals(accuracy, pairs)
    return intervals_as_figures({f"{a}_minus_{b}": ci for (a, b), ci in gaps.items()}, scale=scale)


def results_table(result: dict, zero_shot: float | None = None) -> str:
    """Text table: method, trainable parameters, mean test top-1 [95 % t interval], chosen steps."""
    figures = accuracy_figures(result)
    lines = [f"{'method':<20}{'trainable':>10}{'top-1':>8}  95 % t interval   best steps"]
    if zero_shot is not None:
        lines.append(f"{'zero-shot head':<20}{0:>10}{zero_shot:>8.3f}")
    for m in result["accuracy"]:
        low, high = figures[f"{m}_top1_ci_low"], figures[f"{m}_top1_ci_high"]
        steps = ",".join(str(s) for s in result["best_step"][m])
        lines.append(
            f"{LABELS[m]:<20}{result['n_trainable'][m]:>10}{figures[f'{m}_top1']:>8.3f}"
            f"  [{low:.3f}, {high:.3f}]   {steps}"
        )
    return "\n".join(lines)


def accuracy_parameters_figure(result: dict, zero_shot: float | None = None, ax=None):
    """Test top-1 against trainable parameters (log scale), one point per method, t error bars."""
    import matplotlib.pyplot as plt

    from zslkit import style

    figures = accuracy_figures(result)
    names = [LABELS[m] for m in result["accuracy"]]
    colours = style.colours_for(names)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.8))
    for m, name in zip(result["accuracy"], names):
        mean = figures[f"{m}_top1"]
        err = [[mean - figures[f"{m}_top1_ci_low"]], [figures[f"{m}_top1_ci_high"] - mean]]
        ax.errorbar(
            result["n_trainable"][m],
            mean,
            yerr=err,
            fmt="o",
            color=colours[name],
            capsize=3,
            label=name,
        )
    if zero_shot is not None:
        ax.axhline(zero_shot, color=style.MUTED, linestyle=":", label="zero-shot head")
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters (tower + head)")
    ax.set_ylabel("test top-1 (mean over seeds, 95 % t)")
    ax.legend(fontsize=7, loc="best")
    return ax


@torch.no_grad()
def prefix_masses(model: nn.Module, x: torch.Tensor) -> list[float]:
    """Mean λ (attention mass on the prefix, :func:`prefix_mass`) of every prefix layer on inputs ``x``."""
    layers = [m for m in model.modules() if isinstance(m, PrefixAttention)]
    if not layers:
        raise ValueError("the model has no PrefixAttention layer: prepare it with method='prefix'")
    seen: dict[int, float] = {}

    def hook(module, args):
        query = args[0] if module.attn.batch_first else args[0].transpose(0, 1)
        seen[id(module)] = float(prefix_mass(module, query).mean())

    handles = [layer.register_forward_pre_hook(hook) for layer in layers]
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return [seen[id(layer)] for layer in layers]
