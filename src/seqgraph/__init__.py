"""seqgraph: reproducible experiments on memory in recurrent networks and message passing in
graph networks."""

__version__ = "0.1.0"

__all__ = ["__version__"]
