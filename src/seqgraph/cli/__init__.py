"""The ``seqgraph`` command line. Commands are thin: parse, call the core, print.

Heavy imports (torch, pandas, matplotlib) happen inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph import __version__
from seqgraph.cli import examples, gcn, search
from seqgraph.cli.analysis import grads, plot, table, timegate
from seqgraph.cli.memory import memory
from seqgraph.cli.palindrome import palindrome
from seqgraph.cli.params import params
from seqgraph.cli.reproduce import reproduce
from seqgraph.cli.text import evaluate, sample, train

app = typer.Typer(
    name="seqgraph",
    help="Reproducible experiments on memory in recurrent networks and message passing in graphs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seqgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """seqgraph: memory in recurrent networks, message passing in graph networks."""
    from seqgraph.cli.common import matplotlib_cache, readable_streams
    from seqgraph.perf import keep_freed_memory

    keep_freed_memory()  # process-wide, so set here at the entry (worker processes set it too)
    readable_streams()  # a name that is not UTF-8 prints escaped, never as a UnicodeEncodeError
    matplotlib_cache()  # a HOME that cannot be written: no matplotlib lines on stderr


app.command(no_args_is_help=False)(palindrome)
app.command(no_args_is_help=False)(memory)
app.command()(params)
app.command()(train)
app.command()(sample)
app.command()(evaluate)
app.add_typer(gcn.app, name="gcn")
app.add_typer(examples.app, name="examples")
app.command()(grads)
app.command()(timegate)
app.command()(plot)
app.command()(table)
app.command()(reproduce)
app.add_typer(search.app, name="search")


def main() -> None:
    """The ``seqgraph`` executable: usage errors too are one line on stderr and exit code 2;
    Ctrl-C is one line and exit code 130 wherever it lands."""
    import sys

    from seqgraph.cli.common import exit_code, failures, readable_streams, sigterm_as_ctrl_c, terminated

    readable_streams()
    before = failures()
    try:
        with sigterm_as_ctrl_c():  # SIGTERM = Ctrl-C: workers stopped, finished rows kept, exit code 143
            code = app(standalone_mode=False, prog_name="seqgraph")
    except KeyboardInterrupt:
        sys.stderr.write("error: terminated (SIGTERM)\n" if terminated() else "error: interrupted\n")
        sys.exit(exit_code(130))
    except Exception as e:
        if not (hasattr(e, "format_message") and hasattr(e, "exit_code")):  # not a usage error: a bug
            raise
        # a bare `seqgraph` or `seqgraph gcn`: its help, which asks nothing (by name: Typer may vendor click)
        if any(c.__name__ == "NoArgsIsHelpError" for c in type(e).__mro__):
            if e.format_message().strip():  # (Typer's rich help has printed it already)
                sys.stdout.write(e.format_message() + "\n")
            sys.exit(0)
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "seqgraph"
        message = " ".join(str(e.format_message()).split())
        sys.stderr.write(f"error: {message} (see '{where} --help')\n")
        sys.exit(e.exit_code)
    if code == 130 and failures() == before:  # Typer turns a Ctrl-C no command caught into a silent exit 130
        sys.stderr.write("error: terminated (SIGTERM)\n" if terminated() else "error: interrupted\n")
    sys.exit(exit_code(code) if isinstance(code, int) else 0)
