"""Experiments that pretrain several ToyCLIPs: the loops and plots of chapters 25 and 26.

Each function does one step a notebook used to spell out in a long cell,
with the same operations in the same order (so the same random draws and
the same trained weights), so that the notebook calls it in a line.

Taught in: notebooks/25_concept_frequency.ipynb and 26_contrastive_losses.ipynb
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from zslkit import style
from zslkit.lab import toyclip
from zslkit.lab.losses import LEARNS_TEMPERATURE, LOSS_NAMES, alignment, uniformity
from zslkit.metrics import per_class_accuracy
from zslkit.models.zeroshot import zero_shot_classifier


def _tokenizer():
    import open_clip

    toyclip.register()
    return open_clip.get_tokenizer(toyclip.MODEL_NAME)


def pretrain_concept_models(
    assignments: Sequence[Mapping[str, float]],
    phrases: Sequence[str],
    test_images: np.ndarray,
    n_steps: int = 100,
    batch_size: int = 64,
    seed: int = 0,
    device: str = "cpu",
    corpus: str = "pocket",
    count: Any = None,
):
    """Pretrain one ToyCLIP per frequency assignment and classify the test images among ``phrases``.

    Model ``k`` is ``toyclip.pretrain(n_steps, batch_size, seed=seed + k,
    concept_frequency=assignments[k], corpus=corpus)``; its zero-shot
    classifier is the pocket world's 5-template ensemble over ``phrases``
    (one per concept).

    Parameters
    ----------
    corpus : ``"pocket"`` (ToyCLIP 1's captions) or ``"web"`` (ToyCLIP 2's).
    count : if given, ``count(captions)`` is applied to the captions of every
        batch model ``k`` was trained on, in order (a caption seen in two
        passes over the pool is there twice), e.g. a
        ``functools.partial`` of
        :func:`zslkit.vlm.concept_frequency.count_concept_mentions`. The loss
        is then open_clip's ``ClipLoss`` called through a function that also
        keeps the captions: the same weights as ``loss="clip"``.

    Returns
    -------
    predictions : one (n,) array of predicted concept indices per model;
    with ``count``, ``(predictions, counts)``, ``counts`` the list of what
    ``count`` returned for each model.

    Taught in: notebooks/25_concept_frequency.ipynb
    """
    import open_clip

    from zslkit.data import world

    tokenizer = _tokenizer()
    predictions, counts = [], []
    for k, weights in enumerate(assignments):
        seen, clip_loss = [], open_clip.ClipLoss()

        def recording_loss(image_features, text_features, logit_scale, captions):
            seen.extend(captions)
            return clip_loss(image_features, text_features, logit_scale)

        model, _ = toyclip.pretrain(
            n_steps=n_steps,
            batch_size=batch_size,
            seed=seed + k,
            concept_frequency=weights,
            corpus=corpus,
            loss="clip" if count is None else recording_loss,
            log_every=n_steps,
            device=device,
        )
        if count is not None:
            counts.append(count(seen))
        image_features = toyclip.encode_images(model, test_images)
        classifier = zero_shot_classifier(
            model, tokenizer, phrases, world.templates("zeroshot"), device=device
        ).cpu()
        predictions.append((image_features @ classifier).numpy().argmax(1))
    return predictions if count is None else (predictions, counts)


def pretrain_each(
    loss_functions: Mapping[str, Any],
    n_steps: int = 100,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    device: str = "cpu",
    corpus: str = "pocket",
    probe: Any = None,
):
    """Pretrain one ToyCLIP per loss, everything else (seed, data, schedule) shared.

    Prints one line per model as it finishes (its name in
    :data:`zslkit.lab.losses.LOSS_NAMES`, steps and seconds).

    Parameters
    ----------
    loss_functions : name -> loss (a name or callable of ``toyclip.pretrain``).
    corpus : ``toyclip.pretrain``'s corpus (``"pocket"`` or ``"web"``).
    probe : optional ``probe(model) -> dict`` merged into each history row
        (``toyclip.pretrain``'s ``eval_fn``), e.g. :func:`hopfield_probe`.

    Returns
    -------
    models, histories, seconds : dicts keyed like ``loss_functions``: the
    trained model, its logged history (``log_every = max(1, n_steps // 12)``)
    and its wall-clock training time.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    models, histories, seconds = {}, {}, {}
    for name, loss in loss_functions.items():
        start = time.perf_counter()
        models[name], histories[name] = toyclip.pretrain(
            n_steps=n_steps,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            loss=loss,
            corpus=corpus,
            log_every=max(1, n_steps // 12),
            eval_fn=probe,
            device=device,
        )
        seconds[name] = time.perf_counter() - start
        print(
            f"{LOSS_NAMES.get(name, name):<15} {n_steps} steps of {batch_size} "
            f"in {seconds[name]:.0f} s"
        )
    return models, histories, seconds


def evaluate_runs(
    models: Mapping[str, torch.nn.Module],
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    test: tuple[np.ndarray, np.ndarray],
    pairs: tuple[np.ndarray, Sequence[str]],
    unseen_ids: Any,
    classes: Sequence[str],
    device: str = "cpu",
) -> dict[str, dict[str, float]]:
    """Zero-shot accuracy and embedding geometry of each pretrained model.

    Parameters
    ----------
    test : (images, labels) over ``classes``.
    pairs : held-out (images, captions) for alignment and uniformity.
    unseen_ids : the ids (in ``classes``) of the unseen classes.

    Returns
    -------
    {name: {"unseen16": per-class top-1 of the unseen images among the unseen
    classes, "all64": per-class top-1 among all classes, "alignment",
    "uniformity_image", "uniformity_text" (Wang and Isola, on the pairs),
    "final_loss": the last logged loss, "logit_scale": the inverse
    temperature at the end (learned by the losses that use it)}}.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    from zslkit.data import world

    test_images, test_labels = test
    pair_images, pair_captions = pairs[0], pairs[1]
    unseen_ids = np.asarray(unseen_ids)
    is_unseen = np.isin(test_labels, unseen_ids)
    tokenizer = _tokenizer()
    rows = {}
    for name, model in models.items():
        image_features = toyclip.encode_images(model, test_images)
        weights = zero_shot_classifier(
            model, tokenizer, classes, world.templates("zeroshot"), device=device
        ).cpu()
        logits = (image_features @ weights).numpy()
        unseen_pred = unseen_ids[logits[is_unseen][:, unseen_ids].argmax(1)]
        with torch.no_grad():
            f = toyclip.encode_images(model, pair_images)
            g = model.encode_text(tokenizer(pair_captions).to(device), normalize=True).cpu()
        rows[name] = {
            "unseen16": per_class_accuracy(test_labels[is_unseen], unseen_pred),
            "all64": per_class_accuracy(test_labels, logits.argmax(1)),
            "alignment": alignment(f, g).item(),
            "uniformity_image": uniformity(f).item(),
            "uniformity_text": uniformity(g).item(),
            "final_loss": histories[name][-1]["loss"],
            "logit_scale": model.logit_scale.exp().item(),
        }
    return rows


LOSS_COLOURS = style.colours_for(["clip", "infoloob", "cloob", "cwcl"])


def collapsed_loss(name: str, batch_size: int) -> float:
    """The loss of collapsed embeddings: log B for InfoNCE and CWCL, log(B - 1) for InfoLOOB and CLOOB.

    Names starting with ``"infoloob"`` or ``"cloob"`` (``"cloob_b30"``) are
    leave-one-out losses.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    loob = name.startswith(("infoloob", "cloob"))
    return math.log(batch_size - 1) if loob else math.log(batch_size)


def plot_training(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    rows: Mapping[str, Mapping[str, float]],
    batch_size: int,
):
    """Training curves relative to collapsed embeddings (left) and alignment against uniformity (right).

    When the history rows hold ``attention_entropy`` (:func:`hopfield_probe`),
    a middle panel draws it against the step, with its maximum ``log B``.

    Returns the matplotlib Figure with two Axes (three with the entropy
    panel): one line per loss, one scatter point per loss.
    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    import matplotlib.pyplot as plt

    probed = all("attention_entropy" in r for h in histories.values() for r in h)
    if probed:
        fig, (ax1, ax3, ax2) = plt.subplots(1, 3, figsize=(13, 3.8))
        for name, history in histories.items():
            ax3.plot(
                [r["step"] for r in history],
                [r["attention_entropy"] for r in history],
                marker="o",
                markersize=3,
                color=LOSS_COLOURS.get(name, style.INK),
                label=LOSS_NAMES.get(name, name),
            )
        ax3.axhline(math.log(batch_size), color=style.MUTED, linestyle="--", linewidth=1)
        ax3.set_xlabel("step")
        ax3.set_ylabel("Hopfield attention entropy (nats)")
        ax3.set_title("Retrieval on a probe batch (dashed: log B)")
    else:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, history in histories.items():
        ax1.plot(
            [r["step"] for r in history],
            [r["loss"] - collapsed_loss(name, batch_size) for r in history],
            marker="o",
            markersize=3,
            color=LOSS_COLOURS.get(name, style.INK),
            label=LOSS_NAMES.get(name, name),
        )
    ax1.axhline(0, color=style.MUTED, linestyle="--", linewidth=1)
    ax1.set_xlabel("step")
    ax1.set_ylabel("loss minus loss of collapsed embeddings (nats)")
    ax1.set_title("Training")
    ax1.legend(fontsize=8)
    for name, row in rows.items():
        ax2.scatter(
            row["uniformity_image"],
            row["alignment"],
            s=60,
            color=LOSS_COLOURS.get(name, style.INK),
            label=f"{LOSS_NAMES.get(name, name)}: 64-way top-1 {row['all64']:.2f}",
        )
    ax2.set_xlabel("uniformity of image embeddings (lower: more spread)")
    ax2.set_ylabel("alignment of held-out pairs (lower: closer)")
    ax2.set_title("Geometry (Wang and Isola)")
    ax2.set_xlim(-2.5, 0.2)
    ax2.set_ylim(0, 2.2)
    ax2.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


LOSS_COLOURS.update(
    {n: c for n, c in style.colours_for(list(LOSS_NAMES)).items() if n not in LOSS_COLOURS}
)


def init_model(seed: int = 0, device: str = "cpu") -> torch.nn.Module:
    """The ToyCLIP that ``toyclip.pretrain(seed=seed)`` starts from (its initial weights), in eval mode.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    import open_clip

    toyclip.register()
    torch.manual_seed(seed)
    with toyclip._quiet_open_clip():
        model = open_clip.create_model(toyclip.MODEL_NAME, pretrained=None, device=device)
    return model.eval()


def hopfield_probe(
    images: np.ndarray,
    captions: Sequence[str],
    beta: float = 8.0,
    inv_tau: float = 30.0,
    more_betas: Sequence[float] = (),
):
    """A probe of CLOOB's state on one fixed batch: ``probe(model) -> dict``.

    The batch (B pairs) is encoded by the model; the dict holds
    ``probe_cloob`` (:func:`~zslkit.lab.losses.cloob_loss` at ``beta`` and
    ``inv_tau``), ``probe_infoloob`` (the same without retrieval) and
    ``attention_entropy``: the mean entropy (nats) of the four Hopfield
    retrievals of CLOOB (images and captions querying the image and the
    caption memory, :func:`~zslkit.lab.losses.hopfield_entropy`), at most
    ``log B`` (uniform averaging of the batch); for each ``b`` in
    ``more_betas`` also ``attention_entropy_b<b>`` (``"attention_entropy_b30"``)
    and ``probe_cloob_b<b>``. Pass it as ``probe=`` of
    :func:`pretrain_each` to log it during training.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    from zslkit.lab.losses import cloob_loss, hopfield_entropy, infoloob_loss

    tokenizer = _tokenizer()
    tokens = tokenizer(list(captions))

    def probe(model: torch.nn.Module) -> dict[str, float]:
        with torch.no_grad():
            f = toyclip.encode_images(model, images)
            device = next(model.parameters()).device
            g = model.encode_text(tokens.to(device), normalize=True).float().cpu()
            out = {"probe_infoloob": infoloob_loss(f, g, None, inv_tau=inv_tau).item()}
            for b in (beta, *more_betas):
                suffix = "" if b == beta else f"_b{b:g}"
                entropy = [hopfield_entropy(q, m, b) for q in (f, g) for m in (f, g)]
                out[f"probe_cloob{suffix}"] = cloob_loss(f, g, None, inv_tau=inv_tau, beta=b).item()
                out[f"attention_entropy{suffix}"] = float(torch.stack(entropy).mean())
            return out

    return probe


def seed_differences(
    per_seed: Mapping[str, Sequence[float]], pairs: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Paired differences over seeds with Student's t interval, for each pair ``(a, b)``.

    Parameters
    ----------
    per_seed : name -> one value per seed (the same seeds, in the same order, for every name).
    pairs : ``(a, b)`` pairs of names; the difference is ``a - b`` seed by seed.

    Returns
    -------
    {"a-b": zslkit.stats.Interval of the mean difference (t interval over seeds)}.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    from zslkit.stats import paired_t_intervals

    return {f"{a}-{b}": ci for (a, b), ci in paired_t_intervals(per_seed, pairs).items()}


REFERENCE_RUN = "contrastive_reference.json"
"""The committed reference run of chapter 26, under ``data/`` (``scripts/contrastive_reference.py``)."""


def load_reference(path: Any = None) -> dict[str, Any]:
    """The reference run of ``scripts/contrastive_reference.py`` (default: ``data/contrastive_reference.json``).

    Returns the JSON: ``config``, ``losses``, ``command``, ``date``,
    ``wall_time_s``, ``versions`` and ``runs`` ({"loss/seedN": {"loss",
    "seed", the figures of :func:`evaluate_runs`, "train_seconds",
    "history": rows from step 0 (the probe at initialisation) on}}).

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    import json
    from pathlib import Path

    from zslkit.paths import data_dir

    path = Path(path) if path is not None else data_dir() / REFERENCE_RUN
    return json.loads(path.read_text(encoding="utf-8"))


def per_seed(reference: Mapping[str, Any], key: str) -> dict[str, list[float]]:
    """``{loss: [value of key for each seed]}`` from a reference run, seeds in the config's order.

    ``key`` is a figure of a run (``"all64"``, ``"unseen16"``, ``"logit_scale"``,
    ...) or ``"init:<probe figure>"`` / ``"end:<probe figure>"`` for the
    probe at step 0 / at the last step (``"init:attention_entropy"``).

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    runs = reference["runs"]
    out = {}
    for loss in reference["losses"]:
        values = []
        for seed in reference["config"]["seeds"]:
            run = runs[f"{loss}/seed{seed}"]
            if key.startswith(("init:", "end:")):
                where, name = key.split(":", 1)
                row = run["history"][0 if where == "init" else -1]
            else:
                row, name = run, key
            if name not in row:
                raise ValueError(f"key={key!r}: {name!r} is not in the run; have {sorted(row)}")
            values.append(float(row[name]))
        out[loss] = values
    return out


def corpus_batch(
    n: int, corpus: str = "web", seed: int = 0, split: str = "default"
) -> tuple[np.ndarray, list[str]]:
    """``n`` pretraining pairs (images, captions) of the seen classes, as ``toyclip.pretrain`` draws them.

    ``corpus="web"``: :func:`zslkit.data.web.pretraining_set` (ToyCLIP 2's
    pocket web); ``"pocket"``: :func:`zslkit.data.world.pretraining_set`
    (ToyCLIP 1's captions), both with 40 % off-palette objects.

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    from zslkit.checks import check_choice
    from zslkit.data import web, world

    check_choice("corpus", corpus, toyclip.CORPORA)
    seen = world.load_split(split)["seen"]
    make = web.pretraining_set if corpus == "web" else world.pretraining_set
    images, captions = make(n, seen, seed=seed, off_palette=0.4)[:2]
    return images, list(captions)


def print_reference(reference: Mapping[str, Any]) -> None:
    """Print a reference run's command and settings, then one line per loss.

    Each line: the 64-way top-1 of every seed, the means over seeds of the
    64-way and 16-way top-1, and of the final inverse temperature ``1/tau``
    of the losses that learn it (:data:`zslkit.lab.losses.LEARNS_TEMPERATURE`;
    "fixed" for the others, whose ``1/tau`` is the run's ``inv_tau``).

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    config = reference["config"]
    print(
        f"reference run: {reference['command']} ({reference['date']}, "
        f"{reference['wall_time_s'] / 60:.0f} min, {reference['threads']} thread)"
    )
    print({k: config[k] for k in ("corpus", "n_steps", "batch_size", "seeds")})
    all64, unseen16 = per_seed(reference, "all64"), per_seed(reference, "unseen16")
    scale = per_seed(reference, "logit_scale")
    print(f"{'loss':<18} {'64-way per seed':<20} {'mean':>5} {'16-way':>6} {'1/tau':>6}")
    for loss in reference["losses"]:
        seeds = " ".join(f"{v:.3f}" for v in all64[loss])
        tau = f"{np.mean(scale[loss]):6.1f}" if loss in LEARNS_TEMPERATURE else " fixed"
        print(
            f"{LOSS_NAMES.get(loss, loss):<18} {seeds:<20} {np.mean(all64[loss]):5.3f} "
            f"{np.mean(unseen16[loss]):6.3f} {tau}"
        )


def reference_comparisons(
    reference: Mapping[str, Any],
    pairs: Sequence[tuple[str, str]],
    metrics: Sequence[str] = ("all64", "unseen16"),
) -> dict[str, Any]:
    """``{"ref_<a>_vs_<b>_<metric>": t interval of a - b over seeds}`` (:func:`seed_differences`).

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    out = {}
    for metric in metrics:
        for (a, b), ci in zip(pairs, seed_differences(per_seed(reference, metric), pairs).values()):
            out[f"ref_{a}_vs_{b}_{metric}"] = ci
    return out


def probe_means(
    reference: Mapping[str, Any],
    names: Sequence[str],
    probes: Sequence[str] = ("probe_cloob", "attention_entropy"),
) -> dict[str, float]:
    """Means over seeds of the probe at initialisation and at the end, per run.

    Returns ``{"ref_<name>_init_<probe>": ..., "ref_<name>_end_<probe>": ...}``
    for each name and probe figure (see :func:`hopfield_probe`).

    Taught in: notebooks/26_contrastive_losses.ipynb
    """
    out = {}
    for name in names:
        for where in ("init", "end"):
            for probe in probes:
                values = per_seed(reference, f"{where}:{probe}")[name]
                out[f"ref_{name}_{where}_{probe}"] = float(np.mean(values))
    return out
