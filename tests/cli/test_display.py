"""Progress written to a file or a pipe: plain log lines, no live bar, nothing wrapped."""

import io

from rich.console import Console
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.cli.display import Display, palindrome_line
from seqgraph.train.progress import Evaluated, RunFinished, RunStarted, Steps, SweepStarted

BAR = "━"


def piped(width=60):
    buf = io.StringIO()
    return Console(file=buf, width=width, force_terminal=False), buf


def test_a_single_run_logs_steps_and_evaluations_as_lines():
    con, buf = piped()
    with Display(con, log_every=0.0) as d:
        assert d.plain
        d(RunStarted("r", "lstm 2×128", 100))
        for step in range(1, 101):
            d(Steps("lstm 2×128", step, 100, 1, metrics={"loss": 2.0 - step / 100}))
            if step % 50 == 0:
                d(Evaluated("r", "lstm 2×128", step, {"val_loss": 1.5, "val_bpc": 2.16}))
    lines = buf.getvalue().splitlines()
    assert BAR not in buf.getvalue()
    assert lines[0].startswith("lstm 2×128: step 1/100  loss 1.990")
    assert any(line.startswith("lstm 2×128: step 100/100  loss 1.000") for line in lines)
    assert "step 50  val 1.500  (2.16 bpc)" in lines
    assert all("eta" in line for line in lines if ": step " in line)


def test_log_lines_are_throttled_and_never_wrapped(tmp_path):
    con, buf = piped(width=40)
    long = f"rnn L=5 seed=1 out={tmp_path / ('x' * 80)}"
    with Display(con, palindrome_line, log_every=3600) as d:
        d(SweepStarted(total=1, done=0, run_steps=1000, executor="one run at a time on cpu"))
        for step in range(1, 1001):
            d(Steps(long, step, 1000, 1))
        d(RunFinished("r", long, {"final_accuracy": 1.0, "best_accuracy": 1.0, "solved_step": 50,
                                  "trained_steps": 1000, "wall_time": 1.0}, 0))
    lines = buf.getvalue().splitlines()
    assert sum(line.startswith("runs ") for line in lines) == 1  # the first step only, then one per hour
    assert any(line.startswith(long) and line.endswith("1000 steps in 1.0s") for line in lines)  # whole
    assert lines[-1].startswith("sweep: runs 1/1")
    assert BAR not in buf.getvalue()


def test_a_terminal_gets_the_live_display():
    con = Console(file=io.StringIO(), force_terminal=True)
    assert not Display(con).plain


def test_piped_train_prints_lines_while_it_runs(tmp_path):
    book = tmp_path / "b.txt"
    book.write_text("Sleeping beauty is asleep. The prince rides in. " * 60)
    r = CliRunner().invoke(app, ["train", str(book), "--steps", "20", "--hidden", "8", "--layers", "1",
                                 "--seq-length", "10", "--batch-size", "8", "--eval-every", "10",
                                 "--eval-batches", "2", "--sample-every", "0", "--device", "cpu",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert BAR not in r.stderr
    assert "step 10  loss" in r.stderr and "step 20  loss" in r.stderr
    assert "step 20/20" in r.stderr


def test_a_sweep_guesses_no_time_left_before_one_percent_is_done():
    con, buf = piped(width=200)
    with Display(con, palindrome_line, log_every=0.0) as d:
        d(SweepStarted(total=1, done=0, run_steps=1000, executor="one run at a time on cpu"))
        last = 0
        for step in (1, 9, 10, 500):
            d(Steps("rnn L=5 seed=1", step, 1000, step - last))
            last = step
    lines = [line for line in buf.getvalue().splitlines() if line.startswith("runs ")]
    assert [line.endswith("eta -:--:--") for line in lines] == [True, True, False, False]


def test_epochs_of_a_run_without_a_label():
    """gcn train: one step is an epoch, its one run has no label; a final evaluation that the
    last epoch's line already showed is not logged again, one with new figures is."""
    con, buf = piped(width=200)
    with Display(con, unit="epoch", log_every=3600) as d:
        d(RunStarted("r", "", 30))
        for epoch in range(1, 31):
            d(Steps("", epoch, 30, 1, metrics={"loss": 1 / epoch, "accuracy": 0.5, "test_accuracy": 0.75}))
        d(Evaluated("r", "", 30, {"accuracy": 0.5, "test_accuracy": 0.75}))
        d(Evaluated("r", "", 30, {"test_accuracy": 0.8}))
    lines = buf.getvalue().splitlines()
    assert lines[0] == "epoch 1/30  loss 1.000  acc 0.500  test acc 0.750  eta -:--:--"
    assert lines[1].startswith("epoch 30/30  loss 0.033  acc 0.500  test acc 0.750  ") and " epochs/s  eta " in lines[1]
    assert lines[2:] == ["epoch 30  test acc 0.800"]
    live = Display(Console(file=io.StringIO(), force_terminal=True), unit="epoch")
    live(RunStarted("r", "", 30))
    assert [t.description for t in live.progress.tasks] == ["epochs"]
    live.stop()


def test_run_line_reads_palindrome_and_memory_rows_alike():
    """reproduce runs both kinds of sweep under one display: each finished run gets its own line."""
    from seqgraph.cli.display import run_line

    common = {"status": "ok", "solved_step": None, "trained_steps": 10, "wall_time": 1.0}
    pal = run_line("lstm L=5 seed=1", {**common, "final_accuracy": 0.5, "best_accuracy": 0.6})
    mem = run_line("gru adding L=50 seed=1", {**common, "metric": "mse", "final_metric": 0.1, "best_metric": 0.09,
                                              "baseline": 0.1667, "loss_ratio": 0.6})
    assert "acc 0.500 (best 0.600)" in pal
    assert "mse 0.1000 (best 0.0900, not learned 0.1667)" in mem
