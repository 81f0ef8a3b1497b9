"""``seqgraph palindrome``: the memory benchmark, one run per (length, model, seed)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from seqgraph.cli.common import console, fail, user_errors


def palindrome(
    model: Annotated[str | None, typer.Option(help="Cells to compare: rnn, lstm, peep, gru, tglstm (comma list or all). [default: rnn,lstm]")] = None,
    lengths: Annotated[str | None, typer.Option(help="Palindrome lengths L: start:stop[:step] (stop inclusive) or a list. [default: 5,10,15,20,25]")] = None,
    seeds: Annotated[str | None, typer.Option(help="Seeds, e.g. 42,1337,1994. [default: 42]")] = None,
    task: Annotated[str | None, typer.Option(help="decimal, or binary (the 2020 variant). [default: decimal]")] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps per run (at most, with early stopping). [default: 2500]")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size. [default: 128]")] = None,
    hidden: Annotated[int | None, typer.Option(help="Hidden units. [default: 128]")] = None,
    layers: Annotated[int | None, typer.Option(help="Stacked recurrent layers. [default: 1]")] = None,
    forget_bias: Annotated[float | None, typer.Option(help="Initial forget-gate bias of LSTM-type cells. [default: 1.0]")] = None,
    learn_gate: Annotated[bool | None, typer.Option("--learn-gate/--fixed-gate", help="tglstm: learn the time gate's τ, s, r_on. [default: learn]")] = None,
    optimizer: Annotated[str | None, typer.Option(help="rmsprop, adam or sgd. [default: rmsprop]")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate. [default: 1e-3]")] = None,
    max_norm: Annotated[float | None, typer.Option(help="Clip the gradient norm to this; 0 disables. [default: 10]")] = None,
    eval_every: Annotated[int | None, typer.Option(help="Steps between held-out evaluations. [default: 50]")] = None,
    eval_batch_size: Annotated[int | None, typer.Option(help="Held-out batch size. [default: 1024]")] = None,
    early_stop: Annotated[bool | None, typer.Option("--early-stop/--no-early-stop", help="End a run once solved. [default: on]")] = None,
    solved_accuracy: Annotated[float | None, typer.Option(help="Held-out accuracy that counts as solved. [default: 0.99]")] = None,
    solved_evals: Annotated[int | None, typer.Option(help="Consecutive solved evaluations that end a run. [default: 3]")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda. [default: auto]")] = None,
    workers: Annotated[int | None, typer.Option(help="Train this many runs at once, one process each with its share of the CPU threads (measured on 2 cores: ~10% faster than one process on both; numbers can differ from --workers 1 in the last bits). [default: 1]")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with any of these options; flags override it.")] = None,
    out: Annotated[str | None, typer.Option(help="Output folder for curves.csv, summary.csv, config.toml. [default: results/palindrome]")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip the runs already in the output's summary.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace results already in the output folder.")] = False,
) -> None:
    """Train recurrent cells to recall the first digit of a palindrome, for each length and seed.

    Writes curves.csv (every evaluation), summary.csv (a row per finished run) and the resolved
    config.toml to --out, and prints accuracy per model and length (mean ± std over seeds).
    """
    from seqgraph.config import PalindromeConfig, resolve

    with user_errors():
        cfg = resolve(
            PalindromeConfig, config, model=model, lengths=lengths, seeds=seeds, task=task,
            steps=steps, batch_size=batch_size, hidden=hidden, layers=layers, forget_bias=forget_bias, learn_gate=learn_gate, optimizer=optimizer,
            lr=lr, max_norm=max_norm, eval_every=eval_every, eval_batch_size=eval_batch_size,
            early_stop=early_stop, solved_accuracy=solved_accuracy, solved_evals=solved_evals,
            device=device, workers=workers, out=out, resume=resume or None, overwrite=overwrite or None,
        )
        from seqgraph.train.palindrome import aggregate, run_sweep

        err = console(stderr=True)
        with SweepProgress(err) as listener:
            try:
                summary = run_sweep(cfg, listener)
            except KeyboardInterrupt:
                listener.stop()
                raise fail(
                    f"interrupted: {listener.finished} finished run(s) are saved in {cfg.out}; "
                    "run the same command with --resume to continue", code=130
                ) from None
    print_summary(aggregate(summary), cfg.out)


class SweepProgress:
    """Rich progress over the sweep (runs) and the current run (steps, loss, accuracy, rate)."""

    def __init__(self, con: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=con,
        )
        self.finished = 0
        self.started = False
        self._last = 0.0

    def __enter__(self) -> SweepProgress:
        return self  # the display starts with the sweep, so early errors print alone

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.started:
            self.progress.stop()
            self.started = False

    def begin(self) -> None:
        if not self.started:
            self.progress.start()
            self.started = True

    def sweep_start(self, runs: list[Any], done: int) -> None:
        self.begin()
        self.sweep = self.progress.add_task("sweep", total=len(runs), completed=done,
                                            info=f"{done} done before" if done else "")
        self.run: Any = None

    def run_start(self, key: Any, steps: int) -> None:
        if self.run is not None:
            self.progress.remove_task(self.run)
        self.run = self.progress.add_task(f"{key.label():<22}", total=steps, info="")
        self.acc = float("nan")

    def step(self, key: Any, stats: Any, steps_per_s: float) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self.progress.update(self.run, completed=stats.step,
                             info=f"loss {stats.loss:.3f}  acc {self.acc:.3f}  {steps_per_s:.0f} steps/s")

    def evaluation(self, key: Any, step: int, accuracy: float) -> None:
        self.acc = accuracy
        self.progress.update(self.run, completed=step)

    def run_end(self, key: Any, summary: dict[str, Any]) -> None:
        self.finished += 1
        solved = f"solved at {summary['solved_step']}" if summary["solved_step"] else "not solved"
        if self.run is not None:  # (runs in worker processes report only when they finish)
            self.progress.update(self.run, completed=summary["steps"], total=summary["steps"],
                                 info=f"acc {summary['final_accuracy']:.3f}  {solved}")
        self.progress.advance(self.sweep)
        self.progress.console.print(
            f"{key.label():<22} acc {summary['final_accuracy']:.3f} (best {summary['best_accuracy']:.3f}), "
            f"{solved}, {summary['steps']} steps in {summary['wall_time']:.1f}s"
        )


def print_summary(table_df: Any, out: str) -> None:
    import math

    from rich.table import Table

    def pm(mean: float, std: float) -> str:
        return f"{mean:.3f}" if math.isnan(std) else f"{mean:.3f} ± {std:.3f}"

    t = Table(title="Held-out accuracy per model and length (over seeds)", title_justify="left")
    for col, j in (("length", "right"), ("model", "left"), ("seeds", "right"), ("final acc", "right"),
                   ("best acc", "right"), ("solved", "right"), ("solved at step", "right"),
                   ("time/run", "right")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for r in table_df.itertuples():
        t.add_row(str(r.length), r.model, str(r.seeds), pm(r.final_mean, r.final_std),
                  f"{r.best_mean:.3f}", f"{r.solved}/{r.seeds}",
                  "—" if math.isnan(r.solved_step_mean) else f"{r.solved_step_mean:.0f}",
                  f"{r.wall_mean:.1f}s")
    con = console()
    con.print(t)
    con.print(f"results: {Path(out) / 'summary.csv'}, {Path(out) / 'curves.csv'}, {Path(out) / 'config.toml'}")
