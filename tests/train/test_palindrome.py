"""The palindrome engine: a run's numbers do not depend on who shares its batch."""

import pytest
import torch

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.palindrome.train import initial_model, train_runs
from seqgraph.nn.registry import cell_names
from seqgraph.sweep.spec import run_id
from seqgraph.train.progress import Evaluated, Recorder, RunStarted, Steps

# kernel seqgraph: runs stacked as one model run the hand-written loop (auto takes oneDNN for a lone LSTM)
SMALL = dict(steps=30, batch_size=16, hidden=8, eval_every=5, eval_batch_size=64, kernel="seqgraph")


def alone(spec, dtype=torch.float64):
    (result,) = train_runs([spec], 1, "cpu", dtype=dtype)
    return result


def assert_same_run(a, b, rtol=0.0, atol=0.0):
    assert a.run_id == b.run_id
    assert [c["step"] for c in a.curves] == [c["step"] for c in b.curves]
    for ca, cb in zip(a.curves, b.curves, strict=True):
        for key in ("loss", "train_accuracy", "accuracy", "eval_loss"):
            assert ca[key] == pytest.approx(cb[key], rel=rtol, abs=atol), key
    assert a.summary["trained_steps"] == b.summary["trained_steps"]
    assert a.summary["solved_step"] == b.summary["solved_step"]
    for key in ("final_accuracy", "best_accuracy"):
        assert a.summary[key] == pytest.approx(b.summary[key], rel=rtol, abs=atol), key


@pytest.mark.parametrize("model", cell_names())
def test_a_run_in_a_batch_of_k_equals_the_run_alone(model):
    """Different seeds, learning rates, clipping norms and optimizers' state per run; 5 runs
    through 3 slots (refill and shrinking); float64."""
    runs = [PalindromeRun(model=model, length=6, seed=s, lr=lr, max_norm=mn, **SMALL)
            for s, lr, mn in ((1, 1e-2, 1.0), (2, 3e-3, 0.0), (3, 1e-3, 10.0), (4, 2e-2, 0.5), (5, 5e-3, 1.0))]
    together = {r.run_id: r for r in train_runs(runs, 3, "cpu", dtype=torch.float64)}
    assert len(together) == 5
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("task", ["decimal", "binary"])
def test_runs_of_different_lengths_share_a_batch(task, optimizer):
    runs = [PalindromeRun(model="lstm", task=task, length=L, seed=L, optimizer=optimizer, lr=1e-2, **SMALL)
            for L in (3, 7, 5, 4)]
    together = {r.run_id: r for r in train_runs(runs, 4, "cpu", dtype=torch.float64)}
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("encoding, layers", [("onehot", 1), ("scalar", 2)])
def test_bidirectional_runs_of_different_lengths_share_a_batch(encoding, layers):
    """The backward LSTM of each run starts at that run's own last step, not at the padding."""
    runs = [PalindromeRun(model="bilstm", length=L, seed=L, encoding=encoding, layers=layers, optimizer="adam",
                          lr=1e-2, **SMALL) for L in (3, 7, 5, 4)]
    together = {r.run_id: r for r in train_runs(runs, 4, "cpu", dtype=torch.float64)}
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("task", ["decimal", "binary"])
def test_course_settings_in_a_batch_of_k_equal_the_run_alone(task):
    """The preset settings: scalar input, Kaiming-normal beside default init in one batch,
    L output classes (2020), runs of different lengths (classes = task) sharing a batch."""
    mixed = [PalindromeRun(model="lstm", task=task, length=L, seed=L, encoding="scalar", init=init,
                           optimizer="adam", lr=1e-2, early_stop=False, **SMALL)
             for L, init in ((3, "default"), (6, "kaiming-normal"), (5, "kaiming-normal"), (4, "default"))]
    same = [PalindromeRun(model="peep", task=task, length=12, seed=s, encoding="scalar", classes="length",
                          init="kaiming-normal", lr=1e-2, **SMALL) for s in (1, 2, 3)]
    for runs in (mixed, same):
        together = {r.run_id: r for r in train_runs(runs, 2, "cpu", dtype=torch.float64)}
        assert len(together) == len(runs)
        for spec in runs:
            assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


def test_time_gated_runs_counting_from_one_in_a_batch_of_k_equal_the_run_alone():
    runs = [PalindromeRun(model="tglstm", length=L, seed=L, t0=1, lr=1e-2, **SMALL) for L in (4, 7, 5)]
    together = {r.run_id: r for r in train_runs(runs, 3, "cpu", dtype=torch.float64)}
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)
    assert initial_model(runs[0]).t0 == 1
    zero = alone(PalindromeRun(model="tglstm", length=4, seed=4, lr=1e-2, **SMALL))
    assert zero.curves[-1]["loss"] != together[run_id(runs[0])].curves[-1]["loss"]


def test_init_and_classes_shape_the_initial_model():
    k = initial_model(PalindromeRun(model="rnn", task="binary", length=8, classes="length", init="kaiming-normal",
                                    encoding="scalar"))
    assert k.head.weight.shape == (8, 128) and torch.all(k.head.bias == 0)
    assert k.rnn.cells[0].weight_ih.shape == (128, 1)
    d = initial_model(PalindromeRun(model="rnn", task="binary", length=8))
    assert d.head.weight.shape == (2, 128) and d.rnn.cells[0].weight_ih.shape == (128, 3)


def test_runs_whose_heads_differ_are_never_one_job():
    from seqgraph.errors import ConfigError
    from seqgraph.experiments.palindrome.train import EXPERIMENT

    a, b = (PalindromeRun(task="binary", length=L, classes="length") for L in (4, 6))
    assert EXPERIMENT.group_key(a, mix_lengths=True) != EXPERIMENT.group_key(b, mix_lengths=True)
    with pytest.raises(ConfigError, match="share"):
        list(train_runs([a, b], 2))


def test_a_run_that_stops_early_inside_a_batch_gives_the_row_it_gives_alone():
    stop = dict(SMALL, steps=400, eval_every=10, solved_accuracy=0.3, solved_evals=2)
    runs = [PalindromeRun(model="rnn", length=4, seed=s, lr=lr, **stop) for s, lr in ((1, 3e-2), (2, 1e-4), (3, 1e-2))]
    together = {r.run_id: r for r in train_runs(runs, 3, "cpu", dtype=torch.float64)}
    quick = together[run_id(runs[0])]
    assert quick.summary["trained_steps"] < 400 and quick.summary["solved_step"] is not None
    assert together[run_id(runs[1])].summary["trained_steps"] == 400  # too slow to solve: it runs on
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


def test_float32_batch_stays_close_to_alone():
    runs = [PalindromeRun(model="gru", length=5, seed=s, **SMALL) for s in (1, 2, 3)]
    together = {r.run_id: r for r in train_runs(runs, 3, "cpu")}
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec, torch.float32), rtol=1e-4, atol=1e-5)


def test_initial_weights_come_from_the_run_seed_only():
    a, b = PalindromeRun(seed=3), PalindromeRun(seed=3, lr=0.5, steps=7)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    wa, wb = initial_model(a).state_dict(), initial_model(b).state_dict()
    assert torch.equal(torch.get_rng_state(), state)  # the global random state is untouched
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    wc = initial_model(PalindromeRun(seed=4)).state_dict()
    assert not torch.equal(wa["rnn.cells.0.weight_hh"], wc["rnn.cells.0.weight_hh"])


def test_progress_events_and_rows():
    rec = Recorder()
    runs = [PalindromeRun(model="rnn", length=4, seed=s, **SMALL) for s in (1, 2)]
    results = list(train_runs(runs, 2, "cpu", rec))
    assert len(rec.of(RunStarted)) == 2
    assert sum(e.run_steps for e in rec.of(Steps)) == 2 * 30
    assert len(rec.of(Evaluated)) == 2 * 6
    r = results[0]
    assert set(r.summary) == {"trained_steps", "final_accuracy", "best_accuracy", "solved_step", "wall_time",
                              "steps_per_s", "kernel_used", "status"}
    assert [c["step"] for c in r.curves] == [5, 10, 15, 20, 25, 30]


def test_a_job_must_share_a_shape():
    from seqgraph.errors import ConfigError

    with pytest.raises(ConfigError, match="share"):
        list(train_runs([PalindromeRun(hidden=8), PalindromeRun(hidden=16)], 2))


@pytest.mark.slow
def test_lstm_solves_length_5_palindromes():
    (r,) = train_runs([PalindromeRun(model="lstm", length=5, seed=42, steps=1500)], 1, "cpu")
    assert r.summary["final_accuracy"] >= 0.95


@pytest.mark.parametrize("task, lengths", [("baum-sweet", (3, 5, 4)), ("random-combinations", (6, 6, 6))])
def test_2020_tasks_in_a_batch_of_k_equal_the_run_alone(task, lengths):
    """The 2020 course's other tasks (course GRU, too): baum-sweet runs of different lengths share
    a batch; random-combinations runs have L classes, so only runs of one length do."""
    runs = [PalindromeRun(model="course-gru", task=task, length=L, seed=s, optimizer="adam", lr=1e-2, **SMALL)
            for s, L in enumerate(lengths, 1)]
    together = {r.run_id: r for r in train_runs(runs, 3, "cpu", dtype=torch.float64)}
    assert len(together) == len(runs)
    for spec in runs:
        assert_same_run(together[run_id(spec)], alone(spec), rtol=1e-12, atol=1e-12)


def test_fused_kernel_trains_the_run_the_loop_trains():
    """--kernel fused (torch's kernel on the run's own weights) against the hand-written loop:
    the same curves; the kernel is part of the run's identity and each row says which ran."""
    import dataclasses

    spec = PalindromeRun(model="lstm", length=6, seed=3, lr=1e-2, **SMALL)
    (loop,) = train_runs([spec], 1, "cpu", dtype=torch.float64)
    (fused,) = train_runs([dataclasses.replace(spec, kernel="fused")], 1, "cpu", dtype=torch.float64)
    assert (loop.summary["kernel_used"], fused.summary["kernel_used"]) == ("seqgraph", "fused")
    assert loop.run_id != fused.run_id
    fused.run_id = loop.run_id
    assert_same_run(loop, fused, rtol=1e-9, atol=1e-9)


def test_the_kernel_is_a_function_of_the_run_and_the_device():
    """auto resolves per spec and device (never per plan or batch mates): on this CPU the LSTM
    at batch ≥ 16 takes oneDNN, the RNN and a batch-8 LSTM the loop; a run on the fused kernel
    trains alone, and stacking it is refused."""
    from seqgraph.errors import ConfigError
    from seqgraph.experiments.palindrome.train import run_kernel

    auto = {**SMALL, "kernel": "auto"}
    lstm = PalindromeRun(model="lstm", length=6, seed=1, **auto)
    assert run_kernel(lstm, "cpu") == "fused" and run_kernel(PalindromeRun(model="rnn", **auto), "cpu") == "seqgraph"
    assert run_kernel(PalindromeRun(model="lstm", **{**auto, "batch_size": 8}), "cpu") == "seqgraph"
    (single,) = train_runs([lstm], 1, "cpu")
    assert single.summary["kernel_used"] == "fused"
    with pytest.raises(ConfigError, match="train one at a time"):
        list(train_runs([lstm, PalindromeRun(model="lstm", length=6, seed=2, **auto)], 2, "cpu"))
    assert run_id(lstm) == run_id(PalindromeRun(model="lstm", length=6, seed=1, **{**SMALL, "kernel": "auto"}))
    assert run_id(lstm) != run_id(PalindromeRun(model="lstm", length=6, seed=1, **SMALL))  # seqgraph, by name
