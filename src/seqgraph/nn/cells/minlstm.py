"""minLSTM (Feng et al. 2024), trained with a log-space parallel scan."""

from __future__ import annotations

from torch import Tensor
from torch.nn import functional as F

from seqgraph.nn.cells.base import ParallelScanCell, _g, _log_g, log_space_scan
from seqgraph.nn.scan import State


class MinLSTMCell(ParallelScanCell):
    r"""minLSTM — Feng, Tung, Ahmed, Bengio & Hajimirsadegh, *Were RNNs All We Needed?* (2024,
    arXiv:2410.01201), the log-space form of its appendix B.3:

    .. math::
        f_t = \sigma(W_f x_t + b_f),\; i_t = \sigma(W_i x_t + b_i),\;
        f'_t = \frac{f_t}{f_t + i_t},\; i'_t = \frac{i_t}{f_t + i_t},\;
        \tilde h_t = g(W_h x_t + b_h),\; h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t

    with g as :class:`~seqgraph.nn.cells.MinGRUCell`'s. In log space, with
    :math:`d = \mathrm{softplus}(-a_f) - \mathrm{softplus}(-a_i)`: :math:`\log f' = -\mathrm{softplus}(d)`,
    :math:`\log i' = -\mathrm{softplus}(-d)`, and the scan is
    :func:`~seqgraph.nn.cells.base.log_space_scan`.

    Args:
        input_size: I (for symbol ids: the number of symbols).
        hidden_size: H.
        runs: K sets of weights stacked as one model (default None: a single run).

    Attributes:
        weight_ih ``(3H, I)``, bias ``(3H,)``, rows f, i, h. No recurrent weight. With ``runs=K``
        each gains a leading K. ``forget_bias`` (palindromes, the character model) sets
        :math:`b_f`, as for the LSTM.

    Shapes:
        ``forward``: input ``(B, I)``, hidden ``(B, H)`` (zeros by default) → h';
        ``scan``: input ``(T, B, I)`` or ids ``(T, B)`` → output ``(T, B, H)`` and the final
        state. With ``runs=K`` a K follows T (``(T, K, B, I)``) and leads each state ``(K, B, H)``.
    """

    gates = 3

    def forget_gate_rows(self) -> slice | None:
        return slice(0, self.hidden_size)

    def parallel(self, p: Tensor, state: State) -> State:
        pre_f, pre_i, pre_h = p.chunk(3, -1)
        d = F.softplus(-pre_f) - F.softplus(-pre_i)  # log i − log f
        return (log_space_scan(-F.softplus(d), -F.softplus(-d) + _log_g(pre_h), state[0]),)

    def step_from(self, p: Tensor, state: State) -> State:
        pre_f, pre_i, pre_h = p.chunk(3, -1)
        f, i = pre_f.sigmoid(), pre_i.sigmoid()
        return ((f * state[0] + i * _g(pre_h)) / (f + i),)
