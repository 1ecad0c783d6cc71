"""The parameter checks of the Part III notebooks, one function per notebook.

Each notebook checks every parameter of its ``parameters`` cell right after
it, before any heavy work (CONTRIBUTING.md): a bad value raises a
``ValueError`` that names it and the valid choices or range
(:func:`zslkit.check_choice`, :func:`zslkit.check_range`). The notebook
passes its namespace (``globals()``) and gets back the values it derives
from the parameters (parsed lists of shots and seeds).

Taught in: notebooks/30_training_free_adapters.ipynb, 31_prompt_learning.ipynb,
32_pseudo_labels_tta.ipynb, 33_continual_learning.ipynb and 34_leaderboard.ipynb
(the cell after the parameters).
"""

from __future__ import annotations

from typing import Any, Mapping

from zslkit.checks import check_choice, check_range

__all__ = [
    "parse_ints",
    "check_few_shot_parameters",
    "check_prompt_learning_parameters",
    "check_pseudo_label_parameters",
    "check_continual_parameters",
    "check_leaderboard_parameters",
]


def parse_ints(text: str, name: str, low: int, high: int) -> list[int]:
    """The comma-separated integers of ``text`` (``"1,2,4"`` -> ``[1, 2, 4]``), each in [low, high].

    Raises ``ValueError`` naming ``name`` for an entry that is not an integer
    or lies outside the range.
    """
    values = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            raise ValueError(f"{name}={text!r}: {part!r} is not an integer") from None
        check_range(name, value, low, high, integer=True)
        values.append(value)
    return values


def _check_ints(params: Mapping[str, Any], ranges: Mapping[str, tuple[int, int]]) -> None:
    for name, (low, high) in ranges.items():
        check_range(name, params[name], low, high, integer=True)


def _check_backbone_and_dataset(params: Mapping[str, Any]) -> None:
    from zslkit.data.datasets import list_datasets
    from zslkit.models.backbones import list_backbones

    check_choice("backbone", params["backbone"], list_backbones())
    check_choice("dataset", params["dataset"], list_datasets())


def check_few_shot_parameters(params: Mapping[str, Any]) -> tuple[list[int], list[int]]:
    """Check the task parameters of a few-shot sweep; return its shot and seed lists.

    Checks ``backbone``, ``dataset``, ``variant`` (a pocket variant),
    ``pool_per_class`` (2 to 10 000), ``n_per_class`` (1 to 1000), every
    entry of ``shots`` (1 to 1000 and, on the pocket pool, at most
    ``pool_per_class - min(shots, 4)``, the validation shots) and of
    ``seeds`` (0 to 2**32 - 1), and, when present, ``tip_f_epochs`` (1 to
    1000) and ``batch_size`` (1 to 4096).

    Returns
    -------
    (shot_list, seed_list) : the parsed ``shots`` and ``seeds``.

    Taught in: notebooks/30_training_free_adapters.ipynb (and 34_leaderboard.ipynb).
    """
    from zslkit.data import world

    _check_backbone_and_dataset(params)
    check_choice("variant", params["variant"], world.VARIANTS)
    _check_ints(params, {"pool_per_class": (2, 10_000), "n_per_class": (1, 1000)})
    shot_list = parse_ints(params["shots"], "shots", 1, 1000)
    if params["dataset"] == "pocket":
        for n_shots in shot_list:
            check_range("shots", n_shots, 1, params["pool_per_class"] - min(n_shots, 4), True)
    seed_list = parse_ints(params["seeds"], "seeds", 0, 2**32 - 1)
    optional = {"tip_f_epochs": (1, 1000), "batch_size": (1, 4096)}
    _check_ints(params, {k: v for k, v in optional.items() if k in params})
    return shot_list, seed_list


def _check_pocket_defaults(params: Mapping[str, Any]) -> None:
    """``variant``, ``pool_per_class``, ``test_per_class`` where empty and 0 mean POCKET_TASK's."""
    from zslkit.data.world import VARIANTS

    check_choice("variant", params["variant"], [""] + list(VARIANTS))
    _check_ints(params, {"seed": (0, 10_000)})
    _check_ints(params, {"pool_per_class": (0, 10_000), "test_per_class": (0, 10_000)})


def check_prompt_learning_parameters(params: Mapping[str, Any]) -> None:
    """Check every parameter of the prompt-learning notebook (CoOp and PRE, base-to-new).

    ``backbone``, ``dataset``, ``variant`` (empty or a pocket variant),
    ``pre_encoder`` (:data:`zslkit.adapt.prompt_learning.ENCODERS`), ``seed``,
    ``pool_per_class``, ``test_per_class`` (0 to 10 000), ``n_shots`` (1 to
    1000), ``n_seeds`` (2 to 100: its intervals are t intervals over the
    draws), ``n_ctx`` (0 to 100), ``ctx_init`` (not
    blank), ``epochs`` (1 to 10 000), ``lr`` (0 to 10), ``train_batch_size``
    and ``batch_size`` (1 to 4096), ``n_threads`` (0 to 1024).

    Taught in: notebooks/31_prompt_learning.ipynb.
    """
    from zslkit.adapt.prompt_learning import ENCODERS

    _check_backbone_and_dataset(params)
    _check_pocket_defaults(params)
    check_choice("pre_encoder", params["pre_encoder"], ENCODERS)
    _check_ints(params, {"n_shots": (1, 1000), "n_seeds": (2, 100), "n_ctx": (0, 100)})
    if not params["ctx_init"].strip():
        raise ValueError("ctx_init is empty: give words such as 'a photo of a', or random")
    _check_ints(params, {"epochs": (1, 10_000)})
    check_range("lr", params["lr"], 0.0, 10.0)
    _check_ints(
        params, {"train_batch_size": (1, 4096), "batch_size": (1, 4096), "n_threads": (0, 1024)}
    )


def check_pseudo_label_parameters(params: Mapping[str, Any]) -> None:
    """Check every parameter of the pseudo-labelling and test-time tuning notebook.

    ``backbone``, ``dataset``, ``variant`` (empty or a pocket variant),
    ``learner`` (:data:`zslkit.adapt.pseudo_labels.LEARNERS`), ``seed``,
    ``pool_per_class``, ``test_per_class`` (0 to 10 000), ``max_unlabelled``
    (1 to 10**7), ``n_iterations`` (1 to 100), ``epochs`` (0 to 10 000),
    ``lr`` and ``tpt_lr`` (0 to 10), ``tpt_per_class`` (0 to 10 000),
    ``n_views`` (1 to 1024), ``tpt_fraction`` (in (0, 1]), ``tpt_steps``
    (0 to 100), ``batch_size`` (1 to 4096), ``n_threads`` (0 to 256).

    Taught in: notebooks/32_pseudo_labels_tta.ipynb.
    """
    from zslkit.adapt.pseudo_labels import LEARNERS

    _check_backbone_and_dataset(params)
    _check_pocket_defaults(params)
    check_choice("learner", params["learner"], LEARNERS)
    _check_ints(
        params, {"max_unlabelled": (1, 10_000_000), "n_iterations": (1, 100), "epochs": (0, 10_000)}
    )
    check_range("lr", params["lr"], 0.0, 10.0)
    _check_ints(params, {"tpt_per_class": (0, 10_000), "n_views": (1, 1024)})
    check_range("tpt_fraction", params["tpt_fraction"], 0.0, 1.0)
    _check_ints(params, {"tpt_steps": (0, 100)})
    check_range("tpt_lr", params["tpt_lr"], 0.0, 10.0)
    _check_ints(params, {"batch_size": (1, 4096), "n_threads": (0, 256)})
    if params["tpt_fraction"] == 0:
        raise ValueError("tpt_fraction must be > 0")


def check_continual_parameters(params: Mapping[str, Any]) -> None:
    """Check every parameter of the continual-learning notebook.

    ``backbone`` (``toyclip2`` or ``toyclip``: the chapter fine-tunes on
    32-pixel pocket images), ``reference_corpus`` (``web`` or ``pocket``),
    ``variant`` (a pocket variant), ``n_tasks`` (1, 2, 4 or 8), ``seed`` (0
    to 10 000), ``n_seeds`` (2 to 100), the sizes and step counts
    ``n_train_per_class``,
    ``n_test_per_class``, ``heldout_per_class``, ``n_steps``,
    ``batch_size``, ``reference_size``, ``reference_batch_size`` (1 to
    100 000), ``lr`` (0 to 1), ``distill_weight`` (0 to 1000) and
    ``average_every`` (0 to 100 000).

    Taught in: notebooks/33_continual_learning.ipynb.
    """
    from zslkit.adapt.continual import CORPORA
    from zslkit.data.world import VARIANTS
    from zslkit.models.backbones import TOYCLIPS

    for name, choices in (("backbone", TOYCLIPS), ("reference_corpus", CORPORA)):
        if name in params:
            check_choice(name, params[name], choices)
    check_choice("variant", params["variant"], VARIANTS)
    check_choice("n_tasks", params["n_tasks"], [1, 2, 4, 8])
    _check_ints(params, {"seed": (0, 10_000)})
    if "n_seeds" in params:
        _check_ints(params, {"n_seeds": (2, 100)})  # a t interval needs two
    sizes = (
        "n_train_per_class",
        "n_test_per_class",
        "heldout_per_class",
        "n_steps",
        "batch_size",
        "reference_size",
        "reference_batch_size",
    )
    _check_ints(params, dict.fromkeys(sizes, (1, 100_000)))
    check_range("lr", params["lr"], 0.0, 1.0)
    check_range("distill_weight", params["distill_weight"], 0.0, 1000.0)
    _check_ints(params, {"average_every": (0, 100_000)})


def check_leaderboard_parameters(
    params: Mapping[str, Any],
) -> tuple[list[int], list[int], list[str], list[int]]:
    """Check the parameters of the leaderboard notebook that belong to Part III.

    Everything :func:`check_few_shot_parameters` checks, then every entry of
    ``prompt_learners`` (CoOp or PRE; empty for none) and of
    ``prompt_shots`` (``"all"`` or shot counts of ``shots``),
    ``prompt_epochs`` (1 to 10 000), ``zpe_templates``
    (:func:`zslkit.models.prompts.list_template_sets`) and ``n_reference``
    (1 to 100 000). The ZPE reference set and the description source belong
    to Part II's wing (zslkit.vlm) and are checked in the notebook.

    Returns
    -------
    (shot_list, seed_list, learner_list, prompt_shot_list) : the shot counts
    and seeds, the prompt learners to run and the shot counts they run at.

    Taught in: notebooks/34_leaderboard.ipynb.
    """
    from zslkit.models.prompts import list_template_sets

    shot_list, seed_list = check_few_shot_parameters(params)
    learners = params["prompt_learners"]
    learner_list = [m.strip() for m in learners.split(",") if m.strip()]
    for m in learner_list:
        check_choice("prompt_learners", m, ["CoOp", "PRE"])
    prompt_shots = params["prompt_shots"]
    prompt_shot_list = (
        shot_list
        if prompt_shots == "all"
        else [int(s) for s in prompt_shots.split(",") if s.strip()]
    )
    for n_shots in prompt_shot_list:
        check_choice("prompt_shots", n_shots, shot_list)
    _check_ints(params, {"prompt_epochs": (1, 10_000)})
    check_choice("zpe_templates", params["zpe_templates"], list_template_sets())
    _check_ints(params, {"n_reference": (1, 100_000)})
    return shot_list, seed_list, learner_list, prompt_shot_list
