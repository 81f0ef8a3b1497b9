"""Continuing a run from its last checkpoint: the same step, optimizer, schedule, generators
and running averages as a straight run would have there."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from seqgraph.errors import CheckpointError, ConfigError
from seqgraph.experiments.charlm.checkpoint import check_resumable, load_checkpoint
from seqgraph.experiments.charlm.folder import LOG_COLUMNS, SAMPLE_COLUMNS, RunFiles
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.io import drop_torn_row, read_csv, write_csv
from seqgraph.sweep.spec import spec_fields

# settings that define the model and its data: a resumed run must keep them (the rest may grow)
FIXED_ON_RESUME = tuple(f for f in spec_fields(CharLMRun) if f not in CharLMRun.continuable)


def load_resumable(files: RunFiles, cfg: CharLMRun) -> dict[str, Any]:
    """The last checkpoint, checked: it can be resumed, it was trained with ``cfg``'s model and
    data settings (a setting added since reads as its default) and is behind ``cfg.steps``."""
    ckpt = load_checkpoint(files.last)
    check_resumable(ckpt, files.last)
    saved = ckpt["config"]
    defaults = {f.name: f.default for f in dataclasses.fields(CharLMRun)}
    for k in FIXED_ON_RESUME:
        was = saved.get(k, defaults[k] if k in CharLMRun.in_id_unless_default else None)
        if was != getattr(cfg, k):
            raise ConfigError(f"--resume: {k} is {getattr(cfg, k)!r} but the checkpoint {files.last} used "
                              f"{was!r}; use the same settings or another --out")
    if ckpt["step"] >= cfg.steps:
        raise ConfigError(f"--resume: the checkpoint is already at step {ckpt['step']}; "
                          f"ask for more --steps (now {cfg.steps})")
    return ckpt


@dataclass
class Restored:
    step: int
    best_val_loss: float
    running: tuple[float, float, int]  # loss, accuracy and steps summed since the last log row


def restore(ckpt: dict[str, Any], files: RunFiles, model: torch.nn.Module, opt: torch.optim.Optimizer,
            sched: Any, data_gen: torch.Generator, device: torch.device) -> Restored:
    """Load the checkpoint's states into the run's objects (the global generator's too: call
    it inside the run's ``fork_rng``); trim the logs to its step."""
    try:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        step, best = int(ckpt["step"]), float(ckpt.get("best_val_loss", math.inf))
        rng = ckpt["rng"]
        data_gen.set_state(rng["data"])
        torch.set_rng_state(rng["torch"])
        if device.type == "cuda" and "cuda" in rng:
            torch.cuda.set_rng_state(rng["cuda"], device)
        for p in model.parameters():  # load_state_dict does not compare the optimizer's buffers
            for v in opt.state.get(p, {}).values():
                if isinstance(v, Tensor) and v.dim() > 0 and v.shape != p.shape:
                    raise ValueError(f"optimizer buffer of shape {tuple(v.shape)} for a parameter of "
                                     f"shape {tuple(p.shape)}")
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {files.last} cannot be resumed: its state does not match its "
                              f"model ({first[:160]})") from None
    for path, columns in ((files.log, LOG_COLUMNS), (files.samples, SAMPLE_COLUMNS)):
        drop_torn_row(path)  # a row torn by a full disk or a kill mid-write
        _truncate_csv(path, columns, step)
    running = ckpt.get("running")
    sums = (running["loss"], running["accuracy"], running["steps"]) if isinstance(running, dict) else (0.0, 0.0, 0)
    return Restored(step, best, sums)


def _truncate_csv(path: Any, columns: list[str], max_step: int) -> None:
    if path.exists():
        df = read_csv(path, columns)
        if (df["step"] > max_step).any():
            write_csv(path, columns, df[df["step"] <= max_step].to_dict("records"))
