"""Training (or continuing) one character model into its folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from seqgraph.config import check_memory, to_dict, write_toml
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.callbacks import Callbacks, TrainState, TrainSummary
from seqgraph.experiments.charlm.checkpoint import text_changed, text_identity
from seqgraph.experiments.charlm.folder import RunFiles, check_folder, starts_over
from seqgraph.experiments.charlm.model import build_model, corpus_text
from seqgraph.experiments.charlm.resume import load_resumable, restore
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.io import make_folder
from seqgraph.nn.memory import training_bytes
from seqgraph.sweep.spec import run_id
from seqgraph.tasks.text import CharCorpus, Vocab
from seqgraph.train.loop import Trainer, fit, make_optimizer, resolve_device, seeded
from seqgraph.train.progress import Message, Progress, RunStarted, no_progress


class Interrupted(KeyboardInterrupt):
    """Training stopped at a step boundary (``stop()`` said so: Ctrl-C), after saving a checkpoint."""

    def __init__(self, step: int, path: Path) -> None:
        super().__init__(f"interrupted at step {step}; checkpoint saved to {path}")
        self.step, self.path = step, path


def never() -> bool:
    return False


def train_charlm(cfg: CharLMRun, out: str | Path, *, device: str = "auto", resume: bool = False, ckpt: str = "",
                 progress: Progress = no_progress, label: str = "", stop: Callable[[], bool] = never
                 ) -> TrainSummary:
    """Train (or, with ``resume``, continue) a character model into the folder ``out``.

    Writes ``<out>/log.csv`` (a row per evaluation), ``<out>/samples.csv`` (greedy and
    T = 0.5, 1, 2 samples every ``sample_every`` steps), ``<out>/config.toml``, and
    checkpoints ``last`` (``ckpt``, default ``<out>/last.pt``; every evaluation, at the end,
    on a stop) and ``best`` beside it (lowest validation loss). ``stop()`` is asked after every
    step (the CLI's Ctrl-C handler sets it): training then saves a checkpoint and raises
    :class:`Interrupted`. The caller's random state is left as it was (the run draws under
    ``fork_rng`` from its own seed).
    """
    files = RunFiles.of(out, ckpt)
    label = label or cfg.label()
    dev = resolve_device(device)
    check_folder(files)
    resume = starts_over(files, resume)
    ckpt_data = load_resumable(files, cfg) if resume else None

    text, name = corpus_text(cfg.text)
    if ckpt_data and (changed := text_changed(ckpt_data, text)):
        raise ConfigError(f"--resume: the training text {name}: {changed}; restore it to continue, or train "
                          "on it as it is now with --overwrite or another --out")
    vocab = Vocab(ckpt_data["vocab"]) if ckpt_data else Vocab.from_text(text)
    corpus = CharCorpus(text, vocab, cfg.val_fraction, cfg.seq_length)
    check_memory(training_bytes(gates=4, hidden=cfg.hidden, layers=cfg.layers, batch=cfg.batch_size,
                                steps=cfg.seq_length, inputs=len(vocab), outputs=len(vocab)),
                 f"a model of {cfg.layers} × {cfg.hidden:,} at batch size {cfg.batch_size:,}, "
                 f"sequence length {cfg.seq_length:,}")
    with seeded(cfg.seed, dev):  # weights and dropout: the run's own stream; the caller's stays as it was
        model = build_model(cfg, len(vocab), cfg.kernel).to(dev)
        opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_decay)
        state = TrainState(model, opt, sched, torch.Generator().manual_seed(cfg.seed), dev)
        step = 0
        if ckpt_data:
            r = restore(ckpt_data, files, model, opt, sched, state.data_gen, dev)
            step, state.best_val_loss, state.running = r.step, r.best_val_loss, list(r.running)
        make_folder(files.out)
        # the run's settings and where it ran: seqgraph train --config <out>/config.toml reads it back
        where = {"out": str(files.out), "device": device, **({"ckpt": str(ckpt)} if ckpt else {})}
        write_toml(files.config, {**to_dict(cfg), **where}, comment=f"seqgraph train on {name}")
        rid = run_id(cfg)
        n_params = sum(p.numel() for p in model.parameters())
        progress(Message(f"corpus: {name}; model: {n_params:,} parameters; from step {step:,}"))
        progress(RunStarted(rid, label, cfg.steps, to_dict(cfg)))
        callbacks = Callbacks(cfg, state, corpus, files, name, rid, label, progress, stop, step, text_identity(text))
        trainer = Trainer(model, opt, max_norm=cfg.max_norm, scheduler=sched, forward=lambda x: model(x)[0])

        def next_batch(_: int) -> tuple[Tensor, Tensor]:
            x, y = corpus.batch(cfg.batch_size, state.data_gen)
            return x.to(dev), y.to(dev)

        step = fit(trainer, next_batch, steps=cfg.steps, start_step=step, on_step=callbacks)
        summary = callbacks.summary
        summary.wall_time = time.perf_counter() - callbacks.t0
        if step < cfg.steps:  # stopped
            callbacks.checkpoint(files.last, step)
            raise Interrupted(step, files.last)
    return summary
