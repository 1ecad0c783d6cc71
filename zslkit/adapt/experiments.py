"""The experiment loops of the Part III notebooks: sweeps over shots and seeds, and their summaries.

A notebook states its methods and its protocol; the loops that run every
method on every draw, collect the scores and summarise them live here, so
that each chapter spends its cells on the idea.

Taught in: notebooks/30_training_free_adapters.ipynb (the few-shot sweep),
31_prompt_learning.ipynb (base-to-new), 32_pseudo_labels_tta.ipynb and
33_continual_learning.ipynb.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from zslkit.adapt.protocols import few_shot_data, mean_std

__all__ = [
    "task_loader",
    "few_shot_sweep",
    "summarise_sweep",
    "figure_key",
    "seed_differences",
    "per_shot_figures",
    "stack_methods",
    "sweep_against_run",
    "gda_test_alpha_optimism",
    "top1",
    "part_classifiers",
    "base_to_new_run",
    "base_to_new_table",
    "unlabelled_splits",
    "encode_unlabelled",
    "pseudo_label_curve",
    "first_per_class",
    "stack_images",
    "tpt_subset_scores",
]


def task_loader(
    model: Any,
    preprocess: Any,
    dataset: str,
    root: str | None = None,
    device: str = "cpu",
    batch_size: int = 256,
    pocket: tuple[str, int, int] | None = None,
    prompt_sets: tuple[str, str] = ("", ""),
    pocket_only: bool = True,
) -> Callable[[int, int], dict]:
    """``load_task(n_shots, seed)``: the few-shot task of one draw, by :func:`few_shot_data`.

    ``root`` may be empty (the default folder). ``pocket`` is
    ``(variant, pool_per_class, test_per_class)`` of the pocket dataset,
    passed to :func:`few_shot_data` only when ``dataset == "pocket"`` (a
    full-tier dataset takes its own splits); None keeps
    :data:`zslkit.adapt.protocols.POCKET_TASK`. With ``pocket_only=False``
    it is passed whatever the dataset (:func:`few_shot_data` refuses pocket
    options that are not None for another dataset). The features are cached, so
    loading a draw again costs nothing. ``prompt_sets`` is ``(template_set,
    name_set)`` of the task's templates and class names (empty: the
    dataset's own; :func:`zslkit.models.prompts.dataset_prompts`).

    Taught in: notebooks/30_training_free_adapters.ipynb (and 34_leaderboard.ipynb).
    """
    options = {}
    if pocket is not None and (dataset == "pocket" or not pocket_only):
        variant, pool_per_class, test_per_class = pocket
        options = {
            "variant": variant,
            "pool_per_class": pool_per_class,
            "test_per_class": test_per_class,
        }

    def load_task(n_shots: int, seed: int) -> dict:
        return few_shot_data(
            model,
            preprocess,
            dataset,
            n_shots=n_shots,
            seed=seed,
            root=root or None,
            device=device,
            batch_size=batch_size,
            template_set=prompt_sets[0],
            name_set=prompt_sets[1],
            **options,
        )

    return load_task


HYPERPARAMETERS = ("C_", "alpha_", "beta_")
"""The fitted hyperparameters of the adapters that :func:`few_shot_sweep` keeps."""


def few_shot_sweep(
    methods: Mapping[str, Callable[[], Any]],
    load_task: Callable[[int, int], dict],
    shots: Sequence[int],
    seeds: Sequence[int],
    text_weights: torch.Tensor,
) -> dict[str, dict]:
    """Fit and test every adapter on every few-shot draw (shots outer, seeds, then methods).

    Each adapter of ``methods`` (name -> factory returning an unfitted
    adapter of :mod:`zslkit.adapt.adapters`) is fitted on the shots of
    ``load_task(n_shots, seed)`` with the text classifier ``text_weights``
    and the validation shots, then scored on the test set.

    Returns
    -------
    dict with
    ``accuracy`` : name -> n_shots -> list over seeds of test top-1;
    ``chosen`` : name -> n_shots -> list over seeds of the fitted
    hyperparameters ``C_``, ``alpha_``, ``beta_`` the adapter has;
    ``fitted`` : (name, n_shots, seed) -> the fitted adapter;
    ``seconds`` : name -> wall time of all its fits and tests.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    accuracy = {name: {k: [] for k in shots} for name in methods}
    chosen = {name: {k: [] for k in shots} for name in methods}
    fitted = {}
    seconds = dict.fromkeys(methods, 0.0)
    for n_shots in shots:
        for seed in seeds:
            task = load_task(n_shots, seed)
            for name, make in methods.items():
                start = time.perf_counter()
                adapter = make().fit(
                    task["train_features"],
                    task["train_labels"],
                    text_weights=text_weights,
                    val_features=task["val_features"],
                    val_labels=task["val_labels"],
                )
                accuracy[name][n_shots].append(
                    adapter.score(task["test_features"], task["test_labels"])
                )
                seconds[name] += time.perf_counter() - start
                chosen[name][n_shots].append(
                    {k: getattr(adapter, k) for k in HYPERPARAMETERS if hasattr(adapter, k)}
                )
                fitted[name, n_shots, seed] = adapter
    return {"accuracy": accuracy, "chosen": chosen, "fitted": fitted, "seconds": seconds}


def summarise_sweep(
    accuracy: Mapping[str, Mapping[int, Sequence[float]]],
) -> dict[str, dict[int, tuple[float, float]]]:
    """name -> n_shots -> (mean, std) over the seeds (:func:`mean_std`) of a sweep's accuracies.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    return {name: {k: mean_std(v) for k, v in row.items()} for name, row in accuracy.items()}


def figure_key(name: str) -> str:
    """The record name of a method: ``"Tip-Adapter-F"`` -> ``"tip_adapter_f"``.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    return name.lower().replace(" ", "_").replace("-", "_")


def seed_differences(
    accuracy: Mapping[str, Mapping[int, Sequence[float]]],
    pairs: Sequence[tuple[str, str]],
    shots: Sequence[int],
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Paired differences between methods over the few-shot draws, with t intervals.

    Two methods fitted on the same draw (same shots, same validation and
    test images) are compared draw by draw: for each ``(a, b)`` of ``pairs``
    and each shot count ``k``, the differences ``accuracy[a][k][s] -
    accuracy[b][k][s]`` over the seeds ``s`` get Student's t interval
    (:func:`zslkit.stats.t_interval`). With three draws the interval has two
    degrees of freedom and is wide: a gap inside it is a tie. With a single
    draw (a sweep's run of one seed) there is no interval: the difference
    comes with NaN bounds, and a sweep over the seeds
    (``zslkit sweep``) gives the interval instead.

    Returns ``{f"{key(a)}_minus_{key(b)}_{k}shot": Interval}`` in top-1
    units (:func:`figure_key` names the methods), in the order of ``pairs``
    then ``shots``; :func:`zslkit.stats.intervals_as_figures` turns it into
    recordable figures.

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    from math import nan

    from zslkit.stats import Interval, paired_t_intervals

    out = {}
    for k in shots:
        for name in {n for pair in pairs for n in pair}:
            if name in accuracy and k not in accuracy[name]:
                raise ValueError(
                    f"n_shots={k!r} is not in the sweep; choose from {sorted(accuracy[name])}"
                )
        at_k = {name: row[k] for name, row in accuracy.items() if k in row}
        if all(len(values) == 1 for values in at_k.values()):
            intervals = {
                (a, b): Interval(at_k[a][0] - at_k[b][0], nan, nan, confidence, "one draw")
                for a, b in pairs
            }
        else:
            intervals = paired_t_intervals(at_k, pairs, confidence)
        for (a, b), ci in intervals.items():
            out[f"{figure_key(a)}_minus_{figure_key(b)}_{k}shot"] = ci
    order = [f"{figure_key(a)}_minus_{figure_key(b)}_{k}shot" for a, b in pairs for k in shots]
    return {name: out[name] for name in order}


def per_shot_figures(summary: Any, shots_column: str = "param.shots") -> Any:
    """A sweep's summary with each run's per-shot figures under one name.

    Chapter 30 names a figure by its shot count (``gda_top1_16shot``). In a
    sweep whose runs each have a single shot count (``-p shots 1,4,16``),
    the figure of every run is renamed without its suffix (``gda_top1``),
    so that one column holds it for every shot count and
    :func:`zslkit.nbtools.sweep.summary_table` and ``plot_summary`` can
    group and plot it against ``param.shots`` (made an int).

    Parameters
    ----------
    summary : DataFrame of :func:`zslkit.nbtools.sweep.read_summary`, one row per run.
    shots_column : the column of each run's shot count.

    Returns
    -------
    DataFrame: the ``param.*`` and ``run`` columns, then the renamed figures
    (figures without a shot suffix, such as ``zero_shot_top1``, kept as they are).

    Taught in: notebooks/03_sweeps.ipynb
    """
    import re

    import pandas as pd

    if shots_column not in summary:
        raise ValueError(f"no column {shots_column!r}; the summary has {list(summary.columns)}")
    rows = []
    for _, row in summary.iterrows():
        k = int(str(row[shots_column]))  # a single shot count per run
        suffix = re.compile(rf"_{k}shot(?=$|_)")
        out = {}
        for name, value in row.items():
            if not re.search(r"_\d+shot($|_)", name):
                out[name] = value
            elif suffix.search(name) and pd.notna(value):
                out[suffix.sub("", name)] = value
        out[shots_column] = k
        rows.append(out)
    return pd.DataFrame(rows)


def stack_methods(per_shot: Any, methods: Sequence[str], figure: str = "top1") -> Any:
    """One row per run and method: ``param.method`` and one column ``figure``.

    From :func:`per_shot_figures`' frame, the columns ``<method>_<figure>``
    of ``methods`` (record names, :func:`figure_key`) become rows, so that
    :func:`zslkit.nbtools.sweep.summary_table` groups by method and shots
    and ``plot_summary`` draws a line per method.

    Taught in: notebooks/03_sweeps.ipynb
    """
    import pandas as pd

    missing = [m for m in methods if f"{m}_{figure}" not in per_shot]
    if missing:
        have = sorted(c.removesuffix(f"_{figure}") for c in per_shot if c.endswith(f"_{figure}"))
        raise ValueError(f"no {figure!r} figure for {missing}; the sweep has {have}")
    params = [c for c in per_shot if c.startswith("param.") or c == "run"]
    parts = [
        per_shot[params].assign(**{"param.method": m, figure: per_shot[f"{m}_{figure}"]})
        for m in methods
    ]
    return pd.concat(parts, ignore_index=True)


def sweep_against_run(table: Any, results: Mapping[str, Any]) -> dict[str, Any]:
    """How far a sweep's means and intervals are from one run's figures of the same draws.

    Parameters
    ----------
    table : :func:`zslkit.nbtools.sweep.summary_table` of :func:`per_shot_figures`
        (columns ``shots``, ``figure``, ``mean``, ``ci_low``, ``ci_high``).
    results : the recorded figures of a run over the same seeds and shots
        (chapter 30's, ``<figure>_<k>shot`` with ``_ci_low``/``_ci_high``).
        Standard deviations (``*_std``) are left out: within one draw they are 0.

    Returns
    -------
    dict: ``n_means`` and ``max_mean_gap`` (largest absolute difference of a
    mean), ``n_bounds`` and ``max_bound_gap`` (of an interval bound, where
    the run has one).

    Taught in: notebooks/03_sweeps.ipynb
    """
    means, bounds = [], []
    for row in table.itertuples(index=False):
        key = f"{row.figure}_{row.shots}shot"
        if row.figure.endswith("_std") or results.get(key) is None:
            continue
        means.append(abs(row.mean - results[key]))
        for side in ("low", "high"):
            theirs = results.get(f"{key}_ci_{side}")
            if theirs is not None:
                bounds.append(abs(getattr(row, f"ci_{side}") - theirs))
    return {
        "n_means": len(means),
        "max_mean_gap": float(max(means, default=float("nan"))),
        "n_bounds": len(bounds),
        "max_bound_gap": float(max(bounds, default=float("nan"))),
    }


def gda_test_alpha_optimism(
    fitted: Mapping[tuple, Any],
    load_task: Callable[[int, int], dict],
    shots: Sequence[int],
    seeds: Sequence[int],
    text_weights: torch.Tensor,
    logit_scale: float,
) -> dict[int, float]:
    """How much choosing GDA's alpha on the test labels flatters it, per shot count.

    For each fitted ``fitted["GDA", n_shots, seed]`` the test top-1 of the
    logits ``logit_scale * f W_c^T + alpha (f W + b)`` is computed for every
    alpha of its grid; the gap is the best of them minus the score of the
    alpha chosen on the validation shots. Returns n_shots -> the mean gap
    over the seeds (float64 throughout).

    Taught in: notebooks/30_training_free_adapters.ipynb.
    """
    optimism = {}
    for k in shots:
        gaps = []
        for seed in seeds:
            gda = fitted["GDA", k, seed]
            task = load_task(k, seed)
            test_features = task["test_features"].double().numpy()
            test_labels = task["test_labels"].numpy()
            text_logits = logit_scale * test_features @ text_weights.double().numpy()
            gaussian_logits = test_features @ gda.coef_ + gda.intercept_  # f W + b
            test_scores = [
                np.mean((text_logits + a * gaussian_logits).argmax(1) == test_labels)
                for a in gda.alphas
            ]
            gaps.append(max(test_scores) - gda.score(task["test_features"], test_labels))
        optimism[k] = float(np.mean(gaps))
    return optimism


def top1(weights: torch.Tensor, features: torch.Tensor, labels: np.ndarray) -> float:
    """Top-1 accuracy of the linear classifier ``features @ weights``.

    ``weights`` : (d, C) tensor; ``features`` : (n, d) tensor;
    ``labels`` : (n,) int numpy array.

    Taught in: notebooks/31_prompt_learning.ipynb (and 32_pseudo_labels_tta.ipynb).
    """
    return float(((features @ weights).argmax(1).numpy() == labels).mean())


def part_classifiers(
    model: Any,
    tokenizer: Callable,
    names: Mapping[str, Sequence[str]],
    templates: Sequence[str],
    device: str = "cpu",
) -> dict[str, torch.Tensor]:
    """part -> the zero-shot classifier of its class names (``names``: part -> class names).

    :func:`zslkit.models.zeroshot.zero_shot_classifier` of each part in
    turn, e.g. of the base and the new classes of the base-to-new protocol.

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    from zslkit.models.zeroshot import zero_shot_classifier

    return {
        part: zero_shot_classifier(model, tokenizer, names[part], templates, device)
        for part in names
    }


def base_to_new_run(
    model: Any,
    tokenizer: Callable,
    data: Mapping[int, dict],
    base: Sequence[int],
    names: Mapping[str, Sequence[str]],
    test: Mapping[str, tuple],
    zero_shot: Mapping[str, Mapping[str, torch.Tensor]],
    learners: Mapping[str, tuple[type, dict]],
    options: Mapping[str, Any],
) -> dict[str, dict]:
    """The base-to-new protocol: score every classifier on the base and the new classes, per seed.

    For each seed of ``data`` (seed -> few-shot task of
    :func:`~zslkit.adapt.protocols.few_shot_data`), in order: the shots and
    validation images of the ``base`` classes are kept and relabelled
    (:func:`~zslkit.adapt.protocols.select_classes`); each zero-shot
    classifier of ``zero_shot`` (method -> part -> (d, C) weights) is scored
    on ``test[part]`` (part -> (features, labels)); then each prompt learner
    of ``learners`` (method -> (class, its own keywords)) is built with
    ``options`` and ``seed``, fitted on the base classes ``names["base"]``
    (after every epoch its base and new accuracy is appended to a curve),
    scored on the base test images and, with the new class names
    (``with_classes``), on the new ones.

    Returns
    -------
    dict with ``scores`` (method -> ``"base"``/``"new"`` -> list over seeds),
    ``curves`` (learner -> list over seeds of per-epoch [base, new]) and
    ``fitted`` ((learner, seed) -> the fitted learner).

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    from zslkit.adapt.protocols import select_classes

    methods = list(zero_shot) + list(learners)
    scores = {m: {"base": [], "new": []} for m in methods}
    curves = {m: [] for m in learners}
    fitted = {}
    for s in data:
        train_features, train_labels = select_classes(
            data[s]["train_features"], data[s]["train_labels"], base
        )
        val_features, val_labels = select_classes(
            data[s]["val_features"], data[s]["val_labels"], base
        )
        for m, weights in zero_shot.items():  # no training: the same on every seed
            for part in names:
                scores[m][part].append(top1(weights[part], *test[part]))
        for m, (Learner, own) in learners.items():
            curve = []

            def follow(estimator, epoch, curve=curve):
                curve.append(
                    [
                        top1(estimator.classifier_weights(names[p]), *test[p])
                        for p in ("base", "new")
                    ]
                )

            learner = Learner(model, tokenizer, **options, seed=s, callback=follow, **own)
            learner.fit(
                train_features,
                train_labels,
                names["base"],
                val_features=val_features,
                val_labels=val_labels,
            )
            scores[m]["base"].append(learner.score(*test["base"]))
            scores[m]["new"].append(learner.with_classes(names["new"]).score(*test["new"]))
            curves[m].append(curve)
            fitted[m, s] = learner
    return {"scores": scores, "curves": curves, "fitted": fitted}


def base_to_new_table(
    scores: Mapping[str, Mapping[str, Sequence[float]]],
) -> dict[str, dict[str, float]]:
    """method -> B, B_std, N, N_std (mean, std over seeds) and H = 2BN / (B + N) of the means.

    ``scores`` : method -> ``"base"``/``"new"`` -> per-seed accuracies, as
    :func:`base_to_new_run` returns them.

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    from zslkit.metrics import harmonic_mean

    table = {}
    for m, row in scores.items():
        b_mean, b_std = mean_std(row["base"])
        n_mean, n_std = mean_std(row["new"])
        table[m] = {
            "B": b_mean,
            "B_std": b_std,
            "N": n_mean,
            "N_std": n_std,
            "H": harmonic_mean(b_mean, n_mean),
        }
    return table


def unlabelled_splits(
    dataset: str,
    root: str | None,
    preprocess: Any,
    variant: str = "",
    pool_per_class: int = 0,
    test_per_class: int = 0,
) -> tuple[Any, Any]:
    """The unlabelled pool (the ``"train"`` split) and the test split of a dataset.

    On the pocket dataset both are rendered as the Part III task
    (:data:`~zslkit.adapt.protocols.POCKET_TASK`, seed
    :data:`~zslkit.adapt.protocols.POOL_SEED`), an empty ``variant`` or a 0
    size standing for the task's; a full-tier dataset takes its own splits.

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    from zslkit.adapt import protocols
    from zslkit.data.datasets import load_dataset

    if dataset == "pocket":
        split_kw = {
            part: dict(
                variant=variant or protocols.POCKET_TASK["variant"],
                seed=protocols.POOL_SEED,
                n_per_class=size or protocols.POCKET_TASK[key],
            )
            for part, key, size in (
                ("train", "pool_per_class", pool_per_class),
                ("test", "test_per_class", test_per_class),
            )
        }
    else:
        split_kw = {"train": {}, "test": {}}
    pool = load_dataset(
        dataset, split="train", root=root or None, transform=preprocess, **split_kw["train"]
    )
    test_set = load_dataset(
        dataset, split="test", root=root or None, transform=preprocess, **split_kw["test"]
    )
    return pool, test_set


def encode_unlabelled(
    model: Any,
    pool: Any,
    test_set: Any,
    max_unlabelled: int,
    seed: int,
    batch_size: int = 256,
    device: str = "cpu",
) -> dict[str, Any]:
    """Features of the unlabelled pool (at most ``max_unlabelled`` images) and of the test set.

    A pool larger than ``max_unlabelled`` is cut to a fixed random subset
    (sorted indices drawn by ``numpy.random.default_rng(seed)``, without
    replacement); the features come from
    :func:`zslkit.models.features.extract_features` (a subset is not cached
    on disk).

    Returns
    -------
    dict with ``unlabelled`` : ((n, d) tensor, (n,) int numpy array of the
    hidden labels), ``test`` : likewise for the test set, and ``keep`` : the
    indices of the pool that were kept.

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    from zslkit.models.features import extract_features

    if len(pool) > max_unlabelled:  # a fixed random subset of a large training split
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(pool), max_unlabelled, replace=False))
        pool_view = torch.utils.data.Subset(pool, keep)
    else:
        keep, pool_view = np.arange(len(pool)), pool
    unlabelled_features, hidden_labels = extract_features(
        model,
        pool_view,
        batch_size=batch_size,
        device=device,
        progress=False,
        cache=pool_view is pool,
    )
    test_features, test_labels = extract_features(
        model, test_set, batch_size=batch_size, device=device, progress=False
    )
    return {
        "unlabelled": (unlabelled_features, hidden_labels.numpy()),
        "test": (test_features, test_labels.numpy()),
        "keep": keep,
    }


def pseudo_label_curve(
    hidden_labels: np.ndarray, test_features: torch.Tensor, test_labels: np.ndarray
) -> tuple[list[dict], Callable]:
    """A list and the callback that appends to it one row per round of pseudo-labelling.

    The callback, ``follow(estimator, t)`` of
    :class:`~zslkit.adapt.pseudo_labels.IterativePseudoLabeler`, appends
    ``k``, ``labelled`` (the fraction of the pool selected),
    ``pseudo_label_acc`` (the accuracy of the selected pseudo-labels against
    the ``hidden_labels``, which the method never sees) and ``test`` (the
    estimator's test accuracy).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    curve: list[dict] = []

    def follow(estimator, t):
        step = estimator.history_[-1]
        correct = step["pseudo_labels"] == hidden_labels[step["indices"]]
        curve.append(
            {
                "k": step["k"],
                "labelled": len(step["indices"]) / len(hidden_labels),
                "pseudo_label_acc": float(correct.mean()),
                "test": estimator.score(test_features, test_labels),
            }
        )

    return curve, follow


def first_per_class(labels: np.ndarray, n_classes: int, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` items of each class 0..n_classes-1, class by class.

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(n_classes)])


def stack_images(dataset: Any, indices: np.ndarray) -> torch.Tensor:
    """The (n, ...) tensor of the images ``dataset[i][0]`` at ``indices``; an empty tensor for none.

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    if not len(indices):
        return torch.zeros(0)
    return torch.stack([dataset[int(i)][0] for i in indices])


def tpt_subset_scores(
    tpt: Any,
    predictions: np.ndarray,
    text_weights: torch.Tensor,
    features: torch.Tensor,
    labels: np.ndarray,
) -> dict[str, Any]:
    """Test-time prompt tuning against zero-shot on the same images.

    ``predictions`` : TPT's predictions on the images whose ``features``
    ((n, d) tensor) and ``labels`` are given; ``text_weights`` : (d, C)
    zero-shot classifier; ``tpt.last_info_`` : TPT's per-image entropies.

    Returns
    -------
    dict with ``tpt`` and ``zero_shot`` (top-1; NaN without images),
    ``entropy_drop`` (mean over images of the averaged entropy of the kept
    views before minus after tuning; 0 without images) and ``flips``
    (``fixed``: wrong zero-shot predictions TPT made right; ``broken``: the
    reverse).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    n = len(labels)
    zero_shot_pred = (features @ text_weights).argmax(1).numpy()
    return {
        "tpt": float((predictions == labels).mean()) if n else float("nan"),
        "zero_shot": top1(text_weights, features, labels) if n else float("nan"),
        "entropy_drop": (
            float(np.mean([i["entropy_before"] - i["entropy_after"] for i in tpt.last_info_]))
            if n
            else 0.0
        ),
        "flips": {
            "fixed": int(((predictions == labels) & (zero_shot_pred != labels)).sum()),
            "broken": int(((predictions != labels) & (zero_shot_pred == labels)).sum()),
        },
    }
