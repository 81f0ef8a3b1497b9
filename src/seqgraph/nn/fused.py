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
``benchmarks/charlm_speed.py`` measure on the CPU (docs/performance.md); on a GPU it is a
design choice that no GPU has measured yet.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.nn.registry import cell_class, check_kernel, directions
from seqgraph.nn.scan import State

FUSED_OPS: dict[str, Any] = {"rnn": torch.rnn_tanh, "lstm": torch.lstm, "gru": torch.gru}  # by RecurrentCell.fused_mode
# on the CPU, oneDNN's fused LSTM beats the hand-written loop in training (1.3–1.6× at
# batch ≥ 32); at batch 1 its per-call set-up makes it 2–9× slower (PERF_NOTES, sampling).
# The hand-written RNN and GRU steps beat oneDNN's (README, "Speed").
CPU_FUSED = frozenset({"lstm"})
CPU_FUSED_MIN_BATCH = 16


def auto_kernel(mode: str | None, device: str | torch.device, batch: int, batchable: bool = False) -> str:
    """What ``auto`` runs for a cell of fused twin ``mode`` (None: none) at ``batch``.

    On a GPU: cuDNN (``fused``), except for runs of an experiment that trains runs K at once
    (``batchable``: palindrome sweeps), which take the loop there, so that such a run computes
    the same alone and in a batch — and K runs stacked as one model should outrun one cuDNN run
    (a prototype did 14–26× on an H100; seqgraph's figure: docs/performance.md, "On a GPU"). On
    the CPU: oneDNN for the LSTM at batch ≥ 16 (there a stacked batch gains little: the batched
    executor trains these runs one at a time); else ``seqgraph``.
    """
    if mode is None:
        return "seqgraph"
    if torch.device(device).type == "cuda":
        return "seqgraph" if batchable else "fused"
    return "fused" if mode in CPU_FUSED and batch >= CPU_FUSED_MIN_BATCH else "seqgraph"


def resolve_kernel(kernel: str, cells: Sequence[str], device: str | torch.device, batch: int,
                   batchable: bool = False) -> str:
    """The path a model of ``cells`` (registry names) runs on at ``batch``: ``seqgraph`` or ``fused``.

    A pure function of the run's settings and the device — never of the executor or of the
    runs sharing a batch — so a run's numbers do not depend on how a sweep is carried out.
    ``auto`` follows :func:`auto_kernel` (``batchable``: the run's experiment may train it in a
    batch of runs); ``fused`` for a cell without a fused twin is a ConfigError naming why.
    """
    check_kernel(kernel, list(cells))
    if kernel != "auto":
        return kernel
    # a bidirectional entry runs two stacks on the loop (no fused path yet)
    modes = {name: cell_class(name).fused_mode if directions(name) == 1 else None for name in cells}
    if not modes:
        return "seqgraph"
    paths = {auto_kernel(mode, device, batch, batchable) for mode in modes.values()}
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
