"""TensorBoard event files of a command's runs (``--tensorboard DIR``, extra ``seqgraph[tensorboard]``).

:class:`TensorBoardLog` is a progress (:mod:`seqgraph.train.progress`) that the driver hands the
same events its display gets; workers forward their events to the driver, so it works with every
executor, and only the driver writes, as with the CSVs. The CSVs stay the source of truth: the
event files repeat what they hold, for watching runs in TensorBoard.

Each run gets one folder under ``DIR``, named by its label (the settings that vary) and its
run id (``lstm_L=25_lr=0.01-1a2b3c4d5e6f``); a run id already there reuses its folder. In it:
every numeric figure of each evaluation as a scalar at its step (the names of curves.csv /
log.csv: ``loss``, ``accuracy``, ``eval_loss``, ``lr``, …), the run's settings as hparams, and
the character model's samples as text. A resumed run writes nothing at or below the last step
already in its folder, so no step is written twice.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from seqgraph.errors import ConfigError
from seqgraph.train.progress import Evaluated, Event, RunFinished, RunStarted, Samples

INSTALL = "pip install 'seqgraph[tensorboard]'"


def require() -> None:
    """Raise a ConfigError naming the extra to install where the tensorboard package is missing
    (called while the options are checked, before any run starts)."""
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ConfigError(f"--tensorboard needs the tensorboard package: {INSTALL}") from None


def run_folder_name(label: str, run_id: str) -> str:
    """``lstm L=25 lr=0.01`` and ``1a2b…`` → ``lstm_L=25_lr=0.01-1a2b…``; a run of no label: its id."""
    slug = re.sub(r"[^A-Za-z0-9._=+-]+", "_", label.strip()).strip("_.")
    return f"{slug}-{run_id}" if slug else run_id


def last_step(folder: Path) -> int:
    """The highest step of any scalar or text already in ``folder``'s event files (-1: none)."""
    if not any(folder.glob("events.out.tfevents.*")):
        return -1
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    steps = [e.step for t in tags.get("scalars", []) for e in acc.Scalars(t)]
    steps += [e.step for t in tags.get("tensors", []) if not t.startswith("_hparams_") for e in acc.Tensors(t)]
    return max(steps, default=-1)


def hparam_value(v: Any) -> bool | int | float | str:
    """A setting as the hparams plugin takes it: a number, bool or string as it is; else its text."""
    return v if isinstance(v, (bool, int, float, str)) else str(v)


class TensorBoardLog:
    """Writes the runs' progress events to TensorBoard event files under ``root``; a progress.

    Use as a context manager (or call :meth:`close`): the writers of runs still open are
    flushed and closed at the end, e.g. after Ctrl-C."""

    def __init__(self, root: str | Path) -> None:
        require()
        self.root = Path(root)
        self.writers: dict[str, Any] = {}  # run id → its SummaryWriter
        self.last: dict[str, int] = {}  # run id → the last step already written (resume: in earlier files)
        # run id → its folder from an earlier invocation, listed once (not once per run: sweeps have thousands)
        self.existing: dict[str, Path] = {}
        if self.root.is_dir():
            for old in sorted(self.root.iterdir()):
                if old.is_dir():
                    self.existing.setdefault(old.name.rsplit("-", 1)[-1], old)

    def __enter__(self) -> TensorBoardLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def folder(self, label: str, run_id: str) -> Path:
        """The run's folder: the one already named by ``run_id`` under the root (a resumed run whose
        label changed with the sweep's axes), else a new one named by its label."""
        return self.existing.get(run_id) or self.root / run_folder_name(label, run_id)

    def _open(self, run_id: str, label: str) -> Any:
        from torch.utils.tensorboard import SummaryWriter

        folder = self.folder(label, run_id)
        self.last[run_id] = last_step(folder)
        writer = self.writers[run_id] = SummaryWriter(log_dir=str(folder), flush_secs=10)
        return writer

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, Evaluated):
            writer = self._writer(event.run_id, event.label)
            if event.step <= self.last[event.run_id]:
                return  # written before (a resumed run)
            for name, value in event.metrics.items():
                if name != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    writer.add_scalar(name, float(value) if math.isfinite(value) else math.nan, event.step)
        elif isinstance(event, Samples):
            writer = self._writer(event.run_id, "")
            if event.step <= self.last[event.run_id] or not event.rows:
                return
            # samples.csv's rows: temperature, text (TensorBoard reads markdown: an indented block keeps it as is)
            text = "\n\n".join(f"T = {r['temperature']}:\n\n" + "\n".join("    " + line for line in
                                                                       str(r["text"]).split("\n"))
                               for r in event.rows)
            writer.add_text("samples", text, event.step)
        elif isinstance(event, RunFinished):
            self._finished(event)

    def _writer(self, run_id: str, label: str) -> Any:
        return self.writers.get(run_id) or self._open(run_id, label)

    def _started(self, e: RunStarted) -> None:
        from torch.utils.tensorboard.summary import hparams

        writer = self._writer(e.run_id, e.label)
        settings = {k: hparam_value(v) for k, v in e.settings.items() if v is not None}
        if settings:
            # the session's settings; the hparams plugin finds the metrics among the run's scalars
            _, start, _ = hparams(settings, {})
            writer.file_writer.add_summary(start)

    def _finished(self, e: RunFinished) -> None:
        from torch.utils.tensorboard.summary import hparams

        writer = self.writers.pop(e.run_id, None)
        if writer is None:
            return
        _, _, end = hparams({}, {})  # the session ended (its status: success)
        writer.file_writer.add_summary(end)
        writer.close()

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
