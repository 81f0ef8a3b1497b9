r"""Over-smoothing: how alike neighbouring nodes' features become as messages pass.

Two measures, after each of k propagations ``Â^k X`` and after each layer of a GCN or GAT:

* the Dirichlet energy (Rusch, Bronstein & Mishra, *A Survey on Oversmoothing in Graph Neural
  Networks*, 2023, eq. 2), reported as √E as they do:

  .. math:: E(X) = \frac{1}{|V|} \sum_{i \in V} \sum_{j \in \mathcal N(i)} \lVert X_i - X_j \rVert_2^2

* MAD, the mean average cosine distance between neighbours (Chen et al., *Measuring and
  Relieving the Over-smoothing Problem for Graph Neural Networks*, AAAI 2020): for each node
  the mean of ``1 − cos(X_i, X_j)`` over its neighbours at a non-zero distance, then the mean
  over nodes (a node whose neighbours are all at distance 0 counts 0; a zero vector's cosine
  with anything is 0, as scikit-learn's ``cosine_distances``).

Neighbours are the listed edges, self-loops excluded (a self-loop's distance is 0), an edge
of weight 0 included — as ``gcn hops`` counts them. Both run edge by edge in blocks, never on
an N × N matrix, and use the difference form ``‖X_i − X_j‖²`` (not ``2 Σ d_i‖X_i‖² − 2 tr(XᵀAX)``,
which cancels to noise exactly where smoothing is strong).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqgraph.errors import GraphError
from seqgraph.graphs.graph import Graph

BLOCK = 1 << 18  # edges per block: (BLOCK, F) differences at a time
MODELS = ("gcn", "gat")


def neighbour_pairs(g: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j) with j ∈ N(i): the non-zeros of A off the diagonal (both
    directions of an undirected edge; for a directed graph, each edge once — the distance is
    symmetric, so who hears whom does not matter).

    Shapes:
        → rows ``(P,)``, cols ``(P,)`` int64.
    """
    A = g.adjacency().tocoo()
    off = A.row != A.col
    return A.row[off].astype(np.int64), A.col[off].astype(np.int64)


def dirichlet_energy(g: Graph, X: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    r"""``E(X) = (1/|V|) Σ_i Σ_{j ∈ N(i)} ‖X_i − X_j‖²`` (take √E to report it as Rusch et al.).

    Args:
        g: the graph (N nodes). X: node features. pairs: :func:`neighbour_pairs` of ``g``,
            when already computed.

    Shapes:
        X ``(N, F)`` → a float.
    """
    rows, cols = pairs if pairs is not None else neighbour_pairs(g)
    X = _features(g, X)
    total = 0.0
    for s in range(0, len(rows), BLOCK):
        d = X[rows[s : s + BLOCK]] - X[cols[s : s + BLOCK]]
        total += float(np.einsum("ef,ef->", d, d))
    return total / max(g.num_nodes, 1)


def mad(g: Graph, X: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    r"""MAD over neighbours (Chen et al. 2020): ``D_ij = 1 − cos(X_i, X_j)`` for j ∈ N(i);
    ``D̄_i`` the mean of node i's non-zero ``D_ij`` (0 if none); MAD the mean of ``D̄_i`` over
    all nodes.

    Shapes:
        X ``(N, F)`` → a float in [0, 2].
    """
    rows, cols = pairs if pairs is not None else neighbour_pairs(g)
    X = _features(g, X)
    norm = np.linalg.norm(X, axis=1)
    unit = X / np.where(norm > 0, norm, 1.0)[:, None]  # a zero row stays zero: cos 0, distance 1
    n = g.num_nodes
    dist_sum = np.zeros(n)
    nonzero = np.zeros(n)
    for s in range(0, len(rows), BLOCK):
        r, c = rows[s : s + BLOCK], cols[s : s + BLOCK]
        d = np.clip(1.0 - np.einsum("ef,ef->e", unit[r], unit[c]), 0.0, 2.0)
        d[np.isclose(d, 0.0, rtol=0.0, atol=1e-12)] = 0.0  # equal directions: distance 0 up to rounding
        dist_sum += np.bincount(r, d, n)
        nonzero += np.bincount(r, d > 0, n)
    per_node = np.divide(dist_sum, nonzero, out=np.zeros(n), where=nonzero > 0)
    return float(per_node.mean()) if n else 0.0


def _features(g: Graph, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != g.num_nodes:
        raise GraphError(f"features must have one row per node ({g.num_nodes}), got shape {X.shape}")
    return X


def random_features(g: Graph, features: int = 16, seed: int = 0) -> np.ndarray:
    """``(N, features)`` standard normal features from ``seed`` (numpy's own generator)."""
    if features <= 0:
        raise GraphError(f"--num-features must be positive, got {features}")
    return np.random.default_rng(seed).standard_normal((g.num_nodes, features))


@dataclass
class SmoothingCurve:
    """Dirichlet energy and MAD after each step: ``rows`` holds one dict per (where, step):
    ``where`` is ``propagation`` (``Â^k X``) or a model (``gcn``, ``gat``: after layer k of a
    randomly initialised network); step 0 is the input X."""

    rows: list[dict[str, Any]]
    features: int
    nodes: int
    edges: int
    trained_accuracy: dict[str, float] = field(default_factory=dict)  # model → accuracy on the unlabelled nodes


@dataclass(frozen=True)
class Training:
    """Train the measured networks first: a linear head on the last layer, cross-entropy on
    ``per_class`` labelled nodes per class (drawn from the seed), Adam (Kipf & Welling's 0.01,
    weight decay 5e-4) for ``epochs`` full-graph steps."""

    label_key: str = "label"
    per_class: int = 1
    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 5e-4


def smoothing(g: Graph, X: np.ndarray, layers: list[int], models: tuple[str, ...] = ("gcn",), seed: int = 0,
              training: Training | None = None) -> SmoothingCurve:
    r"""Dirichlet energy (E and √E) and MAD of ``X`` after each of ``max(layers)`` propagations
    ``X_k = Â X_{k−1}`` (``Â = D̃^{-1/2}(A + I)D̃^{-1/2}``, :func:`seqgraph.nn.gcn.gcn_norm`), and
    after each layer of a ``max(layers)``-layer GCN (``H_k = ReLU(Â H_{k−1} W_k)``, Glorot W) or
    GAT (one head per layer, ELU) of width F, drawn from ``seed`` — or, with ``training``,
    those networks after training on the graph's node labels (rows ``gcn-trained``,
    ``gat-trained``; :class:`Training`). Only the steps in ``layers`` (and 0) are reported.

    Shapes:
        X ``(N, F)``; layers: depths ≥ 1.
    """
    import torch

    from seqgraph.nn.gcn import gcn_norm, propagate, sparse_propagation

    if not layers or min(layers) < 1:
        raise GraphError("--layers must be depths of at least 1")
    for m in models:
        if m not in MODELS:
            raise GraphError(f"unknown model {m!r} (choose from {', '.join(MODELS)})")
    X = _features(g, X)
    K = max(layers)
    keep = {0, *layers}
    pairs = neighbour_pairs(g)
    rows: list[dict[str, Any]] = []
    accuracy: dict[str, float] = {}

    def record(where: str, k: int, H: np.ndarray) -> None:
        if k in keep:
            e = dirichlet_energy(g, H, pairs)
            rows.append({"where": where, "step": k, "energy": e, "sqrt_energy": float(np.sqrt(e)),
                         "mad": mad(g, H, pairs)})

    A_hat = sparse_propagation(gcn_norm(g).A_hat, dtype=torch.float64)
    h = torch.from_numpy(X)
    record("propagation", 0, X)
    with torch.no_grad():
        for k in range(1, K + 1):
            h = propagate(A_hat, h)
            record("propagation", k, h.numpy())
    for m in models:
        net = deep_model(m, X.shape[1], K, seed)
        where = m
        if training is not None:
            accuracy[m] = train_deep(net, g, X, training, seed)
            where = f"{m}-trained"
        record(where, 0, X)
        with torch.no_grad():
            for k, H in enumerate(net.layer_outputs(torch.from_numpy(X), g), start=1):
                record(where, k, H.numpy())
    return SmoothingCurve(rows, X.shape[1], g.num_nodes, g.num_edges, accuracy)


def train_deep(net: DeepGraphNet, g: Graph, X: np.ndarray, training: Training, seed: int) -> float:
    """Train ``net`` and a linear head on its last layer for node classification (labels: node
    attribute ``training.label_key``); returns the accuracy on the unlabelled nodes."""
    import torch
    from torch.nn import functional as F

    from seqgraph.experiments.node_classification import choose_labeled
    from seqgraph.graphs.graph import node_labels
    from seqgraph.train.loop import seeded

    y, classes = node_labels(g, training.label_key)
    train_idx = torch.from_numpy(choose_labeled(g, y, [], training.per_class, seed))
    Y = torch.from_numpy(y)
    x = torch.from_numpy(X)
    width = X.shape[1]
    with seeded(seed + 1):
        head = torch.nn.Linear(width, len(classes)).double()
    opt = torch.optim.Adam([*net.layers.parameters(), *head.parameters()], lr=training.lr,
                           weight_decay=training.weight_decay)
    for _ in range(training.epochs):
        logits = head(net.layer_outputs(x, g)[-1])
        loss = F.cross_entropy(logits[train_idx], Y[train_idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = head(net.layer_outputs(x, g)[-1]).argmax(1)
    test = (Y >= 0).clone()
    test[train_idx] = False
    return float((pred[test] == Y[test]).double().mean()) if test.any() else float("nan")


class DeepGraphNet:
    """``K`` GCN or GAT layers of one width, read layer by layer (a torch module list inside)."""

    def __init__(self, model: str, width: int, depth: int, out: int | None = None) -> None:
        import torch

        from seqgraph.nn.gcn import GATLayer, GCNLayer

        self.model = model
        sizes = [width] * depth + [out if out is not None else width]
        if model == "gcn":
            self.layers = torch.nn.ModuleList(GCNLayer(a, b, activation="relu")
                                              for a, b in itertools.pairwise(sizes))
        else:
            self.layers = torch.nn.ModuleList(GATLayer(a, b, activation="elu")
                                              for a, b in itertools.pairwise(sizes))
        self.layers.double()
        self._graph: Graph | None = None
        self._structure: Any = None

    def layer_outputs(self, x: Any, g: Graph) -> list[Any]:
        """``[H_1, …, H_K]`` for input ``x (N, F)``."""
        import torch

        from seqgraph.graphs.layer import gat_edges
        from seqgraph.nn.gcn import gcn_norm, sparse_propagation

        if self._graph is not g:  # the propagation matrix (or GAT's edges), built once per graph
            self._graph = g
            self._structure = (sparse_propagation(gcn_norm(g).A_hat, dtype=torch.float64) if self.model == "gcn"
                               else torch.from_numpy(gat_edges(g)))
        outs = []
        h = x
        for layer in self.layers:
            h = layer(h, self._structure) if self.model == "gcn" else layer(h, self._structure)[0]
            outs.append(h)
        return outs


def deep_model(model: str, width: int, depth: int, seed: int) -> DeepGraphNet:
    """A ``depth``-layer GCN or GAT of ``width`` features, weights drawn from ``seed``."""
    from seqgraph.train.loop import seeded

    with seeded(seed):
        return DeepGraphNet(model, width, depth)
