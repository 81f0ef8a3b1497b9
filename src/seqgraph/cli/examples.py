"""``seqgraph examples``: the configs and graphs shipped with seqgraph, by name."""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph.cli.common import console, print_json, user_errors

app = typer.Typer(help="Example configs and graphs shipped with seqgraph: list them, print one, copy one out.",
                  invoke_without_command=True)


def _names(incomplete: str) -> list[str]:
    from seqgraph.examples import examples

    return [e.name for e in examples() if e.name.startswith(incomplete)]


NameArg = Annotated[str, typer.Argument(help="Example name (seqgraph examples lists them).", autocompletion=_names,
                                        show_default=False)]


@app.callback()
def _list_by_default(ctx: typer.Context) -> None:
    """List the shipped examples (configs for --config, graphs for every gcn command), by name.

    A name works wherever a config or a graph file is accepted: seqgraph palindrome --config palindrome-sweep, seqgraph gcn hops karate.
    """
    if ctx.invoked_subcommand is None:
        list_examples()


@app.command("list")
def list_examples(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the shipped examples by name."""
    from seqgraph.examples import examples

    found = examples()
    if as_json:
        print_json([{"name": e.name, "kind": e.kind, "summary": e.summary, "path": str(e.path)} for e in found])
        return
    from rich.table import Table

    t = Table(title="Shipped examples: give the name to --config (configs) or as the graph (gcn commands)",
              title_justify="left")
    for c in ("name", "kind", "what"):
        t.add_column(c, no_wrap=c == "name")
    for e in found:
        t.add_row(e.name, e.kind, e.summary)
    con = console()
    con.print(t)
    con.print("copy one to edit: seqgraph examples copy NAME [DEST]")


@app.command()
def show(name: NameArg) -> None:
    """Print an example file."""
    import sys

    from seqgraph.examples import example

    with user_errors():
        e = example(name)
    sys.stdout.write(e.path.read_text(encoding="utf-8"))


@app.command("copy")
def copy_example(
    name: NameArg,
    dest: Annotated[str | None, typer.Argument(help="File or folder to write to (a path ending in / is a folder, made if missing). Default: the current folder.", show_default=False)] = None,
) -> None:
    """Copy an example out to edit it (written atomically; an existing file is never replaced)."""
    from seqgraph.examples import copy

    with user_errors():
        path = copy(name, dest)
    console().print(f"wrote {path}", soft_wrap=True)
