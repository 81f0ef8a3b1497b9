"""The errors the core raises. The CLI turns each into one line on stderr and exit code 2."""


class SeqgraphError(Exception):
    """Base class: a problem with the user's input, stated in one line."""


class ConfigError(SeqgraphError):
    """A bad option, range, or configuration file."""


class DataError(SeqgraphError):
    """A bad input file: text, CSV, features."""


class CheckpointError(SeqgraphError):
    """A checkpoint that cannot be loaded safely."""


class GraphError(SeqgraphError):
    """A malformed graph, an unknown node, an impossible request on a graph."""


class OutputError(SeqgraphError):
    """A result that cannot be written: a folder where a file goes, a file where a folder
    goes, no permission, a read-only or full disk. The message names the user's path."""
