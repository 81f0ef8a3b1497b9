"""Sweeps on Ray: a local instance, a two-node cluster simulated on this machine, a worker
killed mid-task, the driver killed mid-sweep (CI has no cluster: these simulate one)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import ray
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.sweep.engine import run_sweep
from seqgraph.sweep.grid import resolve_sweep
from seqgraph.train.progress import Recorder, RunFinished, Steps

KEY = ["model", "length", "seed"]
RESULTS = ["trained_steps", "final_accuracy", "best_accuracy", "solved_step", "status"]
RAY_QUIET = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)


def small(tmp_path, **kw):
    base = dict(model="rnn,lstm", lengths="4,5", seeds="1,2", steps="40", batch_size="16", hidden="8",
                eval_every="10", eval_batch_size="64", out=str(tmp_path / "out"), device="cpu", executor="ray")
    base.update(kw)
    return resolve_sweep(PalindromeRun, PalindromeOptions, None, **base)


def rows(df):
    return df.sort_values(KEY).reset_index(drop=True)[[*KEY, *RESULTS]]


def same_rows(a, b):
    """Equal runs, steps and statuses; accuracies up to float32 rounding (one thread per task)."""
    pd.testing.assert_frame_equal(rows(a), rows(b), check_exact=False, rtol=1e-5, atol=1e-6)


@pytest.fixture
def local_ray():
    ray.init(address="local", num_cpus=2, **RAY_QUIET)  # never another session's cluster on this machine
    yield
    ray.shutdown()


def test_without_an_address_a_local_instance_starts_even_where_a_cluster_runs(monkeypatch):
    """Ray's default (address None) joins a cluster that `ray start` left on this machine;
    README promises a local instance without --ray-address ("auto" joins that cluster)."""
    from seqgraph.sweep import ray_executor

    calls = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kw: calls.append(kw["address"]))
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0})
    assert ray_executor.connect("").started_here
    assert not ray_executor.connect("auto").started_here
    assert calls == ["local", "auto"]


@pytest.mark.slow
def test_a_sweep_on_a_local_instance_gives_the_rows_of_the_sequential_executor(tmp_path, local_ray):
    ref = run_sweep("palindrome", small(tmp_path / "ref", executor="sequential"))
    rec = Recorder()
    df = run_sweep("palindrome", small(tmp_path / "ray"), rec)
    same_rows(df, ref)
    assert not df.duplicated("run_id").any()
    assert rec.of(Steps)  # progress came back from the workers
    assert all(e.where.startswith("node ") for e in rec.of(RunFinished))
    # a batch of runs per task gives the same rows
    df = run_sweep("palindrome", small(tmp_path / "batched", batch_runs=2))
    same_rows(df, ref)


@pytest.mark.slow
def test_a_text_model_grid_on_ray(tmp_path, local_ray):
    text = tmp_path / "book.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 80)
    out = tmp_path / "grid"
    r = CliRunner().invoke(app, ["train", str(text), "--hidden", "8,16", "--layers", "1", "--seq-length", "12",
                                 "--batch-size", "8", "--steps", "20", "--eval-every", "10", "--eval-batches", "2",
                                 "--sample-every", "0", "--executor", "ray", "--device", "cpu", "--out", str(out)])
    assert r.exit_code == 0, r.output
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary.hidden) == [8, 16] and set(summary.trained_steps) == {20}
    assert all((Path(f) / "last.pt").exists() for f in summary.folder)


@pytest.mark.slow
def test_a_two_node_cluster_runs_groups_on_both_nodes(tmp_path):
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        cluster.wait_for_nodes()
        rec = Recorder()
        df = run_sweep("palindrome", small(tmp_path, ray_address=cluster.address, batch_runs=2, steps="60"), rec)
        assert len(df) == 8 and set(df.status) == {"ok"}
        nodes = {e.where.split()[1] for e in rec.of(RunFinished)}
        assert len(nodes) == 2
    finally:
        ray.shutdown()
        cluster.shutdown()


def _ray_task_pids():
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().startswith(b"ray::_ray_job"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


class KillARayWorker(Recorder):
    """At the first training steps reported, kill the worker running a task (once)."""

    killed = 0

    def __call__(self, event):
        super().__call__(event)
        if isinstance(event, Steps) and not self.killed:
            for pid in _ray_task_pids()[:1]:
                os.kill(pid, signal.SIGKILL)
                self.killed += 1


@pytest.mark.slow
def test_a_killed_worker_has_its_runs_retried_without_lost_or_duplicated_rows(tmp_path, local_ray):
    ref = run_sweep("palindrome", small(tmp_path / "ref", executor="sequential", steps="200"))
    killer = KillARayWorker()
    df = run_sweep("palindrome", small(tmp_path / "ray", steps="200"), killer)
    assert killer.killed == 1
    same_rows(df, ref)
    summary = pd.read_csv(tmp_path / "ray" / "out" / "summary.csv")
    assert len(summary) == 8 and not summary.duplicated("run_id").any()
    curves = pd.read_csv(tmp_path / "ray" / "out" / "curves.csv")
    assert len(curves) == 8 * 20 and not curves.duplicated(["run_id", "step"]).any()


@pytest.mark.slow
def test_resume_after_the_driver_is_killed_trains_only_the_missing_runs(tmp_path, user_error):
    out = tmp_path / "out"
    args = ["palindrome", "--model", "rnn,lstm", "--lengths", "4,5,6", "--seeds", "1,2", "--steps", "300",
            "--no-early-stop", "--batch-size", "16", "--hidden", "8", "--eval-every", "50", "--eval-batch-size", "64",
            "--device", "cpu", "--executor", "ray", "--out", str(out)]
    driver = subprocess.Popen([sys.executable, "-m", "seqgraph", *args], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary = out / "summary.csv"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and driver.poll() is None:
        if summary.exists() and len(summary.read_text().splitlines()) >= 3:  # header + 2 runs
            break
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and the Ray instance it started
    driver.wait()
    done = len(pd.read_csv(summary))
    assert 2 <= done < 12
    r = CliRunner().invoke(app, [*args, "--resume"])
    assert r.exit_code == 0, r.output
    assert f"{12 - done} of 12 runs to train ({done} done before)" in r.stderr
    final = pd.read_csv(summary)
    assert len(final) == 12 and not final.duplicated("run_id").any() and set(final.status) == {"ok"}
