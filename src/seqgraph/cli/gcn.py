"""``seqgraph gcn``: adjacency and normalisation, hops, one GCN/GAT layer, node classification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import (
    complete,
    complete_examples,
    console,
    fail,
    given,
    one_of,
    print_json,
    report_failures,
    user_errors,
)
from seqgraph.cli.options import DEVICE_HELP, RUN, RUN_OPTIONS_HELP, SETTINGS, Opt, Overwrite, options_of, with_options
from seqgraph.experiments.node_classification import NodeClassificationConfig
from seqgraph.experiments.transfer.spec import MODELS, NORMS, TransferOptions, TransferRun
from seqgraph.graphs import FORMATS
from seqgraph.graphs.transfer import FAMILIES
from seqgraph.nn.gcn_names import ACTIVATIONS, VARIANTS

app = typer.Typer(help="Graph tools: GCN adjacency, hops, a GCN layer, node classification, over-smoothing, over-squashing, effective resistance and the graph-transfer benchmark.",
                  no_args_is_help=True)

SHOW_LIMIT = 15  # nodes: print full matrices as tables up to this size

GraphArg = Annotated[Path, typer.Argument(help="Graph file (node-link JSON, adjacency-map JSON, or 'u v \\[w]' edge list), or the name of a shipped example graph such as course-2019, course-2020, karate (seqgraph examples lists them).", autocompletion=complete_examples("graph"))]
FormatOpt = Annotated[str, typer.Option("--format", help=f"Graph file format, {one_of(FORMATS)}.", autocompletion=complete(FORMATS))]
DirectedOpt = Annotated[bool | None, typer.Option("--directed/--undirected", help="Override what the file says (default: undirected unless the file says directed).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON answer on stdout.")]


def _fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:.4f}".rstrip("0").rstrip(".")


def _matrix_table(title: str, mat: Any, nodes: list[str]) -> Any:
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column("")
    for n in nodes:
        t.add_column(n, justify="right")
    dense = mat.toarray()
    for i, n in enumerate(nodes):
        t.add_row(n, *(_fmt(v) for v in dense[i]))
    return t


@app.command()
def adjacency(
    graph: GraphArg,
    out: Annotated[Path | None, typer.Option(help="Folder for A.csv, A_tilde.csv, A_hat.csv.")] = None,
    overwrite: Overwrite = False,
    self_loops: Annotated[bool, typer.Option("--self-loops/--no-self-loops", help="Add I (Ã = A + I).")] = True,
    variant: Annotated[str, typer.Option(help=f"Normalisation, {one_of(VARIANTS)} (sym: D̃^-1/2 Ã D̃^-1/2; rw: D̃^-1 Ã, random walk).", autocompletion=complete(VARIANTS))] = VARIANTS[0],
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A, Ã = A + I and Â = D̃^-1/2 Ã D̃^-1/2 of a graph (rows of Â receive messages).

    An edge's weight is its entry in A: the weight of the message it carries. An edge of weight 0 carries none and adds nothing to the degrees (Â as if it were absent), yet it is still an edge for gcn hops and GAT neighbourhoods.
    """
    from seqgraph.graphs.io import DENSE_LIMIT
    from seqgraph.graphs.tools import adjacency as compute

    with user_errors():
        res = compute(graph, fmt=fmt, directed=directed, self_loops=self_loops, variant=variant, out=out,
                      overwrite=overwrite)
    g, m, saved = res.graph, res.matrices, res.saved
    if as_json:
        def enc(mat: Any) -> Any:
            if g.num_nodes <= DENSE_LIMIT:
                return mat.toarray().tolist()
            coo = mat.tocoo()
            return [[g.nodes[r], g.nodes[c], float(v)] for r, c, v in zip(coo.row, coo.col, coo.data, strict=True)]

        print_json({"nodes": g.nodes, "directed": g.directed, "variant": variant, "self_loops": self_loops,
                    "format": "dense" if g.num_nodes <= DENSE_LIMIT else "sparse [row, col, value]",
                    "degree": m.degree.tolist(), "A": enc(m.A), "A_tilde": enc(m.A_tilde), "A_hat": enc(m.A_hat)})
        return
    con = console()
    kind = "directed" if g.directed else "undirected"
    con.print(f"{g.num_nodes:,} nodes, {g.num_edges:,} edges ({kind}); Â: {'D̃^-1/2 Ã D̃^-1/2' if variant == 'sym' else 'D̃^-1 Ã'}"
              f"{'' if self_loops else ', no self-loops'}")
    if g.num_nodes <= SHOW_LIMIT:
        con.print(_matrix_table("A", m.A, g.nodes))
        if self_loops:
            con.print(_matrix_table("Ã = A + I", m.A_tilde, g.nodes))
        con.print("degrees D̃: " + ", ".join(f"{n}={_fmt(d)}" for n, d in zip(g.nodes, m.degree, strict=True)))
        con.print(_matrix_table("Â" + (" (row v: what v receives)" if g.directed else ""), m.A_hat, g.nodes))
    else:
        d = m.degree
        con.print(f"degree D̃: min {d.min():g}, mean {d.mean():.3g}, max {d.max():g}; "
                  f"Â has {m.A_hat.nnz:,} non-zeros" + ("" if out else " — use --out DIR to write the matrices"))
    if saved:
        kind_, files = saved
        note = ("as labelled square matrices" if kind_ == "dense"
                else f"as sparse row,col,value lists: the graph has over {DENSE_LIMIT:,} nodes")
        con.print(f"wrote {', '.join(files)} {note}")


@app.command()
def hops(
    graph: GraphArg,
    source: Annotated[str | None, typer.Option(help="Node whose information travels.")] = None,
    target: Annotated[str | None, typer.Option(help="Node that should hear it (needs --source).")] = None,
    out: Annotated[Path | None, typer.Option(help="CSV of hops (per node, or the all-pairs matrix).")] = None,
    overwrite: Overwrite = False,
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How many GCN layers (message-passing updates) information needs to travel between nodes.

    Hops count edges, never weights: every edge the file lists is one hop, an edge of weight 0 too (in Â it carries no message; see gcn adjacency).
    """
    import numpy as np

    from seqgraph.graphs.tools import hops as compute

    with user_errors():
        if target is not None and source is None:
            raise fail("--target needs --source")
        res = compute(graph, fmt=fmt, directed=directed, source=source, target=target, out=out, overwrite=overwrite)
    g, h, ap = res.graph, res.source_hops, res.all_pairs
    con = console()
    if target is not None:
        hops_ = res.target_hops
        if as_json:
            print_json({"source": str(source), "target": str(target), "hops": hops_})
        elif hops_ is None:
            con.print(f"{source} → {target}: unreachable — no number of GCN layers lets {target} hear {source}")
        else:
            con.print(f"{source} → {target}: {hops_} hop{'s' if hops_ != 1 else ''} — "
                      f"{target} first hears {source} after {hops_} GCN layer{'s' if hops_ != 1 else ''}")
        return
    if h is not None:
        if as_json:
            print_json({"source": str(source), "hops": {n: (int(v) if v >= 0 else None)
                                                        for n, v in zip(g.nodes, h, strict=True)}})
            return
        reach = h[h >= 0]
        con.print(f"from {source}: reaches {len(reach):,} of {g.num_nodes:,} nodes; farthest {reach.max()} hops")
        if g.num_nodes <= 50:
            from rich.table import Table

            t = Table(title=f"hops from {source}", title_justify="left")
            t.add_column("node")
            t.add_column("hops", justify="right")
            for n, v in zip(g.nodes, h, strict=True):
                t.add_row(n, str(v) if v >= 0 else "unreachable")
            con.print(t)
        else:
            counts = np.bincount(reach)
            con.print("nodes at each distance: " + ", ".join(f"{k}: {c:,}" for k, c in enumerate(counts)))
        return
    assert ap is not None  # no source: all pairs
    rf = ap.receptive_field
    if as_json:
        print_json({"nodes": g.nodes, "hops": [[(int(v) if v >= 0 else None) for v in row] for row in ap.hops],
                    "diameter": ap.diameter, "unreachable_pairs": ap.unreachable_pairs,
                    "receptive_field": {str(k): dict(zip(g.nodes, map(int, rf[k]), strict=True)) for k in range(len(rf))}})
        return
    from rich.table import Table

    if g.num_nodes <= SHOW_LIMIT:
        con.print("hops from s (row) to t (column); ∞: unreachable")
        t = Table()
        t.add_column("")
        for n in g.nodes:
            t.add_column(n, justify="right")
        for n, row in zip(g.nodes, ap.hops, strict=True):
            t.add_row(n, *(str(v) if v >= 0 else "∞" for v in row))
        con.print(t)
    con.print(f"diameter: {ap.diameter if ap.diameter is not None else '—'} (longest shortest path); "
              f"unreachable ordered pairs: {ap.unreachable_pairs:,}")
    con.print("receptive field: how many nodes a node hears from after k layers (itself included)")
    t = Table()
    for col in ("k", "min", "mean", "max"):
        t.add_column(col, justify="right")
    for k in range(len(rf)):
        t.add_row(str(k), str(rf[k].min()), f"{rf[k].mean():.2f}", str(rf[k].max()))
    con.print(t)


@app.command()
def layer(
    graph: GraphArg,
    features: Annotated[Path | None, typer.Option(help="CSV: node id, then features. Default: one-hot identity (X = I).")] = None,
    out: Annotated[Path | None, typer.Option(help="CSV for H' (node id, then features).")] = None,
    overwrite: Overwrite = False,
    out_dim: Annotated[int, typer.Option(help="Output features (with a seeded Glorot W).")] = 2,
    weights: Annotated[Path | None, typer.Option(help="CSV of W (F_in rows × F_out columns, no header) instead of a seeded one.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for W (and a).")] = 0,
    activation: Annotated[str, typer.Option(help=f"σ, {one_of(ACTIVATIONS)}.", autocompletion=complete(ACTIVATIONS))] = ACTIVATIONS[0],
    gat: Annotated[bool, typer.Option("--gat", help="A graph attention layer instead: prints α_ij per edge.")] = False,
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One GCN layer H' = σ(Â H W) on a graph (or a GAT layer with its attention coefficients).

    Edge weights enter Â (an edge of weight 0 carries no message); a GAT layer reads no weights: its neighbourhoods are every listed edge and the node itself.
    """
    from seqgraph.graphs.tools import layer as compute

    with user_errors():
        g, res = compute(graph, fmt=fmt, directed=directed, features=features, out_dim=out_dim, weights=weights,
                         seed=seed, activation=activation, gat=gat, out=out, overwrite=overwrite)
    if as_json:
        data: dict[str, Any] = {"nodes": g.nodes, "H": res.H.tolist(), "W": res.W.tolist()}
        if res.attention is not None:
            data["attention"] = res.attention
        print_json(data)
        return
    from rich.table import Table

    con = console()
    kind = "GAT" if gat else "GCN"
    con.print(f"{kind} layer: {res.W.shape[0]} → {res.W.shape[1]} features, activation {activation}, "
              f"W {'from ' + str(weights) if weights else f'Glorot, seed {seed}'}")
    if g.num_nodes <= 50:
        con.print("H' (one row per node)")
        t = Table()
        t.add_column("node")
        for k in range(res.H.shape[1]):
            t.add_column(f"h{k}", justify="right")
        for n, row in zip(g.nodes, res.H, strict=True):
            t.add_row(n, *(f"{v:.4f}" for v in row))
        con.print(t)
    if res.attention is not None and len(res.attention) <= 200:
        con.print("attention α_ij: node i attends to j (each i's row sums to 1)")
        t = Table()
        for col in ("i", "j", "α_ij"):
            t.add_column(col, justify="right" if col == "α_ij" else "left")
        for a in res.attention:
            t.add_row(a["i"], a["j"], f"{a['alpha']:.4f}")
        con.print(t)
    if out is not None:
        con.print(f"wrote {out}")


FeaturesOpt = Annotated[Path | None, typer.Option(help="CSV: node id, then features. Default: --num-features standard normal features drawn from --seed.")]
NumFeaturesOpt = Annotated[int, typer.Option(help="Random features per node when no --features file is given.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random features and the weights.")]


def _num(v: float) -> str:
    return "∞" if v == float("inf") else f"{v:.4g}"


@app.command()
def smoothing(
    graph: GraphArg,
    layers: Annotated[str, typer.Option(help="Steps to report: propagations Â^k X and layers k of each model (start:stop, a list, or one depth; the deepest sets the network's depth).")] = "1:32",
    model: Annotated[str, typer.Option(help="Models whose layers are measured beside Â^k X: gcn, gat or gcn,gat (random Glorot weights, width = the features).")] = "gcn",
    features: FeaturesOpt = None,
    num_features: NumFeaturesOpt = 16,
    seed: SeedOpt = 0,
    trained: Annotated[bool, typer.Option("--trained", help="Measure the networks after training them on the graph's node labels (a linear head on the last layer; --per-class labelled nodes per class; Adam 0.01, weight decay 5e-4).")] = False,
    label_key: Annotated[str, typer.Option(help="With --trained: the node attribute holding the class.")] = "label",
    per_class: Annotated[int, typer.Option(help="With --trained: labelled nodes per class, drawn from --seed.")] = 1,
    epochs: Annotated[int, typer.Option(help="With --trained: training epochs (full-graph steps).")] = 200,
    out: Annotated[Path | None, typer.Option(help="Folder for smoothing.csv and smoothing.png (log scale).")] = None,
    overwrite: Overwrite = False,
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Over-smoothing: Dirichlet energy √E (Rusch et al. 2023) and MAD, the mean cosine distance between neighbours (Chen et al. 2020), after each propagation Â^k X and each layer of a GCN or GAT.

    E(X) = (1/|V|) Σ_i Σ_{j∈N(i)} ‖X_i − X_j‖². Both fall as neighbours' features become alike; with the symmetric Â the propagation tends to D̃^1/2-scaled constants, so E levels off at a floor while MAD keeps falling towards 0.
    """
    from seqgraph.analysis.smoothing import Training
    from seqgraph.graphs.tools import smoothing as compute

    with user_errors():
        models = tuple(dict.fromkeys(m.strip() for m in model.split(",") if m.strip()))
        if not trained and (label_key != "label" or per_class != 1 or epochs != 200):
            raise fail("--label-key, --per-class and --epochs are options of --trained")
        if epochs <= 0 or per_class <= 0:
            raise fail("--epochs and --per-class must be positive")
        training = Training(label_key, per_class, epochs) if trained else None
        res = compute(graph, layers=layers, models=models, features=features, num_features=num_features,
                      seed=seed, fmt=fmt, directed=directed, out=out, training=training, overwrite=overwrite)
    rows = res.result.rows
    if as_json:
        print_json({"nodes": res.result.nodes, "edges": res.result.edges, "features": res.result.features, "rows": rows,
                    "trained_accuracy": res.result.trained_accuracy})
        return
    from rich.table import Table

    con = console()
    con.print(f"{res.result.nodes:,} nodes, {res.result.edges:,} edges, {res.result.features} features")
    wheres = list(dict.fromkeys(r["where"] for r in rows))
    t = Table(title="√E (Dirichlet energy) and MAD after k steps", title_justify="left")
    t.add_column("k", justify="right")
    for w in wheres:
        name = "Â^k X" if w == "propagation" else w.upper().replace("-TRAINED", " trained")
        t.add_column(f"{name} √E", justify="right")
        t.add_column(f"{name} MAD", justify="right")
    by = {(r["where"], r["step"]): r for r in rows}
    for k in sorted({r["step"] for r in rows}):
        cells = []
        for w in wheres:
            r = by[(w, k)]
            cells += [_num(r["sqrt_energy"]), _num(r["mad"])]
        t.add_row(str(k), *cells)
    con.print(t)
    for m, acc in res.result.trained_accuracy.items():
        con.print(f"{m.upper()} trained: accuracy {acc:.3f} on the unlabelled nodes")
    if res.saved:
        con.print(f"wrote {', '.join(res.saved)}")


@app.command()
def squash(
    graph: GraphArg,
    source: Annotated[str, typer.Option(help="Node u whose input travels.", show_default=False)],
    target: Annotated[str, typer.Option(help="Node v that should hear it.", show_default=False)],
    layers: Annotated[str, typer.Option(help="GCN depths r (start:stop, a list, or one).")] = "1:8",
    width: Annotated[int, typer.Option(help="Hidden features of each GCN layer.")] = 16,
    features: FeaturesOpt = None,
    num_features: NumFeaturesOpt = 16,
    seed: SeedOpt = 0,
    out: Annotated[Path | None, typer.Option(help="CSV: one row per depth.")] = None,
    overwrite: Overwrite = False,
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Over-squashing: how much of u's input reaches v through r GCN layers — the Jacobian ‖∂h_v/∂x_u‖₂ against its bound Π‖W_k‖₂ (Â^r)_vu (Topping et al. 2022), and the effective resistance R(u, v) (Di Giovanni et al. 2023).

    Each depth r is a GCN of r ReLU layers with Glorot weights from --seed (layer k the same at every depth).
    """
    from seqgraph.graphs.tools import squash as compute

    with user_errors():
        res = compute(graph, source=source, target=target, layers=layers, features=features,
                      num_features=num_features, width=width, seed=seed, fmt=fmt, directed=directed, out=out,
                      overwrite=overwrite)
    s = res.result
    if as_json:
        print_json({"source": source, "target": target, "hops": s.hops, "resistance": s.resistance,
                    "resistance_method": s.resistance_method, "rows": s.rows})
        return
    from rich.table import Table

    con = console()
    hops = "unreachable" if s.hops is None else f"{s.hops} hop{'s' if s.hops != 1 else ''}"
    con.print(f"{source} → {target}: {hops}; effective resistance R = {_num(s.resistance)} ({s.resistance_method})")
    t = Table(title=f"sensitivity of h_{target} to x_{source}", title_justify="left")
    for col in ("layers r", "‖∂h_v/∂x_u‖₂", "bound Π‖W‖ (Â^r)_vu", "(Â^r)_vu", "Π‖W_k‖₂"):
        t.add_column(col, justify="right")
    for r in s.rows:
        t.add_row(str(r["layers"]), _num(r["sensitivity"]), _num(r["bound"]), _num(r["propagation"]),
                  _num(r["weight_norm_product"]))
    con.print(t)
    if s.hops is not None and any(r["layers"] < s.hops for r in s.rows):
        con.print(f"depths below {s.hops} cannot reach: their sensitivity and bound are 0")
    if res.saved:
        con.print(f"wrote {res.saved[0]}")


@app.command()
def resistance(
    graph: GraphArg,
    pairs: Annotated[str | None, typer.Option(help="Node pairs u-v, comma-separated (e.g. C-E,A-F). Default: every pair (exact method only).")] = None,
    method: Annotated[str, typer.Option(help="auto: exact up to 5,000 nodes, else sparse; exact: dense L⁺ by Cholesky, and the Kirchhoff index; sparse: the requested pairs by conjugate gradients on the sparse Laplacian.", autocompletion=complete(("auto", "exact", "sparse")))] = "auto",
    out: Annotated[Path | None, typer.Option(help="CSV: u, v, resistance.")] = None,
    overwrite: Overwrite = False,
    fmt: FormatOpt = "auto",
    directed: DirectedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Effective resistance R(u, v) = (e_u − e_v)ᵀ L⁺ (e_u − e_v) between node pairs, and the total (the Kirchhoff index, Σ_{u<v} R).

    Edges conduct with their weight. Nodes in different components are infinitely far apart.
    """
    from seqgraph.graphs.tools import resistance as compute

    with user_errors():
        res = compute(graph, pairs=pairs, method=method, fmt=fmt, directed=directed, out=out, overwrite=overwrite)
    r = res.result
    if as_json:
        print_json({"method": r.method, "components": r.components, "kirchhoff_index": r.kirchhoff,
                    "pairs": [{"u": u, "v": v, "resistance": x, "connected": x != float("inf")}
                              for u, v, x in r.pairs]})
        return
    from rich.table import Table

    con = console()
    g = res.graph
    con.print(f"{g.num_nodes:,} nodes, {g.num_edges:,} edges, {r.components:,} component(s); method: {r.method}")
    shown = r.pairs if len(r.pairs) <= 50 else sorted(r.pairs, key=lambda p: -p[2])[:20]
    con.print("effective resistance" + ("" if len(r.pairs) <= 50 else f" (the 20 largest of {len(r.pairs):,} pairs)")
              + ("; ∞: in different components" if r.components > 1 else ""))
    t = Table()
    for col in ("u", "v", "R(u, v)"):
        t.add_column(col, justify="right" if col == "R(u, v)" else "left")
    for u, v, x in shown:
        t.add_row(u, v, _num(x))
    con.print(t)
    if r.kirchhoff is not None:
        note = f" (the graph has {r.components} components)" if r.components > 1 else ""
        con.print(f"Kirchhoff index (total effective resistance, Σ_u<v R): {_num(r.kirchhoff)}{note}")
    if res.saved:
        con.print(f"wrote {res.saved[0]}")


TRAIN_HELP: dict[str, str | Opt] = {
    "label_key": 'Node attribute with the class ("": club for the built-in karate club, label for a file).',
    "labeled": 'Comma list of nodes whose labels are seen ("": 0,33 on the built-in karate club, else --per-class).',
    "per_class": "Without --labeled: random labelled nodes per class.",
    "features": 'Node features CSV ("": one-hot identity, X = I).',
    "hidden": "Hidden units.",
    "epochs": "Training epochs.",
    "lr": "Adam learning rate.",
    "weight_decay": "Adam weight decay (L2).",
    "dropout": "Dropout on the input and hidden features.",
    "seed": "Seed of the weights, dropout and the labelled nodes drawn.",
    "device": DEVICE_HELP,
    "out": "Folder for log.csv, predictions.csv, config.toml.",
    "tensorboard": RUN_OPTIONS_HELP["tensorboard"],
}


@app.command()
@with_options(options_of(NodeClassificationConfig, TRAIN_HELP, skip=("graph",)))
def train(
    ctx: typer.Context,
    graph: Annotated[Path | None, typer.Argument(help="Graph file with node labels (node-link JSON), or the name of a shipped example graph. Default: Zachary's karate club (networkx).", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with these options; flags override it.")] = None,
    as_json: JsonOpt = False,
    **settings: Any,
) -> None:
    """Semi-supervised node classification with a 2-layer GCN; accuracy on the unlabelled nodes."""
    from seqgraph.cli.display import Display, with_logs
    from seqgraph.config import resolve
    from seqgraph.experiments.node_classification import train_node_classifier

    with user_errors():
        flags = given(ctx, exclude=("config", "as_json", "graph"))
        if graph is not None:
            flags["graph"] = str(graph)
        cfg = resolve(NodeClassificationConfig, config, **flags)
        display = Display(console(stderr=True), unit="epoch", log_evaluations=False)  # every epoch evaluates
        with display, with_logs(display, cfg.tensorboard) as progress:  # draws from the first epoch on
            res = train_node_classifier(cfg, progress)
    if as_json:
        print_json({"graph": res.graph, "classes": res.classes, "labeled": res.labeled,
                    "test_accuracy": res.test_accuracy, "predictions": res.predictions})
        return
    from rich.text import Text

    con = console()
    con.print(f"{res.graph}: classes {', '.join(res.classes)}; labelled nodes: {', '.join(res.labeled)}")
    n_test = sum(1 for p in res.predictions if p["true"] and not p["labeled"])
    con.print(Text(f"accuracy on the {n_test} unlabelled nodes: ").append(f"{res.test_accuracy:.3f}", style="bold"))
    con.print(f"results: {Path(cfg.out) / 'log.csv'}, {Path(cfg.out) / 'predictions.csv'}")


TRANSFER_HELP: dict[str, str | Opt] = {
    "graph": Opt(f"Graph families, {one_of(FAMILIES)} (a list sweeps them): a ring of 2r nodes, the ring with "
                 "cross edges, or a clique joined to a path.", complete=complete(FAMILIES, lists=True)),
    "distance": Opt("Source–target distances r: start:stop[:step] (stop inclusive) or a list.",
                    ("--distance", "--distances")),
    "model": Opt(f"Models, {one_of(MODELS)} (a list sweeps them).", complete=complete(MODELS, lists=True)),
    "seed": "Seeds (a list, or a range like 1:3): each draws its own weights, split and batches.",
    "layers": "Message-passing layers; 0: the distance r (the benchmark's rule).",
    "hidden": "Hidden features.",
    "norm": f"Normalisation between layers, {one_of(NORMS)} (batch: BatchNorm, as the repository).",
    "classes": "Labels the source may carry.",
    "samples": "Graphs in the dataset (one structure; the source's label varies).",
    "test_fraction": "Fraction of the samples held out.",
    "batch_size": "Batch size.",
    "epochs": "Training epochs (at most, with early stopping).",
    "lr": "Adam learning rate (halved after 10 epochs without a better test accuracy, to 1e-5 at least).",
    "weight_decay": "Adam weight decay.",
    "early_stop": Opt("End a run at test accuracy 1.", ("--early-stop/--no-early-stop",)),
}
TRANSFER_RUN_HELP: dict[str, str | Opt] = RUN_OPTIONS_HELP | {
    "out": "Output folder for curves.csv, summary.csv, config.toml and transfer.png.",
    "executor": Opt("Executor, auto, sequential, processes or ray (runs train one at a time; auto: one process per "
                    "core).", complete=complete(("auto", "sequential", "processes", "ray"))),
    "resume": Opt("Train only the runs whose rows are missing in --out.", ("--resume",)),
    "overwrite": Opt("Replace results already in the output folder.", ("--overwrite",)),
}


@app.command()
@with_options(options_of(TransferRun, TRANSFER_HELP, panel=SETTINGS),
              options_of(TransferOptions, TRANSFER_RUN_HELP, panel=RUN))
def transfer(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with any of these options (its [transfer] table, or top-level keys); flags override it.", rich_help_panel=RUN)] = None,
    **settings: Any,
) -> None:
    """The graph-transfer benchmark (Di Giovanni et al., ICML 2023): a source node r hops from the target carries one of 5 labels, and an r-layer GCN or GAT must predict it at the target — accuracy against distance, for every combination of the settings given as lists (e.g. --graph ring,crossed-ring --distance 2:10 --model gcn,gat --seeds 1:3).

    Every row also carries the graph's bounds on the transfer: the hops, the propagation weight (Â^r)_ts and the effective resistance R(s, t). Writes curves.csv (every epoch), summary.csv, config.toml and transfer.png to --out.
    """
    from seqgraph.cli.palindrome import print_summary, run_palindrome_sweep
    from seqgraph.experiments.transfer.train import draw_transfer
    from seqgraph.sweep.grid import resolve_sweep

    with user_errors():
        sweep = resolve_sweep(TransferRun, TransferOptions, config, **given(ctx, exclude=("config",)))
        if sweep.options.executor == "batched":  # said before the output folder is locked (created)
            raise fail("--executor batched: transfer runs train one at a time (choose sequential, processes or ray)")
        if sweep.options.dry_run:
            from seqgraph.cli.display import print_dry_run

            return print_dry_run("transfer", sweep)
        summary = run_palindrome_sweep(sweep, experiment="transfer")
        figure = draw_transfer(summary, sweep.options.out)
    report_failures(summary)
    from seqgraph.results import aggregate, varying_settings
    from seqgraph.sweep.spec import spec_fields

    by = varying_settings(summary, spec_fields(TransferRun)) or ["graph", "distance", "model"]
    print_summary(aggregate(summary, by), sweep.options.out,
                  title="Held-out accuracy at the target (mean ± std over seeds)")
    con = console()
    classes = sorted({int(c) for c in summary["classes"]})
    con.print("not learned (baseline): " + ", ".join(f"1/{c} = {1 / c:.3f}" for c in classes)
              + " (a guess among the labels)")
    bounds = summary.drop_duplicates(["graph", "distance"]).sort_values(["graph", "distance"])
    con.print("the graphs' bounds: " + "; ".join(
        f"{r.graph} r={r.distance}: R = {r.resistance:.3g}, (Â^r)_ts = {r.propagation:.3g}" for r in bounds.itertuples()))
    if figure is not None:
        con.print(f"figure: {figure}")
