"""Training character models from a sweep: one run straight into ``--out``, or a grid (any
setting given as a list) of one folder per run under ``--out`` through the sweep engine, with one
summary."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Hashable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from seqgraph.config import toml_keys
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.callbacks import TrainSummary
from seqgraph.experiments.charlm.checkpoint import load_checkpoint
from seqgraph.experiments.charlm.folder import LOG_COLUMNS, checkpoint_step, clear_run, saved_steps
from seqgraph.experiments.charlm.loop import Interrupted, never, train_charlm
from seqgraph.experiments.charlm.model import corpus_text
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.io import LOCK_NAME, folder_lock, read_csv
from seqgraph.sweep.grid import Sweep, resolve_sweep
from seqgraph.sweep.jobs import Experiment, Job, RunResult, RunStopper
from seqgraph.sweep.spec import run_id
from seqgraph.tasks.text import CharCorpus
from seqgraph.train.progress import Evaluated, Event, Progress, no_progress

RESULT_COLUMNS = ("trained_steps", "val_loss", "val_bpc", "val_accuracy", "best_val_loss", "chars_per_s",
                  "wall_time", "folder", "status")


def configure(config: str | Path | None, flags: Mapping[str, Any]) -> Sweep[CharLMRun]:
    """The sweep of ``seqgraph train``: defaults < TOML < flags; a bare ``--resume`` (no
    ``--steps`` anywhere) keeps the run's own step target (:func:`saved_steps`)."""
    sweep = resolve_sweep(CharLMRun, TrainOptions, config, **flags)
    if sweep.options.resume and "steps" not in flags and "steps" not in toml_keys(CharLMRun, config):
        options = sweep.options
        assert isinstance(options, TrainOptions)
        target = saved_steps(options.out, options.ckpt)
        if target is not None:
            sweep = resolve_sweep(CharLMRun, TrainOptions, config, **flags, steps=target)
    return sweep


def is_grid(sweep: Sweep[CharLMRun]) -> bool:
    """A text-model sweep is a grid (one folder per run) when it has more than one run or is
    sent to another executor; a single run trains straight into ``--out``."""
    return len(sweep.runs()) > 1 or sweep.options.executor not in ("auto", "sequential")


def train(sweep: Sweep[CharLMRun], progress: Progress = no_progress, stop: Callable[[], bool] = never
          ) -> TrainSummary | Any:
    """``seqgraph train``: a grid's summary DataFrame, or the one run's :class:`TrainSummary`
    (``stop``: asked after every step of a single run; see :func:`train_charlm`)."""
    options = sweep.options
    assert isinstance(options, TrainOptions)
    if is_grid(sweep):
        if options.ckpt:
            raise ConfigError("--ckpt names the checkpoint of one run; a grid keeps one folder per run under --out")
        return train_grid(sweep, progress)
    spec = sweep.single()
    with folder_lock(options.out, "training run"):  # one writer: --overwrite must not clear a running run's files
        if options.overwrite:
            clear_run(options.out, options.ckpt)
        return train_charlm(spec, options.out, device=options.device, resume=options.resume, ckpt=options.ckpt,
                            progress=progress, stop=stop)


def train_grid(sweep: Sweep[CharLMRun], progress: Progress = no_progress) -> Any:
    """Train every run of ``sweep`` into its own folder under ``--out`` (absolute, so workers
    on other nodes write where the driver looks: a multi-node grid needs a shared folder);
    returns the summary DataFrame."""
    from seqgraph.sweep.engine import run_sweep

    for text, val_fraction, seq_length in {(r.text, r.val_fraction, r.seq_length) for r in sweep.runs()}:
        CharCorpus(corpus_text(text)[0], None, val_fraction, seq_length)  # a bad text fails before any run
    o = sweep.options
    context = {"out": str(Path(o.out).resolve()), "resume": o.resume, "overwrite": o.overwrite}
    return run_sweep("charlm", sweep, progress, context=context)


def continue_run(spec: CharLMRun, folder: Path, device: str, progress: Progress = no_progress,
                 label: str = "", stop: Callable[[], bool] = never) -> TrainSummary:
    """Train ``spec`` into ``folder`` from where its last checkpoint is (from scratch if there
    is none); a run already at its step target is read back, not trained."""
    step = checkpoint_step(folder)
    if step is not None and step >= spec.steps:
        return finished_summary(folder)
    return train_charlm(spec, folder, device=device, resume=step is not None, progress=progress, label=label,
                        stop=stop)


def finished_summary(folder: Path) -> TrainSummary:
    """The summary of a run already trained to its last step, read from its folder."""
    ck = load_checkpoint(folder / "last.pt")
    log = read_csv(folder / "log.csv", LOG_COLUMNS).iloc[-1]
    val = {"loss": float(log.val_loss), "bpc": float(log.val_bpc), "accuracy": float(log.val_accuracy)}
    return TrainSummary(str(ck.get("corpus", "")), int(ck["step"]), val, float(ck.get("best_val_loss", math.inf)),
                        float(log.chars_per_s), float(log.elapsed), str(folder / "last.pt"), str(folder / "best.pt"))


def run_folder(root: str | Path, spec: CharLMRun, label_fields: tuple[str, ...]) -> Path:
    """``<root>/<the varying settings>-<run id>``; an existing folder of the same run (found by
    its id, whatever else varied when it was made) is reused."""
    rid = run_id(spec)
    root = Path(root)
    found = sorted(root.glob(f"*{rid}")) if root.is_dir() else []
    if found:
        return found[0]

    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else Path(v).stem if isinstance(v, str) and "/" in v else str(v)

    parts = [f"{f}={fmt(getattr(spec, f))}" for f in label_fields if f != "text" or spec.text]
    return root / ",".join([*parts, rid])


class _CharLM(Experiment[CharLMRun]):
    name = "charlm"
    spec = CharLMRun
    result_columns = RESULT_COLUMNS
    curve_columns: ClassVar[tuple[str, ...]] = ()  # each run keeps its own log.csv
    batchable = False  # runs train one at a time (sequentially, in processes or on Ray)
    prunable = True  # a job's stopper reads each validation loss; a pruned run stops there, checkpointed

    def group_key(self, spec: CharLMRun, mix_lengths: bool) -> Hashable:
        return run_id(spec)

    def cost(self, spec: CharLMRun) -> float:
        return float(spec.steps * spec.seq_length * spec.batch_size * spec.hidden * spec.hidden * spec.layers)

    def steps(self, spec: CharLMRun) -> int:
        return spec.steps

    def complete(self, row: Mapping[str, Any], spec: CharLMRun) -> bool:
        """A run in the summary is done unless more steps are asked of it now."""
        return int(row.get("trained_steps") or 0) >= spec.steps

    def train(self, job: Job, device: str, progress: Progress) -> Iterator[RunResult]:
        ctx = job.context
        for spec in job.runs:
            folder = run_folder(ctx["out"], spec, job.label_fields)
            watch = _Pruning(job.stopper, run_id(spec), progress)
            with folder_lock(folder, "training run"):  # a single `train` on this run's folder is refused
                if ctx.get("overwrite"):  # all but the lock held now
                    for child in folder.iterdir():
                        if child.is_dir():
                            shutil.rmtree(child)
                        elif child.name != LOCK_NAME:
                            child.unlink()
                try:
                    if ctx.get("resume"):
                        s = continue_run(spec, folder, device, watch, job.run_label(spec), stop=watch.stop)
                    else:
                        s = train_charlm(spec, folder, device=device, progress=watch, label=job.run_label(spec),
                                         stop=watch.stop)
                except Interrupted:
                    if not watch.pruned:
                        raise
                    s = finished_summary(folder)  # stopped at its pruning step, checkpointed there
            summary = {"trained_steps": s.step, "val_loss": s.val.get("loss"), "val_bpc": s.val.get("bpc"),
                       "val_accuracy": s.val.get("accuracy"), "best_val_loss": s.best_val_loss,
                       "chars_per_s": round(s.chars_per_s, 1), "wall_time": round(s.wall_time, 3),
                       "folder": str(folder), "status": "pruned" if watch.pruned else "ok"}
            yield RunResult(run_id(spec), spec, summary)


class _Pruning:
    """A run's progress, passed on, that asks the job's stopper after each validation pass;
    ``stop`` (asked after every step) then ends the run."""

    def __init__(self, stopper: RunStopper | None, rid: str, progress: Progress) -> None:
        self.stopper, self.rid, self.progress = stopper, rid, progress
        self.pruned = False

    def __call__(self, event: Event) -> None:
        self.progress(event)
        if (self.stopper is not None and not self.pruned and isinstance(event, Evaluated)
                and event.run_id == self.rid and event.metrics.get("val_loss") is not None):
            self.pruned = self.stopper(self.rid, event.step, float(event.metrics["val_loss"]))

    def stop(self) -> bool:
        return self.pruned


EXPERIMENT = _CharLM()
