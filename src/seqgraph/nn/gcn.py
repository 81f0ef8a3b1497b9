"""Graph layers on a sparse propagation matrix, and ``gcn_norm``, the matrix they propagate with
(as PyG keeps ``gcn_norm`` beside ``GCNConv``).

Message direction: an edge u → v carries messages from u to v (PyG's default flow,
``source_to_target``). The propagation matrix therefore has one row per *receiving* node:
``Â[v, u]`` is the weight with which v hears u. For undirected graphs A is symmetric and this
is the textbook ``Â = D̃^-1/2 (A + I) D̃^-1/2``; for directed graphs it is
``D̃_in^-1/2 (A + I)ᵀ D̃_in^-1/2`` with in-degrees, exactly as PyG's ``gcn_norm`` computes it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import GraphError
from seqgraph.nn.gcn_names import ACTIVATIONS, VARIANTS

if TYPE_CHECKING:
    from seqgraph.graphs import Graph


@dataclass
class GCNMatrices:
    A: Any  # scipy CSR, A[u, v] = w for u → v
    A_tilde: Any  # A + I (self-loops added where missing, existing ones kept: PyG's rule)
    A_hat: Any  # the propagation matrix (rows receive)
    degree: np.ndarray  # D̃ (row sums of the receiving form of Ã)


def gcn_norm(g: Graph, *, self_loops: bool = True, variant: str = "sym") -> GCNMatrices:
    r"""A, Ã and Â for a graph.

    .. math::
        \tilde A = A + I, \quad \hat A = \tilde D^{-1/2} \tilde A \tilde D^{-1/2} \;(\text{sym})
        \text{ or } \tilde D^{-1} \tilde A \;(\text{rw}), \quad \tilde D_{ii} = \sum_j \tilde A_{ij}

    Args:
        g: the graph. self_loops: add I (True); nodes that already have a self-loop keep its
            weight, as ``torch_geometric.utils.add_remaining_self_loops``.
        variant: ``sym`` (Kipf & Welling) or ``rw`` (random walk, D̃^-1 Ã).

    Degrees of 0 (isolated nodes without self-loops) give 0, as PyG's inf → 0; a negative
    degree is an error.

    Shapes:
        ``g`` of N nodes → ``A``, ``A_tilde``, ``A_hat`` ``(N, N)`` scipy CSR (rows of ``A_hat``
        receive), ``degree`` ``(N,)``.
    """
    import scipy.sparse as sp

    if variant not in VARIANTS:
        raise GraphError(f"unknown normalisation {variant!r} (choose from sym, rw)")
    A = g.adjacency()
    n = g.num_nodes
    A_tilde = A
    if self_loops:
        diag = A.diagonal()
        missing = (diag == 0) & ~_has_self_loop(g)
        A_tilde = (A + sp.diags_array(missing.astype(np.float64), shape=(n, n))).tocsr()
    R = A_tilde.T.tocsr() if g.directed else A_tilde  # receiving form: R[v, u] = w(u → v)
    degree = np.asarray(R.sum(axis=1)).ravel()
    if (degree < 0).any():
        bad = int(np.argmax(degree < 0))
        raise GraphError(f"normalisation needs non-negative degrees, but node {g.nodes[bad]!r} has "
                         f"degree {degree[bad]:g} (negative edge weights)")
    with np.errstate(divide="ignore"):
        if variant == "sym":
            d = np.where(degree > 0, degree ** -0.5, 0.0)
            A_hat = sp.diags_array(d) @ R @ sp.diags_array(d)
        else:
            d = np.where(degree > 0, 1.0 / degree, 0.0)
            A_hat = sp.diags_array(d) @ R
    return GCNMatrices(A, A_tilde, sp.csr_array(A_hat), degree)


def _has_self_loop(g: Graph) -> np.ndarray:
    has = np.zeros(g.num_nodes, bool)
    loops = g.src == g.dst
    has[g.src[loops]] = True
    return has


def sparse_propagation(A_hat: object, dtype: torch.dtype = torch.float32,
                       device: torch.device | str = "cpu") -> Tensor:
    """A scipy sparse matrix as a torch sparse CSR tensor, for ``Â @ H``.

    CSR, not COO: the product reads each row's entries in one run instead of scattering them;
    on the 1M-edge benchmark graph (``benchmarks/graph_hops.py``, 64 → 64 features) it is
    several times faster, forward and backward. Autograd reaches the dense side (H, hence W and
    the features), which is all a GCN trains; Â itself is a constant (no gradient).

    Shapes:
        ``(N, N)`` scipy sparse → ``(N, N)`` torch ``sparse_csr``.
    """
    import scipy.sparse as sp

    csr = sp.csr_array(A_hat)
    csr.sum_duplicates()  # canonical: sorted, unique column indices in every row
    with warnings.catch_warnings():  # torch warns once per process that CSR is "beta"; it is used as documented
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(csr.indptr.astype(np.int64)),
                                       torch.from_numpy(csr.indices.astype(np.int64)),
                                       torch.from_numpy(csr.data).to(dtype), size=csr.shape, device=device,
                                       check_invariants=False)  # scipy's canonical CSR is valid


def propagate(A_hat: Tensor, h: Tensor) -> Tensor:
    r"""``Â @ h``, the message passing of a GCN layer.

    For a sparse CSR ``Â`` that needs no gradient (``sparse_propagation``), the backward
    multiplies by a CSR ``Âᵀ`` built on the first backward and kept on ``Â`` (torch's tensors
    take attributes; weak references to CSR tensors are not supported): torch's own backward
    re-sorts ``Âᵀ`` from CSC on every call (~5× the forward product on the 1M-edge graph),
    which a training loop would pay every epoch. Any other ``Â``: plain ``@``.

    Shapes:
        A_hat ``(N, N)``, h ``(N, F)`` → ``(N, F)``.
    """
    if A_hat.layout == torch.sparse_csr and not A_hat.requires_grad and h.requires_grad:
        out: Tensor = _CSRProduct.apply(A_hat, h)
        return out
    return A_hat @ h


class _CSRProduct(torch.autograd.Function):
    """y = Â h with a constant Â: ∂L/∂h = Âᵀ ∂L/∂y."""

    @staticmethod
    def forward(ctx: Any, A_hat: Tensor, h: Tensor) -> Tensor:
        ctx.save_for_backward(A_hat)
        return A_hat @ h

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, Tensor]:
        (A_hat,) = ctx.saved_tensors
        At = getattr(A_hat, "_seqgraph_transposed", None)
        if At is None:
            with warnings.catch_warnings():  # the same "CSR is beta" notice as in sparse_propagation
                warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
                At = A_hat.t().to_sparse_csr()
            A_hat._seqgraph_transposed = At
        return None, At @ grad


class GCNLayer(nn.Module):
    r"""The graph convolution of Kipf & Welling, `Semi-Supervised Classification with Graph
    Convolutional Networks <https://arxiv.org/abs/1609.02907>`_:

    .. math::
        H' = \sigma\left(\hat A H W + b\right), \qquad
        \hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2}

    Args:
        in_features: F_in. out_features: F_out. bias: add b (True).
        activation: ``relu``, ``tanh`` or ``none`` (``relu``).

    Shapes:
        x ``(N, F_in)``, A_hat ``(N, N)`` (sparse CSR from ``sparse_propagation``, COO or dense;
        rows receive) → ``(N, F_out)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 activation: str = "relu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}")
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.activation = activation
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)  # Glorot, as the paper
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, A_hat: Tensor) -> Tensor:
        h = propagate(A_hat, x @ self.weight)  # multiply by W first: F_out ≤ F_in is cheaper
        if self.bias is not None:
            h = h + self.bias
        if self.activation == "relu":
            return F.relu(h)
        if self.activation == "tanh":
            return torch.tanh(h)
        return h


class GATLayer(nn.Module):
    r"""One graph attention head, `Veličković et al. <https://arxiv.org/abs/1710.10903>`_:

    .. math::
        e_{ij} = \mathrm{LeakyReLU}\left(a^\top [W h_i \,\|\, W h_j]\right), \quad
        \alpha_{ij} = \mathrm{softmax}_{j \in \mathcal N(i) \cup \{i\}}(e_{ij}), \quad
        h_i' = \sigma\Big(\sum_j \alpha_{ij} W h_j\Big)

    Args:
        in_features: F_in. out_features: F_out. negative_slope: LeakyReLU slope (0.2).
        activation: ``elu``, ``relu`` or ``none`` (``elu``).

    Shapes:
        x ``(N, F_in)``; edges ``(2, E)`` as (receiver i, sender j), self-loops included →
        output ``(N, F_out)`` and α ``(E,)``.
    """

    def __init__(self, in_features: int, out_features: int, negative_slope: float = 0.2,
                 activation: str = "elu") -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.att_dst = nn.Parameter(torch.empty(out_features))  # a's half for h_i
        self.att_src = nn.Parameter(torch.empty(out_features))  # a's half for h_j
        self.negative_slope = negative_slope
        self.activation = activation
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        bound = math.sqrt(6.0 / (self.weight.shape[1] + 1))
        nn.init.uniform_(self.att_dst, -bound, bound)
        nn.init.uniform_(self.att_src, -bound, bound)

    def forward(self, x: Tensor, edges: Tensor) -> tuple[Tensor, Tensor]:
        i, j = edges[0], edges[1]
        wh = x @ self.weight  # (N, F_out)
        e = F.leaky_relu((wh @ self.att_dst)[i] + (wh @ self.att_src)[j], self.negative_slope)  # (E,)
        alpha = segment_softmax(e, i, x.shape[0])
        out = torch.zeros_like(wh).index_add_(0, i, alpha.unsqueeze(1) * wh[j])
        if self.activation == "elu":
            out = F.elu(out)
        elif self.activation == "relu":
            out = F.relu(out)
        return out, alpha


def dense_attention(layer: GATLayer, x: Tensor, mask: Tensor) -> Tensor:
    r"""A :class:`GATLayer` on a batch of graphs of one structure, as a dense masked softmax:
    the same α and output as the layer's edge form on each graph (tested), for small graphs
    read many at a time (the graph-transfer benchmark).

    Shapes:
        x ``(B, N, F_in)``; mask ``(N, N)`` bool, ``mask[i, j]``: i hears j (self-loops
        included) → ``(B, N, F_out)``.
    """
    wh = x @ layer.weight  # (B, N, F_out)
    e = F.leaky_relu((wh @ layer.att_dst).unsqueeze(2) + (wh @ layer.att_src).unsqueeze(1),
                     layer.negative_slope)  # (B, N, N): e[b, i, j]
    alpha = torch.softmax(e.masked_fill(~mask, -math.inf), dim=2)
    out = alpha @ wh
    if layer.activation == "elu":
        return F.elu(out)
    if layer.activation == "relu":
        return F.relu(out)
    return out


def segment_softmax(scores: Tensor, groups: Tensor, num_groups: int) -> Tensor:
    """Softmax of ``scores (E,)`` within each group (``groups (E,)`` in [0, num_groups))."""
    top = torch.full((num_groups,), -math.inf, dtype=scores.dtype, device=scores.device)
    top = top.scatter_reduce(0, groups, scores, reduce="amax", include_self=True)
    ex = torch.exp(scores - top[groups])
    total = torch.zeros(num_groups, dtype=scores.dtype, device=scores.device).index_add_(0, groups, ex)
    return ex / total[groups]


class GCN(nn.Module):
    """Two GCN layers for node classification: ``Â relu(Â X W0) W1`` → logits.

    Args:
        in_features, hidden, num_classes; dropout on the input of each layer (0.5).
    """

    def __init__(self, in_features: int, hidden: int, num_classes: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = GCNLayer(in_features, hidden, activation="relu")
        self.conv2 = GCNLayer(hidden, num_classes, activation="none")
        self.dropout = dropout

    def forward(self, x: Tensor, A_hat: Tensor) -> Tensor:
        x = F.dropout(x, self.dropout, self.training)
        h = self.conv1(x, A_hat)
        h = F.dropout(h, self.dropout, self.training)
        return self.conv2(h, A_hat)
