"""Zero-shot action recognition from frame features: pooling versus a temporal head.

An image-text model turns a video into a video by frames: encode every
frame, combine the frame features into one clip feature, compare it with
text features of action prompts ("a video of an object moving left").
ViFi-CLIP combines frames by averaging; X-CLIP, Mug-STAN and ZeroI2V add
modules that model time. Averaging forgets the order of the frames, so a
clip and the same clip played backwards get *identical* features: an
average cannot tell "moving left" from "moving right". This module gives

* :func:`encode_clips` -- per-frame features of a batch of clips;
* :func:`action_text_features` -- one text feature per action (a prompt
  ensemble), :func:`center_text_features` -- the same with their shared
  component removed;
* :func:`mean_pool` -- the order-blind clip feature;
* :class:`TemporalHead` / :class:`ClipTextHead` -- a small head (a few
  thousand parameters) that maps a clip's frame features into the text
  space, through the average frame (the pooled branch) plus a 1-D
  convolution over frame *differences* (the temporal branch), trained with
  a cross-entropy over the text features of the seen actions;
* :func:`direction_accuracy` -- how often a clip scores its own action above
  the opposite one (chance 0.5);
* :func:`clip_objects` -- which object ("red star") each pocket clip shows,
  so that heads can be trained on some objects and tested on others.

Taught in: notebooks/43_video_zero_shot.ipynb
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zslkit.checks import check_choice, check_range, resolve_device
from zslkit.data import world
from zslkit.models.zeroshot import zero_shot_classifier
from zslkit.stats import Interval


def opposite_action(action: str) -> str:
    """The action played backwards: ``"moving left"`` <-> ``"moving right"``, ``"growing"`` <-> ``"shrinking"``."""
    check_choice("action", action, world.ACTIONS)
    return world.ACTIONS[
        world.ACTIONS.index(action) ^ 1
    ]  # world.ACTIONS lists opposite actions in pairs


def clip_objects(
    n_per_action: int,
    seed: int = 0,
    frames: int = 8,
    size: int = 32,
    variant: str = "photo",
    actions: Sequence[str] = world.ACTIONS,
) -> list[str]:
    """The object ("red star") in each clip of ``world.make_clips`` called with the same arguments.

    ``frames`` is accepted so that the call can mirror ``make_clips``' exactly;
    objects do not depend on it.

    Returns
    -------
    list of ``len(actions) * n_per_action`` class names of the pocket world, in clip order.
    """
    check_range("n_per_action", n_per_action, 1, integer=True)
    check_range("frames", frames, 2, 64, integer=True)
    names = []
    for action in actions:
        check_choice("action", action, world.ACTIONS)
        # make_clips draws the objects of an action pair from this generator (see world._clip_draws).
        draws = world._clip_draws(
            world.ACTIONS.index(action) // 2, n_per_action, seed, variant, size
        )
        names += [
            f"{world.ATTRIBUTES['colour'][c]} {world.ATTRIBUTES['shape'][s]}"
            for c, s in zip(draws["colour"], draws["shape"])
        ]
    return names


def frames_to_tensor(frames: np.ndarray, model: Any) -> torch.Tensor:
    """Batch-convert uint8 frames to model input: scale, resize, normalise.

    The mean, std and input size come from ``model.visual.preprocess_cfg``
    (open_clip). Frames are resized with bicubic interpolation when the
    model's input size differs (e.g. 32 -> 224 pixels for ViT-B-32); at the
    native size this equals open_clip's ``preprocess`` exactly, without a
    PIL round trip per frame.

    Parameters
    ----------
    frames : (n, h, w, 3) uint8 array

    Returns
    -------
    (n, 3, size, size) float32 tensor
    """
    cfg = getattr(getattr(model, "visual", None), "preprocess_cfg", {}) or {}
    import open_clip

    mean = torch.tensor(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=torch.float32).view(
        1, 3, 1, 1
    )
    std = torch.tensor(cfg.get("std", open_clip.OPENAI_DATASET_STD), dtype=torch.float32).view(
        1, 3, 1, 1
    )
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    size = cfg.get("size", x.shape[-1])
    size = tuple(size) if isinstance(size, (tuple, list)) else (int(size), int(size))
    if tuple(x.shape[-2:]) != size:
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
    return (x - mean) / std


@torch.no_grad()
def encode_clips(
    model: Any, clips: np.ndarray, batch_size: int = 512, device: str = "cpu"
) -> torch.Tensor:
    """Frame features of clips: every frame through the image encoder.

    Parameters
    ----------
    model : an open_clip model (``zslkit.models.backbones.load_backbone``).
    clips : (n, T, h, w, 3) uint8 array (``world.make_clips``).
    batch_size : frames per encoder batch.

    Returns
    -------
    clip_features : (n, T, d) float32 tensor on the CPU; each frame's feature is L2-normalised.
    """
    check_range("batch_size", batch_size, 1, integer=True)
    device = resolve_device(device)
    clips = np.asarray(clips)
    if clips.ndim != 5 or clips.shape[-1] != 3:
        raise ValueError(f"clips must have shape (n, T, h, w, 3); got {clips.shape}")
    n, t = clips.shape[:2]
    frames = clips.reshape(n * t, *clips.shape[2:])
    chunks = [
        model.encode_image(
            frames_to_tensor(frames[i : i + batch_size], model).to(device), normalize=True
        )
        .float()
        .cpu()
        for i in range(0, len(frames), batch_size)
    ]
    return torch.cat(chunks).reshape(n, t, -1)


def action_text_features(
    model: Any,
    tokenizer: Callable,
    action_names: Sequence[str],
    templates: Sequence[str],
    device: str = "cpu",
) -> torch.Tensor:
    """One text feature per action: the prompt ensemble of :func:`zslkit.models.zeroshot.zero_shot_classifier`.

    Returns
    -------
    text_features : (C, d) float32 tensor, L2-normalised rows
        (row c is ``normalise(mean_t normalise(enc(templates[t](action_names[c]))))``).
    """
    return zero_shot_classifier(
        model, tokenizer, action_names, templates, device=device
    ).T.contiguous()


def center_text_features(text_features: torch.Tensor) -> torch.Tensor:
    """Remove the component that all rows share: ``normalise(t_c - mean_c t_c)``.

    When the prompts differ in one word ("... moving left." / "... moving
    right.") their features are nearly parallel; centring keeps only what
    tells them apart. It changes every logit of an image by the same
    ``f . mean`` before the rescaling, so it changes which class wins only
    through the renormalisation.

    Returns
    -------
    (C, d) float32 tensor, L2-normalised rows.
    """
    text_features = torch.as_tensor(text_features, dtype=torch.float32)
    return F.normalize(text_features - text_features.mean(dim=0, keepdim=True), dim=-1)


def mean_pool(clip_features: torch.Tensor) -> torch.Tensor:
    """The order-blind clip feature ``normalise((1/T) sum_t f_t)``: (n, T, d) -> (n, d)."""
    return F.normalize(torch.as_tensor(clip_features, dtype=torch.float32).mean(dim=1), dim=-1)


def direction_wins(logits, labels, action_names: Sequence[str]) -> np.ndarray:
    """Per clip: 1 when it scores its own action above the opposite action, 0.5 on a tie, 0 below.

    A clip whose action's opposite is not among ``action_names`` gets NaN.

    Parameters
    ----------
    logits : (n, C) scores of the clips for ``action_names``
    labels : (n,) ints indexing ``action_names``

    Returns
    -------
    (n,) float array of 1, 0.5, 0 or NaN.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    index = {a: i for i, a in enumerate(action_names)}
    wins = np.full(len(labels), np.nan)
    for k, (row, label) in enumerate(zip(logits, labels)):
        other = index.get(opposite_action(action_names[label]))
        if other is not None:
            wins[k] = 1.0 if row[label] > row[other] else 0.5 if row[label] == row[other] else 0.0
    return wins


def direction_accuracy(logits, labels, action_names: Sequence[str]) -> float:
    """How often a clip scores its own action above the opposite action (ties count half).

    Only clips whose action's opposite is among ``action_names`` count
    (the mean of :func:`direction_wins` over them). Chance, and the exact
    score of any method that ignores frame order on a set holding every
    clip together with its reverse, is 0.5.

    Parameters
    ----------
    logits : (n, C) scores of the clips for ``action_names``
    labels : (n,) ints indexing ``action_names``
    """
    wins = direction_wins(logits, labels, action_names)
    if np.isnan(wins).all():
        raise ValueError("no clip has its opposite action among action_names")
    return float(np.nanmean(wins))


class TemporalHead(nn.Module):
    """Map a clip's frame features into the text space.

    .. math::
        v = \\mathrm{normalise}\\Big(A\\,\\tfrac{1}{T}\\sum_t f_t
            + B\\,\\tfrac{1}{T-1}\\sum_{t} \\mathrm{relu}\\big(\\mathrm{conv}(\\Delta f)_t\\big)\\Big),
        \\qquad \\Delta f_t = f_{t+1} - f_t,

    with ``A`` a (d, d) linear map (initialised to the identity, so an
    untrained pooled head *is* mean pooling), ``conv`` a 1-D convolution
    over time from d to ``hidden`` channels and ``B`` a (hidden -> d) map
    initialised to zero. Played backwards, a clip's differences change sign
    and order, so the temporal branch can tell the two directions apart;
    with ``temporal=False`` only the pooled branch is left, and a clip and
    its reverse get the same ``v``. ``logit_scale`` is a learned
    temperature (initial value 10).
    """

    def __init__(self, dim: int, hidden: int = 16, kernel: int = 3, temporal: bool = True):
        super().__init__()
        self.pool = nn.Linear(dim, dim)
        with torch.no_grad():
            self.pool.weight.copy_(torch.eye(dim))
            self.pool.bias.zero_()
        self.temporal = temporal
        if temporal:
            self.conv = nn.Conv1d(dim, hidden, kernel, padding=kernel // 2)
            self.out = nn.Linear(hidden, dim)
            with torch.no_grad():
                self.out.weight.zero_()
                self.out.bias.zero_()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def forward(self, clip_features: torch.Tensor) -> torch.Tensor:
        """(n, T, d) frame features -> (n, d) L2-normalised clip embeddings."""
        v = self.pool(clip_features.mean(dim=1))
        if self.temporal:
            diffs = (clip_features[:, 1:] - clip_features[:, :-1]).transpose(1, 2)  # (n, d, T-1)
            v = v + self.out(F.relu(self.conv(diffs)).mean(dim=-1))
        return F.normalize(v, dim=-1)


class ClipTextHead:
    """A scikit-learn style estimator around :class:`TemporalHead`.

    ``fit`` trains the head with full-batch Adam on
    ``cross_entropy(logit_scale * v @ text_features.T, labels)``, where the
    rows of ``text_features`` are the (seen) actions' text features; the
    text encoder stays frozen. Afterwards the head scores clips against the
    text features of *any* actions, seen or not.

    Parameters
    ----------
    temporal : False leaves only the pooled branch (an order-blind head).
    hidden, kernel : channels and time width of the temporal convolution.
    n_steps, lr, weight_decay : the optimiser (Adam, full batch).
    seed : initialisation of the head.

    Attributes
    ----------
    head_ : the trained :class:`TemporalHead`.
    text_features_ : (C, d) the text features it was trained against.
    loss_history_ : training loss per step.
    n_parameters_ : number of trained parameters.
    """

    def __init__(
        self,
        temporal: bool = True,
        hidden: int = 16,
        kernel: int = 3,
        n_steps: int = 150,
        lr: float = 1e-2,
        weight_decay: float = 0.0,
        seed: int = 0,
        device: str = "cpu",
    ):
        self.temporal = temporal
        self.hidden = hidden
        self.kernel = kernel
        self.n_steps = n_steps
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.device = device

    def fit(
        self, clip_features: torch.Tensor, labels, text_features: torch.Tensor
    ) -> "ClipTextHead":
        """Train on (n, T, d) ``clip_features`` whose ``labels`` index the rows of (C, d) ``text_features``."""
        check_range("hidden", self.hidden, 1, integer=True)
        check_range("kernel", self.kernel, 1, integer=True)
        check_range("n_steps", self.n_steps, 0, integer=True)
        check_range("lr", self.lr, 0)
        device = resolve_device(self.device)
        x = torch.as_tensor(clip_features, dtype=torch.float32).to(device)
        y = torch.as_tensor(np.asarray(labels), dtype=torch.long).to(device)
        text = F.normalize(torch.as_tensor(text_features, dtype=torch.float32), dim=-1).to(device)
        if x.ndim != 3 or x.shape[1] < 2:
            raise ValueError(f"clip_features must have shape (n, T>=2, d); got {tuple(x.shape)}")
        if int(y.max()) >= len(text) or int(y.min()) < 0:
            raise ValueError(f"labels must index the {len(text)} rows of text_features")
        torch.manual_seed(self.seed)
        head = TemporalHead(x.shape[-1], self.hidden, self.kernel, self.temporal).to(device)
        optimiser = torch.optim.Adam(head.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.loss_history_ = []
        for _ in range(self.n_steps):
            loss = F.cross_entropy(head.logit_scale.exp() * head(x) @ text.T, y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            self.loss_history_.append(loss.item())
        self.head_ = head.eval()
        self.text_features_ = text.cpu()
        self.n_parameters_ = sum(p.numel() for p in head.parameters())
        return self

    @torch.no_grad()
    def embed(self, clip_features: torch.Tensor) -> torch.Tensor:
        """(n, T, d) frame features -> (n, d) L2-normalised clip embeddings in the text space."""
        device = next(self.head_.parameters()).device
        return self.head_(torch.as_tensor(clip_features, dtype=torch.float32).to(device)).cpu()

    def decision_function(
        self, clip_features: torch.Tensor, text_features: torch.Tensor | None = None
    ) -> np.ndarray:
        """(n, C) logits ``logit_scale * embed(clips) @ normalise(text_features).T`` (default: the training text)."""
        text = (
            self.text_features_
            if text_features is None
            else F.normalize(torch.as_tensor(text_features, dtype=torch.float32), dim=-1)
        )
        scale = float(self.head_.logit_scale.detach().exp())
        return (scale * self.embed(clip_features) @ text.T).numpy()

    def predict(
        self, clip_features: torch.Tensor, text_features: torch.Tensor | None = None
    ) -> np.ndarray:
        """(n,) index of the best-scoring text feature for every clip."""
        return self.decision_function(clip_features, text_features).argmax(axis=1)

    def score(
        self, clip_features: torch.Tensor, labels, text_features: torch.Tensor | None = None
    ) -> float:
        """Top-1 accuracy."""
        return float(np.mean(self.predict(clip_features, text_features) == np.asarray(labels)))


# ----------------------------------------------------------------------------------------------------------------------
# the chapter's experiments


def check_clips(n_per_action: int, frames: int, variant: str) -> None:
    """Check the pocket clips' parameters: 20 to 2000 clips per action, 2 to 64 frames, a variant.

    Raises a ``ValueError`` naming the bad value and the valid choices.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    check_range("n_per_action", n_per_action, 20, 2000, integer=True)
    check_range("frames", frames, 2, 64, integer=True)
    check_choice("variant", variant, world.VARIANTS)


def check_head(hidden: int, n_steps: int, lr: float) -> None:
    """Check a :class:`ClipTextHead`'s training parameters (1-1024 channels, 1-100000 steps, lr).

    Raises a ``ValueError`` naming the bad value.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    check_range("hidden", hidden, 1, 1024, integer=True)
    check_range("n_steps", n_steps, 1, 100_000, integer=True)
    check_range("lr", lr, 1e-6, 10.0)


def fit_heads(
    clip_features: torch.Tensor, labels, text_features: torch.Tensor, **head_kw
) -> tuple[dict, dict]:
    """Train the order-blind pooled head, then the temporal head, on the same clips.

    head_kw : the :class:`ClipTextHead` parameters (hidden, n_steps, lr, seed, device)
    shared by both heads; ``temporal`` is False for the first, True for the second.

    Returns ``(heads, seconds)``: ``{"pooled head": ClipTextHead, "temporal head":
    ClipTextHead}`` and the wall-clock seconds of each fit.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    import time

    heads, seconds = {}, {}
    for name, temporal in [("pooled head", False), ("temporal head", True)]:
        start = time.perf_counter()
        heads[name] = ClipTextHead(temporal=temporal, **head_kw).fit(
            clip_features, labels, text_features
        )
        seconds[name] = time.perf_counter() - start
    return heads, seconds


def score_logits(results: dict, labels, action_names: Sequence[str]) -> dict[str, dict]:
    """Top-1, direction and kind accuracy of each method's logits.

    results : ``{method: (n, C) logits}`` over ``action_names``; *kind* counts a
    prediction right when it names the right pair of opposite actions (moving
    left or right, ...), whatever the direction.

    Returns ``{method: {"top1": float, "direction": float, "kind": float}}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    labels = np.asarray(labels)
    kind = np.array([world.ACTIONS.index(a) // 2 for a in action_names])
    table = {}
    for name, logits in results.items():
        predictions = logits.argmax(1)
        table[name] = {
            "top1": float(np.mean(predictions == labels)),
            "direction": direction_accuracy(logits, labels, action_names),
            "kind": float(np.mean(kind[predictions] == kind[labels])),
        }
    return table


def action_accuracy_intervals(logits, labels, action_names: Sequence[str], seed: int = 0) -> dict:
    """Top-1 and direction accuracy of one method's logits, each with a 95 % interval.

    ``top1``: the exact (Clopper-Pearson) interval of the proportion of
    right answers (``scipy.stats.binomtest(...).proportion_ci()``);
    ``direction``: the mean of :func:`direction_wins` with a percentile
    bootstrap over clips (:func:`zslkit.stats.paired_bootstrap` of the wins
    against zero).

    Returns ``{"top1": Interval, "direction": Interval}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    from scipy.stats import binomtest

    from zslkit.stats import paired_bootstrap

    labels = np.asarray(labels)
    right = int(np.sum(np.asarray(logits).argmax(1) == labels))
    ci = binomtest(right, len(labels), 1 / len(action_names)).proportion_ci(0.95)
    wins = direction_wins(logits, labels, action_names)
    wins = wins[~np.isnan(wins)]
    top1 = Interval(right / len(labels), float(ci.low), float(ci.high), 0.95, "Clopper-Pearson")
    return {"top1": top1, "direction": paired_bootstrap(wins, np.zeros_like(wins), seed=seed)}


def head_gaps(
    results: dict, labels, action_names: Sequence[str], a: str, b: str, seed: int = 0
) -> dict[str, Interval]:
    """Method ``a`` minus method ``b`` on the same clips: top-1 and direction, paired bootstrap.

    results : ``{method: (n, C) logits}``. The per-clip right/wrong
    answers and the per-clip :func:`direction_wins` of the two methods go
    through :func:`zslkit.stats.paired_bootstrap`.

    Returns ``{"top1_gap": Interval, "direction_gap": Interval}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    from zslkit.stats import paired_bootstrap

    labels = np.asarray(labels)
    correct = {m: results[m].argmax(1) == labels for m in (a, b)}
    wins = {m: direction_wins(results[m], labels, action_names) for m in (a, b)}
    return {
        "top1_gap": paired_bootstrap(correct[a], correct[b], seed=seed),
        "direction_gap": paired_bootstrap(wins[a], wins[b], seed=seed),
    }


def direction_by_pair(
    results: dict,
    labels,
    action_names: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    seed: int = 0,
) -> dict[str, list[Interval]]:
    """Direction accuracy of each method on the clips of each pair of opposite actions, with an interval.

    The accuracy is the mean of :func:`direction_wins` over the pair's
    clips; its 95 % interval a percentile bootstrap over those clips
    (:func:`zslkit.stats.paired_bootstrap` of the wins against zero, so
    the difference is the accuracy itself).

    Returns ``{method: [Interval of pair 1, pair 2, ...]}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    from zslkit.stats import paired_bootstrap

    labels = np.asarray(labels)
    per_pair = {name: [] for name in results}
    for a, b in pairs:
        in_pair = np.isin(labels, [action_names.index(a), action_names.index(b)])
        for name, logits in results.items():
            wins = direction_wins(logits[in_pair], labels[in_pair], action_names)
            per_pair[name].append(paired_bootstrap(wins, np.zeros_like(wins), seed=seed))
    return per_pair


def _mean_interval(values, confidence: float = 0.95) -> Interval:
    """Mean of per-clip values with Student's t interval over the clips."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    mean, sem = float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))
    low, high = (mean, mean) if sem == 0 else stats.t.interval(confidence, len(x) - 1, mean, sem)
    return Interval(mean, float(low), float(high), confidence, f"t interval over {len(x)} clips")


def motion_signal(
    clips: np.ndarray,
    clip_features: torch.Tensor,
    labels,
    action_names: Sequence[str],
    twin=None,
) -> dict[str, dict[str, Interval]]:
    """How much each action changes the pixels and the frame features, per clip, with an interval.

    For each clip: ``pixel_step``, the mean absolute difference of
    consecutive frames ``|x_t+1 - x_t|`` (0-255 scale, averaged over the
    pixels, the colour channels and the ``T - 1`` steps); ``pixel_span``,
    the same between the last and the first frame; ``feature_step``, the
    mean length ``||f_t+1 - f_t||`` of the steps of the L2-normalised frame
    features. With ``twin`` (the index of each clip's opposite-action twin,
    the same geometry played backwards) also the renderer's noise floor:
    ``pixel_floor``, the mean ``|x_t - x'_(T-1-t)|`` between a clip and its
    reversed twin, frames of the same geometry drawn with independent
    shading and texture noise, and ``feature_floor``, the same for the
    features.

    clips : (n, T, h, w, 3) uint8 array; clip_features : (n, T, d) tensor;
    labels : (n,) ints indexing ``action_names``; twin : (n,) int array or None.

    Returns
    -------
    ``{action: {measure: Interval}}``: each the mean over the action's clips
    with a 95 % Student t interval over those clips.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    labels = np.asarray(labels)
    x = np.asarray(clips, dtype=np.float32)
    f = torch.as_tensor(clip_features, dtype=torch.float32)
    per_clip = {
        "pixel_step": np.abs(np.diff(x, axis=1)).mean(axis=(1, 2, 3, 4)),
        "pixel_span": np.abs(x[:, -1] - x[:, 0]).mean(axis=(1, 2, 3)),
        "feature_step": (f[:, 1:] - f[:, :-1]).norm(dim=-1).mean(dim=1).numpy(),
    }
    if twin is not None:
        twin = np.asarray(twin)
        per_clip["pixel_floor"] = np.abs(x - x[twin][:, ::-1]).mean(axis=(1, 2, 3, 4))
        per_clip["feature_floor"] = (f - f[twin].flip(1)).norm(dim=-1).mean(dim=1).numpy()
    return {
        action: {name: _mean_interval(values[labels == i]) for name, values in per_clip.items()}
        for i, action in enumerate(action_names)
    }


def above_floor_ratios(
    signal: dict[str, dict[str, Interval]], reference: str = "moving left"
) -> dict[str, dict[str, float]]:
    """Each action's change per frame above the noise floor, as a share of the ``reference`` action's.

    signal : :func:`motion_signal` with ``twin`` given. For the pixels and
    for the features, ``(step - floor) / (step_ref - floor_ref)`` of the
    estimates.

    Returns ``{action: {"pixel": ratio, "feature": ratio}}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    check_choice("reference", reference, list(signal))

    def above(action, m):
        return signal[action][f"{m}_step"].estimate - signal[action][f"{m}_floor"].estimate

    return {a: {m: above(a, m) / above(reference, m) for m in ("pixel", "feature")} for a in signal}


def held_out_confusions(
    train_features: torch.Tensor,
    train_labels,
    test_features: torch.Tensor,
    test_labels,
    text_features: torch.Tensor,
    pairs: Sequence[tuple[str, str]],
    action_names: Sequence[str],
    **head_kw,
) -> dict[str, np.ndarray]:
    """Truly unseen actions: for each pair, a temporal head trained without both its actions.

    For each pair ``(a, b)`` of opposite actions, a temporal
    :class:`ClipTextHead` (``head_kw``: hidden, n_steps, lr, seed, device)
    is trained on the training clips of the other actions against their
    text features, then tells the test clips of the pair apart using only
    the pair's text features.

    Returns
    -------
    ``{"a / b": (2, 2) int array}``: rows the true action (a, b), columns
    the predicted one (a, b); the diagonal counts the right answers, the
    other two cells the clips whose direction was mirrored.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    confusions = {}
    for a, b in pairs:
        head, unseen_ids, _ = _held_out_head(
            train_features, train_labels, text_features, (a, b), action_names, **head_kw
        )
        test = np.isin(test_labels, unseen_ids)
        logits = head.decision_function(test_features[test], text_features[unseen_ids])
        truth = (test_labels[test] == unseen_ids[1]).astype(int)
        confusion = np.zeros((2, 2), dtype=int)
        np.add.at(confusion, (truth, logits.argmax(1)), 1)
        confusions[f"{a} / {b}"] = confusion
    return confusions


def _held_out_head(train_features, train_labels, text_features, pair, action_names, **head_kw):
    """A temporal head trained without the two actions of ``pair``; returns (head, unseen ids, seen ids)."""
    train_labels = np.asarray(train_labels)
    unseen_ids = [action_names.index(a) for a in pair]
    seen_ids = [i for i in range(len(action_names)) if i not in unseen_ids]
    train = ~np.isin(train_labels, unseen_ids)
    relabel = {old: new for new, old in enumerate(seen_ids)}
    head = ClipTextHead(temporal=True, **head_kw).fit(
        train_features[train],
        [relabel[y] for y in train_labels[train]],
        text_features[seen_ids],
    )
    return head, unseen_ids, seen_ids


def held_out_seeds(
    train_features: torch.Tensor,
    train_labels,
    test_features: torch.Tensor,
    test_labels,
    text_features: torch.Tensor,
    pair: tuple[str, str],
    action_names: Sequence[str],
    seeds: Sequence[int],
    **head_kw,
) -> dict:
    """One held-out pair, one head per seed: is its mirroring a property of the run or of the features?

    For each seed a temporal :class:`ClipTextHead` is trained without the
    pair's two actions, as in :func:`held_out_confusions` (``head_kw``:
    hidden, n_steps, lr, device; a ``seed`` in it is replaced by each of
    ``seeds``), and its test clips of the pair are scored three ways.

    Returns
    -------
    ``{"accuracy": (S,) 2-way accuracies, "confusions": (S, 2, 2) counts as in
    held_out_confusions, "named_as": (S, 2, K) counts of the pair's test clips
    (rows: true a, true b) named each of the K seen actions by the head,
    "seen_actions": the K names, "embedding_cosine": (S,) cosine between
    the head's mean embedding of the a clips minus that of the b clips and
    the text gap w_a - w_b (negative: the embeddings point the mirrored way)}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    test_labels = np.asarray(test_labels)
    for a in pair:
        check_choice("action", a, list(action_names))
    out = {"accuracy": [], "confusions": [], "named_as": [], "embedding_cosine": []}
    for seed in seeds:
        kw = {**head_kw, "seed": int(seed)}
        head, unseen_ids, seen_ids = _held_out_head(
            train_features, train_labels, text_features, pair, action_names, **kw
        )
        test = np.isin(test_labels, unseen_ids)
        truth = (test_labels[test] == unseen_ids[1]).astype(int)
        guess = head.predict(test_features[test], text_features[unseen_ids])
        confusion = np.zeros((2, 2), dtype=int)
        np.add.at(confusion, (truth, guess), 1)
        named = np.zeros((2, len(seen_ids)), dtype=int)
        np.add.at(named, (truth, head.predict(test_features[test], text_features[seen_ids])), 1)
        embedding = head.embed(test_features[test])
        gap = embedding[truth == 0].mean(0) - embedding[truth == 1].mean(0)
        text = F.normalize(torch.as_tensor(text_features, dtype=torch.float32), dim=-1)
        text_gap = text[unseen_ids[0]] - text[unseen_ids[1]]
        out["accuracy"].append(np.trace(confusion) / confusion.sum())
        out["confusions"].append(confusion)
        out["named_as"].append(named)
        out["embedding_cosine"].append(float(F.cosine_similarity(gap, text_gap, dim=0)))
    result = {k: np.asarray(v) for k, v in out.items()}
    result["seen_actions"] = [action_names[i] for i in seen_ids]
    return result


def direction_alignment(
    text_features: torch.Tensor,
    action_names: Sequence[str],
    first: tuple[str, str],
    second: tuple[str, str],
) -> float:
    """Cosine between two text gaps, ``w_first[0] - w_first[1]`` and ``w_second[0] - w_second[1]``.

    text_features : (C, d) rows in the order of ``action_names`` (e.g. the
    centred ones a head is scored against), L2-normalised here as the
    heads normalise them. Positive: the text puts
    ``first[0]`` on the side of ``second[0]``; negative: on the side of
    ``second[1]``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    for a in (*first, *second):
        check_choice("action", a, list(action_names))
    w = F.normalize(torch.as_tensor(text_features, dtype=torch.float32), dim=-1)
    gap = [w[action_names.index(p[0])] - w[action_names.index(p[1])] for p in (first, second)]
    return float(F.cosine_similarity(gap[0], gap[1], dim=0))


def held_out_pairs(
    train_features: torch.Tensor,
    train_labels,
    test_features: torch.Tensor,
    test_labels,
    text_features: torch.Tensor,
    pairs: Sequence[tuple[str, str]],
    action_names: Sequence[str],
    **head_kw,
) -> dict[str, float]:
    """The 2-way accuracy of each held-out pair: the trace of :func:`held_out_confusions` over its sum.

    Returns ``{"a / b": 2-way accuracy}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    confusions = held_out_confusions(
        train_features,
        train_labels,
        test_features,
        test_labels,
        text_features,
        pairs,
        action_names,
        **head_kw,
    )
    return {pair: float(np.trace(c) / c.sum()) for pair, c in confusions.items()}


def mirroring_test(confusion) -> dict[str, float]:
    """Is a held-out pair's 2-way accuracy chance, or systematic? The exact binomial test.

    Under "the head guesses each clip's direction at random", the number of
    right answers among the ``n`` clips is Binomial(n, 1/2)
    (``scipy.stats.binomtest``, two-sided). An accuracy far *below* 1/2 is
    as unlikely under chance as one far above it: the head separates the
    two directions but names them the wrong way round.

    confusion : (2, 2) counts (:func:`held_out_confusions`).

    Returns
    -------
    ``{"n": clips, "right": diagonal, "mirrored": off-diagonal,
    "accuracy": right / n, "ci_low", "ci_high": its 95 % Clopper-Pearson
    interval, "pvalue": two-sided p of Binomial(n, 1/2)}``.

    Taught in: notebooks/43_video_zero_shot.ipynb.
    """
    from scipy.stats import binomtest

    confusion = np.asarray(confusion)
    if confusion.shape != (2, 2) or (confusion < 0).any():
        raise ValueError(f"confusion must be a (2, 2) array of counts; got {confusion.tolist()}")
    right, n = int(np.trace(confusion)), int(confusion.sum())
    test = binomtest(right, n, 0.5)
    ci = test.proportion_ci(0.95)
    return {
        "n": n,
        "right": right,
        "mirrored": n - right,
        "accuracy": right / n,
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "pvalue": float(test.pvalue),
    }
