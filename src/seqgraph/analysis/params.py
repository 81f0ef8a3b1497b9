"""Exact parameter counts of the sequence classifiers, by closed formula, checked against the
real module. The per-layer layout of each cell is read off the registered class itself (a tiny
instance's parameter shapes), so a new cell needs no entry here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from seqgraph.config import MAX_LAYERS, SIZE_LIMIT
from seqgraph.errors import ConfigError
from seqgraph.nn.registry import check_cell, directions


@dataclass(frozen=True)
class Layout:
    """Parameters of one layer with input size x and n units, as multiples."""

    gates: int  # input weights: gates·x·n
    recurrent: int  # recurrent weights: recurrent·n·n
    peephole: bool  # the recurrent weights read c (the course's peephole LSTM), not h
    biases: int  # biases: biases·n
    extra: int  # other per-unit parameters (the time gate's τ, s, r_on): extra·n
    output: int = 0  # output weights read out of the state (the LRU's C, real and imaginary): output·n·n
    extra_names: tuple[str, ...] = ()  # the names of the per-unit parameters


@cache
def layout(model: str) -> Layout:
    """The layout of cell ``model``, from a tiny instance (input 2, 3 units)."""
    from seqgraph.nn.models import make_cell

    check_cell(model)
    cell = make_cell(model, 2, 3)
    params = dict(cell.named_parameters())
    per_unit = {"bias": 0, "extra": 0}
    extra_names = []
    for name, p in params.items():
        if not name.startswith("weight"):
            per_unit["bias" if name.startswith("bias") else "extra"] += p.numel() // 3
            if not name.startswith("bias"):
                extra_names.append(name)
    # a parallel-scan cell has no recurrent weight; the LRU reads its output out of the state (weight_out)
    recurrent = params["weight_hh"].shape[0] // 3 if "weight_hh" in params else 0
    output = params["weight_out"].numel() // 9 if "weight_out" in params else 0
    return Layout(params["weight_ih"].shape[0] // 3, recurrent, cell.source_index == 1 and recurrent > 0,
                  per_unit["bias"], per_unit["extra"], output, tuple(extra_names))


class ParamMismatchError(Exception):
    """The formula and the module disagree: a bug in seqgraph, never the user's input."""


@dataclass
class ParamCount:
    model: str
    d: int  # input size (one-hot symbols)
    n: int  # hidden units
    c: int  # output classes
    layers: int
    parts: dict[str, int] = field(default_factory=dict)  # breakdown, in display order
    formula: str = ""  # symbolic
    filled: str = ""  # with the numbers in
    total: int = 0  # by formula
    module_total: int | None = 0  # sum(p.numel()) of the real module; None: too large for torch to lay out
    checked_at: dict[str, int] = field(default_factory=dict)  # then: the sizes the formula was checked at

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "d": self.d, "n": self.n, "c": self.c, "layers": self.layers,
                "parts": self.parts, "formula": self.formula, "filled": self.filled,
                "total": self.total, "module_total": self.module_total,
                **({"checked_at": self.checked_at} if self.checked_at else {})}


def _layer_terms(model: str, x: str, n: str) -> str:
    """One layer's count, e.g. the LSTM's ``4·(x·n + n·n + n)``."""
    k = layout(model)

    def times(m: int, term: str) -> str:
        return term if m == 1 else f"{m}·{term}"

    if k.recurrent == 0:  # a parallel-scan cell: input weights, biases, output weights, per-unit parameters
        terms = f"{k.gates}·({x}·{n} + {n})" if k.biases == k.gates else \
            " + ".join(t for t in (times(k.gates, f"{x}·{n}"), times(k.output, f"{n}·{n}") if k.output else "",
                                   times(k.biases, n) if k.biases else "") if t)
    elif k.peephole:
        terms = f"{k.gates}·({x}·{n} + {n}) + {k.recurrent}·{n}·{n}" if k.biases == k.gates else \
            f"{times(k.gates, f'{x}·{n}')} + {k.recurrent}·{n}·{n} + {times(k.biases, n)}"
    elif k.recurrent == k.gates and k.biases % k.gates == 0:
        inner = f"{x}·{n} + {n}·{n}" + (f" + {times(k.biases // k.gates, n)}" if k.biases else "")
        terms = inner if k.gates == 1 else f"{k.gates}·({inner})"
    else:
        terms = f"{times(k.gates, f'{x}·{n}')} + {times(k.recurrent, f'{n}·{n}')} + {times(k.biases, n)}"
    return terms + (f" + {k.extra}·{n}" if k.extra else "")


def _extra_label(k: Layout) -> str:
    """The breakdown's name for the per-unit parameters: the time gate's, or those of another cell."""
    if k.extra_names in ((), ("tau", "shift", "r_on")):
        return "time gate (τ, s, r_on)"
    return f"per unit ({', '.join(k.extra_names)})"


def param_formula(model: str, layers: int, d: str = "d", n: str = "n", c: str = "c",
                  L: str | None = None) -> str:
    """The closed formula, e.g. LSTM: ``4·(d·n + n·n + n) + n·c + c``; a bidirectional model has
    two of each layer, later layers read both directions (2·n) and so does the head:
    ``2·4·(d·n + n·n + n) + 2·n·c + c``."""
    ways = directions(model)
    two = f"{ways}·" if ways > 1 else ""
    first = two + _layer_terms(model, d, n)
    if layers > 1:
        more = two + _layer_terms(model, f"{two}{n}", n)
        mult = L if L is not None else "(L−1)"
        first = f"{first} + {mult}·[{more}]"
    return f"{first} + {two}{n}·{c} + {c}"


def count_params(model: str, d: int, n: int, c: int = 10, layers: int = 1,
                 check: bool = True) -> ParamCount:
    """Count the parameters of ``SequenceClassifier(model, d, n, c, layers)``.

    Args:
        model: a registered cell (seqgraph.nn.registry). d: input size. n: hidden size. c: classes (10).
        layers: stacked recurrent layers (1). check: build the module and compare (True).

    Raises:
        ConfigError for bad sizes; ParamMismatchError if formula and module disagree.
    """
    check_cell(model)
    for name, v in (("d", d), ("n", n), ("c", c), ("layers", layers)):
        if v <= 0:
            raise ConfigError(f"--{name} must be positive, got {v}")
        if v > SIZE_LIMIT:
            raise ConfigError(f"--{name} {v} is too large (at most {SIZE_LIMIT})")
    if layers > MAX_LAYERS:
        raise ConfigError(f"--layers {layers} is too many (at most {MAX_LAYERS:,})")
    k = layout(model)
    ways = directions(model)  # cells per layer; later layers and the head read ways·n
    inputs = [d] + [ways * n] * (layers - 1)
    cells = ways * layers
    parts = {
        "input weights": sum(ways * k.gates * x * n for x in inputs),
        "recurrent weights": 0 if k.peephole else cells * k.recurrent * n * n,
        "peepholes": cells * k.recurrent * n * n if k.peephole else 0,
        "biases": cells * k.biases * n,
        _extra_label(k): cells * k.extra * n,
        "output weights (C)": cells * k.output * n * n,
        "output layer": ways * n * c + c,
    }
    total = sum(parts.values())
    filled = param_formula(model, layers, str(d), str(n), str(c), L=str(layers - 1))
    pc = ParamCount(model, d, n, c, layers, parts, param_formula(model, layers), f"{filled} = {total}",
                    total)
    if check:
        module_total = _module_count(model, d, n, c, layers)
        if module_total is None:  # a weight whose bytes no int64 holds: check the formula at small sizes
            pc.module_total = None
            pc.checked_at = {"d": min(d, 5), "n": min(n, 7), "c": min(c, 3), "layers": layers}
            at = pc.checked_at
            small = count_params(model, at["d"], at["n"], at["c"], layers)
            if small.module_total != small.total:
                raise ParamMismatchError(f"{model}: formula gives {small.total} parameters but the module has "
                                         f"{small.module_total} (at {pc.checked_at})")
        elif module_total != total:
            pc.module_total = module_total
            raise ParamMismatchError(f"{model}: formula gives {total} parameters but the module has {module_total}")
        pc.module_total = module_total
    return pc


def _module_count(model: str, d: int, n: int, c: int, layers: int) -> int | None:
    """``sum(p.numel())`` of the real module, built on the meta device (shapes only, nothing
    allocated); None where even that cannot be: torch refuses a tensor whose size in bytes
    overflows int64 (``--n 2147483647``: a weight of 8.6e9 × 2.1e9 elements)."""
    import torch

    from seqgraph.nn.models import SequenceClassifier

    try:
        with torch.device("meta"):
            module = SequenceClassifier(model, d, n, c, layers)
    except RuntimeError as e:
        if "overflow" in str(e).lower():
            return None
        raise
    return sum(p.numel() for p in module.parameters())
