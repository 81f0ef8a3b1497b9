"""gcn_norm against dense numpy and PyG's formula; the GCN layer on the CSR propagation matrix,
against dense numpy by hand."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqgraph.errors import GraphError
from seqgraph.graphs import Graph, load_graph
from seqgraph.nn.gcn import GCN, GCNLayer, gcn_norm, propagate, sparse_propagation

COURSE = "course-2020"  # the shipped example graph, by name


def random_hat(n=40, density=0.15, seed=0):
    """A random sparse (N, N) matrix with repeated entries and empty rows, as scipy COO."""
    rng = np.random.default_rng(seed)
    m = int(n * n * density)
    rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
    rows[rows == 7] = 8  # row 7 empty
    return sp.coo_array((rng.normal(size=m), (rows, cols)), shape=(n, n))


def test_sparse_propagation_is_csr_with_scipys_values():
    A = random_hat()
    t = sparse_propagation(A, dtype=torch.float64)
    assert t.layout == torch.sparse_csr and t.shape == (40, 40) and t.dtype == torch.float64
    np.testing.assert_array_equal(t.to_dense().numpy(), A.toarray())  # repeats summed, as A.toarray()


@pytest.mark.parametrize("activation", ["relu", "tanh", "none"])
def test_gcn_layer_on_csr_equals_dense_by_hand(activation):
    A = random_hat(seed=1)
    X = np.random.default_rng(2).normal(size=(40, 5))
    torch.manual_seed(0)
    layer = GCNLayer(5, 3, activation=activation).double()
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([0.5, -0.25, 1.0]))
        H = layer(torch.from_numpy(X), sparse_propagation(A, dtype=torch.float64)).numpy()
    W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    Z = A.toarray() @ X @ W + b
    want = {"relu": np.maximum(Z, 0), "tanh": np.tanh(Z), "none": Z}[activation]
    np.testing.assert_allclose(H, want, rtol=1e-12, atol=1e-12)


def test_gradients_through_csr_equal_the_chain_rule_by_hand():
    """L = Σ G ⊙ (Â X W + b): dL/dW = (Â X)ᵀ G, dL/db = Σ_rows G, dL/dX = Âᵀ G Wᵀ."""
    A = random_hat(seed=3)
    rng = np.random.default_rng(4)
    X, G = rng.normal(size=(40, 6)), rng.normal(size=(40, 4))
    layer = GCNLayer(6, 4, activation="none").double()
    x = torch.from_numpy(X).requires_grad_()
    (layer(x, sparse_propagation(A, dtype=torch.float64)) * torch.from_numpy(G)).sum().backward()
    Ad, W = A.toarray(), layer.weight.detach().numpy()
    np.testing.assert_allclose(layer.weight.grad.numpy(), (Ad @ X).T @ G, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), G.sum(0), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), Ad.T @ G @ W.T, rtol=1e-10, atol=1e-12)


def test_backward_keeps_the_transpose_and_matches_torchs_own():
    """propagate's backward multiplies by a CSR Âᵀ built once; torch's @ (which re-sorts Âᵀ every
    time) gives the same gradient, every time."""
    A = sparse_propagation(random_hat(seed=6), dtype=torch.float64)
    G = torch.from_numpy(np.random.default_rng(7).normal(size=(40, 3)))
    grads = []
    for product in (propagate, propagate, lambda A, h: A @ h):
        h = torch.ones(40, 3, dtype=torch.float64, requires_grad=True)
        (product(A, h) * G).sum().backward()
        grads.append(h.grad)
    assert A._seqgraph_transposed.layout == torch.sparse_csr
    np.testing.assert_array_equal(A._seqgraph_transposed.to_dense().numpy(), random_hat(seed=6).toarray().T)
    np.testing.assert_allclose(grads[0].numpy(), random_hat(seed=6).toarray().T @ G.numpy(), rtol=1e-12)
    assert torch.equal(grads[0], grads[1]) and torch.allclose(grads[0], grads[2], rtol=1e-12)


def test_gradcheck_and_a_training_step():
    A = sparse_propagation(random_hat(n=12, density=0.3, seed=5), dtype=torch.float64)
    h = torch.randn(12, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h: propagate(A, h), (h,))
    torch.manual_seed(0)
    model = GCN(12, 8, 2, dropout=0.0).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    y = torch.arange(12) % 2
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.eye(12, dtype=torch.float64), A), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_csr_prints_no_library_warning():
    """torch calls CSR "beta" once per process; the user must not see it (the fuzz contract)."""
    code = ("import torch, scipy.sparse as sp\n"
            "from seqgraph.nn.gcn import GCNLayer, sparse_propagation\n"
            "A = sparse_propagation(sp.eye_array(4))\n"
            "GCNLayer(3, 2)(torch.ones(4, 3), A).sum().backward()\n")
    r = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr


# --- gcn_norm: A, Ã = A + I, Â ------------------------------------------------------------------

def dense_hat(A, self_loops=True):
    """The textbook formula, by hand, with dense numpy."""
    At = A + np.eye(len(A)) if self_loops else A.copy()
    d = At.sum(1)
    Dm = np.diag([x ** -0.5 if x > 0 else 0.0 for x in d])
    return At, Dm @ At @ Dm


def pyg_gcn_norm(src, dst, w, n):
    """PyG's gcn_norm written out: add remaining self-loops, in-degree, norm = d[row] w d[col];
    output row = target (col index)."""
    has = set(int(s) for s, t in zip(src, dst, strict=True) if s == t)
    src = list(src) + [i for i in range(n) if i not in has]
    dst = list(dst) + [i for i in range(n) if i not in has]
    w = list(w) + [1.0] * (len(src) - len(w))
    deg = np.zeros(n)
    for t, x in zip(dst, w, strict=True):
        deg[t] += x
    dis = np.where(deg > 0, deg ** -0.5, 0)
    P = np.zeros((n, n))
    for s, t, x in zip(src, dst, w, strict=True):
        P[t, s] += dis[s] * x * dis[t]
    return P


def test_course_graph_matrices_by_hand():
    g = load_graph(COURSE)
    m = gcn_norm(g)
    A = m.A.toarray()
    At, Ah = dense_hat(A)
    np.testing.assert_allclose(m.A_tilde.toarray(), At)
    np.testing.assert_allclose(m.A_hat.toarray(), Ah)
    # known numbers: deg(A)=4, deg(E)=2 → Â[A, E] = 1/sqrt(8)
    i, j = g.index("A"), g.index("E")
    assert m.A_hat.toarray()[i, j] == pytest.approx(1 / np.sqrt(8))
    assert m.A_hat.toarray()[g.index("C"), g.index("C")] == pytest.approx(0.5)
    assert list(m.degree) == [4, 3, 2, 4, 2, 3]


def test_random_walk_variant_rows_sum_to_one():
    g = load_graph(COURSE)
    m = gcn_norm(g, variant="rw")
    np.testing.assert_allclose(m.A_hat.toarray().sum(1), 1.0)


def graph(n, edges, directed=False, w=None):
    src = np.array([a for a, _ in edges], np.int64)
    dst = np.array([b for _, b in edges], np.int64)
    weights = np.ones(len(edges)) if w is None else np.array(w, float)
    return Graph([str(i) for i in range(n)], src, dst, weights, directed)


def test_directed_weighted_selfloop_isolated_match_pyg():
    edges = [(0, 1), (1, 2), (2, 2), (3, 1)]
    g = graph(5, edges, directed=True, w=[2.0, 0.5, 3.0, 1.0])  # node 4 isolated; 2 has a loop of weight 3
    m = gcn_norm(g)
    np.testing.assert_allclose(m.A_hat.toarray(), pyg_gcn_norm(g.src, g.dst, g.weight, 5))
    assert m.A_tilde.toarray()[2, 2] == 3.0  # existing self-loop kept
    assert m.A_hat.toarray()[4, 4] == 1.0  # isolated node: only itself


def test_no_self_loops_isolated_node_gets_zero_row():
    g = graph(3, [(0, 1)])
    m = gcn_norm(g, self_loops=False)
    _, Ah = dense_hat(m.A.toarray(), self_loops=False)
    np.testing.assert_allclose(m.A_hat.toarray(), Ah)
    assert (m.A_hat.toarray()[2] == 0).all()


def test_negative_degree_is_an_error():
    g = graph(2, [(0, 1)], w=[-5.0])
    with pytest.raises(GraphError, match="non-negative degrees"):
        gcn_norm(g)
    with pytest.raises(GraphError, match="unknown normalisation 'xyz'"):
        gcn_norm(graph(2, [(0, 1)]), variant="xyz")


@st.composite
def weighted_graphs(draw):
    """Edges listed once each (no repeats), positive weights, self-loops and isolated nodes allowed."""
    n = draw(st.integers(1, 12))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30, unique=True))
    directed = draw(st.booleans())
    if not directed:  # u–v and v–u are one undirected edge
        pairs = list({frozenset(p): p for p in pairs}.values())
    w = draw(st.lists(st.floats(0.25, 4.0), min_size=len(pairs), max_size=len(pairs)))
    return n, pairs, w, directed


@settings(max_examples=100, deadline=None)
@given(weighted_graphs(), st.sampled_from(["sym", "rw"]), st.booleans())
def test_gcn_norm_equals_dense_numpy(case, variant, self_loops):
    """Â from dense matrices: R = Ã (undirected) or Ãᵀ (directed: rows receive), D̃ = R's row
    sums, Â = D̃^-1/2 R D̃^-1/2 or D̃^-1 R (0 where D̃ is 0); Ã adds 1 only where no self-loop is
    listed."""
    n, pairs, w, directed = case
    A = np.zeros((n, n))
    for (u, v), x in zip(pairs, w, strict=True):
        A[u, v] = x
        if not directed:
            A[v, u] = x
    listed_loops = {u for u, v in pairs if u == v}
    At = A + (np.diag([0.0 if i in listed_loops else 1.0 for i in range(n)]) if self_loops else 0)
    R = At.T if directed else At
    d = R.sum(1)
    inv = np.zeros(n)
    inv[d > 0] = d[d > 0] ** (-0.5 if variant == "sym" else -1.0)
    want = inv[:, None] * R * inv[None, :] if variant == "sym" else inv[:, None] * R
    m = gcn_norm(graph(n, pairs, directed, w), self_loops=self_loops, variant=variant)
    np.testing.assert_allclose(m.A.toarray(), A)
    np.testing.assert_allclose(m.A_tilde.toarray(), At)
    np.testing.assert_allclose(m.degree, d)
    np.testing.assert_allclose(m.A_hat.toarray(), want, rtol=1e-12, atol=1e-15)


def test_directed_graph_uses_in_degrees():
    """Directed: Â[v, u] = w(u → v) / sqrt(d_in(u) d_in(v)), in-degrees of Ã counting the added
    self-loop (a star whose edges all point into node 0, by hand)."""
    g = graph(4, [(1, 0), (2, 0), (3, 0)], directed=True)
    m = gcn_norm(g)
    np.testing.assert_array_equal(m.degree, [4, 1, 1, 1])  # 0 hears 1, 2, 3 and itself; the others only themselves
    want = np.zeros((4, 4))
    want[0, 0] = 1 / 4
    want[0, 1:] = 1 / np.sqrt(4 * 1)  # 0 receives from each leaf
    want[[1, 2, 3], [1, 2, 3]] = 1.0
    np.testing.assert_allclose(m.A_hat.toarray(), want)
    assert (m.A_hat.toarray()[1:, 0] == 0).all()  # no leaf hears 0
    np.testing.assert_allclose(m.A_hat.toarray(), pyg_gcn_norm(g.src, g.dst, g.weight, 4))


def test_an_edge_of_weight_0_carries_no_message_in_a_hat(tmp_path):
    """Â as if the edge were absent (weight 0 adds to no degree), by hand: two pairs, 1/2 each."""
    f = tmp_path / "g.txt"
    f.write_text("A B 1\nB C 0\nC D 1\n")  # A – B – C – D, the middle edge of weight 0
    m = gcn_norm(load_graph(f))
    half = np.full((2, 2), 0.5)
    np.testing.assert_allclose(m.A_hat.toarray(), np.block([[half, np.zeros((2, 2))], [np.zeros((2, 2)), half]]))
    np.testing.assert_array_equal(m.degree, [2, 2, 2, 2])
