import json
import struct

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def png_size(path):
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_timegate_table_csv_figure_json(tmp_path):
    r = run("timegate", "--tau", 6, "--shift", 3, "--r-on", 0.2, "--steps", 30, "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert "open, rising" in r.stdout
    assert (tmp_path / "timegate.csv").exists()
    w, h = png_size(tmp_path / "timegate.png")
    assert w > 800 and h > 300
    data = json.loads(run("timegate", "--json", "--out", tmp_path).stdout)
    ks = {d["t"]: d["k"] for d in data["k"]}
    assert ks[4] == pytest.approx(1 / 3) and ks[5] == 0.0 and len(ks) == 31


def test_grads_writes_csv_and_figure(tmp_path):
    r = run("grads", "--model", "rnn,lstm", "--length", 12, "--seeds", "1", "--batch-size", 8, "--hidden", 8,
            "--device", "cpu", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert "first / last" in r.stdout
    assert r.stderr.splitlines() == ["measuring gradients over 11 steps…"]  # piped: a line, not a silent spinner
    assert (tmp_path / "grads.csv").read_text().startswith("model,seed,trained_steps,t,grad_norm")
    assert png_size(tmp_path / "grads.png")[0] > 600


def test_plot_from_palindrome_results(tmp_path):
    out = tmp_path / "p"
    r = run("palindrome", "--model", "rnn,lstm", "--lengths", "3,4", "--seeds", "1,2", "--steps", 10, "--hidden", 8,
            "--batch-size", 8, "--eval-every", 5, "--eval-batch-size", 16, "--device", "cpu", "--out", out)
    assert r.exit_code == 0, r.output
    r = run("plot", out / "summary.csv")
    assert r.exit_code == 0, r.output
    assert png_size(out / "accuracy.png")[0] > 600
    r = run("plot", out / "curves.csv", "--format", "svg", "--model", "lstm")
    assert r.exit_code == 0 and (out / "curves.svg").read_text().startswith("<?xml")


def test_plot_and_table_group_sweeps_by_any_setting(tmp_path, is_drawn):
    common = ["--model", "rnn", "--lengths", "3", "--seeds", "1,2", "--steps", 10, "--batch-size", 8,
              "--eval-every", 5, "--eval-batch-size", 16, "--device", "cpu"]
    for hidden in (8, 16):
        r = run("palindrome", *common, "--hidden", hidden, "--lr", "1e-3,1e-2", "--out", tmp_path / f"h{hidden}")
        assert r.exit_code == 0, r.output
    csvs = [tmp_path / "h8" / "summary.csv", tmp_path / "h16" / "summary.csv"]
    r = run("plot", *csvs, "--x", "lr", "--by", "hidden", "--out", tmp_path / "lr.png")
    assert r.exit_code == 0, r.output
    assert is_drawn(tmp_path / "lr.png")
    r = run("table", *csvs, "--by", "hidden,lr", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [(d["hidden"], d["lr"], d["runs"]) for d in data] == [(8, 1e-3, 2), (8, 1e-2, 2), (16, 1e-3, 2),
                                                                  (16, 1e-2, 2)]
    r = run("table", *csvs)  # default: every setting that varies but the seed
    assert r.exit_code == 0 and "hidden" in r.stdout and "lr" in r.stdout
    r = run("plot", csvs[0], "--out", tmp_path)  # a folder: the default name inside it
    assert r.exit_code == 0 and (tmp_path / "accuracy.png").exists()


def test_table_json_is_valid_json_and_kinds_do_not_mix(tmp_path, user_error):
    out = tmp_path / "p"
    r = run("palindrome", "--model", "rnn", "--lengths", "3", "--seeds", "1", "--steps", 5, "--batch-size", 4,
            "--hidden", 4, "--eval-every", 5, "--eval-batch-size", 8, "--out", out)
    assert r.exit_code == 0, r.output
    r = run("table", out / "summary.csv", "--json")

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    data = json.loads(r.stdout, parse_constant=no_constants)
    assert data[0]["solved_step_mean"] is None  # not NaN
    user_error(run("table", out / "summary.csv", out / "curves.csv"), "has other columns")
    user_error(run("plot", out / "curves.csv", "--x", "lr"), "--x and --by shape accuracy figures")
    user_error(run("table", tmp_path), "is a folder, not a CSV file")


@pytest.mark.parametrize("args, fragment", [
    (["timegate", "--tau", "0"], "tau must be positive"),
    (["timegate", "--t0", "2"], "t0 must be 0 or 1"),
    (["timegate", "--r-on", "1.5"], "r-on must be in (0, 1]"),
    (["timegate", "--r-on", "0"], "r-on must be in (0, 1]"),
    (["plot", "missing.csv"], "CSV file not found"),
    (["grads", "--length", "2"], "length must be at least 3"),
    (["grads", "--device", "cuda:99"], "--device cuda:99:"),
    (["grads", "--model", "lsmt"], "unknown model 'lsmt'"),
    (["grads", "--model", "rnn,bilstm"], "model 'bilstm' reads each sequence both ways, but grads follows"),
    (["table", "missing.csv"], "CSV file not found"),
])
def test_bad_input(args, fragment, user_error):
    user_error(run(*args), fragment)


def test_plot_bad_csvs(tmp_path, user_error):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    user_error(run("plot", p), "cannot tell what to plot")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    user_error(run("plot", bad), "malformed CSV")
    user_error(run("plot", p, "--kind", "nonsense"), "unknown plot kind")
    user_error(run("plot", p, "--kind", "grads"), "needs column")
    user_error(run("table", p), "is not a palindrome or memory summary")


def test_reproduce_unknown_budget(tmp_path, user_error):
    user_error(run("reproduce", "--budget", "huge", "--out", tmp_path / "r"), "unknown budget 'huge'")


def test_timegate_caption_is_one_line(tmp_path):
    r = run("timegate", "--tau", 6, "--shift", 3, "--r-on", 0.2, "--steps", 4, "--t0", 1, "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert "k(t) with τ = 6, s = 3, r_on = 0.2 (t = 1: the first input, as the 2018 course counts)" in \
        r.stdout.splitlines()


def test_timegate_t0_counts_time_from_one_as_the_2018_course(tmp_path):
    """k(t) is one function of t; --t0 1 only starts the table at t = 1. By hand for τ = 6,
    s = 3, r_on = 0.2: φ(4) = 1/6, in the falling half [0.1, 0.2), so k(4) = 2 − 2φ/r_on."""
    a = json.loads(run("timegate", "--tau", 6, "--shift", 3, "--r-on", 0.2, "--steps", 4, "--json",
                       "--out", tmp_path / "a").stdout)
    b = json.loads(run("timegate", "--tau", 6, "--shift", 3, "--r-on", 0.2, "--steps", 4, "--t0", 1, "--json",
                       "--out", tmp_path / "b").stdout)
    assert [r["t"] for r in a["k"]] == [0, 1, 2, 3, 4] and a["t0"] == 0
    assert [r["t"] for r in b["k"]] == [1, 2, 3, 4, 5] and b["t0"] == 1
    by_t = {r["t"]: r["k"] for r in a["k"]}
    for r in b["k"]:  # the same function of t, only the first time shown differs
        if r["t"] in by_t:
            assert r["k"] == pytest.approx(by_t[r["t"]])
    phi4 = (4 - 3) % 6 / 6  # 1/6 ≥ r_on/2 = 0.1 and < 0.2: falling, k = 2 − 2φ/r_on
    assert {r["t"]: r["k"] for r in b["k"]}[4] == pytest.approx(2 - 2 * phi4 / 0.2)
    import pandas as pd

    assert pd.read_csv(tmp_path / "b" / "timegate.csv").t.min() == pytest.approx(1.0)


def test_table_marks_rows_at_their_own_lengths_baseline(tmp_path):
    import pandas as pd

    rows = [{"model": "lstm", "task": "baum-sweet", "length": L, "seed": s, "final_accuracy": acc,
             "best_accuracy": acc, "solved_step": None, "trained_steps": 10, "wall_time": 1.0, "status": "ok"}
            for L, acc in ((2, 0.95), (6, 0.80)) for s in (1, 2)]  # at L = 2 the baseline is 0.950
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    r = run("table", tmp_path / "summary.csv")
    assert r.exit_code == 0, r.output
    assert "not learned (baseline): baum-sweet (majority label) L=2 0.950, L=6 0.504" in r.stdout
    lines = [line for line in r.stdout.splitlines() if "│" in line]
    assert "at baseline: not learned" in lines[0] and "at baseline" not in lines[1]


@pytest.mark.filterwarnings("error")  # a warning reaching the user's terminal fails the test
def test_gradients_that_are_all_zero_plot_without_a_warning(tmp_path, user_error, is_drawn):
    """Gradients that vanished to 0 have nothing to show on a log scale: a linear one, no
    'Data has no positive values' warning; missing or negative norms are one error line."""
    import pandas as pd

    r = run("grads", "--model", "rnn", "--length", 4, "--seeds", 1, "--batch-size", 4, "--hidden", 4,
            "--device", "cpu", "--out", tmp_path / "g")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "g" / "grads.csv")
    for name, value in (("zero", 0.0), ("empty", None), ("negative", -1.0)):
        df.assign(grad_norm=value).to_csv(tmp_path / f"{name}.csv", index=False)
    r = run("plot", tmp_path / "zero.csv", "--out", tmp_path / "zero.png")
    assert r.exit_code == 0 and r.stderr == "", r.output
    assert is_drawn(tmp_path / "zero.png")
    user_error(run("plot", tmp_path / "empty.csv", "--out", tmp_path / "e.png"), "no gradient values")
    user_error(run("plot", tmp_path / "negative.csv", "--out", tmp_path / "n.png"), "a norm is never negative")


@pytest.mark.filterwarnings("error")
def test_sampling_a_one_character_model_warns_nothing(tmp_path):
    """A checkpoint whose vocabulary is a single character (the smallest a checkpoint may hold;
    an empty one is refused on load, tests/train/test_checkpoint.py)."""
    from seqgraph.experiments.charlm.checkpoint import save_checkpoint
    from seqgraph.experiments.charlm.model import build_model

    cfg = {"text": "", "cell": "lstm", "layers": 1, "hidden": 4, "seq_length": 8, "batch_size": 2, "steps": 1,
           "optimizer": "adam", "lr": 0.002, "lr_decay": 0.96, "lr_step": 5000, "max_norm": 5.0, "dropout": 0.0,
           "forget_bias": 1.0, "learn_gate": True, "val_fraction": 0.05, "eval_every": 1, "eval_batches": 1,
           "sample_every": 0, "sample_length": 8, "seed": 0}
    save_checkpoint(tmp_path / "one.pt", {"config": cfg, "vocab": ["a"], "step": 1,
                                          "model": build_model(cfg, 1, "auto").state_dict()})
    for extra in ([], ["--top-k", 1], ["--top-p", 0.5], ["--beam", 1], ["--greedy"]):
        r = run("sample", tmp_path / "one.pt", "--length", 5, "--device", "cpu", *extra)
        assert r.exit_code == 0 and r.stdout == "aaaaaa\n" and r.stderr == "", (extra, r.output)


def test_a_narrow_terminal_wraps_a_table_instead_of_emptying_its_cells(tmp_path, monkeypatch):
    """COLUMNS=10: every value cell was cut to "…"."""
    import pandas as pd

    rows = [{"model": "rnn", "task": "decimal", "length": L, "seed": 1, "final_accuracy": acc, "best_accuracy": acc,
             "solved_step": None, "trained_steps": 10, "wall_time": 1.0, "status": "ok"}
            for L, acc in ((5, 0.875), (10, 0.4375))]
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    monkeypatch.setenv("COLUMNS", "10")
    r = run("table", tmp_path / "summary.csv")
    assert r.exit_code == 0, r.output
    assert "0.875" in r.stdout and "0.438" in r.stdout and "final acc" in r.stdout
    r = run("params", "--n", 4)
    assert "recurrent weights" in r.stdout and "64" in r.stdout


SUMMARY_HEADER = "model,task,length,seed,final_accuracy,best_accuracy,solved_step,trained_steps,wall_time,status\n"


@pytest.mark.parametrize("rows, fragment", [
    ("rnn,decimal,abc,1,1.0,1.0,50,100,0.5,ok\n", "column 'length' holds values that are not finite numbers"),
    ("rnn,decimal,5,1,high,1.0,50,100,0.5,ok\n", "column 'final_accuracy' holds values that are not finite"),
    ("rnn,decimal,4.5,1,1.0,1.0,50,100,0.5,ok\n", "lengths that are not whole numbers"),
    ("rnn,baum-sweet,0,1,1.0,1.0,50,100,0.5,ok\n", "lengths below 1 (e.g. 0)"),
    ("", "no rows"),
])
def test_table_and_plot_refuse_a_hand_edited_summary_alike(rows, fragment, tmp_path, user_error):
    """Lengths that are not numbers were accepted by table (their baselines silently gone) and a
    header-only summary gave an empty table with exit code 0, where plot refused both."""
    f = tmp_path / "summary.csv"
    f.write_text(SUMMARY_HEADER + rows)
    user_error(run("table", f), fragment)
    user_error(run("plot", f, "--out", tmp_path / "x.png"), "no rows" if not rows else "column '")


@pytest.mark.filterwarnings("error")  # a warning reaching the user's terminal fails the test
def test_a_text_log_without_accuracy_columns_plots_without_a_legend_warning(tmp_path, is_drawn):
    """Its accuracy panel has no labelled line: matplotlib warned "No artists with labels found"."""
    log = tmp_path / "log.csv"
    log.write_text("step,loss,val_loss,val_bpc\n10,1.0,1.1,1.5\n20,0.9,1.0,1.4\n")
    r = run("plot", log, "--out", tmp_path / "log.png")
    assert r.exit_code == 0, r.output
    assert is_drawn(tmp_path / "log.png")
