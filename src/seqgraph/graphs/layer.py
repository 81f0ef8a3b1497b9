"""One GCN layer ``σ(Â X W)``, or one GAT head with its attention coefficients, on a graph
(``seqgraph gcn layer``): seeded weights from their own random state, or weights read from a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.graphs.graph import Graph, load_features
from seqgraph.nn.gcn_names import ACTIVATIONS


@dataclass
class LayerResult:
    H: np.ndarray  # (N, F_out) layer output
    W: np.ndarray  # (F_in, F_out) weights used
    attention: list[dict[str, Any]] | None  # GAT: {"i", "j", "alpha"} per edge (i receives)


def gcn_layer_forward(g: Graph, *, features: Any = None, out_dim: int = 2, weights: Any = None, seed: int = 0,
                      activation: str = "relu", gat: bool = False) -> LayerResult:
    r"""One GCN layer (or one GAT head) on ``g``, in float64:

    .. math::
        H' = \sigma\left(\hat A X W\right), \qquad \hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2}
        \;(:func:`seqgraph.nn.gcn.gcn_norm`)

    Args:
        features: CSV path of node features (None, the default: X = I).
        out_dim: F_out for a seeded W (2).
        weights: CSV path of W (F_in × F_out, no header) instead of a seeded Glorot W (None).
        seed: seed of W (and of a, for GAT) (0); drawn inside ``torch.random.fork_rng``, so the
            global random state is left as it was.
        activation: ``relu``, ``tanh`` or ``none`` (``relu``).
        gat: a GAT head instead, reporting α per edge (False); its neighbourhoods are every
            listed edge, one of weight 0 too (GAT reads no weights), and the node itself.

    Shapes:
        ``g`` of N nodes, features ``(N, F_in)`` (F_in = N for X = I) → ``H (N, F_out)``,
        ``W (F_in, F_out)``, one attention entry per edge of Ã (GAT).
    """
    import torch

    from seqgraph.nn.gcn import GATLayer, GCNLayer, gcn_norm, sparse_propagation
    from seqgraph.train.loop import seeded

    if activation not in ACTIVATIONS:
        raise GraphError(f"unknown activation {activation!r} (choose from {', '.join(ACTIVATIONS)})")
    if out_dim <= 0:
        raise GraphError(f"--out-dim must be positive, got {out_dim}")
    n = g.num_nodes
    X = load_features(features, g) if features is not None else None
    f_in = X.shape[1] if X is not None else n
    W = _read_weights(weights, f_in) if weights is not None else None
    f_out = W.shape[1] if W is not None else out_dim
    with seeded(seed):  # W (and a) drawn from the seed; the caller's random state stays as it was
        layer = (GATLayer(f_in, f_out, activation="none") if gat
                 else GCNLayer(f_in, f_out, bias=False, activation=activation)).double()
    # X = I as a sparse identity: X W is W without an N × N matrix (2M nodes would need 29 TiB)
    eye = torch.arange(n)
    x = torch.from_numpy(X) if X is not None else torch.sparse_coo_tensor(
        torch.stack([eye, eye]), torch.ones(n, dtype=torch.float64), (n, n), is_coalesced=True, check_invariants=True)
    m = gcn_norm(g)  # also for GAT: a graph of negative degrees is refused by both
    with torch.no_grad():
        if W is not None:
            layer.weight.copy_(torch.from_numpy(W))
        if isinstance(layer, GCNLayer):
            H = layer(x, sparse_propagation(m.A_hat, dtype=torch.float64))
            return LayerResult(H.numpy(), layer.weight.numpy().copy(), None)
        # the neighbourhood is every listed edge, whatever its weight (GAT reads no weights): Ã's
        # non-zeros would drop an edge of weight 0; self-loops as in Ã
        edges_np = gat_edges(g)
        H, alpha = layer(x, torch.from_numpy(edges_np))
        H = torch.relu(H) if activation == "relu" else torch.tanh(H) if activation == "tanh" else H
        att = [{"i": g.nodes[i], "j": g.nodes[j], "alpha": float(a)}
               for i, j, a in zip(edges_np[0].tolist(), edges_np[1].tolist(), alpha.tolist(), strict=True)]
        return LayerResult(H.numpy(), layer.weight.numpy().copy(), att)


def gat_edges(g: Graph) -> np.ndarray:
    """A GAT's neighbourhoods: every listed edge, whatever its weight (GAT reads no weights; Ã's
    non-zeros would drop an edge of weight 0), and each node itself, as (receiver i, sender j).

    Shapes:
        → ``(2, E')`` int64.
    """
    import scipy.sparse as sp

    A = g.adjacency()
    S = sp.csr_array((np.ones_like(A.data), A.indices, A.indptr), shape=A.shape)
    S = (S + sp.eye_array(g.num_nodes, format="csr")).tocsr()
    R = (S.T if g.directed else S).tocoo()  # rows receive
    return np.stack([R.row, R.col]).astype(np.int64)


def _read_weights(path: Any, f_in: int) -> np.ndarray:
    import warnings
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise GraphError(f"weights file not found: {p}")
    try:
        with warnings.catch_warnings():  # numpy warns on an empty file; the error below says it
            warnings.simplefilter("ignore")
            W = np.loadtxt(p, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as e:
        raise GraphError(f"malformed weights CSV {p}: {str(e).splitlines()[0]}") from None
    if W.size == 0:
        raise GraphError(f"weights CSV {p} is empty")
    if W.shape[0] != f_in:
        raise GraphError(f"weights CSV {p} has {W.shape[0]} rows, but the features have {f_in} columns")
    if not np.isfinite(W).all():
        raise GraphError(f"weights CSV {p}: weights must be finite")
    return W
