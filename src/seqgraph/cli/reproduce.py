"""``seqgraph reproduce``: the course's experiments in one command, with a report."""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph.cli.common import console, fail, user_errors


def reproduce(
    budget: Annotated[str, typer.Option(help="quick (minutes on a laptop CPU) or full (a GPU or a long afternoon).")] = "quick",
    out: Annotated[str, typer.Option(help="Folder for report.md, figures and CSVs.")] = "results/reproduce",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    executor: Annotated[str, typer.Option(help="How palindrome sweeps run: auto, sequential, processes, batched or ray (as seqgraph palindrome).")] = "auto",
) -> None:
    """Re-run the course's experiments and write a report: each claim beside what seqgraph measured.

    Finished work is reused when the command runs again.
    """
    from seqgraph.cli.display import Display, palindrome_line
    from seqgraph.experiments.reproduce import reproduce as run_all

    with user_errors():
        display = Display(console(stderr=True), palindrome_line)
        with display:
            try:
                report = run_all(budget, out, device, progress=display, executor=executor)
            except KeyboardInterrupt:
                display.stop()
                raise fail(f"interrupted: finished work is kept in {out}; run the same command again to continue",
                           code=130) from None
    console().print(f"report: {report}")
