"""torch's fused recurrent kernels (oneDNN on the CPU, cuDNN on a GPU) run on seqgraph's own
parameters.

Three of seqgraph's cells compute exactly what a fused kernel computes: ``rnn`` (``nn.RNN``
with tanh), ``lstm`` (``nn.LSTM``) and ``gru`` (``nn.GRU``). The kernels take the weights as
a list ``[W_ih, W_hh, b_ih, b_hh]`` per layer; seqgraph's RNN and LSTM hold the single bias of
their equations, passed as ``b_ih`` with a zero ``b_hh``, so parameter counts, checkpoints
and results stay seqgraph's. Gradients reach seqgraph's parameters through the kernel's
own backward. The hand-written loop (:mod:`seqgraph.nn.scan`) stays the reference and the only
path for the peephole, time-gated and course cells and for K runs stacked as one model.

Which path runs is ``kernel``: ``seqgraph`` (the hand-written loop), ``fused``, or ``auto`` —
resolved by :func:`resolve_kernel` from what ``benchmarks/recurrent_steps.py`` and
``benchmarks/charlm_speed.py`` measure (README, "Speed").
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.nn.registry import cell_class, directions
from seqgraph.nn.scan import State

KERNELS = ("auto", "seqgraph", "fused")
FUSED_OPS: dict[str, Any] = {"rnn": torch.rnn_tanh, "lstm": torch.lstm, "gru": torch.gru}  # by RecurrentCell.fused_mode
# on the CPU, oneDNN's fused LSTM beats the hand-written loop in training (1.3–1.6× at
# batch ≥ 32); at batch 1 its per-call set-up makes it 2–9× slower (PERF_NOTES, sampling).
# The hand-written RNN and GRU steps beat oneDNN's (README, "Speed").
CPU_FUSED = frozenset({"lstm"})
CPU_FUSED_MIN_BATCH = 16


def check_kernel(kernel: str) -> str:
    if kernel not in KERNELS:
        raise ConfigError(f"unknown kernel {kernel!r} (choose from {', '.join(KERNELS)})")
    return kernel


def auto_kernel(mode: str | None, device: str | torch.device, batch: int) -> str:
    """What ``auto`` runs for a cell of fused twin ``mode`` (None: none) at ``batch``: ``fused``
    on a GPU (cuDNN), on the CPU for the LSTM at batch ≥ 16; else ``seqgraph``."""
    if mode is None:
        return "seqgraph"
    if torch.device(device).type == "cuda":
        return "fused"
    return "fused" if mode in CPU_FUSED and batch >= CPU_FUSED_MIN_BATCH else "seqgraph"


def resolve_kernel(kernel: str, cells: Sequence[str], device: str | torch.device, batch: int,
                   alone: bool = True) -> str:
    """The path a model of ``cells`` (registry names) runs on at ``batch``: ``seqgraph`` or ``fused``.

    ``auto`` follows :func:`auto_kernel`, and is ``seqgraph`` for K runs stacked as one model
    (``alone`` False: the batched executor), so a run's numbers never depend on whether it
    shared a batch. ``fused`` where a cell has no fused twin or runs are stacked is a
    ConfigError naming why.
    """
    check_kernel(kernel)
    # a bidirectional entry runs two stacks on the loop (no fused path yet)
    modes = {name: cell_class(name).fused_mode if directions(name) == 1 else None for name in cells}
    missing = sorted(name for name, mode in modes.items() if mode is None)
    if kernel == "fused":
        if missing:
            raise ConfigError(f"--kernel fused: {', '.join(missing)} has no fused kernel "
                              "(fused kernels exist for rnn, lstm and gru)")
        if not alone:
            raise ConfigError("--kernel fused trains one run at a time: use --executor sequential or processes")
        return "fused"
    if kernel == "seqgraph" or not alone or not modes:
        return "seqgraph"
    paths = {auto_kernel(mode, device, batch) for mode in modes.values()}
    return "fused" if paths == {"fused"} else "seqgraph"


def fused_scan(mode: str, x: Tensor, weights: Sequence[Sequence[Tensor]], state: Sequence[State] | None,
               hidden_size: int) -> tuple[Tensor, list[State]]:
    """Run ``len(weights)`` layers of cell ``mode`` (``rnn``, ``lstm``, ``gru``) in one fused call.

    Args:
        x: ``(T, B, I)`` float, or symbol ids ``(T, B)`` read as one-hot vectors over I.
        weights: per layer ``[W_ih (G·H, I), W_hh (G·H, H), b_ih (G·H), b_hh (G·H)]``.
        state: per layer ``(h,)`` or ``(h, c)``, each ``(B, H)``; None: zeros.

    Returns:
        output ``(T, B, H)`` of the last layer and each layer's final state.
    """
    w_ih = weights[0][0]
    if not x.is_floating_point():
        x = F.one_hot(x, w_ih.shape[1]).to(w_ih.dtype)
    layers, batch = len(weights), x.shape[1]
    if state is None:
        zeros = w_ih.new_zeros(layers, batch, hidden_size)
        hx: tuple[Tensor, ...] = (zeros, zeros) if mode == "lstm" else (zeros,)
    else:
        hx = tuple(torch.stack([s[i] for s in state]) for i in range(len(state[0])))
    flat = [w for layer in weights for w in layer]
    # "train" keeps what the kernel's backward needs (cuDNN, oneDNN): whenever gradients may flow;
    # no dropout inside the kernel (the stack applies it between layers, as its loop does)
    train = torch.is_grad_enabled()
    with warnings.catch_warnings():  # cuDNN copies weights it does not own into one chunk, and says so
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")
        if mode == "lstm":
            out, h, c = FUSED_OPS[mode](x, hx, flat, True, layers, 0.0, train, False, False)
            return out, [(h[i], c[i]) for i in range(layers)]
        out, h = FUSED_OPS[mode](x, hx[0], flat, True, layers, 0.0, train, False, False)
    return out, [(h[i],) for i in range(layers)]
