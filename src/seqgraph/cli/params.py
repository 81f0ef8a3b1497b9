"""``seqgraph params``: exact parameter counts, formula and breakdown."""

from __future__ import annotations

from typing import Annotated

import typer

from seqgraph.cli.common import console, fail, one_of, print_json, user_errors
from seqgraph.nn.registry import cell_names, complete_cells


def params(
    d: Annotated[int, typer.Option("--d", help="Input size (one-hot symbols).")] = 10,
    n: Annotated[int, typer.Option("--n", help="Hidden units.")] = 128,
    c: Annotated[int, typer.Option("--c", help="Output classes.")] = 10,
    model: Annotated[str, typer.Option("--model", help=f"Cells, {one_of(cell_names(), 'all')} (a comma list).", autocompletion=complete_cells)] = "lstm",
    layers: Annotated[int, typer.Option("--layers", help="Stacked recurrent layers.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Count a model's parameters: breakdown, closed formula, total — checked against the real
    module's sum(p.numel())."""
    from seqgraph.analysis.params import ParamMismatchError, count_params
    from seqgraph.config import parse_name_list

    with user_errors():
        models = parse_name_list(model, "model", cell_names())
        try:
            counts = [count_params(m, d, n, c, layers) for m in models]
        except ParamMismatchError as e:
            raise fail(f"internal error, please report: {e}", code=1) from None
    if as_json:
        print_json([pc.as_dict() for pc in counts] if len(counts) > 1 else counts[0].as_dict())
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    for pc in counts:
        out.print(f"{pc.model}: d={d}, n={n}, c={c}, layers={layers}", soft_wrap=True)  # a title never wraps
        table = Table()
        table.add_column("part")
        table.add_column("parameters", justify="right")
        for part, k in pc.parts.items():
            if k:
                table.add_row(part, f"{k:,}")
        table.add_row(Text("total", style="bold"), Text(f"{pc.total:,}", style="bold"))
        out.print(table)
        out.print(f"formula: {pc.formula}")
        out.print(f"         {pc.filled}")
        if pc.module_total is None:  # too large for torch to lay out, even without memory
            at = ", ".join(f"{k}={v}" for k, v in pc.checked_at.items())
            out.print(Text("module:  too large for torch to lay out (a weight's size in bytes overflows int64); "
                           f"the formula matches the module at {at} ").append("✓", style="green"))
        else:
            out.print(Text(f"module:  sum(p.numel()) = {pc.module_total:,} ").append("✓ matches", style="green"))
        out.print()
