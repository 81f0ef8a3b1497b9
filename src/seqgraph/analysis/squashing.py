r"""Over-squashing: how much of node u's input reaches node v through r GCN layers.

The sensitivity of an r-layer GCN ``H_k = σ(Â H_{k−1} W_k)`` (σ = ReLU), and its bound
(Topping et al., ICLR 2022, Lemma 1; Di Giovanni et al., ICML 2023, Theorem 3.2), with
ReLU's Lipschitz constant 1:

.. math::
    \left\lVert \frac{\partial h_v^{(r)}}{\partial x_u} \right\rVert_2
    \le \Big(\prod_{k=1}^{r} \lVert W_k \rVert_2\Big) (\hat A^r)_{vu}

(the product of the weights' spectral norms times the r-step propagation weight from u to v;
with no activation the Jacobian is exactly ``(Â^r)_vu W_1 ⋯ W_r`` read as a map on x_u).
Beside them, the effective resistance R(u, v) (:mod:`seqgraph.analysis.resistance`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.graphs.graph import Graph


@dataclass
class Sensitivity:
    rows: list[dict[str, Any]]  # per depth r: sensitivity, bound, propagation weight (Â^r)_vu, weight norms
    resistance: float  # R(u, v); inf across components
    resistance_method: str
    hops: int | None  # shortest path u → v (None: unreachable)


def propagation_weights(g: Graph, source: int, depths: list[int]) -> dict[int, np.ndarray]:
    """``(Â^r)_{·u}`` for each r in ``depths``: column u of Â^r, by r sparse products with e_u.

    Shapes:
        → r → ``(N,)``.
    """
    from seqgraph.nn.gcn import gcn_norm

    A_hat = gcn_norm(g).A_hat
    e = np.zeros(g.num_nodes)
    e[source] = 1.0
    out = {}
    for r in range(1, max(depths) + 1):
        e = A_hat @ e
        if r in depths:
            out[r] = e.copy()
    return out


def jacobian(g: Graph, X: np.ndarray, weights: list[np.ndarray], source: int, target: int,
             activation: str = "relu", A_hat: Any = None) -> np.ndarray:
    r"""``∂h_v^{(r)} / ∂x_u`` of the GCN ``H_k = σ(Â H_{k−1} W_k)`` with the given weights, by
    reverse-mode autograd (one backward per output feature), in float64.

    Shapes:
        X ``(N, F_0)``, ``weights[k]`` ``(F_k, F_{k+1})`` → ``(F_r, F_0)``.
    """
    import torch

    from seqgraph.nn.gcn import gcn_norm, propagate, sparse_propagation

    if A_hat is None:  # the float64 torch CSR Â (sensitivity builds it once for every depth)
        A_hat = sparse_propagation(gcn_norm(g).A_hat, dtype=torch.float64)
    x = torch.from_numpy(np.asarray(X, np.float64)).clone().requires_grad_(True)
    h = x
    for W in weights:
        h = propagate(A_hat, h @ torch.from_numpy(W))
        h = torch.relu(h) if activation == "relu" else h
    out = h[target]
    rows = []
    for k in range(out.shape[0]):
        (grad,) = torch.autograd.grad(out[k], x, retain_graph=k + 1 < out.shape[0])
        rows.append(grad[source].numpy().copy())
    return np.stack(rows)


def sensitivity(g: Graph, source: str, target: str, depths: list[int], X: np.ndarray, width: int = 16,
                seed: int = 0) -> Sensitivity:
    """For each depth r: a GCN of r layers of ``width`` features with Glorot weights from
    ``seed`` (the same first layers at every depth: layer k is drawn k-th), its sensitivity
    ``‖∂h_v/∂x_u‖₂`` (spectral norm of the Jacobian) at input ``X``, the bound
    ``Π‖W_k‖₂ (Â^r)_vu``, and (Â^r)_vu alone; once, the effective resistance R(u, v)."""
    import torch

    from seqgraph.analysis.hops import hops_from
    from seqgraph.analysis.resistance import resistances
    from seqgraph.train.loop import seeded

    if not depths or min(depths) < 1:
        raise GraphError("--layers must be depths of at least 1")
    if width <= 0:
        raise GraphError(f"--width must be positive, got {width}")
    u, v = g.index(source), g.index(target)
    prop = propagation_weights(g, u, depths)
    K = max(depths)
    with seeded(seed):
        sizes = [X.shape[1]] + [width] * K
        Ws = []
        for a, b in itertools.pairwise(sizes):
            w = torch.empty(a, b, dtype=torch.float64)
            torch.nn.init.xavier_uniform_(w)
            Ws.append(w.numpy())
    from seqgraph.nn.gcn import gcn_norm, sparse_propagation

    A_hat = sparse_propagation(gcn_norm(g).A_hat, dtype=torch.float64)
    rows = []
    for r in sorted(set(depths)):
        J = jacobian(g, X, Ws[:r], u, v, A_hat=A_hat)
        norms = [float(np.linalg.norm(W, 2)) for W in Ws[:r]]
        a_vu = float(prop[r][v])
        rows.append({"layers": r, "sensitivity": float(np.linalg.norm(J, 2)), "bound": float(np.prod(norms)) * a_vu,
                     "propagation": a_vu, "weight_norm_product": float(np.prod(norms))})
    h = int(hops_from(g, source)[v])
    if g.directed:
        res, method = float("nan"), "not defined on a directed graph"
    else:
        rr = resistances(g, [(source, target)])
        res, method = rr.pairs[0][2], rr.method
    return Sensitivity(rows, res, method, None if h < 0 else h)
