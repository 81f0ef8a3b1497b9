"""Gradient flow over time: how strongly the loss at the last step reaches each earlier state.

For a palindrome of length L the model reads T = L − 1 steps; the loss is the cross-entropy
of the prediction made after the last step. For t = 0 … T − 1 we report the batch mean of
‖∂L/∂s_t‖₂, where s_t is the state the cell carries after reading t inputs (s_0 is the initial
state, s_1 holds the first digit): h_t for the RNN, LSTM, GRU and time-gated LSTM, c_t for the
peephole LSTM (whose gates read c; its h_t reaches the loss only at the end), the complex x_t of
the LRU (the joint norm of its real and imaginary parts; its output y_t is read out of x_t), h_t of
minGRU and minLSTM (run one step at a time here, on their sequential equations). Each value is
the exact total derivative: the gradient that reaches the state as it enters the next step.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch.nn import functional as F

from seqgraph.analysis.settings import GradsConfig
from seqgraph.config import read_toml, to_dict, write_toml
from seqgraph.io import folder_lock, make_folder, read_csv, write_csv
from seqgraph.nn.cells import RecurrentCell
from seqgraph.nn.models import SequenceClassifier
from seqgraph.tasks.base import EVAL
from seqgraph.tasks.registry import get_task
from seqgraph.train.loop import Trainer, fit, make_optimizer, resolve_device, seeded
from seqgraph.train.progress import Message, Progress, no_progress

GRAD_COLUMNS = ["model", "seed", "trained_steps", "t", "grad_norm"]


def state_gradients(model: SequenceClassifier, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Batch mean of ‖∂L/∂s_t‖ for t = 0 … T − 1 (see the module docstring), last layer.

    The cells run one step at a time here (each a 1-step scan with the same hand-written
    backward as training), so the state entering each step is a tensor autograd reports a
    gradient for.

    Returns:
        ``(T,)`` gradient norms.
    """
    model.eval()
    cells = [cast(RecurrentCell, c) for c in model.rnn.cells]
    carried = cells[-1].grad_states()
    ids = x.t()  # (T, B)
    B = ids.shape[1]
    dtype = cast(torch.nn.Linear, model.head).weight.dtype
    zeros = [tuple(torch.zeros(B, c.hidden_size, device=x.device, dtype=dtype, requires_grad=True)
                   for _ in range(c.state_size)) for c in cells]
    states: list[Any] = zeros
    entering: list[tuple[torch.Tensor, ...]] = []
    for t in range(ids.shape[0]):
        s = tuple(states[-1][j] for j in carried)
        if t > 0:
            for part in s:
                part.retain_grad()
        entering.append(s)
        inp, new_states = ids[t : t + 1], []
        for i, cell in enumerate(cells):
            inp, st = cell.scan(inp, states[i], t0=t)
            new_states.append(st)
        states = new_states
    logits = model.head(states[-1][0])
    F.cross_entropy(logits, y).backward()
    def norm(s: tuple[torch.Tensor, ...]) -> torch.Tensor:  # ‖∂L/∂s‖ over all carried parts, per sample
        grads = [p.grad for p in s if p.grad is not None]
        return torch.cat(grads, 1).norm(dim=1).mean() if grads else s[0].new_zeros(())

    return torch.stack([norm(s) for s in entering]).detach()


def gradient_flow(cfg: GradsConfig) -> list[dict[str, Any]]:
    """Gradient norms per step, per model and seed, untrained and (with ``train_steps``)
    after training at that length. Rows as :data:`GRAD_COLUMNS`. Each seed draws its model
    under ``fork_rng``: the caller's random state is left as it was."""
    device = resolve_device(cfg.device)
    task = get_task("decimal")
    rows: list[dict[str, Any]] = []
    for name in cfg.model:
        for seed in cfg.seeds:
            with seeded(seed):
                model = SequenceClassifier(name, task.num_symbols(cfg.length), cfg.hidden, task.num_classes(cfg.length),
                                           forget_bias=cfg.forget_bias).to(device)
            probe = task.batch(cfg.batch_size, cfg.length, seed, 0, EVAL, device)
            stages = [0] + ([cfg.train_steps] if cfg.train_steps else [])
            done = 0
            for stage in stages:
                if stage > done:
                    trainer = Trainer(model, make_optimizer("rmsprop", model.parameters(), 1e-3), max_norm=10.0)

                    def batch(step: int, seed: int = seed) -> tuple[torch.Tensor, torch.Tensor]:
                        return task.batch(cfg.batch_size, cfg.length, seed, step, device=device)

                    fit(trainer, batch, steps=stage, start_step=done)
                    done = stage
                # measured in float64: in float32 the RNN's gradient underflows to exactly 0
                g = state_gradients(copy.deepcopy(model).double(), *probe)
                rows += [{"model": name, "seed": seed, "trained_steps": stage, "t": t, "grad_norm": float(v)}
                         for t, v in enumerate(g.cpu())]
    return rows


@dataclass
class GradsReport:
    rows: Any  # DataFrame of GRAD_COLUMNS
    table: list[dict[str, Any]]  # per model and stage: ‖∂L/∂s_t‖ at the last, middle and first state
    csv: Path
    figure: Path


def grads_table(df: Any, length: int) -> list[dict[str, Any]]:
    """Per model and training stage, the mean (over batch and seeds) ‖∂L/∂s_t‖ at t = T − 1 (the
    last state), its middle and t = 1 (the first digit), and first / last."""
    last = length - 2  # states s_0 … s_{T−1} with T = L − 1 steps
    mid = max(1, last // 2)
    out = []
    for (m, stage), part in df.groupby(["model", "trained_steps"], sort=False):
        mean = part.groupby("t")["grad_norm"].mean()
        out.append({"model": m, "trained_steps": int(stage), "t_last": last, "t_mid": mid, "last": mean[last],
                    "mid": mean[mid], "first": mean[1], "ratio": mean[1] / mean[last] if mean[last] else None})
    return out


def grads_report(cfg: GradsConfig, progress: Progress = no_progress, reuse: bool = False) -> GradsReport:
    """Measure (:func:`gradient_flow`) and write ``<out>/grads.csv``, ``config.toml`` and the
    figure ``grads.png``. ``reuse``: a folder already holding the results of this very config
    is read back instead of measured again. An ``--out`` that cannot be a folder, or a missing
    GPU, is refused before minutes of measuring (and before the ``Message`` saying what is
    measured)."""
    resolve_device(cfg.device)
    with folder_lock(cfg.out, "grads measurement"):
        return _grads_report(cfg, progress, reuse)


def _grads_report(cfg: GradsConfig, progress: Progress, reuse: bool) -> GradsReport:
    from seqgraph.plots import plot_grads, save_figure

    out = make_folder(cfg.out)
    csv, conf = out / "grads.csv", out / "config.toml"
    if reuse and csv.exists() and conf.exists() and read_toml(conf) == to_dict(cfg):
        df = read_csv(csv, GRAD_COLUMNS)
    else:
        import pandas as pd

        progress(Message(f"measuring gradients over {cfg.length - 1} steps…"))
        rows = gradient_flow(cfg)
        write_csv(csv, GRAD_COLUMNS, rows)
        write_toml(conf, to_dict(cfg))
        df = pd.DataFrame(rows, columns=GRAD_COLUMNS)
    title = f"Gradient flow over {cfg.length - 1} steps (palindrome L={cfg.length})"
    figure = save_figure(plot_grads(df, title), out / "grads.png")
    return GradsReport(df, grads_table(df, cfg.length), csv, figure)
