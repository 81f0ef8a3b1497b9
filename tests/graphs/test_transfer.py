"""The graph-transfer generators against their definition (Di Giovanni et al. 2023)."""

import networkx as nx
import numpy as np
import pytest

from seqgraph.analysis.hops import hops_between
from seqgraph.analysis.resistance import resistances
from seqgraph.errors import ConfigError
from seqgraph.graphs.transfer import FAMILIES, transfer_features, transfer_graph, transfer_labels


def to_nx(tg):
    G = nx.Graph()
    G.add_nodes_from(range(tg.graph.num_nodes))
    G.add_edges_from(zip(tg.graph.src.tolist(), tg.graph.dst.tolist(), strict=True))
    return G


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("r", [3, 4, 7, 10])
def test_source_and_target_are_r_hops_apart(family, r):
    tg = transfer_graph(family, r)
    g = tg.graph
    assert tg.distance == r
    assert hops_between(g, g.nodes[tg.source], g.nodes[tg.target]) == r
    assert nx.shortest_path_length(to_nx(tg), tg.source, tg.target) == r
    assert nx.is_connected(to_nx(tg))


def test_ring_and_clique_path_shapes():
    ring = to_nx(transfer_graph("ring", 5))
    assert ring.number_of_nodes() == 10 and all(d == 2 for _, d in ring.degree())
    cp = transfer_graph("clique-path", 5)  # 8 nodes: a clique on 0..3, a path 4..7
    G = to_nx(cp)
    assert G.number_of_nodes() == 8
    assert all(G.has_edge(i, j) for i in range(4) for j in range(i + 1, 4))
    assert [G.degree(v) for v in range(4, 8)] == [2, 2, 2, 1]
    assert cp.target == 0 and cp.source == 7


def test_crosses_add_paths_not_shortcuts():
    r = 6
    ring, crossed = transfer_graph("ring", r), transfer_graph("crossed-ring", r)
    G = to_nx(crossed)
    assert G.number_of_edges() > to_nx(ring).number_of_edges()
    n = 2 * r
    for i in range(r):  # the repository's rungs
        assert G.has_edge(i, n - 1 - i)
        if n + 1 - i < n:
            assert G.has_edge(i, n + 1 - i)
    def between(tg):
        return resistances(tg.graph, [(str(tg.source), str(tg.target))]).pairs[0][2]

    assert between(crossed) < between(ring) == pytest.approx(r / 2)  # two paths of r in parallel


def test_features_and_labels():
    tg = transfer_graph("ring", 4)
    y = np.array([0, 3, 4])
    x = transfer_features(tg, y, 5)
    assert x.shape == (3, 8, 5)
    assert (x[:, tg.target] == 0).all()
    assert (x[np.arange(3), tg.source] == np.eye(5)[y]).all()
    others = [v for v in range(8) if v not in (tg.source, tg.target)]
    assert (x[:, others] == 1).all()
    labels = transfer_labels(10_000, 5)
    assert np.bincount(labels).tolist() == [2000] * 5


@pytest.mark.parametrize("family, r", [("ring", 1), ("clique-path", 2), ("crossed-ring", 501), ("star", 3)])
def test_impossible_distances_are_refused(family, r):
    with pytest.raises(ConfigError):
        transfer_graph(family, r)
