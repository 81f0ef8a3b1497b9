"""minGRU (Feng et al. 2024), trained with a log-space parallel scan."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from seqgraph.nn.cells.base import ParallelScanCell, _g, _g_and_grad, _g_fast, _log_g
from seqgraph.nn.linear_scan import fused_scan, log_space_scan
from seqgraph.nn.scan import State


def _coefficients(p: Tensor) -> tuple[Tensor, Tensor]:
    """a = 1 − z, b = z ⊙ g(W_h x + b_h) from a block of pre-activations ``(C, …, 2H)``."""
    k, v = p.chunk(2, -1)
    z = torch.sigmoid(k)
    return torch.rsub(z, 1), _g_fast(v).mul_(z)


def _coefficient_grads(p: Tensor, d_a: Tensor, d_b: Tensor, out: Tensor) -> None:
    """∂k = (∂b ⊙ g − ∂a) ⊙ z(1 − z), ∂v = ∂b ⊙ z ⊙ g'(v), written into ``out`` (the block's ∂p)."""
    k, v = p.chunk(2, -1)
    d_k, d_v = out.chunk(2, -1)
    z = torch.sigmoid(k)
    g, dg = _g_and_grad(v)
    torch.mul(g.mul_(d_b).sub_(d_a), z - z * z, out=d_k)
    torch.mul(dg.mul_(z), d_b, out=d_v)


class MinGRUCell(ParallelScanCell):
    r"""minGRU — Feng, Tung, Ahmed, Bengio & Hajimirsadegh, *Were RNNs All We Needed?* (2024,
    arXiv:2410.01201), the log-space form of its appendix B.3:

    .. math::
        z_t = \sigma(W_z x_t + b_z),\quad \tilde h_t = g(W_h x_t + b_h),\quad
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

    with :math:`g(x) = x + 0.5` for x ≥ 0 and σ(x) otherwise. The gate does not read
    :math:`h_{t-1}`, so training runs one scan of :math:`h_t = a_t \odot h_{t-1} + b_t` over the
    sequence: on CUDA the log-space parallel form (:func:`~seqgraph.nn.linear_scan.log_space_scan`, with
    :math:`\log a_t = -\mathrm{softplus}(k_t)`, :math:`\log b_t = -\mathrm{softplus}(-k_t) + \log g(\cdot)`,
    :math:`k_t` the gate's pre-activation), on the CPU one fused time loop
    (:func:`~seqgraph.nn.linear_scan.fused_scan`); sampling runs the equations above step by step.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(2H, I)``, bias ``(2H,)``, rows z, h (U(±1/√H) as torch's cells). No
        recurrent weight. With ``runs=K`` each gains a leading K.

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 2

    def scan_all(self, p: Tensor, state: State, method: str) -> State:
        k, pre_h = p.chunk(2, -1)
        if method == "parallel":  # in log space
            log_a = -F.softplus(k)  # log(1 − z)
            log_b = -F.softplus(-k) + _log_g(pre_h)  # log(z ⊙ h̃)
            return (log_space_scan(log_a, log_b, state[0]),)
        return (fused_scan(p, state[0], _coefficients, _coefficient_grads),)

    def step_from(self, p: Tensor, state: State) -> State:
        k, pre_h = p.chunk(2, -1)
        z = k.sigmoid()
        return ((1 - z) * state[0] + z * _g(pre_h),)

    def inference_step(self) -> Callable[[Tensor, State], State]:
        def step(p: Tensor, state: State) -> State:  # h + z (h̃ − h), four ops fewer
            k, v = p.chunk(2, -1)
            return (torch.lerp(state[0], _g_fast(v), torch.sigmoid(k)),)

        return step
