"""The pocket notebooks run unchanged with a full-tier open_clip backbone.

No real weights can be downloaded here, so the full-tier code path is run
with an open_clip architecture at random initialisation on a few images:
the point is that loading, preprocessing at the architecture's resolution,
text encoding, caching and the metrics all go through, not the accuracy.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from fake_datasets import EUROSAT_FOLDERS


def run_notebook(notebook, out, params, env=None):
    """``zslkit run NB --out out -p NAME VALUE ...``; the run must succeed. Returns (results, run)."""
    cmd = [sys.executable, "-m", "zslkit.nbtools.cli", "run", notebook, "--out", str(out)]
    for name, value in params.items():
        cmd += ["-p", name, str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return tuple(json.loads((out / f).read_text()) for f in ("results.json", "run.json"))


# notebook -> (small parameters that keep a CPU run short, prefixes of its accuracy results)
FULL_TIER_RUNS = {
    "01_pocket_world": (
        {"n_per_class": "1", "batch_size": "64"},
        ("zsl_", "gzsl_", "domain_"),
    ),
    "24_domain_shift": (
        {
            "n_per_class": "1",
            "domains": "photo,sketch",
            "n_reference": "16",
            "template_set": "simple7",
        },
        ("top1_",),
    ),
    "30_training_free_adapters": (
        {"n_per_class": "1", "pool_per_class": "6", "shots": "1,2", "seeds": "1,2"},
        ("zero_shot_top1", "linear_probe_top1", "gda_top1", "tip_adapter_top1"),
    ),
}


@pytest.mark.parametrize("notebook", sorted(FULL_TIER_RUNS))
def test_notebook_runs_with_random_init_open_clip_architecture(notebook, tmp_path):
    params = {"backbone": "ViT-S-32", "pretrained": "none", **FULL_TIER_RUNS[notebook][0]}
    results, run = run_notebook(notebook, tmp_path, params)
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
    results, run = run_notebook(notebook, tmp_path, {"dataset": "cub", "data_root": fake_gbu_root})
    assert run["parameters"]["dataset"] == "cub"
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


# ---------------------------------------------------------------------------
# Parts II and III on a full-tier dataset: a fake EuroSAT in torchvision's
# on-disk layout (<root>/eurosat/2750/<Class>/<Class>_<i>.jpg, real JPEGs)
# ---------------------------------------------------------------------------
# notebook -> (the smallest parameters it accepts, the pattern of its accuracy
# figures: fractions in [0, 1]; gains and differences are left out)
FAKE_EUROSAT_RUNS = {
    "20_prompt_ensembling": ({"n_draws": 2}, r".*top1.*"),
    "21_zpe": ({"n_reference": 16, "n_resamples": 200}, r"(equal|zpe)_top1_eurosat"),
    "22_descriptions": ({"n_seeds": 2, "n_draws": 1}, r"top1_.*"),  # n_seeds >= 2
    "23_loki": (  # the graded and attribute metrics are the pocket world's
        {"label_set": "base", "metric": "text", "n_resamples": 200},
        r"top1_.*",
    ),
    "31_prompt_learning": (  # n_seeds >= 2: the seed differences' t intervals
        {"n_shots": 1, "n_seeds": 2, "epochs": 1},
        r"(coop|pre|zeroshot(_ensemble)?)_(base|new|h)",
    ),
    "32_pseudo_labels_tta": (
        {"n_iterations": 1, "epochs": 2, "tpt_per_class": 1, "n_views": 4},
        r".*_test|.*label_acc.*",
    ),
    "34_leaderboard": (
        {
            "shots": "1",
            "seeds": "1,2",
            "tip_f_epochs": 1,
            "prompt_shots": "1",
            "prompt_epochs": 1,
            "n_reference": 16,
            "zpe_templates": "simple7",  # openai80: 800 prompts, a minute on the CPU
        },
        r".*_top1(_1shot|_mean_over_shots)?",
    ),
}

# Pocket-only by design: 24 tests the pocket world's domains (its full-tier
# path is run above on pocket data), 25 and 26 pretrain ToyCLIPs of their own
# on the pocket corpora (no backbone), 33 fine-tunes a ToyCLIP on 32-pixel
# pocket tasks (backbone toyclip2 or toyclip only).
POCKET_ONLY = [
    "24_domain_shift",
    "25_concept_frequency",
    "26_contrastive_losses",
    "33_continual_learning",
]


@pytest.fixture(scope="module")
def fake_eurosat_root(tmp_path_factory):
    """Ten classes of ten 64x64 RGB JPEGs (EuroSAT's size): zslkit's 50/20/30 split gives 5/2/3."""
    import numpy as np
    from PIL import Image

    root = tmp_path_factory.mktemp("datasets")
    rng = np.random.default_rng(0)
    for k, c in enumerate(EUROSAT_FOLDERS):
        folder = root / "eurosat" / "2750" / c
        folder.mkdir(parents=True)
        for i in range(10):
            pixels = rng.integers(0, 256, (64, 64, 3)) // 2 + 12 * k  # a tint per class
            Image.fromarray(pixels.astype("uint8")).save(folder / f"{c}_{i + 1}.jpg", format="JPEG")
    return root


def run_on_fake_eurosat(notebook, root, tmp_path, params):
    """Run ``notebook`` on the fake EuroSAT with a random-init ViT-S-32 into ``tmp_path/run``."""
    full_tier = {
        "backbone": "ViT-S-32",
        "pretrained": "none",
        "dataset": "eurosat",
        "data_root": str(root),
    }
    env = {**os.environ, "ZSLKIT_CACHE": str(tmp_path / "cache")}  # nothing cached from elsewhere
    return run_notebook(notebook, tmp_path / "run", {**full_tier, **params}, env)


@pytest.mark.parametrize("notebook", sorted(FAKE_EUROSAT_RUNS))
def test_notebook_runs_on_a_full_tier_dataset(notebook, fake_eurosat_root, tmp_path):
    params, pattern = FAKE_EUROSAT_RUNS[notebook]
    results, run = run_on_fake_eurosat(notebook, fake_eurosat_root, tmp_path, params)
    assert {k: run["parameters"][k] for k in ("backbone", "dataset")} == {
        "backbone": "ViT-S-32",
        "dataset": "eurosat",
    }
    accuracies = {k: v for k, v in results.items() if re.fullmatch(pattern, k)}
    assert accuracies, sorted(results)
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in accuracies.values()), accuracies
    if notebook in PROMPT_DEFAULTS:  # the chapter says which prompt sets it used
        line = "templates: {0!r}; class names: {0!r}".format(PROMPT_DEFAULTS[notebook])
        assert line in printed(tmp_path / "run" / f"{notebook}.ipynb")


# the full tier's default prompt sets: the standard evaluation's for zero-shot, CoOp's for few-shot
PROMPT_DEFAULTS = {
    "20_prompt_ensembling": "standard",
    "31_prompt_learning": "coop",
    "32_pseudo_labels_tta": "coop",
    "34_leaderboard": "coop",
}


def printed(path):
    """Everything the cells of an executed notebook printed."""
    cells = json.loads(path.read_text())["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


def test_part_three_takes_the_standard_prompt_sets(fake_eurosat_root, tmp_path):
    """template_set / name_set reach the few-shot task: the run prints and uses the benchmark's."""
    params, _ = FAKE_EUROSAT_RUNS["32_pseudo_labels_tta"]
    sets = {"template_set": "standard", "name_set": "standard"}
    run_on_fake_eurosat("32_pseudo_labels_tta", fake_eurosat_root, tmp_path, {**params, **sets})
    text = printed(tmp_path / "run" / "32_pseudo_labels_tta.ipynb")
    assert "templates: 'standard'; class names: 'standard'" in text


@pytest.mark.parametrize("notebook", POCKET_ONLY)
def test_pocket_only_notebooks_refuse_a_full_tier_dataset(notebook):
    from zslkit.nbtools.notebook_params import validate_parameters
    from zslkit.paths import notebooks_dir

    path = notebooks_dir() / f"{notebook}.ipynb"
    with pytest.raises(
        ValueError,
        match=re.escape(f"{notebook}.ipynb has no parameter 'dataset'; valid parameters: "),
    ):
        validate_parameters(path, {"dataset": "eurosat"})
    if notebook in ("25_concept_frequency", "26_contrastive_losses"):
        with pytest.raises(ValueError, match="has no parameter 'backbone'"):
            validate_parameters(path, {"backbone": "ViT-S-32"})


def test_continual_learning_refuses_an_open_clip_backbone():
    """33's first code cell checks its parameters: an open_clip name is refused, naming the ToyCLIPs."""
    import ast

    from zslkit.adapt.parameters import check_continual_parameters
    from zslkit.nbtools.notebook_params import inspect_parameters
    from zslkit.paths import notebooks_dir

    params = inspect_parameters(notebooks_dir() / "33_continual_learning.ipynb")
    defaults = {p.name: ast.literal_eval(p.default) for p in params.values()}
    check_continual_parameters(defaults)  # the defaults pass
    with pytest.raises(
        ValueError, match=r"backbone='ViT-S-32' is not valid; choose one of: 'toyclip', 'toyclip2'"
    ):
        check_continual_parameters({**defaults, "backbone": "ViT-S-32"})
