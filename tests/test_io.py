"""Files: atomic writes, CSV rows that round-trip, text that stays text."""

import math

import pytest

from seqgraph.errors import DataError
from seqgraph.io import append_rows, atomic_write_bytes, read_csv, read_utf8, write_csv


def test_run_ids_that_look_like_numbers_stay_text(tmp_path):
    ids = ["864e17513104", "012345678901", "1e5", "abcdef012345"]
    p = tmp_path / "s.csv"
    write_csv(p, ["run_id", "x"], [{"run_id": i, "x": n} for n, i in enumerate(ids)])
    assert read_csv(p).run_id.tolist() == ids


def test_missing_values_round_trip_as_empty(tmp_path):
    p = tmp_path / "s.csv"
    append_rows(p, ["a", "b"], [{"a": 1.5, "b": None}, {"a": math.nan, "b": 2}])
    assert p.read_text().splitlines()[1:] == ["1.5,", ",2"]
    df = read_csv(p)
    write_csv(p, ["a", "b"], df.to_dict("records"))  # through pandas and back: still empty, never 'nan'
    assert "nan" not in p.read_text() and read_csv(p).b.isna().tolist() == [True, False]


def test_floats_round_trip_exactly(tmp_path):
    p = tmp_path / "s.csv"
    append_rows(p, ["x"], [{"x": 0.1 + 0.2}])
    assert read_csv(p).x.iloc[0] == 0.1 + 0.2


def test_atomic_write_leaves_no_temp_files_and_keeps_the_old_file_on_error(tmp_path):
    p = tmp_path / "f.txt"
    atomic_write_bytes(p, b"old")


    with pytest.raises(TypeError):
        atomic_write_bytes(p, "not bytes")  # type: ignore[arg-type]
    assert p.read_bytes() == b"old" and [q.name for q in tmp_path.iterdir()] == ["f.txt"]


def test_read_utf8_names_the_problem(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok \xff")
    with pytest.raises(DataError, match=r"not UTF-8 .*0xff at offset 3"):
        read_utf8(bad)
    with pytest.raises(DataError, match="not found"):
        read_utf8(tmp_path / "none.txt")


def test_drop_torn_row_cuts_only_a_partial_last_line(tmp_path):
    from seqgraph.io import drop_torn_row

    f = tmp_path / "a.csv"
    f.write_bytes(b"x,y\n1,2\n3,")
    assert drop_torn_row(f) and f.read_bytes() == b"x,y\n1,2\n"
    assert not drop_torn_row(f) and f.read_bytes() == b"x,y\n1,2\n"  # whole rows stay
    f.write_bytes(b"x,")  # torn inside the header
    assert drop_torn_row(f) and f.read_bytes() == b""
    big = b"x\n" + b"1" * 200_000  # a partial line longer than one read-back chunk
    f.write_bytes(big)
    assert drop_torn_row(f) and f.read_bytes() == b"x\n"
    assert not drop_torn_row(tmp_path / "missing.csv")


def test_drop_torn_row_knows_newlines_inside_quoted_text(tmp_path):
    """samples.csv holds sampled text, newlines included: a row torn inside its quotes may end
    with a newline, and a newline inside quotes never ends a row."""
    from seqgraph.io import drop_torn_row

    f = tmp_path / "samples.csv"
    whole = b'step,text\n10,"a\nb ""quoted"" c"\n'
    for torn in (b'20,"x\n', b'20,"x\ny', b'20,"x""\n'):
        f.write_bytes(whole + torn)
        assert drop_torn_row(f) and f.read_bytes() == whole, torn
    assert not drop_torn_row(f)


def test_appended_and_rewritten_csvs_share_one_line_ending(tmp_path):
    from seqgraph.io import append_rows, write_csv

    append_rows(tmp_path / "a.csv", ["x", "y"], [{"x": 1, "y": "b"}])
    write_csv(tmp_path / "w.csv", ["x", "y"], [{"x": 1, "y": "b"}])
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "w.csv").read_bytes() == b"x,y\n1,b\n"


# --- writes that fail: one line naming the user's path, nothing already there lost ----------

def test_a_folder_where_a_file_goes_is_named_and_left_alone(tmp_path):
    from seqgraph.errors import OutputError

    d = tmp_path / "out.csv"
    d.mkdir()
    (d / "keep.txt").write_text("mine")
    with pytest.raises(OutputError) as e:
        write_csv(d, ["a"], [{"a": 1}])
    assert str(e.value) == f"cannot write {d}: it is a folder"  # the user's path, never a temp file's
    assert (d / "keep.txt").read_text() == "mine" and sorted(q.name for q in tmp_path.iterdir()) == ["out.csv"]


def test_a_file_where_a_folder_goes_is_named_and_left_alone(tmp_path):
    from seqgraph.errors import OutputError
    from seqgraph.io import make_folder

    f = tmp_path / "file.txt"
    f.write_text("mine")
    for write in (lambda: atomic_write_bytes(f / "x.csv", b"x"),
                  lambda: append_rows(f / "a" / "b.csv", ["a"], [{"a": 1}])):
        with pytest.raises(OutputError, match=f"cannot write {f}/.*: {f} is a file, not a folder"):
            write()
    with pytest.raises(OutputError, match=f"cannot create folder {f}/sub: {f} is a file, not a folder"):
        make_folder(f / "sub")
    assert f.read_text() == "mine"


def test_no_permission_names_the_path_not_the_temporary_file(tmp_path, monkeypatch):
    """A read-only folder (simulated: tests may run as root, which ignores permissions)."""
    import errno
    import tempfile

    from seqgraph.errors import OutputError

    def refuse(*args, dir=None, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir) + "/.x.tmp")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as e:
        atomic_write_bytes(tmp_path / "x.csv", b"x")
    assert str(e.value) == f"cannot write {tmp_path / 'x.csv'}: Permission denied"


def test_a_full_disk_keeps_the_old_file_whole_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import errno
    import os

    from seqgraph import io
    from seqgraph.errors import OutputError

    p = tmp_path / "last.pt"
    atomic_write_bytes(p, b"old checkpoint")
    append_rows(tmp_path / "log.csv", ["step"], [{"step": 1}])

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = os.fsync
    monkeypatch.setattr(io.os, "fsync", full)
    with pytest.raises(OutputError, match=f"cannot write {p}: No space left on device"):
        atomic_write_bytes(p, b"new checkpoint")
    with pytest.raises(OutputError, match=r"log\.csv: No space left on device"):
        append_rows(tmp_path / "log.csv", ["step"], [{"step": 2}])
    monkeypatch.setattr(io.os, "fsync", real)
    assert p.read_bytes() == b"old checkpoint"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["last.pt", "log.csv"]
