"""Graph tools at scale, each row against a reference measured in the same run, with its target.

A random graph (200k nodes, 1M edge lines, integer ids, as ``np.savetxt`` writes them):

* load: ``load_graph`` cold (the first call in a fresh process, any lazy import included;
  median of --cold processes) and warm (median of --rounds, interleaved with the reference)
  against ``pandas.read_csv(sep=' ', header=None, engine='c')`` warm on the same file.
  Targets: < 0.5 s cold, ≤ 3× pandas warm. The same edges with a weight column take the pandas
  path (the plain file is read by numpy): shown too, cold for information.
* hops from one node (``hops_from``: breadth-first search) against networkx's
  ``single_source_shortest_path_length`` on the same graph, per source; min / median / max of
  the speed-ups. Target: ≥ 10× for every source. Also scipy's Dijkstra, the previous method.
* one GCN propagation ``Â @ (H W)``, 64 → 64 features: Â as torch CSR (``sparse_propagation``,
  ``propagate``) against the same Â as COO, forward and forward + backward (medians: the CSR
  backward builds its Âᵀ once, as in training). Target: CSR faster than COO.

    python benchmarks/graph_hops.py [--nodes 200000] [--edges 1000000] [--sources 5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from seqgraph.analysis.hops import hops_from
from seqgraph.graphs import Graph, load_graph
from seqgraph.nn.gcn import gcn_norm
from seqgraph.perf import keep_freed_memory

COLD = """
import sys, time
from seqgraph.perf import keep_freed_memory
from seqgraph.graphs import Graph, load_graph
keep_freed_memory()  # as every seqgraph command does
t0 = time.perf_counter()
load_graph(sys.argv[1])
print(time.perf_counter() - t0, int("pandas" in sys.modules))
"""
PANDAS_IMPORT = "import time; t = time.perf_counter(); import pandas; print(time.perf_counter() - t, 1)"


def timed(f: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def interleaved(fs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median seconds of each function over ``rounds`` interleaved rounds (drift hits all alike)."""
    times: dict[str, list[float]] = {k: [] for k in fs}
    for _ in range(rounds):
        for k, f in fs.items():
            times[k].append(timed(f)[1])
    return {k: statistics.median(v) for k, v in times.items()}


def row(what: str, ours: str, ref: str, ratio: str, target: str, met: bool | None) -> None:
    mark = "" if met is None else ("met" if met else "NOT MET")
    print(f"{what:<44} {ours:>10} {ref:>26} {ratio:>22}  {target:<22} {mark}".rstrip())


def fresh(code: str, *args: str, n: int) -> tuple[float, bool]:
    """Median seconds that ``code`` prints over ``n`` fresh processes, and whether pandas got imported."""
    runs = []
    for _ in range(n):
        out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
        seconds, pandas = out.stdout.split()
        runs.append((float(seconds), pandas == "1"))
    return statistics.median(r[0] for r in runs), any(r[1] for r in runs)


def load_rows(path: Path, label: str, cold_target: bool, args: argparse.Namespace) -> Graph:
    import pandas as pd

    t_cold, imported = fresh(COLD, str(path), n=args.cold)
    g = load_graph(path)
    warm = interleaved({"seqgraph": lambda: load_graph(path),
                        "pandas": lambda: pd.read_csv(path, sep=" ", header=None, engine="c")}, args.rounds)
    how = "pandas imported" if imported else "no pandas import"
    row(f"load {label}, cold (1st call, fresh process)", f"{t_cold:.3f} s", how, "",
        "< 0.5 s" if cold_target else "(information)", t_cold < 0.5 if cold_target else None)
    ratio = warm["seqgraph"] / warm["pandas"]
    row(f"load {label}, warm (median of {args.rounds})", f"{warm['seqgraph']:.3f} s",
        f"{warm['pandas']:.3f} s pandas.read_csv", f"{ratio:.2f}× pandas", "≤ 3× pandas", ratio <= 3)
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--cold", type=int, default=7, help="fresh processes for the cold load")
    args = ap.parse_args()
    keep_freed_memory()  # as every seqgraph command does
    import torch

    rng = np.random.default_rng(0)
    u = rng.integers(0, args.nodes, args.edges)
    v = rng.integers(0, args.nodes, args.edges)
    print(f"random graph: {args.nodes:,} nodes, {args.edges:,} edge lines; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    row("row", "seqgraph", "reference", "ratio", "target", None)
    with tempfile.TemporaryDirectory() as tmp:
        plain, weighted = Path(tmp) / "plain.txt", Path(tmp) / "weighted.txt"
        np.savetxt(plain, np.stack([u, v], 1), fmt="%d")
        np.savetxt(weighted, np.stack([u, v, rng.random(args.edges)], 1), fmt=["%d", "%d", "%.4f"])
        g = load_rows(plain, "'u v'", True, args)
        load_rows(weighted, "'u v w'", False, args)
    t_import, _ = fresh(PANDAS_IMPORT, n=args.cold)
    row("  importing pandas (fresh process)", f"{t_import:.3f} s", "", "", "(added cold by pandas)", None)
    print(f"  ({g.num_nodes:,} nodes, {g.num_edges:,} undirected edges after collapsing repeats)")

    _, t_hat = timed(lambda: gcn_norm(g))
    row("build A, Ã, Â (scipy)", f"{t_hat:.3f} s", "", "", "", None)
    G, t_nx_build = timed(lambda: nx.Graph(zip(g.src.tolist(), g.dst.tolist(), strict=True)))
    G.add_nodes_from(range(g.num_nodes))
    row("build nx.Graph (networkx, reference only)", "", f"{t_nx_build:.3f} s", "", "", None)

    from scipy.sparse import csgraph

    A = g.adjacency()
    sources = rng.choice(g.num_nodes, args.sources, replace=False)
    speedups, ours, dijkstra = [], [], []
    for s in sources.tolist():
        h = hops_from(g, g.nodes[s])
        times = interleaved({"bfs": lambda s=s: hops_from(g, g.nodes[s]),
                             "dijkstra": lambda s=s: csgraph.shortest_path(A, method="D", directed=True,
                                                                           unweighted=True, indices=s)}, 3)
        d, t_nx = timed(lambda s=s: nx.single_source_shortest_path_length(G, s))
        assert (h >= 0).sum() == len(d) and all(h[k] == dist for k, dist in d.items())  # the same answer
        speedups.append(t_nx / times["bfs"])
        ours.append(times["bfs"])
        dijkstra.append(times["dijkstra"])
    lo, mid, hi = min(speedups), statistics.median(speedups), max(speedups)
    t_bfs, t_dijkstra = statistics.median(ours), statistics.median(dijkstra)
    row(f"hops from one node ({args.sources} sources)", f"{t_bfs:.4f} s", f"{t_dijkstra:.4f} s scipy Dijkstra",
        f"{t_dijkstra / t_bfs:.2f}× faster", "", None)
    row("  speed-up over networkx, min/median/max", "", f"{t_nx:.3f} s networkx (last)",
        f"{lo:.1f}× / {mid:.1f}× / {hi:.1f}×", "≥ 10× every source", lo >= 10)

    from seqgraph.nn.gcn import propagate, sparse_propagation

    torch.manual_seed(0)
    csr = sparse_propagation(gcn_norm(g).A_hat)
    coo = csr.to_sparse_coo().coalesce()
    H = torch.randn(g.num_nodes, 64)
    W = torch.randn(64, 64, requires_grad=True)

    def step(Ahat: torch.Tensor, backward: bool) -> None:
        out = propagate(Ahat, H @ W)  # as GCNLayer does (COO: plain @)
        if backward:
            out.sum().backward()

    fwd = interleaved({"csr": lambda: step(csr, False), "coo": lambda: step(coo, False)}, args.rounds)
    both = interleaved({"csr": lambda: step(csr, True), "coo": lambda: step(coo, True)}, args.rounds)
    for label, t in (("forward", fwd), ("forward + backward", both)):
        row(f"GCN Â @ (H W), 64 → 64, {label}", f"{t['csr'] * 1e3:.1f} ms", f"{t['coo'] * 1e3:.1f} ms COO",
            f"{t['coo'] / t['csr']:.2f}× faster", "CSR faster than COO", t["csr"] < t["coo"])


if __name__ == "__main__":
    main()
