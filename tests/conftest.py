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
