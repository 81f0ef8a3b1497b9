"""seqgraph: reproducible experiments on memory in recurrent networks and message passing in
graph networks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqgraph")  # written once, in pyproject.toml
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
