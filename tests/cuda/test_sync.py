"""No host synchronisation inside the time loop: a step of a batch of runs queues its kernels and the host
runs ahead. ``torch.cuda.set_sync_debug_mode("error")`` turns any synchronising call into an error (a
first call of each shape runs before it: handle creation is not a step's work); the whole training step's
synchronisations, counted with the profiler, do not grow with the sequence's length."""

import contextlib

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.palindrome.train import train_runs
from seqgraph.nn.models import SequenceClassifier
from seqgraph.nn.registry import cell_names
from seqgraph.train.progress import Steps

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@contextlib.contextmanager
def syncs_are_errors():
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_the_debug_mode_catches_a_sync():
    """The check below can fail: on this build a synchronising call under the mode raises."""
    x = torch.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="synchroniz"), syncs_are_errors():
        x.sum().item()


@pytest.mark.parametrize("name", cell_names())
def test_forward_and_backward_of_k_runs_of_mixed_lengths_do_not_sync(name):
    """The whole model — input projection of symbol ids, the time loop (or parallel scan), the readout at
    each run's own step, the head — and its backward."""
    torch.manual_seed(0)
    model = SequenceClassifier(name, 10, 32, 10, num_layers=2, runs=4).cuda()
    x = torch.randint(0, 10, (4, 16, 24), device="cuda")
    final_at = torch.tensor([23, 5, 17, 11], device="cuda")

    def step():
        model.zero_grad(set_to_none=True)
        model(x, final_at).square().sum().backward()

    step()  # first calls: cuBLAS handles, kernels loaded
    with syncs_are_errors():
        for _ in range(3):
            step()


def synchronisations(length, steps=6):
    """Synchronising CUDA runtime calls in ``steps`` training steps of a batch of 4 runs of ``length``
    (the profiler's trace, the first steps excluded), and the CUDA runtime calls seen at all."""
    runs = [PalindromeRun(model="lstm", length=length, seed=s, steps=2 + steps + 1, eval_every=10**6,
                          batch_size=32, hidden=32, eval_batch_size=16, early_stop=False, kernel="seqgraph")
            for s in range(4)]
    state = {}

    def progress(event):
        if not isinstance(event, Steps):
            return
        if event.step == 2:
            state["prof"] = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
            state["prof"].__enter__()
        elif event.step == 2 + steps:
            state["prof"].__exit__(None, None, None)

    list(train_runs(runs, 4, "cuda", progress))
    names = [e.name for e in state["prof"].events()]
    runtime = [n for n in names if n.startswith("cuda")]
    return sum("Synchronize" in n for n in runtime), len(runtime)


def test_the_syncs_of_a_training_step_do_not_grow_with_the_length():
    """Whatever the step synchronises (e.g. the task reading its lengths), it does once per step, not once
    per time step: 6 steps at L = 10 and at L = 60 make as many synchronising calls."""
    short, seen_short = synchronisations(10)
    long, seen_long = synchronisations(60)
    print(f"synchronising CUDA calls in 6 training steps: {short} at L=10, {long} at L=60 "
          f"(of {seen_short} and {seen_long} CUDA runtime calls)")
    assert seen_long > seen_short > 0  # the profiler saw the runtime: a count of 0 would mean something
    assert long == short
