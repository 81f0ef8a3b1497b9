r"""The diagonal linear recurrence :math:`h_t = a_t \odot h_{t-1} + b_t` over a whole sequence, two ways.

* ``"parallel"`` — every step at once: Heinsen's log-space scan (2023; the form of Feng et al.
  2024, appendix B), O(T) work in cumulative sums with no dependency between steps. The form a
  GPU wants; chosen for CUDA tensors.
* ``"sequential"`` — one fused time loop (:func:`fused_scan`): T in-place ``addcmul`` over
  ``([K,] B, H)``, the coefficients computed from the pre-activations a block of steps at a time
  (in cache) and never stored, and a hand-written backward (the reverse loop). No autograd graph
  per step and O(T·B·H) memory; on a CPU, where the cumulative log-sum-exp costs ~30 ns an element
  (its backward more) and every full-size pass pays fresh pages, it is the faster one
  (``benchmarks/scan_cells.py``); chosen for CPU tensors. The LRU's complex recurrence has its own
  loop in real arithmetic (``seqgraph.nn.cells.lru``).

Both give the same numbers up to rounding (``tests/nn/test_linear_scan.py`` and the cells' tests).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

SCAN_METHODS = ("parallel", "sequential")


def scan_method(x: Tensor, method: str | None = None) -> str:
    """The method for tensors like ``x``: ``method`` if given, else parallel on CUDA, sequential otherwise."""
    if method is None:
        return "parallel" if x.is_cuda else "sequential"
    if method not in SCAN_METHODS:
        raise ValueError(f"unknown scan method {method!r} (choose from {', '.join(SCAN_METHODS)})")
    return method


def log_space_scan(log_a: Tensor, log_b: Tensor, h0: Tensor) -> Tensor:
    r"""All states of :math:`h_t = a_t \odot h_{t-1} + b_t` (a, b > 0) from their logarithms, in
    parallel (Heinsen 2023):

    .. math::
        a^*_t = \sum_{s \le t} \log a_s,\quad
        h_t = e^{a^*_t} h_0 + \exp\big(a^*_t + \operatorname{logcumsumexp}_{s \le t}(\log b_s - a^*_s)\big)

    The initial state enters linearly, so it may have any sign. Plain autograd: the saved tensors are
    a few of the input's size, O(T·B·H). In float32 the relative error grows like eps·|a*_T|
    (the two large terms of the last exponent cancel): about 1e-4 when |a*_T| is in the thousands.

    Shapes:
        log_a, log_b ``(T, ...)``; h0 ``(...)`` → h ``(T, ...)`` (h_1 … h_T).
    """
    a_star = log_a.cumsum(0)
    return torch.addcmul(torch.exp(a_star + (log_b - a_star).logcumsumexp(0)), a_star.exp(), h0)


Coefficients = Callable[[Tensor], tuple[Tensor, Tensor]]
CoefficientGrads = Callable[[Tensor, Tensor, Tensor, Tensor], None]

CHUNK_ELEMENTS = 1 << 16  # elements of one (C, [K,] B, H) block: a few of them stay in a core's L2


def _chunks(T: int, step_elements: int) -> list[tuple[int, int]]:
    size = max(1, CHUNK_ELEMENTS // max(step_elements, 1))
    return [(s, min(s + size, T)) for s in range(0, T, size)]


class _FusedScan(torch.autograd.Function):
    """h_t = a_t h_{t−1} + b_t with (a, b) computed from the pre-activations p block by block of
    time steps (a few in cache at once) and never stored: forward saves p and h only, backward
    recomputes each block's (a, b) and applies the cell's chain rule into ∂p."""

    @staticmethod
    def forward(ctx, p: Tensor, h0: Tensor, coefficients: Coefficients,
                coefficient_grads: CoefficientGrads) -> Tensor:
        T = p.shape[0]
        h = torch.empty(*p.shape[:-1], h0.shape[-1], dtype=p.dtype, device=p.device)
        prev = h0
        for s, e in _chunks(T, h0.numel()):
            a, b = coefficients(p[s:e])
            for t in range(e - s):
                torch.addcmul(b[t], a[t], prev, out=h[s + t])
                prev = h[s + t]
        ctx.save_for_backward(p, h0, h)
        ctx.functions = coefficients, coefficient_grads
        return h

    @staticmethod
    @once_differentiable
    def backward(ctx, g: Tensor) -> tuple[Tensor, Tensor, None, None]:
        p, h0, h = ctx.saved_tensors
        coefficients, coefficient_grads = ctx.functions
        dp = torch.empty_like(p)
        carry = torch.zeros_like(h0)  # a_{t+1} G_{t+1}: what the step after this one sends back
        for s, e in reversed(_chunks(p.shape[0], h0.numel())):
            a, b = coefficients(p[s:e])
            G = torch.empty_like(b)
            for t in range(e - s - 1, -1, -1):
                torch.add(g[s + t], carry, out=G[t])
                carry = a[t] * G[t]
            prev = h[s - 1:e - 1] if s > 0 else torch.cat([h0.unsqueeze(0), h[:e - 1]])
            coefficient_grads(p[s:e], G * prev, G, dp[s:e])  # ∂a = G h_{t−1}, ∂b = G
        return dp, carry, None, None  # ∂h_0 = a_1 G_1


def fused_scan(p: Tensor, h0: Tensor, coefficients: Coefficients, coefficient_grads: CoefficientGrads) -> Tensor:
    r"""All states of :math:`h_t = a_t \odot h_{t-1} + b_t` where :math:`(a_t, b_t)` = ``coefficients(p_t)``
    are pointwise functions of the pre-activations: one fused time loop (real tensors), memory
    O(T·B·(G + 1)·H) — p and h, nothing per step.

    ``coefficients(p_block)`` → (a, b), each ``(C, [K,] B, H)``; ``coefficient_grads(p_block, d_a, d_b,
    out)`` writes ∂L/∂p for the block into ``out`` (the cell's chain rule through its gates).

    Shapes:
        p ``(T, [K,] B, G·H)``; h0 ``([K,] B, H)`` → h ``(T, [K,] B, H)``.
    """
    return _FusedScan.apply(p, h0.expand(*p.shape[1:-1], h0.shape[-1]), coefficients, coefficient_grads)
