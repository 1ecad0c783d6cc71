"""ToyCLIP pretrained from scratch on the pocket world.

The architecture and its loader live in :mod:`zslkit.models.toyclip` (and
are re-exported here, so ``toyclip.load()`` works from the lab too).

:func:`pretrain` trains one from scratch with a contrastive loss
(``open_clip.ClipLoss`` by default, or any callable) on image-caption pairs
of the seen classes of a pocket-world split; :func:`save_checkpoint` writes
fp16 weights that ``open_clip`` loads back. The shipped checkpoint
``data/checkpoints/toyclip.pt`` and its report ``toyclip.json`` come from
``python -m zslkit.lab.toyclip`` (see :func:`main`).

Taught in: notebooks/02_toyclip_pretraining.ipynb
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import open_clip
import torch

from zslkit.checks import check_choice, check_range
from zslkit.data import web, world
from zslkit.lab.losses import LOSSES, get_loss
from zslkit.metrics import gzsl_scores, per_class_accuracy
from zslkit.models.toyclip import (  # noqa: F401  (the architecture, re-exported)
    CHECKPOINT,
    CHECKPOINT2,
    CONFIG_PATH,
    MODEL_NAME,
    REPORT,
    REPORT2,
    _quiet_open_clip,
    encode_images,
    load,
    register,
    to_tensor,
)
from zslkit.models.zeroshot import zero_shot_classifier

EVAL_SEED = 20_251_128  # images for reported accuracies; never used for training
CORPORA = ("pocket", "web")
"""Pretraining corpora: ToyCLIP 1's photo captions, ToyCLIP 2's pocket web."""

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def evaluate(
    model: torch.nn.Module,
    split: str = "default",
    n_per_class: int = 50,
    seed: int = EVAL_SEED,
    variant: str = "photo",
    context: str = "plain",
) -> dict[str, float]:
    """Zero-shot accuracies of a ToyCLIP on freshly rendered images of a split.

    The classifier is :func:`zslkit.models.zeroshot.zero_shot_classifier` (equal to
    open_clip's ``build_zero_shot_classifier``) over the 5-template ensemble
    ``world.templates("zeroshot")``.

    ``variant`` is the domain of the test images and ``context`` how the
    photos were taken (:data:`zslkit.data.web.CONTEXTS`; ``"plain"`` renders
    exactly :func:`zslkit.data.world.make_images`).

    Returns
    -------
    dict with ``unseen_top1`` (unseen images among unseen classes),
    ``seen_top1`` (seen among seen), and GZSL over all classes:
    ``gzsl_seen``, ``gzsl_unseen``, ``gzsl_h``, and ``all_top1`` (every
    image among all classes: the GZSL accuracy before splitting it into seen
    and unseen). Accuracies are per-class means.
    """
    info = world.load_split(split)
    classes = info["classes"]
    images, labels = web.make_images(
        classes, n_per_class, domain=variant, context=context, seed=seed, task=info["task"]
    )
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    image_features = encode_images(model, images)
    text_features = zero_shot_classifier(
        model,
        open_clip.get_tokenizer(MODEL_NAME),
        classes,
        world.templates("zeroshot"),
        device=device.type,
    ).cpu()
    model.train(was_training)
    logits = (image_features @ text_features).numpy()
    seen = np.array([classes.index(c) for c in info["seen"]])
    unseen = np.array([classes.index(c) for c in info["unseen"]])
    out = {}
    for name, subset in (("unseen_top1", unseen), ("seen_top1", seen)):
        mask = np.isin(labels, subset)
        pred = subset[logits[mask][:, subset].argmax(1)]
        out[name] = per_class_accuracy(labels[mask], pred)
    gzsl = gzsl_scores(labels, logits.argmax(1), seen, unseen)
    out.update(gzsl_seen=gzsl["seen"], gzsl_unseen=gzsl["unseen"], gzsl_h=gzsl["h"])
    out["all_top1"] = per_class_accuracy(labels, logits.argmax(1))
    return {k: float(v) for k, v in out.items()}


def evaluate_conditions(
    model: torch.nn.Module, n_per_class: int = 20, seed: int = EVAL_SEED
) -> dict[str, float]:
    """64-way zero-shot top-1 (all classes, per-class mean) in every domain and photo context.

    Keys are ``"photo"``, ``"sketch"``, ``"noisy"``, ``"background"`` and
    ``"photo/<context>"`` for each context of :data:`zslkit.data.web.CONTEXTS`
    other than ``"plain"``. Same classifier as :func:`evaluate`.
    """
    conditions = [(d, "plain") for d in web.DOMAINS]
    conditions += [("photo", c) for c in web.CONTEXTS if c != "plain"]
    out = {}
    for domain, context in conditions:
        m = evaluate(model, n_per_class=n_per_class, seed=seed, variant=domain, context=context)
        out[domain if context == "plain" else f"{domain}/{context}"] = m["all_top1"]
    return out


def _resolve_loss(loss: str | LossFn) -> LossFn:
    if callable(loss):
        return loss
    check_choice("loss", loss, list(LOSSES))
    return open_clip.ClipLoss() if loss == "clip" else get_loss(loss)


def _takes_captions(loss_fn: LossFn) -> bool:
    """Whether ``loss_fn`` accepts a ``captions`` keyword (then it gets the batch's captions)."""
    try:
        parameters = inspect.signature(loss_fn).parameters
    except (TypeError, ValueError):
        return False
    return "captions" in parameters and parameters["captions"].kind in (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )


def pretrain(
    n_steps: int = 800,
    batch_size: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
    loss: str | LossFn = "clip",
    split: str = "default",
    concept_frequency: Mapping[str, float] | None = None,
    mention_prob: float | Mapping[str, float] = world.MENTION_PROB,
    classes: Sequence[str] | None = None,
    off_palette: float = 0.4,
    corpus: str = "pocket",
    corpus_options: Mapping[str, object] | None = None,
    pool_size: int = 40_960,
    weight_decay: float = 0.1,
    warmup_steps: int = 50,
    log_every: int = 50,
    eval_fn: Callable[[torch.nn.Module], Mapping[str, float]] | None = None,
    device: str = "cpu",
):
    """Pretrain a ToyCLIP from scratch on pocket-world image-caption pairs.

    A pool of ``min(pool_size, n_steps * batch_size)`` images of the seen
    classes of ``split`` (or of ``classes``) is rendered once with
    :func:`zslkit.data.world.pretraining_set`; each pass over the pool reshuffles
    it and draws fresh captions. AdamW with linear warm-up and cosine decay;
    the temperature is learned and clamped at 100, as in open_clip. The same
    arguments give the same model (CPU).

    Parameters
    ----------
    n_steps, batch_size, lr, seed : the schedule.
    loss : ``"clip"`` (``open_clip.ClipLoss``, InfoNCE both ways), another
        name of :data:`zslkit.lab.losses.LOSSES` (``"infoloob"``, ``"cloob"``,
        ``"cwcl"``) or a callable
        ``loss(image_features, text_features, logit_scale) -> scalar tensor``
        taking (B, 64) L2-normalised features and the exponentiated scale.
        A callable with a ``captions`` keyword also gets the batch's
        captions (a list of B strings), e.g. for CWCL's weights.
    split : pocket-world split whose seen classes are trained on.
    concept_frequency, mention_prob, off_palette : passed to
        :func:`zslkit.data.world.pretraining_set`; by default 40 % of the
        images show an object in an unnamed colour, captioned by its shape,
        which makes shape features generalise to unseen colour-shape pairs.
    corpus : ``"pocket"`` (ToyCLIP 1's captions: photos only, wording drawn
        independently of the image, :func:`zslkit.data.world.pretraining_set`)
        or ``"web"`` (ToyCLIP 2's: several domains and photo contexts whose
        words the captions say, :func:`zslkit.data.web.pretraining_set`).
    corpus_options : for ``"web"``, more arguments of
        :func:`zslkit.data.web.pretraining_set` (``domain_mix``,
        ``context_mix``, ``context_mention``).
    classes : train on these class names instead of the split's seen classes.
    pool_size : most distinct images rendered.
    log_every : steps between history rows (and calls of ``eval_fn``).
    eval_fn : called as ``eval_fn(model)`` at each history row; its dict is
        merged into the row.

    Returns
    -------
    model : the trained open_clip ``CLIP``, in eval mode.
    history : list of dicts with ``step``, ``loss`` (mean since the last row),
        ``lr``, ``logit_scale``, ``seconds`` and whatever ``eval_fn`` returns.
    """
    for name, value, low in (
        ("n_steps", n_steps, 1),
        ("batch_size", batch_size, 2),
        ("pool_size", pool_size, 2),
    ):
        check_range(name, value, low, integer=True)
    check_range("log_every", log_every, 1, integer=True)
    check_range("warmup_steps", warmup_steps, 0, integer=True)
    check_range("lr", lr, low=1e-8, high=1.0)
    check_range("weight_decay", weight_decay, 0.0)
    check_range("seed", seed, 0, 2**32 - 1, integer=True)
    loss_fn = _resolve_loss(loss)
    pass_captions = _takes_captions(loss_fn)
    info = world.load_split(split)
    classes = list(info["seen"] if classes is None else classes)
    register()

    check_choice("corpus", corpus, CORPORA)
    options = dict(corpus_options or {})
    if options and corpus != "web":
        raise ValueError(f"corpus_options={options!r} apply to corpus='web' only")
    rng = np.random.default_rng(seed)
    n_pool = min(pool_size, n_steps * batch_size)
    if corpus == "web":
        images, texts, records = web.pretraining_set(
            n_pool,
            classes,
            seed=seed,
            concept_frequency=concept_frequency,
            mention_prob=mention_prob,
            task=info["task"],
            off_palette=off_palette,
            **options,
        )

        def recaption(caption_seed: int) -> list[str]:
            return web.captions(
                records["objects"],
                records["domains"],
                records["contexts"],
                seed=caption_seed,
                mention_prob=mention_prob,
                context_mention=options.get("context_mention", web.CONTEXT_MENTION),
            )

    else:
        images, texts, _, attrs = world.pretraining_set(
            n_pool,
            classes,
            seed=seed,
            concept_frequency=concept_frequency,
            mention_prob=mention_prob,
            task=info["task"],
            off_palette=off_palette,
            return_attributes=True,
        )
        objects = world.attribute_dicts(attrs)

        def recaption(caption_seed: int) -> list[str]:
            return world.captions(objects, seed=caption_seed, mention_prob=mention_prob)

    pixels = to_tensor(images)
    tokenizer = open_clip.get_tokenizer(MODEL_NAME)

    def tokenize(captions: list[str]) -> torch.Tensor:
        unique, inverse = np.unique(np.array(captions), return_inverse=True)
        return tokenizer(list(unique))[torch.from_numpy(inverse.reshape(-1))]

    torch.manual_seed(seed)
    with _quiet_open_clip():
        model = open_clip.create_model(MODEL_NAME, pretrained=None, device=device)
    model.train()
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
    )

    def schedule(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return 0.5 * (
            1 + math.cos(math.pi * (step - warmup_steps) / max(1, n_steps - warmup_steps))
        )

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    history, running, start = [], [], time.perf_counter()
    order, tokens, cursor, epoch = None, None, n_pool, 0
    for step in range(n_steps):
        if cursor + batch_size > n_pool:  # a new pass: reshuffle, fresh captions
            order = torch.from_numpy(rng.permutation(n_pool))
            epoch_texts = texts if epoch == 0 else recaption(int(rng.integers(2**32)))
            tokens = tokenize(epoch_texts)
            epoch_texts = np.array(epoch_texts)
            cursor, epoch = 0, epoch + 1
        idx = order[cursor : cursor + batch_size]
        cursor += batch_size
        image_features = model.encode_image(pixels[idx].to(device), normalize=True)
        text_features = model.encode_text(tokens[idx].to(device), normalize=True)
        extra = {"captions": epoch_texts[idx.numpy()].tolist()} if pass_captions else {}
        value = loss_fn(image_features, text_features, model.logit_scale.exp(), **extra)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        running.append(value.item())
        if (step + 1) % log_every == 0 or step + 1 == n_steps:
            row = {
                "step": step + 1,
                "loss": float(np.mean(running)),
                "lr": optimizer.param_groups[0]["lr"],
                "logit_scale": model.logit_scale.detach().exp().item(),
                "seconds": time.perf_counter() - start,
            }
            running = []
            if eval_fn is not None:
                model.eval()
                row.update(eval_fn(model))
                model.train()
            history.append(row)
    model.eval()
    return model, history


def save_checkpoint(model: torch.nn.Module, path: str | Path = CHECKPOINT) -> Path:
    """Save the weights as an fp16 state dict that open_clip loads back.

    ``open_clip.create_model_and_transforms("ToyCLIP", pretrained=str(path))``
    reads it (after :func:`register`); the file is about 7 MB.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).clone() for k, v in model.state_dict().items()}
    torch.save(state, path)
    return path


def training_defaults() -> dict:
    """The settings of :func:`pretrain` that the shipped checkpoint leaves at their defaults."""
    parameters = inspect.signature(pretrain).parameters
    names = (
        "split",
        "loss",
        "mention_prob",
        "off_palette",
        "pool_size",
        "weight_decay",
        "warmup_steps",
    )
    return {name: parameters[name].default for name in names}


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the shipped ToyCLIP and write its checkpoint and report.

    ``python -m zslkit.lab.toyclip [--steps 800 --batch-size 256 --lr 2e-3 --seed 0 --out data/checkpoints/toyclip.pt]``
    trains ToyCLIP 1; ``--corpus web`` trains ToyCLIP 2 on the pocket web
    (default steps 1600, pool 65,536, checkpoint ``toyclip2.pt``), whose
    report adds the 64-way accuracy in every domain and photo context.
    """
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--corpus", choices=CORPORA, default="pocket")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    web_corpus = args.corpus == "web"
    args.steps = args.steps or (1600 if web_corpus else 800)
    args.pool_size = args.pool_size or (65_536 if web_corpus else 40_960)
    args.out = args.out or (CHECKPOINT2 if web_corpus else CHECKPOINT)
    torch.set_num_threads(args.threads)
    config = {
        "n_steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
    }
    if web_corpus:
        config.update(corpus="web", pool_size=args.pool_size)
    start, cpu_start = time.perf_counter(), time.process_time()
    model, history = pretrain(**config, log_every=100)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    path = save_checkpoint(model, args.out)
    loaded, _, _ = load(path)
    metrics = evaluate(loaded)
    conditions = evaluate_conditions(loaded) if web_corpus else None
    report = {
        "model": MODEL_NAME,
        "backbone": "toyclip2" if web_corpus else "toyclip",
        "config_file": "zslkit/configs/ToyCLIP.json",
        "checkpoint": path.name,
        "size_bytes": path.stat().st_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_call": "zslkit.lab.toyclip.pretrain("
        + ", ".join(f"{k}={v!r}" for k, v in config.items())
        + ")",
        "command": "python -m zslkit.lab.toyclip "
        + (f"--corpus web --pool-size {args.pool_size} " if web_corpus else "")
        + f"--steps {args.steps} --batch-size {args.batch_size} --lr {args.lr} --seed {args.seed}"
        + (f" --threads {args.threads}" if args.threads != 1 else ""),
        "training": {**training_defaults(), **config},
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),
        "threads": args.threads,
        "versions": {"torch": torch.__version__, "open_clip": open_clip.__version__},
        "evaluation": {
            "split": "default",
            "variant": "photo",
            "n_per_class": 50,
            "seed": EVAL_SEED,
            "templates": [str(t) for t in world.templates("zeroshot")],
            "call": "zslkit.lab.toyclip.evaluate(model)",
        },
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        **(
            {
                "conditions": {k: round(v, 4) for k, v in conditions.items()},
                "conditions_call": "zslkit.lab.toyclip.evaluate_conditions(model)",
                "corpus": {
                    "domain_mix": web.DOMAIN_MIX,
                    "context_mix": web.CONTEXT_MIX,
                    "context_mention": web.CONTEXT_MENTION,
                    "synonym_prob": web.SYNONYM_PROB,
                    "word_order_prob": web.WORD_ORDER_PROB,
                    "language": "data/templates/pocket_web.json",
                },
            }
            if web_corpus
            else {}
        ),
        "history": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
            for row in history
        ],
    }
    if args.out in (CHECKPOINT, CHECKPOINT2):
        (REPORT2 if args.out == CHECKPOINT2 else REPORT).write_text(
            json.dumps(report, indent=2) + "\n", encoding="utf-8"
        )
    print(json.dumps({k: report[k] for k in ("train_seconds", "size_bytes", "metrics")}, indent=2))
    return report


if __name__ == "__main__":
    main()
