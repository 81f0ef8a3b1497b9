"""The LSTM cell (torch's gate order) and the gate helpers the time-gated LSTM shares."""

from __future__ import annotations

import torch
from torch import Tensor

from seqgraph.nn.cells.base import RecurrentCell, _one_minus_square, _tanh
from seqgraph.nn.scan import State


def _lstm_gates(gates: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Activate ``([K,] 4H, B)`` pre-activations in place (i, f, g, o): σ, σ, tanh, σ."""
    i, f, g, o = gates.chunk(4, -2)
    g.mul_(2)
    gates.sigmoid_()
    g.mul_(2).sub_(1)
    return i, f, g, o


def _lstm_gates_backward(gates: Tensor, d_gates: Tensor, dc: Tensor, c_prev: Tensor) -> Tensor:
    """Given dL/dc (through c = f·c_prev + i·g), write dL/d(pre-activation) of i, f, g into
    ``d_gates ([K,] 4H, B)`` — the caller has written dL/do into its o rows — and return
    dL/dc_prev through the forget path.

    c = f⊙c_prev + i⊙g:  dL/di = dc⊙g, dL/df = dc⊙c_prev, dL/dg = dc⊙i; then through the
    activations: σ'(a) = s(1 − s), tanh'(a) = 1 − g²; and dL/dc_prev = dc⊙f."""
    i, f, g, _o = gates.chunk(4, -2)
    di, df, dg, _do = d_gates.chunk(4, -2)
    torch.mul(dc, g, out=di)
    torch.mul(dc, c_prev, out=df)
    torch.mul(dc, i, out=dg)
    deriv = torch.addcmul(gates, gates, gates, value=-1)  # σ' = s(1 − s) for i, f, o
    _one_minus_square(g, out=deriv.chunk(4, -2)[2])  # tanh' = 1 − g²
    d_gates.mul_(deriv)
    return dc * f


class LSTMCell(RecurrentCell):
    r"""LSTM (gate order i, f, g, o as ``torch.nn.LSTMCell``):

    .. math::
        g = \tanh(W_{gx}x + W_{gh}h_{t-1} + b_g),\;
        i, f, o = \sigma(W_{\cdot x}x + W_{\cdot h}h_{t-1} + b_\cdot),\;
        c_t = g \odot i + c_{t-1} \odot f,\; h_t = \tanh(c_t) \odot o

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(4H, I)``, weight_hh ``(4H, H)``, bias ``(4H,)`` (torch's b_ih + b_hh in one),
        rows i, f, g, o.
        With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, state (h, c) each ``(B, H)`` (zeros by default) → (h', c');
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 4
    rec_gates = 4
    state_size = 2
    rec_adds_input = True
    fused_mode: str | None = "lstm"

    def forget_gate_rows(self) -> slice | None:
        return slice(self.hidden_size, 2 * self.hidden_size)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        c_prev = state[1]
        gates = rec
        i, f, g, o = _lstm_gates(gates)
        c = torch.addcmul(f * c_prev, i, g)
        tc = _tanh(c)
        h = o * tc
        return (h, c), (gates, c_prev, tc)

    def step_inference(self, rec: Tensor, state: State, gates: tuple[Tensor, ...] | None = None) -> State:
        """See :meth:`seqgraph.nn.cells.RNNCell.step_inference`: 6 small ops instead of :meth:`step`'s 12."""
        i, f, g, o = rec.chunk(4, -1) if gates is None else gates
        g = g.tanh()
        rec.sigmoid_()  # i, f, o (and the g rows, no longer read)
        c = torch.addcmul(f * state[1], i, g)
        return o * c.tanh(), c

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = o⊙tanh(c):  dL/do = dh⊙tanh(c);  dL/dc += dh⊙o⊙(1 − tanh²(c)); then the gates
        gates, c_prev, tc = cache
        dh, dc = d_state
        o = gates.chunk(4, -2)[3]
        torch.mul(dh, tc, out=d_xs[0].chunk(4, -2)[3])
        dc = torch.addcmul(dc, dh * o, _one_minus_square(tc))
        return [None, _lstm_gates_backward(gates, d_xs[0], dc, c_prev)]
