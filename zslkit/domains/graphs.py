"""Zero-shot node classification on a text-attributed graph.

Every node of a text-attributed graph carries a text; the task is to label
the nodes with classes nobody gave an example of. Two sources of evidence:

1. the node's own text, scored against each class's label text by a
   sentence encoder (:class:`zslkit.domains.text.ZeroShotTextClassifier`), as
   GraphCLIP (Zhu et al., 2025) scores a node's graph-and-text summary
   against label prompts;
2. the graph: linked nodes tend to share a label (homophily).

Label propagation (Zhou et al., 2004) joins them: with ``A`` the adjacency,
``S = D^-1/2 A D^-1/2`` and ``Y0`` the text scores (n, C),

    F* = (I - alpha S)^-1 Y0,

each node keeps part of its own scores and takes the rest from its
neighbours (:func:`zslkit.classic.transductive.propagate`, the same closed
form as the transductive chapter, here on a given graph instead of a kNN
graph). The graph-only baseline propagates one-hot labels of a few seed
nodes per class instead.

The pocket graph (:func:`wordnet_graph`) is a piece of WordNet's noun
hierarchy: nodes are synsets of a few supersenses, the node text is the
gloss, the label the supersense. By default its edges join each synset to
its nearest drawn synsets in the whole hypernym hierarchy, a construction
that never looks at the labels (``edges="taxonomy"``);
:func:`rewire_across_classes` and :func:`rewiring_sweep` then lower its
homophily on purpose, to show where propagation stops helping.

Taught in: notebooks/42_graph_zero_shot.ipynb.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator

from zslkit.checks import check_choice, check_range
from zslkit.classic.transductive import normalized_graph, propagate
from zslkit.stats import Interval

__all__ = [
    "TextGraph",
    "wordnet_graph",
    "load_text_graph",
    "load_graph",
    "edges_to_adjacency",
    "seed_scores",
    "GraphLabelPropagation",
    "propagate",
    "normalized_graph",
    "homophily",
    "check_graph",
    "hypernym_distances",
    "rewire_across_classes",
    "macro_f1_gap",
    "rewiring_sweep",
    "f1_on_nodes",
    "text_graph_by_source",
    "alpha_curve",
    "seed_curve",
    "changed_nodes",
    "describe_nodes",
    "accuracy_by_connectivity",
]


@dataclass
class TextGraph:
    """A text-attributed graph.

    adjacency : (n, n) symmetric 0/1 csr matrix, zero diagonal
    texts : n node texts; labels : (n,) int array into ``class_names``
    node_names : n short names (e.g. the synset's first word)
    node_ids : n identifiers (WordNet: the synset offsets; a file graph: the row numbers)
    """

    name: str
    adjacency: sp.csr_matrix
    texts: list[str]
    labels: np.ndarray
    class_names: list[str]
    node_names: list[str]
    node_ids: list[int]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def n_edges(self) -> int:
        return int(self.adjacency.nnz // 2)

    @property
    def n_components(self) -> int:
        return int(connected_components(self.adjacency, directed=False)[0])


def edges_to_adjacency(edges, n_nodes: int) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency (n, n) from (m, 2) node-index pairs; duplicates and self-loops dropped."""
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    if edges.size and (edges.min() < 0 or edges.max() >= n_nodes):
        raise ValueError(
            f"edge endpoints must lie in [0, {n_nodes}); got {edges.min()}..{edges.max()}"
        )
    A = sp.coo_matrix(
        (np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n_nodes, n_nodes)
    ).tocsr()
    A = ((A + A.T) > 0).astype(float).tolil()
    A.setdiag(0)
    A = A.tocsr()
    A.eliminate_zeros()
    return A


def homophily(adjacency, labels) -> float:
    """Edge homophily: the fraction of edges whose two ends share a label."""
    upper = sp.triu(sp.csr_matrix(adjacency), k=1).tocoo()
    labels = np.asarray(labels)
    return float(np.mean(labels[upper.row] == labels[upper.col])) if upper.nnz else float("nan")


EDGE_KINDS = ("taxonomy", "hypernyms")


def hypernym_distances(hypernyms: Mapping[int, Sequence[int]], nodes: Sequence[int]) -> np.ndarray:
    """Path lengths between nodes through their closest common hypernym.

    hypernyms : ``{node id: ids of its direct hypernyms}`` for the whole
    hierarchy (a node missing from it has none); nodes : the ids to compare.
    The distance of ``u`` and ``v`` is ``min_a d(u, a) + d(v, a)`` over
    their common ancestors ``a`` (a node is its own ancestor at 0 steps),
    as NLTK's ``shortest_path_distance`` counts it; on a tree it is the
    length of the path between them.

    Returns
    -------
    (n, n) float array; ``inf`` where two nodes share no ancestor and on the diagonal.
    """
    members: dict[int, list[tuple[int, int]]] = {}
    for i, node in enumerate(nodes):
        depth, frontier = {node: 0}, [node]
        while frontier:  # breadth first: the first visit is the shortest
            step = depth[frontier[0]] + 1
            frontier = [h for f in frontier for h in hypernyms.get(f, ()) if h not in depth]
            frontier = list(dict.fromkeys(frontier))
            depth.update((h, step) for h in frontier)
        for ancestor, d in depth.items():
            members.setdefault(ancestor, []).append((i, d))
    n = len(nodes)
    distance = np.full((n, n), np.inf)
    for shared in members.values():
        if len(shared) > 1:
            rows = np.array([i for i, _ in shared])
            d = np.array([d for _, d in shared], dtype=float)
            block = np.ix_(rows, rows)
            distance[block] = np.minimum(distance[block], d[:, None] + d[None, :])
    np.fill_diagonal(distance, np.inf)
    return distance


def wordnet_graph(
    n_per_class: int = 100,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    edges: str = "taxonomy",
    n_neighbours: int = 5,
) -> TextGraph:
    """A text-attributed graph cut from WordNet's noun hierarchy.

    The classes and their supersenses come from
    ``data/text/wordnet_supersenses.json``. For each class, ``n_per_class``
    synsets of its supersense are drawn at random (``seed``). Node text: the
    gloss without examples; label: the supersense. The edges:

    * ``edges="taxonomy"`` (the default, label-free): each drawn synset is
      linked to its ``n_neighbours`` nearest drawn synsets by
      :func:`hypernym_distances` in the *whole* noun hierarchy (every
      supersense, up to "entity"), ties broken at random (``seed``); the
      links are symmetrised. The labels play no part in it.
    * ``edges="hypernyms"``: every hypernym ancestor of a drawn synset that
      also belongs to one of the classes' supersenses is added as a node,
      and edges are the hypernym links inside the node set. Filtering the
      ancestors by supersense keeps almost only same-label edges: its
      homophily is high by construction.
    """
    from zslkit.data.wordnet import default_wordnet
    from zslkit.domains.text import load_label_texts

    check_range("n_per_class", n_per_class, 1, None, integer=True)
    check_choice("edges", edges, EDGE_KINDS)
    check_range("n_neighbours", n_neighbours, 1, None, integer=True)
    spec = load_label_texts("wordnet_supersenses")
    label_of = {spec["lexnames"][c]: i for i, c in enumerate(spec["class_names"])}
    wn = default_wordnet(str(root) if root else None)
    everything = {s.offset: s for s in wn.all_synsets()}
    synsets = {o: s for o, s in everything.items() if s.lexname in label_of}
    rng = np.random.default_rng(seed)
    nodes: set[int] = set()
    for lexname in label_of:
        pool = np.array(sorted(o for o, s in synsets.items() if s.lexname == lexname))
        if len(pool) < n_per_class:
            raise ValueError(
                f"{lexname} has {len(pool)} synsets, fewer than n_per_class={n_per_class}"
            )
        nodes.update(int(o) for o in pool[rng.permutation(len(pool))[:n_per_class]])
    if edges == "hypernyms":
        stack = list(nodes)
        while stack:  # close the set under hypernyms inside the chosen supersenses
            for h in synsets[stack.pop()].hypernyms:
                if h in synsets and h not in nodes:
                    nodes.add(h)
                    stack.append(h)
    order = sorted(nodes)
    index = {o: i for i, o in enumerate(order)}
    if edges == "hypernyms":
        pairs = [(index[o], index[h]) for o in order for h in synsets[o].hypernyms if h in index]
    else:
        distance = hypernym_distances({o: s.hypernyms for o, s in everything.items()}, order)
        k = min(n_neighbours, len(order) - 1)
        ranked = np.argsort(distance + 0.5 * rng.random(distance.shape), axis=1)[:, :k]
        rows = np.repeat(np.arange(len(order)), k)
        keep = np.isfinite(distance[rows, ranked.ravel()])
        pairs = np.c_[rows[keep], ranked.ravel()[keep]]
    return TextGraph(
        name="wordnet_supersenses",
        adjacency=edges_to_adjacency(pairs, len(order)),
        texts=[synsets[o].definition for o in order],
        labels=np.array([label_of[synsets[o].lexname] for o in order]),
        class_names=list(spec["class_names"]),
        node_names=[synsets[o].name for o in order],
        node_ids=order,
    )


def load_text_graph(root: str | os.PathLike, name: str = "graph") -> TextGraph:
    """Read a text-attributed graph from a folder (e.g. Cora or arXiv exported with raw texts).

    ``nodes.jsonl``: one JSON object a line with ``text`` and ``label`` (an
    index into the label names or the name), optionally ``name``;
    ``edges.csv`` or ``edges.txt``: one edge a line, two 0-based node
    indices (a header line is skipped); the label names in
    ``label_names.json`` (a list) beside them.
    """
    root = Path(root).expanduser()
    needed = [root / "nodes.jsonl", root / "label_names.json"]
    edge_files = [root / "edges.csv", root / "edges.txt"]
    if not all(p.is_file() for p in needed) or not any(p.is_file() for p in edge_files):
        raise FileNotFoundError(
            f"a text graph folder needs nodes.jsonl, edges.csv (or edges.txt) and "
            f"label_names.json; {root} has {sorted(p.name for p in root.glob('*'))}"
        )
    with open(root / "label_names.json", encoding="utf-8") as f:
        class_names = [str(c) for c in json.load(f)]
    with open(root / "nodes.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    labels = np.array(
        [
            class_names.index(r["label"])
            if isinstance(r["label"], str) and not r["label"].isdigit()
            else int(r["label"])
            for r in rows
        ]
    )
    edges = []
    with open(next(p for p in edge_files if p.is_file()), encoding="utf-8") as f:
        for line in f:
            parts = line.replace(",", " ").split()
            if len(parts) >= 2 and parts[0].lstrip("-").isdigit():
                edges.append((int(parts[0]), int(parts[1])))
    return TextGraph(
        name,
        edges_to_adjacency(edges, len(rows)),
        [str(r["text"]) for r in rows],
        labels,
        class_names,
        [str(r.get("name", i)) for i, r in enumerate(rows)],
        list(range(len(rows))),
    )


def load_graph(
    name: str = "wordnet_supersenses",
    root: str | os.PathLike | None = None,
    n_per_class: int = 100,
    seed: int = 0,
    edges: str = "taxonomy",
    n_neighbours: int = 5,
) -> TextGraph:
    """The pocket WordNet graph (``name="wordnet_supersenses"``, ``root`` an optional WordNet folder,
    ``edges`` and ``n_neighbours`` as in :func:`wordnet_graph`) or, for any other name, the graph
    folder ``root`` read by :func:`load_text_graph` (its own edges)."""
    if name == "wordnet_supersenses":
        return wordnet_graph(n_per_class, seed, root, edges, n_neighbours)
    if not root:
        raise ValueError(
            f"graph={name!r} is not the pocket graph 'wordnet_supersenses'; for any other graph "
            "pass root= (data_root), a folder with nodes.jsonl, edges.csv and label_names.json"
        )
    return load_text_graph(root, name)


def seed_scores(labels, n_seeds: int, n_classes: int | None = None, seed: int = 0):
    """One-hot initial scores on ``n_seeds`` random labelled nodes per class, zero elsewhere.

    Returns
    -------
    initial_scores : (n, C) float array; seed_nodes : (n_seeds * C,) sorted int array
    """
    from zslkit.domains.text import few_shot_indices

    labels = np.asarray(labels)
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    seed_nodes = few_shot_indices(labels, n_seeds, seed)
    Y0 = np.zeros((len(labels), n_classes))
    Y0[seed_nodes, labels[seed_nodes]] = 1.0
    return Y0, seed_nodes


class GraphLabelPropagation(BaseEstimator):
    """Smooth per-node class scores over a given graph: ``F* = (I - alpha S)^-1 Y0``.

    Parameters
    ----------
    alpha : float in [0, 1), how far scores flow (0: not at all)
    class_mass_normalization : bool, divide each column of F* by its sum
        before the argmax (Zhu et al., 2003); needs non-negative scores

    Attributes
    ----------
    scores_ : (n, C) propagated scores; transduction_ : (n,) labels
    """

    def __init__(self, alpha: float = 0.9, class_mass_normalization: bool = False):
        self.alpha = alpha
        self.class_mass_normalization = class_mass_normalization

    def fit(self, adjacency, initial_scores, classes=None) -> "GraphLabelPropagation":
        """Propagate ``initial_scores`` (n, C) over ``adjacency`` (n, n)."""
        Y0 = np.asarray(initial_scores, dtype=float)
        if adjacency.shape != (Y0.shape[0], Y0.shape[0]):
            raise ValueError(
                f"adjacency {adjacency.shape} does not match {Y0.shape[0]} rows of initial_scores"
            )
        if self.class_mass_normalization and Y0.min() < 0:
            raise ValueError(
                "initial_scores must be non-negative with class_mass_normalization=True"
            )
        F = propagate(adjacency, Y0, self.alpha)
        self.scores_ = (
            F / F.sum(axis=0, keepdims=True).clip(1e-300) if self.class_mass_normalization else F
        )
        self.classes_ = np.arange(Y0.shape[1]) if classes is None else np.asarray(list(classes))
        self.transduction_ = self.classes_[np.argmax(self.scores_, axis=1)]
        return self

    def fit_predict(self, adjacency, initial_scores, classes=None) -> np.ndarray:
        """``fit`` then return ``transduction_``."""
        return self.fit(adjacency, initial_scores, classes).transduction_


# ----------------------------------------------------------------------------------------------------------------------
# the chapter's experiments


def check_graph(
    graph: str, data_root: str, n_per_class: int, edges: str, n_neighbours: int
) -> None:
    """Check the graph parameters of the chapter: which graph, and how the pocket graph is built.

    ``graph`` must be ``"wordnet_supersenses"`` unless ``data_root`` names a
    folder (then any name); 1 to 10000 synsets per class; ``edges`` one of
    :data:`EDGE_KINDS`; 1 to 100 neighbours. Raises a ``ValueError`` naming
    the bad value and the valid choices.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    check_choice("graph", graph, ("wordnet_supersenses",) + ((graph,) if data_root else ()))
    check_range("n_per_class", n_per_class, 1, 10000, integer=True)
    check_choice("edges", edges, EDGE_KINDS)
    check_range("n_neighbours", n_neighbours, 1, 100, integer=True)


def rewire_across_classes(adjacency, labels, share: float, seed: int = 0) -> sp.csr_matrix:
    """Move one end of a random ``share`` of the edges to a node of another class.

    Each chosen edge ``(u, v)`` (``u`` the end with the lower index) becomes
    ``(u, w)`` with ``w`` drawn uniformly from the nodes whose label differs
    from ``u``'s. A chosen edge that joined two classes already still
    moves. Edges that land on an existing edge merge, so the edge count can
    drop slightly. The expected homophily falls from ``h`` to
    ``h (1 - share)``; ``share=0`` returns the graph unchanged.

    adjacency : (n, n) symmetric 0/1 matrix; labels : (n,) int array.

    Returns
    -------
    (n, n) symmetric 0/1 csr matrix.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    check_range("share", share, 0.0, 1.0)
    labels = np.asarray(labels)
    upper = sp.triu(sp.csr_matrix(adjacency), k=1).tocoo()
    u, v = upper.row.copy(), upper.col.copy()
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(u))[: int(round(share * len(u)))]
    for e in chosen:
        others = np.flatnonzero(labels != labels[u[e]])
        v[e] = others[rng.integers(len(others))]
    return edges_to_adjacency(np.c_[u, v], len(labels))


def _macro_f1(labels, predictions, n_classes: int, axis: int = -1) -> np.ndarray:
    """Macro F1 along ``axis`` (classes absent from both count 0, as scikit-learn's zero_division=0)."""
    f1 = []
    for c in range(n_classes):
        true_c, pred_c = labels == c, predictions == c
        tp = np.sum(true_c & pred_c, axis=axis)
        wrong = np.sum(true_c ^ pred_c, axis=axis)  # false positives + false negatives
        denominator = 2 * tp + wrong
        f1.append(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0))
    return np.mean(f1, axis=0)


def macro_f1_gap(
    labels,
    predictions_a,
    predictions_b,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Macro F1 of ``a`` minus macro F1 of ``b``, with a paired percentile bootstrap over nodes.

    The nodes are resampled with replacement, the same draw for both
    methods (``scipy.stats.bootstrap(..., paired=True)``), and both macro
    F1s are recomputed on every resample: macro F1 is not a mean over
    nodes, so :func:`zslkit.stats.paired_bootstrap` does not apply.

    labels, predictions_a, predictions_b : (n,) int arrays over the same nodes.

    Returns
    -------
    :class:`zslkit.stats.Interval` (estimate, low, high).

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    from scipy import stats

    check_range("confidence", confidence, 0.5, 0.999)
    check_range("n_resamples", n_resamples, 100, 10**6, integer=True)
    y, a, b = (np.asarray(x).ravel() for x in (labels, predictions_a, predictions_b))
    if not (y.shape == a.shape == b.shape) or y.size < 2:
        raise ValueError(
            f"labels and both predictions need the same length >= 2; got {y.size}, {a.size}, {b.size}"
        )
    n_classes = int(max(y.max(), a.max(), b.max())) + 1

    def gap(y, a, b, axis=-1):
        return _macro_f1(y, a, n_classes, axis) - _macro_f1(y, b, n_classes, axis)

    res = stats.bootstrap(
        (y, a, b),
        gap,
        paired=True,
        vectorized=True,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        batch=500,
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return Interval(
        float(gap(y, a, b)),
        float(ci.low),
        float(ci.high),
        confidence,
        "paired bootstrap over nodes",
    )


def rewiring_sweep(
    adjacency, initial_scores, labels, nodes, shares, alpha: float, seed: int = 0
) -> dict[float, dict]:
    """Text + graph against text alone as a growing share of edges is rewired across classes.

    For each ``share``, :func:`rewire_across_classes` (``seed``) rewires the
    graph, :class:`GraphLabelPropagation` (``alpha``) smooths
    ``initial_scores`` over it, and :func:`macro_f1_gap` compares its
    labels with the text-only argmax on ``nodes``.

    Returns
    -------
    ``{share: {"homophily": float, "text_only": macro F1, "text_graph":
    macro F1, "gap": Interval}}``.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    labels, nodes = np.asarray(labels), np.asarray(nodes)
    initial_scores = np.asarray(initial_scores)
    n_classes = initial_scores.shape[1]
    text_only = initial_scores.argmax(1)[nodes]
    sweep = {}
    for share in shares:
        rewired = rewire_across_classes(adjacency, labels, share, seed)
        smoothed = GraphLabelPropagation(alpha=alpha).fit_predict(rewired, initial_scores)[nodes]
        sweep[share] = {
            "homophily": homophily(rewired, labels),
            "text_only": float(_macro_f1(labels[nodes], text_only, n_classes)),
            "text_graph": float(_macro_f1(labels[nodes], smoothed, n_classes)),
            "gap": macro_f1_gap(labels[nodes], smoothed, text_only, seed=seed),
        }
    return sweep


def f1_on_nodes(labels, predictions: dict, nodes) -> dict[str, dict[str, float]]:
    """Micro and macro F1 of each method's node labels, on the given nodes only.

    predictions : ``{method: (n,) int array}``; nodes : indices of the nodes
    scored (e.g. all but the seed nodes).

    Returns ``{method: {"micro": float, "macro": float}}``
    (:func:`zslkit.domains.text.f1_scores`).

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    from zslkit.domains.text import f1_scores

    labels = np.asarray(labels)
    return {name: f1_scores(labels[nodes], np.asarray(p)[nodes]) for name, p in predictions.items()}


def text_graph_by_source(
    graph: TextGraph,
    spec: dict,
    encoder: str,
    logit_scale: float,
    alpha: float,
    nodes,
    sources=None,
) -> dict[str, tuple[float, float]]:
    """Macro F1 of text only and of text + graph for each label source.

    For each label source (default :data:`zslkit.domains.text.LABEL_SOURCES`;
    ``descriptions`` skipped when ``spec`` has none) the node texts are scored
    by a :class:`zslkit.domains.text.ZeroShotTextClassifier`, turned into
    probabilities ``softmax(logit_scale * cosine)`` and propagated with
    :class:`GraphLabelPropagation` (``alpha``).

    Returns ``{source: (text-only macro F1, text + graph macro F1, gap)}``
    on ``nodes``, the gap (text + graph minus text only) a
    :class:`zslkit.stats.Interval` from :func:`macro_f1_gap`.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    from zslkit.classic import softmax
    from zslkit.domains.text import LABEL_SOURCES, ZeroShotTextClassifier, f1_scores

    labels = graph.labels
    by_source = {}
    for label_source in LABEL_SOURCES if sources is None else sources:
        scorer = ZeroShotTextClassifier(
            encoder, label_source, spec["descriptions"], spec["templates"]
        )
        if label_source == "descriptions" and not spec["descriptions"]:
            continue
        start = softmax(logit_scale * scorer.fit(graph.class_names).decision_function(graph.texts))
        smoothed = GraphLabelPropagation(alpha=alpha).fit_predict(graph.adjacency, start)
        by_source[label_source] = (
            f1_scores(labels[nodes], start.argmax(1)[nodes])["macro"],
            f1_scores(labels[nodes], smoothed[nodes])["macro"],
            macro_f1_gap(labels[nodes], smoothed[nodes], start.argmax(1)[nodes]),
        )
    return by_source


def alpha_curve(adjacency, initial_scores, labels, nodes, alphas) -> list[float]:
    """Macro F1 on ``nodes`` of :class:`GraphLabelPropagation` from ``initial_scores``, per alpha.

    initial_scores : (n, C) float array; alphas : values in [0, 1) (0 keeps the scores).

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    from zslkit.domains.text import f1_scores

    labels = np.asarray(labels)
    return [
        f1_scores(
            labels[nodes],
            GraphLabelPropagation(alpha=a).fit_predict(adjacency, initial_scores)[nodes],
        )["macro"]
        for a in alphas
    ]


def seed_curve(
    adjacency, labels, seed_counts, n_classes: int, alpha: float, seed: int = 0
) -> dict[int, float]:
    """Macro F1 of the graph-only baseline for several numbers of seed nodes per class.

    For each ``k`` in ``seed_counts``, :func:`seed_scores` labels ``k``
    random nodes per class, :class:`GraphLabelPropagation` spreads their
    one-hot scores, and the macro F1 is measured on the other nodes.

    Returns ``{k: macro F1}``.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    from zslkit.domains.text import f1_scores

    labels = np.asarray(labels)
    curve = {}
    for k in seed_counts:
        start, seeds_k = seed_scores(labels, k, n_classes, seed=seed)
        rest = np.setdiff1d(np.arange(len(labels)), seeds_k)
        curve[k] = f1_scores(
            labels[rest],
            GraphLabelPropagation(alpha=alpha).fit_predict(adjacency, start)[rest],
        )["macro"]
    return curve


def changed_nodes(labels, before, after, nodes) -> tuple[list, list]:
    """The nodes a method fixed and the nodes it broke, compared with another.

    Returns ``(fixed, broken)``: the indices in ``nodes`` (in their order)
    where ``before`` was wrong and ``after`` right, and the reverse.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    fixed = [i for i in nodes if before[i] != labels[i] and after[i] == labels[i]]
    broken = [i for i in nodes if before[i] == labels[i] and after[i] != labels[i]]
    return fixed, broken


def describe_nodes(graph: TextGraph, nodes, predicted, n_neighbours: int = 4) -> str:
    """Two lines a node: its name, class, the predicted class and text; then its neighbours.

    ``'<name>' (<class>; text said <predicted class>): <first 70 characters of the text>``
    and ``    neighbours: <first n_neighbours neighbour names>``.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    names = graph.class_names
    lines = []
    for i in nodes:
        neighbours = [graph.node_names[j] for j in graph.adjacency[i].indices][:n_neighbours]
        lines.append(
            f"{graph.node_names[i]!r} ({names[graph.labels[i]]}; text said {names[predicted[i]]}): "
            f"{graph.texts[i][:70]}"
        )
        lines.append(f"    neighbours: {', '.join(neighbours)}")
    return "\n".join(lines)


def accuracy_by_connectivity(
    labels, before, after, degree, nodes
) -> dict[str, tuple[int, float, float]]:
    """Accuracy of two predictions on the isolated and on the connected nodes among ``nodes``.

    degree : (n,) number of neighbours of every node.

    Returns ``{"isolated nodes": (count, accuracy before, accuracy after),
    "connected nodes": (...)}``; a group without nodes is left out.

    Taught in: notebooks/42_graph_zero_shot.ipynb.
    """
    labels, before, after = np.asarray(labels), np.asarray(before), np.asarray(after)
    nodes = np.asarray(nodes)
    groups = {}
    for name, mask in [
        ("isolated nodes", degree[nodes] == 0),
        ("connected nodes", degree[nodes] > 0),
    ]:
        members = nodes[mask]
        if len(members) == 0:
            continue
        groups[name] = (
            len(members),
            float(np.mean(before[members] == labels[members])),
            float(np.mean(after[members] == labels[members])),
        )
    return groups
