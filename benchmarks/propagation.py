"""Propagation analysis at scale (``seqgraph gcn smoothing``, ``resistance``), each row against a
reference measured in the same run, with its target (issue: over-smoothing and over-squashing):

* Dirichlet energy and MAD of 16 features on a random graph of 200k nodes and 1M edges
  (``seqgraph.analysis.smoothing``, edge blocks, no N × N matrix) against the same sums written
  with torch (one gather of every edge's two rows, ``index_add``). Target: < 1 s each.
* Effective resistance of 100 random pairs on a random graph of 100k nodes and 500k edges (the
  sparse method: per pair, Jacobi-preconditioned conjugate gradients on the Laplacian) against
  the textbook alternative, conjugate gradients on the Laplacian grounded at one node, timed on
  a few pairs and scaled to 100. Target: < 30 s for the 100 pairs.
* The exact Kirchhoff index of a 2,000-node small-world graph (one Cholesky factorisation and a
  triangular inverse) against ``networkx.effective_graph_resistance`` (the Laplacian's
  eigenvalues). Target: ≥ 5× networkx.

    python benchmarks/propagation.py [--nodes 200000] [--edges 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from seqgraph.analysis.resistance import components, kirchhoff_index, laplacian, resistances
from seqgraph.analysis.smoothing import dirichlet_energy, mad, neighbour_pairs
from seqgraph.graphs import Graph
from seqgraph.perf import keep_freed_memory


def timed(f: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def median_time(f: Callable[[], Any], rounds: int) -> tuple[Any, float]:
    runs = [timed(f) for _ in range(rounds)]
    return runs[-1][0], statistics.median(t for _, t in runs)


def row(what: str, ours: str, ref: str, ratio: str, target: str, met: bool | None) -> None:
    mark = "" if met is None else ("met" if met else "NOT MET")
    print(f"{what:<46} {ours:>10} {ref:>30} {ratio:>14}  {target:<14} {mark}".rstrip())


def random_graph(nodes: int, edges: int, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    return Graph([str(i) for i in range(nodes)], rng.integers(0, nodes, edges), rng.integers(0, nodes, edges),
                 np.ones(edges))


def torch_energy_and_mad(g: Graph, X: np.ndarray) -> tuple[float, float]:
    """The reference: both sums over every neighbour pair at once in torch."""
    import torch

    rows, cols = (torch.from_numpy(a) for a in neighbour_pairs(g))
    x = torch.from_numpy(X)
    d = x[rows] - x[cols]
    energy = float((d * d).sum()) / g.num_nodes
    unit = x / x.norm(dim=1, keepdim=True).clamp_min(1e-300)
    dist = (1 - (unit[rows] * unit[cols]).sum(1)).clamp(0, 2)
    dist = torch.where(dist.abs() < 1e-12, torch.zeros_like(dist), dist)
    n = g.num_nodes
    s = torch.zeros(n, dtype=x.dtype).index_add_(0, rows, dist)
    c = torch.zeros(n, dtype=x.dtype).index_add_(0, rows, (dist > 0).to(x.dtype))
    return energy, float(torch.where(c > 0, s / c.clamp_min(1), torch.zeros_like(s)).mean())


def grounded_cg(g: Graph, nodes: np.ndarray, pairs: list[tuple[int, int]]) -> list[float]:
    """The textbook way on the component ``nodes``: ground its first node (drop its row and
    column), CG per pair (Jacobi)."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    pos = np.full(g.num_nodes, -1, np.int64)
    pos[nodes[1:]] = np.arange(len(nodes) - 1)
    sub = laplacian(g)[nodes[1:]][:, nodes[1:]].tocsr()
    M = sp.diags_array(1.0 / sub.diagonal())
    out = []
    for u, v in pairs:
        b = np.zeros(sub.shape[0])
        if pos[u] >= 0:
            b[pos[u]] += 1
        if pos[v] >= 0:
            b[pos[v]] -= 1
        x, info = spla.cg(sub, b, rtol=1e-10, atol=0.0, M=M, maxiter=20_000)
        assert info == 0, info
        out.append((x[pos[u]] if pos[u] >= 0 else 0.0) - (x[pos[v]] if pos[v] >= 0 else 0.0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    keep_freed_memory()  # as every seqgraph command does
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    row("row", "seqgraph", "reference", "ratio", "target", None)

    g = random_graph(args.nodes, args.edges, 0)
    X = np.random.default_rng(1).standard_normal((g.num_nodes, 16))
    pairs = neighbour_pairs(g)
    (e, t_e) = median_time(lambda: dirichlet_energy(g, X, pairs), args.rounds)
    (m, t_m) = median_time(lambda: mad(g, X, pairs), args.rounds)
    (ref, t_ref) = median_time(lambda: torch_energy_and_mad(g, X), args.rounds)
    assert abs(e - ref[0]) <= 1e-9 * e and abs(m - ref[1]) <= 1e-9 * max(m, 1e-300), (e, m, ref)
    label = f"{g.num_nodes // 1000}k nodes, {len(pairs[0]) // 2 / 1e6:.1f}M edges"
    row(f"Dirichlet energy, {label}", f"{t_e:.3f} s", f"{t_ref:.3f} s torch, both sums", f"{t_ref / t_e:.2f}×",
        "< 1 s", t_e < 1)
    row(f"MAD, {label}", f"{t_m:.3f} s", "", f"{t_ref / t_m:.2f}×", "< 1 s", t_m < 1)

    g2 = random_graph(100_000, 500_000, 2)
    labels = components(g2)[1]
    main_part = np.flatnonzero(labels == np.bincount(labels).argmax())  # pairs in the giant component
    rng = np.random.default_rng(3)
    idx = [(int(a), int(b)) for a, b in rng.choice(main_part, size=(100, 2))]
    named = [(g2.nodes[a], g2.nodes[b]) for a, b in idx]
    res, t_r = timed(lambda: resistances(g2, named, "sparse"))
    few = 5
    ref_r, t_g = timed(lambda: grounded_cg(g2, main_part, idx[:few]))
    got = [r for _, _, r in res.pairs[:few]]
    assert all(abs(a - b) <= 1e-6 * a for a, b in zip(got, ref_r, strict=True)), (got, ref_r)
    scaled = t_g * len(idx) / few
    row("resistance, 100 pairs, 100k nodes, 500k edges", f"{t_r:.1f} s",  # the giant component's pairs
        f"{scaled:.1f} s grounded CG (×{len(idx) // few} of {few})", f"{scaled / t_r:.2f}×", "< 30 s", t_r < 30)

    G = nx.connected_watts_strogatz_graph(2000, 6, 0.1, seed=1)
    g3 = Graph([str(n) for n in G.nodes], np.array([u for u, _ in G.edges]), np.array([v for _, v in G.edges]),
               np.ones(G.number_of_edges()))
    k, t_k = median_time(lambda: kirchhoff_index(g3), args.rounds)
    k_nx, t_nx = median_time(lambda: nx.effective_graph_resistance(G), 1)
    assert abs(k - k_nx) <= 1e-8 * k, (k, k_nx)
    row("Kirchhoff index, 2,000 nodes (exact)", f"{t_k:.3f} s", f"{t_nx:.3f} s networkx", f"{t_nx / t_k:.2f}×",
        "≥ 5×", t_nx / t_k >= 5)


if __name__ == "__main__":
    main()
