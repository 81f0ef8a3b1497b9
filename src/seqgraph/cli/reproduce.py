"""``seqgraph reproduce``: the course's experiments in one command, with a report."""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph.cli.common import complete, console, exit_code, fail, one_of, terminated, user_errors
from seqgraph.config import DEVICES
from seqgraph.experiments.reproduce import BUDGETS
from seqgraph.sweep.grid import EXECUTORS


def reproduce(
    budget: Annotated[str, typer.Option(help=f"Budget, {one_of(BUDGETS)} (quick: minutes on a laptop CPU; full: over 12× quick's training steps, not timed yet).", autocompletion=complete(BUDGETS))] = "quick",
    out: Annotated[str, typer.Option(help="Folder for report.md, figures and CSVs.")] = "results/reproduce",
    device: Annotated[str, typer.Option(help=f"Device, {one_of(DEVICES, 'cuda:N')}.", autocompletion=complete(DEVICES))] = "auto",
    executor: Annotated[str, typer.Option(help=f"How palindrome sweeps run (as seqgraph palindrome), {one_of(EXECUTORS)}.", autocompletion=complete(EXECUTORS))] = "auto",
) -> None:
    """Re-run the course's experiments and write a report: each claim beside what seqgraph measured.

    Finished work is reused when the command runs again.
    """
    from seqgraph.cli.display import Display, run_line
    from seqgraph.experiments.reproduce import reproduce as run_all

    with user_errors():
        display = Display(console(stderr=True), run_line)
        with display:
            try:
                report = run_all(budget, out, device, progress=display, executor=executor)
            except KeyboardInterrupt:
                display.stop()
                how = "terminated (SIGTERM)" if terminated() else "interrupted"
                raise fail(f"{how}: finished work is kept in {out}; run the same command again to continue",
                           code=exit_code(130)) from None
    console().print(f"report: {report}")
