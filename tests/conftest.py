import pytest


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch):
    """Pin Rich's width so command output is stable in tests."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")


@pytest.fixture
def user_error():
    """Check a CliRunner result is a user error: exit code 2, exactly one stderr line starting
    with 'error:' that contains ``fragment``, and no traceback anywhere."""

    def check(result, fragment):
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert fragment in lines[0]
        assert "Traceback" not in result.output

    return check


def drawn(path):
    """A figure file that holds a drawing: a PNG of at least 600 × 300 pixels whose pixels are
    not all alike (structure, not byte sizes, which change with library versions)."""
    import matplotlib.image

    img = matplotlib.image.imread(path)
    h, w = img.shape[:2]
    distinct = len({tuple(px) for px in img.reshape(-1, img.shape[-1])[:: max(1, h * w // 20000)].tolist()})
    return w >= 600 and h >= 300 and distinct > 20


@pytest.fixture
def is_drawn():
    return drawn


@pytest.fixture
def full_disk_after(monkeypatch):
    """Fill the disk after ``writes`` more fsyncs (every seqgraph write ends with one): the
    next write reaches its file only in part — of its last line one byte stays, so an appended
    row is torn inside its first field — and fails with ENOSPC. ``monkeypatch.undo()`` frees it."""
    import errno
    import os
    from pathlib import Path

    from seqgraph import io

    def fill(writes):
        left, real = {"n": writes}, os.fsync

        def fsync(fd):
            if left["n"] <= 0:
                data = Path(os.readlink(f"/proc/self/fd/{fd}")).read_bytes()  # Linux: the file behind fd
                os.ftruncate(fd, data.rstrip(b"\n").rfind(b"\n") + 2)
                raise OSError(errno.ENOSPC, "No space left on device")
            left["n"] -= 1
            real(fd)

        monkeypatch.setattr(io.os, "fsync", fsync)

    return fill
