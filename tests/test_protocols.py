"""zslkit.adapt.protocols: few-shot splits and CoCoOp's base-to-new rule, checked against hand-made cases."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms as T

from zslkit.adapt.protocols import (
    POCKET_TASK,
    SEEDS,
    SHOTS,
    base_to_new_split,
    few_shot_data,
    few_shot_split,
    mean_std,
    relabel,
    select_classes,
)
from zslkit.data.datasets import load_dataset


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZSLKIT_CACHE", str(tmp_path / "cache"))


def pool_labels(per_class=(25, 21, 30, 40), shuffle_seed=0):
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    return np.random.default_rng(shuffle_seed).permutation(labels)


def test_constants():
    assert SHOTS == (1, 2, 4, 8, 16) and SEEDS == (1, 2, 3)
    assert POCKET_TASK["dataset"] == "pocket" and POCKET_TASK["variant"] in (
        "photo",
        "sketch",
        "noisy",
        "background",
    )


@pytest.mark.parametrize("n_shots", SHOTS)
def test_few_shot_split_counts_and_disjoint(n_shots):
    labels = pool_labels()
    split = few_shot_split(labels, n_shots, seed=1)
    n_val = min(n_shots, 4)
    for c in range(4):
        assert np.sum(labels[split["train"]] == c) == n_shots
        assert np.sum(labels[split["val"]] == c) == n_val
    assert len(split["train"]) == 4 * n_shots and len(split["val"]) == 4 * n_val
    assert len(np.intersect1d(split["train"], split["val"])) == 0
    assert len(np.unique(split["train"])) == len(split["train"])


def test_few_shot_split_deterministic_and_seeded():
    labels = pool_labels()
    a, b = few_shot_split(labels, 4, seed=2), few_shot_split(torch.as_tensor(labels), 4, seed=2)
    assert np.array_equal(a["train"], b["train"]) and np.array_equal(a["val"], b["val"])
    others = [few_shot_split(labels, 4, seed=s)["train"] for s in (1, 3)]
    assert all(not np.array_equal(a["train"], o) for o in others)


def test_few_shot_split_nested_over_shots():
    labels = pool_labels()
    previous = set()
    for n_shots in SHOTS:
        current = set(few_shot_split(labels, n_shots, seed=3)["train"].tolist())
        assert previous <= current
        previous = current


def test_few_shot_split_too_small_pool():
    with pytest.raises(ValueError, match="class 1 has 21 images"):
        few_shot_split(pool_labels(), 18, seed=1)  # needs 18 + 4 = 22
    few_shot_split(pool_labels(), 17, seed=1)  # 21 = 17 + 4 is enough


def test_base_to_new_matches_cocoop_rule():
    # CoCoOp: labels = sorted(set(labels)); m = ceil(n / 2); base = labels[:m]; new = labels[m:]
    for n in (2, 5, 10, 11, 64):
        base, new = base_to_new_split(n)
        m = math.ceil(n / 2)
        assert base.tolist() == list(range(m)) and new.tolist() == list(range(m, n))
    base, new = base_to_new_split([7, 3, 3, 9, 0, 4, 7])  # classes 0, 3, 4, 7, 9 (odd n)
    assert base.tolist() == [0, 3, 4] and new.tolist() == [7, 9]
    base, new = base_to_new_split(4)
    assert base.tolist() == [0, 1] and new.tolist() == [2, 3]
    with pytest.raises(ValueError):
        base_to_new_split(1)


def test_relabel_and_select():
    labels = np.array([4, 2, 4, 7, 2])
    assert relabel(labels, [2, 4, 7]).tolist() == [1, 0, 1, 2, 0]
    assert relabel(labels, [7, 4], strict=False).tolist() == [1, -1, 1, 0, -1]
    with pytest.raises(ValueError, match="not among"):
        relabel(labels, [7, 4])
    features = torch.arange(10.0).reshape(5, 2)
    sel_features, sel_labels = select_classes(features, torch.as_tensor(labels), [7, 2])
    assert sel_features.tolist() == [
        [2.0, 3.0],
        [6.0, 7.0],
        [8.0, 9.0],
    ] and sel_labels.tolist() == [1, 0, 1]


def test_mean_std():
    mean, std = mean_std([0.5, 0.7, 0.9])
    assert mean == pytest.approx(0.7) and std == pytest.approx(math.sqrt(((0.2**2) * 2) / 3))


class FlatEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = torch.nn.Linear(3 * 16 * 16, 6)
        self.calls = 0
        self.zslkit_id = {"backbone": "flat-test"}

    def encode_image(self, images):
        self.calls += 1
        return self.proj(images.flatten(1))


def test_few_shot_data_against_direct_features():
    model, preprocess = FlatEncoder(), T.ToTensor()
    kw = dict(variant="noisy", pool_per_class=6, test_per_class=2, size=16)
    data = few_shot_data(model, preprocess, n_shots=2, seed=1, **kw)
    pool = load_dataset(
        "pocket", "train", transform=preprocess, variant="noisy", n_per_class=6, seed=0, size=16
    )
    split = few_shot_split(pool.labels, 2, 1)
    with torch.no_grad():
        direct = F.normalize(
            model.proj(torch.stack([pool[i][0] for i in split["train"]]).flatten(1)), dim=-1
        )
    assert torch.allclose(data["train_features"], direct, atol=1e-6)
    assert data["train_labels"].tolist() == pool.labels[split["train"]].tolist()
    assert data["val_features"].shape == (64 * 2, 6) and data["test_features"].shape == (64 * 2, 6)
    assert np.bincount(data["test_labels"].numpy()).tolist() == [2] * 64
    assert data["class_names"] == pool.class_names and len(data["templates"]) > 0
    calls = model.calls
    other = few_shot_data(
        model, preprocess, n_shots=1, seed=3, **kw
    )  # pool and test reused, no encoding
    assert model.calls == calls and other["train_features"].shape == (64, 6)


def test_few_shot_data_large_pool_encodes_only_the_shots():
    model, preprocess = FlatEncoder(), T.ToTensor()
    kw = dict(variant="noisy", pool_per_class=5, test_per_class=1, size=16)
    whole = few_shot_data(model, preprocess, n_shots=1, seed=2, **kw)
    other = FlatEncoder()  # same weights, a new object: nothing memoised for it
    shots_only = few_shot_data(other, preprocess, n_shots=1, seed=2, max_pool_images=0, **kw)
    assert (
        other.calls == 2
    )  # train and val shots encoded on their own; the test set came from the disk cache
    for key in ("train_features", "val_features", "test_features"):
        assert torch.allclose(whole[key], shots_only[key], atol=1e-6)
    assert torch.equal(whole["train_labels"], shots_only["train_labels"])


def test_few_shot_data_memo_follows_weights():
    model, preprocess = FlatEncoder(), T.ToTensor()
    model.zslkit_id = (
        None  # unidentified weights (random init): no disk cache, only the in-process memo
    )
    kw = dict(variant="noisy", pool_per_class=5, test_per_class=1, size=16)
    first = few_shot_data(model, preprocess, n_shots=1, seed=1, **kw)
    calls = model.calls
    few_shot_data(model, preprocess, n_shots=1, seed=2, **kw)
    assert model.calls == calls
    with torch.no_grad():
        model.proj.weight.mul_(-1.0)  # changed weights must not reuse memoised features
    changed = few_shot_data(model, preprocess, n_shots=1, seed=1, **kw)
    assert model.calls > calls and not torch.allclose(
        first["train_features"], changed["train_features"]
    )


def test_few_shot_data_rejects_pocket_options_elsewhere():
    with pytest.raises(ValueError, match="pocket dataset only"):
        few_shot_data(FlatEncoder(), T.ToTensor(), dataset="eurosat", variant="noisy")
