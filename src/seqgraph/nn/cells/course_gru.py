"""The 2020 course's GRU cell."""

from __future__ import annotations

import torch
from torch import Tensor

from seqgraph.nn.cells.base import RecurrentCell, _one_minus_square, _project, _tanh_
from seqgraph.nn.scan import State


class CourseGRUCell(RecurrentCell):
    r"""The 2020 course's GRU (``uvadlc/uvadlc_practicals_2020``, ``assignment_2.pdf``, eqs. 29–32,
    as quoted in issue #10): no biases, and the reset gate scales :math:`h_{t-1}` *before* the
    candidate's matmul.

    .. math::
        z_t = \sigma(W_z [h_{t-1}, x_t]),\;
        r_t = \sigma(W_r [h_{t-1}, x_t]),\;
        \tilde h_t = \tanh(W_{hx} x_t + U_h (r_t \odot h_{t-1})),\;
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

    It differs from ``torch.nn.GRUCell`` (:class:`~seqgraph.nn.cells.GRUCell`) in three ways:
    torch applies r *after* the matmul (:math:`r \odot (W_{hn} h + b_{hn})`), has biases (two
    sets), and mixes the other way round, :math:`h_t = (1 - z) \odot \tilde h + z \odot h_{t-1}`.

    Rows are ordered (r, z, n) as torch's: ``weight_ih`` ``(3H, I)`` holds
    :math:`W_{rx}, W_{zx}, W_{hx}`, ``weight_hh`` ``(3H, H)`` holds :math:`W_{rh}, W_{zh}, U_h`.
    The loop's recurrent matmul is the first 2H rows; :math:`U_h` is a step weight.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 3
    rec_gates = 3

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None) -> None:
        super().__init__(input_size, hidden_size, runs)
        del self.bias  # the course's equations have no biases

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        return (_project(x, self.weight_ih, None),)

    def loop_weights(self) -> tuple[Tensor, tuple[Tensor, ...]]:
        H = self.hidden_size
        return self.weight_hh[..., : 2 * H, :], (self.weight_hh[..., 2 * H :, :],)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        H = self.hidden_size
        xp, u = xs  # u = U_h ([K,] H, H)
        h_prev = state[0]
        rz = rec.add_(xp[..., : 2 * H, :]).sigmoid_()
        r, z = rz.chunk(2, -2)
        rh = r * h_prev
        n = _tanh_(torch.matmul(u, rh).add_(xp[..., 2 * H :, :]))
        h = torch.addcmul(h_prev, z, n - h_prev)
        return (h,), (rz, n, rh, h_prev, u)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = h_prev + z⊙(n − h_prev), n = tanh(a_n), a_n = xp_n + U (r⊙h_prev), [a_r; a_z] = xp_rz + W h_prev:
        #   dL/da_n = dh⊙z⊙(1 − n²);  dL/da_z = dh⊙(n − h_prev)⊙z(1 − z);
        #   dL/d(r⊙h_prev) = Uᵀ dL/da_n;  dL/da_r = that⊙h_prev⊙r(1 − r);  dL/dU += dL/da_n (r⊙h_prev)ᵀ;
        #   dL/dh_prev = dh⊙(1 − z) + r⊙Uᵀ dL/da_n  (+ Wᵀ [dL/da_r; dL/da_z], added by the loop)
        rz, n, rh, h_prev, u = cache
        r, z = rz.chunk(2, -2)
        dh = d_state[0]
        dxp, du = d_xs
        dr, dz, dn = dxp.chunk(3, -2)
        torch.mul(dh, z, out=dn)
        dn.mul_(_one_minus_square(n))  # dL/da_n
        d_rh = torch.matmul(u.transpose(-1, -2), dn)
        du.add_(torch.matmul(dn, rh.transpose(-1, -2)))
        torch.mul(d_rh, h_prev, out=dr)
        torch.mul(dh, n - h_prev, out=dz)
        d_rz = dxp[..., : 2 * self.hidden_size, :]
        d_rz.mul_(rz - rz * rz)
        return [torch.addcmul(dh - dh * z, d_rh, r)]

    def rec_grad_view(self, d_seqs: tuple[Tensor, ...]) -> Tensor | None:
        return d_seqs[0][..., : 2 * self.hidden_size, :]
