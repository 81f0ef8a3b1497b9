"""The graph-transfer benchmark's graphs (Di Giovanni et al., *On Over-Squashing in Message
Passing Neural Networks*, ICML 2023; their generators: ``lrnzgiusti/on-oversquashing``
``data/ring_transfer.py``), written from that definition, parametrised by the distance r between
the node that carries a label (the *source*) and the node that must predict it (the *target*):

* ``ring``: a cycle of 2r nodes; target 0, source r (the opposite node).
* ``crossed-ring``: the same cycle plus the repository's cross edges: for each i < r,
  i — 2r−1−i and, where 2r+1−i < 2r, i — 2r+1−i (rungs across the ring). Still r hops apart,
  with many more paths between them (a lower effective resistance).
* ``clique-path``: the repository's "lollipop": 2(r−1) nodes, a clique on the first r−1 and a
  path through the rest, joined by the edge r−2 — r−1; target 0 (in the clique), source
  2r−3 (the path's end), r hops apart. Needs r ≥ 3.

Features (the repository's): every node 1 in each of the C channels, the target 0, the source
one-hot in its class. The model reads its prediction at the target; r layers let the label
just reach it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgraph.errors import ConfigError
from seqgraph.graphs.graph import Graph

FAMILIES = ("ring", "crossed-ring", "clique-path")
MIN_DISTANCE = {"ring": 2, "crossed-ring": 2, "clique-path": 3}
MAX_DISTANCE = 500  # nodes grow as 2r; beyond this a typo, not an experiment


@dataclass(frozen=True)
class TransferGraph:
    graph: Graph  # undirected, unit weights
    source: int  # the node carrying the label
    target: int  # the node that predicts it
    distance: int  # hops between them


def check_distance(family: str, r: int) -> None:
    if family not in FAMILIES:
        raise ConfigError(f"unknown graph family {family!r} (choose from {', '.join(FAMILIES)})")
    low = MIN_DISTANCE[family]
    if not low <= r <= MAX_DISTANCE:
        why = " (a clique and a path need it)" if family == "clique-path" else " (a ring of 2r nodes)"
        raise ConfigError(f"a {family} graph has source–target distances {low}…{MAX_DISTANCE}{why}, not {r}")


def transfer_graph(family: str, r: int) -> TransferGraph:
    """The ``family`` graph whose source and target are ``r`` hops apart."""
    check_distance(family, r)
    edges: list[tuple[int, int]] = []
    if family in ("ring", "crossed-ring"):
        n = 2 * r
        edges = [(i, i + 1) for i in range(n - 1)] + [(0, n - 1)]
        if family == "crossed-ring":
            for i in range(r):
                edges.append((i, n - 1 - i))
                if n + 1 - i < n:
                    edges.append((i, n + 1 - i))
        source, target = r, 0
    else:
        n = 2 * (r - 1)
        k = n // 2  # clique size
        edges = [(i, j) for i in range(k) for j in range(i + 1, k)]
        edges += [(i, i + 1) for i in range(k, n - 1)] + [(k - 1, k)]
        source, target = n - 1, 0
    unique = sorted({(min(u, v), max(u, v)) for u, v in edges if u != v})  # the repository lists some twice
    src = np.array([u for u, _ in unique], np.int64)
    dst = np.array([v for _, v in unique], np.int64)
    g = Graph([str(i) for i in range(n)], src, dst, np.ones(len(src)))
    return TransferGraph(g, source, target, r)


def transfer_features(tg: TransferGraph, labels: np.ndarray, classes: int) -> np.ndarray:
    """Input features of a batch of samples: ones everywhere, the target 0, the source
    one-hot in its sample's class.

    Shapes:
        labels ``(B,)`` in [0, classes) → ``(B, N, classes)`` float32.
    """
    B, n = len(labels), tg.graph.num_nodes
    x = np.ones((B, n, classes), np.float32)
    x[:, tg.target] = 0.0
    x[:, tg.source] = 0.0
    x[np.arange(B), tg.source, labels] = 1.0
    return x


def transfer_labels(samples: int, classes: int) -> np.ndarray:
    """The repository's balanced labels: sample i has class ``i // (samples // classes)``
    (the last class takes any remainder beyond ``classes`` equal blocks, clipped).

    Shapes:
        → ``(samples,)`` int64.
    """
    per = max(1, samples // classes)
    return np.minimum(np.arange(samples) // per, classes - 1).astype(np.int64)
