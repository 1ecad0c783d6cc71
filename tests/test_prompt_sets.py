"""The prompt sets of the full tier against the installed CLIP_benchmark's own data and dataset builder.

zslkit's ``standard`` class names and templates (``data/classnames/standard``,
``data/templates/standard``) must be what CLIP_benchmark 1.6.2 evaluates with:
the files are compared with the JSON files the package ships, and, for the
datasets where CLIP_benchmark ships no class-name list, with the class names
its own ``build_dataset`` gives on fake datasets of real JPEGs in
torchvision's layout. clip-benchmark is a dev (test) dependency.
"""

import json
from importlib import metadata, resources

import numpy as np
import open_clip
import pytest
import torch
from fake_datasets import EUROSAT_FOLDERS, write_jpeg
from PIL import Image

from zslkit.data.datasets import (
    FULL_DATASETS,
    default_prompt_set,
    list_prompt_sets,
    load_classnames,
    load_dataset,
    load_templates,
    prompt_class_names,
)
from zslkit.models.prompts import load_template_set
from zslkit.models.zeroshot import fill_template, zero_shot_classifier
from zslkit.paths import data_dir

cb = pytest.importorskip("clip_benchmark", reason="clip-benchmark is a dev dependency")

# zslkit's dataset name -> CLIP_benchmark's (its en_*.json keys); written by hand from its builder
CB_NAMES = {
    "caltech101": "caltech101",
    "cifar10": "cifar10",
    "cifar100": "cifar100",
    "dtd": "dtd",
    "eurosat": "eurosat",
    "fgvc_aircraft": "fgvc_aircraft",
    "flowers102": "flowers",
    "food101": "food101",
    "imagenet": "imagenet1k",
    "oxford_pets": "pets",
    "stanford_cars": "cars",
    "sun397": "sun397",
}


def cb_json(name: str) -> dict:
    folder = resources.files("clip_benchmark") / "datasets"
    return json.loads((folder / name).read_text(encoding="utf-8"))


def standard_file(kind: str, name: str) -> dict:
    return json.loads((data_dir() / kind / "standard" / f"{name}.json").read_text())


def test_clip_benchmark_is_the_pinned_version():
    assert metadata.version("clip-benchmark") == "1.6.2"


def test_every_full_tier_dataset_has_both_sets():
    assert set(CB_NAMES) == set(FULL_DATASETS)
    for name in FULL_DATASETS:
        for kind in ("templates", "classnames"):
            content = standard_file(kind, name)
            assert content["clip_benchmark_key"] == CB_NAMES[name]
            assert "clip_benchmark 1.6.2" in content["source"] and "MIT" in content["licence"]
        assert load_templates(name, "coop") == load_templates(name)  # coop: the files of today


@pytest.mark.parametrize("name", sorted(CB_NAMES))
def test_standard_templates_equal_clip_benchmarks(name):
    expected = cb_json("en_zeroshot_classification_templates.json")[CB_NAMES[name]]
    assert load_templates(name, template_set="standard") == expected
    assert all("{c}" in t for t in expected)


@pytest.mark.parametrize("name", sorted(CB_NAMES))
def test_standard_class_names_equal_clip_benchmarks(name):
    shipped = cb_json("en_classnames.json")
    key = CB_NAMES[name]
    content = standard_file("classnames", name)
    if key not in shipped:  # CLIP_benchmark uses the dataset's own names (checked below)
        assert "classnames" not in content and "from_dataset" in content
        return
    names = shipped[key]
    if name == "caltech101":  # its class 0 is BACKGROUND_Google, which torchvision drops
        assert names[0] == "background" and content["dropped"] == ["background"]
        names = names[1:]
    assert load_classnames(name, name_set="standard") == names


def test_imagenet_standard_equals_open_clips_and_the_openai80_file():
    assert load_classnames("imagenet", name_set="standard") == list(open_clip.IMAGENET_CLASSNAMES)
    standard = [t.replace("{c}", "{}") for t in load_templates("imagenet", "standard")]
    assert standard == load_templates("imagenet_openai80")


def test_rule_reads_the_listed_characters_as_spaces_only():
    raw = ["apartment_building/outdoor", "F/A-18", "aquarium_fish"]
    assert load_classnames("sun397", raw, name_set="standard")[0] == "apartment building outdoor"
    assert load_classnames("fgvc_aircraft", raw, name_set="standard")[1] == "F/A-18"
    assert load_classnames("cifar100", raw, name_set="standard")[2] == "aquarium_fish"
    assert load_classnames("food101", raw, name_set="standard")[1] == "F/A-18"
    assert load_classnames("food101", raw, name_set="standard")[2] == "aquarium fish"


def test_bad_sets_raise_value_errors_naming_the_choices():
    with pytest.raises(ValueError, match="name_set.*'clip'.*standard"):
        load_classnames("eurosat", ["Forest"], name_set="clip")
    with pytest.raises(ValueError, match="template_set.*'openai'.*coop"):
        load_templates("eurosat", template_set="openai")
    with pytest.raises(ValueError, match="full-tier dataset, not 'pocket'"):
        load_templates("pocket", template_set="standard")
    with pytest.raises(ValueError, match="needs the dataset's own names"):
        load_classnames("dtd", None, name_set="standard")
    with pytest.raises(ValueError, match="protocol"):
        default_prompt_set("eurosat", "linear")
    assert list_prompt_sets() == ["coop", "standard"]
    assert default_prompt_set("eurosat") == "standard"
    assert default_prompt_set("eurosat", "fewshot") == "coop"
    assert default_prompt_set("pocket") == "pocket"


def test_pocket_keeps_its_own_templates():
    pocket = load_dataset("pocket", "test", n_per_class=1)
    assert load_template_set("pocket_zeroshot", dataset=pocket)  # unchanged sets work
    assert prompt_class_names(pocket) == pocket.class_names
    with pytest.raises(ValueError, match="full-tier dataset, not 'pocket'"):
        load_template_set("standard", dataset=pocket)
    with pytest.raises(ValueError, match="full-tier dataset, not 'pocket'"):
        prompt_class_names(pocket, "standard")


# ---------------------------------------------------------------------------
# CLIP_benchmark's own builder on fake data in torchvision's layout
# ---------------------------------------------------------------------------
def fake_eurosat(root):
    for c in EUROSAT_FOLDERS:
        for i in range(4):
            write_jpeg(root / "eurosat" / "2750" / c / f"{c}_{i + 1}.jpg", i)
    return "all"


def fake_food101(root):
    base = root / "food-101"
    meta = {"apple_pie": ["apple_pie/1"], "cheese_plate": ["cheese_plate/2"]}
    (base / "meta").mkdir(parents=True)
    for split in ("train", "test"):
        (base / "meta" / f"{split}.json").write_text(json.dumps(meta))
    for paths in meta.values():
        write_jpeg(base / "images" / f"{paths[0]}.jpg")
    return "test"


def fake_sun397(root):
    base = root / "SUN397"
    base.mkdir()
    (base / "ClassName.txt").write_text("/a/abbey\n/a/apartment_building/outdoor\n")
    for cls in ("a/abbey", "a/apartment_building/outdoor"):
        for i in range(4):
            write_jpeg(base / cls / f"sun_{i}.jpg", i)
    return "all"


def fake_dtd(root):
    base = root / "dtd" / "dtd"
    names = ["banded/banded_0001.jpg", "zigzagged/zigzagged_0001.jpg"]
    for n in names:
        write_jpeg(base / "images" / n)
    (base / "labels").mkdir(parents=True)
    for split in ("train1", "val1", "test1"):
        (base / "labels" / f"{split}.txt").write_text("\n".join(names) + "\n")
    return "test"


def fake_fgvc_aircraft(root):
    data = root / "fgvc-aircraft-2013b" / "data"
    data.mkdir(parents=True)
    (data / "variants.txt").write_text("707-320\nF/A-18\nCessna 172\n")
    (data / "images_variant_test.txt").write_text("0001 F/A-18\n0002 Cessna 172\n0003 707-320\n")
    for i in (1, 2, 3):
        write_jpeg(data / "images" / f"{i:04d}.jpg", i)
    return "test"


def fake_oxford_pets(root):
    base = root / "oxford-iiit-pet"
    rows = [("Abyssinian_1", 1), ("american_pit_bull_terrier_1", 2)]
    (base / "annotations").mkdir(parents=True)
    for split in ("trainval", "test"):
        (base / "annotations" / f"{split}.txt").write_text(
            "".join(f"{i} {c} 1 1\n" for i, c in rows)
        )
    for image_id, _ in rows:
        write_jpeg(base / "images" / f"{image_id}.jpg")
    return "test"


FAKES = {
    "eurosat": fake_eurosat,
    "food101": fake_food101,
    "sun397": fake_sun397,
    "dtd": fake_dtd,
    "fgvc_aircraft": fake_fgvc_aircraft,
}


@pytest.mark.parametrize("name", sorted(FAKES))
def test_standard_names_equal_clip_benchmarks_builder(name, tmp_path):
    from clip_benchmark.datasets.builder import build_dataset

    split = FAKES[name](tmp_path)
    cb_split = "test" if split == "all" else split
    theirs = build_dataset(CB_NAMES[name], root=str(tmp_path), split=cb_split, download=False)
    ours = load_dataset(name, split, root=tmp_path)
    assert prompt_class_names(ours, "standard") == list(theirs.classes)
    assert load_template_set("standard", dataset=ours) == list(theirs.templates)
    assert prompt_class_names(ours, "coop") == ours.class_names  # the default is unchanged


def test_pets_standard_names_are_torchvisions(tmp_path):
    """CLIP_benchmark's pets list is torchvision's OxfordIIITPet.classes (title case)."""
    from clip_benchmark.datasets.builder import build_dataset

    fake_oxford_pets(tmp_path)
    theirs = build_dataset("pets", root=str(tmp_path), split="test", download=False)
    ours = load_dataset("oxford_pets", "test", root=tmp_path)
    assert ours.class_names == ["Abyssinian", "American Pit Bull Terrier"] == list(theirs.classes)
    shipped = load_classnames("oxford_pets", name_set="standard")
    assert shipped[:3] == ["Abyssinian", "American Bulldog", "American Pit Bull Terrier"]


# ---------------------------------------------------------------------------
# {c} templates through zslkit's zero-shot classifier = CLIP_benchmark's
# ---------------------------------------------------------------------------
def test_zero_shot_weights_equal_clip_benchmarks_on_standard_templates():
    from clip_benchmark.metrics.zeroshot_classification import (
        zero_shot_classifier as cb_zero_shot_classifier,
    )

    torch.manual_seed(0)
    model = open_clip.create_model("ViT-S-32", pretrained=None).eval()
    tokenizer = open_clip.get_tokenizer("ViT-S-32")
    names = load_classnames("eurosat", name_set="standard")
    templates = load_templates("eurosat", "standard")
    ours = zero_shot_classifier(model, tokenizer, names, templates)
    theirs = cb_zero_shot_classifier(model, tokenizer, names, templates, "cpu", amp=False)
    assert ours.shape == theirs.shape and ours.shape[1] == 10
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=2e-6)
    assert (
        fill_template(templates[0], names[0]) == "a centered satellite photo of annual crop land."
    )


def test_zero_shot_accuracy_equals_clip_benchmarks(tmp_path):
    """Same random-init open_clip model, same fake EuroSAT (real JPEGs), standard prompts.

    CLIP_benchmark's ``evaluate`` itself stops in its ``accuracy`` helper
    under NumPy 2 (``float()`` of a 1-element array: TypeError), so its
    classifier and logits come from its ``zero_shot_classifier`` and
    ``run_classification`` (the two steps ``evaluate`` runs), and its
    metrics are computed from them as ``evaluate`` does (top-1, and
    scikit-learn's balanced accuracy for mean per-class recall).
    """
    from clip_benchmark.datasets.builder import build_dataset
    from clip_benchmark.metrics import zeroshot_classification as zc
    from sklearn.metrics import balanced_accuracy_score

    from zslkit.models.features import extract_features

    for c in EUROSAT_FOLDERS:
        for i in range(2):
            pixels = np.random.default_rng([i, len(c)]).integers(0, 256, (64, 64, 3), np.uint8)
            path = tmp_path / "eurosat" / "2750" / c / f"{c}_{i + 1}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(path, format="JPEG")
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-S-32", pretrained=None)
    model.eval()
    tokenizer = open_clip.get_tokenizer("ViT-S-32")
    ours = load_dataset("eurosat", "all", root=tmp_path, transform=preprocess)
    names = prompt_class_names(ours, "standard")
    templates = load_template_set("standard", dataset=ours)
    features, labels = extract_features(model, ours, batch_size=8, cache=False, progress=False)
    logits = features @ zero_shot_classifier(model, tokenizer, names, templates)
    theirs = build_dataset("eurosat", root=str(tmp_path), transform=preprocess, download=False)
    loader = torch.utils.data.DataLoader(theirs, batch_size=8)
    classifier = zc.zero_shot_classifier(
        model, tokenizer, theirs.classes, theirs.templates, "cpu", amp=False
    )
    their_logits, target = zc.run_classification(model, classifier, loader, "cpu", amp=False)
    assert np.array_equal(np.asarray(labels), target.numpy())
    # CLIP_benchmark's logits are 100 * cosine similarities
    np.testing.assert_allclose(100 * logits.numpy(), their_logits.numpy(), atol=1e-3)
    ours_pred, their_pred = logits.argmax(1).numpy(), their_logits.argmax(1).numpy()
    assert np.array_equal(ours_pred, their_pred)
    labels = np.asarray(labels)
    assert (ours_pred == labels).mean() == (their_pred == target.numpy()).mean()
    recall = balanced_accuracy_score(target.numpy(), their_pred)
    assert balanced_accuracy_score(labels, ours_pred) == recall


def test_dataset_prompts_of_a_few_shot_task(tmp_path):
    """Part III's prompt sets: the dataset's own by default, CLIP_benchmark's on request."""
    from zslkit.models.prompts import dataset_prompts

    fake_eurosat(tmp_path)
    data = load_dataset("eurosat", "test", root=str(tmp_path))
    assert dataset_prompts(data) == (list(data.class_names), list(data.templates))
    assert dataset_prompts(data, "coop", "coop") == (list(data.class_names), list(data.templates))
    names, templates = dataset_prompts(data, "standard", "standard")
    bench_names = cb_json("en_classnames.json")["eurosat"]
    bench_templates = cb_json("en_zeroshot_classification_templates.json")["eurosat"]
    assert names == bench_names and templates == bench_templates
    assert names != list(data.class_names)  # CoOp's names differ ("Annual Crop Land")
    with pytest.raises(ValueError, match="template_set.*'coop'"):
        dataset_prompts(data, "cooop")
    pocket = load_dataset("pocket", "test", n_per_class=1)
    names, templates = dataset_prompts(pocket, "", "pocket")
    assert names == pocket.class_names and templates == list(pocket.templates)


def test_coop_caltech_takes_standard_names_by_folder(tmp_path):
    """CoOp's Caltech-101 drops Faces_easy (100 classes); the standard list has torchvision's 101."""
    folders = ["Faces", "Faces_easy", "Leopards", "Motorbikes"] + [f"c{i:03d}" for i in range(97)]
    images = tmp_path / "caltech101" / "101_ObjectCategories"
    write_jpeg(images / "BACKGROUND_Google" / "image_0001.jpg", 1)
    kept = [f for f in folders if f != "Faces_easy"]  # CoOp's IGNORED, label order kept
    split = {"train": [], "val": [], "test": []}
    for label, folder in enumerate(kept):
        for part in split:
            split[part].append([f"{folder}/image_0001.jpg", label, folder.lower()])
    for folder in folders:
        write_jpeg(images / folder / "image_0001.jpg", 7)
    (tmp_path / "caltech101" / "split_zhou_Caltech101.json").write_text(json.dumps(split))
    data = load_dataset("caltech101", "test", root=str(tmp_path))
    assert data.split_source == "coop" and len(data.class_names) == 100
    standard = standard_file("classnames", "caltech101")["classnames"]  # torchvision's order
    expected = [name for folder, name in zip(sorted(folders), standard) if folder != "Faces_easy"]
    names = prompt_class_names(data, "standard")
    assert names == expected
    assert names[:3] == ["off-center face", "leopard", "motorbike"]
    assert prompt_class_names(data, "coop") == data.class_names
