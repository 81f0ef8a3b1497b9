"""seqgraph: reproducible experiments on memory in recurrent networks and message passing in
graph networks."""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata when first asked for: importing the
    package stays instant, so the executable handles a Ctrl-C from its first moment."""
    if name != "__version__":
        raise AttributeError(f"module 'seqgraph' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seqgraph")  # written once, in pyproject.toml
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
