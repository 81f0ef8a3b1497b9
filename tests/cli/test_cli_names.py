"""Names that are not UTF-8 (a file name's bytes, a prompt from the command line) and labels
that are not Unicode: printed escaped, refused in one line where they would be written to a
UTF-8 file, never a UnicodeEncodeError traceback."""

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from seqgraph.cli import app

runner = CliRunner()  # its stdout is strict UTF-8, as a terminal's under a UTF-8 locale


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def named(folder, raw: bytes) -> Path:
    """A path whose name holds bytes that are not UTF-8 (Python keeps them as surrogates)."""
    return folder / os.fsdecode(raw)


def test_a_graph_file_with_a_name_that_is_not_utf8_works_and_prints_escaped(tmp_path):
    g = named(tmp_path, b"g\xfe.txt")
    g.write_text("A B\nB C\n")
    out = named(tmp_path, b"h\xfe.csv")
    r = run("gcn", "layer", g, "--out", out)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1] == f"wrote {tmp_path}/h\\xfe.csv" and out.is_file()
    assert run("gcn", "hops", g, "--source", "A", "--target", "C").exit_code == 0


def test_text_settings_that_are_not_utf8_are_refused_in_one_line(tmp_path, user_error):
    book = named(tmp_path, b"\xfe.txt")
    book.write_text("some text to learn from. " * 40)
    user_error(run("train", book, "--steps", 2, "--out", tmp_path / "t"),
               f"text '{tmp_path}/\\xfe.txt' is not UTF-8 text; seqgraph records its settings in config.toml")
    user_error(run("palindrome", "--out", named(tmp_path, b"o\xfe")), "out '")
    assert not (tmp_path / "t").exists()


def test_a_prompt_with_a_byte_that_is_not_utf8(tmp_path, user_error):
    book = tmp_path / "book.txt"
    book.write_text("Sleeping beauty is asleep. The prince rides in. " * 60)
    r = run("train", book, "--steps", 2, "--hidden", 8, "--seq-length", 10, "--batch-size", 4, "--eval-every", 2,
            "--out", tmp_path / "run", "--device", "cpu")
    assert r.exit_code == 0, r.output
    user_error(run("sample", tmp_path / "run" / "last.pt", "--prompt", "a" + os.fsdecode(b"\xff")),
               "the prompt has the byte 0xff, which is not UTF-8 text")


def test_an_unknown_node_that_is_not_utf8_reads_as_the_shell_writes_it(user_error):
    r = run("gcn", "hops", "course-2020", "--source", os.fsdecode(b"\xfe"))
    user_error(r, "unknown node '\\xfe'")


def test_a_label_that_is_not_unicode_prints_and_is_refused_where_written(tmp_path, user_error):
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"A": ["\ud800"], "B": ["A"]}))  # a JSON escape of a lone surrogate
    r = run("gcn", "hops", g)
    assert r.exit_code == 0 and "\\ud800" in r.stdout, r.output
    user_error(run("gcn", "hops", g, "--source", "A", "--out", tmp_path / "h.csv"), "\\ud800")
    assert not (tmp_path / "h.csv").exists()
