"""``seqgraph grads``, ``timegate`` and ``plot``: instruments and figures."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.analysis.settings import GradsConfig, TimeGateConfig
from seqgraph.cli.common import complete, console, given, one_of, print_json, user_errors
from seqgraph.cli.options import DEVICE_HELP, Opt, Overwrite, options_of, with_options
from seqgraph.nn.registry import unidirectional_cells
from seqgraph.plots import FORMATS as FIGURE_FORMATS
from seqgraph.plots import KINDS as PLOT_KINDS

GRADS_HELP: dict[str, str | Opt] = {
    "model": Opt(f"Cells, {one_of(unidirectional_cells(), 'all')} (a comma list; cells that read forward in time).",
                 complete=complete(lambda: (*unidirectional_cells(), "all"), lists=True)),
    "length": "Palindrome length (the model reads L − 1 steps), at least 3.",
    "seeds": "Seeds to average over.",
    "train_steps": "Also measure after this many training steps at that length.",
    "batch_size": "Sequences in the probe batch.",
    "hidden": "Hidden units.",
    "forget_bias": "Initial forget-gate bias of LSTM-type cells (as the palindrome benchmark).",
    "device": DEVICE_HELP,
    "out": "Folder for grads.csv and grads.png.",
}
TIMEGATE_HELP: dict[str, str | Opt] = {
    "tau": "Period τ.",
    "shift": "Phase shift s.",
    "r_on": "Open ratio r_on, in (0, 1].",
    "leak": "Leak α in the closed phase.",
    "steps": "Show t = t0 .. t0 + steps.",
    "t0": Opt("Time of the first input: 0 (seqgraph's cells count from 0) or 1 (the 2018 course's equations count "
              "from t = 1).", ("--t0",)),
    "resolution": "Points per unit of time in the figure.",
    "out": "Folder for timegate.csv and timegate.png.",
}


@with_options(options_of(GradsConfig, GRADS_HELP))
def grads(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with these options.")] = None,
    **settings: Any,
) -> None:
    """Gradient magnitude ‖∂L/∂h_t‖ over time steps, loss on the last step: why RNNs forget."""
    from seqgraph.analysis.grads import grads_report
    from seqgraph.config import resolve
    from seqgraph.train.progress import Message

    with user_errors():
        cfg = resolve(GradsConfig, config, **given(ctx, exclude=("config",)))
        err, spinner = console(stderr=True), ExitStack()

        def show(event: Any) -> None:  # what is measured: a spinner, or a line in a file or a pipe
            if isinstance(event, Message) and err.is_terminal:
                spinner.enter_context(err.status(event.text))
            elif isinstance(event, Message):
                err.print(event.text, soft_wrap=True)

        with spinner:
            report = grads_report(cfg, show)
    from rich.table import Table

    rows = report.table
    last, mid = cfg.length - 2, max(1, (cfg.length - 2) // 2)
    con = console()
    con.print("‖∂L/∂s_t‖ (s_t: the state after t digits), mean over batch and seeds")
    t = Table()
    for c in ("model", "trained steps", f"t = {last} (last)", f"t = {mid}", "t = 1 (first digit)", "first / last"):
        t.add_column(c, justify="left" if c == "model" else "right")
    for r in rows:
        t.add_row(r["model"], str(r["trained_steps"]), f"{r['last']:.3g}", f"{r['mid']:.3g}", f"{r['first']:.3g}",
                  f"{r['ratio']:.2g}" if r["ratio"] is not None else "—")
    con.print(t)
    con.print(f"results: {report.csv}, figure: {report.figure}")


@with_options(options_of(TimeGateConfig, TIMEGATE_HELP))
def timegate(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print k(t) at integer steps as JSON.")] = False,
    **settings: Any,
) -> None:
    """The time gate k(t) of the time-gated LSTM, as a table, a CSV and a figure."""
    from seqgraph.analysis.timegate import timegate_report
    from seqgraph.config import resolve

    with user_errors():
        cfg = resolve(TimeGateConfig, None, **given(ctx, exclude=("as_json",)))
        report = timegate_report(cfg)
    integer, fig = report.integer, report.figure
    if as_json:
        print_json({"tau": cfg.tau, "shift": cfg.shift, "r_on": cfg.r_on, "leak": cfg.leak, "t0": cfg.t0,
                    "k": [{"t": int(r["t"]), "k": r["k"]} for r in integer]})
        return
    from rich.table import Table

    # the caption is a line of its own: as the table's title it wrapped to the narrow table's width
    caption = (f"k(t) with τ = {cfg.tau:g}, s = {cfg.shift:g}, r_on = {cfg.r_on:g}"
               + (" (t = 1: the first input, as the 2018 course counts)" if cfg.t0 == 1 else ""))
    t = Table()
    for c in ("t", "phase φ", "k(t)", ""):
        t.add_column(c, justify="right" if c else "left")
    for r in integer:
        state = "open, rising" if r["phase"] < cfg.r_on / 2 else "open, falling" if r["phase"] < cfg.r_on else "closed"
        t.add_row(str(int(r["t"])), f"{r['phase']:.3f}", f"{r['k']:.3f}", state)
    con = console()
    con.print(caption)
    con.print(t)
    con.print(f"results: {Path(cfg.out) / 'timegate.csv'}, figure: {fig}")


def plot(
    csvs: Annotated[list[Path], typer.Argument(help="CSVs written by seqgraph: summary, curves, log, grads or timegate (summaries or curves of several sweeps are drawn together).", show_default=False)],
    kind: Annotated[str, typer.Option(help=f"Figure, {one_of(('auto', *PLOT_KINDS))} (auto: from the CSV's columns).", autocompletion=complete(("auto", *PLOT_KINDS)))] = "auto",
    x: Annotated[str, typer.Option("--x", help="Accuracy figure: the setting on the x axis (e.g. lr, hidden).")] = "length",
    by: Annotated[str | None, typer.Option(help="Accuracy figure: a line per value of these settings (comma list). Default: every other setting that varies but the seed.")] = None,
    out: Annotated[Path | None, typer.Option(help="Figure file (.png, .svg or .pdf). Default: <kind>.<format> beside the first CSV.")] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"Figure format when --out is not given, {one_of(FIGURE_FORMATS)}.", autocompletion=complete(FIGURE_FORMATS))] = FIGURE_FORMATS[0],
    model: Annotated[str | None, typer.Option(help="Only these models (comma list).")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Draw the figure a seqgraph CSV calls for (accuracy against length or any setting, learning curves, text-model curves, gradient flow, time gate)."""
    from seqgraph.plots import draw

    with user_errors():
        k, saved = draw(csvs, kind, x, by, out, fmt, model, overwrite)
    console().print(f"{k} figure: {saved}")


def table(
    csvs: Annotated[list[Path], typer.Argument(help="summary.csv files of palindrome or memory sweeps (several are concatenated).", show_default=False)],
    by: Annotated[str | None, typer.Option(help="Group by these settings (comma list). Default: every setting that varies but the seed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
) -> None:
    """Held-out accuracy (memory: the task's metric) of palindrome or memory runs grouped by any settings, mean ± std over seeds."""
    from seqgraph.cli.palindrome import print_summary
    from seqgraph.results import summary_table

    with user_errors():
        agg, bases = summary_table(csvs, by)
    if as_json:
        print_json(agg.drop(columns=[c for c in ("_all",) if c in agg.columns]).to_dict("records"))
        return
    print_summary(agg, bases=bases)
