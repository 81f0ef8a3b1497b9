"""What a memory task declares: the contract every task file fulfils.

A task turns a length L (what L means is the task's own: a palindrome's digits, a delay, …)
into batches the model reads, says what the model predicts and how it is scored, and how well a
model that learned nothing scores. K runs — of different lengths too — get their batches from
one vectorised call, right-padded to a common length with the pad symbol 0; every random number
comes from :mod:`seqgraph.tasks.rng`, keyed by (seed, stream, counter, sample, position).

Task modules import torch inside the methods that draw data: validation, help, completion and
tables read a task's declarations without loading torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

if TYPE_CHECKING:
    import torch
    from torch import Tensor

from seqgraph.errors import ConfigError
from seqgraph.tasks.registry import ENCODINGS, TaskEntry, check_task

TRAIN, EVAL = 0, 1  # streams: a run's training batches never overlap its held-out batches
BASELINE_MARGIN = 0.02  # a final accuracy within this of the not-learned baseline is no result
# what the model predicts: one class read at the last input step; a class at every step (labels
# IGNORE where no loss is taken); one real value read at the last step
Target = Literal["class-at-last", "class-at-steps", "value-at-last"]
IGNORE = -1  # the label of a step that takes no loss (class-at-steps)
N = TypeVar("N", int, "Tensor")


class Task:
    """A memory task. Subclasses set the class attributes and implement the methods without
    defaults; one instance serves every run (it holds no state)."""

    name: ClassVar[str]
    """The registry name (:data:`seqgraph.tasks.registry.TASKS`)."""

    length_meaning: ClassVar[str] = "palindrome length L"
    """What L means for this task, in words (help, errors)."""

    min_length: ClassVar[int] = 2
    """The shortest L the task can take."""

    max_length: ClassVar[int | None] = None
    """The longest L (None: no limit of the task's own), and why: :attr:`max_length_why`."""

    max_length_why: ClassVar[str] = ""

    encodings: ClassVar[tuple[str, ...]] = ENCODINGS
    """The input encodings the task supports (``features``: x holds real-valued input features
    ``(…, T, F)``, F = :meth:`num_features`, no symbols)."""

    default_length: ClassVar[int] = 10
    """The L a run takes when none is given."""

    target: ClassVar[Target] = "class-at-last"
    """What the model predicts (the head and loss the trainer builds)."""

    loss: ClassVar[str] = "cross-entropy"
    """The training loss, in words."""

    metric: ClassVar[str] = "accuracy"
    """The held-out figure that decides "solved": ``accuracy`` (higher is better; for
    class-at-steps, over the last :attr:`answer_steps` steps) or ``mse`` (lower is better)."""

    answer_steps: ClassVar[int] = 1
    """class-at-steps: the steps at the end of the input whose answers the metric scores."""

    baseline_by_length: ClassVar[bool] = False
    """Whether :meth:`baseline` depends on L (then tables and figures give one per length)."""

    baseline_why: ClassVar[str] = "majority label"
    """How the not-learned baseline comes about, in a few words."""

    requires: ClassVar[tuple[str, ...]] = ()
    """Modules outside seqgraph's dependencies that the task's data need (an extra of seqgraph;
    without them the task raises a ConfigError naming the extra)."""

    @property
    def entry(self) -> TaskEntry:
        """The task's registry entry: its family, help line and source."""
        return check_task(self.name)

    # --- sizes ---------------------------------------------------------------------------
    def num_symbols(self, length: int) -> int:
        """Input symbols d (the one-hot size; pad included)."""
        raise NotImplementedError

    def num_classes(self, length: int) -> int:
        """Labels c the model must be able to output (0..c−1)."""
        raise NotImplementedError

    def input_length(self, length: N) -> N:
        """Steps the model reads for L (an int, or a tensor of lengths, elementwise)."""
        raise NotImplementedError

    def num_features(self, length: int) -> int:
        """Input features F of a ``features`` task."""
        raise NotImplementedError

    def baseline_loss(self, length: int) -> float:
        """The expected training loss of the best model that learned nothing about the input."""
        raise NotImplementedError

    def solved(self, metric: float, length: int) -> bool:
        """The task's own rule for "solved" (held-out accuracy ≥ 0.99 unless a task says otherwise)."""
        return metric >= 0.99

    def answers(self, y: Tensor, last: Tensor) -> Tensor:
        """class-at-steps: the steps the metric scores, a bool mask like the labels ``y (K, B,
        T)`` given each run's last input step ``last (K,)`` — by default the last
        :attr:`answer_steps` steps of each run."""
        import torch

        t = torch.arange(y.shape[-1], device=y.device)
        last = last.view(-1, 1, 1)
        return ((t > last - self.answer_steps) & (t <= last)).expand_as(y)

    def check_length(self, length: int) -> None:
        """A ConfigError for a length the task cannot take."""
        if self.min_length == self.max_length and length != self.min_length:
            raise ConfigError(f"{self.name} takes one length, {self.min_length} ({self.length_meaning}), not "
                              f"{length}: leave the length out")
        if length < self.min_length:
            raise ConfigError(f"length {length} is too short for {self.name}: need at least {self.min_length} "
                              f"({self.length_meaning})")
        if self.max_length is not None and length > self.max_length:
            raise ConfigError(f"{self.name} length {length} is too long: at most {self.max_length} "
                              f"({self.max_length_why})")

    # --- data ----------------------------------------------------------------------------
    def generate(self, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Samples from per-sample keys ``(K, B)`` and the runs' lengths ``(K,)``: x ``(K, B,
        T)`` long symbols right-padded with 0 to the longest input (``features``: ``(K, B, T,
        F)`` float, padded with 0); y by :attr:`target`: ``(K, B)`` long labels, ``(K, B, T)``
        long labels (IGNORE where no loss, padding included) or ``(K, B)`` float values."""
        raise NotImplementedError

    def baseline(self, length: int) -> float:
        """The held-out :attr:`metric` of a model that learned nothing about the input (always
        the most frequent label; for ``mse``, always the mean target), exactly."""
        raise NotImplementedError

    def batches(self, lengths: Tensor, seeds: Tensor, counters: Tensor, batch: int,
                stream: int = TRAIN) -> tuple[Tensor, Tensor, Tensor]:
        """One batch per run, for K runs at once.

        Args:
            lengths, seeds, counters: ``(K,)`` long on the target device: each run's L, seed
                and counter (its step for training batches, the evaluation's step for held-out
                ones). batch: samples per run B. stream: ``TRAIN`` or ``EVAL``.

        Returns:
            x ``(K, B, T)``, y ``(K, B)``, last ``(K,)``: the index of each run's last input step.
        """
        from seqgraph.tasks.rng import sample_keys

        self.check_length(int(lengths.max()))
        self.check_length(int(lengths.min()))
        x, y = self.generate(sample_keys(seeds, counters, batch, stream), lengths)
        return x, y, self.input_length(lengths) - 1

    def batch(self, batch: int, length: int, seed: int, counter: int = 0, stream: int = TRAIN,
              device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
        """One run's batch (see :meth:`batches`): x ``(B, T)``, y ``(B,)``."""
        import torch

        def one(v: int) -> Tensor:
            return torch.tensor([v], dtype=torch.long, device=device)

        x, y, _ = self.batches(one(length), one(seed), one(counter), batch, stream)
        return x[0], y[0]
