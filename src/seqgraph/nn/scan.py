"""The one time loop every recurrent cell runs on.

A cell splits each step into a recurrent matmul and pointwise work:

    rec_t            = W_hh s_{t-1} (+ b_hh)            # s: the state the cell recurs on (h or c)
    state_t, cache_t = cell.step(xs_t, rec_t, state_{t-1})

Everything that does not depend on the previous state (the input projection x W_ih^T + b for
all steps, time gates) is computed by the cell *outside* the loop in one batched op, with
ordinary autograd. The loop itself runs without autograd: the forward saves only what each
step's hand-derived backward needs, and the backward walks time in reverse, doing one fused
matmul per step for the state gradient (W_hh^T drec_t) and one large matmul at the end for
dW_hh. That removes the per-op autograd overhead that dominates small recurrent steps.

A cell whose step needs a recurrent weight of its own besides ``W_hh s_{t-1}`` (the course GRU's
candidate reads ``U_h (r ⊙ h_{t-1})``, where r is only known inside the step) passes it as a
*step weight*: every step sees it whole after its per-step inputs, and its gradient is summed
over time into a buffer the step's backward adds to.

Many independent runs train at once by stacking their weights along a leading *run*
dimension K: ``W_hh (K, R, H)``, states ``(K, H, B)``; the matmuls become batched (bmm) and
every pointwise op is shared. Nothing mixes runs, so each run's numbers are those it gets alone.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

State = tuple[Tensor, ...]


class ScanCell(Protocol):
    """What the loop needs of a cell (see :class:`seqgraph.nn.cells.RecurrentCell`)."""

    source_index: int  # which state the recurrent matmul reads (0: h, 1: c)
    rec_adds_input: bool  # rec_t = xs_t[0] + W_hh s_{t-1}, in one fused matmul

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        """The pointwise part of a step: new state and what its backward needs. ``xs`` is the
        step's slice of every per-step input, then each step weight whole."""
        ...

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        """Write dL/d(xs_t) into ``d_xs`` (and dL/d(rec_t) into ``d_rec`` unless it aliases
        ``d_xs``; after the per-step inputs' slices come the step weights' gradient buffers,
        which it adds to); return the gradient reaching the previous state through every path
        but the recurrent matmul (None for zero)."""
        ...

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        """A view of ``d_seqs`` that holds dL/d(rec) when the two coincide, else None."""
        ...


def _matmul_add(base: Tensor, w: Tensor, s: Tensor) -> Tensor:
    """``base + w @ s`` in one call; ``w`` is ``(R, H)`` or ``(K, R, H)`` (one per run)."""
    return torch.addmm(base, w, s) if w.dim() == 2 else torch.baddbmm(base, w, s)


def _matmul(w: Tensor, s: Tensor) -> Tensor:
    return torch.mm(w, s) if w.dim() == 2 else torch.bmm(w, s)


def scan(
    cell: ScanCell,
    seqs: tuple[Tensor, ...],
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    state: State,
    *,
    outputs: bool = True,
    final_at: Tensor | None = None,
    step_weights: tuple[Tensor, ...] = (),
) -> tuple[Tensor | None, State]:
    """Run ``cell`` over time.

    Args:
        cell: supplies ``step`` / ``step_backward``.
        seqs: per-step inputs computed outside the loop, each ``(T, [K,] ..., B)``;
            ``seqs[0]`` is the input projection ``(T, [K,] G, B)``.
        weight_hh: recurrent weight ``([K,] R, H)``; bias_hh: ``([K,] R)`` or None.
        state: initial state, each ``([K,] H, B)`` (feature-major); ``state[0]`` is h.
        outputs: return h at every step (True), or only the final state (False: no stacking
            forward, no zero gradients to add backward — a classifier reading the last step).
        final_at: ``(K,)`` long, optional: return each run's state after step ``final_at[k]``
            instead of the last (runs of different lengths sharing one batch, right-padded).
            Later steps do not reach the loss, so their gradient is exactly zero.
        step_weights: tensors every step reads whole, after its slices of ``seqs`` (weights
            the step multiplies itself, e.g. the course GRU's ``U_h``); gradients summed over time.

    Returns:
        output ``(T, [K,] H, B)`` (None when ``outputs`` is False) and the final state.
    """
    if final_at is not None and outputs:
        raise ValueError("final_at reads one step per run; ask for outputs=False")
    needs_grad = torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (*seqs, weight_hh, bias_hh, *step_weights, *state)
    )
    if not needs_grad:
        with torch.no_grad():
            output, final, _ = _forward_loop(cell, seqs, step_weights, weight_hh, bias_hh, state, outputs, final_at,
                                             save=False)
        return output, final
    out = _Scan.apply(cell, len(seqs), len(step_weights), outputs, final_at, weight_hh, bias_hh, *seqs,
                      *step_weights, *state)
    if outputs:
        return out[0], tuple(out[1:])
    return None, tuple(out)


def _readout_masks(final_at: Tensor, steps: int) -> tuple[Tensor, ...]:
    """Per step, a bool mask ``(K, 1, 1)``: is this the step whose state run k returns?"""
    t = torch.arange(steps, device=final_at.device).view(steps, *([1] * final_at.dim()))
    return (final_at.unsqueeze(0) == t).view(steps, *final_at.shape, 1, 1).unbind(0)


def _forward_loop(
    cell: ScanCell,
    seqs: tuple[Tensor, ...],
    step_weights: tuple[Tensor, ...],
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    state: State,
    outputs: bool,
    final_at: Tensor | None,
    *,
    save: bool,
) -> tuple[Tensor | None, State, list[tuple[Tensor, tuple[Tensor, ...]]]]:
    src = cell.source_index
    fuse = cell.rec_adds_input
    b_hh = None if bias_hh is None else bias_hh.unsqueeze(-1)  # ([K,] R, 1)
    steps = seqs[0].shape[0]
    masks = _readout_masks(final_at, steps) if final_at is not None else None
    final = state
    hs: list[Tensor] = []
    saved: list[tuple[Tensor, tuple[Tensor, ...]]] = []
    for t, xs_t in enumerate(zip(*(s.unbind(0) for s in seqs), strict=True)):
        s_prev = state[src]  # ([K,] H, B)
        if fuse:
            rec = _matmul_add(xs_t[0], weight_hh, s_prev)  # ([K,] R, B)
        elif b_hh is not None:
            rec = _matmul_add(b_hh, weight_hh, s_prev)
        else:
            rec = _matmul(weight_hh, s_prev)
        new_state, cache = cell.step((*xs_t, *step_weights), rec, state)
        if save:
            saved.append((s_prev, cache))
        state = new_state
        if masks is not None:
            final = tuple(torch.where(masks[t], s, f) for s, f in zip(state, final, strict=True))
        if outputs:
            hs.append(state[0])
    if masks is None:
        final = state
    return (torch.stack(hs) if outputs else None), tuple(final), saved


class _Scan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, cell: ScanCell, n_seq: int, n_weights: int, outputs: bool,
                final_at: Tensor | None, weight_hh: Tensor, bias_hh: Tensor | None, *rest: Tensor
                ) -> tuple[Tensor, ...]:
        seqs, weights, state = rest[:n_seq], rest[n_seq : n_seq + n_weights], rest[n_seq + n_weights :]
        output, final, saved = _forward_loop(cell, seqs, weights, weight_hh, bias_hh, state, outputs, final_at,
                                             save=True)
        ctx.cell, ctx.outputs, ctx.has_bias = cell, outputs, bias_hh is not None
        ctx.seq_meta = [(s.shape, s.stride(), s.dtype, s.device) for s in seqs]
        ctx.cache_len = [len(c) for _, c in saved]
        flat = [t for s_prev, cache in saved for t in (s_prev, *cache)]
        ctx.n_weights = n_weights
        ctx.save_for_backward(weight_hh, final_at, *weights, *flat)
        return (output, *final) if output is not None else final

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, *grads: Tensor | None) -> tuple[Any, ...]:
        cell: ScanCell = ctx.cell
        weight_hh, final_at, *rest = ctx.saved_tensors
        weights, flat = rest[: ctx.n_weights], rest[ctx.n_weights :]
        saved: list[tuple[Tensor, tuple[Tensor, ...]]] = []
        i = 0
        for n in ctx.cache_len:
            saved.append((flat[i], tuple(flat[i + 1 : i + 1 + n])))
            i += 1 + n
        d_output = grads[0] if ctx.outputs else None
        d_final = grads[1:] if ctx.outputs else grads
        steps = len(saved)
        ref = saved[0][0]
        zeros = torch.zeros_like(ref)
        masks = _readout_masks(final_at, steps) if final_at is not None else None
        if masks is None:
            d_state: list[Tensor] = [g if g is not None else zeros for g in d_final]
        else:  # gradients enter at each run's readout step, below
            d_state = [zeros for _ in d_final]
        # gradient buffers take the layout of their inputs, so the op that made those needs
        # no copy; for a projection made by one matmul that layout is ([K,] G, T, B) in memory
        d_seqs = tuple(
            torch.empty_strided(shape, stride, dtype=dt, device=dev)
            for shape, stride, dt, dev in ctx.seq_meta
        )
        d_rec_all = cell.rec_grad_view(d_seqs)
        if d_rec_all is None:  # ([K,] R, T, B) in memory, seen as (T, [K,] R, B)
            d_rec_all = ref.new_empty(*ref.shape[:-2], weight_hh.shape[-2], steps, ref.shape[-1]).movedim(-2, 0)
        w_t = weight_hh.transpose(-1, -2)  # ([K,] H, R)
        src = cell.source_index
        d_weights = tuple(torch.zeros_like(w) for w in weights)  # summed over time by the steps
        d_xs_steps = [(*d, *d_weights) for d in zip(*(d.unbind(0) for d in d_seqs), strict=True)]  # views
        d_rec_steps = d_rec_all.unbind(0)
        for t in range(steps - 1, -1, -1):
            if d_output is not None:
                d_state[0] = d_state[0] + d_output[t]
            if masks is not None:
                d_state = [d if g is None else torch.where(masks[t], d + g, d)
                           for d, g in zip(d_state, d_final, strict=True)]
            d_rec = d_rec_steps[t]
            d_prev = cell.step_backward(d_state, saved[t][1], d_xs_steps[t], d_rec)
            d_src = d_prev[src]
            d_prev[src] = _matmul(w_t, d_rec) if d_src is None else _matmul_add(d_src, w_t, d_rec)
            d_state = [d if d is not None else zeros for d in d_prev]
        # dW_hh = Σ_t drec_t s_{t-1}ᵀ as one ([K,] R, T·B) @ ([K,] T·B, H) matmul
        sources = torch.stack([s for s, _ in saved], -2)  # ([K,] H, T, B)
        d_rec_rows = d_rec_all.movedim(0, -2).flatten(-2)  # ([K,] R, T·B)
        d_weight = torch.matmul(d_rec_rows, sources.flatten(-2).transpose(-1, -2))
        d_bias = d_rec_rows.sum(-1) if ctx.has_bias else None
        return (None, None, None, None, None, d_weight, d_bias, *d_seqs, *d_weights, *d_state)
