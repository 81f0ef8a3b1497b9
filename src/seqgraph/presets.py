"""Course presets of ``seqgraph palindrome``: every setting as a course template sets it.

A preset is a layer of defaults: built-in defaults < preset < TOML file < flags. Each value
names the template file it comes from (``SOURCES``), so the docs' table
(docs/experiments/palindromes.md) and the code say the same thing. Values a template leaves
open (``# fixme``, or a model file that is a stub) are not set: seqgraph's own default stays,
and the table says so.

Length: seqgraph's axis is always the palindrome length L. The 2018/2019 templates'
``--input_length`` counts the *input* digits, ``PalindromeDataset(input_length + 1)``, so their
default ``--input_length 10`` is L = 11. The 2020 template's ``BinaryPalindromeDataset(input_length)``
takes the number of decimal digits L itself (the model reads ``4·L + 2 − 1`` symbols).

Not set by any preset: ``t0``, the time gate's clock at the first input. The 2018 equations
count from t = 1 (issue #10), but no template file has a time-gated cell (the 2018
``part1/lstm.py`` and ``vanilla_rnn.py`` are stubs), so the preset keeps seqgraph's 0; add
``--t0 1`` for the PDF's count.

No torch here: config validation reads this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqgraph.errors import ConfigError

R2018 = "uvadlc/uvadlc_practicals_2018"
R2019 = "uvadlc/DL_assignments_2019"
R2020 = "uvadlc/uvadlc_practicals_2020"
T2018 = f"{R2018} assignment_2/part1/train.py"
D2018 = f"{R2018} assignment_2/part1/dataset.py"
T2019 = f"{R2019} assignment_2/part1/train.py (template, a1044ac)"
T2019_FILLED = f"{R2019} assignment_2/part1/train.py (filled in, 704fe01)"
D2019 = f"{R2019} assignment_2/part1/dataset.py"
T2020 = f"{R2020} assignment_2/2_recurrentnns_gnns/code/Part 1/train.py"
D2020 = f"{R2020} assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py"


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    values: dict[str, Any]  # spec field → value
    sources: dict[str, str] = field(default_factory=dict)  # spec field → where the value comes from
    unmatched: dict[str, str] = field(default_factory=dict)  # what the source does that no setting matches


def _decimal_course(name: str, summary: str, train: str, dataset: str, optimizer_source: str) -> Preset:
    """The 2018 and 2019 templates share their decimal-palindrome settings; each cites its own files."""
    return Preset(
        name, summary,
        {"task": "decimal", "encoding": "scalar", "length": 11, "steps": 10000, "early_stop": False,
         "batch_size": 128, "hidden": 128, "optimizer": "rmsprop", "lr": 1e-3, "max_norm": 10.0, "classes": "task"},
        {"task": dataset, "encoding": f"{train}: --input_dim 1 (one float digit per step)",
         "length": f"{train}: --input_length 10 input digits, PalindromeDataset(input_length + 1)",
         "steps": f"{train}: --train_steps 10000, no early stop", "early_stop": f"{train}: a fixed number of steps",
         "batch_size": f"{train}: --batch_size 128", "hidden": f"{train}: --num_hidden 128",
         "optimizer": optimizer_source, "lr": f"{train}: --learning_rate 0.001",
         "max_norm": f"{train}: --max_norm 10.0", "classes": f"{train}: --num_classes 10"},
    )


def _course_2020(name: str, summary: str, values: dict[str, Any], sources: dict[str, str]) -> Preset:
    """The 2020 template (``train.py``) trains every dataset with the same settings; each preset
    adds its dataset's own (task, encoding, classes) and where they come from."""
    common = {"length": 6, "steps": 3000, "early_stop": False, "batch_size": 256, "hidden": 256,
              "optimizer": "adam", "lr": 1e-3, "max_norm": 10.0}
    common_sources = {"steps": f"{T2020}: --train_steps 3000, no early stop",
                      "early_stop": f"{T2020}: a fixed number of steps",
                      "batch_size": f"{T2020}: --batch_size 256", "hidden": f"{T2020}: --num_hidden 256",
                      "optimizer": f"{T2020}: optim.Adam", "lr": f"{T2020}: --learning_rate 0.001",
                      "max_norm": f"{T2020}: --max_norm 10.0"}
    return Preset(name, summary, {**common, **values}, {**common_sources, **sources})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _decimal_course("2018", "2018 course, decimal palindromes (uvadlc_practicals_2018 part1)", T2018, D2018,
                        f"not set by {T2018} (optimizer = None  # fixme); RMSprop as {T2019_FILLED}"),
        _decimal_course("2019", "2019 course, decimal palindromes (DL_assignments_2019 part1)", T2019, D2019,
                        f"{T2019_FILLED}: torch.optim.RMSprop (the template leaves it # fixme)"),
        _course_2020(
            "2020-binary", "2020 course, binary palindromes (uvadlc_practicals_2020 Part 1, bipalindrome)",
            {"task": "binary", "encoding": "scalar", "classes": "length"},
            {"task": f"{D2020}: BinaryPalindromeDataset",
             "encoding": f"{T2020}: --input_dim 1; {D2020}: one float per step, palindrome + 1 (pad 0, bits 1, 2)",
             "length": f"{T2020}: --input_length 6 = L, the decimal digits; the model reads 4·L + 2 − 1 symbols",
             "classes": f"{T2020}: config.num_classes = config.input_length (L outputs; labels are 0 or 1)"},
        ),
        _course_2020(
            "2020-baum-sweet", "2020 course, Baum–Sweet labels of binary integers (uvadlc_practicals_2020 Part 1, bss)",
            {"task": "baum-sweet", "encoding": "onehot", "classes": "task"},
            {"task": f"{D2020}: BaumSweetSequenceDataset",
             "encoding": f"{T2020}: config.input_dim = 3 (pad, 0, 1; {D2020} undoes the one-hot with argmax, "
                         "so the template feeds one float per step: --encoding scalar for that)",
             "length": f"{T2020}: --input_length 6 = L, integers up to 10^L; the model reads 4·L symbols",
             "classes": f"{T2020}: config.num_classes = 2"},
        ),
        _course_2020(
            "2020-random-combinations",
            "2020 course, the missing number of a permutation (uvadlc_practicals_2020 Part 1, randomcomb)",
            {"task": "random-combinations", "encoding": "scalar", "classes": "task"},
            {"task": f"{D2020}: RandomCombinationsDataset",
             "encoding": f"{T2020}: --input_dim 1; {D2020}: the numbers as floats, one per step",
             "length": f"{T2020}: --input_length 6 = L, a permutation of 0..L−1; the model reads L − 1 numbers",
             "classes": f"{T2020}: config.num_classes = config.input_length (L; the task's own count)"},
        ),
    )
}


def preset_names() -> tuple[str, ...]:
    return tuple(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset ``name``; an unknown name is a ConfigError listing the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None
