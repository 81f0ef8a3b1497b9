"""``seqgraph memory``: the memory benchmarks of the research literature; any run setting given
as a list is a sweep axis."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import complete, complete_examples, given, report_failures, user_errors
from seqgraph.cli.options import RUN, RUN_OPTIONS_HELP, SETTINGS, Opt, options_of, with_options
from seqgraph.cli.palindrome import RUN_HELP as PALINDROME_RUN_HELP
from seqgraph.cli.palindrome import SETTING_HELP as PALINDROME_SETTING_HELP
from seqgraph.cli.palindrome import print_summary, run_palindrome_sweep
from seqgraph.experiments.memory.presets import PRESETS
from seqgraph.experiments.memory.spec import MemoryOptions, MemoryRun, memory_tasks
from seqgraph.sweep.spec import spec_fields
from seqgraph.tasks.registry import TASKS

TASK_HELP = "; ".join(f"{n}: {TASKS[n].summary}" for n in memory_tasks())

# the settings memory shares with palindrome read as there; its own: the task, what L means, the solved rule
SETTING_HELP: dict[str, str | Opt] = {k: v for k, v in PALINDROME_SETTING_HELP.items() if k in spec_fields(MemoryRun)} | {
    "task": Opt(f"Task (a list sweeps them) — {TASK_HELP}.", complete=complete(memory_tasks, lists=True)),
    "length": "The task's L (copy, selective-copy: the delay T; adding: T steps; recall, mqar: key–value pairs): "
              "start:stop[:step] (stop inclusive) or a list; 0: the task's default.",
    "early_stop": Opt("End a run once solved (the task's rule: accuracy ≥ 0.99 on the answers; adding: MSE ≤ 1% "
                      "of the baseline's).", ("--early-stop/--no-early-stop",)),
}
RUN_HELP: dict[str, str | Opt] = RUN_OPTIONS_HELP | {k: PALINDROME_RUN_HELP[k] for k in
                                                    ("out", "executor", "resume", "overwrite")}
PRESET_HELP = "; ".join(f"{p.name}: {p.summary}" for p in PRESETS.values())


@with_options(options_of(MemoryRun, SETTING_HELP, panel=SETTINGS), options_of(MemoryOptions, RUN_HELP, panel=RUN))
def memory(
    ctx: typer.Context,
    preset: Annotated[str, typer.Option(help=f"A paper's settings — {PRESET_HELP or 'none yet'} (README table: each value's source); TOML and flags still override it. Default: none (seqgraph's own defaults).", rich_help_panel=SETTINGS, autocompletion=complete(tuple(PRESETS)))] = "",
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with any of these options (its [memory] table, or top-level keys); flags override it.", rich_help_panel=RUN, autocompletion=complete_examples("config"))] = None,
    **settings: Any,
) -> None:
    """Train recurrent cells on the memory benchmarks of the literature — copy, adding, selective copy, associative recall — for every combination of the settings given as lists (e.g. --task copy --lengths 10,50,100 --model rnn,lstm,gru --seeds 1:3).

    Each task says what its length L means, what the model predicts and how it is scored (accuracy on the recalled symbols, or MSE), and what a model that learned nothing scores (the baseline, in every row). Writes curves.csv, summary.csv and config.toml to --out and prints the final held-out figure per combination (mean ± std over seeds) beside the final loss as a multiple of the not-learned loss.
    """
    from seqgraph.experiments.memory.presets import check_preset_task
    from seqgraph.sweep.grid import resolve_sweep

    with user_errors():
        flags = given(ctx, exclude=("config",))
        if preset:
            check_preset_task(preset, flags.get("task"))
        sweep = resolve_sweep(MemoryRun, MemoryOptions, config, **flags)
        if sweep.options.dry_run:
            from seqgraph.cli.display import print_dry_run

            return print_dry_run("memory", sweep)
        summary = run_palindrome_sweep(sweep, experiment="memory")
    report_failures(summary)
    from seqgraph.results import aggregate, baselines

    print_summary(aggregate(summary), sweep.options.out, bases=baselines(summary))
