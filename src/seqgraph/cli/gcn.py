"""``seqgraph gcn``: adjacency and normalisation, hops, one GCN/GAT layer, node classification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import (
    complete,
    complete_examples,
    console,
    given,
    one_of,
    print_json,
    user_errors,
)
from seqgraph.cli.options import DEVICE_HELP, Opt, Overwrite, options_of, with_options
from seqgraph.experiments.node_classification import NodeClassificationConfig
from seqgraph.graphs import FORMATS
from seqgraph.nn.gcn_names import ACTIVATIONS, VARIANTS

app = typer.Typer(help="Graph tools: GCN adjacency, hops, a GCN layer, node classification.",
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

    from seqgraph.cli.common import fail
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
    from seqgraph.cli.display import Display
    from seqgraph.config import resolve
    from seqgraph.experiments.node_classification import train_node_classifier

    with user_errors():
        flags = given(ctx, exclude=("config", "as_json", "graph"))
        if graph is not None:
            flags["graph"] = str(graph)
        cfg = resolve(NodeClassificationConfig, config, **flags)
        with Display(console(stderr=True), unit="epoch") as display:  # draws from the first epoch on
            res = train_node_classifier(cfg, display)
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
