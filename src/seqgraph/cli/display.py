"""The live display of long work: one rich drawing of the progress events
(:mod:`seqgraph.train.progress`) for every command.

On a terminal it is live: a sweep bar counts run-steps (a run that stops early credits the steps it did not need) and
shows runs finished / total, runs training now, run-steps/s and the time left; below it, a bar
per job in flight with its live figures; a line per run as it finishes. Written to a file or a
pipe (stderr not a terminal) it prints plain log lines instead, every ``log_every`` seconds
(step, loss, accuracy, rate, time left; as nanoGPT's log interval), each evaluation of a single
run (unless the line just logged showed its figures), and the same line per finished run — never
a bar, never a wrapped line. ``unit`` names a step where it is something else (``epoch``); a
job of no label (a command's one run) logs its lines without one.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from seqgraph.train.progress import (
    Evaluated,
    Event,
    Message,
    Progress,
    RunFinished,
    RunStarted,
    Samples,
    Steps,
    SweepStarted,
    Tee,
)


def _ended(s: dict[str, Any]) -> str:
    if str(s.get("status")) == "pruned":
        return f"pruned at step {s['trained_steps']}"
    return f"solved at {s['solved_step']}" if s.get("solved_step") else "not solved"


def palindrome_line(label: str, s: dict[str, Any]) -> str:
    if str(s.get("status", "ok")) not in ("ok", "pruned"):
        return f"{label:<24} {s['status']}"
    solved = _ended(s)
    return (f"{label:<24} acc {s['final_accuracy']:.3f} (best {s['best_accuracy']:.3f}), {solved}, "
            f"{s['trained_steps']} steps in {s['wall_time']:.1f}s")


def memory_line(label: str, s: dict[str, Any]) -> str:
    if str(s.get("status", "ok")) not in ("ok", "pruned"):
        return f"{label:<24} {s['status']}"
    solved = _ended(s)
    fmt = ".4f" if s["metric"] == "mse" else ".3f"
    return (f"{label:<24} {s['metric']} {s['final_metric']:{fmt}} (best {s['best_metric']:{fmt}}, not learned "
            f"{s['baseline']:{fmt}}), loss {s['loss_ratio']:.2f}× baseline, {solved}, {s['trained_steps']} steps in "
            f"{s['wall_time']:.1f}s")


def run_line(label: str, s: dict[str, Any]) -> str:
    """The finished-run line of a palindrome or a memory run, whichever ``s`` is (memory rows
    name their ``metric``): for commands that run both (``reproduce``)."""
    return memory_line(label, s) if "metric" in s else palindrome_line(label, s)


def _figures(metrics: dict[str, Any]) -> str:
    parts = []
    for key, fmt in (("loss", "loss {:.3f}"), ("accuracy", "acc {:.3f}"), ("mse", "mse {:.4f}"), ("val_loss", "val {:.3f}"),
                     ("val_bpc", "({:.2f} bpc)"), ("val_accuracy", "val acc {:.3f}"), ("test_accuracy", "test acc {:.3f}"),
                     ("chars_per_s", "{:,.0f} chars/s")):
        if metrics.get(key) is not None:
            parts.append(fmt.format(metrics[key]))
    return "  ".join(parts)


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-:--:--"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Display:
    """Draws progress events on a rich console (stderr). Use as a context manager; the drawing
    starts with the first event, so an error raised before any work prints alone."""

    def __init__(self, con: Any, finish_line: Callable[[str, dict[str, Any]], str] | None = None,
                 plain: bool | None = None, log_every: float = 10.0, unit: str = "step",
                 log_evaluations: bool = True) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                 TextColumn("{task.fields[count]}", markup=False),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[info]}", markup=False), console=con)
        self.con = self.progress.console
        self.finish_line = finish_line
        self.started = False
        self.sweep: Any = None
        self.total = self.finished = self.active = 0
        self.bars: dict[str, Any] = {}  # job label → task id
        self.touched: dict[str, float] = {}
        self.figures: dict[str, dict[str, Any]] = {}  # run label → last figures
        self.rates: dict[str, deque[tuple[float, int]]] = {}
        self.done_labels: set[str] = set()  # steps that arrive late (from workers) draw no new bar
        self.window: deque[tuple[float, int]] = deque()
        self.run_steps = 0
        self.max_bars = 1
        self.sweep_total = 1
        self._drawn = 0.0
        self.plain = (not self.con.is_terminal) if plain is None else plain  # a file or a pipe: log lines
        self.log_every = log_every
        self.unit = unit  # what a step is: "step", "epoch"
        self.log_evaluations = log_evaluations  # plain mode: a line per evaluation of a single run (else: step lines)
        self._logged = -math.inf
        self._shown: tuple[str, int, dict[str, Any]] | None = None  # plain mode: the last step line's figures
        self._t0 = time.monotonic()
        self._done_steps = 0  # plain mode: run-steps done, for the sweep's rate and time left

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def begin(self) -> None:
        if not self.started and not self.plain:
            self.progress.start()
            self.started = True

    def stop(self) -> None:
        if self.plain and self.sweep is not None and self.total and self._logged != math.inf:
            elapsed = time.monotonic() - self._t0
            self._line(f"sweep: runs {self.finished}/{self.total} in {_clock(elapsed)}")
            self._logged = math.inf  # once
        if self.started:
            self.progress.stop()
            self.started = False

    def print(self, message: str) -> None:
        self.begin()
        self._line(message)

    def _line(self, text: str) -> None:
        """One line, never wrapped or cut (paths and figures stay whole in a log file)."""
        self.con.print(text, markup=False, highlight=False, soft_wrap=True)

    # --- events ----------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        self.begin()
        if isinstance(event, SweepStarted):
            self._sweep_started(event)
        elif isinstance(event, Steps):
            self._steps(event)
        elif isinstance(event, Evaluated):
            self.figures[event.label] = {**self.figures.get(event.label, {}), **event.metrics}
            if event.label in self.bars:  # e.g. the final validation, after the last step
                self.progress.update(self.bars[event.label], info=_figures(self.figures[event.label]))
            # a single run: each evaluation is a log line, unless the step line just logged showed it
            if self.plain and self.sweep is None and self.log_evaluations and not self._shows(event):
                self._line(f"{self.unit} {event.step:,}  {_figures(event.metrics)}")
        elif isinstance(event, RunFinished):
            self._run_finished(event)
        elif isinstance(event, Message):
            if self.sweep is None or self.finished >= self.total:  # inside a sweep, per-run notes would
                self._line(event.text)  # drown the run lines
        elif isinstance(event, Samples):
            greedy = str(event.rows[0]["text"]).replace("\n", " ") if event.rows else ""
            self._line(f"step {event.step:,} greedy: {greedy}")
        elif isinstance(event, RunStarted) and event.label not in self.bars and self.sweep is None:
            self._bar(event.label, event.steps)

    def _shows(self, e: Evaluated) -> bool:
        """Whether the step line just logged was of this evaluation's step and carried its figures."""
        if self._shown is None or self._shown[:2] != (e.label, e.step):
            return False
        return all(self._shown[2].get(k) == v for k, v in e.metrics.items())

    def _sweep_started(self, e: SweepStarted) -> None:
        for task in [self.sweep, *self.bars.values()]:  # a new sweep (reproduce runs several)
            if task is not None:
                self.progress.remove_task(task)
        self.bars.clear()
        self.total, self.finished = e.total, e.done
        self._t0, self._done_steps = time.monotonic(), 0
        self.max_bars = max(1, e.parallel)
        if e.executor:
            before = f" ({e.done} done before)" if e.done else ""
            self._line(f"{e.total - e.done} of {e.total} runs to train{before}: {e.executor}")
        self.sweep_total = max(1, e.run_steps)
        self.sweep = self.progress.add_task("sweep", total=self.sweep_total, count=self._count(), info="")

    def _count(self) -> str:
        return f"runs {self.finished}/{self.total}"

    def _bar(self, label: str, total: int) -> Any:
        if len(self.bars) >= self.max_bars:  # the job that reported last longest ago is done
            oldest = min(self.bars, key=lambda k: self.touched[k])
            self.progress.remove_task(self.bars.pop(oldest))
        self.bars[label] = self.progress.add_task(f"{label:<24}" if label else f"{self.unit}s", total=total or None,
                                                  count="", info="")
        self.touched[label] = time.monotonic()
        return self.bars[label]

    def _steps(self, e: Steps) -> None:
        now = time.monotonic()
        bar = self.bars.get(e.label)
        if e.active == 0:  # the job has ended
            if bar is not None:
                self.progress.remove_task(self.bars.pop(e.label))
            self.done_labels.add(e.label)
            return
        if bar is None and e.label in self.done_labels:
            return
        if bar is None:
            bar = self._bar(e.label, e.total)
        self.touched[e.label] = now
        self.run_steps += e.run_steps
        rate = self.rates.setdefault(e.label, deque())
        rate.append((now, e.step))
        while len(rate) > 2 and now - rate[0][0] > 5:
            rate.popleft()
        self.window.append((now, self.run_steps))
        while len(self.window) > 2 and now - self.window[0][0] > 10:
            self.window.popleft()
        if self.sweep is not None:
            self.progress.advance(self.sweep, e.run_steps)
        if self.plain:
            self._done_steps += e.run_steps
            self._log_steps(e, now, rate)
            return
        if now - self._drawn < 0.1 and not (e.total and e.step >= e.total):  # the last step always draws
            return
        self._drawn = now
        figures = {**self.figures.get(e.label, {}), **e.metrics}
        step_rate = (rate[-1][1] - rate[0][1]) / (rate[-1][0] - rate[0][0]) if len(rate) > 1 else 0.0
        info = _figures(figures)
        info += f"  {step_rate:,.0f} {self.unit}s/s" if "chars_per_s" not in figures and step_rate else ""
        count = f"{e.active} training" if e.active > 1 else (f"{e.step:,}/{e.total:,}" if e.total else f"{e.step:,}")
        self.progress.update(bar, completed=e.step, count=count, info=info)
        if self.sweep is not None:
            t0, s0 = self.window[0]
            sweep_rate = (self.run_steps - s0) / (now - t0) if now > t0 else 0.0
            self.progress.update(self.sweep, count=self._count(),
                                 info=f"{sweep_rate:,.0f} run-steps/s" if sweep_rate else "")

    def _log_steps(self, e: Steps, now: float, rate: deque[tuple[float, int]]) -> None:
        """Plain mode: a log line every ``log_every`` seconds (and at a run's last step)."""
        last = bool(e.total) and e.step >= e.total and self.sweep is None
        if now - self._logged < self.log_every and not last:
            return
        self._logged = now
        if self.sweep is not None:  # the sweep as a whole
            done = min(self._done_steps, self.sweep_total)
            elapsed = now - self._t0
            speed = done / elapsed if elapsed > 0 else 0.0
            # until 1% is done the rate is mostly start-up (spawning workers): no guess yet
            left = (self.sweep_total - done) / speed if speed > 0 and done >= 0.01 * self.sweep_total else math.nan
            self._line(f"runs {self.finished}/{self.total}  run-steps {done:,.0f}/{self.sweep_total:,}  "
                       f"{speed:,.0f} run-steps/s  elapsed {_clock(elapsed)}  eta {_clock(left)}")
            return
        figures = {**self.figures.get(e.label, {}), **e.metrics}
        step_rate = (rate[-1][1] - rate[0][1]) / (rate[-1][0] - rate[0][0]) if len(rate) > 1 else 0.0
        left = (e.total - e.step) / step_rate if e.total and step_rate > 0 else math.nan
        count = f"{e.step:,}/{e.total:,}" if e.total else f"{e.step:,}"
        rate_text = "" if "chars_per_s" in figures or not step_rate else f"  {step_rate:,.1f} {self.unit}s/s"
        self._shown = (e.label, e.step, e.metrics)
        label = f"{e.label}: " if e.label else ""
        self._line(f"{label}{self.unit} {count}  {_figures(figures)}{rate_text}  eta {_clock(left)}")

    def _run_finished(self, e: RunFinished) -> None:
        self.finished += 1
        self.done_labels.add(e.label)
        self._done_steps += e.unused_steps
        if self.sweep is not None:
            self.progress.advance(self.sweep, e.unused_steps)
            self.progress.update(self.sweep, count=self._count())
            if self.finished >= self.total:  # e.g. runs continued from checkpoints did fewer steps
                self.progress.update(self.sweep, completed=self.sweep_total)
        bar = self.bars.pop(e.label, None)
        if bar is not None:
            self.progress.remove_task(bar)
        if self.finish_line is not None:
            where = f" [{e.where}]" if e.where else ""
            self._line(self.finish_line(e.label, e.summary) + where)


@contextmanager
def with_logs(display: Progress, tensorboard: str = "") -> Iterator[Progress]:
    """The progress a command hands the core: its display and, with ``--tensorboard DIR``, the
    TensorBoard event files too (written here, in the driver, whatever the executor); the
    event files are closed on the way out, also after Ctrl-C."""
    if not tensorboard:
        yield display
        return
    from seqgraph.tensorboard import TensorBoardLog

    with TensorBoardLog(tensorboard) as log:
        yield Tee(display, log)


def _bytes(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else f"{s // 60} min {s % 60:02d} s" if s >= 60 \
        else f"{seconds:.1f} s"


def dry_run_lines(d: Any) -> list[str]:
    """``--dry-run``'s report (:class:`seqgraph.sweep.engine.DryRun`), line by line."""
    lines = [f"plan: {d.runs:,} run(s), {d.done:,} already in --out, {d.runs - d.done:,} to train"
             + (f": {d.plan}; {d.jobs:,} job(s), {d.parallel} at once" if d.plan else "")]
    if d.runs == d.done:
        return [*lines, "nothing to train; nothing was trained or written"]
    if d.kernels:
        lines.append("kernels: " + ", ".join(f"{k} {n:,} run(s)" for k, n in sorted(d.kernels.items())))
    lines.append(f"run-steps: at most {d.run_steps:,} (early stopping ends solved runs sooner)")
    if d.memory_per_run is not None:
        free = f"; {_bytes(d.free_memory)} free" if d.free_memory is not None else ""
        lines.append(f"memory: about {_bytes(d.memory_per_run)} per run, {_bytes(d.memory_at_once)} for the runs in "
                     f"flight at once{free}")
    if d.seconds is not None:
        p = d.probe
        lines.append(f"time: at most about {_duration(d.seconds)} (measured here: {p.label} — {p.step_seconds * 1e3:,.1f} "
                     f"ms a step, {p.eval_seconds * 1e3:,.0f} ms an evaluation; every run scaled by its cost, "
                     f"{d.parallel} at once; batching, early stopping and other work change it)")
    else:
        lines.append("time: not measured for this experiment")
    return [*lines, "nothing was trained or written"]


def print_dry_run(experiment: str, sweep: Any) -> None:
    """``--dry-run``: the plan of ``sweep`` (:func:`seqgraph.sweep.engine.dry_run`) on stdout."""
    from seqgraph.cli.common import console
    from seqgraph.sweep.engine import dry_run

    con = console()
    for line in dry_run_lines(dry_run(experiment, sweep)):
        con.print(line, soft_wrap=True)
