"""What the commands share of their options: the help panels, the one defaults helper, and
option aliases written once (``Annotated[..., typer.Option(...)]``)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, get_origin, get_type_hints

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


@dataclasses.dataclass(frozen=True)
class Opt:
    """How one setting shows on the command line: its help, and where the defaults do not fit,
    its flag names (``--learn-gate/--fixed-gate``) and completion."""

    help: str
    decls: tuple[str, ...] = ()
    complete: Any = None


Device = Annotated[str, typer.Option(help=f"Device, {one_of(DEVICES, 'cuda:N')}.", autocompletion=complete(DEVICES))]
DEVICE_HELP = Opt(f"Device, {one_of(DEVICES, 'cuda:N')}.", complete=complete(DEVICES))
KERNEL_HELP = Opt(
    f"Recurrent kernel, {one_of(KERNELS)}: fused runs rnn, lstm and gru on torch's fused kernel (oneDNN, cuDNN) "
    "with seqgraph's weights, a run alone; auto takes, per run and device, what was measured faster (a run "
    "computes the same under every executor). A kernel named here is part of a run's identity.")
# the run options every sweep command shares (RunOptions); each command adds out, executor, resume, overwrite
RUN_OPTIONS_HELP: dict[str, str | Opt] = {
    "device": DEVICE_HELP,
    "batch_runs": "Runs trained at once as one model: batched (0: as many as fit on a GPU, 8 on a CPU); processes "
                  "and ray: runs per job (0: one).",
    "workers": "processes: jobs at once (0: one per core); ray on CPUs: each task gets 1/W of the cluster's cores "
               "(0: one core per task).",
    "ray_address": 'Ray cluster: "" starts a local instance, auto or ray://host:port joins one (needs '
                   "seqgraph\\[ray]).",
    "dry_run": Opt("Print the plan — runs, those already in --out, jobs, executor, kernels, run-steps, memory, "
                   "and the time measured on a shortened copy of the costliest run — and train nothing.",
                   ("--dry-run",)),
    "tensorboard": "Also write TensorBoard event files here, one folder per run (view: tensorboard --logdir DIR; "
                   "needs seqgraph\\[tensorboard]).",
}
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# the one policy for an --out file (seqgraph.io.check_replace): an existing one is replaced only when asked
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace the --out file(s) if they exist.")]


def options_of(cls: Any, help: Mapping[str, str | Opt], *, panel: str | None = None,
               skip: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """One command-line option per field of the settings dataclass ``cls``, in field order: the
    settings are declared once (the dataclass: names, types, defaults; ``help``: the words).

    A run spec's field is an axis: named as users type it (``--lengths``), a ``str`` taking a
    list or a range (a bool stays a flag), completed from its ``choices``; other configs'
    fields keep their type (a list takes a comma list). Defaults show as :func:`default` gives
    them."""
    from seqgraph.sweep.grid import axis_name
    from seqgraph.sweep.spec import RunSpec

    spec = issubclass(cls, RunSpec)
    hints = get_type_hints(cls)
    params = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        o = help[f.name]
        o = o if isinstance(o, Opt) else Opt(o)
        hint = hints[f.name]
        typ = bool if hint is bool else str if spec or get_origin(hint) is list else hint
        completion = o.complete
        choices = cls.choices if issubclass(cls, RunSpec) else {}
        if completion is None and f.name in choices:
            completion = complete(choices[f.name], lists=True)
        option = typer.Option(*o.decls, help=o.help, rich_help_panel=panel, autocompletion=completion)
        name = axis_name(cls, f.name) if spec else f.name
        value = default(cls, f.name, typed=typ is not str)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value,
                                        annotation=Annotated[typ, option]))
    return params


F = TypeVar("F", bound=Callable[..., Any])


def with_options(*groups: list[inspect.Parameter]) -> Callable[[F], F]:
    """Give the decorated command the options ``groups`` (:func:`options_of`) after its own
    parameters; its ``**settings`` receives them (and :func:`~seqgraph.cli.common.given` tells
    which the user gave)."""

    def wrap(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)  # the own annotations as objects, as typer reads them
        own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        func.__signature__ = sig.replace(parameters=[*own, *(p for g in groups for p in g)])  # type: ignore[attr-defined]
        return func

    return wrap
