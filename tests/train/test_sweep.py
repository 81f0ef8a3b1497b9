"""Sweeps: rows that carry their settings, resume by spec, executors that agree."""

import multiprocessing as mp

import pandas as pd
import pytest

from seqgraph.errors import ConfigError
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.experiments.palindrome.train import CURVE_COLUMNS, EXPERIMENT, RESULT_COLUMNS
from seqgraph.results import aggregate
from seqgraph.sweep.engine import Plan, plan_jobs, run_sweep
from seqgraph.sweep.grid import resolve_sweep
from seqgraph.sweep.spec import spec_fields
from seqgraph.train.progress import Recorder, RunFinished, RunStarted, Steps, SweepStarted

KEY = ["model", "length", "seed"]
RESULTS = ["trained_steps", "final_accuracy", "best_accuracy", "solved_step", "kernel_used", "status"]


def small(tmp_path, **kw):
    base = dict(model="rnn,lstm", lengths="4,5", seeds="1,2", steps="20", batch_size="16", hidden="8",
                eval_every="10", eval_batch_size="64", out=str(tmp_path / "out"), device="cpu",
                executor="sequential")
    base.update(kw)
    return resolve_sweep(PalindromeRun, PalindromeOptions, None, **base)


def rows(df):
    return df.sort_values(KEY).reset_index(drop=True)[[*KEY, *RESULTS]]


def same_rows(a, b):
    """Equal runs, steps and statuses; accuracies equal up to float32 rounding (other thread
    counts or kernels may round differently)."""
    pd.testing.assert_frame_equal(rows(a), rows(b), check_exact=False, rtol=1e-5, atol=1e-6)


def test_rows_carry_every_setting_and_the_config_is_saved(tmp_path):
    df = run_sweep("palindrome", small(tmp_path, lr="1e-3,1e-2"))
    assert len(df) == 2 * 2 * 2 * 2
    out = tmp_path / "out"
    summary, curves = pd.read_csv(out / "summary.csv"), pd.read_csv(out / "curves.csv")
    settings = ["run_id", *spec_fields(PalindromeRun)]
    assert list(summary.columns) == [*settings, *RESULT_COLUMNS]
    assert list(curves.columns) == [*settings, *CURVE_COLUMNS]
    assert len(curves) == 16 * 2 and set(curves.step) == {10, 20}
    assert set(summary.lr) == {1e-3, 1e-2} and set(summary.hidden) == {8}
    config = (out / "config.toml").read_text()
    assert "steps = 20" in config and "lr = [" in config
    agg = aggregate(df)
    assert list(agg.columns[:3]) == ["length", "model", "lr"] and len(agg) == 8 and set(agg.runs) == {2}


def test_summaries_of_different_sweeps_concatenate_and_group_by_any_axis(tmp_path):
    a = run_sweep("palindrome", small(tmp_path / "a", model="rnn", lengths="4", hidden="8"))
    b = run_sweep("palindrome", small(tmp_path / "b", model="rnn", lengths="4", hidden="16"))
    both = pd.concat([a, b])
    agg = aggregate(both)
    assert list(agg["hidden"]) == [8, 16] and list(agg["runs"]) == [2, 2]
    assert len(aggregate(both, by=["model"])) == 1


def test_same_seed_same_numbers(tmp_path):
    a = run_sweep("palindrome", small(tmp_path / "a", model="lstm", lengths="5", seeds="3"))
    b = run_sweep("palindrome", small(tmp_path / "b", model="lstm", lengths="5", seeds="3"))
    ca, cb = pd.read_csv(tmp_path / "a" / "out" / "curves.csv"), pd.read_csv(tmp_path / "b" / "out" / "curves.csv")
    assert ca[["loss", "accuracy", "eval_loss"]].equals(cb[["loss", "accuracy", "eval_loss"]])
    assert a.final_accuracy.tolist() == b.final_accuracy.tolist()


class StopAfter(Recorder):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def __call__(self, event):
        super().__call__(event)
        if isinstance(event, RunFinished) and len(self.of(RunFinished)) == self.n:
            raise KeyboardInterrupt


def test_interrupted_sweep_keeps_finished_runs_and_resume_trains_only_the_rest(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_sweep("palindrome", small(tmp_path), StopAfter(3))
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 3
    with pytest.raises(ConfigError, match="already holds results"):
        run_sweep("palindrome", small(tmp_path))
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, resume=True), rec)
    assert len(rec.of(RunStarted)) == 8 - 3 and rec.of(SweepStarted)[0].done == 3
    assert len(df) == 8
    assert len(pd.read_csv(tmp_path / "out" / "curves.csv")) == 16  # no duplicated rows
    full = run_sweep("palindrome", small(tmp_path / "full"))
    pd.testing.assert_frame_equal(rows(df), rows(full))


def test_extending_a_sweep_with_a_new_axis_value_trains_only_the_new_runs(tmp_path):
    run_sweep("palindrome", small(tmp_path, lr="1e-3"))
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, lr="1e-3,1e-2", resume=True), rec)
    assert len(rec.of(RunStarted)) == 8  # only lr = 1e-2
    assert len(df) == 16 and len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 16
    # a later resume of a subset keeps the config describing every run in the folder
    run_sweep("palindrome", small(tmp_path, lr="1e-2", resume=True))
    assert "lr = [\n    0.001,\n    0.01,\n]" in (tmp_path / "out" / "config.toml").read_text()


def test_an_interrupted_resume_leaves_config_toml_as_it_was(tmp_path):
    """A resume with more axes, stopped before any of its runs finished: config.toml still
    describes the runs in the folder (it was replaced at once by the union of every axis, which,
    fed back, planned runs that never ran); once they have all finished, it describes them all."""
    from seqgraph.sweep.engine import SweepInterrupted

    kw = dict(model="rnn", lengths="4", seeds="1,2")
    run_sweep("palindrome", small(tmp_path, **kw))
    config = tmp_path / "out" / "config.toml"
    before = config.read_bytes()

    def stop(event):
        if isinstance(event, RunStarted):
            raise KeyboardInterrupt

    wider = dict(model="rnn,gru", lengths="4,5", seeds="1,2", resume=True)
    with pytest.raises(SweepInterrupted):
        run_sweep("palindrome", small(tmp_path, **wider), stop)
    assert config.read_bytes() == before
    fed_back = resolve_sweep(PalindromeRun, PalindromeOptions, config, out=str(tmp_path / "out"), resume=True)
    assert len(fed_back.runs()) == 2
    run_sweep("palindrome", small(tmp_path, **wider))
    assert len(resolve_sweep(PalindromeRun, PalindromeOptions, config).runs()) == 8  # every run in the folder


def test_a_resume_whose_grid_does_not_extend_the_folders_keeps_config_toml_true(tmp_path):
    """Two sweeps whose axes do not make one grid (rnn at L = 4, then gru at L = 5): their union
    would plan rnn at 5 and gru at 4, which never ran; the config says the last sweep instead."""
    run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))
    run_sweep("palindrome", small(tmp_path, model="gru", lengths="5", seeds="1", resume=True))
    config = tmp_path / "out" / "config.toml"
    rec = Recorder()
    run_sweep("palindrome", resolve_sweep(PalindromeRun, PalindromeOptions, config, out=str(tmp_path / "out"),
                                          device="cpu", executor="sequential", resume=True), rec)
    assert rec.of(RunStarted) == []  # fed back, it plans only runs the folder holds
    assert "earlier sweeps" in config.read_text()


def test_resume_drops_rows_of_unfinished_and_failed_runs(tmp_path):
    run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1,2"))
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv")
    summary.loc[0, RESULTS[:-1]] = None
    summary.loc[0, "status"] = "failed: its worker process died twice"
    summary.to_csv(out / "summary.csv", index=False)
    with (out / "curves.csv").open("a") as f:  # a killed run appended curves but no summary row
        f.write("deadbeef0000," + ",".join(["lstm", "decimal", "4", "9"] + ["1"] * 14) + ",10,1.0,0.1,0.1,1.0,0.5\n")
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1,2", resume=True), rec)
    assert len(rec.of(RunStarted)) == 1  # the failed run, again
    assert len(df) == 2 and set(df.status) == {"ok"}
    assert len(pd.read_csv(out / "summary.csv")) == 2 and len(pd.read_csv(out / "curves.csv")) == 4
    assert "nan" not in (out / "summary.csv").read_text()  # rewritten rows keep missing values empty
    assert aggregate(df).solved.tolist() == [int(df.solved_step.notna().sum())]


@pytest.mark.parametrize("release", ["before the kernel column", "kernel a run option"])
def test_resume_continues_a_folder_written_before_a_setting_was_added(tmp_path, release):
    """t0 and the kernel came later (in run ids only when not at their default): a folder
    without them resumes, its runs keep their ids and rows, and the rewritten CSVs gain the
    columns at the values those runs had — t0 0, kernel setting auto, and kernel_used: what the
    row said ran (it was the result column "kernel"), or seqgraph (the loop was all there was)."""
    run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))
    out = tmp_path / "out"
    old = pd.read_csv(out / "summary.csv").drop(columns=["t0", "kernel"])
    old = old.drop(columns="kernel_used") if release == "before the kernel column" else \
        old.rename(columns={"kernel_used": "kernel"})
    old.to_csv(out / "summary.csv", index=False)
    pd.read_csv(out / "curves.csv").drop(columns=["t0", "kernel"]).to_csv(out / "curves.csv", index=False)
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1,2", resume=True), rec)
    assert len(rec.of(RunStarted)) == 1 and len(df) == 2
    for name in ("summary.csv", "curves.csv"):
        again = pd.read_csv(out / name)
        assert set(again["t0"]) == {0} and set(again["kernel"]) == {"auto"}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["run_id", *spec_fields(PalindromeRun), *RESULT_COLUMNS]
    assert set(summary["kernel_used"]) == {"seqgraph"}
    assert len(pd.read_csv(out / "curves.csv")) == 4


def test_resume_refuses_to_mix_kernels_under_one_setting(tmp_path):
    """Rows whose kernel auto ran another kernel than auto takes here (another device or an
    older seqgraph): new runs would be computed otherwise, so --resume that adds runs is refused."""
    run_sweep("palindrome", small(tmp_path, model="lstm", lengths="4", seeds="1"))
    out = tmp_path / "out"
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["kernel_used"]) == {"fused"}  # the LSTM at batch 16 on this CPU: oneDNN
    summary.assign(kernel_used="seqgraph").to_csv(out / "summary.csv", index=False)  # as if made on a GPU
    with pytest.raises(ConfigError, match="ran on the seqgraph kernel, but kernel auto takes fused"):
        run_sweep("palindrome", small(tmp_path, model="lstm", lengths="4", seeds="1,2", resume=True))
    assert len(run_sweep("palindrome", small(tmp_path, model="lstm", lengths="4", seeds="1", resume=True))) == 1


def test_resume_refuses_results_of_another_kind(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("model,task,length,seed,steps,final_accuracy\nrnn,decimal,4,1,20,0.5\n")
    with pytest.raises(ConfigError, match="other columns"):
        run_sweep("palindrome", small(tmp_path, resume=True))


def test_overwrite_starts_over(tmp_path):
    run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1", overwrite=True))
    assert len(df) == 1 and len(pd.read_csv(tmp_path / "out" / "summary.csv")) == 1


def test_early_stop_ends_a_solved_run(tmp_path):
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="2", seeds="1", steps="400", eval_every="5",
                                       solved_accuracy="0.5", solved_evals="2", hidden="16", batch_size="64"))
    row = df.iloc[0]
    assert row.trained_steps < 400 and row.solved_step <= row.trained_steps


def test_progress_counts_runs_and_run_steps(tmp_path):
    rec = Recorder()
    run_sweep("palindrome", small(tmp_path), rec)
    (start,) = rec.of(SweepStarted)
    assert (start.total, start.done, start.run_steps) == (8, 0, 8 * 20)
    assert len(rec.of(RunFinished)) == 8 and sum(e.run_steps for e in rec.of(Steps)) == 8 * 20


def test_planning_groups_runs_of_one_shape():
    sweep = small(__import__("pathlib").Path("/unused"), lengths="4,5,6", seeds="1,2,3", kernel="seqgraph")
    runs = sweep.runs()
    plan = Plan("batched", 4, 0, mix_lengths=False, device="cpu")
    jobs = plan_jobs(EXPERIMENT, runs, plan)
    assert len(jobs) == 2 * 3 and all(len(j.runs) == 3 and j.slots == 3 for j in jobs)  # model × length
    mixed = plan_jobs(EXPERIMENT, runs, Plan("batched", 4, 0, mix_lengths=True, device="cuda"))
    assert len(mixed) == 2 and all(len(j.runs) == 9 and j.slots == 4 for j in mixed)
    assert [r.length for r in mixed[0].runs][:3] == [6, 6, 6]  # the longest first
    split = plan_jobs(EXPERIMENT, runs, Plan("processes", 4, 2, mix_lengths=True, device="cuda"))
    assert sorted(len(j.runs) for j in split) == [1, 1, 4, 4, 4, 4]
    assert len(plan_jobs(EXPERIMENT, runs, Plan("sequential", 1, 0, False, "cpu"))) == 18
    # kernel auto: on this CPU the LSTM takes oneDNN, which trains a run alone, under every plan
    auto = small(__import__("pathlib").Path("/unused"), lengths="4,5,6", seeds="1,2,3").runs()
    jobs = plan_jobs(EXPERIMENT, auto, Plan("batched", 4, 0, mix_lengths=False, device="cpu"))
    assert sorted((j.runs[0].model, len(j.runs)) for j in jobs) == [("lstm", 1)] * 9 + [("rnn", 3)] * 3


@pytest.mark.parametrize("executor, extra", [("batched", {}), ("batched", {"batch_runs": 3}),
                                             ("processes", {"workers": 2})])
def test_executors_give_the_rows_of_one_at_a_time(tmp_path, executor, extra):
    """The same RNN and LSTM sweep: each run takes the same kernel under every executor (the
    LSTM oneDNN's, alone; the RNN the loop, stacked in batches) and gives the same numbers."""
    ref = run_sweep("palindrome", small(tmp_path / "ref"))
    df = run_sweep("palindrome", small(tmp_path / executor, executor=executor, **extra))
    same_rows(df, ref)
    assert not df.duplicated("run_id").any()
    assert dict(zip(df.model, df.kernel_used, strict=True)) == {"rnn": "seqgraph", "lstm": "fused"}


class KillWorkers(Recorder):
    """Kill every worker process at the first training steps of the first ``rounds`` pools."""

    def __init__(self, rounds):
        super().__init__()
        self.rounds, self.seen = rounds, set()

    def __call__(self, event):
        super().__call__(event)
        children = frozenset(p.pid for p in mp.active_children())
        if isinstance(event, Steps) and self.rounds and children and children not in self.seen:
            self.seen.add(children)
            self.rounds -= 1
            for p in mp.active_children():
                p.kill()


def test_a_killed_worker_has_its_runs_retried_once_then_reported_failed(tmp_path):
    # runs long enough (~1 s) that the kill lands while they train
    kw = dict(model="rnn", lengths="4", seeds="1,2,3", executor="processes", workers=2, steps="400",
              early_stop=False)
    df = run_sweep("palindrome", small(tmp_path / "once", **kw), KillWorkers(1))
    assert set(df.status) == {"ok"} and len(df) == 3 and not df.duplicated("run_id").any()
    ref = run_sweep("palindrome", small(tmp_path / "ref", **(kw | {"executor": "sequential", "workers": 0})))
    same_rows(df, ref)

    df = run_sweep("palindrome", small(tmp_path / "twice", **kw), KillWorkers(2))
    # the first pool dies with two jobs running; each is retried alone, the first dies again
    assert (df.status == "failed: its worker process died twice").sum() == 1 and len(df) == 3
    again = run_sweep("palindrome", small(tmp_path / "twice", resume=True, **kw))
    assert set(again.status) == {"ok"} and len(pd.read_csv(tmp_path / "twice" / "out" / "summary.csv")) == 3


def test_ctrl_c_with_worker_processes_keeps_finished_runs(tmp_path):
    kw = dict(model="rnn", lengths="4,5", seeds="1,2", executor="processes", workers=2)
    with pytest.raises(KeyboardInterrupt):
        run_sweep("palindrome", small(tmp_path, **kw), StopAfter(1))
    assert not mp.active_children()  # the workers are gone
    done = len(pd.read_csv(tmp_path / "out" / "summary.csv"))
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, resume=True, **kw), rec)
    assert len(df) == 4 and len(rec.of(RunFinished)) == 4 - done


def test_an_interrupted_sweep_counts_its_saved_runs_from_the_summary(tmp_path):
    """Ctrl-C lands after a run's row is written but before its RunFinished event is counted:
    the interruption still reports every run whose row is in summary.csv."""
    from seqgraph.sweep.engine import SweepInterrupted

    with pytest.raises(SweepInterrupted) as e:
        run_sweep("palindrome", small(tmp_path), StopAfter(3))  # raises on receiving the third
    assert e.value.saved == 3 == len(pd.read_csv(tmp_path / "out" / "summary.csv"))


def test_on_a_gpu_auto_batches_as_many_runs_as_fit(monkeypatch):
    """The planning of a CUDA machine, on the CPU: batched, lengths mixed, slots from memory."""
    import torch

    from seqgraph.sweep import engine as sweep
    from seqgraph.train import loop

    monkeypatch.setattr(loop, "resolve_device", lambda name: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda: (10 * 2**30, 80 * 2**30))
    runs = small(__import__("pathlib").Path("/unused"), lengths="5:81:2", seeds="1:3").runs()
    plan = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="auto"), runs)
    per_run = EXPERIMENT.memory(max(runs, key=EXPERIMENT.memory))
    assert plan.executor == "batched" and plan.mix_lengths and plan.device == "cuda"
    assert plan.slots == min(256, int(0.4 * 10 * 2**30 // per_run))
    jobs = plan_jobs(EXPERIMENT, runs, plan)
    assert len(jobs) == 2 and {len(j.runs) for j in jobs} == {39 * 3}  # one job per cell, all lengths


def test_on_a_cpu_auto_uses_a_process_per_core_for_several_runs(monkeypatch):
    from seqgraph.sweep import engine as sweep

    monkeypatch.setattr(sweep, "cpu_count", lambda: 4)
    runs = small(__import__("pathlib").Path("/unused")).runs()
    plan = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="auto", device="cpu"), runs)
    assert (plan.executor, plan.workers, plan.slots) == ("processes", 4, 1)
    one = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="auto", device="cpu"), runs[:1])
    assert one.executor == "sequential"


def test_without_ray_the_executor_is_one_error_line(tmp_path, monkeypatch, user_error):
    import sys

    from typer.testing import CliRunner

    from seqgraph.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    r = CliRunner().invoke(app, ["palindrome", "--executor", "ray", "--out", str(tmp_path / "o")])
    user_error(r, "pip install 'seqgraph[ray]'")
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_a_run_that_raises_is_reported_failed_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from seqgraph.experiments import sequence

    step = sequence.SequenceTrainer._train_step

    def flaky(self):
        if any(r is not None and r.spec.seed == 2 for r in self.slots):
            raise RuntimeError("boom")
        step(self)

    monkeypatch.setattr(sequence.SequenceTrainer, "_train_step", flaky)
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1,2,3"))
    assert df.set_index("seed").status.to_dict() == {1: "ok", 2: "failed: RuntimeError: boom", 3: "ok"}
    monkeypatch.setattr(sequence.SequenceTrainer, "_train_step", step)
    again = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1,2,3", resume=True))
    assert set(again.status) == {"ok"}


def test_a_batch_out_of_memory_is_retried_with_fewer_slots(tmp_path, monkeypatch):
    import torch

    from seqgraph.experiments import sequence

    step = sequence.SequenceTrainer._train_step
    sizes = []

    def small_memory(self):
        sizes.append(len(self.slots))
        if len(self.slots) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        step(self)

    monkeypatch.setattr(sequence.SequenceTrainer, "_train_step", small_memory)
    kw = dict(model="rnn", lengths="4", seeds="1,2,3,4", executor="batched", batch_runs=4)
    df = run_sweep("palindrome", small(tmp_path / "b", **kw))
    assert sizes[0] == 4 and max(sizes[1:]) == 2 and set(df.status) == {"ok"}
    monkeypatch.setattr(sequence.SequenceTrainer, "_train_step", step)
    same_rows(df, run_sweep("palindrome", small(tmp_path / "ref", **(kw | {"executor": "sequential"}))))


# --- faults: torn rows, a full disk, two sweeps on one folder, too many workers ---------------

def test_a_torn_last_row_is_dropped_on_resume_and_its_run_trained_again(tmp_path):
    kw = dict(model="rnn", lengths="4", seeds="1,2,3")
    ref = run_sweep("palindrome", small(tmp_path / "ref", **kw))
    run_sweep("palindrome", small(tmp_path, **kw))
    summary = tmp_path / "out" / "summary.csv"
    text = summary.read_bytes()
    last = text.rstrip(b"\n").rfind(b"\n") + 1
    summary.write_bytes(text[: last + 20])  # the last row cut inside its key columns
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path, resume=True, **kw), rec)
    assert len(rec.of(RunStarted)) == 1  # only the run whose row was torn
    pd.testing.assert_frame_equal(rows(df), rows(ref))
    assert len(pd.read_csv(summary)) == 3 and len(pd.read_csv(tmp_path / "out" / "curves.csv")) == 3 * 2


def test_a_full_disk_mid_sweep_keeps_finished_rows_and_resume_completes(tmp_path, monkeypatch):
    """ENOSPC while appending (simulated: half the row reaches the disk, then the write fails)."""
    import errno

    from seqgraph import io
    from seqgraph.sweep import output as sweep

    kw = dict(model="rnn", lengths="4", seeds="1,2,3")
    calls = {"n": 0}

    def append_until_full(path, columns, rows_):
        calls["n"] += 1
        if calls["n"] < 4:  # curves + summary of the first run, curves of the second
            return io.append_rows(path, columns, rows_)
        line = ",".join(str(v) for v in next(iter(rows_)).values())
        with open(path, "a") as f:
            f.write(line[: len(line) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(sweep, "append_rows", append_until_full)
    with pytest.raises(OSError):
        run_sweep("palindrome", small(tmp_path, **kw))
    out = tmp_path / "out"
    assert not (out / "summary.csv").read_bytes().endswith(b"\n")  # torn
    monkeypatch.undo()
    df = run_sweep("palindrome", small(tmp_path, resume=True, **kw))
    ref = run_sweep("palindrome", small(tmp_path / "ref", **kw))
    pd.testing.assert_frame_equal(rows(df), rows(ref))
    assert len(pd.read_csv(out / "curves.csv")) == 3 * 2


def test_two_sweeps_on_one_folder_are_refused_even_with_overwrite(tmp_path):
    from seqgraph.io import folder_lock

    kw = dict(model="rnn", lengths="4", seeds="1")
    run_sweep("palindrome", small(tmp_path, **kw))
    before = (tmp_path / "out" / "summary.csv").read_bytes()
    with folder_lock(tmp_path / "out"):  # another sweep holds the folder
        for extra in ({"resume": True}, {"overwrite": True}):
            with pytest.raises(ConfigError, match="in use by another seqgraph"):
                run_sweep("palindrome", small(tmp_path, **kw, **extra))
    assert (tmp_path / "out" / "summary.csv").read_bytes() == before  # nothing touched


def test_a_lock_left_by_a_killed_sweep_is_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".seqgraph.lock").write_text("999999999\n")  # its owner is gone: the OS lock went with it
    df = run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))
    assert len(df) == 1


def test_a_lock_held_by_another_process_is_refused(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from seqgraph.io import folder_lock\n"
        f"with folder_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match=f"pid {holder.pid}"):
            run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))
    finally:
        holder.kill()
        holder.wait()
    assert len(run_sweep("palindrome", small(tmp_path, model="rnn", lengths="4", seeds="1"))) == 1


def test_workers_are_capped_by_cores_and_memory(monkeypatch):
    from seqgraph import perf
    from seqgraph.sweep import engine as sweep

    runs = small(__import__("pathlib").Path("/unused")).runs()
    monkeypatch.setattr(sweep, "cpu_count", lambda: 2)
    monkeypatch.setattr(perf, "available_memory", lambda: 64 << 30)
    plan = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="processes", workers=32, device="cpu"), runs)
    assert plan.workers == 2 and "capped" in plan.describe()
    monkeypatch.setattr(sweep, "cpu_count", lambda: 16)
    monkeypatch.setattr(perf, "available_memory", lambda: 3 * sweep.WORKER_MEMORY)
    plan = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="processes", workers=32, device="cpu"), runs)
    assert plan.workers == 3
    plan = sweep.make_plan(EXPERIMENT, PalindromeOptions(executor="processes", workers=2, device="cpu"), runs)
    assert plan.workers == 2 and "capped" not in plan.describe()


def test_absurd_sweeps_are_refused_before_anything_starts(tmp_path, monkeypatch):
    from seqgraph import perf

    with pytest.raises(ConfigError, match="999,999,999 values"):
        small(tmp_path, lengths="2:1000000000")
    with pytest.raises(ConfigError, match="239,976 runs"):
        small(tmp_path, lengths="5:40000", seeds="1:3").runs()
    monkeypatch.setattr(perf, "available_memory", lambda: 8 << 30)
    with pytest.raises(ConfigError, match=r"needs about [\d,.]+ GiB \(length 5, hidden 1,000,000"):
        run_sweep("palindrome", small(tmp_path, hidden="8,1000000"))
    assert not (tmp_path / "out").exists()
