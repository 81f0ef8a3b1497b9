"""Graph tools at scale: load a 1M-edge file, build Â, single-source hops — against networkx's
``single_source_shortest_path_length`` on the same graph, in the same run.

    python benchmarks/graph_hops.py [--nodes 200000] [--edges 1000000] [--sources 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from seqgraph.analysis.hops import gcn_matrices, hops_from
from seqgraph.tasks.graphs import load_graph


def timed(f):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    u = rng.integers(0, args.nodes, args.edges)
    v = rng.integers(0, args.nodes, args.edges)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.txt"
        np.savetxt(path, np.stack([u, v], 1), fmt="%d")
        g, t_load = timed(lambda: load_graph(path))
    print(f"random graph: {g.num_nodes:,} nodes, {g.num_edges:,} undirected edges")
    print(f"load edge list (seqgraph):        {t_load:8.3f} s")
    _, t_hat = timed(lambda: gcn_matrices(g))
    print(f"build A, Ã, Â (seqgraph, scipy):  {t_hat:8.3f} s")
    G, t_nx_build = timed(lambda: nx.Graph(zip(g.src.tolist(), g.dst.tolist(), strict=True)))
    print(f"build nx.Graph (networkx):        {t_nx_build:8.3f} s")
    sources = rng.choice(g.num_nodes, args.sources, replace=False)
    ours, theirs = [], []
    for s in sources:
        h, t1 = timed(lambda s=s: hops_from(g, g.nodes[s]))
        d, t2 = timed(lambda s=s: nx.single_source_shortest_path_length(G, int(s)))
        assert all(h[k] == dist for k, dist in d.items()) and (h >= 0).sum() == len(d)  # same answer
        ours.append(t1)
        theirs.append(t2)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"single-source hops (seqgraph):    {a:8.3f} s  (median of {len(sources)} sources)")
    print(f"single-source hops (networkx):    {b:8.3f} s")
    print(f"speed-up over networkx:           {b / a:8.1f}×")


if __name__ == "__main__":
    main()
