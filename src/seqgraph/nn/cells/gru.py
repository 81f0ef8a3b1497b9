"""The GRU cell (as ``torch.nn.GRUCell``)."""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from seqgraph.nn.cells.base import RecurrentCell, _one_minus_square, _project, _tanh_
from seqgraph.nn.scan import State


class GRUCell(RecurrentCell):
    r"""GRU (as ``torch.nn.GRUCell``, gate order r, z, n):

    .. math::
        r = \sigma(W_{ir}x + b_{ir} + W_{hr}h + b_{hr}),\;
        z = \sigma(W_{iz}x + b_{iz} + W_{hz}h + b_{hz}),\;
        n = \tanh(W_{in}x + b_{in} + r \odot (W_{hn}h + b_{hn})),\;
        h_t = (1 - z) \odot n + z \odot h_{t-1}

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(3H, I)``, weight_hh ``(3H, H)``, bias_ih and bias_hh ``(3H,)`` (torch's two
        sets: r multiplies :math:`W_{hn}h + b_{hn}`), rows r, z, n.
        With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 3
    rec_gates = 3
    fused_mode = "gru"

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__(input_size, hidden_size, runs)
        self.bias_ih = self.bias
        del self.bias
        self.bias_hh = nn.Parameter(torch.empty(*self._lead, 3 * hidden_size))
        self.reset_parameters()

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        return (_project(x, self.weight_ih, self.bias_ih),)

    def fused_weights(self) -> list[Tensor]:
        return [self.weight_ih, self.weight_hh, self.bias_ih, cast(Tensor, self.bias_hh)]

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        xp = xs[0]
        h_prev = state[0]
        rz = torch.add(xp[..., : 2 * H, :], rec[..., : 2 * H, :]).sigmoid_()
        r, z = rz.chunk(2, -2)
        rec_n = rec[..., 2 * H :, :]
        n = _tanh_(torch.addcmul(xp[..., 2 * H :, :], r, rec_n))
        h = torch.addcmul(n, z, h_prev - n)
        return (h,), (rz, n, rec_n, h_prev)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = (1 − z)⊙n + z⊙h_prev, n = tanh(a_n + r⊙rec_n):  dL/da_n = dh⊙(1 − z)⊙(1 − n²),
        # dL/dr = dL/da_n⊙rec_n, dL/dz = dh⊙(h_prev − n); rec gets (dL/da_r, dL/da_z, dL/da_n⊙r)
        H = self.hidden_size
        rz, n, rec_n, h_prev = cache
        r, z = rz.chunk(2, -2)
        dh = d_state[0]
        dxp = d_xs[0]
        dr, dz, dn = dxp.chunk(3, -2)
        torch.mul(dh, 1 - z, out=dn)
        dn.mul_(_one_minus_square(n))  # through tanh
        torch.mul(dn, rec_n, out=dr)
        torch.mul(dh, h_prev - n, out=dz)
        d_rz = dxp[..., : 2 * H, :]
        d_rz.mul_(rz - rz * rz)
        d_rec[..., : 2 * H, :].copy_(d_rz)
        torch.mul(dn, r, out=d_rec[..., 2 * H :, :])
        return [dh * z]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return None
