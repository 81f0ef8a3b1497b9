"""One GCN layer and one GAT head on a graph, against dense numpy formulas."""

import numpy as np
import pytest
import torch

from seqgraph.errors import GraphError
from seqgraph.graphs import load_graph
from seqgraph.graphs.layer import gcn_layer_forward

COURSE = "course-2020"  # the shipped example graph, by name


def course_a_hat(g):
    """Â = D̃^-1/2 (A + I) D̃^-1/2 of a graph without self-loops, dense."""
    At = g.adjacency().toarray() + np.eye(g.num_nodes)
    d = At.sum(1)
    return At / np.sqrt(np.outer(d, d))


def test_gcn_layer_equals_dense_formula(tmp_path):
    g = load_graph(COURSE)
    X = np.random.default_rng(0).normal(size=(6, 3))
    feats = tmp_path / "x.csv"
    lines = [f"{n}," + ",".join(repr(float(v)) for v in row) for n, row in zip(g.nodes, X, strict=True)]
    feats.write_text("node,a,b,c\n" + "\n".join(lines))
    W = np.random.default_rng(1).normal(size=(3, 2))
    wf = tmp_path / "w.csv"
    np.savetxt(wf, W, delimiter=",")
    res = gcn_layer_forward(g, features=feats, weights=wf, activation="tanh")
    Ah = course_a_hat(g)
    np.testing.assert_allclose(res.H, np.tanh(Ah @ X @ W), rtol=1e-12)
    seeded = gcn_layer_forward(g, out_dim=3, seed=5)
    again = gcn_layer_forward(g, out_dim=3, seed=5)
    np.testing.assert_array_equal(seeded.H, again.H)
    np.testing.assert_allclose(seeded.H, np.maximum(Ah @ np.eye(6) @ seeded.W, 0), rtol=1e-12)


def test_gat_attention_is_a_masked_softmax():
    g = load_graph(COURSE)
    res = gcn_layer_forward(g, out_dim=2, seed=3, gat=True, activation="none")
    from seqgraph.nn.gcn import GATLayer

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        head = GATLayer(6, 2).double()  # same seed → same parameters
    Wh = np.eye(6) @ head.weight.detach().numpy()
    a_dst, a_src = head.att_dst.detach().numpy(), head.att_src.detach().numpy()
    At = g.adjacency().toarray() + np.eye(6)  # Ã: the neighbourhoods and the node itself
    e = (Wh @ a_dst)[:, None] + (Wh @ a_src)[None, :]
    e = np.where(e > 0, e, 0.2 * e)
    e = np.where(At > 0, e, -np.inf)
    alpha = np.exp(e - e.max(1, keepdims=True))
    alpha /= alpha.sum(1, keepdims=True)
    for item in res.attention:
        assert item["alpha"] == pytest.approx(alpha[g.index(item["i"]), g.index(item["j"])])
    np.testing.assert_allclose(res.H, alpha @ Wh, rtol=1e-10)


def test_layer_errors(tmp_path):
    g = load_graph(COURSE)
    with pytest.raises(GraphError, match="unknown activation"):
        gcn_layer_forward(g, activation="gelu")
    wf = tmp_path / "w.csv"
    wf.write_text("1,2\n3,4\n")
    with pytest.raises(GraphError, match="has 2 rows"):
        gcn_layer_forward(g, weights=wf)
    neg = tmp_path / "neg.txt"
    neg.write_text("a b -3\n")
    with pytest.raises(GraphError, match="non-negative degrees"):  # a GAT head refuses it too
        gcn_layer_forward(load_graph(neg), gat=True)


@pytest.mark.parametrize("gat", [False, True])
def test_the_global_random_state_is_left_as_it_was(gat):
    """W (and a) come from the seed, drawn inside fork_rng: the caller's torch random state is
    untouched, and what it draws next does not change the layer."""
    g = load_graph(COURSE)
    before = torch.get_rng_state()
    first = gcn_layer_forward(g, out_dim=3, seed=5, gat=gat)
    assert torch.equal(torch.get_rng_state(), before)
    torch.rand(10)  # the caller draws: the next layer is the same
    np.testing.assert_array_equal(gcn_layer_forward(g, out_dim=3, seed=5, gat=gat).W, first.W)
    assert not np.array_equal(gcn_layer_forward(g, out_dim=3, seed=6, gat=gat).W, first.W)


def path_with_a_zero_edge(tmp_path, directed=False):
    """A – B – C – D, the middle edge of weight 0 (an edge list as a user writes it)."""
    f = tmp_path / "g.txt"
    f.write_text("A B 1\nB C 0\nC D 1\n")
    return load_graph(f, directed=directed)


def test_gat_neighbourhoods_hold_edges_of_weight_0(tmp_path):
    """GAT reads no weights: B attends to A, itself and C (the weight-0 edge was dropped with Ã's
    zeros, so B and C never attended to each other)."""
    g = path_with_a_zero_edge(tmp_path)
    res = gcn_layer_forward(g, out_dim=2, seed=3, gat=True, activation="none")
    pairs = {(a["i"], a["j"]) for a in res.attention}
    assert pairs == {("A", "A"), ("A", "B"), ("B", "A"), ("B", "B"), ("B", "C"), ("C", "B"), ("C", "C"),
                     ("C", "D"), ("D", "C"), ("D", "D")}
    for node in g.nodes:
        assert sum(a["alpha"] for a in res.attention if a["i"] == node) == pytest.approx(1.0)
    d = path_with_a_zero_edge(tmp_path, directed=True)  # rows receive: B hears A and itself, C hears B
    pairs = {(a["i"], a["j"]) for a in gcn_layer_forward(d, out_dim=2, gat=True).attention}
    assert ("C", "B") in pairs and ("B", "C") not in pairs
