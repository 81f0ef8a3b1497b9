"""A training run's folder: which files it holds, what may be trained into it, and what a
bare ``--resume`` keeps.

``<out>/log.csv`` (a row per evaluation), ``<out>/samples.csv``, ``<out>/config.toml`` and the
checkpoints ``last`` (``--ckpt``, default ``<out>/last.pt``) and ``best`` beside it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgraph.config import read_toml
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.checkpoint import load_checkpoint
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.io import make_folder
from seqgraph.sweep.spec import spec_fields

LOG_COLUMNS = ["step", "loss", "accuracy", "val_loss", "val_bpc", "val_accuracy", "lr", "chars_per_s", "elapsed"]
SAMPLE_COLUMNS = ["step", "temperature", "text"]


@dataclass(frozen=True)
class RunFiles:
    out: Path
    last: Path  # the last checkpoint (every evaluation, at the end, on Ctrl-C)
    best: Path  # the checkpoint of the lowest validation loss, beside ``last``
    log: Path  # a row per evaluation
    samples: Path  # greedy and temperature samples every sample_every steps
    config: Path  # the run's settings and where it ran

    @classmethod
    def of(cls, out: str | Path, ckpt: str = "") -> RunFiles:
        out = Path(out)
        last = Path(ckpt) if ckpt else out / "last.pt"
        return cls(out, last, last.with_name("best.pt"), out / "log.csv", out / "samples.csv", out / "config.toml")

    @property
    def own_ckpt(self) -> bool:
        """The checkpoints lie in the run's own folder."""
        return self.last.parent.resolve() == self.out.resolve()


def check_folder(files: RunFiles) -> None:
    """Refuse a folder that holds another kind of output, or a checkpoint path inside another
    run's folder; make the checkpoints' folder (an unwritable ``--ckpt`` fails now, not after
    training)."""
    out = files.out
    if (out / "summary.csv").exists() or (out / "curves.csv").exists():
        raise ConfigError(f"{out} holds the results of a sweep or a grid (summary.csv); give a run's own "
                          "folder or another --out")
    if files.config.exists():
        known = {*spec_fields(CharLMRun), *(f.name for f in dataclasses.fields(TrainOptions)), "corpus"}
        foreign = sorted(set(read_toml(files.config)) - known)
        if foreign:
            raise ConfigError(f"{out} holds the output of another command (its config.toml has {foreign[0]!r}); "
                              "choose another --out")
    if not files.own_ckpt and any((files.last.parent / f).exists() for f in ("log.csv", "config.toml", "summary.csv")):
        raise ConfigError(f"--ckpt {files.last} is in the folder of another run ({files.last.parent}); "
                          "keep checkpoints in this run's --out or a folder of their own")
    make_folder(files.last.parent)


def starts_over(files: RunFiles, resume: bool) -> bool:
    """Whether training continues (``resume``) or starts: a run killed between its first log row
    and its first checkpoint has nothing to continue and starts over (its files go); a folder
    that holds a run is refused without ``resume``. Returns whether to resume."""
    if not files.last.exists() and not files.best.exists() and files.log.exists() and \
            len(files.log.read_bytes().splitlines()) <= 2:
        for path in (files.log, files.samples, files.best):
            path.unlink(missing_ok=True)
        return False
    if resume and not files.last.exists() and not files.best.exists():
        raise ConfigError(f"--resume: nothing is saved in {files.out} yet (no checkpoint: the run stopped before its "
                          "first evaluation); run the same command without --resume to start it")
    if not resume and (files.last.exists() or files.log.exists() or files.best.exists()):
        holder = files.out if files.own_ckpt else f"{files.out} (or {files.last.parent})"
        raise ConfigError(f"{holder} already holds a training run: add --resume to continue it, "
                          "--overwrite to replace it, or choose another --out")
    return resume


def clear_run(out: str | Path, ckpt: str = "") -> None:
    """Remove the files of a training run in ``out`` (``--overwrite``); other files stay."""
    files = RunFiles.of(out, ckpt)
    for path in (files.log, files.samples, files.config, files.last, files.best):
        path.unlink(missing_ok=True)


def checkpoint_step(folder: str | Path) -> int | None:
    """The step of the run's last checkpoint in ``folder`` (None: none yet)."""
    last = Path(folder) / "last.pt"
    return int(load_checkpoint(last)["step"]) if last.exists() else None


def saved_steps(out: str | Path, ckpt: str = "") -> Any:
    """The ``steps`` target of the training in ``out``, which a bare ``--resume`` keeps: the one
    ``<out>/config.toml`` records (a number, or a list for a grid); with that file deleted, the
    one the last checkpoint records (a single run; ``ckpt`` if given) or the run folders'
    config.toml (a grid); None if nothing records one."""
    out = Path(out)
    if (out / "config.toml").is_file():
        return read_toml(out / "config.toml").get("steps")
    last = RunFiles.of(out, ckpt).last
    if last.is_file():
        return load_checkpoint(last)["config"].get("steps")
    found = sorted({v for c in out.glob("*/config.toml") if (v := read_toml(c).get("steps")) is not None}, key=str)
    return None if not found else found[0] if len(found) == 1 else found
