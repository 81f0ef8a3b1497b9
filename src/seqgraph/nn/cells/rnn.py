"""The Elman RNN cell."""

from __future__ import annotations

import torch
from torch import Tensor

from seqgraph.nn.cells.base import RecurrentCell, _tanh_
from seqgraph.nn.scan import State


class RNNCell(RecurrentCell):
    r"""Elman RNN: :math:`h_t = \tanh(W_{hx} x_t + W_{hh} h_{t-1} + b_h)`.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(H, I)``, weight_hh ``(H, H)``, bias ``(H,)`` (torch's b_ih + b_hh in one).
        With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    rec_adds_input = True
    fused_mode = "rnn"

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        h = _tanh_(rec)
        return (h,), (h,)

    def step_inference(self, rec: Tensor, state: State, gates: tuple[Tensor, ...] | None = None) -> State:
        """:meth:`step` without the cache, for a few samples at a time (sampling), batch-major:
        pre-activations ``rec (B, G·H)`` (may be overwritten; ``gates``: its views per gate,
        when the caller keeps them) → the new state, in new tensors (``rec`` may be reused).
        ``torch.tanh``, which on tensors this small costs less than 2σ(2x) − 1 (equal up to
        rounding)."""
        return (rec.tanh(),)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = tanh(a), a = xp + W h_prev:  dL/da = dh ⊙ (1 − h²); the loop adds W_hhᵀ dL/da
        (h,) = cache
        dxp = d_xs[0]
        torch.mul(h, h, out=dxp)
        dxp.neg_().add_(1).mul_(d_state[0])  # dh · (1 − h²)
        return [None]
