"""An open vocabulary: zero-shot classification over a broad vocabulary, and S3A's remedy.

Zero-shot classification usually scores an image against the true label
set. *Realistic* zero-shot classification (Zhang et al., AAAI 2024, S3A)
gives the model a broad vocabulary instead and no labels at all. This
module builds that setting in the pocket world and implements the
structural part of S3A's Cluster-Vote-Prompt-Realign (CVPR) algorithm:

* **vocabularies** that grow: the 64 true colour-shape names, the
  :func:`finer_names` that add a pattern and/or a size ("large red striped
  circle"), and :func:`distractor_nouns` drawn from WordNet;
* **what counts as correct** (:func:`is_correct`): ``"exact"`` (the
  predicted name is the true class name, S3A's top-1), ``"consistent"``
  (the name states the true colour and shape, and every other attribute it
  states is true of the image: a true, at least as specific description)
  and ``"lenient"`` (the true colour and shape, whatever else it says);
* **S3A's cluster-vote-realign loop** (:func:`cluster_vote_realign`):
  k-means on the unlabelled test images, each image's top-1 word as its
  vote, the Hungarian algorithm to give every cluster a distinct word, and
  every image re-classified among the chosen words, iterated. S3A's LLM
  prompting step and its teacher-student self-training are left out.

Everything here is transductive: it uses the unlabelled test images.

Taught in: notebooks/54_open_vocabulary.ipynb
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from zslkit.checks import check_choice, check_range

TRUE_TASK = "colour_shape"
"""The task whose 64 classes are the true label set."""

FULL_TASK = "colour_shape_pattern_size"
"""The task whose 512 classes fix every attribute of an image."""

RULES = ("consistent", "exact", "lenient")
"""What counts as a correct name; see :func:`is_correct`."""


def pocket_open_set(
    n_per_combination: int = 2, variant: str = "photo", seed: int = 0, size: int = 32
) -> dict:
    """Test images of the 64 colour-shape classes with every attribute known.

    Each of the 512 colour x shape x pattern x size combinations is rendered
    ``n_per_combination`` times, so pattern and size are balanced inside
    every colour-shape class.

    Returns
    -------
    dict with ``images`` ((n, size, size, 3) uint8), ``labels`` ((n,) int64
    indexing ``class_names``, the 64 colour-shape names), ``attributes``
    (n dicts: colour, shape, pattern, size of each image) and ``class_names``.
    """
    from zslkit.data import world

    check_range("n_per_combination", n_per_combination, 1, integer=True)
    full = world.class_names(FULL_TASK)
    images, full_labels = world.make_images(full, n_per_combination, variant, seed, FULL_TASK, size)
    parsed = [world.class_attributes(name, FULL_TASK) for name in full]
    class_names = world.class_names(TRUE_TASK)
    index = {name: i for i, name in enumerate(class_names)}
    per_full = np.array([index[f"{p['colour']} {p['shape']}"] for p in parsed])
    return {
        "images": images,
        "labels": per_full[full_labels].astype(np.int64),
        "attributes": [parsed[i] for i in full_labels],
        "class_names": class_names,
    }


def finer_names(class_names: Sequence[str]) -> list[str]:
    """Every name that adds a pattern and/or a size to a colour-shape name.

    ``"red circle"`` gives 14 finer names, from ``"red solid circle"`` to
    ``"large red checked circle"`` (English word order: size, colour,
    pattern, shape); 64 classes give 896.
    """
    from zslkit.data import world

    sizes = ("", *world.ATTRIBUTES["size"])
    patterns = ("", *world.ATTRIBUTES["pattern"])
    out = []
    for s, p in itertools.product(sizes, patterns):
        if not s and not p:
            continue
        for name in class_names:
            colour, shape = world.class_attributes(name, TRUE_TASK).values()
            out.append(" ".join(w for w in (s, colour, p, shape) if w))
    return out


def distractor_nouns(
    n: int, seed: int = 0, exclude: Sequence[str] = (), root: str | None = None
) -> list[str]:
    """``n`` WordNet noun lemmas drawn at random, without replacement.

    The lemmas (underscores read as spaces, ASCII only, each once) are
    sorted and permuted with ``seed``; the first ``n`` not in ``exclude``
    are returned, so a larger ``n`` extends a smaller one (nested
    vocabularies).
    """
    from zslkit.data.wordnet import default_wordnet

    check_range("n", n, 0, integer=True)
    synsets = default_wordnet(root).all_synsets()
    lemmas = sorted({w.replace("_", " ") for s in synsets for w in s.words if w.isascii()})
    excluded = set(exclude)
    order = np.random.default_rng(seed).permutation(len(lemmas))
    out = [lemmas[i] for i in order if lemmas[i] not in excluded][:n]
    if len(out) < n:
        raise ValueError(f"n={n} distractors asked for, but WordNet offers {len(out)}")
    return out


@lru_cache(maxsize=1)
def _value_to_attribute() -> dict[str, str]:
    from zslkit.data import world

    return {v: a for a, values in world.ATTRIBUTES.items() for v in values}


def name_attributes(name: str) -> dict[str, str] | None:
    """The pocket attributes a vocabulary name states, or None if it is not a pocket name.

    ``"large red striped circle"`` gives ``{"size": "large", "colour":
    "red", "pattern": "striped", "shape": "circle"}``; a name with a word
    that is no attribute value, or with two values of one attribute, gives
    None (a WordNet noun such as ``"sandal"``; also ``"ring"`` alone gives
    ``{"shape": "ring"}``).
    """
    value_to_attribute = _value_to_attribute()
    out: dict[str, str] = {}
    for word in name.split():
        attribute = value_to_attribute.get(word)
        if attribute is None or attribute in out:
            return None
        out[attribute] = word
    return out or None


def is_correct(
    predicted: Sequence[str],
    true_names: Sequence[str],
    attributes: Sequence[Mapping[str, str]],
    rule: str = "consistent",
) -> np.ndarray:
    """Whether each predicted name counts as correct under ``rule``.

    Parameters
    ----------
    predicted : (n,) predicted vocabulary names.
    true_names : (n,) true class names (``"red circle"``).
    attributes : (n,) every attribute of each image (colour, shape,
        pattern, size), as :func:`pocket_open_set` gives them.
    rule : ``"exact"``: the name is the true class name (S3A's top-1
        accuracy, which compares vocabulary indices). ``"consistent"``: the
        name states the true class's colour and shape, and every further
        attribute it states is true of the image ("large red striped circle"
        is right for a large striped red circle, wrong for a small one).
        ``"lenient"``: the name states the true colour and shape, whatever
        else it says.

    Returns
    -------
    (n,) bool array.
    """
    check_choice("rule", rule, RULES)
    if not len(predicted) == len(true_names) == len(attributes):
        raise ValueError(
            f"predicted, true_names and attributes must have one entry per image, got "
            f"{len(predicted)}, {len(true_names)} and {len(attributes)}"
        )
    out = np.zeros(len(predicted), dtype=bool)
    for i, (name, truth, attrs) in enumerate(zip(predicted, true_names, attributes)):
        if rule == "exact":
            out[i] = name == truth
            continue
        stated, wanted = name_attributes(name), name_attributes(truth)
        if stated is None or wanted is None:
            continue
        if any(stated.get(a) != v for a, v in wanted.items()):
            continue
        out[i] = rule == "lenient" or all(attrs.get(a) == v for a, v in stated.items())
    return out


def cluster_votes(partition: np.ndarray, top1: np.ndarray, n_words: int) -> np.ndarray:
    """S3A's vote: the share of each cluster's images whose top-1 word is each word.

    Parameters
    ----------
    partition : (n,) int cluster of each image, 0 .. K-1 (every cluster non-empty).
    top1 : (n,) int index of each image's best vocabulary word.
    n_words : V, the vocabulary size.

    Returns
    -------
    (K, V) float array; row k sums to 1.
    """
    partition, top1 = np.asarray(partition), np.asarray(top1)
    if partition.shape != top1.shape:
        raise ValueError(f"partition {partition.shape} and top1 {top1.shape} differ in shape")
    n_clusters = int(partition.max()) + 1
    votes = np.zeros((n_clusters, n_words))
    np.add.at(votes, (partition, top1), 1.0)
    sizes = votes.sum(axis=1, keepdims=True)
    if (sizes == 0).any():
        raise ValueError("every cluster 0 .. max(partition) must hold at least one image")
    return votes / sizes


def hungarian_words(votes: np.ndarray) -> np.ndarray:
    """A distinct word for every cluster, maximising the total vote (Hungarian algorithm).

    ``votes`` is (K, V) with K <= V; returns the (K,) word index of each
    cluster (``scipy.optimize.linear_sum_assignment`` on the votes, maximised).
    """
    from scipy.optimize import linear_sum_assignment

    votes = np.asarray(votes, dtype=float)
    if votes.ndim != 2 or votes.shape[0] > votes.shape[1]:
        raise ValueError(f"votes must be (K clusters, V >= K words), got shape {votes.shape}")
    rows, cols = linear_sum_assignment(votes, maximize=True)
    words = np.empty(votes.shape[0], dtype=np.int64)
    words[rows] = cols
    return words


def realign(scores: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-classify every image among the chosen words only.

    Returns the new partition ((n,) 0 .. K'-1, the chosen words that won at
    least one image, in increasing word order) and the predicted word of
    each image ((n,) index into the vocabulary).
    """
    words = np.asarray(words)
    best = np.asarray(scores)[:, words].argmax(axis=1)
    predicted = words[best]
    partition = np.unique(predicted, return_inverse=True)[1].ravel()
    return partition, predicted


def cluster_vote_realign(
    scores: np.ndarray,
    image_features: np.ndarray,
    n_clusters: int,
    n_iter: int = 3,
    seed: int = 0,
    n_init: int = 3,
    partition: np.ndarray | None = None,
) -> dict:
    """S3A's Cluster-Vote-Realign loop (CVPR without the LLM prompting step).

    1. **Cluster** the image features with k-means (``n_clusters``, as S3A
       when the number of classes is given); or start from ``partition``.
    2. **Vote**: every image votes for its top-1 word over the whole
       vocabulary; :func:`cluster_votes` gives each cluster's shares.
    3. **Align**: :func:`hungarian_words` gives each cluster a distinct word.
    4. **Realign**: :func:`realign` re-classifies every image among the
       chosen words; the result is the next partition. Steps 2-4 run
       ``n_iter`` times, as in the authors' code (3 per epoch).

    Parameters
    ----------
    scores : (n, V) image-word similarities (cosines).
    image_features : (n, d) L2-normalised image features, for k-means.

    Returns
    -------
    dict: ``predicted`` ((n,) word index of each image after the last
    realignment), ``words`` (the chosen words of the last iteration),
    ``initial_partition`` (the k-means clusters) and ``partition`` (the last).
    """
    from sklearn.cluster import KMeans

    scores = np.asarray(scores)
    check_range("n_clusters", n_clusters, 1, scores.shape[1], integer=True)
    check_range("n_iter", n_iter, 1, integer=True)
    if partition is None:
        km = KMeans(n_clusters, n_init=n_init, random_state=seed)
        partition = km.fit_predict(np.asarray(image_features, dtype=np.float64))
    initial = np.asarray(partition)
    top1 = scores.argmax(axis=1)
    current = initial
    for _ in range(n_iter):
        words = hungarian_words(cluster_votes(current, top1, scores.shape[1]))
        current, predicted = realign(scores, words)
    return {
        "predicted": predicted,
        "words": words,
        "initial_partition": initial,
        "partition": current,
    }


def cluster_accuracy(labels: np.ndarray, partition: np.ndarray) -> float:
    """Clustering accuracy: the share of images right under the best one-to-one cluster-class map.

    The map is found with the Hungarian algorithm on the (clusters x classes)
    contingency table, as in S3A's ``cluster_acc``.
    """
    from scipy.optimize import linear_sum_assignment

    labels, partition = np.asarray(labels), np.asarray(partition)
    table = np.zeros((partition.max() + 1, labels.max() + 1))
    np.add.at(table, (partition, labels), 1.0)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / labels.size)


def share_of_gap_closed(
    baseline: np.ndarray,
    method: np.ndarray,
    oracle: np.ndarray,
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
):
    """``(mean(method) - mean(baseline)) / (mean(oracle) - mean(baseline))`` with a paired percentile bootstrap.

    The three (n,) right/wrong arrays belong to the same test images, which
    are resampled together. Resamples whose gap ``oracle - baseline`` is 0
    are dropped. Returns a :class:`zslkit.stats.Interval`.
    """
    from zslkit.stats import Interval

    check_range("n_resamples", n_resamples, 100, 10**7, integer=True)
    a, b, c = (np.asarray(x, dtype=float) for x in (baseline, method, oracle))
    if not a.shape == b.shape == c.shape:
        raise ValueError(f"arrays differ in shape: {a.shape}, {b.shape}, {c.shape}")
    gap = c.mean() - a.mean()
    if gap == 0:
        raise ValueError("the oracle and the baseline have the same accuracy: no gap to close")
    idx = np.random.default_rng(seed).integers(0, a.size, size=(n_resamples, a.size))
    gaps = c[idx].mean(1) - a[idx].mean(1)
    keep = gaps != 0
    ratios = (b[idx].mean(1) - a[idx].mean(1))[keep] / gaps[keep]
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(ratios, [tail, 100 - tail])
    estimate = (b.mean() - a.mean()) / gap
    return Interval(float(estimate), float(low), float(high), confidence, "paired bootstrap")


LADDERS = ("nouns", "finer + nouns")
"""The two growing vocabularies: the true names plus WordNet nouns, and the
true names plus their finer names plus WordNet nouns."""


def vocabulary_columns(n_true: int, n_finer: int, noun_counts: Sequence[int]) -> dict:
    """Columns of each vocabulary in the master list ``true + finer + nouns``.

    Returns ``{(ladder, n_nouns): (V,) int array}`` for both :data:`LADDERS`
    and every count in ``noun_counts``.
    """
    true = np.arange(n_true)
    finer = np.arange(n_true, n_true + n_finer)
    out = {}
    for k in noun_counts:
        check_range("n_nouns", k, 0, integer=True)
        nouns = np.arange(n_true + n_finer, n_true + n_finer + k)
        out["nouns", k] = np.concatenate([true, nouns])
        out["finer + nouns", k] = np.concatenate([true, finer, nouns])
    return out


def image_features_of(
    model, preprocess, images: np.ndarray, device: str = "cpu", batch_size: int = 256
):
    """(n, d) float32 numpy array of L2-normalised image features of uint8 ``images``.

    Runs open_clip's ``preprocess`` on every image (so any backbone of
    :func:`zslkit.models.backbones.load_backbone` works), uncached.
    """
    from zslkit.data.datasets import PocketDataset
    from zslkit.models import toyclip
    from zslkit.models.features import extract_features

    if getattr(model.visual, "image_size", None) in ((images.shape[1],) * 2, images.shape[1]):
        # the images are already at the model's resolution: normalise them as
        # preprocess would, without a round trip through PIL
        return toyclip.encode_images(model, images, batch_size).numpy()
    labels = np.zeros(len(images), dtype=np.int64)
    data = PocketDataset(images, labels, ["object"], [], preprocess, {"dataset": "open_set"})
    features, _ = extract_features(
        model, data, batch_size=batch_size, device=device, cache=False, progress=False
    )
    return features.numpy()


def vocabulary_sweep(
    scores: np.ndarray,
    names: Sequence[str],
    columns: Mapping,
    data: Mapping,
    image_features: np.ndarray,
    rule: str = "consistent",
    n_iter: int = 3,
    seed: int = 0,
) -> dict:
    """CLIP and S3A's cluster-vote-realign on every vocabulary, scored by ``rule``.

    Parameters
    ----------
    scores : (n, M) image-word cosines over the master list ``names``.
    columns : :func:`vocabulary_columns`.
    data : :func:`pocket_open_set`.
    image_features : (n, d) features for k-means (run once, shared by every
        vocabulary; ``n_clusters`` is the number of true classes).

    Returns
    -------
    dict: ``rows`` (one dict per vocabulary and method: ladder, n_nouns,
    vocabulary_size, method, accuracy), ``correct`` (``{(ladder, n_nouns,
    method): (n,) bool}``), ``predicted`` (the same keys: predicted names),
    ``words`` (``{(ladder, n_nouns): names S3A chose in its last round}``),
    ``partition`` (the k-means clusters) and ``rule``.
    """
    from sklearn.cluster import KMeans

    check_choice("rule", rule, RULES)
    class_names = data["class_names"]
    truth = [class_names[i] for i in data["labels"]]
    km = KMeans(len(class_names), n_init=3, random_state=seed)
    partition = km.fit_predict(np.asarray(image_features, dtype=np.float64))
    rows, correct, predicted, chosen = [], {}, {}, {}
    for (ladder, k), cols in columns.items():
        sub = np.asarray(scores)[:, cols]
        s3a = cluster_vote_realign(sub, None, len(class_names), n_iter, partition=partition)
        chosen[ladder, k] = [names[cols[w]] for w in s3a["words"]]
        for method, index in (("CLIP", sub.argmax(1)), ("S3A (CVR)", s3a["predicted"])):
            words = [names[cols[i]] for i in index]
            right = is_correct(words, truth, data["attributes"], rule)
            key = (ladder, k, method)
            correct[key], predicted[key] = right, words
            rows.append(
                dict(
                    ladder=ladder,
                    n_nouns=k,
                    vocabulary_size=len(cols),
                    method=method,
                    accuracy=float(right.mean()),
                )
            )
    return {
        "rows": rows,
        "correct": correct,
        "predicted": predicted,
        "words": chosen,
        "partition": partition,
        "rule": rule,
    }


def accuracy_interval(correct: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact binomial) interval of an accuracy over independent test items."""
    from scipy.stats import binomtest

    correct = np.asarray(correct, dtype=bool)
    ci = binomtest(int(correct.sum()), correct.size).proportion_ci(confidence, method="exact")
    return float(ci.low), float(ci.high)


def plot_vocabulary_curve(sweep: Mapping, oracle_correct: np.ndarray, ax=None):
    """Accuracy against vocabulary size (log axis), one line per ladder and method.

    Error bars: Clopper-Pearson 95 % intervals over the test images; the
    dashed line is the oracle (CLIP over the true label set) with its band.
    """
    import matplotlib.pyplot as plt

    from zslkit import style

    if ax is None:
        ax = plt.subplots(figsize=(6.4, 4.0))[1]
    colours = style.colours_for(["CLIP", "S3A (CVR)"])
    markers = {"nouns": "o", "finer + nouns": "s"}
    for ladder in LADDERS:
        for method, colour in colours.items():
            rows = [r for r in sweep["rows"] if r["ladder"] == ladder and r["method"] == method]
            x = [r["vocabulary_size"] for r in rows]
            y = np.array([r["accuracy"] for r in rows])
            ci = np.array(
                [accuracy_interval(sweep["correct"][ladder, r["n_nouns"], method]) for r in rows]
            )
            ax.errorbar(
                x,
                y,
                yerr=[y - ci[:, 0], ci[:, 1] - y],
                color=colour,
                capsize=3,
                marker=markers[ladder],
                linestyle="-" if ladder == "nouns" else ":",
                label=f"{method}, true + {ladder}",
            )
    oracle = float(np.mean(oracle_correct))
    low, high = accuracy_interval(oracle_correct)
    ax.axhspan(low, high, color=style.FAINT, alpha=0.4, lw=0)
    ax.axhline(oracle, color=style.INK, ls="--", lw=1, label="oracle: true label set")
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size (names)")
    ax.set_ylabel(f"accuracy ({sweep['rule']} rule)")
    ax.set_ylim(0, 1)
    return ax


def check_parameters(
    variant: str,
    rule: str,
    n_per_combination: int,
    n_iter: int,
    noun_counts: str,
    template: str,
) -> list[int]:
    """Validate the chapter's parameters before any heavy work; return the noun counts.

    ``noun_counts`` is a comma-separated list of increasing integers
    (``"0,500,2000,8000"``); ``template`` must hold one ``{}`` slot.
    """
    from zslkit.data import world

    check_choice("variant", variant, world.VARIANTS)
    check_choice("rule", rule, RULES)
    check_range("n_per_combination", n_per_combination, 1, 64, integer=True)
    check_range("n_iter", n_iter, 1, 20, integer=True)
    try:
        counts = [int(c) for c in noun_counts.split(",")]
    except ValueError:
        raise ValueError(
            f"noun_counts={noun_counts!r} must be comma-separated integers, e.g. '0,500,2000'"
        ) from None
    if counts != sorted(set(counts)) or counts[0] < 0:
        raise ValueError(f"noun_counts={noun_counts!r} must be increasing and at least 0")
    if template.count("{}") != 1:
        raise ValueError(f"template={template!r} must hold exactly one {{}} slot for the name")
    return counts


def figure_names(sweep: Mapping) -> dict[str, float]:
    """``{method_ladder_nouns: accuracy}`` of every row of :func:`vocabulary_sweep`.

    ``"clip_nouns_500"`` is CLIP on the true names plus 500 nouns,
    ``"s3a_finer_0"`` S3A on the true and finer names.
    """
    out = {}
    for row in sweep["rows"]:
        method = "clip" if row["method"] == "CLIP" else "s3a"
        ladder = "nouns" if row["ladder"] == "nouns" else "finer"
        out[f"{method}_{ladder}_{row['n_nouns']}"] = row["accuracy"]
    return out
