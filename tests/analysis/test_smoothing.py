"""Dirichlet energy and MAD against dense numpy computations written from their definitions."""

import networkx as nx
import numpy as np
import pytest

from seqgraph.analysis.smoothing import dirichlet_energy, mad, random_features, smoothing
from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, load_graph
from seqgraph.nn.gcn import gcn_norm


def graph_of(G, directed=False):
    nodes = [str(n) for n in G.nodes]
    pos = {n: i for i, n in enumerate(G.nodes)}
    src = np.array([pos[u] for u, _ in G.edges], np.int64)
    dst = np.array([pos[v] for _, v in G.edges], np.int64)
    return Graph(nodes, src, dst, np.ones(len(src)), directed)


def dense_neighbours(g):
    """N(i) as a dense 0/1 matrix from the edge lists (both directions when undirected)."""
    M = np.zeros((g.num_nodes, g.num_nodes))
    for u, v in zip(g.src, g.dst, strict=True):
        M[u, v] = 1
        if not g.directed:
            M[v, u] = 1
    np.fill_diagonal(M, 0)
    return M


def energy_reference(g, X):
    M = dense_neighbours(g)
    return sum(M[i, j] * np.sum((X[i] - X[j]) ** 2) for i in range(len(X)) for j in range(len(X))) / len(X)


def mad_reference(g, X):
    """Chen et al. 2020: D = 1 − cos over all pairs, masked by neighbours; row means over the
    non-zero entries; the mean over nodes."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    U = np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
    D = np.clip(1 - U @ U.T, 0, 2) * dense_neighbours(g)
    D[np.abs(D) < 1e-12] = 0
    counts = (D > 0).sum(1)
    return np.mean(np.divide(D.sum(1), counts, out=np.zeros(len(X)), where=counts > 0))


@pytest.mark.parametrize("name", ["course-2019", "course-2020", "karate", "les-miserables"])
def test_energy_and_mad_match_the_definitions_on_the_shipped_graphs(name):
    g = load_graph(name)
    X = random_features(g, 5, seed=3)
    assert dirichlet_energy(g, X) == pytest.approx(energy_reference(g, X), rel=1e-12)
    assert mad(g, X) == pytest.approx(mad_reference(g, X), rel=1e-12)


def test_random_graph_and_a_directed_one():
    G = nx.gnm_random_graph(60, 200, seed=1)
    for directed in (False, True):
        g = graph_of(G, directed)
        X = np.random.default_rng(0).standard_normal((60, 4))
        X[7] = 0  # a zero vector: cosine 0, distance 1
        assert dirichlet_energy(g, X) == pytest.approx(energy_reference(g, X), rel=1e-12)
        assert mad(g, X) == pytest.approx(mad_reference(g, X), rel=1e-12)


def test_a_constant_signal_has_no_energy_and_no_mad():
    g = load_graph("karate")
    X = np.tile([1.0, -2.0, 0.5], (g.num_nodes, 1))
    assert dirichlet_energy(g, X) == 0.0
    assert mad(g, X) == 0.0


def test_blocks_do_not_change_the_sum(monkeypatch):
    import seqgraph.analysis.smoothing as sm

    g = load_graph("les-miserables")
    X = random_features(g, 3, seed=1)
    whole = (dirichlet_energy(g, X), mad(g, X))
    monkeypatch.setattr(sm, "BLOCK", 7)  # many blocks, one ending mid-row
    assert (dirichlet_energy(g, X), mad(g, X)) == pytest.approx(whole, rel=1e-12)


def test_smoothing_propagation_rows_are_powers_of_a_hat():
    g = load_graph("course-2020")
    X = random_features(g, 4, seed=2)
    rows = smoothing(g, X, [1, 3], models=()).rows
    A = gcn_norm(g).A_hat.toarray()
    assert [(r["where"], r["step"]) for r in rows] == [("propagation", 0), ("propagation", 1), ("propagation", 3)]
    for r in rows:
        Xk = np.linalg.matrix_power(A, r["step"]) @ X
        assert r["energy"] == pytest.approx(energy_reference(g, Xk), rel=1e-10)
        assert r["sqrt_energy"] == pytest.approx(np.sqrt(r["energy"]))
        assert r["mad"] == pytest.approx(mad_reference(g, Xk), rel=1e-10)


def test_smoothing_layers_of_a_gcn_follow_its_equation():
    """Layer k of the measured GCN is ReLU(Â H W_k + b) with its own weights: recomputed densely."""
    import torch

    from seqgraph.analysis.smoothing import deep_model

    g = load_graph("karate")
    X = random_features(g, 6, seed=0)
    rows = [r for r in smoothing(g, X, [1, 2, 3], models=("gcn", "gat"), seed=5).rows if r["where"] == "gcn"]
    net = deep_model("gcn", 6, 3, 5)
    A = gcn_norm(g).A_hat.toarray()
    H = X
    for r, layer in zip(rows[1:], net.layers, strict=True):
        H = np.maximum(A @ H @ layer.weight.detach().numpy() + layer.bias.detach().numpy(), 0)
        assert r["energy"] == pytest.approx(energy_reference(g, H), rel=1e-9)
    assert torch.is_tensor(net.layers[0].weight)


def test_bad_requests():
    g = load_graph("course-2020")
    X = random_features(g, 2)
    with pytest.raises(GraphError, match="at least 1"):
        smoothing(g, X, [0])
    with pytest.raises(GraphError, match="unknown model"):
        smoothing(g, X, [1], models=("gin",))
    with pytest.raises(GraphError, match="one row per node"):
        dirichlet_energy(g, X[:3])
