"""Exact parameter counts of the sequence classifiers, by closed formula, checked against the
real module."""

from __future__ import annotations

from dataclasses import dataclass, field

from seqgraph.config import MODELS
from seqgraph.errors import ConfigError

# per layer with input size x and hidden size n: (gate multiplier for input weights,
# recurrent weights, peephole weights, biases as multiples of n)
_LAYOUT: dict[str, dict[str, int]] = {
    "rnn": {"input": 1, "recurrent": 1, "peephole": 0, "bias": 1},
    "lstm": {"input": 4, "recurrent": 4, "peephole": 0, "bias": 4},
    "peep": {"input": 4, "recurrent": 0, "peephole": 3, "bias": 4},
    "gru": {"input": 3, "recurrent": 3, "peephole": 0, "bias": 6},
    "tglstm": {"input": 4, "recurrent": 4, "peephole": 0, "bias": 4, "gate": 3},
}


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
    module_total: int = 0  # sum(p.numel()) of the real module

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "d": self.d, "n": self.n, "c": self.c, "layers": self.layers,
                "parts": self.parts, "formula": self.formula, "filled": self.filled,
                "total": self.total, "module_total": self.module_total}


def _layer_terms(model: str, x: str, n: str) -> str:
    k = _LAYOUT[model]
    if model == "rnn":
        return f"{x}·{n} + {n}·{n} + {n}"
    if model == "lstm":
        return f"4·({x}·{n} + {n}·{n} + {n})"
    if model == "tglstm":
        return f"4·({x}·{n} + {n}·{n} + {n}) + 3·{n}"
    if model == "peep":
        return f"4·({x}·{n} + {n}) + 3·{n}·{n}"
    assert k["bias"] == 6
    return f"3·({x}·{n} + {n}·{n} + 2·{n})"


def param_formula(model: str, layers: int, d: str = "d", n: str = "n", c: str = "c",
                  L: str | None = None) -> str:
    """The closed formula, e.g. LSTM: ``4·(d·n + n·n + n) + n·c + c``."""
    first = _layer_terms(model, d, n)
    if layers > 1:
        more = _layer_terms(model, n, n)
        mult = L if L is not None else "(L−1)"
        first = f"{first} + {mult}·[{more}]"
    return f"{first} + {n}·{c} + {c}"


def count_params(model: str, d: int, n: int, c: int = 10, layers: int = 1,
                 check: bool = True) -> ParamCount:
    """Count the parameters of ``SequenceClassifier(model, d, n, c, layers)``.

    Args:
        model: rnn, lstm, peep or gru. d: input size. n: hidden size. c: classes (10).
        layers: stacked recurrent layers (1). check: build the module and compare (True).

    Raises:
        ConfigError for bad sizes; ParamMismatchError if formula and module disagree.
    """
    if model not in _LAYOUT:
        raise ConfigError(f"unknown model {model!r} (choose from {', '.join(MODELS)})")
    for name, v in (("d", d), ("n", n), ("c", c), ("layers", layers)):
        if v <= 0:
            raise ConfigError(f"--{name} must be positive, got {v}")
    k = _LAYOUT[model]
    inputs = [d] + [n] * (layers - 1)
    parts = {
        "input weights": sum(k["input"] * x * n for x in inputs),
        "recurrent weights": layers * k["recurrent"] * n * n,
        "peepholes": layers * k["peephole"] * n * n,
        "biases": layers * k["bias"] * n,
        "time gate (τ, s, r_on)": layers * k.get("gate", 0) * n,
        "output layer": n * c + c,
    }
    total = sum(parts.values())
    filled = param_formula(model, layers, str(d), str(n), str(c), L=str(layers - 1))
    pc = ParamCount(model, d, n, c, layers, parts, param_formula(model, layers), f"{filled} = {total}",
                    total)
    if check:
        from seqgraph.nn.models import SequenceClassifier

        module = SequenceClassifier(model, d, n, c, layers)
        pc.module_total = sum(p.numel() for p in module.parameters())
        if pc.module_total != total:
            raise ParamMismatchError(
                f"{model}: formula gives {total} parameters but the module has {pc.module_total}"
            )
    return pc
