"""Effective resistance and the Kirchhoff index against networkx."""

import networkx as nx
import numpy as np
import pytest

from seqgraph.analysis.resistance import kirchhoff_index, pseudo_inverse, resistances
from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, load_graph


def to_nx(g):
    G = nx.Graph()
    G.add_nodes_from(g.nodes)
    for u, v, w in zip(g.src, g.dst, g.weight, strict=True):
        if u != v:
            G.add_edge(g.nodes[u], g.nodes[v], weight=float(w))
    return G


def graph_of(G, weighted=False, seed=0):
    nodes = [str(n) for n in G.nodes]
    pos = {n: i for i, n in enumerate(G.nodes)}
    src = np.array([pos[u] for u, _ in G.edges], np.int64)
    dst = np.array([pos[v] for _, v in G.edges], np.int64)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, len(src)) if weighted else np.ones(len(src))
    return Graph(nodes, src, dst, w)


def nx_resistance(G, u, v):
    return nx.resistance_distance(G, u, v, weight="weight", invert_weight=False)


@pytest.mark.parametrize("name", ["course-2019", "course-2020", "karate", "les-miserables"])
def test_shipped_graphs_against_networkx(name):
    g = load_graph(name)
    G = to_nx(g)
    res = resistances(g)
    assert res.method.startswith("exact")
    got = {(u, v): r for u, v, r in res.pairs}
    assert len(got) == g.num_nodes * (g.num_nodes - 1) // 2
    rng = np.random.default_rng(0)
    for u, v in [tuple(p) for p in rng.choice(g.nodes, size=(12, 2))]:
        if u != v:
            key = (u, v) if (u, v) in got else (v, u)
            assert got[key] == pytest.approx(nx_resistance(G, u, v), rel=1e-9)
    assert res.kirchhoff == pytest.approx(nx.effective_graph_resistance(G, weight="weight", invert_weight=False),
                                          rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_weighted_graphs_exact_and_sparse_agree_with_networkx(seed):
    G = nx.connected_watts_strogatz_graph(80, 4, 0.3, seed=seed)
    g = graph_of(G, weighted=True, seed=seed)
    Gn = to_nx(g)
    pairs = [("0", "40"), ("3", "77"), ("10", "11"), ("5", "5")]
    exact = resistances(g, pairs, "exact")
    sparse = resistances(g, pairs, "sparse")
    assert sparse.method.startswith("sparse") and sparse.kirchhoff is None
    for (u, v, a), (_, _, b) in zip(exact.pairs, sparse.pairs, strict=True):
        ref = 0.0 if u == v else nx_resistance(Gn, u, v)
        assert a == pytest.approx(ref, rel=1e-9, abs=1e-12) and b == pytest.approx(ref, rel=1e-9, abs=1e-12)
    assert kirchhoff_index(g) == pytest.approx(nx.effective_graph_resistance(Gn, weight="weight",
                                                                            invert_weight=False), rel=1e-9)


def test_pseudo_inverse_is_the_moore_penrose_one():
    g = load_graph("karate")
    L = nx.laplacian_matrix(to_nx(g), weight="weight").toarray()
    assert np.allclose(pseudo_inverse(g), np.linalg.pinv(L), atol=1e-10)


def test_disconnected_graphs_say_infinite():
    g = Graph(list("abcd"), np.array([0, 2]), np.array([1, 3]), np.ones(2))
    for method in ("exact", "sparse"):
        res = resistances(g, [("a", "b"), ("a", "c")], method)
        assert res.pairs[0][2] == pytest.approx(1.0)
        assert res.pairs[1][2] == float("inf")
        assert res.components == 2
    assert kirchhoff_index(g) == float("inf")


def test_bad_requests():
    g = load_graph("course-2020")
    with pytest.raises(GraphError, match="unknown node"):
        resistances(g, [("A", "Z")])
    with pytest.raises(GraphError, match="give --pairs"):
        resistances(g, None, "sparse")
    directed = Graph(list("ab"), np.array([0]), np.array([1]), np.ones(1), directed=True)
    with pytest.raises(GraphError, match="undirected"):
        resistances(directed, [("a", "b")])
