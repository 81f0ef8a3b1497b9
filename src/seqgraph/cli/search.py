"""``seqgraph search palindrome|memory``: an Optuna study over a sweep command's run settings
(the core: :mod:`seqgraph.search`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import complete, console, given, interrupted, one_of, user_errors
from seqgraph.cli.memory import PRESET_HELP as MEMORY_PRESET_HELP
from seqgraph.cli.memory import SETTING_HELP as MEMORY_SETTING_HELP
from seqgraph.cli.options import RUN, RUN_OPTIONS_HELP, Opt, options_of, with_options
from seqgraph.cli.palindrome import RUN_HELP as SWEEP_RUN_HELP
from seqgraph.cli.palindrome import SETTING_HELP as PALINDROME_SETTING_HELP
from seqgraph.cli.text import SETTING_HELP as TEXT_SETTING_HELP
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.experiments.memory.presets import PRESETS as MEMORY_PRESETS
from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.presets import preset_names
from seqgraph.search.pruning import PRUNERS
from seqgraph.search.study import (
    HISTORY_FILE,
    OBJECTIVES,
    SAMPLERS,
    STUDY_FILE,
    TRIALS_FILE,
    MemorySearchOptions,
    PalindromeSearchOptions,
    SearchOptions,
    TrainSearchOptions,
)

app = typer.Typer(help="Search run settings of palindrome, memory or train with Optuna (needs seqgraph\\[search]): ranges and choices given like "
                       "sweep axes, pruning at evaluations, the study in --out (a killed search resumes).",
                  no_args_is_help=True)

SPACE = "Run settings: a value fixes it, a list a,b is a choice, LOW..HIGH[:log|:STEP] a range"
SEARCH = "The search"
SEARCH_HELP: dict[str, str | Opt] = {
    "trials": "Trials to finish (complete, pruned or failed); --resume with a larger number goes on.",
    "timeout": "Seconds after which no new round of trials starts (0: none; the running round finishes).",
    "objective": Opt(f"What a trial scores, {one_of(OBJECTIVES)}: the best or the final held-out figure "
                     "(accuracy: maximised; MSE: minimised), or the steps to solved (minimised; never solved "
                     "counts as steps + 1).", complete=complete(OBJECTIVES)),
    "sampler": Opt(f"Optuna sampler, {one_of(SAMPLERS)}.", complete=complete(SAMPLERS)),
    "search_seed": "The sampler's seed (each round's sampler is seeded by it and the round).",
    "concurrent": "Trials per round: asked together, trained at once by the executor; the next round sees "
                  "their results. Part of the search (the same trials under every executor).",
    "pruner": Opt(f"Pruner, {one_of(PRUNERS)}: median ends a run whose best figure so far is worse than the "
                  "median of the completed trials' at that step.", complete=complete(PRUNERS)),
    "startup_trials": "Completed trials before the pruner prunes.",
    "warmup_steps": "Training steps of a run before it may be pruned.",
}
RUN_HELP: dict[str, str | Opt] = RUN_OPTIONS_HELP | {
    "out": f"Output folder: summary.csv and curves.csv (a row per trial's run), {TRIALS_FILE}, {STUDY_FILE} (the "
           f"Optuna study), {HISTORY_FILE}, config.toml.",
    "executor": SWEEP_RUN_HELP["executor"],
    "resume": Opt("Continue the search in --out (after a kill, or with more --trials).", ("--resume",)),
    "overwrite": Opt("Replace the search already in --out.", ("--overwrite",)),
}


@app.command("palindrome", no_args_is_help=False)
@with_options(options_of(PalindromeRun, PALINDROME_SETTING_HELP, panel=SPACE),
              options_of(PalindromeSearchOptions, RUN_HELP, panel=RUN, skip=("dry_run",)),
              options_of(SearchOptions, SEARCH_HELP, panel=SEARCH))
def palindrome(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help=f"Course preset: {', '.join(preset_names())} — the settings start from that course's template; flags override it. Default: none (seqgraph's own defaults).", rich_help_panel=SPACE)] = "",
    **settings: Any,
) -> None:
    """Search the settings of seqgraph palindrome with Optuna, e.g. --model lstm --lengths 20 --lr 1e-4..1e-1:log --hidden 64,128,256 --trials 40.

    Every trial is one run (one seed), an ordinary row in summary.csv and curves.csv (status ok or pruned), so seqgraph table and plot read the folder; trials.csv lists the trials, history.png draws them, and the best settings, the top trials and each setting's importance are printed.
    """
    _search(ctx, "palindrome")


@app.command("memory", no_args_is_help=False)
@with_options(options_of(MemoryRun, MEMORY_SETTING_HELP, panel=SPACE),
              options_of(MemorySearchOptions, RUN_HELP, panel=RUN, skip=("dry_run",)),
              options_of(SearchOptions, SEARCH_HELP, panel=SEARCH))
def memory(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help=f"A paper's settings — {MEMORY_PRESET_HELP or 'none yet'}; flags override it. Default: none (seqgraph's own defaults).", rich_help_panel=SPACE, autocompletion=complete(tuple(MEMORY_PRESETS)))] = "",
    **settings: Any,
) -> None:
    """Search the settings of seqgraph memory with Optuna, e.g. --task copy --lengths 50 --model lru --lr 1e-4..1e-2:log --hidden 64,128 --trials 30.

    The objective is the task's own figure (accuracy maximised, MSE minimised) or the steps to solved. Outputs as seqgraph search palindrome.
    """
    _search(ctx, "memory")


@app.command("train", no_args_is_help=False)
@with_options(options_of(CharLMRun, TEXT_SETTING_HELP, panel=SPACE, skip=("text",)),
              options_of(TrainSearchOptions, RUN_HELP, panel=RUN, skip=("batch_runs", "ckpt", "dry_run")),
              options_of(SearchOptions, SEARCH_HELP | {"objective": Opt(
                  "What a trial scores, one of: best, final: the best or the final validation loss (minimised).",
                  complete=complete(("best", "final")))}, panel=SEARCH))
def train(
    ctx: typer.Context,
    text: Annotated[Path | None, typer.Argument(help="UTF-8 text file. Default: the built-in King James Bible.", show_default=False)] = None,
    **settings: Any,
) -> None:
    """Search the settings of seqgraph train (the character model) with Optuna, e.g. --lr 1e-4..1e-2:log --hidden 128,256 --steps 2000 --trials 20.

    The objective is the validation loss (the best or the final, minimised); pruning reads it at every validation pass. Each trial's run keeps its folder under --out (log.csv, samples, checkpoints), with one summary.csv; trials.csv, study.db and history.png as for seqgraph search palindrome.
    """
    _search(ctx, "train", text)


def _search(ctx: typer.Context, command: str, text: Path | None = None) -> None:
    from seqgraph.cli.display import Display, with_logs
    from seqgraph.search.study import require, resolve_search, run_search

    names = {f.name for f in dataclasses.fields(SearchOptions)}
    with user_errors():
        require()
        flags = given(ctx, exclude=("text",))
        if text is not None:
            flags["text"] = str(text)
        if command == "memory" and flags.get("preset"):
            from seqgraph.experiments.memory.presets import check_preset_task

            check_preset_task(flags["preset"], flags.get("task"))
        search = resolve_search(command, {k: v for k, v in flags.items() if k in names},
                                **{k: v for k, v in flags.items() if k not in names})
        display = Display(console(stderr=True))
        try:
            with with_logs(display, search.options.tensorboard) as progress:
                result = run_search(search, progress)
        except KeyboardInterrupt:
            display.stop()
            from seqgraph.io import whole_rows

            summary = Path(search.options.out) / "summary.csv"
            raise interrupted(len(whole_rows(summary)) if summary.exists() else 0, search.options.out) from None
        finally:
            display.stop()
    print_search(result)


def print_search(result: Any) -> None:
    """The top trials, the best settings, each setting's importance, the files."""
    import math

    from rich.table import Table

    con = console()
    df = result.trials
    counts = df["state"].value_counts().to_dict()
    told = ", ".join(f"{counts[s]} {s}" for s in ("complete", "pruned", "failed", "interrupted") if counts.get(s))
    done = df[df["state"] == "complete"].copy()
    if not done.empty:
        done = done.sort_values("value", ascending=result.direction == "minimize", kind="stable")
        t = Table(title=f"Top trials by {result.objective} ({told})", title_justify="left")
        for col in ("rank", "trial", result.objective, *result.names, "steps", "time"):
            t.add_column(col, justify="left" if col in result.names and done[col].dtype == object else "right")
        for rank, r in enumerate(done.head(10).to_dict("records"), 1):
            def fmt(v: Any) -> str:
                return f"{v:.4g}" if isinstance(v, float) else str(v)

            value = f"{r['value']:.0f}" if result.objective == "steps to solved" else f"{r['value']:.4g}"
            wall = r["wall_time"]
            t.add_row(str(rank), str(r["trial"]), value, *(fmt(r[n]) for n in result.names),
                      str(int(r["trained_steps"])) if r["trained_steps"] is not None and not (
                          isinstance(r["trained_steps"], float) and math.isnan(r["trained_steps"])) else "—",
                      f"{wall:.1f}s" if isinstance(wall, float) and math.isfinite(wall) else "—")
        con.print(t)
    else:
        con.print(f"no complete trial yet ({told or 'no trials'})")
    if result.best is not None:
        b = result.best
        settings = " ".join(f"{n}={b[n]:.4g}" if isinstance(b[n], float) else f"{n}={b[n]}" for n in result.names)
        con.print(f"best: trial {b['trial']} — {settings or '(nothing searched)'} → {result.objective} "
                  f"{b['value']:.4g}", soft_wrap=True)
    if result.importances:
        con.print("importance of each setting (fANOVA over the complete trials):")
        t = Table()
        t.add_column("setting")
        t.add_column("importance", justify="right")
        for name, value in result.importances.items():
            t.add_row(name, f"{value:.3f}")
        con.print(t)
    if result.ended_by == "timeout":
        con.print("ended by --timeout: --resume goes on to the remaining trials")
    con.print(f"results: {', '.join(str(f) for f in result.files)}", soft_wrap=True)
