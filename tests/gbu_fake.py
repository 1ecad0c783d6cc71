"""Write a small fake GBU dataset (``res101.mat`` + ``att_splits.mat``) in the official format.

Features are 2048-d, stored (2048, n); labels, locations 1-based; attributes
continuous, stored (k, n_classes), like the xlsa17 files. Each class has a
Gaussian cluster of features around a point that is a linear function of
its attributes, so zero-shot methods have something to learn.
"""

import numpy as np
from scipy.io import savemat

CLASS_NAMES = [
    "antelope",
    "grizzly+bear",
    "killer+whale",
    "beaver",
    "dalmatian",
    "persian+cat",
    "horse",
    "german+shepherd",
    "blue+whale",
    "siamese+cat",
]


def write_fake_gbu(
    root,
    name="AWA2",
    n_unseen=3,
    n_trainval=24,
    n_test_seen=6,
    n_test_unseen=10,
    n_attributes=85,
    seed=0,
):
    rng = np.random.default_rng(seed)
    n_classes = len(CLASS_NAMES)
    att = rng.random((n_classes, n_attributes))
    att /= np.linalg.norm(att, axis=1, keepdims=True)
    centres = att @ rng.normal(size=(n_attributes, 2048)) * 3
    labels, trainval, test_seen, test_unseen = [], [], [], []
    for c in range(n_classes):
        unseen = c >= n_classes - n_unseen
        n = n_test_unseen if unseen else n_trainval + n_test_seen
        start = len(labels)
        labels += [c + 1] * n
        rows = list(range(start + 1, start + n + 1))  # 1-based rows
        if unseen:
            test_unseen += rows
        else:
            trainval += rows[:n_trainval]
            test_seen += rows[n_trainval:]
    labels = np.array(labels)
    features = np.abs(centres[labels - 1] + rng.normal(size=(labels.size, 2048))).astype(np.float32)
    names = np.empty((n_classes, 1), dtype=object)
    for i, cname in enumerate(CLASS_NAMES):
        names[i, 0] = np.array([cname])
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    savemat(
        folder / "res101.mat",
        {
            "features": features.T,
            "labels": labels[:, None],
            "image_files": np.array([[f"img{i}.jpg"] for i in range(labels.size)], dtype=object),
        },
    )
    savemat(
        folder / "att_splits.mat",
        {
            "att": att.T,
            "original_att": att.T * 100,
            "allclasses_names": names,
            "trainval_loc": np.array(trainval)[:, None],
            "test_seen_loc": np.array(test_seen)[:, None],
            "test_unseen_loc": np.array(test_unseen)[:, None],
        },
    )
    return {
        "features": features,
        "labels": labels - 1,
        "att": att,
        "trainval": np.array(trainval) - 1,
        "test_seen": np.array(test_seen) - 1,
        "test_unseen": np.array(test_unseen) - 1,
    }
