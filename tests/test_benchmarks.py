"""load_zsl_benchmark: Fashion-MNIST and GBU arranged the same way; reference numbers; semantics."""

import json

import numpy as np
import pytest
from gbu_fake import write_fake_gbu

from zslkit.data.benchmarks import (
    check_benchmark,
    load_zsl_benchmark,
    readable_class_name,
    reference_gzsl,
    reference_number,
    zsl_semantics,
)
from zslkit.paths import data_dir


def test_readable_class_names():
    assert readable_class_name("001.Black_footed_Albatross") == "black footed albatross"
    assert readable_class_name("grizzly+bear") == "grizzly bear"
    assert readable_class_name("abbey") == "abbey"


def test_gbu_arranged_like_the_proposed_split(tmp_path):
    fake = write_fake_gbu(tmp_path, "CUB")
    data = load_zsl_benchmark("cub", tmp_path)
    np.testing.assert_allclose(data["train_features"], fake["features"][fake["trainval"]])
    np.testing.assert_array_equal(data["train_labels"], fake["labels"][fake["trainval"]])
    test = np.concatenate([fake["test_seen"], fake["test_unseen"]])
    np.testing.assert_allclose(data["test_features"], fake["features"][test])
    np.testing.assert_array_equal(data["test_labels"], fake["labels"][test])
    assert data["seen"] == list(range(7)) and data["unseen"] == [7, 8, 9]
    assert not np.isin(data["train_labels"], data["unseen"]).any()
    assert data["class_names"][1] == "grizzly bear"
    np.testing.assert_allclose(zsl_semantics(data, "attributes"), fake["att"])
    # DAP's yes / no attributes: above the attribute's mean over classes
    np.testing.assert_array_equal(data["binary_attributes"], fake["att"] > fake["att"].mean(0))
    sub = load_zsl_benchmark("cub", tmp_path, n_train_per_class=5, seed=1)
    assert np.bincount(sub["train_labels"]).tolist() == [5] * 7


def test_bad_inputs_fail_before_loading(tmp_path):
    with pytest.raises(ValueError, match="fashion_mnist"):
        load_zsl_benchmark("imagenet")
    with pytest.raises(ValueError, match="root="):
        load_zsl_benchmark("awa2")
    with pytest.raises(ValueError, match="split"):
        load_zsl_benchmark("awa2", tmp_path, split="fine")
    with pytest.raises(FileNotFoundError, match="res101.mat"):
        load_zsl_benchmark("sun", tmp_path)
    write_fake_gbu(tmp_path, "APY")
    data = load_zsl_benchmark("apy", tmp_path)
    with pytest.raises(ValueError, match="descriptions"):
        zsl_semantics(data, "glove", "descriptions")  # GBU has names and glosses only


def test_reference_numbers_are_those_of_the_curriculum():
    assert reference_number("eszsl_attributes", "cub", "zsl_top1") == 0.539
    assert reference_number("eszsl_attributes", "awa2", "zsl_top1") == 0.586
    assert reference_number("eszsl_attributes", "sun", "zsl_top1") == 0.545
    assert [
        reference_number("eszsl_attributes", "cub", f"gzsl_{m}") for m in ("unseen", "seen", "h")
    ] == [0.126, 0.638, 0.210]
    assert reference_number("eszsl_attributes", "fashion_mnist", "zsl_top1") is None
    table = json.loads((data_dir() / "paper_numbers.json").read_text())["numbers"]
    values = [number["value"] for number in table]
    assert all(0 < v < 1 for v in values)  # fractions, like every recorded figure


def test_check_benchmark_names_the_valid_datasets_and_splits():
    check_benchmark("fashion_mnist", "fine")
    check_benchmark("cub", "default")
    check_benchmark("sun")
    with pytest.raises(
        ValueError, match="dataset='mnist' is not valid; choose one of: 'fashion_mnist'"
    ):
        check_benchmark("mnist")
    with pytest.raises(ValueError, match=r"split='fine' is not valid; choose one of: 'default'$"):
        check_benchmark("cub", "fine")


def test_reference_gzsl_reads_the_three_gzsl_numbers():
    table = json.loads((data_dir() / "paper_numbers.json").read_text())["numbers"]
    cub = {
        n["id"].rsplit("/", 1)[1]: n["value"] for n in table if "eszsl_attributes/cub/" in n["id"]
    }
    assert reference_gzsl("eszsl_attributes", "cub") == {
        "seen": cub["gzsl_seen"],
        "unseen": cub["gzsl_unseen"],
        "h": cub["gzsl_h"],
    }
    assert reference_gzsl("eszsl_attributes", "awa2") is None  # ZSL only
    assert reference_gzsl("eszsl_glove", "fashion_mnist") is None
