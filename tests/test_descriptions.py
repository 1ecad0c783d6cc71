"""zslkit.vlm.descriptions against open_clip's encode_text and open_clip's zero-shot classifier."""

import json

import open_clip
import pytest
import torch

from zslkit.data import world
from zslkit.data.datasets import load_classnames
from zslkit.data.semantics import descriptions_path, load_descriptions
from zslkit.lab import toyclip
from zslkit.vlm.descriptions import (
    class_descriptions,
    description_classifier,
    pocket_descriptions,
    pocket_descriptions_file,
    text_classifier,
    write_pocket_descriptions,
)


@pytest.fixture(scope="module")
def toy():
    """A random-init ToyCLIP: a real open_clip CLIP, small enough for the CPU."""
    toyclip.register()
    torch.manual_seed(0)
    model = open_clip.create_model("ToyCLIP", pretrained=None).eval()
    return model, open_clip.get_tokenizer("ToyCLIP")


def _direct(model, tokenizer, sentences):
    """Class vector computed by hand with open_clip: normalise(mean(normalise(encode_text)))."""
    with torch.no_grad():
        feats = model.encode_text(tokenizer(sentences)).float()
    feats = feats / feats.norm(dim=-1, keepdim=True)
    mean = feats.mean(0)
    return mean / mean.norm()


def test_description_weights_equal_a_direct_open_clip_computation(toy):
    model, tokenizer = toy
    descriptions = {
        "red star": ["a red shape.", "a star."],
        "sea": ["open water.", "waves.", "a blue surface."],
    }
    weights = description_classifier(
        model, tokenizer, ["sea", "red star"], descriptions, batch_size=2
    )
    assert weights.shape == (model.text_projection.shape[1], 2)
    torch.testing.assert_close(
        weights[:, 0], _direct(model, tokenizer, descriptions["sea"]), rtol=0, atol=1e-5
    )
    torch.testing.assert_close(
        weights[:, 1], _direct(model, tokenizer, descriptions["red star"]), rtol=0, atol=1e-5
    )


def test_names_both_and_descriptions_sources(toy):
    model, tokenizer = toy
    names = ["red star", "blue heart", "white ring"]
    templates = world.templates("zeroshot")
    descriptions = pocket_descriptions()
    w_names = open_clip.build_zero_shot_classifier(
        model, tokenizer, names, templates, num_classes_per_batch=None
    )
    w_desc = torch.stack([_direct(model, tokenizer, descriptions[c]) for c in names], dim=1)
    got = {
        s: text_classifier(model, tokenizer, names, templates, descriptions, source=s)
        for s in ("names", "descriptions", "both")
    }
    torch.testing.assert_close(got["names"], w_names, rtol=0, atol=1e-5)
    torch.testing.assert_close(got["descriptions"], w_desc, rtol=0, atol=1e-5)
    both = (w_names + w_desc) / (w_names + w_desc).norm(dim=0, keepdim=True)
    torch.testing.assert_close(got["both"], both, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="source"):
        text_classifier(model, tokenizer, names, templates, descriptions, source="glosses")
    with pytest.raises(ValueError, match="descriptions"):
        text_classifier(model, tokenizer, names, templates, None, source="both")


def test_pocket_descriptions_are_single_attribute_caption_phrases():
    desc = pocket_descriptions()
    assert list(desc) == world.class_names()
    assert desc["red star"] == ["a red shape.", "a star."]
    assert desc["orange ring"] == ["an orange shape.", "a ring."]
    vocabulary = {
        w
        for t in world.templates("captions")
        for w in str(t).replace("{}", " ").replace(".", " ").split()
    }
    vocabulary |= {v for values in world.ATTRIBUTES.values() for v in values} | {"a", "an", "shape"}
    toyclip.register()
    tokenizer = open_clip.get_tokenizer("ToyCLIP")
    for name, sentences in desc.items():
        assert name not in " ".join(sentences)  # a description never names the class
        for s in sentences:
            assert set(s.rstrip(".").split()) <= vocabulary, (
                s
            )  # every word occurs in pretraining captions
            tokens = tokenizer([s])[0]
            assert (
                int((tokens != 0).sum()) < tokens.shape[0]
            )  # fits the 16-token context untruncated


def test_shipped_pocket_file_is_the_generator_output(tmp_path):
    shipped = json.loads(descriptions_path("pocket").read_text())
    assert shipped == pocket_descriptions_file()
    written = write_pocket_descriptions(path=tmp_path / "pocket.json")
    assert json.loads(written.read_text()) == shipped
    assert load_descriptions("pocket") == pocket_descriptions()


def test_eurosat_descriptions_cover_its_prompt_names():
    names = load_classnames(
        "eurosat",
        [
            "AnnualCrop",
            "Forest",
            "HerbaceousVegetation",
            "Highway",
            "Industrial",
            "Pasture",
            "PermanentCrop",
            "Residential",
            "River",
            "SeaLake",
        ],
    )
    desc = class_descriptions("eurosat", names)
    assert list(desc) == names and all(len(v) >= 2 for v in desc.values())


def test_missing_file_or_class_gives_a_clear_error():
    with pytest.raises(FileNotFoundError, match=r"no_such_dataset\.json.*\"descriptions\""):
        load_descriptions("no_such_dataset")
    with pytest.raises(ValueError, match="pink star"):
        class_descriptions("pocket", ["red star", "pink star"])
