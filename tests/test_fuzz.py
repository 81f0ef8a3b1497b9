"""A careless or hostile user, generated: command lines and input files across every command.

Whatever is typed, ``seqgraph`` exits 0 or 2; with 2 it prints exactly one ``error: …`` line;
it never prints a traceback or a library warning; and it never changes a file outside its
``--out``. Hypothesis draws the examples from fixed pools of values that are valid (and
small, so that a valid command runs in a fraction of a second), hostile (NaN, infinities,
huge integers, markup, empty strings) or malformed; derandomised, so CI always runs the same
examples.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import tempfile
import traceback
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqgraph.cli import main

EXAMPLES = int(os.environ.get("SEQGRAPH_FUZZ_EXAMPLES", "300"))

INTS = ["0", "-1", "1", "2", "abc", "", "2.5", "1e12", "99999999999", "18446744073709551616", "nan", "[/x]"]
FLOATS = ["nan", "inf", "-inf", "0", "-1", "1e-3", "0.5", "1e308", "1e-320", "abc", "", "[bold]"]
LISTS = ["4", "4,5", "4:6", "6:4", "5:7:0", "a,b", "5:1000000000", "1:100000000", "", "[/x]", "nan", "4,,5"]
CELLS = ["rnn", "lstm", "all", "[/x]", "", "nope", "rnn,lstm", "gru", "peep,tglstm"]
NODES = ["A", "B", "C", "Z", "[/x]", "", "0"]

TEXTS = {
    "book.txt": "In the beginning God created the heaven and the earth. " * 30,
    "tiny.txt": "ab",
    "empty.txt": "",
    "markup.txt": "[/x] [bold]a[/bold] " * 40,
}
BYTES = {"latin1.txt": "caf\xe9 ".encode("latin-1") * 50, "garbage.pt": b"\x80\x02garbage" * 10, "empty.pt": b""}
GRAPHS = {
    "edges.txt": "A B\nB C 2\nC A\n",
    "four.txt": "A B 1 2\nC D 1 2\n",
    "nan.txt": "A B nan\nB C\n",
    "one.txt": "A\n",
    "g.json": '{"nodes": [{"id": "A", "label": "x"}, {"id": "B", "label": "y"}, {"id": "C", "label": "x"},'
              ' {"id": "D", "label": "y"}], "edges": [{"source": "A", "target": "B"}, {"source": "B", "target": "C"},'
              ' {"source": "C", "target": "D"}]}',
    "markup.json": '{"nodes": [{"id": "[/x]", "label": "[bold]"}, {"id": "b", "label": "[/y]"}],'
                   ' "edges": [{"source": "[/x]", "target": "b"}]}',
    "bad.json": '{"nodes": [{"id": "A"}], "edges": [{"source": "A", "target": "Q"}]}',
    "nested.json": "[" * 5000 + "]" * 5000,
    "broken.json": "{not json",
}
CSVS = {
    "summary.csv": "model,task,length,seed,final_accuracy\nrnn,decimal,5,1,1.0\nrnn,decimal,10,1,0.4\n",
    "strings.csv": "model,task,length,seed,final_accuracy\nrnn,decimal,5,1,abc\nrnn,decimal,10,1,def\n",
    "timegate.csv": "t,k,tau,shift,r_on\n0,1.0,0,0,0.5\n1,0.0,0,0,0.5\n",
    "full.csv": "model,task,length,seed,final_accuracy,best_accuracy,solved_step,trained_steps,wall_time,status\n"
                "rnn,decimal,5,1,1.0,1.0,50,100,0.5,ok\nrnn,decimal,10,1,0.4,0.5,,200,1.0,ok\n"
                "lstm,decimal,5,1,1.0,1.0,50,100,0.5,failed: x\n",
    "empty.csv": "",
    "header.csv": "a,b\n",
    # hand-edited summaries: lengths that are not numbers or are 0, a header only, a run copied
    "lengths.csv": "model,task,length,seed,final_accuracy,best_accuracy,solved_step,trained_steps,wall_time,status\n"
                   "rnn,baum-sweet,abc,1,1.0,1.0,50,100,0.5,ok\nrnn,baum-sweet,0,1,0.4,0.5,,200,1.0,ok\n",
    "only-header.csv": "model,task,length,seed,final_accuracy,best_accuracy,solved_step,trained_steps,wall_time,"
                       "status\n",
    "copied.csv": "run_id,model,task,length,seed,final_accuracy,best_accuracy,solved_step,trained_steps,wall_time,"
                  "status\nab12,rnn,decimal,5,1,1.0,1.0,50,100,0.5,ok\nab12,rnn,decimal,5,1,1.0,1.0,50,100,0.5,ok\n",
}


def choice(pool):
    return st.sampled_from(pool)


def options(**pools):
    """A few of ``pools``' options, each with a value drawn from its pool (None: a flag)."""
    def render(picked):
        out = []
        for name, value in picked:
            out += [name] if value is None else [name, value]
        return out

    items = [st.tuples(st.just(name), choice(pool) if pool is not None else st.none())
             for name, pool in pools.items()]
    return st.lists(st.one_of(items), max_size=4).map(render)


SMALL_PALINDROME = ["--executor", "sequential", "--steps", "2", "--eval-every", "1", "--eval-batch-size", "8",
                    "--batch-size", "4", "--hidden", "4", "--lengths", "4", "--seeds", "1", "--model", "rnn"]
SMALL_TRAIN = ["--steps", "2", "--hidden", "4", "--layers", "1", "--seq-length", "4", "--batch-size", "2",
               "--eval-every", "1", "--eval-batches", "1", "--sample-every", "0", "--device", "cpu"]

COMMANDS = {
    "palindrome": st.tuples(st.just(["palindrome", *SMALL_PALINDROME]), options(
        **{"--model": CELLS, "--lengths": LISTS, "--seeds": LISTS, "--steps": INTS, "--hidden": INTS,
           "--batch-size": INTS, "--layers": INTS, "--lr": FLOATS, "--max-norm": FLOATS, "--forget-bias": FLOATS,
           "--task": ["decimal", "binary", "[/x]", ""], "--optimizer": ["sgd", "adam", "x", "sgd,adam"],
           "--preset": ["2019", "2020-binary", "x"], "--encoding": ["scalar", "x"], "--executor": ["x", "batched"],
           "--workers": INTS, "--batch-runs": INTS, "--resume": None, "--overwrite": None,
           "--device": ["x", "cuda:x"]})),
    "params": st.tuples(st.just(["params"]), options(
        **{"--d": INTS, "--n": INTS, "--c": INTS, "--layers": INTS, "--model": CELLS, "--json": None})),
    "train": st.tuples(st.builds(lambda f: ["train", f, *SMALL_TRAIN], choice(["book.txt", "tiny.txt", "empty.txt",
                                 "markup.txt", "latin1.txt", "missing.txt", "g.json"])), options(
        **{"--lr": FLOATS, "--seq-length": INTS, "--hidden": INTS, "--batch-size": INTS, "--layers": INTS,
           "--cell": [*CELLS, "torch"], "--dropout": FLOATS, "--seed": INTS, "--max-norm": FLOATS,
           "--val-fraction": FLOATS, "--steps": INTS, "--resume": None, "--ckpt": ["ck/a.pt", ""]})),
    "sample": st.tuples(st.builds(lambda f: ["sample", f], choice(["model.pt", "garbage.pt", "empty.pt", "book.txt",
                                                                   "missing.pt"])), options(
        **{"--temp": FLOATS, "--beta": FLOATS, "--num": INTS, "--length": INTS, "--top-k": INTS, "--top-p": FLOATS,
           "--seed": INTS, "--beam": INTS, "--greedy": None, "--json": None, "--prompt": ["", "[/x]", "zzz", "In"],
           "--device": ["cpu", "x", "cuda:x"]})),
    "evaluate": st.tuples(st.builds(lambda f, t: ["evaluate", f, *t], choice(["model.pt", "garbage.pt", "missing.pt"]),
                                    choice([[], ["book.txt"], ["latin1.txt"], ["empty.txt"], ["tiny.txt"]])),
                          options(**{"--json": None, "--device": ["cpu", "x"]})),
    "grads": st.tuples(st.just(["grads", "--length", "5", "--batch-size", "2", "--hidden", "2", "--seeds", "1",
                                "--model", "rnn", "--device", "cpu"]), options(
        **{"--model": CELLS, "--length": INTS, "--seeds": LISTS, "--train-steps": INTS, "--batch-size": INTS,
           "--hidden": INTS, "--forget-bias": FLOATS})),
    "timegate": st.tuples(st.just(["timegate"]), options(
        **{"--tau": FLOATS, "--shift": FLOATS, "--r-on": FLOATS, "--leak": FLOATS, "--steps": INTS,
           "--t0": INTS, "--resolution": INTS})),
    "plot": st.tuples(st.builds(lambda f: ["plot", f], choice([*CSVS, "missing.csv", "book.txt"])), options(
        **{"--kind": ["accuracy", "curves", "grads", "timegate", "x"], "--x": ["length", "lr", "x", ""],
           "--by": ["model", "x", ""]})),
    "table": st.tuples(st.builds(lambda f: ["table", f], choice([*CSVS, "missing.csv"])), options(
        **{"--by": ["model", "x", "", "model,length", "length,length"], "--json": None})),
    "gcn": st.tuples(st.builds(lambda c, f: ["gcn", c, f], choice(["adjacency", "hops", "layer", "train"]),
                               choice([*GRAPHS, "course-2019", "missing.json", "latin1.txt", "empty.txt"])), options(
        **{"--source": NODES, "--target": NODES, "--format": ["auto", "edgelist", "node-link", "x"],
           "--out-dim": INTS, "--activation": ["relu", "none", "x"], "--epochs": INTS, "--per-class": INTS,
           "--lr": FLOATS, "--weight-decay": FLOATS, "--labeled": NODES, "--seed": INTS, "--json": None,
           "--gat": None, "--all-pairs": None, "--directed": None})),
    # a valid reproduce is minutes of training: only its refusals are drawn
    "reproduce": st.tuples(st.just(["reproduce", "--budget", "x"]), options(
        **{"--budget": ["x", "", "[/x]"], "--device": ["x", "cuda:x"], "--executor": ["x"]})),
    "usage": st.tuples(st.sampled_from([["frob"], ["palindrome", "--nope"], ["gcn"], ["gcn", "frob"],
                                        ["sample"], ["params", "--n"], []]), st.just([])),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The files examples read, with a trained checkpoint among them."""
    d = tmp_path_factory.mktemp("fuzz_inputs")
    for name, text in {**TEXTS, **GRAPHS, **CSVS}.items():
        (d / name).write_text(text, encoding="utf-8")
    for name, data in BYTES.items():
        (d / name).write_bytes(data)
    code, _, err = invoke(["train", str(d / "book.txt"), *SMALL_TRAIN, "--out", str(d / "run")])
    assert code == 0, err
    (d / "model.pt").write_bytes((d / "run" / "last.pt").read_bytes())
    return d


def invoke(args):
    """Run the ``seqgraph`` executable's entry point in this process: (exit code, stdout, stderr);
    an exception that escapes it is returned as its traceback, in stderr, with code None."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["seqgraph", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # as a user's terminal would show each one
            try:
                main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:  # a traceback is what the user would have seen
                err.write(traceback.format_exc())
                code = None
    finally:
        sys.argv = argv
    shown = [f"{w.category.__name__}: {w.message}" for w in caught
             if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    return code, out.getvalue(), err.getvalue() + "".join(f"{line}\n" for line in shown)


def snapshot(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_any_command_line_exits_0_or_2_with_one_line_and_touches_nothing_else(inputs, command, data):
    base, extra = data.draw(COMMANDS[command])
    before = snapshot(inputs)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as work:
        cwd = os.getcwd()
        os.chdir(work)
        os.symlink(inputs, "inputs")
        try:
            args = [str(inputs / a) if (inputs / a).exists() or a.startswith("missing") else a for a in base]
            wants_out = command not in ("params", "sample", "evaluate", "table", "usage")
            out_args = ["--out", "out.png" if command == "plot" else "out"] if wants_out else []
            log = os.environ.get("SEQGRAPH_FUZZ_LOG")  # what ran and how it ended, to see the mix
            if log:
                with open(log, "a") as f:
                    f.write(f"start {command} {' '.join(extra)}\n")
            code, out, err = invoke([*args, *extra, *out_args])
            if log:
                with open(log, "a") as f:
                    f.write(f"{code} {command} {' '.join(extra)}\n")
        finally:
            os.chdir(cwd)
            torch.set_num_threads(threads)
    where = f"seqgraph {' '.join([*base, *extra])}"
    assert code in (0, 2), f"{where}: exit {code}\n{err[-3000:]}"
    assert "Traceback" not in err + out, f"{where}:\n{err[-3000:]}"
    assert "Warning" not in err, f"{where}: a warning leaked:\n{err[-2000:]}"
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{where}:\n{err}"
    assert snapshot(inputs) == before, f"{where} changed a file outside --out"


# --- concurrent writers: one owner per output folder, for every command that writes one ------------

WRITERS = {  # valid, small command lines of every command that writes an --out folder
    "palindrome": ["palindrome", *SMALL_PALINDROME],
    "memory": ["memory", "--task", "copy", *SMALL_PALINDROME],
    "train": ["train", "book.txt", *SMALL_TRAIN],
    "train --overwrite": ["train", "book.txt", *SMALL_TRAIN, "--overwrite"],
    "train --resume": ["train", "book.txt", *SMALL_TRAIN, "--resume", "--steps", "4"],
    "train grid": ["train", "book.txt", *SMALL_TRAIN, "--seed", "1,2", "--executor", "sequential"],
    "gcn train": ["gcn", "train", "--epochs", "2"],
    "grads": ["grads", "--length", "5", "--batch-size", "2", "--hidden", "2", "--seeds", "1", "--model", "rnn",
              "--device", "cpu"],
    "timegate": ["timegate"],
    "reproduce": ["reproduce", "--budget", "quick", "--device", "cpu"],
}


@contextlib.contextmanager
def held(folder, what):
    """Another seqgraph process holding ``folder``'s lock: yields its pid."""
    import subprocess

    holder = subprocess.Popen([sys.executable, "-c", (
        "import time; from seqgraph.io import folder_lock\n"
        f"with folder_lock({str(folder)!r}, {what!r}):\n    print('held', flush=True); time.sleep(120)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_folder_another_seqgraph_writes_is_refused_by_every_command(inputs, name, tmp_path):
    """Two writers on one --out: the second gets one error line naming the owner (its pid and what
    it is) and exit 2; the owner's files are untouched (``train --overwrite`` cleared them)."""
    out = tmp_path / "out"
    code, _, err = invoke(["train", str(inputs / "book.txt"), *SMALL_TRAIN, "--out", str(out)])  # the owner's run
    assert code == 0, err
    before = snapshot(out)
    args = [str(inputs / a) if (inputs / a).exists() else a for a in WRITERS[name]]
    with held(out, "training run") as pid:
        code, _, err = invoke([*args, "--out", str(out)])
    assert code == 2, f"{name}: exit {code}\n{err[-2000:]}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"training run (pid {pid})" in lines[0], err
    after = snapshot(out)
    after.pop(".seqgraph.lock", None)
    before.pop(".seqgraph.lock", None)
    assert after == before, f"{name} changed the owner's files"


# --- signals at any moment: SIGTERM is Ctrl-C, and --resume then finishes the sweep -------------

@pytest.mark.parametrize("delay", [0.0, 0.7])
def test_sigterm_at_any_moment_of_a_sweep_then_resume_finishes_it(tmp_path, delay):
    """SIGTERM `delay` s after the sweep's first line (while planning, or in a run): exit code 143
    and one error line, or 0 if it had finished; never a traceback; --resume completes the sweep."""
    import signal
    import subprocess
    import time

    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "seqgraph", "palindrome", *SMALL_PALINDROME, "--seeds", "1:6", "--steps", "60",
           "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stderr.readline()  # the sweep has started
    time.sleep(delay)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 143), err
    assert "Traceback" not in err and "Warning" not in err, err
    if p.returncode == 143:
        assert [line for line in err.splitlines() if line.startswith("error")] == [err.splitlines()[-1]], err
        assert err.splitlines()[-1].startswith("error: terminated (SIGTERM)")
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (out / "summary.csv").read_text().count("\n") == 1 + 6
