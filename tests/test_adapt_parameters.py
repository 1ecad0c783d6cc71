"""zslkit.adapt.parameters: the parameter checks of the Part III notebooks, on hand-made cases."""

import pytest

from zslkit.adapt.parameters import (
    check_continual_parameters,
    check_few_shot_parameters,
    check_leaderboard_parameters,
    check_prompt_learning_parameters,
    check_pseudo_label_parameters,
    parse_ints,
)

FEW_SHOT = dict(
    backbone="toyclip",
    dataset="pocket",
    variant="noisy",
    pool_per_class=32,
    n_per_class=32,
    shots="1, 2,16",
    seeds="1,2,3",
    tip_f_epochs=20,
    batch_size=256,
)


def test_parse_ints():
    assert parse_ints("1, 2,16", "shots", 1, 16) == [1, 2, 16]
    with pytest.raises(ValueError, match="shots"):
        parse_ints("1,x", "shots", 1, 16)
    with pytest.raises(ValueError, match="shots=17"):
        parse_ints("1,17", "shots", 1, 16)


def test_few_shot_parameters_parse_and_refuse():
    assert check_few_shot_parameters(FEW_SHOT) == ([1, 2, 16], [1, 2, 3])
    # 29 shots leave 32 - 29 = 3 pool images per class, fewer than the 4 validation shots
    for bad in (
        {"backbone": "nope"},
        {"variant": "oil"},
        {"shots": "29"},
        {"seeds": "-1"},
        {"batch_size": 0},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_few_shot_parameters({**FEW_SHOT, **bad})
    # off the pocket dataset the pool bound does not apply
    assert check_few_shot_parameters({**FEW_SHOT, "dataset": "eurosat", "shots": "29"})[0] == [29]


def test_leaderboard_parameters():
    params = {
        **FEW_SHOT,
        "prompt_learners": "CoOp, PRE",
        "prompt_shots": "all",
        "prompt_epochs": 3,
        "zpe_templates": "openai80",
        "n_reference": 1000,
    }
    assert check_leaderboard_parameters(params) == (
        [1, 2, 16],
        [1, 2, 3],
        ["CoOp", "PRE"],
        [1, 2, 16],
    )
    assert check_leaderboard_parameters({**params, "prompt_learners": "", "prompt_shots": "16"})[
        2:
    ] == (
        [],
        [16],
    )
    for bad in ({"prompt_learners": "CoCoOp"}, {"prompt_shots": "4"}, {"zpe_templates": "x"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_leaderboard_parameters({**params, **bad})


PROMPT = dict(
    backbone="toyclip",
    dataset="pocket",
    variant="",
    pre_encoder="lstm",
    seed=0,
    pool_per_class=0,
    test_per_class=0,
    n_shots=16,
    n_seeds=3,
    n_ctx=4,
    ctx_init="a photo of a",
    epochs=10,
    lr=0.002,
    train_batch_size=32,
    batch_size=256,
    n_threads=1,
)


def test_prompt_learning_parameters():
    check_prompt_learning_parameters(PROMPT)
    for bad in ({"pre_encoder": "gru"}, {"ctx_init": "  "}, {"lr": 11.0}, {"n_seeds": 1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_prompt_learning_parameters({**PROMPT, **bad})


def test_pseudo_label_parameters():
    params = {
        **{k: PROMPT[k] for k in ("backbone", "dataset", "variant", "seed", "pool_per_class")},
        "test_per_class": 0,
        "max_unlabelled": 5000,
        "n_iterations": 5,
        "learner": "linear",
        "epochs": 100,
        "lr": 0.001,
        "tpt_per_class": 2,
        "n_views": 64,
        "tpt_fraction": 0.1,
        "tpt_steps": 1,
        "tpt_lr": 0.005,
        "batch_size": 256,
        "n_threads": 1,
    }
    check_pseudo_label_parameters(params)
    for bad in ({"learner": "svm"}, {"tpt_fraction": 0.0}, {"n_views": 0}, {"variant": "oil"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_pseudo_label_parameters({**params, **bad})


def test_continual_parameters():
    params = dict(
        variant="background",
        n_tasks=4,
        seed=0,
        n_train_per_class=16,
        n_test_per_class=12,
        heldout_per_class=12,
        n_steps=20,
        batch_size=32,
        lr=1e-4,
        reference_size=512,
        reference_batch_size=32,
        distill_weight=1.0,
        average_every=5,
    )
    check_continual_parameters(params)
    check_continual_parameters({**params, "backbone": "toyclip2", "n_seeds": 3})
    for bad in ({"n_tasks": 3}, {"n_steps": 0}, {"lr": 2.0}, {"average_every": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_continual_parameters({**params, **bad})
    for bad in ({"backbone": "ViT-B-32"}, {"reference_corpus": "laion"}, {"n_seeds": 1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            check_continual_parameters({**params, **bad})
