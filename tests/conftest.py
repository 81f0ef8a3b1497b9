import pytest


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch):
    """Pin Rich's width so command output is stable in tests."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
