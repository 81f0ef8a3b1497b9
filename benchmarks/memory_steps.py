"""Training steps/s of ``seqgraph memory`` against torch's nn.LSTM + a linear head, same run.

One run's training step as ``seqgraph memory`` takes it — the task's batch drawn, forward,
loss, backward, per-run clipping, Adam — through the sequence trainer
(:class:`seqgraph.experiments.sequence.SequenceTrainer`, kernel ``auto``, batch 128, hidden 128),
against the same step written plainly on ``nn.LSTM`` (the same task batch, the same loss:
cross-entropy at every labelled step for copy, MSE at the last step for adding;
``clip_grad_norm_``, ``torch.optim.Adam``). Rounds are interleaved and the median is
reported. Target (issue #21): ≥ 0.9× of the plain torch step.

    python benchmarks/memory_steps.py [--cases copy:100,copy:1000,adding:200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.experiments.memory.train import EXPERIMENT
from seqgraph.experiments.sequence import SequenceTrainer
from seqgraph.perf import keep_freed_memory
from seqgraph.tasks.base import IGNORE, TRAIN
from seqgraph.tasks.registry import get_task
from seqgraph.train.progress import no_progress


class TorchModel(nn.Module):
    """The reference: nn.LSTM + a linear head, at every step or at the last."""

    def __init__(self, inputs: int, outputs: int, onehot: bool, steps: bool) -> None:
        super().__init__()
        self.inputs, self.onehot, self.steps = inputs, onehot, steps
        self.rnn = nn.LSTM(inputs, 128)
        self.head = nn.Linear(128, outputs)
        with torch.no_grad():  # forget-gate bias 1 (b_ih + b_hh), as seqgraph's runs start
            self.rnn.bias_ih_l0[128:256] = 1.0
            self.rnn.bias_hh_l0[128:256] = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.one_hot(x.t(), self.inputs).float() if self.onehot else x.transpose(0, 1).contiguous()
        out, (h, _) = self.rnn(x)  # the final state h, not out[-1]: see the note in main()
        return self.head(out).transpose(0, 1) if self.steps else self.head(h[-1])


def torch_rate(task_name: str, length: int, device: str, steps: int) -> float:
    task = get_task(task_name)
    spec = MemoryRun(task=task_name, length=length)
    shape = EXPERIMENT.shape(spec)
    model = TorchModel(shape.inputs, shape.outputs, shape.encoding == "onehot", shape.readout == "steps").to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    one = torch.ones(1, dtype=torch.long, device=device)

    def step(i: int) -> None:
        x, y, _ = task.batches(one * length, one, one * i, 128, TRAIN)
        out = model(x[0])
        if task.target == "value-at-last":
            loss = F.mse_loss(out.squeeze(-1), y[0])
        else:
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y[0].reshape(-1), ignore_index=IGNORE)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return _timed(step, steps, device)


def seqgraph_rate(task_name: str, length: int, device: str, steps: int) -> tuple[float, str]:
    spec = MemoryRun(task=task_name, length=length, steps=10**9, eval_every=10**9)
    trainer = SequenceTrainer(EXPERIMENT, [spec], 1, torch.device(device), no_progress, torch.float32)
    return _timed(lambda i: trainer._train_step(), steps, device), trainer.kernel


def _timed(step: object, steps: int, device: str) -> float:
    for i in range(2):
        step(i)  # type: ignore[operator]
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)  # type: ignore[operator]
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="copy:100,copy:1000,adding:200", help="task:L pairs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    keep_freed_memory()  # as the seqgraph commands do; see seqgraph/perf.py
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}; LSTM, batch 128, "
          "hidden 128, Adam")
    print("steps/s (median of interleaved rounds); ratio against the plain nn.LSTM step in the same run")
    # the reference is seqgraph's model written plainly: forget-gate bias 1 (with torch's default 0, a loss at
    # the last step only made oneDNN's backward 5-7x slower at T = 200 here: the gradient decays through the
    # steps into slow arithmetic), the last state read as h_n
    print(f"{'task':<8} {'L':>5} {'steps':>6} {'kernel':>8} {'seqgraph':>9} {'torch':>8} {'ratio':>6} {'target':>7}")
    for case in args.cases.split(","):
        name, _, text = case.partition(":")
        L = int(text)
        n = max(2, int(args.seconds * torch_rate(name, L, args.device, 2)))
        rates: dict[str, list[float]] = {"seqgraph": [], "torch": []}
        kernel = ""
        for _ in range(args.rounds):
            rate, kernel = seqgraph_rate(name, L, args.device, n)
            rates["seqgraph"].append(rate)
            rates["torch"].append(torch_rate(name, L, args.device, n))
        med = {k: statistics.median(v) for k, v in rates.items()}
        T = get_task(name).input_length(L)
        print(f"{name:<8} {L:>5} {T:>6} {kernel:>8} {med['seqgraph']:>9.2f} {med['torch']:>8.2f} "
              f"{med['seqgraph'] / med['torch']:>6.2f} {'≥ 0.9':>7}")


if __name__ == "__main__":
    main()
