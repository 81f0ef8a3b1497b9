"""``seqgraph reproduce``: the course's experiments in one command, with a report."""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph.cli.common import console, fail, user_errors


def reproduce(
    budget: Annotated[str, typer.Option(help="quick (minutes on a laptop CPU) or full (a GPU or a long afternoon).")] = "quick",
    out: Annotated[str, typer.Option(help="Folder for report.md, figures and CSVs.")] = "results/reproduce",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Re-run the course's experiments and write a report: each claim beside what seqgraph measured.
    Finished work is reused when the command runs again."""
    from seqgraph.cli.palindrome import SweepProgress
    from seqgraph.cli.text import TrainProgress
    from seqgraph.reproduce import reproduce as run_all
    from seqgraph.train.charlm import Interrupted

    with user_errors():
        err = console(stderr=True)
        with SweepProgress(err) as sweep:
            text = TrainProgress(err, sweep.progress)

            def log(message: str) -> None:
                sweep.begin()  # the display starts with the first experiment: early errors print alone
                sweep.progress.console.print(f"[bold]{message}[/bold]")

            try:
                report = run_all(budget, out, device, log=log, listener=sweep, text_listener=text)
            except (KeyboardInterrupt, Interrupted):
                sweep.stop()
                raise fail(f"interrupted: finished work is kept in {out}; run the same command again to continue",
                           code=130) from None
    console().print(f"report: {report}")
