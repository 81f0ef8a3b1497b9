import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from seqgraph import __version__
from seqgraph.cli import app
from seqgraph.nn.registry import cell_names

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"seqgraph {__version__}"


def test_help_does_not_import_torch():
    code = "import sys; from seqgraph.cli import app; assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "seqgraph", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "palindrome" in r.stdout


def test_params_table():
    r = run("params", "--d", "10", "--n", "128")
    assert r.exit_code == 0, r.output
    assert "72,458" in r.stdout
    assert "4·(d·n + n·n + n) + n·c + c" in r.stdout
    assert "4·(10·128 + 128·128 + 128) + 128·10 + 10 = 72458" in r.stdout
    assert "matches" in r.stdout


def test_params_json_all():
    r = run("params", "--d", "3", "--n", "5", "--c", "2", "--model", "all", "--json")
    data = json.loads(r.stdout)
    assert [d["model"] for d in data] == list(cell_names())  # every registered cell, in registry order
    assert {"rnn", "lstm", "mingru", "minlstm", "lru"} <= set(cell_names())
    assert all(d["total"] == d["module_total"] for d in data)
    assert data[0]["total"] == 3 * 5 + 5 * 5 + 5 + 5 * 2 + 2


def test_palindrome_runs_and_prints_table(tmp_path):
    out = tmp_path / "o"
    r = run("palindrome", "--model", "rnn,lstm", "--lengths", "4", "--steps", "10", "--hidden", "8",
            "--batch-size", "8", "--eval-every", "5", "--eval-batch-size", "32", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "final acc" in r.stdout and "lstm" in r.stdout
    assert (out / "summary.csv").exists() and (out / "curves.csv").exists()
    # second time without --resume: a clear refusal
    r2 = run("palindrome", "--model", "rnn", "--lengths", "4", "--steps", "10", "--out", str(out))
    assert r2.exit_code == 2 and "--resume" in r2.stderr


def test_palindrome_preset_is_recorded_and_flags_override_it(tmp_path):
    import tomllib

    import pandas as pd

    out = tmp_path / "o"
    r = run("palindrome", "--preset", "2020-binary", "--model", "lstm", "--lengths", "4", "--seeds", "1",
            "--steps", "6", "--hidden", "4", "--batch-size", "8", "--eval-every", "3", "--eval-batch-size", "16",
            "--executor", "sequential", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "not learned (baseline): binary 0.66" in r.stdout  # the majority label's rate, not 0.5
    cfg = tomllib.loads((out / "config.toml").read_text())
    assert cfg["preset"] == "2020-binary" and cfg["steps"] == 6 and cfg["optimizer"] == "adam"
    (row,) = pd.read_csv(out / "summary.csv", dtype={"classes": str}).to_dict("records")
    assert (row["task"], row["encoding"], row["classes"], row["early_stop"]) == ("binary", "scalar", "length", False)
    assert (row["hidden"], row["trained_steps"], row["lr"]) == (4, 6, 1e-3)


def test_palindrome_with_config_file(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text('model = "gru"\nlengths = "3:5:2"\nseeds = 7\nsteps = 5\nhidden = 4\nbatch_size = 4\n'
                   'eval_every = 5\neval_batch_size = 8\n')
    out = tmp_path / "o"
    r = run("palindrome", "--config", str(cfg), "--steps", "6", "--out", str(out))
    assert r.exit_code == 0, r.output
    import pandas as pd

    s = pd.read_csv(out / "summary.csv").sort_values("length")  # rows come as runs finish
    assert s.model.tolist() == ["gru", "gru"] and s.length.tolist() == [3, 5]
    assert s.steps.tolist() == [6, 6] and s.trained_steps.tolist() == [6, 6]  # the flag overrides the file


@pytest.mark.parametrize("args, fragment", [
    (["palindrome", "--lengths", "5:81:0"], "step must be positive"),
    (["palindrome", "--lengths", "81:5:2"], "before the start"),
    (["palindrome", "--lengths", "abc"], "bad lengths 'abc'"),
    (["palindrome", "--lengths", "1"], "too short"),
    (["palindrome", "--model", "transformer"], "unknown model 'transformer'"),
    (["palindrome", "--preset", "2017"], "unknown preset '2017'"),
    (["palindrome", "--encoding", "embedding"], "unknown encoding 'embedding'"),
    (["palindrome", "--classes", "4"], "too few"),
    (["palindrome", "--steps", "0"], "steps must be positive"),
    (["palindrome", "--hidden", "-3"], "hidden must be positive"),
    (["palindrome", "--config", "/nonexistent/x.toml"], "config file not found"),
    (["params", "--model", "foo"], "unknown model 'foo'"),
    (["params", "--n", "0"], "--n must be positive"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment, user_error):
    user_error(run(*args), fragment)


def test_malformed_and_unknown_toml(tmp_path, user_error):
    bad = tmp_path / "bad.toml"
    bad.write_text("steps = = 3")
    user_error(run("palindrome", "--config", str(bad)), "malformed TOML")
    unk = tmp_path / "unk.toml"
    unk.write_text("colour = 3")
    user_error(run("palindrome", "--config", str(unk)), "unknown key 'colour'")


# --- TOML values of the wrong type: one line naming the key, the file and the type expected ---

PAL = ["palindrome", "--model", "rnn", "--lengths", "4", "--seeds", "1", "--steps", "2", "--hidden", "4",
       "--batch-size", "4", "--eval-batch-size", "8", "--executor", "sequential"]  # cheap, should a bad file pass
GRADS = ["grads", "--model", "rnn", "--length", "4", "--hidden", "4", "--batch-size", "4"]
WRONG_TYPES = [  # (command, TOML line, what the error line says)
    (["gcn", "train", "--epochs", "2"], "labeled = 5", "bad value for labeled in {c}: 5 (expected a list of names"),
    (["gcn", "train", "--epochs", "2"], 'lr = "abc"', "bad value for lr in {c}: 'abc' (expected a finite number)"),
    (["gcn", "train", "--epochs", "2"], "hidden = [4, 8]", "bad value for hidden in {c}: [4, 8] (expected a whole"),
    (GRADS, "out = 3", "bad value for out in {c}: 3 (expected text)"),
    (GRADS, "seeds = [true]", "bad value for seeds in {c}: [True] (expected a list of whole"),
    (PAL, 'out = ["a"]', "bad value for out in {c}: ['a'] (expected text)"),
    (PAL, "lengths = true", "bad lengths True: expected integers (in {c})"),
    (PAL, 'lr = "abc"', "bad lr 'abc': expected a number or a comma list (e.g. 1e-3,1e-2) (in {c})"),
    (["train", "--steps", "2"], 'workers = "2"', "bad value for workers in {c}: '2' (expected a whole number)"),
    # a flag overrides the key, but a wrong file is still an error (the next run without the flag would fail)
    (["gcn", "train", "--epochs", "2"], 'epochs = "3"', "bad value for epochs in {c}: '3' (expected a whole number)"),
    ([*PAL, "--lr", "0.1"], 'lr = "abc"', "bad lr 'abc'"),
]


@pytest.mark.parametrize("command, line, message", WRONG_TYPES)
def test_toml_values_of_the_wrong_type(command, line, message, tmp_path, user_error):
    c = tmp_path / "c.toml"
    c.write_text(line + "\n")
    user_error(run(*command, "--config", str(c), "--out", str(tmp_path / "o")), message.format(c=c))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, fragment", [
    (["palindrome", "--lr", "nan"], "expected a finite number"),
    (["palindrome", "--lr", "1e-3,inf"], "expected a finite number"),
    (["palindrome", "--hidden", "99999999999"], "too large"),
    (["palindrome", "--ray-address", "auto"], "--ray-address is for --executor ray"),
    (["palindrome", "--workers", "3", "--executor", "sequential"], "--workers is for --executor processes or ray"),
    (["palindrome", "--executor", "slurm"], "unknown executor 'slurm'"),
    (["palindrome", "--kernel", "cudnn"], "unknown kernel 'cudnn'"),
    (["palindrome", "--model", "rnn,peep", "--kernel", "fused"], "peep has no fused kernel"),
    (["palindrome", "--model", "lstm", "--kernel", "fused", "--executor", "batched"], "one run at a time"),
    (["train", "--cell", "tglstm", "--kernel", "fused"], "tglstm has no fused kernel"),
    (["palindrome", "--resume", "--overwrite"], "contradict"),
    (["train", "--lr", "nan"], "expected a finite number"),
])
def test_more_bad_settings(args, fragment, user_error, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --out must not meet results a `make run` left in the checkout
    user_error(run(*args), fragment)


def test_paths_inside_files_are_one_line(tmp_path, user_error):
    f = tmp_path / "f.txt"
    f.write_text("x")
    user_error(run("palindrome", "--lengths", "4", "--out", str(f / "sub")), f"{f} is a file, not a folder")
    user_error(run("timegate", "--out", str(f)), f"{f} is a file, not a folder")


def test_toml_tables_of_several_commands(tmp_path, user_error):
    both = tmp_path / "both.toml"
    both.write_text('out = "x"\n[palindrome]\nsteps = 7\n[train]\nsteps = 9\n')
    from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
    from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
    from seqgraph.sweep.grid import resolve_sweep

    assert resolve_sweep(PalindromeRun, PalindromeOptions, both).axes["steps"] == [7]
    assert resolve_sweep(CharLMRun, TrainOptions, both).axes["steps"] == [9]
    only = tmp_path / "pal.toml"
    only.write_text("[palindrome]\nsteps = 7\n")
    user_error(run("train", "--config", str(only)), "holds settings for seqgraph palindrome")
    nan = tmp_path / "nan.toml"
    nan.write_text("lr = nan\n")
    user_error(run("palindrome", "--config", str(nan)), "expected a finite number")


def test_usage_errors_are_one_line_from_the_executable():
    for args in (["palindrome", "--bogus"], ["nosuchcmd"], ["palindrome", "--workers", "abc"]):
        r = subprocess.run([sys.executable, "-m", "seqgraph", *args], capture_output=True, text=True)
        assert r.returncode == 2
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "--help" in lines[0], r.stderr


def test_failed_runs_are_reported(tmp_path, monkeypatch):
    from seqgraph.experiments import sequence

    step = sequence.SequenceTrainer._train_step

    def boom(self):
        if any(r is not None and r.spec.seed == 2 for r in self.slots):
            raise RuntimeError("boom")
        step(self)

    monkeypatch.setattr(sequence.SequenceTrainer, "_train_step", boom)
    common = ["palindrome", "--model", "rnn", "--lengths", "4", "--steps", "5", "--hidden", "4", "--batch-size", "4",
              "--eval-every", "5", "--eval-batch-size", "8", "--executor", "sequential"]
    r = run(*common, "--seeds", "1,2", "--out", str(tmp_path / "some"))
    assert r.exit_code == 0 and r.stderr.splitlines()[-1].startswith("warning: 1 of 2 runs failed")
    r = run(*common, "--seeds", "2", "--out", str(tmp_path / "all"))
    assert r.exit_code == 1 and r.stderr.splitlines()[-1] == "error: all 1 runs failed, e.g. RuntimeError: boom"


def test_a_full_disk_mid_sweep_is_one_line_and_resume_completes(tmp_path, monkeypatch, full_disk_after):
    import pandas as pd

    args = ["palindrome", "--model", "rnn", "--lengths", "4", "--seeds", "1:3", "--steps", "6", "--hidden", "4",
            "--batch-size", "8", "--eval-every", "3", "--eval-batch-size", "16", "--executor", "sequential"]
    out = tmp_path / "o"
    full_disk_after(4)  # config.toml, the first run's curves and summary rows, the second's curves; then full
    r = run(*args, "--out", str(out))
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert r.stderr.splitlines()[-1] == f"error: cannot write {out / 'summary.csv'}: No space left on device"
    assert [line for line in r.stderr.splitlines() if line.startswith("error:")] == [r.stderr.splitlines()[-1]]
    monkeypatch.undo()
    assert len(pd.read_csv(out / "summary.csv")) == 1 + 1  # the first run's row, and the torn one
    r = run(*args, "--out", str(out), "--resume")
    assert r.exit_code == 0, r.output
    assert run(*args, "--out", str(tmp_path / "ref")).exit_code == 0
    key = ["seed", "final_accuracy", "trained_steps", "status"]
    done, ref = (pd.read_csv(d / "summary.csv").sort_values("seed")[key].reset_index(drop=True)
                 for d in (out, tmp_path / "ref"))
    pd.testing.assert_frame_equal(done, ref)
    assert len(pd.read_csv(out / "curves.csv")) == 3 * 2


SWEEP = ["palindrome", "--model", "rnn", "--lengths", "4", "--seeds", "1:6", "--steps", "40", "--hidden", "4",
         "--batch-size", "8", "--eval-every", "20", "--eval-batch-size", "16", "--no-early-stop"]


def whole_rows(summary):
    return summary.read_bytes().count(b"\n") - 1 if summary.exists() else 0


def said_finished(stderr):
    import re

    line = stderr.splitlines()[-1]
    assert line.startswith("error: interrupted"), stderr
    m = re.search(r"interrupted: (\d+) finished run", line)
    return int(m.group(1)) if m else 0


def test_ctrl_c_between_a_row_and_its_announcement_counts_the_rows(tmp_path, monkeypatch):
    """Ctrl-C after a run's summary row is written but before the display has counted it: the
    message counts the rows in summary.csv (it used to say one fewer)."""
    from seqgraph.cli.display import Display
    from seqgraph.train.progress import RunFinished

    seen = {"n": 0}
    draw = Display.__call__

    def ctrl_c_at_second_finish(self, event):
        if isinstance(event, RunFinished):
            seen["n"] += 1
            if seen["n"] == 2:
                raise KeyboardInterrupt
        draw(self, event)

    monkeypatch.setattr(Display, "__call__", ctrl_c_at_second_finish)
    out = tmp_path / "o"
    r = run(*SWEEP, "--executor", "sequential", "--out", str(out))
    assert r.exit_code == 130 and "Traceback" not in r.output, r.output
    assert said_finished(r.stderr) == whole_rows(out / "summary.csv") == 2
    assert "sweep: runs 2/6" in r.stderr  # the display's own last line agrees


def test_ctrl_c_with_two_workers_says_how_many_rows_summary_csv_holds(tmp_path):
    """A real Ctrl-C (SIGINT to the process group, as a terminal sends it) while two worker
    processes train: the count in the message equals the rows in summary.csv."""
    import os
    import signal
    import time

    out = tmp_path / "o"
    # runs long enough (~1 s each, 12 of them) that the Ctrl-C lands mid-sweep on a fast machine too
    longer = [{"1:6": "1:12", "40": "400"}.get(a, a) for a in SWEEP]
    p = subprocess.Popen([sys.executable, "-m", "seqgraph", *longer, "--executor", "processes", "--workers", "2",
                          "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True,
                         # a terminal's Ctrl-C: also when this test runs in a background job, which ignores it
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while whole_rows(out / "summary.csv") < 1 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err, err
    assert said_finished(err) == whole_rows(out / "summary.csv") >= 1


def descendants(pid):
    """The pids of a process's children, grandchildren, … (Linux: /proc/<pid>/task/*/children)."""
    import glob

    found = set()
    for f in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            kids = {int(k) for k in open(f).read().split()}
        except OSError:  # the task ended meanwhile
            continue
        for k in kids:
            found |= {k, *descendants(k)}
    return found


def alive(pid):
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_to_a_processes_sweep_stops_its_workers_keeps_its_rows_and_resumes(tmp_path):
    """``kill PID`` (SIGTERM to the driver alone) during a sweep in worker processes: the workers
    and multiprocessing's resource tracker end with it (they were left running, re-parented to
    PID 1), the finished rows stay, one line, exit code 143; --resume then completes the sweep."""
    import os
    import signal
    import time

    out = tmp_path / "o"
    longer = [{"1:6": "1:12", "40": "400"}.get(a, a) for a in SWEEP]
    cmd = [sys.executable, "-m", "seqgraph", *longer, "--executor", "processes", "--workers", "2", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    children: set[int] = set()
    deadline = time.monotonic() + 120
    while whole_rows(out / "summary.csv") < 1 and p.poll() is None and time.monotonic() < deadline:
        children |= descendants(p.pid)
        time.sleep(0.01)
    children |= descendants(p.pid)
    os.kill(p.pid, signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 143, err
        assert "Traceback" not in err and "leaked" not in err and "Warning" not in err, err
        line = err.splitlines()[-1]
        assert line.startswith("error: terminated (SIGTERM)") and [x for x in err.splitlines()
                                                                  if x.startswith("error")] == [line], err
        assert len(children) >= 2  # the workers (and the resource tracker)
        deadline = time.monotonic() + 5
        while any(alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [c for c in children if alive(c)], "worker processes outlived the driver"
    finally:
        for c in children:
            if alive(c):
                os.kill(c, signal.SIGKILL)
    kept = whole_rows(out / "summary.csv")
    assert kept >= 1 and f"{kept} finished run(s)" in line
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert whole_rows(out / "summary.csv") == 12


def test_sigterm_to_train_saves_a_checkpoint_as_ctrl_c_does(tmp_path):
    """SIGTERM during a single training run: it stops at the next step, saves its checkpoint, one
    line, exit code 143 (it was killed at once, losing the steps since the last evaluation)."""
    import os
    import signal
    import time

    text = tmp_path / "t.txt"
    text.write_text("In the beginning God created the heaven and the earth. " * 40)
    out = tmp_path / "t"
    p = subprocess.Popen([sys.executable, "-m", "seqgraph", "train", str(text), "--steps", "100000", "--hidden", "4",
                          "--seq-length", "4", "--batch-size", "2", "--eval-every", "5", "--eval-batches", "1",
                          "--sample-every", "0", "--device", "cpu", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "last.pt").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert err.splitlines()[-1].startswith("error: interrupted at step ") and "checkpoint saved" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["palindrome"], ["train"]])
def test_ctrl_c_before_training_starts_is_one_line_and_exit_130(command, monkeypatch, capsys):
    """Ctrl-C while the settings are resolved (the start-up, before the first progress line):
    Typer turned it into a silent exit 130."""
    from seqgraph.cli import main
    from seqgraph.sweep import grid

    def ctrl_c(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(grid, "resolve", ctrl_c)  # every sweep command resolves its run options there
    monkeypatch.setattr(sys, "argv", ["seqgraph", *command, "--out", "never-written"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_ctrl_c_while_the_executable_loads_is_one_line_and_exit_130():
    """Ctrl-C lands while the command line is imported (typer, numpy: most of a second)."""
    code = """if True:
        import runpy, sys

        class CtrlC:  # Ctrl-C arrives while typer is being imported
            def find_spec(self, name, path=None, target=None):
                if name == "typer":
                    raise KeyboardInterrupt

        sys.meta_path.insert(0, CtrlC())
        sys.argv = ["seqgraph", "--help"]
        runpy.run_module("seqgraph", run_name="__main__")
    """
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (130, "error: interrupted\n")


def test_the_executable_enters_through_the_guarded_loader():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["seqgraph"] == "seqgraph.__main__:run"


@pytest.mark.parametrize("command", [[], ["gcn"], ["examples"]])
def test_a_bare_group_prints_its_help_and_exits_0(command, monkeypatch, capsys):
    """`seqgraph` or `seqgraph gcn` alone: its help, exit 0 (it was exit 2 with an empty error line)."""
    from seqgraph.cli import main

    monkeypatch.setattr(sys, "argv", ["seqgraph", *command])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    assert e.value.code in (0, None) and err == ""
    assert "Usage" in out or "examples" in out


@pytest.mark.parametrize("plan, cause", [(["--executor", "processes", "--batch-runs", "4"], "--batch-runs 4"),
                                         (["--executor", "batched"], "--executor batched")])
def test_the_fused_kernel_refused_in_a_stacked_plan_names_the_cause(plan, cause, tmp_path, user_error):
    """With --batch-runs 4 it said "use --executor sequential or processes" though processes was given."""
    r = run("palindrome", "--model", "lstm", "--lengths", "4", "--seeds", "1,2", "--steps", "2", "--kernel", "fused",
            "--device", "cpu", *plan, "--out", tmp_path / "o")
    user_error(r, f"--kernel fused trains one run at a time, but {cause} trains runs together")
    assert not (tmp_path / "o").exists()


def test_a_home_that_cannot_be_written_gives_no_matplotlib_lines(tmp_path):
    """HOME not writable (here: under a regular file, which stops root too): matplotlib said twice
    on stderr that it made a temporary cache folder; seqgraph points MPLCONFIGDIR at its own."""
    import os

    (tmp_path / "file").write_text("x")
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path / "file" / "home")
    r = subprocess.run([sys.executable, "-m", "seqgraph", "timegate", "--steps", "3", "--out", str(tmp_path / "t")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert (tmp_path / "t" / "timegate.png").exists()


def test_resume_names_only_the_result_files_that_exist(tmp_path):
    """After curves.csv was deleted, --resume (nothing left to train) still named it among the results."""
    args = ["palindrome", "--model", "rnn", "--lengths", "4", "--seeds", "1", "--steps", "2", "--hidden", "2",
            "--batch-size", "4", "--eval-every", "1", "--eval-batch-size", "4", "--executor", "sequential",
            "--device", "cpu", "--out", tmp_path / "o"]
    assert run(*args).exit_code == 0
    (tmp_path / "o" / "curves.csv").unlink()
    r = run(*args, "--resume")
    assert r.exit_code == 0, r.output
    line = next(x for x in r.stdout.splitlines() if x.startswith("results:"))
    assert "summary.csv" in line and "config.toml" in line and "curves.csv" not in line


def test_sigterm_to_reproduce_says_terminated_and_exits_143(tmp_path):
    """reproduce stopped by SIGTERM once its first sweep has begun: one line saying so, exit 143."""
    import os
    import signal
    import time

    out = tmp_path / "r"
    p = subprocess.Popen([sys.executable, "-m", "seqgraph", "reproduce", "--device", "cpu", "--executor",
                          "sequential", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "memory" / "config.toml").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert err.splitlines()[-1].startswith("error: terminated (SIGTERM): finished work is kept in"), err
    assert "Traceback" not in err
