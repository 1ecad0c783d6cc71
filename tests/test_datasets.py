"""zslkit.data.datasets: the pocket world, and each full-tier dataset read from a tiny
fake copy written in its real on-disk format (no download, no network)."""

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
import torchvision.datasets as tvd
from fake_datasets import EUROSAT_FOLDERS, jpeg_bytes, write_jpeg
from PIL import Image

from zslkit.data import world
from zslkit.data.datasets import (
    list_datasets,
    load_classnames,
    load_dataset,
    load_templates,
    pocket_seed,
)

RNG = np.random.default_rng(0)


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def check_items(ds, n, n_classes):
    assert len(ds) == n and len(ds.labels) == n
    assert len(ds.class_names) == n_classes
    assert ds.labels.dtype == np.int64 and 0 <= ds.labels.min() and ds.labels.max() < n_classes
    image, label = ds[0]
    assert isinstance(image, Image.Image) and image.mode == "RGB"
    assert label == ds.labels[0]
    assert all("{}" in t for t in ds.templates)


# ---------------------------------------------------------------- pocket
def test_pocket_matches_world_render():
    ds = load_dataset("pocket", "test", n_per_class=2, classes="unseen", seed=3)
    split = world.load_split("default")
    assert ds.class_names == split["unseen"]
    images, labels = world.make_images(
        split["unseen"], 2, seed=pocket_seed(3, "test"), task=split["task"]
    )
    np.testing.assert_array_equal(ds.images, images)
    np.testing.assert_array_equal(ds.labels, labels)
    image, label = ds[5]
    assert isinstance(image, Image.Image)
    np.testing.assert_array_equal(np.asarray(image), images[5])
    assert label == labels[5]
    assert [str(t) for t in ds.templates] == json.load(
        open(world.data_dir() / "templates" / "pocket.json")
    )["zeroshot"]
    assert ds.templates[0]("orange circle") == "a photo of an orange circle."


def test_pocket_splits_never_share_images_and_transform_applies():
    kw = dict(n_per_class=1, classes=["red circle", "blue star"], variant="sketch")
    parts = {
        s: load_dataset("pocket", s, transform=lambda im: torch.as_tensor(np.array(im)), **kw)
        for s in ("train", "val", "test")
    }
    seeds = {pocket_seed(0, s) for s in parts}
    assert len(seeds) == 3
    flat = [img.tobytes() for ds in parts.values() for img in ds.images]
    assert len(set(flat)) == len(flat)
    x, _ = parts["val"][1]
    assert isinstance(x, torch.Tensor) and x.shape == (32, 32, 3)
    assert parts["test"].cache_id["variant"] == "sketch"


def test_pocket_bad_options():
    with pytest.raises(ValueError, match="variant"):
        load_dataset("pocket", variant="cartoon")
    with pytest.raises(ValueError, match="split"):
        load_dataset("pocket", split="dev")
    with pytest.raises(ValueError, match="classes"):
        load_dataset("pocket", classes="some")


# ---------------------------------------------------------------- registry
def test_registry_lists_and_rejects():
    assert list_datasets()[0] == "pocket" and {"cifar10", "imagenet", "eurosat"} <= set(
        list_datasets()
    )
    with pytest.raises(ValueError, match="mnist"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="split"):
        load_dataset("cifar10", split="val")


@pytest.mark.parametrize("name", ["eurosat", "caltech101", "imagenet", "cifar10", "stanford_cars"])
def test_missing_dataset_names_path_and_creates_nothing(tmp_path, name):
    with pytest.raises(FileNotFoundError) as err:
        load_dataset(name, root=tmp_path)
    assert str(tmp_path) in str(err.value) and "root=" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_data_files():
    assert len(load_templates("imagenet_openai80")) == 80
    assert len(load_templates("imagenet_simple7")) == 7
    assert load_templates("eurosat") == ["a centered satellite photo of {}."]
    assert len(load_classnames("imagenet")) == 1000
    import open_clip

    assert load_classnames("imagenet") == list(open_clip.IMAGENET_CLASSNAMES)
    assert load_classnames("flowers102") == list(tvd.Flowers102.classes)


# ---------------------------------------------------------------- full tier, fake copies
def _cifar(
    tmp_path,
    monkeypatch,
    cls,
    folder,
    train_files,
    test_file,
    label_key,
    meta_file,
    meta_key,
    n_classes,
):
    base = tmp_path / folder
    base.mkdir()
    data = {}
    for name, n in [(f, 6) for f in train_files] + [(test_file, 5)]:
        x = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
        y = RNG.integers(0, n_classes, n).tolist()
        (base / name).write_bytes(pickle.dumps({"data": x, label_key: y}))
        data[name] = (x, y)
    names = [f"class_{i}" for i in range(n_classes)]
    (base / meta_file).write_bytes(pickle.dumps({meta_key: names}))
    # The fake files cannot match the real archives' md5s: point torchvision's
    # integrity check at the fake files' own md5s, so it still runs.
    monkeypatch.setattr(cls, "train_list", [[f, md5(base / f)] for f in train_files])
    monkeypatch.setattr(cls, "test_list", [[test_file, md5(base / test_file)]])
    monkeypatch.setattr(
        cls, "meta", {"filename": meta_file, "key": meta_key, "md5": md5(base / meta_file)}
    )
    return data


def test_cifar10(tmp_path, monkeypatch):
    train_files = [f"data_batch_{i}" for i in range(1, 6)]
    data = _cifar(
        tmp_path,
        monkeypatch,
        tvd.CIFAR10,
        "cifar-10-batches-py",
        train_files,
        "test_batch",
        "labels",
        "batches.meta",
        "label_names",
        10,
    )
    ds = load_dataset("cifar10", "test", root=tmp_path)
    check_items(ds, 5, 10)
    x, y = data["test_batch"]
    np.testing.assert_array_equal(ds.labels, y)
    np.testing.assert_array_equal(np.asarray(ds[2][0]), x[2].reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.class_names[:2] == ["airplane", "automobile"]
    assert len(load_dataset("cifar10", "train", root=tmp_path)) == 30


def test_cifar100(tmp_path, monkeypatch):
    data = _cifar(
        tmp_path,
        monkeypatch,
        tvd.CIFAR100,
        "cifar-100-python",
        ["train"],
        "test",
        "fine_labels",
        "meta",
        "fine_label_names",
        100,
    )
    ds = load_dataset("cifar100", "test", root=tmp_path)
    check_items(ds, 5, 100)
    np.testing.assert_array_equal(ds.labels, data["test"][1])
    assert ds.class_names[1] == "aquarium fish"


def test_eurosat_derived_split(tmp_path):
    for c in EUROSAT_FOLDERS:
        for i in range(10):
            write_jpeg(tmp_path / "eurosat" / "2750" / c / f"{c}_{i + 1}.jpg", i)
    parts = {s: load_dataset("eurosat", s, root=tmp_path) for s in ("train", "val", "test", "all")}
    check_items(parts["test"], 30, 10)
    assert [len(parts[s]) for s in ("train", "val", "test", "all")] == [50, 20, 30, 100]
    assert (
        parts["test"].class_names[0] == "Annual Crop Land"
        and parts["test"].class_names[-1] == "Sea or Lake"
    )
    assert np.bincount(parts["val"].labels).tolist() == [2] * 10
    assert parts["test"].templates == ["a centered satellite photo of {}."]


def test_flowers102(tmp_path, monkeypatch):
    base = tmp_path / "flowers-102"
    labels = np.array([1, 5, 102, 7, 5, 1])  # 1-based, one per image
    for i in range(len(labels)):
        write_jpeg(base / "jpg" / f"image_{i + 1:05d}.jpg", i)
    scipy.io.savemat(base / "imagelabels.mat", {"labels": labels[None, :]})
    scipy.io.savemat(
        base / "setid.mat",
        {"trnid": np.array([[1, 2]]), "valid": np.array([[3, 4]]), "tstid": np.array([[5, 6]])},
    )
    monkeypatch.setattr(
        tvd.Flowers102,
        "_file_dict",
        {
            "image": ("102flowers.tgz", None),
            "label": ("imagelabels.mat", md5(base / "imagelabels.mat")),
            "setid": ("setid.mat", md5(base / "setid.mat")),
        },
    )
    ds = load_dataset("flowers102", "val", root=tmp_path)
    check_items(ds, 2, 102)
    assert ds.labels.tolist() == [101, 6]
    assert ds.templates == ["a photo of a {}, a type of flower."]


def test_dtd(tmp_path):
    base = tmp_path / "dtd" / "dtd"
    files = {
        "train1": ["banded/banded_0001.jpg", "zigzagged/zigzagged_0001.jpg"],
        "val1": ["banded/banded_0002.jpg"],
        "test1": ["blotchy/blotchy_0001.jpg", "zigzagged/zigzagged_0002.jpg"],
    }
    for split, names in files.items():
        for n in names:
            write_jpeg(base / "images" / n)
        (base / "labels").mkdir(parents=True, exist_ok=True)
        (base / "labels" / f"{split}.txt").write_text("\n".join(names) + "\n")
    ds = load_dataset("dtd", "test", root=tmp_path)
    check_items(ds, 2, 2)
    assert ds.class_names == ["blotchy", "zigzagged"] and ds.templates == ["{} texture."]


def test_oxford_pets(tmp_path):
    base = tmp_path / "oxford-iiit-pet"
    rows = {
        "trainval": [
            ("Abyssinian_1", 1, 1),
            ("american_bulldog_1", 2, 2),
            ("Abyssinian_2", 1, 1),
            ("american_bulldog_2", 2, 2),
            ("Abyssinian_3", 1, 1),
            ("american_bulldog_3", 2, 2),
            ("Abyssinian_4", 1, 1),
            ("american_bulldog_4", 2, 2),
            ("Abyssinian_5", 1, 1),
            ("american_bulldog_5", 2, 2),
        ],
        "test": [("Abyssinian_9", 1, 1), ("american_bulldog_9", 2, 2)],
    }
    (base / "annotations").mkdir(parents=True)
    for split, rs in rows.items():
        for image_id, *_ in rs:
            write_jpeg(base / "images" / f"{image_id}.jpg")
        (base / "annotations" / f"{split}.txt").write_text(
            "".join(f"{i} {c} {s} 1\n" for i, c, s in rs)
        )
    ds = load_dataset("oxford_pets", "test", root=tmp_path)
    check_items(ds, 2, 2)
    assert ds.class_names == ["Abyssinian", "American Bulldog"]
    assert ds.templates == ["a photo of a {}, a type of pet."]
    train, val = (load_dataset("oxford_pets", s, root=tmp_path) for s in ("train", "val"))
    assert (len(train), len(val)) == (8, 2) and len(
        load_dataset("oxford_pets", "trainval", root=tmp_path)
    ) == 10


def test_food101(tmp_path):
    base = tmp_path / "food-101"
    meta = {
        "train": {
            "apple_pie": ["apple_pie/1", "apple_pie/2"],
            "cheese_plate": ["cheese_plate/3"],
            "cheesecake": ["cheesecake/4"],
        },
        "test": {
            "apple_pie": ["apple_pie/5"],
            "cheese_plate": ["cheese_plate/6"],
            "cheesecake": ["cheesecake/7"],
        },
    }
    (base / "meta").mkdir(parents=True)
    for split, m in meta.items():
        (base / "meta" / f"{split}.json").write_text(json.dumps(m))
        for paths in m.values():
            for p in paths:
                write_jpeg(base / "images" / f"{p}.jpg")
    ds = load_dataset("food101", "test", root=tmp_path)
    check_items(ds, 3, 3)
    assert ds.class_names == [
        "apple pie",
        "cheese plate",
        "cheesecake",
    ]  # sorted raw names: '_' < 'c'
    assert ds.labels.tolist() == [0, 1, 2]


def test_caltech101(tmp_path):
    base = tmp_path / "caltech101" / "101_ObjectCategories"
    for c in ["BACKGROUND_Google", "Faces_easy", "accordion", "water_lilly"]:
        for i in range(10):
            write_jpeg(base / c / f"image_{i + 1:04d}.jpg", i)
    ds = load_dataset("caltech101", "all", root=tmp_path)
    check_items(ds, 30, 3)
    assert ds.class_names == ["centered face", "accordion", "water lily"]
    test = load_dataset("caltech101", "test", root=tmp_path)
    assert len(test) == 9


def test_fgvc_aircraft(tmp_path):
    data = tmp_path / "fgvc-aircraft-2013b" / "data"
    data.mkdir(parents=True)
    (data / "variants.txt").write_text("707-320\nA300B4\nCessna 172\n")
    (data / "images_variant_test.txt").write_text("0001 A300B4\n0002 Cessna 172\n0003 707-320\n")
    for i in (1, 2, 3):
        write_jpeg(data / "images" / f"{i:04d}.jpg", i)
    ds = load_dataset("fgvc_aircraft", "test", root=tmp_path)
    check_items(ds, 3, 3)
    assert ds.labels.tolist() == [1, 2, 0] and ds.class_names[2] == "Cessna 172"


def test_stanford_cars(tmp_path):
    base = tmp_path / "stanford_cars"
    (base / "devkit").mkdir(parents=True)
    names = np.array(["AM General Hummer SUV 2000", "Acura RL Sedan 2012"], dtype=object)
    scipy.io.savemat(base / "devkit" / "cars_meta.mat", {"class_names": names[None, :]})
    dtype = [
        ("bbox_x1", "O"),
        ("bbox_y1", "O"),
        ("bbox_x2", "O"),
        ("bbox_y2", "O"),
        ("class", "O"),
        ("fname", "O"),
    ]
    for split, folder, mat in [
        ("train", "cars_train", base / "devkit" / "cars_train_annos.mat"),
        ("test", "cars_test", base / "cars_test_annos_withlabels.mat"),
    ]:
        ann = np.array([(1, 1, 8, 8, 2, "00001.jpg"), (1, 1, 8, 8, 1, "00002.jpg")], dtype=dtype)
        scipy.io.savemat(mat, {"annotations": ann[None, :]})
        for f in ("00001.jpg", "00002.jpg"):
            write_jpeg(base / folder / f)
    ds = load_dataset("stanford_cars", "test", root=tmp_path)
    check_items(ds, 2, 2)
    assert ds.labels.tolist() == [1, 0] and ds.class_names[1] == "Acura RL Sedan 2012"
    with pytest.raises(ValueError, match="cannot be downloaded"):
        load_dataset("stanford_cars", root=tmp_path, download=True)


def test_sun397(tmp_path):
    base = tmp_path / "SUN397"
    base.mkdir()
    (base / "ClassName.txt").write_text("/a/abbey\n/b/bakery/shop\n")
    for cls in ("a/abbey", "b/bakery/shop"):
        for i in range(10):
            write_jpeg(base / cls / f"sun_{cls[-4:]}{i}.jpg", i)
    ds = load_dataset("sun397", "all", root=tmp_path)
    check_items(ds, 20, 2)
    assert ds.class_names == ["abbey", "bakery shop"]
    assert sorted(np.bincount(load_dataset("sun397", "test", root=tmp_path).labels)) == [3, 3]


def _imagenet_val(root, n_images_per_class):
    jpg = jpeg_bytes()
    wnids = [f"n{i:08d}" for i in range(1000)]
    for w in wnids:
        (root / "val" / w).mkdir(parents=True)
    for i in range(n_images_per_class * 1000 if n_images_per_class else 3):
        w = wnids[i % 1000] if n_images_per_class else wnids[[0, 1, 999][i]]
        (root / "val" / w / f"ILSVRC2012_val_{i:08d}.JPEG").write_bytes(jpg)
    return wnids


def test_imagenet_folder_layout(tmp_path):
    _imagenet_val(tmp_path, 0)
    ds = load_dataset("imagenet", "test", root=tmp_path)
    check_items(ds, 3, 1000)
    assert ds.labels.tolist() == [0, 1, 999]
    assert ds.class_names[0] == "tench" and ds.templates == ["a photo of a {}."]


def test_imagenet_torchvision_layout(tmp_path):
    wnids = _imagenet_val(tmp_path, 1)
    torch.save(
        ({w: (f"name {w}",) for w in wnids}, wnids), tmp_path / "meta.bin"
    )  # what torchvision writes
    ds = load_dataset("imagenet", "val", root=tmp_path)
    check_items(ds, 1000, 1000)
    assert ds.labels[:3].tolist() == [0, 1, 2] and ds.class_names[999] == "toilet paper"


# ---------------------------------------------------------------- CoOp's split files
# CoOp's datasets/*.py (KaiyangZhou/CoOp): split file name, and CoOp's image_dir
# below the folder holding the file, for each layout a root may have (zslkit's
# torchvision layout; CoOp's own DATASETS.md layout). Written out here by hand
# from CoOp's code, independently of zslkit.data.datasets.COOP_SPLITS.
COOP_FIXTURE = Path(__file__).parent / "fixtures" / "split_zhou_EuroSAT.json"
COOP_LAYOUTS = [
    ("eurosat", "split_zhou_EuroSAT.json", "eurosat", "2750"),
    ("oxford_pets", "split_zhou_OxfordPets.json", "oxford-iiit-pet", "images"),
    ("oxford_pets", "split_zhou_OxfordPets.json", "oxford_pets", "images"),
    ("caltech101", "split_zhou_Caltech101.json", "caltech101", "101_ObjectCategories"),
    ("caltech101", "split_zhou_Caltech101.json", "caltech-101", "101_ObjectCategories"),
    ("dtd", "split_zhou_DescribableTextures.json", "dtd/dtd", "images"),
    ("dtd", "split_zhou_DescribableTextures.json", "dtd", "images"),
    ("flowers102", "split_zhou_OxfordFlowers.json", "flowers-102", "jpg"),
    ("flowers102", "split_zhou_OxfordFlowers.json", "oxford_flowers", "jpg"),
    ("food101", "split_zhou_Food101.json", "food-101", "images"),
    ("stanford_cars", "split_zhou_StanfordCars.json", "stanford_cars", ""),
    ("sun397", "split_zhou_SUN397.json", "SUN397", ""),
    ("sun397", "split_zhou_SUN397.json", "sun397", "SUN397"),
]


def _coop_copy(
    root, folder="eurosat", image_dir="2750", text=None, file=COOP_FIXTURE.name, extra=0
):
    """A split file (the fixture's text by default) in ``root/folder`` and a tiny JPEG per entry."""
    text = COOP_FIXTURE.read_text() if text is None else text
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / file).write_text(text)
    content = json.loads(text)
    images = root / folder / image_dir
    for i, (rel, *_) in enumerate(e for p in ("train", "val", "test") for e in content[p]):
        write_jpeg(images / rel, 20 * i + 5)
    for i in range(extra):  # images of the folder that the file does not list
        write_jpeg(images / "Forest" / f"Forest_{100 + i}.jpg", 250)
    return content, images


def test_coop_split_file_gives_its_images_labels_names_and_sizes(tmp_path, capsys):
    content, images = _coop_copy(tmp_path, extra=5)
    names = {label: cname for p in ("train", "val", "test") for _, label, cname in content[p]}
    for split, parts in [
        ("train", ["train"]),
        ("val", ["val"]),
        ("test", ["test"]),
        ("all", ["train", "val", "test"]),
    ]:
        rows = [row for p in parts for row in content[p]]
        ds = load_dataset("eurosat", split, root=tmp_path)
        assert ds.split_source == "coop" and COOP_FIXTURE.name in ds.split_info
        assert len(ds) == len(rows) and ds.labels.tolist() == [r[1] for r in rows]
        assert ds.class_names == [names[c] for c in range(len(names))]
        assert ds.paths == [str(images / r[0]) for r in rows]
        for i in (0, len(rows) - 1):
            with Image.open(images / rows[i][0]) as expected:
                np.testing.assert_array_equal(np.asarray(ds[i][0]), np.asarray(expected))
            assert ds[i][1] == rows[i][1]
    assert [len(content[p]) for p in ("train", "val", "test")] == [6, 3, 3]
    assert "split_source='coop'" in repr(ds)
    said = capsys.readouterr().out.splitlines()  # one line, however many splits were loaded
    assert said == [
        f"eurosat: using CoOp's split file {tmp_path / 'eurosat' / COOP_FIXTURE.name} "
        "(train 6 / val 3 / test 3 images)"
    ]
    fixed = load_dataset("eurosat", "test", root=tmp_path, split_source="zslkit")
    assert fixed.split_source == "zslkit" and "50/20/30" in fixed.split_info
    assert len(fixed) == 5  # 30% of each folder's JPEGs (4, 9 and 4 of them)
    assert fixed.cache_id != ds.cache_id and ds.cache_id["split_source"] == "coop"


@pytest.mark.parametrize("name, file, folder, image_dir", COOP_LAYOUTS)
def test_coop_split_paths_resolve_against_coops_image_folder(
    tmp_path, name, file, folder, image_dir
):
    split = {
        p: [[f"cls_a/{p}_1.jpg", 0, "class a"], [f"cls_b/{p}_2.jpg", 1, "class b"]]
        for p in ("train", "val", "test")
    }
    content, images = _coop_copy(tmp_path, folder, image_dir, json.dumps(split), file)
    ds = load_dataset(name, "val", root=tmp_path, split_source="coop")
    assert ds.paths == [str(tmp_path / folder / image_dir / r[0]) for r in content["val"]]
    assert ds.class_names == ["class a", "class b"] and ds.labels.tolist() == [0, 1]
    assert ds[1][0].size == (8, 8)


def test_coop_split_missing_image_names_the_path(tmp_path):
    content, images = _coop_copy(tmp_path)
    (images / content["test"][1][0]).unlink()
    load_dataset("eurosat", "train", root=tmp_path)  # the other splits are whole
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("eurosat", "test", root=tmp_path)
    assert str(images / content["test"][1][0]) in str(err.value)
    assert COOP_FIXTURE.name in str(err.value)


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"train": [', "not valid JSON"),
        ('{"train": [], "test": []}', "'train', 'val', 'test'"),
        ('[["a.jpg", 0, "a"]]', "'train', 'val', 'test'"),
        ('{"train": [["a.jpg", "0", "a"]], "val": [], "test": []}', "entry 0 of 'train'"),
        ('{"train": [["a.jpg", 0]], "val": [], "test": []}', "entry 0 of 'train'"),
        ('{"train": [["a.jpg", -1, "a"]], "val": [], "test": []}', "label >= 0"),
        ('{"train": [["a.jpg", 0, "a"]], "val": [["b.jpg", 0, "b"]], "test": []}', "named both"),
        ('{"train": [["a.jpg", 1, "a"]], "val": [], "test": []}', r"label\(s\) \[0\]"),
        ('{"train": [], "val": [], "test": []}', r"label\(s\) \[0\]"),
    ],
)
def test_coop_split_malformed_file_is_a_clear_error(tmp_path, text, match):
    (tmp_path / "eurosat" / "2750").mkdir(parents=True)
    path = tmp_path / "eurosat" / "split_zhou_EuroSAT.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        load_dataset("eurosat", "test", root=tmp_path)
    assert str(path) in str(err.value)


def test_coop_split_source_option(tmp_path):
    with pytest.raises(ValueError, match="split_source"):
        load_dataset("eurosat", root=tmp_path, split_source="papers")
    with pytest.raises(ValueError, match="fgvc_aircraft"):
        load_dataset("fgvc_aircraft", root=tmp_path, split_source="coop")
    with pytest.raises(ValueError, match="pocket"):
        load_dataset("pocket", split_source="coop")
    assert load_dataset("pocket", n_per_class=1, split_source="zslkit").split_source == "zslkit"
    write_jpeg(tmp_path / "eurosat" / "2750" / "Forest" / "Forest_1.jpg")
    with pytest.raises(FileNotFoundError, match="split_zhou_EuroSAT.json"):
        load_dataset("eurosat", "all", root=tmp_path, split_source="coop")
    assert load_dataset("eurosat", "all", root=tmp_path).split_source == "zslkit"
    _coop_copy(tmp_path)
    with pytest.raises(ValueError, match="split_seed"):
        load_dataset("eurosat", root=tmp_path, split_seed=3)


class _MeanColour(torch.nn.Module):
    """A stand-in image encoder: an image's feature is its mean colour."""

    def encode_image(self, x):
        return x.mean(dim=(2, 3))


def test_few_shot_draws_from_the_coop_train_split(tmp_path):
    from torchvision.transforms import ToTensor

    from zslkit.adapt.protocols import few_shot_data

    content, images = _coop_copy(tmp_path, extra=5)  # 5 unlisted Forest JPEGs too
    task = few_shot_data(_MeanColour(), ToTensor(), "eurosat", n_shots=1, seed=1, root=tmp_path)

    def colour(rel):  # the same feature, computed from the JPEG file by hand
        with Image.open(images / rel) as im:
            v = np.asarray(im.convert("RGB"), dtype=np.float64).mean(axis=(0, 1)) / 255
        return v / np.linalg.norm(v)

    rows = [(p, r) for p in ("train", "val", "test") for r in content[p]]
    feats = np.stack([colour(r[0]) for _, r in rows])
    for part, want in (("train", "train"), ("val", "train"), ("test", "test")):
        got = task[f"{part}_features"].numpy()
        nearest = np.abs(got[:, None, :] - feats[None]).max(axis=2).argmin(axis=1)
        assert np.abs(got - feats[nearest]).max() < 1e-5
        assert {rows[j][0] for j in nearest} == {want}  # from the file's own split
        assert task[f"{part}_labels"].tolist() == [rows[j][1][1] for j in nearest]
    assert len(task["train_labels"]) == 3 and len(task["test_labels"]) == 3
    assert task["class_names"] == ["Annual Crop Land", "Forest", "Herbaceous Vegetation Land"]
