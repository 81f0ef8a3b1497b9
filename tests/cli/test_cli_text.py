import json

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()
TEXT = "Sleeping beauty is asleep. The prince rides in. " * 60


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("lm")
    book = d / "book.txt"
    book.write_text(TEXT)
    r = run("train", book, "--steps", 30, "--hidden", 16, "--seq-length", 10, "--batch-size", 8,
            "--eval-every", 10, "--sample-every", 15, "--out", d / "run", "--device", "cpu")
    assert r.exit_code == 0, r.output
    return d


def test_train_reports_and_writes(trained):
    assert (trained / "run" / "last.pt").exists() and (trained / "run" / "samples.csv").exists()


def test_sample_prompt_greedy_and_json(trained):
    ck = trained / "run" / "last.pt"
    r = run("sample", ck, "--prompt", "Sleeping beauty is", "--greedy", "--length", 20)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Sleeping beauty is") and len(r.stdout.rstrip("\n")) == 18 + 20
    a = json.loads(run("sample", ck, "--temp", 2, "--num", 3, "--seed", 4, "--json").stdout)
    b = json.loads(run("sample", ck, "--temp", 2, "--num", 3, "--seed", 4, "--json").stdout)
    assert a == b and len(a["samples"]) == 3 and a["temperature"] == 2
    r = run("sample", ck, "--beam", 3, "--num", 2, "--json")
    assert len(json.loads(r.stdout)["samples"]) == 2


def test_sample_beta_is_the_inverse_temperature_and_says_so(trained, tmp_path, user_error):
    import pandas as pd

    ck = trained / "run" / "last.pt"
    r = run("sample", ck, "--beta", 0.5, "--num", 2, "--seed", 4, "--json", "--out", tmp_path / "s.csv")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["knob"], data["value"], data["beta"], data["temperature"]) == ("beta", 0.5, 0.5, None)
    rows = pd.read_csv(tmp_path / "s.csv")
    assert rows.columns.tolist() == ["knob", "value", "seed", "text"]
    assert rows.knob.tolist() == ["beta", "beta"] and rows.value.tolist() == [0.5, 0.5]
    run("sample", ck, "--temp", 2, "--out", tmp_path / "t.csv")
    assert pd.read_csv(tmp_path / "t.csv").knob.tolist() == ["temperature"]
    user_error(run("sample", ck, "--beta", 2, "--temp", 0.5), "--beta and --temp are alternatives")
    user_error(run("sample", ck, "--beta", 2, "--greedy"), "--beta and --greedy are alternatives")
    user_error(run("sample", ck, "--beta", 0), "--beta must be positive")


def test_evaluate_default_split_and_file(trained):
    r = run("evaluate", trained / "run" / "last.pt", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["text"].startswith("validation split")
    assert abs(data["bpc"] * 0.6931471805599453 - data["loss"]) < 1e-9
    r = run("evaluate", trained / "run" / "last.pt", trained / "book.txt", "--json")
    assert json.loads(r.stdout)["characters"] == len(TEXT) - 1


@pytest.mark.parametrize("args, fragment", [
    (["--temp", "-1"], "--temp must be ≥ 0"),
    (["--top-p", "0"], "--top-p must be in (0, 1]"),
    (["--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["--prompt", "Zebra!"], "character 'Z'"),
    (["--length", "0"], "must be positive"),
])
def test_bad_sampling_input(trained, args, fragment, user_error):
    user_error(run("sample", trained / "run" / "last.pt", *args), fragment)


def test_bad_texts_and_checkpoints(tmp_path, trained):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    r = run("train", bad, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "not UTF-8" in r.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    r = run("train", empty, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "empty" in r.stderr
    short = tmp_path / "short.txt"
    short.write_text("too short")
    r = run("train", short, "--out", tmp_path / "o")
    assert r.exit_code == 2 and "too short" in r.stderr
    assert not (tmp_path / "o" / "last.pt").exists()
    corrupt = tmp_path / "c.pt"
    corrupt.write_bytes((trained / "run" / "last.pt").read_bytes()[:500])
    for cmd in ("sample", "evaluate"):
        r = run(cmd, corrupt)
        assert r.exit_code == 2 and "cannot read checkpoint" in r.stderr
        assert "Traceback" not in r.output
    r = run("evaluate", trained / "run" / "last.pt", bad)
    assert r.exit_code == 2 and "not UTF-8" in r.stderr
    r = run("train", "--steps", "0")
    assert r.exit_code == 2 and "steps must be positive" in r.stderr
    r = run("train", tmp_path / "missing.txt", "--out", tmp_path / "o2")
    assert r.exit_code == 2 and r.stderr == f"error: text file not found: {tmp_path / 'missing.txt'}\n"
    not_a_ckpt = tmp_path / "notes.txt"
    not_a_ckpt.write_text("# just some text\nnot = a checkpoint\n")
    for cmd in ("sample", "evaluate"):
        r = run(cmd, not_a_ckpt)
        assert r.exit_code == 2 and r.stderr.startswith("error: cannot read checkpoint")


def test_a_text_named_relatively_or_absolutely_is_the_same_run(trained, tmp_path, monkeypatch):
    from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
    from seqgraph.sweep.grid import resolve_sweep
    from seqgraph.sweep.spec import run_id

    monkeypatch.chdir(trained)
    rel = resolve_sweep(CharLMRun, TrainOptions, None, text="book.txt").single()
    absolute = resolve_sweep(CharLMRun, TrainOptions, None, text=str(trained / "book.txt")).single()
    assert run_id(rel) == run_id(absolute) and rel.text == str(trained / "book.txt")


def test_a_grid_checks_its_texts_before_it_starts(tmp_path, user_error):
    out = tmp_path / "g"
    user_error(run("train", tmp_path / "nope.txt", "--hidden", "8,16", "--steps", 5, "--out", out), "not found")
    assert not out.exists()
    book = tmp_path / "b.txt"
    book.write_text("tiny text. " * 5)
    user_error(run("train", book, "--seq-length", "16,1000", "--steps", 5, "--out", out), "too short")


def test_train_refuses_a_bidirectional_cell_with_the_reason(tmp_path, user_error):
    out = tmp_path / "t"
    for cells in ("bilstm", "lstm,bilstm"):
        user_error(run("train", "--cell", cells, "--steps", 5, "--out", out),
                   "cell 'bilstm' reads each sequence both ways, but a character model predicts each character")
    assert not out.exists()


def test_train_refuses_folders_of_other_commands(tmp_path, trained, user_error):
    sweep = tmp_path / "sweep"
    r = run("palindrome", "--model", "rnn", "--lengths", 4, "--seeds", 1, "--steps", 5, "--hidden", 4,
            "--batch-size", 4, "--eval-every", 5, "--eval-batch-size", 8, "--out", sweep)
    assert r.exit_code == 0, r.output
    user_error(run("train", trained / "book.txt", "--steps", 5, "--out", sweep), "holds the results of a sweep")
    user_error(run("palindrome", "--lengths", 4, "--out", trained / "run", "--resume"),
               "holds the output of another command")


def test_beam_num_and_paths(trained, tmp_path, user_error):
    ck = trained / "run" / "last.pt"
    user_error(run("sample", ck, "--beam", 2, "--num", 3), "--num 3 is more than --beam 2")
    user_error(run("sample", trained / "run"), "is a folder, not a checkpoint")
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    # the system's words ("File exists" or "Not a directory"), with the path
    user_error(run("train", trained / "book.txt", "--steps", 5, "--out", afile / "sub"), str(afile))
    user_error(run("train", trained / "book.txt", "--steps", 5, "--ckpt", afile / "last.pt",
                   "--out", tmp_path / "o"), str(afile))
    assert not (tmp_path / "o" / "log.csv").exists()  # refused before training


def test_temperature_alias_and_device_defaults(trained):
    ck = trained / "run" / "last.pt"
    a = run("sample", ck, "--temp", 0.7, "--seed", 2, "--json").stdout
    b = run("sample", ck, "--temperature", 0.7, "--seed", 2, "--json").stdout
    assert a == b and json.loads(a)["temperature"] == 0.7
    import typer.main

    cmd = typer.main.get_command(app).commands
    assert {c: next(p.default for p in cmd[c].params if p.name == "device") for c in ("sample", "evaluate")} \
        == {"sample": "auto", "evaluate": "auto"}


@pytest.mark.parametrize("device, fragment", [("cuda:7", "--device cuda:7"), ("cuda:x", "unknown device 'cuda:x'"),
                                              ("gpu", "unknown device 'gpu'")])
def test_gpu_numbers_are_accepted_and_checked(trained, device, fragment, user_error):
    import torch

    if device == "cuda:7" and torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    user_error(run("sample", trained / "run" / "last.pt", "--device", device), fragment)
    from seqgraph.config import check_device

    check_device("cuda:1")  # the format is fine; whether the GPU exists is checked where torch runs


def test_truncated_checkpoint_error_is_whole(trained, tmp_path, user_error):
    cut = tmp_path / "cut.pt"
    cut.write_bytes((trained / "run" / "last.pt").read_bytes()[:3000])
    r = run("sample", cut)
    user_error(r, "truncated or not a checkpoint")
    line = r.stderr.strip()
    assert line.endswith(")") and "If you are seeing this error" not in line


def test_evaluate_caption_names_the_file(trained):
    r = run("evaluate", trained / "run" / "best.pt", trained / "book.txt")
    assert r.exit_code == 0, r.output
    assert f"on {trained / 'book.txt'}" in " ".join(r.stdout.split()) and "on the " + str(trained) not in r.stdout
    r = run("evaluate", trained / "run" / "best.pt")
    assert "on the validation split of" in r.stdout


def test_params_titles_do_not_wrap(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    r = run("params", "--model", "all")
    assert r.exit_code == 0
    assert "tglstm: d=10, n=128, c=10, layers=1" in r.stdout.splitlines()


def test_a_full_disk_during_train_is_one_line_and_resume_finishes_as_a_straight_run(tmp_path, monkeypatch,
                                                                                      full_disk_after):
    import pandas as pd
    import torch

    from seqgraph.experiments.charlm.checkpoint import load_checkpoint

    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    args = ["train", book, "--steps", 30, "--hidden", 16, "--seq-length", 10, "--batch-size", 8,
            "--eval-every", 10, "--sample-every", 0, "--device", "cpu"]
    full_disk_after(4)  # config.toml, then at step 10 log.csv, best.pt, last.pt; full at step 20
    r = run(*args, "--out", tmp_path / "run")
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]  # after the progress lines
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert errors == [f"error: cannot write {tmp_path / 'run' / 'log.csv'}: No space left on device"]
    assert r.stderr.splitlines()[-1] == errors[0]
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 10  # the previous checkpoint, whole
    assert not (tmp_path / "run" / "log.csv").read_bytes().endswith(b"\n")  # the row of step 20 is torn
    r = run(*args, "--out", tmp_path / "run", "--resume")
    assert r.exit_code == 0, r.output
    assert run(*args, "--out", tmp_path / "ref").exit_code == 0
    a, b = (load_checkpoint(tmp_path / d / "last.pt")["model"] for d in ("run", "ref"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    log, ref = (pd.read_csv(tmp_path / d / "log.csv") for d in ("run", "ref"))
    assert log.step.tolist() == [10, 20, 30]
    pd.testing.assert_frame_equal(log[["step", "val_loss"]], ref[["step", "val_loss"]])


def strict_json(text):
    """JSON as the standard has it: NaN and Infinity are not numbers there."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_evaluate_json_of_a_model_whose_loss_overflows_is_valid_json(trained, tmp_path):
    """Finite but enormous output weights: a loss of thousands of nats, exp(loss) beyond float64
    (it was an OverflowError traceback)."""
    from seqgraph.experiments.charlm.checkpoint import load_checkpoint, save_checkpoint

    ck = load_checkpoint(trained / "run" / "last.pt")
    ck["model"] = {k: v * 1e30 if k == "head.weight" else v for k, v in ck["model"].items()}
    save_checkpoint(tmp_path / "loud.pt", {k: v for k, v in ck.items() if k not in ("format", "version")})
    r = run("evaluate", tmp_path / "loud.pt", "--json", "--device", "cpu")
    assert r.exit_code == 0, r.output
    data = strict_json(r.stdout)
    assert data["loss"] > 709 and data["perplexity"] is None  # infinite: null
    assert run("evaluate", tmp_path / "loud.pt", "--device", "cpu").exit_code == 0


def test_a_checkpoint_knows_its_training_text_and_says_when_it_changed(tmp_path, user_error):
    """The text a checkpoint was trained on, overwritten with other text of the same characters
    and length: `evaluate` on its validation split and `train --resume` refuse with a way forward
    (both used the new file silently, calling it "the validation split")."""
    edit = tmp_path / "edit.txt"
    edit.write_text(TEXT)
    small = ["--hidden", 4, "--seq-length", 8, "--batch-size", 4, "--eval-every", 5, "--eval-batches", 1,
             "--sample-every", 0, "--device", "cpu", "--out", tmp_path / "t"]
    assert run("train", edit, "--steps", 5, *small).exit_code == 0
    assert run("evaluate", tmp_path / "t" / "best.pt").exit_code == 0
    edit.write_text(TEXT[::-1])  # the same characters and size, another text
    r = run("evaluate", tmp_path / "t" / "best.pt")
    user_error(r, "has changed since the checkpoint was written")
    assert "pass the file as TEXT" in r.stderr
    assert run("evaluate", tmp_path / "t" / "best.pt", edit).exit_code == 0  # on the file as it is now
    r = run("train", edit, "--steps", 10, "--resume", *small)
    user_error(r, f"--resume: the training text {edit}: it has changed")
    assert "restore it" in r.stderr and "--overwrite" in r.stderr
    edit.write_text(TEXT + "more")
    user_error(run("train", edit, "--steps", 10, "--resume", *small),
               f"{len(TEXT):,} characters then, {len(TEXT) + 4:,} now")
    edit.write_text(TEXT)  # restored: the run continues
    assert run("train", edit, "--steps", 10, "--resume", *small).exit_code == 0


@pytest.mark.parametrize("flags", [["--temp", 5], ["--top-k", 2], ["--top-p", 0.1], ["--greedy"], ["--beta", 2],
                                   ["--temp", 5, "--top-k", 2, "--top-p", 0.1]])
def test_beam_search_with_a_sampling_flag_is_refused_alike(trained, flags, user_error):
    """--beam with --temp, --top-k, --top-p or --greedy ignored them silently; with --beta it was refused."""
    r = run("sample", trained / "run" / "last.pt", "--beam", 3, *flags)
    user_error(r, "--beam searches for the likeliest texts and samples nothing")
    assert str(flags[0]) in r.stderr


def test_sample_replaces_an_existing_out_file_only_with_overwrite(trained, tmp_path, user_error):
    mine = tmp_path / "notes.csv"
    mine.write_text("mine")
    r = run("sample", trained / "run" / "last.pt", "--out", mine)
    user_error(r, f"{mine} exists: not replaced (add --overwrite")
    assert mine.read_text() == "mine"
    assert run("sample", trained / "run" / "last.pt", "--out", mine, "--overwrite").exit_code == 0
    assert mine.read_text().startswith("knob,value,seed,text")


def test_resume_before_anything_was_saved_says_so(tmp_path, user_error):
    """A run stopped before its first evaluation has no checkpoint: --resume said "checkpoint not
    found"; it says nothing was saved yet and that the command without --resume starts the run."""
    book = tmp_path / "book.txt"
    book.write_text(TEXT)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "config.toml").write_text('steps = 5\n')  # all a killed run had written
    r = run("train", book, "--steps", 5, "--hidden", 4, "--device", "cpu", "--resume", "--out", tmp_path / "t")
    user_error(r, f"--resume: nothing is saved in {tmp_path / 't'} yet")
    assert "without --resume to start it" in r.stderr
