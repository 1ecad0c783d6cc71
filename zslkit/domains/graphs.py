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
hierarchy: nodes are synsets of a few supersenses, edges are hypernym
links, the node text is the gloss, the label the supersense.

Taught in: notebooks/42_graph_zero_shot.ipynb.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator

from zslkit.checks import check_range
from zslkit.classic.transductive import normalized_graph, propagate

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


def wordnet_graph(
    n_per_class: int = 100, seed: int = 0, root: str | os.PathLike | None = None
) -> TextGraph:
    """A text-attributed graph cut from WordNet's noun hierarchy.

    The classes and their supersenses come from
    ``data/text/wordnet_supersenses.json``. For each class, ``n_per_class``
    synsets of its supersense are drawn at random (``seed``); every
    hypernym ancestor of a drawn synset that also belongs to one of the
    classes' supersenses is added, so the drawn synsets hang together
    through their more general ancestors. Edges join a synset to its
    hypernyms (and instance hypernyms) inside the node set. Node text: the
    gloss without examples; label: the supersense.
    """
    from zslkit.data.wordnet import default_wordnet
    from zslkit.domains.text import load_label_texts

    check_range("n_per_class", n_per_class, 1, None, integer=True)
    spec = load_label_texts("wordnet_supersenses")
    label_of = {spec["lexnames"][c]: i for i, c in enumerate(spec["class_names"])}
    wn = default_wordnet(str(root) if root else None)
    synsets = {s.offset: s for s in wn.all_synsets() if s.lexname in label_of}
    rng = np.random.default_rng(seed)
    nodes: set[int] = set()
    for lexname in label_of:
        pool = np.array(sorted(o for o, s in synsets.items() if s.lexname == lexname))
        if len(pool) < n_per_class:
            raise ValueError(
                f"{lexname} has {len(pool)} synsets, fewer than n_per_class={n_per_class}"
            )
        nodes.update(int(o) for o in pool[rng.permutation(len(pool))[:n_per_class]])
    stack = list(nodes)
    while stack:  # close the set under hypernyms inside the chosen supersenses
        for h in synsets[stack.pop()].hypernyms:
            if h in synsets and h not in nodes:
                nodes.add(h)
                stack.append(h)
    order = sorted(nodes)
    index = {o: i for i, o in enumerate(order)}
    edges = [(index[o], index[h]) for o in order for h in synsets[o].hypernyms if h in index]
    return TextGraph(
        name="wordnet_supersenses",
        adjacency=edges_to_adjacency(edges, len(order)),
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
) -> TextGraph:
    """The pocket WordNet graph (``name="wordnet_supersenses"``, ``root`` an optional WordNet folder) or,
    for any other name, the graph folder ``root`` read by :func:`load_text_graph`."""
    if name == "wordnet_supersenses":
        return wordnet_graph(n_per_class, seed, root)
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
