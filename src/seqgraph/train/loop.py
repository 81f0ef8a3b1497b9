"""The one training loop every task uses: batch → logits → cross-entropy → clip → step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seqgraph.errors import ConfigError
from seqgraph.train import OPTIMIZERS


def resolve_device(name: str) -> torch.device:
    """``auto`` → cuda when available, else cpu; ``cuda`` or ``cuda:N`` (GPU number N) without
    that GPU is an error."""
    from seqgraph.config import check_device

    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not count:
            raise ConfigError(f"--device {name}: no CUDA GPU is available on this machine")
        index = int(name.partition(":")[2] or 0)
        if index >= count:
            raise ConfigError(f"--device {name}: this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}")
    return torch.device(name)


@contextmanager
def seeded(seed: int, device: torch.device | str = "cpu") -> Iterator[None]:
    """Inside the block torch's random state is seeded with ``seed`` (the CPU's, and the GPU's
    when ``device`` is one); after it, the caller's state is back as it was
    (``torch.random.fork_rng``). For what draws from torch's global state — parameter
    initialisation, dropout — without setting a process-wide seed."""
    dev = torch.device(device)
    gpus = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=gpus):
        torch.random.default_generator.manual_seed(seed)
        for gpu in gpus:
            with torch.cuda.device(gpu):
                torch.cuda.manual_seed(seed)
        yield


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """``rmsprop`` (the course's choice), ``adam`` or ``sgd`` at learning rate ``lr``."""
    params = list(params)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ConfigError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")


@dataclass
class StepStats:
    step: int  # 1-based number of the step just taken
    loss: float
    accuracy: float  # on the training batch


class Trainer:
    """One optimisation step at a time.

    ``model(x)`` returns logits ``(..., C)`` aligned with integer targets ``y (...)``; the loss
    is the mean cross-entropy over all positions.

    Args:
        model: the network. optimizer: its optimizer.
        max_norm: clip the global gradient norm to this (0: no clipping).
        scheduler: optional LR scheduler, stepped after every optimizer step.
        forward: how to get logits from a batch (default: ``model(x)``).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, max_norm: float = 0.0,
                 scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
                 forward: Callable[[Tensor], Tensor] | None = None) -> None:
        self.model = model
        self.forward = forward or model
        self.optimizer = optimizer
        self.max_norm = max_norm
        self.scheduler = scheduler
        self.params = [p for p in model.parameters() if p.requires_grad]

    def step(self, x: Tensor, y: Tensor) -> tuple[float, float]:
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.forward(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        if self.max_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.max_norm)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        acc = (logits.detach().argmax(-1) == y).float().mean()
        return loss.item(), acc.item()


def fit(trainer: Trainer, next_batch: Callable[[int], tuple[Tensor, Tensor]], *, steps: int,
        start_step: int = 0, on_step: Callable[[StepStats], bool | None] | None = None) -> int:
    """Train from ``start_step`` up to ``steps``; ``on_step`` may return True to stop early.

    Returns:
        the number of the last step taken.
    """
    step = start_step
    while step < steps:
        x, y = next_batch(step)
        loss, acc = trainer.step(x, y)
        step += 1
        if on_step is not None and on_step(StepStats(step, loss, acc)):
            break
    return step
