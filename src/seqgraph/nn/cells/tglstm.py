"""The Phased-LSTM time gate and the 2018 course's time-gated LSTM cell."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from seqgraph.nn.cells.base import _one_minus_square, _project, _tanh
from seqgraph.nn.cells.lstm import LSTMCell, _lstm_gates, _lstm_gates_backward
from seqgraph.nn.scan import State


def time_gate(t: Tensor, tau: Tensor, shift: Tensor, r_on: Tensor, leak: float = 0.0) -> Tensor:
    r"""The Phased-LSTM openness :math:`k(t)` per unit.

    .. math::
        \phi = \frac{(t - s) \bmod \tau}{\tau},\quad
        k = \begin{cases} 2\phi / r_{on} & \phi < r_{on}/2 \\
                          2 - 2\phi / r_{on} & r_{on}/2 \le \phi < r_{on} \\
                          \alpha \phi & \text{otherwise (leak } \alpha\text{)} \end{cases}

    Shapes:
        t ``(T,)``; tau, shift, r_on ``([K,] H)`` → k ``(T, [K,] H)``. Differentiable in τ, s, r_on.
    """
    t = t.to(tau.dtype).view(-1, *([1] * tau.dim()))
    phi = torch.remainder(t - shift, tau) / tau
    rising = 2 * phi / r_on
    return torch.where(phi < r_on / 2, rising, torch.where(phi < r_on, 2 - rising, leak * phi))


class TimeGatedLSTMCell(LSTMCell):
    r"""The 2018 course's time-gated LSTM (a Phased-LSTM time gate on a plain LSTM):

    .. math::
        \tilde c_t = g \odot i + c_{t-1} \odot f,\;
        c_t = k_t \odot \tilde c_t + (1 - k_t) \odot c_{t-1},\;
        \tilde h_t = \tanh(c_t) \odot o,\;
        h_t = k_t \odot \tilde h_t + (1 - k_t) \odot h_{t-1}

    with :math:`k_t` from :func:`time_gate`. Per-unit period τ (log-uniform in [2, 20]), shift
    s (uniform in [0, τ)) and open ratio r_on (0.1) are parameters, or fixed buffers with
    ``learn_gate=False``. With k ≡ 1 it is exactly :class:`~seqgraph.nn.cells.LSTMCell`.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).
        learn_gate: learn τ, s, r_on (default True; False: fixed buffers).
        r_on: initial open ratio (default 0.1).
        leak: α, the openness slope in the closed phase (default 0.0).

    Attributes:
        the LSTM's weight_ih ``(4H, I)``, weight_hh ``(4H, H)``, bias ``(4H,)``; tau, shift, r_on
        ``(H,)``.
        With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, state (h, c) each ``(B, H)`` (zeros by default) → (h', c');
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    fused_mode = None  # the time gate has no fused kernel
    step_inference = None  # type: ignore[assignment]  # LSTMCell's would leave out the time gate

    def __init__(self, input_size: int, hidden_size: int, runs: int | None = None, learn_gate: bool = True,
                 r_on: float = 0.1, leak: float = 0.0) -> None:
        self.learn_gate, self.r_on_init, self.leak = learn_gate, r_on, leak
        super().__init__(input_size, hidden_size, runs)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih, self.weight_hh, self.bias):
            nn.init.uniform_(p, -bound, bound)
        shape = (*self._lead, self.hidden_size)
        tau = torch.empty(shape).uniform_(math.log(2.0), math.log(20.0)).exp()
        gate = {"tau": tau, "shift": torch.rand(shape) * tau, "r_on": torch.full(shape, self.r_on_init)}
        for name, value in gate.items():
            if name in self._parameters or name in self._buffers:
                with torch.no_grad():
                    getattr(self, name).copy_(value)
            elif self.learn_gate:
                self.register_parameter(name, nn.Parameter(value))
            else:
                self.register_buffer(name, value)

    tau: Tensor
    shift: Tensor
    r_on: Tensor

    def project(self, x: Tensor, t0: int = 0) -> tuple[Tensor, ...]:
        t = torch.arange(t0, t0 + x.shape[0], device=x.device)
        k = time_gate(t, self.tau, self.shift, self.r_on, self.leak)  # (T, [K,] H)
        return (_project(x, self.weight_ih, self.bias), k.unsqueeze(-1))  # k: (T, [K,] H, 1)

    def step(self, xs: tuple[Tensor, ...], rec: Tensor, state: State) -> tuple[State, tuple[Tensor, ...]]:
        k = xs[1]  # ([K,] H, 1)
        h_prev, c_prev = state
        gates = rec
        i, f, g, o = _lstm_gates(gates)
        c_hat = torch.addcmul(f * c_prev, i, g)
        c = torch.addcmul(c_prev, k, c_hat - c_prev)
        tc = _tanh(c)
        h_hat = o * tc
        h = torch.addcmul(h_prev, k, h_hat - h_prev)
        return (h, c), (gates, c_prev, c_hat, tc, h_hat, h_prev, k)

    def step_backward(self, d_state: list[Tensor], cache: tuple[Tensor, ...], d_xs: tuple[Tensor, ...],
                      d_rec: Tensor) -> list[Tensor | None]:
        # h = h_prev + k⊙(ĥ − h_prev), c = c_prev + k⊙(ĉ − c_prev): dL/dĥ = dh⊙k,
        # dL/dk = Σ_B dh⊙(ĥ − h_prev) + dc⊙(ĉ − c_prev); the rest is the LSTM's chain rule on ĉ, ĥ
        gates, c_prev, c_hat, tc, h_hat, h_prev, k = cache
        dh, dc = d_state
        o = gates.chunk(4, -2)[3]
        dh_hat = dh * k
        dk = dh * (h_hat - h_prev)
        torch.mul(dh_hat, tc, out=d_xs[0].chunk(4, -2)[3])  # dL/do
        dc = torch.addcmul(dc, dh_hat * o, _one_minus_square(tc))
        dk.addcmul_(dc, c_hat - c_prev)
        dc_hat = dc * k
        dc_prev = dc - dc_hat + _lstm_gates_backward(gates, d_xs[0], dc_hat, c_prev)
        d_xs[1].copy_(dk.sum(-1, keepdim=True))
        return [dh - dh_hat, dc_prev]
