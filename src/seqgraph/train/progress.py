"""One progress protocol for every long job: training code emits events, the CLI draws them,
tests record them, and workers in other processes (or on a Ray cluster) forward them.

A progress is any callable taking an :data:`Event`; events are small frozen dataclasses of
plain values, so they pickle across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SweepStarted:
    total: int  # runs in the sweep
    done: int  # already finished (resumed)
    run_steps: int  # training steps still to do at most (early stopping makes it fewer)
    executor: str = ""  # how the runs are carried out, in words
    parallel: int = 1  # jobs in flight at once


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    label: str
    steps: int
    settings: dict[str, Any] = field(default_factory=dict)  # the run's settings (a spec's fields), plain values


@dataclass(frozen=True)
class Steps:
    """Training steps taken by one job since its last Steps event."""

    label: str  # the job: a run, or "lstm L=25 (64 runs)" for a batch
    step: int  # the job's own step counter (the run's step for a job of one run)
    total: int  # the job's steps at most
    run_steps: int  # run-steps in this event: steps × runs training
    active: int = 1  # runs training in the job now (0: the job has ended)
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. loss, accuracy, chars/s


@dataclass(frozen=True)
class Evaluated:
    run_id: str
    label: str
    step: int
    metrics: dict[str, Any]


@dataclass(frozen=True)
class Samples:
    run_id: str
    step: int
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Message:
    """A line worth showing (what is being trained, a section of a report)."""

    text: str


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    label: str
    summary: dict[str, Any]
    unused_steps: int = 0  # of its budget, not needed (stopped early): credited to the sweep
    where: str = ""  # where it was trained, when not in this process (a Ray node)


Event = SweepStarted | RunStarted | Steps | Evaluated | Samples | Message | RunFinished


class Progress(Protocol):
    def __call__(self, event: Event) -> None: ...


def no_progress(event: Event) -> None:
    """A progress that ignores every event."""


class Recorder:
    """Keeps every event (for tests and for summaries)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


class Tee:
    """Hands every event to each of ``targets`` in turn (the display, and a log such as
    :class:`seqgraph.tensorboard.TensorBoardLog`)."""

    def __init__(self, *targets: Progress) -> None:
        self.targets = targets

    def __call__(self, event: Event) -> None:
        for target in self.targets:
            target(event)


class QueueProgress:
    """Forwards events to a queue (``put``): from worker processes or Ray tasks to the driver.

    Step events are merged and sent at most every ``interval`` seconds, so a fast job does not
    flood the queue; everything else is sent at once."""

    def __init__(self, queue: Any, interval: float = 0.25) -> None:
        self.queue, self.interval = queue, interval
        self._pending: Steps | None = None
        self._last = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Steps):
            if self._pending is not None and self._pending.label == event.label:
                event = Steps(event.label, event.step, event.total, self._pending.run_steps + event.run_steps,
                              event.active, event.metrics or self._pending.metrics)
            else:
                self.flush()  # another job's steps: send them first
            self._pending = event
            if event.active == 0:  # the job's last word
                self.flush()
                return
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last = now
            self._pending = None
        else:
            self.flush()
        self.queue.put(event)

    def flush(self) -> None:
        if self._pending is not None:
            self.queue.put(self._pending)
            self._pending = None
