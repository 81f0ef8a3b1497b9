"""What the commands share of their options: the help panels, the one defaults helper, and
option aliases written once (``Annotated[..., typer.Option(...)]``)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from seqgraph.cli.common import complete, one_of
from seqgraph.config import DEVICES
from seqgraph.nn.registry import KERNELS

# help panels of experiment commands
SETTINGS = "Run settings (a list, e.g. 1e-3,1e-2, sweeps that setting)"
RUN = "How to run (never changes a result)"


def default(cls: type, field: str, typed: bool = False) -> Any:
    """A field's default, written once, in its dataclass: as help shows it — a run spec's axis
    as the comma list the command line takes (``rnn,lstm``), a list as a comma list, "" as
    ``""`` — or, with ``typed``, the value itself (a bool, int or float; a list still as text)."""
    from seqgraph.sweep.grid import default_text, grid_default
    from seqgraph.sweep.spec import RunSpec

    if issubclass(cls, RunSpec):
        return grid_default(cls, field)[0] if typed else default_text(cls, field)
    f = next(f for f in dataclasses.fields(cls) if f.name == field)  # type: ignore[arg-type]
    value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if typed and not isinstance(value, list):
        return value
    if isinstance(value, list):
        return ",".join(map(str, value))
    return '""' if value == "" else str(value)


Device = Annotated[str, typer.Option(help=f"Device, {one_of(DEVICES, 'cuda:N')}.", autocompletion=complete(DEVICES))]
RunDevice = Annotated[str, typer.Option(help=f"Device, {one_of(DEVICES, 'cuda:N')}.", autocompletion=complete(DEVICES),
                                        rich_help_panel=RUN)]
Kernel = Annotated[str, typer.Option(
    help=f"Recurrent kernel, {one_of(KERNELS)}: fused runs rnn, lstm and gru on torch's fused kernel (oneDNN, cuDNN) "
         "with seqgraph's weights, a run alone; auto takes, per run and device, what was measured faster (a run "
         "computes the same under every executor). A kernel named here is part of a run's identity.",
    autocompletion=complete(KERNELS, lists=True), rich_help_panel=SETTINGS)]
Workers = Annotated[int, typer.Option(
    help="processes: jobs at once (0: one per core); ray on CPUs: each task gets 1/W of the cluster's cores "
         "(0: one core per task).", rich_help_panel=RUN)]
RayAddress = Annotated[str, typer.Option(
    help='Ray cluster: "" starts a local instance, auto or ray://host:port joins one (needs seqgraph\\[ray]).',
    rich_help_panel=RUN)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
