"""Optimizers and gradient clipping for K runs stacked along a leading dimension.

Every operation is elementwise within a run, so run k's update equals what ``torch.optim`` and
``clip_grad_norm_`` do to that run alone; learning rates and clipping norms are per run, and a
slot's state can be reset (a new run takes it) or dropped (finished runs leave the batch).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from seqgraph.errors import ConfigError
from seqgraph.train import OPTIMIZERS


def _per_run(v: Tensor, like: Tensor) -> Tensor:
    """``(K,)`` → ``(K, 1, …)`` broadcasting against ``like (K, …)``."""
    return v.view(-1, *([1] * (like.dim() - 1)))


@torch.no_grad()
def clip_grad_norm_per_run_(grads: Sequence[Tensor], max_norm: Tensor) -> Tensor:
    r"""Scale each run's gradients so their joint 2-norm is at most ``max_norm[k]``:
    :math:`g_k \leftarrow g_k \cdot \min(1, m_k / (\lVert g_k \rVert + 10^{-6}))`, exactly
    ``torch.nn.utils.clip_grad_norm_`` per run; ``max_norm[k] = 0`` leaves run k unclipped.

    Args:
        grads: gradients, each ``(K, …)``. max_norm: ``(K,)``.

    Returns:
        the norms before clipping, ``(K,)``.
    """
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), 2, dim=1) for g in grads])  # (P, K)
    total = torch.linalg.vector_norm(norms, 2, dim=0)  # (K,)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    coef = torch.where(max_norm > 0, coef, torch.ones_like(coef))
    for g in grads:
        g.mul_(_per_run(coef, g))
    return total


class RunOptimizer:
    """RMSprop, Adam or SGD over stacked parameters, with torch's defaults
    (RMSprop α = 0.99, ε = 1e-8; Adam β = (0.9, 0.999), ε = 1e-8) and a learning rate per run.

    Args:
        name: ``rmsprop``, ``adam`` or ``sgd``. params: leaves ``(K, …)``. lr: ``(K,)``.
    """

    def __init__(self, name: str, params: Sequence[Tensor], lr: Tensor) -> None:
        if name not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
        self.name, self.params, self.lr = name, list(params), lr
        self.state: list[list[Tensor]] = [self._fresh(p) for p in self.params]
        self.steps = torch.zeros(lr.shape[0], dtype=torch.float64, device=lr.device)  # Adam's t per run

    def _fresh(self, p: Tensor) -> list[Tensor]:
        n = {"rmsprop": 1, "adam": 2, "sgd": 0}[self.name]
        return [torch.zeros_like(p, memory_format=torch.preserve_format) for _ in range(n)]

    @torch.no_grad()
    def step(self) -> None:
        neg_lr = -self.lr
        if self.name == "adam":
            self.steps += 1
            bc1 = 1 - 0.9 ** self.steps  # bias corrections, float64 per run as torch computes them
            bc2_sqrt = (1 - 0.999 ** self.steps).sqrt()
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if g is None:
                continue
            if self.name == "sgd":  # p ← p − lr g
                p.addcmul_(g, _per_run(neg_lr, p))
            elif self.name == "rmsprop":  # v ← α v + (1 − α) g²;  p ← p − lr g / (√v + ε)
                (v,) = state
                v.mul_(0.99).addcmul_(g, g, value=0.01)
                p.addcmul_(g / v.sqrt().add_(1e-8), _per_run(neg_lr, p))
            else:  # m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²;  p ← p − lr/bc₁ · m / (√v/√bc₂ + ε)
                m, v = state
                m.lerp_(g, 0.1)
                v.mul_(0.999).addcmul_(g, g, value=0.001)
                denom = (v.sqrt() / _per_run(bc2_sqrt.to(p.dtype), p)).add_(1e-8)
                p.addcmul_(m / denom, _per_run((neg_lr / bc1).to(p.dtype), p))

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def reset(self, slot: int, lr: float) -> None:
        """A new run takes ``slot``: zero its state, set its learning rate."""
        for state in self.state:
            for s in state:
                s[slot].zero_()
        self.steps[slot] = 0
        self.lr[slot] = lr

    def select(self, index: Tensor, params: Sequence[Tensor]) -> None:
        """Keep the runs at ``index`` (finished runs leave); ``params`` are the new leaves."""
        self.params = list(params)
        self.state = [[s.index_select(0, index) for s in state] for state in self.state]
        self.steps = self.steps.index_select(0, index)
        self.lr = self.lr.index_select(0, index)
