"""The pocket notebooks run unchanged with a full-tier open_clip backbone.

No real weights can be downloaded here, so the full-tier code path is run
with an open_clip architecture at random initialisation on a few images:
the point is that loading, preprocessing at the architecture's resolution,
text encoding, caching and the metrics all go through, not the accuracy.
"""

import json
import subprocess
import sys

import pytest

# notebook -> (small parameters that keep a CPU run short, prefixes of its accuracy results)
FULL_TIER_RUNS = {
    "01_pocket_world": (
        ["-p", "n_per_class", "1", "-p", "batch_size", "64"],
        ("zsl_", "gzsl_", "domain_"),
    ),
    "24_domain_shift": (
        [
            "-p",
            "n_per_class",
            "1",
            "-p",
            "domains",
            "photo,sketch",
            "-p",
            "n_reference",
            "16",
            "-p",
            "template_set",
            "simple7",
        ],
        ("top1_",),
    ),
    "30_training_free_adapters": (
        [
            "-p",
            "n_per_class",
            "1",
            "-p",
            "pool_per_class",
            "6",
            "-p",
            "shots",
            "1,2",
            "-p",
            "seeds",
            "1,2",
        ],
        ("zero_shot_top1", "linear_probe_top1", "gda_top1", "tip_adapter_top1"),
    ),
}


@pytest.mark.parametrize("notebook", sorted(FULL_TIER_RUNS))
def test_notebook_runs_with_random_init_open_clip_architecture(notebook, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "zslkit.nbtools.cli",
        "run",
        notebook,
        "--out",
        str(tmp_path),
        "-p",
        "backbone",
        "ViT-S-32",
        "-p",
        "pretrained",
        "none",
        *FULL_TIER_RUNS[notebook][0],
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["parameters"]["backbone"] == "ViT-S-32"
    accuracies = {
        k: v
        for k, v in results.items()
        if k.startswith(FULL_TIER_RUNS[notebook][1]) and isinstance(v, float)
    }
    assert accuracies and all(0.0 <= v <= 1.0 for v in accuracies.values()), results


PART_ONE = [
    "10_attributes_eszsl",
    "11_semantic_spaces",
    "12_gzsl_calibration",
    "13_hubness",
    "14_transductive",
    "15_generative_zsl",
]


@pytest.fixture(scope="module")
def fake_gbu_root(tmp_path_factory):
    import numpy as np
    from gbu_fake import write_fake_gbu
    from scipy.io import loadmat, savemat

    root = tmp_path_factory.mktemp("xlsa17")
    fake = write_fake_gbu(root, "CUB")
    # the real files also split the seen classes' images (trainval + test_seen)
    # into train_loc and val_loc; here the last two seen classes validate
    path = root / "CUB" / "att_splits.mat"
    att = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    rows = np.sort(np.concatenate([fake["trainval"], fake["test_seen"]]))
    seen = np.unique(fake["labels"][fake["trainval"]])
    is_val = np.isin(fake["labels"][rows], seen[-2:])
    loc = {"train_loc": rows[~is_val] + 1, "val_loc": rows[is_val] + 1}  # 1-based
    savemat(path, {**att, **{k: v[:, None] for k, v in loc.items()}})
    return root


@pytest.mark.parametrize("notebook", PART_ONE)
def test_part_one_runs_on_gbu_files(notebook, fake_gbu_root, tmp_path):
    """Part I's full tier: the same notebook on a (fake, tiny) GBU dataset in the official .mat format."""
    cmd = [
        sys.executable,
        "-m",
        "zslkit.nbtools.cli",
        "run",
        notebook,
        "--out",
        str(tmp_path),
        "-p",
        "dataset",
        "cub",
        "-p",
        "data_root",
        str(fake_gbu_root),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert json.loads((tmp_path / "run.json").read_text())["parameters"]["dataset"] == "cub"
    assert results and all(isinstance(v, (int, float)) for v in results.values())
    nb = json.loads((tmp_path / f"{notebook}.ipynb").read_text())
    text = json.dumps([c.get("outputs", []) for c in nb["cells"] if c["cell_type"] == "code"])
    assert (
        "Trouser" not in text and "Sandal" not in text
    )  # no Fashion-MNIST class anywhere in the outputs
    if notebook == "10_attributes_eszsl":
        assert "paper 0.539" in text  # CUB's ESZSL number printed beside ours
        # the GBU protocol: raw features, the proposed validation classes as the one fold
        assert "folds of seen classes: [['persian cat', 'horse']]" in text
        assert "penalties on the proposed validation classes" in text
        assert "features standardised" not in text
