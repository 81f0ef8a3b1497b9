"""``python -m seqgraph`` and the ``seqgraph`` executable."""

import sys


def run() -> None:
    """Load the command line and run it. Loading takes a moment (typer, numpy): Ctrl-C then is
    one line and exit code 130 too, never a traceback of an import."""
    try:
        from seqgraph.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":  # guarded: worker processes re-import this module
    run()
