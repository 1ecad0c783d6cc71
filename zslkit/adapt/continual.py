"""Continual fine-tuning of a CLIP without losing its zero-shot ability (ZSCL).

A CLIP is fine-tuned on a *sequence* of tasks; each task is a group of
classes, learned with cross-entropy against the frozen class-name
classifier of that task (:func:`zslkit.models.zeroshot.zero_shot_classifier`),
updating the image tower only:

    L_task = CE( logit_scale * f_theta(x) @ W_task , y ).

Plain sequential fine-tuning forgets: the zero-shot accuracy on classes or
domains never fine-tuned on drops. ZSCL (Zheng et al., ICCV 2023) adds two
things:

* **feature-space distillation** on a reference set drawn from the
  pretraining distribution (images with captions): the student's
  image-to-text similarity distribution is pulled towards that of the
  original frozen model (:func:`distillation_loss`), in both directions
  (rows: each image over the batch's texts; columns: each text over the
  batch's images);
* **weight ensembling**: a running average of the weights, updated every
  ``average_every`` steps during each task, replaces the model at the end of
  the task (:func:`average_state_dicts`, :func:`interpolate_state_dicts`).

The text tower stays frozen, so the class-name classifiers and the
reference text features are computed once.

Taught in: notebooks/33_continual_learning.ipynb
"""

from __future__ import annotations

import copy
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zslkit.adapt.experiments import figure_key  # noqa: F401  (record names)
from zslkit.checks import check_choice, check_range
from zslkit.data import web, world
from zslkit.metrics import per_class_accuracy
from zslkit.models.features import encode_text
from zslkit.models.toyclip import encode_images, to_tensor
from zslkit.models.zeroshot import zero_shot_classifier

METHODS = ("plain", "zscl")
"""Continual fine-tuning methods of :func:`continual_finetune`."""

CORPORA = ("web", "pocket")
"""Where :func:`reference_set` draws its pairs: ToyCLIP 2's pocket web
(:func:`zslkit.data.web.pretraining_set`) or ToyCLIP 1's photo corpus
(:func:`zslkit.data.world.pretraining_set`)."""

ABLATIONS: dict[str, dict] = {
    "plain": {"method": "plain"},
    "ZSCL": {"method": "zscl"},
    "distillation only": {"method": "zscl", "average_every": 0},
    "averaging only": {"method": "zscl", "distill_weight": 0.0},
}
"""The four runs of :func:`continual_sweep`: name -> options of :func:`continual_finetune`."""


# --------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------
def colour_groups(n_tasks: int = 4) -> list[list[str]]:
    """The 64 colour-shape classes split into ``n_tasks`` groups by colour.

    The 8 colours of :data:`zslkit.data.world.ATTRIBUTES` are cut into
    ``n_tasks`` consecutive blocks (``n_tasks`` must divide 8); a group holds
    every shape of its colours, in :func:`zslkit.data.world.class_names` order.
    """
    colours = world.ATTRIBUTES["colour"]
    check_choice(
        "n_tasks", n_tasks, [k for k in range(1, len(colours) + 1) if len(colours) % k == 0]
    )
    size = len(colours) // n_tasks
    names = world.class_names()
    return [
        [
            c
            for c in names
            if world.class_attributes(c)["colour"] in colours[t * size : (t + 1) * size]
        ]
        for t in range(n_tasks)
    ]


def make_tasks(
    groups: Sequence[Sequence[str]],
    variant: str = "background",
    n_train_per_class: int = 16,
    n_test_per_class: int = 16,
    seed: int = 0,
) -> list[dict]:
    """Render a sequence of pocket tasks, one per group of class names.

    Returns
    -------
    list of dicts, one per task, with ``class_names`` (list of str),
    ``train_images`` / ``test_images`` ((n, 32, 32, 3) uint8) and
    ``train_labels`` / ``test_labels`` ((n,) int64 indexing the task's
    ``class_names``). Train and test images come from different seeds.
    """
    check_choice("variant", variant, world.VARIANTS)
    check_range("n_train_per_class", n_train_per_class, 1, integer=True)
    check_range("n_test_per_class", n_test_per_class, 1, integer=True)
    tasks = []
    for t, names in enumerate(groups):
        train = world.make_images(
            list(names), n_train_per_class, variant=variant, seed=seed + 1000 * t + 1
        )
        test = world.make_images(
            list(names), n_test_per_class, variant=variant, seed=seed + 1000 * t + 2
        )
        tasks.append(
            {
                "class_names": list(names),
                "train_images": train[0],
                "train_labels": train[1],
                "test_images": test[0],
                "test_labels": test[1],
            }
        )
    return tasks


# --------------------------------------------------------------------------
# The two ingredients of ZSCL
# --------------------------------------------------------------------------
def distillation_loss(
    student_image_features: torch.Tensor,
    teacher_image_features: torch.Tensor,
    text_features: torch.Tensor,
    logit_scale: float = 100.0,
    both_directions: bool = True,
) -> torch.Tensor:
    """ZSCL's feature-space distillation: KL between similarity distributions.

    With ``S = logit_scale * image_features @ text_features.T`` for the student
    (``S_s``) and the frozen teacher (``S_t``), the loss is

        mean_i KL( softmax(S_t[i, :]) || softmax(S_s[i, :]) )

    plus, if ``both_directions``, the same over the columns (each text's
    distribution over the batch's images), the two averaged.

    Parameters
    ----------
    student_image_features, teacher_image_features : (B, d) float tensors, L2-normalised.
    text_features : (K, d) float tensor, L2-normalised (the reference captions).
    logit_scale : multiplies the cosine similarities (the teacher's temperature).

    Returns
    -------
    scalar tensor (differentiable in the student's features).
    """
    s_student = logit_scale * student_image_features @ text_features.T
    s_teacher = (logit_scale * teacher_image_features @ text_features.T).detach()

    def kl(teacher: torch.Tensor, student: torch.Tensor) -> torch.Tensor:
        return F.kl_div(
            F.log_softmax(student, dim=1),
            F.log_softmax(teacher, dim=1),
            reduction="batchmean",
            log_target=True,
        )

    loss = kl(s_teacher, s_student)
    if both_directions:
        loss = 0.5 * (loss + kl(s_teacher.T, s_student.T))
    return loss


def average_state_dicts(
    state_dicts: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float] | None = None
) -> dict[str, torch.Tensor]:
    """Weighted average of state dicts with the same keys.

    Floating-point entries are averaged (``weights`` default: uniform; they
    are normalised to sum 1); other entries (integer buffers) are copied from
    the first state dict.
    """
    if not state_dicts:
        raise ValueError("average_state_dicts needs at least one state dict")
    w = np.full(len(state_dicts), 1.0) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(state_dicts),) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"weights={weights!r} must be {len(state_dicts)} non-negative numbers with a positive sum"
        )
    w = w / w.sum()
    out = {}
    for key, first in state_dicts[0].items():
        if torch.is_floating_point(first):
            out[key] = sum(
                float(wi) * sd[key].detach().float() for wi, sd in zip(w, state_dicts)
            ).to(first.dtype)
        else:
            out[key] = first.detach().clone()
    return out


def interpolate_state_dicts(
    start: Mapping[str, torch.Tensor], end: Mapping[str, torch.Tensor], alpha: float
) -> dict[str, torch.Tensor]:
    """WiSE-FT interpolation ``(1 - alpha) * start + alpha * end`` of two state dicts."""
    check_range("alpha", alpha, 0.0, 1.0)
    return average_state_dicts([start, end], [1.0 - alpha, alpha])


# --------------------------------------------------------------------------
# Fine-tuning
# --------------------------------------------------------------------------
def task_loss(
    model: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    classifier: torch.Tensor,
    logit_scale: float = 100.0,
) -> torch.Tensor:
    """CE of ``logit_scale * encode_image(images) @ classifier`` against ``labels``.

    images : (B, 3, H, W) model input; labels : (B,) int64; classifier : (d, C) frozen text weights.
    """
    image_features = model.encode_image(images, normalize=True)
    return F.cross_entropy(logit_scale * image_features @ classifier, labels)


def finetune_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    classifier: torch.Tensor,
    logit_scale: float = 100.0,
    reference: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    distill_weight: float = 1.0,
) -> dict[str, float]:
    """One optimiser step on the task loss (+ ``distill_weight`` x distillation).

    ``reference`` is ``(reference_images, teacher_image_features,
    reference_text_features)``: model input (R, 3, H, W), (R, d) and (R, d);
    when given, :func:`distillation_loss` of the student's features of the
    reference images is added. The task and reference images go through the
    encoder as one batch (the same features as two batches: the image tower
    has no batch statistics, only LayerNorm). Returns ``{"task": ...,
    "distill": ...}``.
    """
    if reference is None:
        loss = task_loss(model, images, labels, classifier, logit_scale)
        out = {"task": float(loss.detach())}
    else:
        ref_images, teacher_features, ref_text = reference
        features = model.encode_image(torch.cat([images, ref_images]), normalize=True)
        task_features, student = features[: len(images)], features[len(images) :]
        loss = F.cross_entropy(logit_scale * task_features @ classifier, labels)
        distill = distillation_loss(student, teacher_features, ref_text, logit_scale)
        out = {"task": float(loss.detach()), "distill": float(distill.detach())}
        loss = loss + distill_weight * distill
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return out


def task_classifiers(
    model, tokenizer, tasks: Sequence[Mapping], templates=None, device: str = "cpu"
):
    """(d, C_t) zero-shot classifier of each task's class names (``world.templates("zeroshot")`` by default)."""
    templates = world.templates("zeroshot") if templates is None else templates
    return [
        zero_shot_classifier(model, tokenizer, t["class_names"], templates, device=device).cpu()
        for t in tasks
    ]


def reference_set(
    model,
    tokenizer,
    n: int = 512,
    seed: int = 0,
    device: str = "cpu",
    corpus: str = "web",
) -> dict:
    """ZSCL's reference data: ``n`` image-caption pairs of the pretraining distribution.

    ``corpus="web"`` draws them with :func:`zslkit.data.web.pretraining_set`
    (ToyCLIP 2's corpus: photos, sketches and noisy images, never the
    background domain), ``"pocket"`` with
    :func:`zslkit.data.world.pretraining_set` (ToyCLIP 1's clean photos).
    Either way the objects are those of pretraining: the seen classes of the
    default split, and 40 % off-palette objects captioned by shape only.

    Returns
    -------
    dict with ``images`` (model input, (n, 3, 32, 32)),
    ``teacher_image_features`` ((n, d), of ``model`` as given: call it on
    the original model), ``text_features`` ((n, d), L2-normalised),
    ``captions`` (list of n str) and ``classes`` (the sorted class names
    that some reference pair shows; off-palette objects show none).
    """
    check_range("n", n, 2, integer=True)
    check_choice("corpus", corpus, CORPORA)
    seen = world.load_split("default")["seen"]
    if corpus == "web":
        images, captions, records = web.pretraining_set(n, seed=seed, off_palette=0.4)
        labels = records["labels"]
    else:
        images, captions, labels = world.pretraining_set(n, seed=seed, off_palette=0.4)
    return {
        "images": to_tensor(images, model),
        "teacher_image_features": encode_images(model, images),
        "text_features": encode_text(model, tokenizer, captions, device=device).cpu(),
        "captions": list(captions),
        "classes": sorted({seen[i] for i in np.asarray(labels) if i >= 0}),
    }


def accuracy(model, images: np.ndarray, labels: np.ndarray, classifier: torch.Tensor) -> float:
    """Per-class top-1 accuracy of ``encode_images(model, images) @ classifier``."""
    was_training = model.training
    model.eval()
    pred = (encode_images(model, images) @ classifier).argmax(1).numpy()
    model.train(was_training)
    return float(per_class_accuracy(labels, pred))


def continual_finetune(
    model: torch.nn.Module,
    tasks: Sequence[Mapping],
    classifiers: Sequence[torch.Tensor],
    method: str = "plain",
    n_steps: int = 30,
    batch_size: int = 32,
    lr: float = 1e-4,
    reference: Mapping[str, torch.Tensor] | None = None,
    reference_batch_size: int = 32,
    distill_weight: float = 1.0,
    average_every: int = 5,
    logit_scale: float | None = None,
    seed: int = 0,
    eval_fn: Callable[[torch.nn.Module, int], Mapping[str, float]] | None = None,
    eval_at: Sequence[int] | None = None,
) -> tuple[torch.nn.Module, list[dict]]:
    """Fine-tune the image tower of a copy of ``model`` on ``tasks`` in order.

    Parameters
    ----------
    model : an open_clip CLIP; it is not modified (a deep copy is trained).
    tasks : from :func:`make_tasks`; classifiers : one (d, C_t) tensor per task.
    method : ``"plain"`` (task loss only) or ``"zscl"`` (task loss +
        ``distill_weight`` x :func:`distillation_loss` on a random batch of
        ``reference_batch_size`` pairs of ``reference`` from
        :func:`reference_set`, and weight ensembling: within each task a
        running average of the weights, updated every ``average_every``
        steps starting from the weights at the start of the task, becomes the
        model at the end of the task; ``average_every=0`` switches the
        averaging off, ``distill_weight=0`` the distillation, and the
        reference images are then not encoded at all).
    n_steps, batch_size, lr : per task; AdamW (weight decay 0) with a fresh
        optimiser for each task.
    logit_scale : the temperature of the task and distillation logits;
        ``None`` (default) uses the model's own learned scale
        (``model.logit_scale.exp()``: 100 for OpenAI's CLIPs, about 23 for
        ToyCLIP 2), the one its zero-shot classifier was trained with.
    eval_fn : called as ``eval_fn(model, t)`` before the first task
        (``t = 0``) and after task ``t`` (1, 2, ...); its dict goes into the
        history row.
    eval_at : the ``t`` at which ``eval_fn`` is called (default: all);
        rows at other points hold the losses and times only.

    Returns
    -------
    model : the fine-tuned copy, in eval mode.
    history : one dict per evaluation with ``after_task``, ``task_loss``,
        ``distill_loss`` (mean over the task's steps; NaN where not used),
        ``seconds`` and what ``eval_fn`` returns.
    """
    check_choice("method", method, METHODS)
    for name, value in (
        ("n_steps", n_steps),
        ("batch_size", batch_size),
        ("reference_batch_size", reference_batch_size),
    ):
        check_range(name, value, 1, integer=True)
    check_range("average_every", average_every, 0, integer=True)
    check_range("lr", lr, 0.0, 1.0)
    check_range("distill_weight", distill_weight, 0.0)
    if len(classifiers) != len(tasks):
        raise ValueError(f"got {len(classifiers)} classifiers for {len(tasks)} tasks")
    if method == "zscl" and reference is None:
        raise ValueError("method='zscl' needs reference=reference_set(original_model, ...)")
    if logit_scale is None:
        logit_scale = float(model.logit_scale.detach().exp())
    check_range("logit_scale", logit_scale, 0.0)
    distill = method == "zscl" and distill_weight > 0
    at = set(range(len(tasks) + 1)) if eval_at is None else {int(t) for t in eval_at}

    def evaluation(m, t):
        return dict(eval_fn(m, t)) if eval_fn is not None and t in at else {}

    model = copy.deepcopy(model)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.visual.parameters():
        p.requires_grad_(True)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    history = [
        {
            "after_task": 0,
            "task_loss": float("nan"),
            "distill_loss": float("nan"),
            "seconds": 0.0,
            **evaluation(model, 0),
        }
    ]
    for t, (task, classifier) in enumerate(zip(tasks, classifiers), start=1):
        model.train()
        optimizer = torch.optim.AdamW(model.visual.parameters(), lr=lr, weight_decay=0.0)
        pixels = to_tensor(task["train_images"], model)
        labels = torch.from_numpy(task["train_labels"])
        averaged, n_averaged = None, 0
        average = method == "zscl" and average_every > 0
        if average:
            averaged, n_averaged = (
                {k: v.detach().clone() for k, v in model.visual.state_dict().items()},
                1,
            )
        losses = []
        for step in range(1, n_steps + 1):
            idx = torch.from_numpy(
                rng.choice(len(labels), size=min(batch_size, len(labels)), replace=False)
            )
            ref = None
            if distill:
                r = torch.randint(
                    len(reference["images"]), (reference_batch_size,), generator=generator
                )
                ref = (
                    reference["images"][r],
                    reference["teacher_image_features"][r],
                    reference["text_features"][r],
                )
            losses.append(
                finetune_step(
                    model,
                    optimizer,
                    pixels[idx],
                    labels[idx],
                    classifier,
                    logit_scale,
                    ref,
                    distill_weight,
                )
            )
            if average and step % average_every == 0:
                averaged = average_state_dicts(
                    [averaged, model.visual.state_dict()], [n_averaged, 1]
                )
                n_averaged += 1
        if average:
            model.visual.load_state_dict(averaged)
        model.eval()
        row = {
            "after_task": t,
            "task_loss": float(np.mean([x["task"] for x in losses])),
            "distill_loss": float(np.mean([x["distill"] for x in losses]))
            if distill
            else float("nan"),
            "seconds": time.perf_counter() - start,
        }
        row.update(evaluation(model, t))
        history.append(row)
    model.eval()
    return model, history


# --------------------------------------------------------------------------
# The notebook's bookkeeping
# --------------------------------------------------------------------------
def task_labels(tasks: Sequence[Mapping]) -> list[str]:
    """The name of each task: its colours in palette order, e.g. ``"red + orange"``.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    return [
        " + ".join(
            sorted(
                {world.class_attributes(c)["colour"] for c in t["class_names"]},
                key=world.ATTRIBUTES["colour"].index,
            )
        )
        for t in tasks
    ]


def evaluator(
    tasks: Sequence[Mapping],
    classifiers: Sequence[torch.Tensor],
    heldout_images: np.ndarray,
    heldout_labels: np.ndarray,
    heldout_classifier: torch.Tensor,
    heldout_groups: Mapping[str, Sequence[int]] | None = None,
) -> Callable[[torch.nn.Module, int], dict]:
    """``evaluate(model, t)``: the model's accuracies after learning ``t`` tasks (0: before any).

    ``evaluate`` returns ``per_task`` (the :func:`accuracy` on the test
    images of every task with its classifier, learned or not, in task
    order), ``heldout`` (the zero-shot accuracy on the held-out images) and
    ``learned`` (the mean of ``per_task`` over the first ``t`` tasks; NaN
    for ``t = 0``). For every ``name -> labels`` of ``heldout_groups`` it
    also returns ``heldout_<name>``: the per-class accuracy on the held-out
    images whose label is in ``labels``, with the same (all-class)
    predictions. It is the ``eval_fn`` of :func:`continual_finetune`.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    heldout_labels = np.asarray(heldout_labels)
    masks = {}
    for name, labels in (heldout_groups or {}).items():
        masks[name] = np.isin(heldout_labels, np.asarray(labels))
        if not masks[name].any():
            raise ValueError(f"heldout_groups[{name!r}]={labels!r} matches no held-out image")

    def evaluate(model, t):
        per_task = [
            accuracy(model, task["test_images"], task["test_labels"], w)
            for task, w in zip(tasks, classifiers)
        ]
        model.eval()
        pred = (encode_images(model, heldout_images) @ heldout_classifier).argmax(1).numpy()
        out = {
            "heldout": float(per_class_accuracy(heldout_labels, pred)),
            "per_task": per_task,
            "learned": float(np.mean(per_task[:t])) if t else float("nan"),
        }
        for name, mask in masks.items():
            out[f"heldout_{name}"] = float(per_class_accuracy(heldout_labels[mask], pred[mask]))
        return out

    return evaluate


# --------------------------------------------------------------------------
# Several seeds, the ablations, paired differences
# --------------------------------------------------------------------------
def continual_sweep(
    model,
    tokenizer,
    groups: Sequence[Sequence[str]],
    classifiers: Sequence[torch.Tensor],
    heldout: Mapping,
    seeds: Sequence[int],
    methods: Mapping[str, Mapping] | None = None,
    variant: str = "background",
    n_train_per_class: int = 16,
    n_test_per_class: int = 12,
    reference_size: int = 512,
    corpus: str = "web",
    full_history: Sequence[str] = ("plain", "ZSCL"),
    device: str = "cpu",
    **training,
) -> dict:
    """Every method of ``methods`` (default :data:`ABLATIONS`) on every seed.

    For each seed ``s`` the tasks are rendered afresh
    (:func:`make_tasks` with ``seed=s``), a reference set is drawn
    (:func:`reference_set` with ``seed=s + 1``, of the original ``model``),
    and every method is fine-tuned from the original model with batches of
    ``seed=s``, so the methods of one seed share tasks, reference pairs and
    held-out images: their difference is paired. ``heldout`` holds
    ``images``, ``labels``, ``classifier`` and ``groups`` (see
    :func:`evaluator`; the same for all seeds). The methods in
    ``full_history`` are evaluated after every task on the first seed,
    the others only at the end (``eval_at``), which saves time.
    ``training``: ``n_steps``, ``batch_size``, ``lr``, ``reference_batch_size``,
    ``distill_weight``, ``average_every``, ``logit_scale``, as
    :func:`continual_finetune` takes them (a method's options win).

    Returns
    -------
    dict with ``histories`` (method -> one history per seed),
    ``zero_shot`` (per seed, the evaluation of the original model with all
    tasks counted as learned: its ``learned`` is the zero-shot mean over the
    tasks), ``references`` (the reference set of each seed), ``first_tasks``
    (the tasks of the first seed) and ``seconds`` (method -> total
    fine-tuning seconds over the seeds, evaluation included).

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    methods = ABLATIONS if methods is None else methods
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds=[] : give at least one seed")
    for name, options in methods.items():
        check_choice(f"methods[{name!r}]['method']", options.get("method"), METHODS)
    out = {"histories": {m: [] for m in methods}, "zero_shot": [], "references": []}
    out["seconds"] = dict.fromkeys(methods, 0.0)
    for i, seed in enumerate(seeds):
        tasks = make_tasks(groups, variant, n_train_per_class, n_test_per_class, seed=seed)
        reference = reference_set(
            model, tokenizer, reference_size, seed=seed + 1, device=device, corpus=corpus
        )
        evaluate = evaluator(
            tasks,
            classifiers,
            heldout["images"],
            heldout["labels"],
            heldout["classifier"],
            heldout.get("groups"),
        )
        if i == 0:
            out["first_tasks"] = tasks
        out["zero_shot"].append(evaluate(model, len(tasks)))
        out["references"].append(reference)
        for name, options in methods.items():
            full = i == 0 and name in full_history
            _, history = continual_finetune(
                model,
                tasks,
                classifiers,
                reference=reference,
                seed=seed,
                eval_fn=evaluate,
                eval_at=None if full else [len(tasks)],
                **{**training, **options},
            )
            out["histories"][name].append(history)
            out["seconds"][name] += history[-1]["seconds"]
    return out


def final_differences(
    histories: Mapping[str, Sequence[Sequence[Mapping]]],
    pairs: Sequence[tuple[str, str]],
    metrics: Sequence[str] = ("heldout",),
    zero_shot: Sequence[Mapping[str, float]] | None = None,
    confidence: float = 0.95,
) -> dict:
    """Paired t intervals over seeds of end-of-sequence metrics.

    For each ``(a, b)`` of ``pairs`` and each metric ``m`` (a key of the
    last history row, e.g. ``"heldout"``, ``"learned"``), the per-seed
    differences ``histories[a][s][-1][m] - histories[b][s][-1][m]`` get
    Student's t interval (:func:`zslkit.stats.t_interval`), named
    ``f"{key(a)}_minus_{key(b)}_{m}"``. ``b`` may be ``"zero-shot"``: then
    ``zero_shot[s][m]`` (the original model's value on seed ``s``, e.g.
    ``continual_sweep(...)["zero_shot"]``) is subtracted instead.

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    from zslkit.stats import t_interval

    key = figure_key
    out = {}
    for a, b in pairs:
        for name in (a, b):
            if name not in histories and name != "zero-shot":
                raise ValueError(
                    f"method {name!r} is not in the sweep; choose from {sorted(histories)}"
                )
        for m in metrics:
            x = np.array([h[-1][m] for h in histories[a]], dtype=float)
            if b == "zero-shot":
                if zero_shot is None:
                    raise ValueError("pairs with 'zero-shot' need zero_shot= (one row per seed)")
                y = np.array([z[m] for z in zero_shot], dtype=float)
            else:
                y = np.array([h[-1][m] for h in histories[b]], dtype=float)
            if x.shape != y.shape:
                raise ValueError(f"{a!r} and {b!r} have {x.size} and {y.size} seeds")
            out[f"{key(a)}_minus_{key(b)}_{m}"] = t_interval(x - y, confidence)
    return out
