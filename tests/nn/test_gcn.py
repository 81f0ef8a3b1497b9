"""The GCN layer on the CSR propagation matrix, against dense numpy by hand."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from seqgraph.nn.gcn import GCN, GCNLayer, propagate, sparse_propagation


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
