"""load_gbu on a tiny fake pair of files in the official GBU (xlsa17) format."""

import numpy as np
import pytest
from scipy.io import savemat

from zslkit.data.gbu import load_gbu, proposed_validation_classes


def _write_fake(folder):
    rng = np.random.default_rng(0)
    n, n_classes, k = 12, 4, 5
    labels = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])  # 1-based as in the real files
    features = rng.random((2048, n)).astype(np.float32)  # stored (2048, n)
    att = rng.random((k, n_classes))  # stored (k, n_classes)
    names = np.empty((n_classes, 1), dtype=object)
    for i, name in enumerate(["antelope", "bat", "cow", "dolphin"]):
        names[i, 0] = np.array([name])
    folder.mkdir(parents=True)
    savemat(
        folder / "res101.mat",
        {
            "features": features,
            "labels": labels[:, None],
            "image_files": np.array([[f"img{i}.jpg"] for i in range(n)], dtype=object),
        },
    )
    savemat(
        folder / "att_splits.mat",
        {
            "att": att,
            "original_att": att * 100,
            "allclasses_names": names,
            "trainval_loc": np.array([[1], [2], [4], [5]]),  # classes 1 and 2 (1-based rows)
            "test_seen_loc": np.array([[3], [6]]),
            "test_unseen_loc": np.array([[7], [8], [9], [10], [11], [12]]),
            # the seen classes' own split (trainval + test_seen rows): class 2 validates
            "train_loc": np.array([[1], [2], [3]]),
            "val_loc": np.array([[4], [5], [6]]),
        },
    )
    return features, labels, att


def test_load_gbu_fake_pair(tmp_path):
    features, labels, att = _write_fake(tmp_path / "AWA2")
    d = load_gbu(tmp_path, "AWA2")
    np.testing.assert_allclose(d["features"], features.T)
    np.testing.assert_array_equal(d["labels"], labels - 1)
    np.testing.assert_allclose(d["class_semantics"], att.T)
    assert d["class_names"] == ["antelope", "bat", "cow", "dolphin"]
    np.testing.assert_array_equal(d["trainval"], [0, 1, 3, 4])
    np.testing.assert_array_equal(d["test_seen"], [2, 5])
    np.testing.assert_array_equal(d["test_unseen"], np.arange(6, 12))
    np.testing.assert_array_equal(d["seen"], [0, 1])
    np.testing.assert_array_equal(d["unseen"], [2, 3])
    np.testing.assert_allclose(
        load_gbu(tmp_path / "AWA2", "AWA2", "original_att")["class_semantics"], att.T * 100
    )


def test_load_gbu_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="res101.mat"):
        load_gbu(tmp_path, "CUB")
    with pytest.raises(ValueError, match="dataset"):
        load_gbu(tmp_path, "ImageNet")


def test_proposed_validation_classes_of_a_fake_pair(tmp_path):
    _write_fake(tmp_path / "AWA2")
    val = proposed_validation_classes(tmp_path, "AWA2")
    np.testing.assert_array_equal(val, [1])  # class 2 of the file, 0-based
    assert val.dtype == np.int64
    assert set(val) < set(load_gbu(tmp_path, "AWA2")["seen"])


def test_proposed_validation_classes_errors(tmp_path):
    from scipy.io import loadmat, savemat

    _write_fake(tmp_path / "CUB")
    path = tmp_path / "CUB" / "att_splits.mat"
    att = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    savemat(path, {**att, "val_loc": np.array([[7], [8]])})  # an unseen class
    with pytest.raises(ValueError, match="not a proper subset"):
        proposed_validation_classes(tmp_path, "CUB")
    savemat(path, {k: v for k, v in att.items() if k != "val_loc"})
    with pytest.raises(ValueError, match="no val_loc"):
        proposed_validation_classes(tmp_path, "CUB")
    with pytest.raises(ValueError, match="dataset"):
        proposed_validation_classes(tmp_path, "cub")
    with pytest.raises(FileNotFoundError, match="res101.mat"):
        proposed_validation_classes(tmp_path, "SUN")
