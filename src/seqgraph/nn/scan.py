"""The one time loop every recurrent cell runs on.

A cell splits each step into a recurrent matmul and pointwise work:

    rec_t            = W_hh s_{t-1} (+ b_hh)            # s: the state the cell recurs on (h or c)
    state_t, cache_t = cell.step(xs_t, rec_t, state_{t-1})

Everything that does not depend on the previous state (the input projection x W_ih^T + b for
all steps, time gates) is computed by the cell *outside* the loop in one batched op, with
ordinary autograd. The loop itself runs without autograd: the forward saves only what each
step's hand-derived backward needs, and the backward walks time in reverse, doing one fused
matmul per step for the state gradient (W_hh^T drec_t) and one large matmul at the end for dW_hh. That removes the
per-op autograd overhead that dominates small recurrent steps on a CPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:
    from seqgraph.nn.cells import RecurrentCell


def scan(
    cell: RecurrentCell,
    seqs: tuple[Tensor, ...],
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    state: tuple[Tensor, ...],
    *,
    outputs: bool = True,
) -> tuple[Tensor | None, tuple[Tensor, ...]]:
    """Run ``cell`` over time.

    Args:
        cell: the cell that supplies ``step`` / ``step_backward``.
        seqs: per-step inputs computed outside the loop, each ``(T, ..., B)``; ``seqs[0]`` is
            the input projection ``(T, G, B)``.
        weight_hh: recurrent weight ``(R, H)``; ``bias_hh``: ``(R,)`` or None.
        state: initial state, each ``(H, B)`` (feature-major); ``state[0]`` is h.
        outputs: return h at every step (True), or only the final state (False: no stacking
            forward, no zero gradients to add backward — a classifier reading the last step).

    Returns:
        output ``(T, H, B)`` (None when ``outputs`` is False) and the final state.
    """
    needs_grad = torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (*seqs, weight_hh, bias_hh, *state)
    )
    if not needs_grad:
        with torch.no_grad():
            output, final, _ = _forward_loop(cell, seqs, weight_hh, bias_hh, state, outputs, save=False)
        return output, final
    out = _Scan.apply(cell, len(seqs), outputs, weight_hh, bias_hh, *seqs, *state)
    if outputs:
        return out[0], tuple(out[1:])
    return None, tuple(out)


def _forward_loop(
    cell: RecurrentCell,
    seqs: tuple[Tensor, ...],
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    state: tuple[Tensor, ...],
    outputs: bool,
    *,
    save: bool,
) -> tuple[Tensor | None, tuple[Tensor, ...], list[Any]]:
    src = cell.source_index
    fuse = cell.rec_adds_input
    b_hh = None if bias_hh is None else bias_hh.unsqueeze(1)  # (R, 1)
    hs: list[Tensor] = []
    saved: list[Any] = []
    for xs_t in zip(*(s.unbind(0) for s in seqs), strict=True):
        s_prev = state[src]  # (H, B)
        if fuse:
            rec = torch.addmm(xs_t[0], weight_hh, s_prev)  # (R, B)
        elif b_hh is not None:
            rec = torch.addmm(b_hh, weight_hh, s_prev)
        else:
            rec = torch.mm(weight_hh, s_prev)
        new_state, cache = cell.step(xs_t, rec, state)
        if save:
            saved.append((s_prev, cache))
        state = new_state
        if outputs:
            hs.append(state[0])
    return (torch.stack(hs) if outputs else None), tuple(state), saved


class _Scan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, cell: RecurrentCell, n_seq: int, outputs: bool,  # type: ignore[override]
                weight_hh: Tensor, bias_hh: Tensor | None, *rest: Tensor) -> tuple[Tensor, ...]:
        seqs, state = rest[:n_seq], rest[n_seq:]
        output, final, saved = _forward_loop(cell, seqs, weight_hh, bias_hh, state, outputs, save=True)
        ctx.cell, ctx.saved, ctx.outputs = cell, saved, outputs
        ctx.has_bias = bias_hh is not None
        ctx.seq_meta = [(s.shape, s.stride(), s.dtype, s.device) for s in seqs]
        ctx.save_for_backward(weight_hh)
        return (output, *final) if output is not None else final

    @staticmethod
    def backward(ctx: Any, *grads: Tensor | None) -> tuple[Any, ...]:  # type: ignore[override]
        cell: RecurrentCell = ctx.cell
        (weight_hh,) = ctx.saved_tensors
        saved = ctx.saved
        d_output = grads[0] if ctx.outputs else None
        d_final = grads[1:] if ctx.outputs else grads
        steps = len(saved)
        ref = saved[0][0]
        d_state: list[Tensor] = [g if g is not None else torch.zeros_like(ref) for g in d_final]
        # gradient buffers take the layout of their inputs, so the op that made those needs
        # no copy; for a projection made by one matmul that layout is (G, T, B) in memory
        d_seqs = tuple(
            torch.empty_strided(shape, stride, dtype=dt, device=dev)
            for shape, stride, dt, dev in ctx.seq_meta
        )
        d_rec_all = cell.rec_grad_view(d_seqs)
        if d_rec_all is None:
            d_rec_all = ref.new_empty(weight_hh.shape[0], steps, ref.shape[1]).transpose(0, 1)
        w_t = weight_hh.t()  # (H, R)
        src = cell.source_index
        d_xs_steps = list(zip(*(d.unbind(0) for d in d_seqs), strict=True))  # views, made at once
        d_rec_steps = d_rec_all.unbind(0)
        for t in range(steps - 1, -1, -1):
            if d_output is not None:
                d_state[0] = d_state[0] + d_output[t]
            d_rec = d_rec_steps[t]
            d_prev = cell.step_backward(d_state, saved[t][1], d_xs_steps[t], d_rec)
            d_src = d_prev[src]
            d_prev[src] = torch.mm(w_t, d_rec) if d_src is None else torch.addmm(d_src, w_t, d_rec)
            d_state = [d if d is not None else torch.zeros_like(ref) for d in d_prev]
        # dW_hh = Σ_t drec_t s_{t-1}ᵀ as one (R, T·B) @ (T·B, H) matmul
        sources = torch.stack([s for s, _ in saved], 1)  # (H, T, B)
        d_rec_rows = d_rec_all.transpose(0, 1).reshape(d_rec_all.shape[1], -1)  # (R, T·B)
        d_weight = torch.mm(d_rec_rows, sources.view(sources.shape[0], -1).t())
        d_bias = d_rec_rows.sum(1) if ctx.has_bias else None
        return (None, None, None, d_weight, d_bias, *d_seqs, *d_state)
