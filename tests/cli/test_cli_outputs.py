"""--out paths that cannot be written: one error line naming the user's path, exit code 2,
and nothing already there touched (a folder where a file goes, a file where a folder goes,
a folder without permission)."""

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()
GRAPH = "course-2020"  # a shipped example graph, by name


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def grads_csv(tmp_path):
    r = run("grads", "--model", "rnn", "--length", 4, "--seeds", 1, "--batch-size", 4, "--hidden", 4,
            "--device", "cpu", "--out", tmp_path / "g")
    assert r.exit_code == 0, r.output
    return tmp_path / "g" / "grads.csv"


FILE_OUTPUTS = {  # commands whose --out is one file
    "gcn layer": ["gcn", "layer", GRAPH],
    "gcn hops (all pairs)": ["gcn", "hops", GRAPH],
    "gcn hops --source": ["gcn", "hops", GRAPH, "--source", "A"],
}


@pytest.mark.parametrize("name", FILE_OUTPUTS)
def test_an_existing_folder_as_the_output_file(name, tmp_path, user_error):
    folder = tmp_path / "result.csv"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    user_error(run(*FILE_OUTPUTS[name], "--out", folder), f"cannot write {folder}: it is a folder")
    assert [q.name for q in folder.iterdir()] == ["keep.txt"] and (folder / "keep.txt").read_text() == "mine"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["result.csv"]  # no temporary file left


def test_plot_into_an_existing_folder_puts_the_figure_in_it(grads_csv, tmp_path):
    folder = tmp_path / "figs.png"  # a folder, whatever its name says
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    r = run("plot", grads_csv, "--out", folder)
    assert r.exit_code == 0, r.output
    assert sorted(q.name for q in folder.iterdir()) == ["grads.png", "keep.txt"]


OUTPUTS_UNDER = {  # --out names a file or a folder inside the path given
    "plot": lambda g: ["plot", g, "--out"],
    "gcn layer": lambda g: [*FILE_OUTPUTS["gcn layer"], "--out"],
    "gcn hops": lambda g: [*FILE_OUTPUTS["gcn hops (all pairs)"], "--out"],
    "gcn hops --source": lambda g: [*FILE_OUTPUTS["gcn hops --source"], "--out"],
    "gcn adjacency": lambda g: ["gcn", "adjacency", GRAPH, "--out"],
    "gcn train": lambda g: ["gcn", "train", "--epochs", 2, "--out"],
    "timegate": lambda g: ["timegate", "--out"],
    "grads": lambda g: ["grads", "--model", "rnn", "--length", 4, "--seeds", 1, "--hidden", 4, "--batch-size", 4,
                        "--out"],
    "palindrome": lambda g: ["palindrome", "--model", "rnn", "--lengths", 4, "--seeds", 1, "--steps", 2, "--out"],
    "examples copy": lambda g: ["examples", "copy", "karate"],
    "reproduce": lambda g: ["reproduce", "--out"],
}


@pytest.mark.parametrize("name", OUTPUTS_UNDER)
def test_an_output_under_a_regular_file(name, grads_csv, tmp_path, user_error):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    r = run(*OUTPUTS_UNDER[name](grads_csv), f / "x" / "y.png")  # .png: plot writes a figure
    user_error(r, f"{f} is a file, not a folder")
    assert r.stderr.startswith("error: cannot ")
    assert f.read_text() == "mine"


def test_no_permission_names_the_output_not_a_temporary_file(tmp_path, monkeypatch, user_error):
    """A folder the user may not write in (simulated: tests may run as root)."""
    import errno
    import tempfile

    def refuse(*args, dir=None, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/.h.x1y2z3.csv")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "h.csv"
    r = run(*FILE_OUTPUTS["gcn layer"], "--out", out)
    user_error(r, f"cannot write {out}: Permission denied")
    assert ".h.x1y2z3" not in r.stderr


def test_gcn_train_checks_its_output_folder_before_training(tmp_path, user_error):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    r = run("gcn", "train", "--epochs", 50, "--out", f / "run")
    user_error(r, f"cannot create folder {f / 'run'}: {f} is a file, not a folder")
    assert "epochs" not in r.stderr  # no training (and no progress line) before the error


REPLACED = {  # commands whose --out names files: (args, the file an --out of `target` writes)
    "gcn layer": (lambda g: FILE_OUTPUTS["gcn layer"], lambda t: t),
    "gcn hops (all pairs)": (lambda g: FILE_OUTPUTS["gcn hops (all pairs)"], lambda t: t),
    "gcn hops --source": (lambda g: FILE_OUTPUTS["gcn hops --source"], lambda t: t),
    "gcn adjacency": (lambda g: ["gcn", "adjacency", GRAPH], lambda t: t / "A_hat.csv"),
    "plot": (lambda g: ["plot", g], lambda t: t),
}


@pytest.mark.parametrize("name", REPLACED)
def test_an_existing_out_file_is_replaced_only_with_overwrite(name, grads_csv, tmp_path, user_error):
    """One policy for every --out file, as `examples copy` has: an unrelated file there was replaced
    without asking."""
    args, written = REPLACED[name]
    target = tmp_path / ("mats" if name == "gcn adjacency" else "mine.png" if name == "plot" else "mine.csv")
    if name == "gcn adjacency":
        target.mkdir()
    written(target).write_text("mine")
    r = run(*args(grads_csv), "--out", target)
    user_error(r, f"{written(target)} exists: not replaced (add --overwrite")
    assert written(target).read_text() == "mine"
    r = run(*args(grads_csv), "--out", target, "--overwrite")
    assert r.exit_code == 0, r.output
    assert written(target).read_bytes() != b"mine"
