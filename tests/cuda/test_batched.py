"""The batched executor on CUDA: a run trained among K as one model, also beside runs of other lengths,
gives the numbers it gives alone, and the numbers it gives on the CPU; a sweep plans and runs batched."""

import pandas as pd
import pytest
import torch

from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.experiments.palindrome.train import EXPERIMENT, train_runs
from seqgraph.nn.registry import cell_names
from seqgraph.sweep.engine import make_plan, run_sweep
from seqgraph.sweep.grid import resolve_sweep
from seqgraph.sweep.spec import run_id

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

# kernel seqgraph: K runs stacked as one model run the hand-written loop
SMALL = dict(steps=30, batch_size=16, hidden=8, eval_every=5, eval_batch_size=64, kernel="seqgraph")


def alone(spec, device="cuda"):
    (result,) = train_runs([spec], 1, device, dtype=torch.float64)
    return result


def assert_same_run(a, b, rtol):
    """The same curve (loss, accuracies, held-out loss at every evaluation) and summary, float64."""
    assert a.run_id == b.run_id
    assert [c["step"] for c in a.curves] == [c["step"] for c in b.curves]
    for ca, cb in zip(a.curves, b.curves, strict=True):
        for key in ("loss", "train_accuracy", "accuracy", "eval_loss"):
            assert ca[key] == pytest.approx(cb[key], rel=rtol, abs=rtol), (key, ca["step"])
    for key in ("trained_steps", "solved_step"):
        assert a.summary[key] == b.summary[key], key
    for key in ("final_accuracy", "best_accuracy"):
        assert a.summary[key] == pytest.approx(b.summary[key], rel=rtol, abs=rtol), key


@pytest.mark.parametrize("model", cell_names())
def test_a_run_in_a_batch_of_k_equals_the_run_alone_on_cuda(model):
    """Different seeds, learning rates and clipping norms per run; 5 runs through 3 slots (a finished
    run's slot refilled, then the batch shrinking)."""
    runs = [PalindromeRun(model=model, length=6, seed=s, lr=lr, max_norm=mn, **SMALL)
            for s, lr, mn in ((1, 1e-2, 1.0), (2, 3e-3, 0.0), (3, 1e-3, 10.0), (4, 2e-2, 0.5), (5, 5e-3, 1.0))]
    together = {r.run_id: r for r in train_runs(runs, 3, "cuda", dtype=torch.float64)}
    assert len(together) == 5
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-9)


@pytest.mark.parametrize("model", ["lstm", "bilstm", "mingru", "lru"])
def test_runs_of_different_lengths_share_a_batch_on_cuda(model):
    """Right-padded to the longest, each read at its own last step (a bidirectional model reversed
    within its own length): as on a GPU the planner mixes lengths."""
    runs = [PalindromeRun(model=model, length=L, seed=L, optimizer="adam", lr=1e-2, **SMALL) for L in (3, 9, 5, 4)]
    together = {r.run_id: r for r in train_runs(runs, 4, "cuda", dtype=torch.float64)}
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-9)


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "tglstm", "minlstm", "lru"])
def test_a_run_on_cuda_equals_the_run_on_the_cpu(model):
    """Same weights (drawn on the CPU from the run's seed) and the same batches (counter-based, on the
    device): the whole curve agrees with the CPU's in float64."""
    spec = PalindromeRun(model=model, length=7, seed=3, lr=1e-2, **SMALL)
    assert_same_run(alone(spec, "cuda"), alone(spec, "cpu"), rtol=1e-7)


def test_a_sweep_on_cuda_plans_batched_with_lengths_mixed_and_finishes(tmp_path):
    sweep = resolve_sweep(PalindromeRun, PalindromeOptions, None, model="rnn,lstm,mingru", lengths="4,7",
                          seeds="1,2", steps="20", batch_size="16", hidden="8", eval_every="10",
                          eval_batch_size="64", early_stop=False, out=str(tmp_path / "out"), device="cuda",
                          executor="auto")
    runs = sweep.runs()
    plan = make_plan(EXPERIMENT, sweep.options, runs)
    assert (plan.executor, plan.mix_lengths, plan.device) == ("batched", True, "cuda")
    assert max(EXPERIMENT.memory(r) for r in runs) * 256 < 0.4 * torch.cuda.mem_get_info()[0]
    assert plan.slots == 256  # as many as fit in 40% of the free memory, at most 256: tiny runs, the cap
    df = run_sweep("palindrome", sweep)
    assert len(df) == 12 and (df.status == "ok").all() and (df.trained_steps == 20).all()
    assert set(df.kernel_used) == {"seqgraph"}  # auto on a GPU: palindrome runs take the loop, so they stack
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 12
