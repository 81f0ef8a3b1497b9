"""The course's peephole LSTM cell."""

from __future__ import annotations

import torch
from torch import Tensor

from seqgraph.nn.cells.base import RecurrentCell, _one_minus_square, _tanh
from seqgraph.nn.scan import State


class PeepholeLSTMCell(RecurrentCell):
    r"""The course's peephole LSTM: the gates read :math:`c_{t-1}` instead of :math:`h_{t-1}`.

    .. math::
        f, i, o = \sigma(W_{\cdot x}x + W_{\cdot h}c_{t-1} + b_\cdot),\;
        c_t = \sigma(W_{cx}x + b_c) \odot i + c_{t-1} \odot f,\; h_t = \tanh(c_t) \odot o

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(4H, I)`` and bias ``(4H,)``, rows i, f, o, c; weight_hh ``(3H, H)``, the
        peephole weights for i, f, o.
        With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, state (h, c) each ``(B, H)`` (zeros by default) → (h', c');
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 4
    rec_gates = 3
    state_size = 2
    source_index = 1

    def forget_gate_rows(self) -> slice | None:
        return slice(self.hidden_size, 2 * self.hidden_size)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        c_prev = state[1]
        xp = xs[0]
        ifo = rec.add_(xp[..., : 3 * H, :]).sigmoid_()
        cand = torch.sigmoid(xp[..., 3 * H :, :])
        i, f, o = ifo.chunk(3, -2)
        c = torch.addcmul(f * c_prev, i, cand)
        tc = _tanh(c)
        h = o * tc
        return (h, c), (ifo, cand, c_prev, tc)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # c = f⊙c_prev + i⊙σ(a_c), h = o⊙tanh(c): the LSTM's chain rule with the candidate a
        # sigmoid; the gates' pre-activations also feed W_hh c_prev (added by the loop)
        H = self.hidden_size
        ifo, cand, c_prev, tc = cache
        dh, dc = d_state
        i, f, o = ifo.chunk(3, -2)
        dxp = d_xs[0]
        d_ifo, d_cand = dxp[..., : 3 * H, :], dxp[..., 3 * H :, :]
        di, df, do = d_ifo.chunk(3, -2)
        dc = torch.addcmul(dc, dh * o, _one_minus_square(tc))
        torch.mul(dc, cand, out=di)
        torch.mul(dc, c_prev, out=df)
        torch.mul(dh, tc, out=do)
        d_ifo.mul_(ifo - ifo * ifo)
        torch.mul(dc, i, out=d_cand)
        d_cand.mul_(cand - cand * cand)
        return [None, dc * f]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return d_seqs[0][..., : 3 * self.hidden_size, :]
