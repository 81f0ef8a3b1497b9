"""``seqgraph palindrome``: the memory benchmark; any run setting given as a list is a sweep axis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import (
    complete,
    complete_examples,
    console,
    given,
    interrupted,
    one_of,
    report_failures,
    user_errors,
)
from seqgraph.cli.options import KERNEL_HELP, RUN, RUN_OPTIONS_HELP, SETTINGS, Opt, options_of, with_options
from seqgraph.experiments.palindrome.spec import INITS, PalindromeOptions, PalindromeRun, palindrome_tasks
from seqgraph.nn.registry import cell_names, complete_cells
from seqgraph.presets import preset_names
from seqgraph.sweep.grid import EXECUTORS
from seqgraph.tasks.registry import ENCODINGS, TASKS
from seqgraph.train import OPTIMIZERS

TASK_HELP = "; ".join(f"{n}: {TASKS[n].summary}" for n in palindrome_tasks())

SETTING_HELP: dict[str, str | Opt] = {
    "model": Opt(f"Cells, {one_of(cell_names(), 'all')} (a list sweeps them).", complete=complete_cells),
    "task": f"Task — {TASK_HELP}.",
    "length": "Palindrome lengths L: start:stop[:step] (stop inclusive) or a list.",
    "encoding": f"Input encoding, {one_of(ENCODINGS)}: a symbol as a one-hot vector, or its value as one float (as "
                "the course templates).",
    "classes": "Output classes: task (10 decimal, 2 binary), length (L, as the 2020 template) or a number.",
    "seed": "Seeds (a list, or a range like 1:10): each draws its own weights and batches.",
    "steps": "Training steps per run (at most, with early stopping).",
    "batch_size": "Batch size.",
    "hidden": "Hidden units.",
    "layers": "Stacked recurrent layers.",
    "init": f"Initial weights, {one_of(INITS)}: U(±1/√n) as torch, or N(0, 2/fan_in) with biases 0.",
    "forget_bias": "Initial forget-gate bias of LSTM-type cells.",
    "learn_gate": Opt("tglstm: learn the time gate's τ, s, r_on.", ("--learn-gate/--fixed-gate",)),
    "t0": Opt("tglstm: the time gate's clock at the first input, 0 (seqgraph) or 1 (the 2018 course's equations "
              "count from t = 1).", ("--t0",)),
    "r_min": Opt("lru: smallest initial |λ| of the ring initialisation (0 ≤ r-min < r-max ≤ 1).", ("--r-min",)),
    "r_max": Opt("lru: largest initial |λ|.", ("--r-max",)),
    "max_phase": Opt("lru: largest initial phase of λ, in (0, 2π].", ("--max-phase",)),
    "optimizer": f"Optimizer, {one_of(OPTIMIZERS)} (a list compares them).",
    "lr": "Learning rate(s), e.g. 1e-3,1e-2.",
    "max_norm": "Clip each run's gradient norm to this; 0 disables.",
    "eval_every": "Steps between held-out evaluations.",
    "eval_batch_size": "Held-out batch size.",
    "early_stop": Opt("End a run once solved.", ("--early-stop/--no-early-stop",)),
    "solved_accuracy": "Held-out accuracy that counts as solved.",
    "solved_evals": "Consecutive solved evaluations that end a run.",
    "kernel": KERNEL_HELP,
}
RUN_HELP: dict[str, str | Opt] = RUN_OPTIONS_HELP | {
    "out": "Output folder for curves.csv, summary.csv, config.toml.",
    "executor": Opt(f"Executor, {one_of(EXECUTORS)}: auto is batched (runs of one shape as one model) on a GPU, on "
                    "a CPU one process per core.", complete=complete(EXECUTORS)),
    "resume": Opt("Train only the runs whose rows are missing in --out (after a crash, or with new axis values).",
                  ("--resume",)),
    "overwrite": Opt("Replace results already in the output folder.", ("--overwrite",)),
}


@with_options(options_of(PalindromeRun, SETTING_HELP, panel=SETTINGS),
              options_of(PalindromeOptions, RUN_HELP, panel=RUN))
def palindrome(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help=f"Course preset: {', '.join(preset_names())} — every setting as that course's template sets it (README table); TOML and flags still override it. Default: none (seqgraph's own defaults).", rich_help_panel=SETTINGS)] = "",
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with any of these options, or a shipped example's name (palindrome-sweep; seqgraph examples lists them); flags override it.", rich_help_panel=RUN, autocompletion=complete_examples("config"))] = None,
    **settings: Any,
) -> None:
    """Train recurrent cells to recall the first digit of a palindrome, for every combination of the settings given as lists (e.g. --lengths 5:41:4 --lr 1e-3,1e-2 --seeds 1,2,3).

    Writes curves.csv (every evaluation), summary.csv (a row per finished run, with all its settings) and the resolved config.toml to --out, and prints held-out accuracy per combination (mean ± std over seeds).
    """
    from seqgraph.sweep.grid import resolve_sweep

    with user_errors():
        sweep = resolve_sweep(PalindromeRun, PalindromeOptions, config, **given(ctx, exclude=("config",)))
        if sweep.options.dry_run:
            from seqgraph.cli.display import print_dry_run

            return print_dry_run("palindrome", sweep)
        summary = run_palindrome_sweep(sweep)
    report_failures(summary)
    from seqgraph.results import aggregate, baselines

    print_summary(aggregate(summary), sweep.options.out, bases=baselines(summary))


def run_palindrome_sweep(sweep: Any, display: Any = None, experiment: str = "palindrome") -> Any:
    """Run a sweep of ``experiment`` (palindrome, memory, transfer) under the live display (and
    ``--tensorboard``'s log); Ctrl-C or SIGTERM keeps every finished run."""
    from seqgraph.cli.display import Display, memory_line, palindrome_line, with_logs
    from seqgraph.sweep.engine import run_sweep

    own = display is None
    display = display or Display(console(stderr=True), memory_line if experiment == "memory" else palindrome_line)
    try:
        with with_logs(display, sweep.options.tensorboard) as progress:
            return run_sweep(experiment, sweep, progress)
    except KeyboardInterrupt as e:
        display.finished = getattr(e, "saved", display.finished)  # the rows in summary.csv decide
        display.stop()
        raise interrupted(display.finished, sweep.options.out) from None
    finally:
        if own:
            display.stop()


def print_summary(table_df: Any, out: str | None = None,
                  title: str = "", bases: list[Any] | None = None) -> None:
    """The aggregated table (see :func:`seqgraph.results.aggregate`), one row per combination,
    and the not-learned baselines ``bases`` (:func:`seqgraph.results.baselines`, per task, and
    per length where it depends on it): rows whose mean final figure is no better than their
    baseline (:func:`seqgraph.results.at_baseline`) are marked, never read as results. Memory
    rows also show their metric (accuracy or mse) and the loss ratio: the final held-out loss
    over the not-learned loss."""
    import math

    from seqgraph.results import at_baseline, baseline_notes, row_baselines

    bases = bases or []
    row_base = row_baselines(table_df, bases)

    from rich.table import Table

    def pm(mean: float, std: float, fmt: str = ".3f") -> str:
        if math.isnan(mean):
            return "—"
        return f"{mean:{fmt}}" if math.isnan(std) else f"{mean:{fmt}} ± {std:{fmt}}"

    memory = "metric" in table_df.columns
    title = title or ("Held-out figures: accuracy on the answers, or MSE (mean ± std over the runs of each row)"
                      if memory else "Held-out accuracy (mean ± std over the runs of each row)")
    stats = {"runs", "final_mean", "final_std", "best_mean", "solved", "solved_step_mean", "steps_mean",
             "wall_mean", "failed", "pruned", "metric", "loss_ratio_mean"}
    by = [c for c in table_df.columns if c not in stats and c != "_all"]
    t = Table(title=title, title_justify="left")
    for col in by:
        t.add_column(col.replace("_", " "), justify="right" if table_df[col].dtype.kind in "if" else "left")
    if memory:
        t.add_column("metric")
    for col in ("runs", "final" if memory else "final acc", "best" if memory else "best acc"):
        t.add_column(col, justify="right")
    if memory:
        t.add_column("loss ratio", justify="right")
    for col in ("solved", "time/run") if memory else ("solved", "solved at step", "time/run"):
        t.add_column(col, justify="right")
    failed = int(table_df["failed"].sum()) if "failed" in table_df.columns else 0
    if failed:
        t.add_column("failed", justify="right")
    pruned = "pruned" in table_df.columns
    if pruned:
        t.add_column("pruned", justify="right")

    records = table_df.to_dict("records")
    def metric_of(r: dict[str, Any]) -> str:
        return str(r["metric"]) if memory and isinstance(r["metric"], str) else "accuracy"

    low = [at_baseline(r["final_mean"], b, metric_of(r)) for r, b in zip(records, row_base, strict=True)]
    if any(low):  # a column only when used
        t.add_column("", justify="left")
    for r, marked in zip(records, low, strict=True):
        fmt = ".4f" if metric_of(r) == "mse" else ".3f"
        cells = [f"{r[c]:g}" if isinstance(r[c], float) else str(r[c]) for c in by]
        if memory:
            cells.append(metric_of(r))
        cells += [str(r["runs"]), pm(r["final_mean"], r["final_std"], fmt),
                  "—" if math.isnan(r["best_mean"]) else f"{r['best_mean']:{fmt}}"]
        if memory:
            cells.append("—" if math.isnan(r["loss_ratio_mean"]) else f"{r['loss_ratio_mean']:.3f}")
        at = "—" if math.isnan(r["solved_step_mean"]) else f"{r['solved_step_mean']:.0f}"
        cells += [f"{r['solved']}/{r['runs']}" + (f" at {at}" if memory and r["solved"] else ""),
                  *([] if memory else [at]), "—" if math.isnan(r["wall_mean"]) else f"{r['wall_mean']:.1f}s"]
        if failed:
            cells.append(str(r["failed"]))
        if pruned:
            cells.append(str(int(r["pruned"])))
        if any(low):
            cells.append(("not learned" if memory else "at baseline: not learned") if marked else "")
        t.add_row(*cells)
    con = console()
    con.print(t)
    if bases:
        con.print("not learned (baseline): " + "; ".join(baseline_notes(bases)))
    if out is not None:
        files = [Path(out) / f for f in ("summary.csv", "curves.csv", "config.toml")]
        con.print(f"results: {', '.join(str(f) for f in files if f.exists())}", soft_wrap=True)  # a deleted one: not named
