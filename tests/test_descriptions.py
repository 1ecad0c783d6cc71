"""zslkit.vlm.descriptions against open_clip's encode_text and open_clip's zero-shot classifier."""

import json

import open_clip
import pytest
import torch
from fake_datasets import EUROSAT_FOLDERS

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
    names = load_classnames("eurosat", EUROSAT_FOLDERS)
    desc = class_descriptions("eurosat", names)
    assert list(desc) == names and all(len(v) >= 2 for v in desc.values())


def test_missing_file_or_class_gives_a_clear_error():
    with pytest.raises(FileNotFoundError, match=r"no_such_dataset\.json.*\"descriptions\""):
        load_descriptions("no_such_dataset")
    with pytest.raises(ValueError, match="pink star"):
        class_descriptions("pocket", ["red star", "pink star"])


# Chapter 22 on ToyCLIP 2: Menon & Vondrick's score and WaffleCLIP's control -------------------


def test_descriptor_sentence_follows_menon_and_vondricks_rule():
    from zslkit.vlm.descriptions import descriptor_sentence, menon_prompts

    # the cases of make_descriptor_sentence in the authors' code, worked by hand
    assert descriptor_sentence("a red shape.") == "which is a red shape"
    assert descriptor_sentence("an orange shape.") == "which is an orange shape"
    assert descriptor_sentence("used for flying") == "which is used for flying"
    assert descriptor_sentence("has four legs") == "which has four legs"
    assert descriptor_sentence("often found in water") == "which often found in water"
    assert descriptor_sentence("long thin beak") == "which has long thin beak"
    prompts = menon_prompts(["red star"], {"red star": ["a red shape.", "a star."]})
    assert prompts == {"red star": ["red star, which is a red shape", "red star, which is a star"]}
    with pytest.raises(ValueError, match="pink star"):
        menon_prompts(["pink star"], {"red star": ["a star."]})


def test_mean_of_cosines_equals_a_direct_open_clip_computation(toy):
    model, tokenizer = toy
    prompts = {
        "red star": ["red star, which is a red shape", "red star, which is a star"],
        "sea": ["sea, which has waves", "sea, which is open water", "sea, which is blue"],
    }
    weights = description_classifier(
        model, tokenizer, ["sea", "red star"], prompts, renormalise=False
    )
    torch.manual_seed(1)
    images = torch.nn.functional.normalize(torch.randn(5, weights.shape[0]), dim=-1)
    for c, name in enumerate(["sea", "red star"]):
        with torch.no_grad():
            t = model.encode_text(tokenizer(prompts[name])).float()
        cosines = torch.nn.functional.cosine_similarity(images[:, None], t[None], dim=-1)
        torch.testing.assert_close(images @ weights[:, c], cosines.mean(1), rtol=0, atol=1e-5)
    renormalised = description_classifier(model, tokenizer, ["sea", "red star"], prompts)
    torch.testing.assert_close(
        renormalised, weights / weights.norm(dim=0, keepdim=True), rtol=0, atol=1e-6
    )


def test_waffle_descriptors_are_shared_random_words_and_characters():
    from zslkit.vlm.descriptions import control_words, waffle_descriptors, waffle_prompts

    names = world.class_names()
    words = control_words(names)
    attribute_words = {v for values in world.ATTRIBUTES.values() for v in values}
    assert words and not (set(words) & attribute_words)
    assert not {"crimson", "disc", "stars", "circles"} & set(words)
    out = waffle_descriptors(names, 4, seed=3)
    assert out == waffle_descriptors(names, 4, seed=3) and out != waffle_descriptors(names, 4, 4)
    # class names have 2 words of mean length round(mean) -> 2 words cut to that length
    word_len = round(sum(sum(map(len, c.split())) / 2 for c in names) / len(names))
    for w in out[0::2]:
        assert len(w.split()) == 2
        assert all(any(v[:word_len] == x for v in words) for x in w.split())
    for w in out[1::2]:
        groups = w.split(", ")
        assert len(groups) == 2 and len(set(map(len, groups))) == 1
    prompts = waffle_prompts(names[:3], 2, seed=0)
    shared = [p.split(", ", 1)[1] for p in prompts[names[0]]]
    assert all([p.split(", ", 1)[1] for p in prompts[c]] == shared for c in names[:3])
    with pytest.raises(ValueError, match="n"):
        waffle_descriptors(names, 0)


def test_correct_by_method_and_compare_over_seeds_by_hand():
    import numpy as np
    from scipy import stats

    from zslkit.vlm.descriptions import compare_over_seeds, correct_by_method

    features = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    good, bad = torch.eye(2), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    got = correct_by_method({"good": good, "half": [good, bad]}, features, [0, 1, 1])
    assert got["good"].tolist() == [True, True, False]
    assert got["half"].tolist() == [0.5, 0.5, 0.5]
    rng = np.random.default_rng(0)
    runs, labels = [], []
    for n in (40, 50, 60):
        y = rng.integers(0, 3, n)
        runs.append({"a": rng.random(n) < 0.8, "b": rng.random(n) < 0.6})
        labels.append(y)
    res = compare_over_seeds(runs, labels, "a", "b", classes=[0, 1], n_resamples=1000)
    diffs = [
        r["a"][np.isin(y, [0, 1])].mean() - r["b"][np.isin(y, [0, 1])].mean()
        for r, y in zip(runs, labels)
    ]
    np.testing.assert_allclose(res["estimates"], diffs)
    np.testing.assert_allclose([iv.estimate for iv in res["per_seed"]], diffs)
    low, high = stats.t.interval(0.95, 2, loc=np.mean(diffs), scale=stats.sem(diffs))
    np.testing.assert_allclose([res["over_seeds"].low, res["over_seeds"].high], [low, high])
    pooled_a = np.concatenate([r["a"][np.isin(y, [0, 1])] for r, y in zip(runs, labels)])
    pooled_b = np.concatenate([r["b"][np.isin(y, [0, 1])] for r, y in zip(runs, labels)])
    assert res["pooled"].estimate == pytest.approx(pooled_a.mean() - pooled_b.mean())
    assert compare_over_seeds(runs, labels, "a", "b", per_seed=False)["per_seed"] is None
    with pytest.raises(ValueError, match="zpe"):
        compare_over_seeds(runs, labels, "a", "zpe")
