"""Graph label propagation against its closed form, scikit-learn's LabelSpreading and hand-made graphs."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.semi_supervised import LabelSpreading

from zslkit.data.wordnet import DEBIAN_ROOT, LEXNAMES, default_wordnet
from zslkit.domains.graphs import (
    GraphLabelPropagation,
    edges_to_adjacency,
    homophily,
    hypernym_distances,
    load_graph,
    load_text_graph,
    macro_f1_gap,
    propagate,
    rewire_across_classes,
    seed_scores,
    wordnet_graph,
)
from zslkit.domains.text import load_label_texts

# two triangles joined by one edge (2-3), plus a pendant node 6 on node 5
EDGES = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (4, 5), (3, 5), (5, 6)]


def _dense_closed_form(A, Y0, alpha):
    d = A.sum(axis=1)
    S = A / np.sqrt(np.outer(d, d))
    return np.linalg.inv(np.eye(len(A)) - alpha * S) @ Y0


def test_edges_to_adjacency_is_symmetric_without_loops_or_duplicates():
    A = edges_to_adjacency([(0, 1), (1, 0), (1, 1), (1, 2)], 4).toarray()
    np.testing.assert_array_equal(A, [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        edges_to_adjacency([(0, 3)], 3)


def test_propagate_equals_dense_inverse_and_fixed_point():
    A = edges_to_adjacency(EDGES, 7)
    Y0 = np.random.default_rng(0).random((7, 3))
    F = propagate(A, Y0, 0.8)
    np.testing.assert_allclose(F, _dense_closed_form(A.toarray(), Y0, 0.8), rtol=1e-10)
    d = A.toarray().sum(axis=1)
    S = A.toarray() / np.sqrt(np.outer(d, d))
    G = np.zeros_like(Y0)
    for _ in range(500):  # F <- alpha S F + Y0
        G = 0.8 * S @ G + Y0
    np.testing.assert_allclose(F, G, rtol=1e-8)


def test_two_seeds_split_two_triangles_and_a_path_is_symmetric():
    A = edges_to_adjacency(EDGES, 7)
    Y0 = np.zeros((7, 2))
    Y0[0, 0] = Y0[4, 1] = 1.0  # node 3 is one hop from 4, two from 0; node 2 the other way round
    assert GraphLabelPropagation(alpha=0.9).fit_predict(A, Y0).tolist() == [0, 0, 0, 1, 1, 1, 1]
    path = edges_to_adjacency([(0, 1), (1, 2), (2, 3), (3, 4)], 5)
    Y0 = np.zeros((5, 2))
    Y0[0, 0] = Y0[4, 1] = 1.0
    F = propagate(path, Y0, 0.9)
    assert F[1, 0] > F[1, 1] and F[3, 1] > F[3, 0]
    assert F[2, 0] == pytest.approx(F[2, 1])  # the middle node is equally far from both seeds


def test_same_labels_as_sklearn_label_spreading():
    rng = np.random.default_rng(1)
    n = 40
    labels = np.repeat([0, 1], n // 2)
    # a two-community graph: dense inside, a few edges across, connected
    edges = [
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if rng.random() < (0.25 if labels[i] == labels[j] else 0.02)
    ]
    edges += [(i, i + 1) for i in range(n - 1)]
    A = edges_to_adjacency(edges, n).toarray()
    Y0, seeds = seed_scores(labels, 2, seed=0)
    ours = GraphLabelPropagation(alpha=0.7).fit_predict(A, Y0)
    y = np.full(n, -1)
    y[seeds] = labels[seeds]
    spreading = LabelSpreading(
        kernel=lambda X, Y: A[np.ix_(X[:, 0].astype(int), Y[:, 0].astype(int))],
        alpha=0.7,
        max_iter=1000,
        tol=1e-12,
    )
    spreading.fit(np.arange(n)[:, None].astype(float), y)
    np.testing.assert_array_equal(ours, spreading.transduction_)
    F = propagate(A, Y0, 0.7)
    np.testing.assert_allclose(
        spreading.label_distributions_, F / F.sum(axis=1, keepdims=True), atol=1e-8
    )


def test_class_mass_normalisation_and_input_checks():
    A = edges_to_adjacency(EDGES, 7)
    Y0 = np.random.default_rng(2).random((7, 2))
    model = GraphLabelPropagation(alpha=0.5, class_mass_normalization=True).fit(
        A, Y0, classes=[5, 9]
    )
    F = propagate(A, Y0, 0.5)
    np.testing.assert_allclose(model.scores_, F / F.sum(axis=0))
    assert set(model.transduction_) <= {5, 9}
    with pytest.raises(ValueError, match="non-negative"):
        model.fit(A, Y0 - 1)
    with pytest.raises(ValueError, match="does not match"):
        model.fit(A, Y0[:3])
    with pytest.raises(ValueError, match="singular"):
        propagate(A, Y0, 1.0)


def test_homophily_and_seed_scores():
    assert homophily(edges_to_adjacency(EDGES, 7), [0, 0, 0, 1, 1, 1, 0]) == pytest.approx(6 / 8)
    Y0, seeds = seed_scores(np.array([0, 0, 1, 1, 1, 2, 2]), 2, seed=0)
    assert len(seeds) == 6 and Y0.sum() == 6 and Y0[seeds].sum(axis=1).tolist() == [1.0] * 6
    assert Y0[np.setdiff1d(np.arange(7), seeds)].sum() == 0


def _write_fake_wordnet(folder):
    """Per supersense of the pocket graph a root and a child synset; the food child is also a kind of plant root."""
    lexnames = load_label_texts("wordnet_supersenses")["lexnames"]
    header = "  1 fake WordNet\n"
    lines, offset, roots = [], len(header), {}
    template = "{off:08d} {lex:02d} n 01 {word} 0 {ptrs} | {gloss}  \n"
    for name, lexname in lexnames.items():  # roots first so children can point at their offsets
        line = template.format(
            off=offset,
            lex=LEXNAMES.index(lexname),
            word=f"{name}_root",
            ptrs="000",
            gloss=f"the root of {name}",
        )
        roots[name] = offset
        lines.append(line)
        offset += len(line)
    for name, lexname in lexnames.items():
        hyper = [roots[name]] + ([roots["plant"]] if name == "food" else [])
        ptrs = f"{len(hyper):03d} " + " ".join(f"@ {h:08d} n 0000" for h in hyper)
        line = template.format(
            off=offset,
            lex=LEXNAMES.index(lexname),
            word=f"{name}_child",
            ptrs=ptrs,
            gloss=f"a kind of {name}",
        )
        lines.append(line)
        offset += len(line)
    (folder / "data.noun").write_text(header + "".join(lines))
    (folder / "index.noun").write_text(header)
    return lexnames


def test_wordnet_graph_on_a_hand_made_database(tmp_path):
    lexnames = _write_fake_wordnet(tmp_path)
    names = list(lexnames)
    graph = wordnet_graph(n_per_class=2, seed=0, root=tmp_path, edges="hypernyms")  # all drawn
    assert len(graph) == 16 and graph.n_edges == 9 and graph.n_components == 7  # food joins plant
    assert homophily(graph.adjacency, graph.labels) == pytest.approx(8 / 9)
    node = {n: i for i, n in enumerate(graph.node_names)}
    assert graph.texts[node["food child"]] == "a kind of food"
    assert graph.labels[node["food child"]] == names.index("food")
    A = graph.adjacency.toarray()
    assert (
        A[node["food child"], node["plant root"]] == 1
        and A[node["food child"], node["food root"]] == 1
    )
    small = wordnet_graph(n_per_class=1, seed=0, root=tmp_path, edges="hypernyms")
    # a drawn child brings its root along: every class has 1 or 2 nodes, at least 8 and at most 16 in all
    assert (
        all(1 <= c <= 2 for c in np.bincount(small.labels, minlength=8)) and 8 <= len(small) <= 16
    )
    allowed = [{f"{n} child", f"{n} root"} for n in names] + [{"food child", "plant root"}]
    for i, j in zip(*np.nonzero(small.adjacency.toarray())):
        assert {small.node_names[i], small.node_names[j]} in allowed
    default_wordnet.cache_clear()


@pytest.mark.skipif(not (DEBIAN_ROOT / "data.noun").exists(), reason="WordNet not installed")
def test_real_wordnet_graph_edges_are_hypernym_links():
    graph = wordnet_graph(n_per_class=5, seed=1, edges="hypernyms")
    wn = default_wordnet()
    lexnames = load_label_texts("wordnet_supersenses")["lexnames"]
    assert graph.n_edges > 0 and homophily(graph.adjacency, graph.labels) > 0.9
    for i, offset in enumerate(graph.node_ids):
        synset = wn.synset(offset)
        assert graph.texts[i] == synset.definition
        assert lexnames[graph.class_names[graph.labels[i]]] == synset.lexname
    for i, j in zip(*np.nonzero(graph.adjacency.toarray())):
        a, b = wn.synset(graph.node_ids[i]), wn.synset(graph.node_ids[j])
        assert b.offset in a.hypernyms or a.offset in b.hypernyms


def test_load_text_graph_folder(tmp_path):
    (tmp_path / "nodes.jsonl").write_text(
        "".join(json.dumps({"text": f"paper {i}", "label": i % 2}) + "\n" for i in range(4))
    )
    (tmp_path / "edges.csv").write_text("source,target\n0,2\n1,3\n2,0\n")
    (tmp_path / "label_names.json").write_text('["theory", "systems"]')
    graph = load_graph("toy", root=tmp_path)
    assert (
        graph.n_edges == 2
        and graph.labels.tolist() == [0, 1, 0, 1]
        and graph.class_names == ["theory", "systems"]
    )
    with pytest.raises(FileNotFoundError, match="nodes.jsonl"):
        load_text_graph(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="pocket graph"):
        load_graph("cora")


def _two_triangles():
    """The EDGES graph (7 nodes) with labels 0 0 0 1 1 1 1 and hand-made scores."""
    from zslkit.domains.graphs import TextGraph

    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    names = [f"n{i}" for i in range(7)]
    return TextGraph(
        "toy",
        edges_to_adjacency(EDGES, 7),
        [f"text {i}" for i in range(7)],
        labels,
        ["cat", "dog"],
        names,
        list(range(7)),
    )


def test_f1_on_nodes_equals_sklearn_on_the_subset():
    from sklearn.metrics import f1_score

    from zslkit.domains.graphs import f1_on_nodes

    labels = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 0, 2])
    nodes = np.array([1, 2, 4, 5])
    out = f1_on_nodes(labels, {"m": p}, nodes)
    assert out["m"]["macro"] == pytest.approx(
        f1_score(labels[nodes], p[nodes], average="macro", zero_division=0)
    )
    assert out["m"]["micro"] == pytest.approx(2 / 4)  # nodes 2 and 5 right


def test_alpha_curve_and_seed_curve_equal_dense_closed_forms():
    from sklearn.metrics import f1_score

    from zslkit.domains.graphs import alpha_curve, seed_curve

    g = _two_triangles()
    A = g.adjacency.toarray().astype(float)
    Y0 = np.array(
        [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.1, 0.9], [0.4, 0.6], [0.5, 0.5]]
    )
    nodes = np.arange(7)
    alphas = [0.0, 0.5, 0.9]
    expected = [
        f1_score(g.labels, _dense_closed_form(A, Y0, a).argmax(1), average="macro", zero_division=0)
        for a in alphas
    ]
    assert alpha_curve(g.adjacency, Y0, g.labels, nodes, alphas) == pytest.approx(expected)
    curve = seed_curve(g.adjacency, g.labels, [1], 2, alpha=0.9, seed=0)
    start, seeds = seed_scores(g.labels, 1, 2, seed=0)
    rest = np.setdiff1d(nodes, seeds)
    predicted = _dense_closed_form(A, start, 0.9).argmax(1)
    assert curve == {
        1: pytest.approx(
            f1_score(g.labels[rest], predicted[rest], average="macro", zero_division=0)
        )
    }


def test_changed_nodes_and_connectivity_by_hand():
    from zslkit.domains.graphs import accuracy_by_connectivity, changed_nodes

    labels = np.array([0, 1, 1, 0, 1])
    before = np.array([1, 1, 0, 0, 1])
    after = np.array([0, 0, 1, 0, 1])
    # node 0 and 2 fixed, node 1 broken; node 4 was not asked about
    assert changed_nodes(labels, before, after, [0, 1, 2, 3]) == ([0, 2], [1])
    degree = np.array([0, 2, 1, 0, 3])
    groups = accuracy_by_connectivity(labels, before, after, degree, np.array([0, 1, 2, 3]))
    assert groups == {"isolated nodes": (2, 0.5, 1.0), "connected nodes": (2, 0.5, 0.5)}
    assert list(accuracy_by_connectivity(labels, before, after, degree, np.array([1]))) == [
        "connected nodes"
    ]


def test_describe_nodes_names_class_prediction_text_and_neighbours():
    from zslkit.domains.graphs import describe_nodes

    g = _two_triangles()
    predicted = np.array([1, 0, 0, 0, 1, 1, 1])
    expected = "'n0' (cat; text said dog): text 0\n    neighbours: n1, n2"
    assert describe_nodes(g, [0], predicted) == expected


def test_text_graph_by_source_equals_scoring_and_propagating_by_hand():
    from sklearn.metrics import f1_score

    from zslkit.classic import softmax
    from zslkit.domains.graphs import text_graph_by_source
    from zslkit.domains.text import ZeroShotTextClassifier

    g = _two_triangles()
    g.texts[:] = ["cat cat", "cat word", "cat", "dog", "dog dog", "cat dog", "dog word"]
    spec = {"descriptions": None, "templates": ["{} here"]}
    nodes = np.arange(7)
    out = text_graph_by_source(g, spec, "tfidf", 10.0, 0.5, nodes)
    assert list(out) == ["names", "templates"]  # no descriptions in spec
    A = g.adjacency.toarray().astype(float)
    for source, (before, after, gap) in out.items():
        clf = ZeroShotTextClassifier("tfidf", source, None, spec["templates"]).fit(["cat", "dog"])
        start = softmax(10.0 * clf.decision_function(g.texts))
        smoothed = _dense_closed_form(A, start, 0.5).argmax(1)
        assert before == pytest.approx(f1_score(g.labels, start.argmax(1), average="macro"))
        assert after == pytest.approx(f1_score(g.labels, smoothed, average="macro"))
        assert gap.estimate == pytest.approx(after - before) and gap.low <= gap.high


def test_hypernym_distances_equal_networkx_path_lengths_on_a_tree():
    import networkx as nx

    tree = nx.random_labeled_tree(30, seed=3)  # undirected; root it at 0
    parent = {v: u for u, v in nx.bfs_edges(tree, 0)}
    hypernyms = {v: (u,) for v, u in parent.items()}
    nodes = [4, 9, 0, 17, 23, 29]
    D = hypernym_distances(hypernyms, nodes)
    for i, u in enumerate(nodes):
        for j, v in enumerate(nodes):
            expected = np.inf if i == j else nx.shortest_path_length(tree, u, v)
            assert D[i, j] == expected
    # two roots share no ancestor; a node with two hypernyms takes the shorter way
    D = hypernym_distances({1: (0,), 2: (0, 1), 3: (1,), 5: (4,)}, [2, 3, 5])
    assert D[0, 1] == 2 and np.isinf(D[0, 2]) and np.isinf(D[1, 2])


def test_taxonomy_graph_links_nearest_synsets_without_looking_at_labels(tmp_path):
    _write_fake_wordnet(tmp_path)
    graph = wordnet_graph(n_per_class=2, seed=0, root=tmp_path, n_neighbours=1)
    names = graph.node_names
    # each child's nearest synset is its root (1 step; the food child also has the plant root
    # at 1 step), each root's nearest is a child of its own
    for i, j in zip(*np.nonzero(graph.adjacency.toarray())):
        pair = {names[i].split()[0], names[j].split()[0]}
        assert pair in [{n} for n in ("animal", "artifact", "body", "food", "location")] + [
            {n} for n in ("person", "plant", "time")
        ] + [{"food", "plant"}]
    assert all(graph.adjacency[i].nnz >= 1 for i in range(len(graph)))
    wide = wordnet_graph(n_per_class=2, seed=0, root=tmp_path, n_neighbours=5)
    roots = [i for i, n in enumerate(wide.node_names) if n.endswith("root")]
    A = wide.adjacency.toarray()
    assert A[np.ix_(roots, roots)].sum() == 0  # roots share no ancestor: never linked
    with pytest.raises(ValueError, match="edges"):
        wordnet_graph(n_per_class=2, root=tmp_path, edges="labels")
    default_wordnet.cache_clear()


def test_rewiring_moves_the_chosen_share_across_classes():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    edges = [(i, j) for i in range(60) for j in range(i + 1, 60) if labels[i] == labels[j]]
    edges = [e for e in edges if rng.random() < 0.3]
    A = edges_to_adjacency(edges, 60)
    assert homophily(A, labels) == 1.0
    np.testing.assert_array_equal(rewire_across_classes(A, labels, 0.0).toarray(), A.toarray())
    assert homophily(rewire_across_classes(A, labels, 1.0, seed=1), labels) == 0.0
    half = rewire_across_classes(A, labels, 0.5, seed=2)
    kept = A.multiply(half)  # the edges left in place
    moved = int(round(0.5 * A.nnz // 2))
    assert kept.nnz // 2 == A.nnz // 2 - moved
    same = sp.triu(half, k=1).tocoo()
    assert np.sum(labels[same.row] == labels[same.col]) == kept.nnz // 2
    with pytest.raises(ValueError, match="share"):
        rewire_across_classes(A, labels, 1.5)


def test_macro_f1_gap_against_sklearn_and_a_hand_bootstrap():
    from sklearn.metrics import f1_score

    from zslkit.domains.graphs import _macro_f1

    rng = np.random.default_rng(0)
    y = rng.integers(4, size=300)
    a = np.where(rng.random(300) < 0.8, y, rng.integers(4, size=300))
    b = np.where(rng.random(300) < 0.6, y, rng.integers(4, size=300))
    idx = rng.integers(300, size=(50, 300))
    np.testing.assert_allclose(
        _macro_f1(y[idx], a[idx], 4),
        [f1_score(y[i], a[i], average="macro", zero_division=0) for i in idx],
    )
    gap = macro_f1_gap(y, a, b, n_resamples=2000, seed=0)
    f1 = lambda p, i: f1_score(y[i], p[i], average="macro", zero_division=0)  # noqa: E731
    assert gap.estimate == pytest.approx(f1(a, slice(None)) - f1(b, slice(None)))
    draws = [f1(a, i) - f1(b, i) for i in rng.integers(300, size=(1000, 300))]
    low, high = np.percentile(draws, [2.5, 97.5])
    assert gap.low == pytest.approx(low, abs=0.02) and gap.high == pytest.approx(high, abs=0.02)
    same = macro_f1_gap(y, a, a)
    assert same.estimate == same.low == same.high == 0.0
    with pytest.raises(ValueError, match="same length"):
        macro_f1_gap(y, a[:10], b)


def test_check_graph_names_the_bad_value():
    from zslkit.domains.graphs import check_graph

    check_graph("wordnet_supersenses", "", 100, "taxonomy", 5)
    check_graph("cora", "/some/folder", 100, "taxonomy", 5)  # any name with a folder
    with pytest.raises(ValueError, match="wordnet_supersenses"):
        check_graph("cora", "", 100, "taxonomy", 5)
    with pytest.raises(ValueError, match="hypernyms"):
        check_graph("wordnet_supersenses", "", 100, "knn", 5)
    with pytest.raises(ValueError, match="n_neighbours"):
        check_graph("wordnet_supersenses", "", 100, "taxonomy", 0)
