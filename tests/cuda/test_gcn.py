"""The graph layers on CUDA: the GCN layer on a CUDA sparse CSR Â (forward, the kept-transpose backward)
and the GAT layer equal the CPU's; a GCN trains on the course graph there."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from seqgraph.graphs import load_graph
from seqgraph.nn.gcn import GCN, GATLayer, GCNLayer, gcn_norm, sparse_propagation

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def random_hat(n=300, density=0.03, seed=0):
    rng = np.random.default_rng(seed)
    m = int(n * n * density)
    return sp.coo_array((rng.normal(size=m), (rng.integers(0, n, m), rng.integers(0, n, m))), shape=(n, n))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("activation", ["relu", "tanh", "none"])
def test_gcn_layer_on_cuda_csr_equals_the_cpu(activation, dtype, close):
    A = random_hat()
    torch.manual_seed(0)
    layer = GCNLayer(16, 8, activation=activation).to(dtype)
    x0 = torch.randn(300, 16, dtype=dtype)
    results = []
    for device in ("cpu", "cuda"):
        hat = sparse_propagation(A, dtype=dtype, device=device)
        assert hat.layout == torch.sparse_csr and hat.device.type == device
        lay = copy.deepcopy(layer).to(device)
        x = x0.to(device).requires_grad_()
        out = lay(x, hat)
        g = torch.linspace(-1, 1, out.numel(), dtype=dtype, device=device).view_as(out)
        grads = torch.autograd.grad((out * g).sum(), [x, lay.weight, lay.bias])
        again = torch.autograd.grad((lay(x, hat) * g).sum(), [x])  # the second backward reuses the kept Âᵀ
        assert getattr(hat, "_seqgraph_transposed", None) is not None
        results.append((out, *grads, *again))
    for what, a, b in zip(("output", "∂x", "∂W", "∂b", "∂x again"), results[1], results[0], strict=True):
        close(a, b, f"{activation}: {what}")


def test_gat_layer_on_cuda_equals_the_cpu(close):
    rng = np.random.default_rng(1)
    n, m = 200, 2000
    edges = torch.from_numpy(np.concatenate([rng.integers(0, n, (2, m)), np.tile(np.arange(n), (2, 1))], 1))
    torch.manual_seed(1)
    layer = GATLayer(12, 6)
    x0 = torch.randn(n, 12)
    results = []
    for device in ("cpu", "cuda"):
        lay = copy.deepcopy(layer).to(device)
        x = x0.to(device).requires_grad_()
        out, alpha = lay(x, edges.to(device))
        grads = torch.autograd.grad(out.square().sum(), [x, *lay.parameters()])
        results.append((out, alpha, *grads))
    for i, (a, b) in enumerate(zip(results[1], results[0], strict=True)):
        close(a, b, f"GAT result {i}")


def test_a_gcn_trains_on_the_course_graph_on_cuda():
    g = load_graph("course-2020")
    m = gcn_norm(g)
    hat = sparse_propagation(m.A_hat, device="cuda")
    torch.manual_seed(0)
    x = torch.eye(g.num_nodes, device="cuda")
    y = torch.arange(g.num_nodes, device="cuda") % 2
    model = GCN(g.num_nodes, 16, 2, dropout=0.0).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, hat), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
