"""--dry-run on every sweep command: the plan, nothing trained, nothing written."""

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.sweep.engine import dry_run
from seqgraph.sweep.grid import resolve_sweep

runner = CliRunner()
TINY = ["--model", "rnn,lstm", "--lengths", "3,4", "--hidden", "8", "--batch-size", "16", "--eval-batch-size", "32",
        "--eval-every", "5", "--steps", "10", "--device", "cpu", "--seeds", "1,2"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_the_plan_of_a_sweep_counts_what_it_would_train(tmp_path):
    sweep = resolve_sweep(PalindromeRun, PalindromeOptions, None, model="rnn,lstm", lengths="3,4", hidden="8",
                          steps="10", eval_every="5", device="cpu", seeds="1,2", executor="sequential",
                          out=str(tmp_path / "p"))
    d = dry_run("palindrome", sweep, measure=False)
    assert (d.runs, d.done, d.jobs, d.parallel, d.run_steps) == (8, 0, 8, 1, 80)
    assert sum(d.kernels.values()) == 8 and d.seconds is None and d.memory_per_run > 0
    assert not (tmp_path / "p").exists()
    measured = dry_run("palindrome", sweep)
    assert measured.probe.step_seconds > 0 and measured.seconds > 0
    assert measured.probe.label.startswith("lstm L=4")  # the costliest run is the one timed


def test_palindrome_dry_run_writes_nothing_and_counts_finished_runs(tmp_path):
    out = tmp_path / "p"
    r = run("palindrome", *TINY, "--out", out, "--dry-run")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("plan: 8 run(s), 0 already in --out, 8 to train")
    assert "ms a step" in r.stdout and r.stdout.rstrip().endswith("nothing was trained or written")
    assert not out.exists()
    assert run("palindrome", *TINY[:-1], "1", "--out", out).exit_code == 0  # seed 1 only: 4 runs
    before = sorted(p.name for p in out.iterdir())
    r = run("palindrome", *TINY, "--out", out, "--dry-run", "--resume")
    assert r.exit_code == 0 and "8 run(s), 4 already in --out, 4 to train" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == before
    r = run("palindrome", *TINY[:-1], "1", "--out", out, "--dry-run", "--resume")
    assert "nothing to train" in r.stdout


@pytest.mark.parametrize("command", [
    ["memory", "--task", "copy", "--model", "rnn", "--lengths", "5", "--hidden", "8", "--steps", "10", "--seeds", "1"],
    ["gcn", "transfer", "--distance", "2", "--seeds", "1", "--epochs", "1"],
    ["train", "--hidden", "8", "--steps", "10", "--lr", "1e-3,1e-2"],
])
def test_every_sweep_command_has_a_dry_run(tmp_path, command):
    r = run(*command, "--device", "cpu", "--out", tmp_path / "o", "--dry-run")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("plan: ") and "nothing was trained or written" in r.stdout
    assert not (tmp_path / "o").exists()


def test_a_dry_run_still_refuses_bad_input(tmp_path, user_error):
    user_error(run("palindrome", "--lengths", "0", "--dry-run", "--out", tmp_path / "p"), "length")
    (tmp_path / "f").write_text("x")
    user_error(run("palindrome", *TINY, "--dry-run", "--out", tmp_path / "f"), "is a file")
