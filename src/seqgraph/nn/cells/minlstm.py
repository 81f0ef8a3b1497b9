"""minLSTM (Feng et al. 2024), trained with a log-space parallel scan."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.nn.cells.base import ParallelScanCell, _g, _g_and_grad, _g_fast, _log_g
from seqgraph.nn.linear_scan import fused_scan, log_space_scan
from seqgraph.nn.scan import State


def _coefficients(p: Tensor) -> tuple[Tensor, Tensor]:
    """a = f / (f + i), b = i ⊙ g(W_h x + b_h) / (f + i) from a block of pre-activations ``(C, …, 3H)``."""
    pre_f, pre_i, v = p.chunk(3, -1)
    f, i = torch.sigmoid(pre_f), torch.sigmoid(pre_i)
    s = f + i
    return f.div_(s), _g_fast(v).mul_(i).div_(s)


def _coefficient_grads(p: Tensor, d_a: Tensor, d_b: Tensor, out: Tensor) -> None:
    """With s = f + i and e = (∂a − ∂b ⊙ g) / s²: ∂pre_f = i e f(1 − f), ∂pre_i = −f e i(1 − i),
    ∂v = ∂b ⊙ (i / s) ⊙ g'(v), written into ``out`` (the block's ∂p)."""
    pre_f, pre_i, v = p.chunk(3, -1)
    d_f, d_i, d_v = out.chunk(3, -1)
    f, i = torch.sigmoid(pre_f), torch.sigmoid(pre_i)
    s = f + i
    g, dg = _g_and_grad(v)
    e = torch.addcmul(d_a, d_b, g, value=-1).div_(s * s)
    fi_e = f * i * e
    torch.mul(fi_e, 1 - f, out=d_f)
    torch.mul(fi_e, i - 1, out=d_i)
    torch.mul(dg.mul_(d_b), i / s, out=d_v)


class MinLSTMCell(ParallelScanCell):
    r"""minLSTM — Feng, Tung, Ahmed, Bengio & Hajimirsadegh, *Were RNNs All We Needed?* (2024,
    arXiv:2410.01201), the log-space form of its appendix B.3:

    .. math::
        f_t = \sigma(W_f x_t + b_f),\; i_t = \sigma(W_i x_t + b_i),\;
        f'_t = \frac{f_t}{f_t + i_t},\; i'_t = \frac{i_t}{f_t + i_t},\;
        \tilde h_t = g(W_h x_t + b_h),\; h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t

    with g as :class:`~seqgraph.nn.cells.MinGRUCell`'s. In log space, with
    :math:`d = \mathrm{softplus}(-a_f) - \mathrm{softplus}(-a_i)`: :math:`\log f' = -\mathrm{softplus}(d)`,
    :math:`\log i' = -\mathrm{softplus}(-d)` for the parallel form (CUDA's,
    :func:`~seqgraph.nn.linear_scan.log_space_scan`); the CPU runs one fused time loop of the linear form
    (:func:`~seqgraph.nn.linear_scan.fused_scan`).

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(3H, I)``, bias ``(3H,)``, rows f, i, h. No recurrent weight. With ``runs=K``
        each gains a leading K. ``forget_bias`` (palindromes, the character model) sets the
        forget gate's bias :math:`b_f`, as for the LSTM.

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 3

    def forget_gate_rows(self) -> slice | None:
        return slice(0, self.hidden_size)

    def scan_all(self, p: Tensor, state: State, method: str) -> State:
        pre_f, pre_i, pre_h = p.chunk(3, -1)
        if method == "parallel":  # in log space
            d = F.softplus(-pre_f) - F.softplus(-pre_i)  # log i − log f
            return (log_space_scan(-F.softplus(d), -F.softplus(-d) + _log_g(pre_h), state[0]),)
        return (fused_scan(p, state[0], _coefficients, _coefficient_grads),)

    def step_from(self, p: Tensor, state: State) -> State:
        pre_f, pre_i, pre_h = p.chunk(3, -1)
        f, i = pre_f.sigmoid(), pre_i.sigmoid()
        return ((f * state[0] + i * _g(pre_h)) / (f + i),)

    def inference_step(self) -> Callable[[Tensor, State], State]:
        def step(p: Tensor, state: State) -> State:
            pre_f, pre_i, v = p.chunk(3, -1)
            f, i = torch.sigmoid(pre_f), torch.sigmoid(pre_i)
            return (torch.addcmul(f * state[0], i, _g_fast(v)).div_(f + i),)

        return step
