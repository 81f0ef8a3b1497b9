"""The one list of memory tasks. Config validation, help text, completion, tables, figures'
baselines and ``reproduce`` read it; it imports no torch, so ``seqgraph --help`` stays instant.

A new task is one file defining a :class:`seqgraph.tasks.base.Task` (plus its test) and one
line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from seqgraph.errors import ConfigError

if TYPE_CHECKING:
    from seqgraph.tasks.base import Task

ENCODINGS = ("onehot", "scalar")  # how a symbol enters the cell: a one-hot vector, or its id as one float
FEATURES = ("features",)  # tasks whose inputs are real-valued features, not symbols
R2018 = "uvadlc/uvadlc_practicals_2018"
D2020 = "uvadlc/uvadlc_practicals_2020 assignment_2/2_recurrentnns_gnns/code/Part 1/datasets.py"


@dataclass(frozen=True)
class TaskEntry:
    name: str  # what users type: --task binary
    family: str  # the command that runs it: palindrome
    summary: str  # one line for help and tables
    source: str  # where the task is defined (a course file, a paper)
    cls: str  # "module:Class", imported on first use


TASKS: dict[str, TaskEntry] = {
    e.name: e
    for e in (
        TaskEntry("decimal", "palindrome", "recall the first digit of a decimal palindrome",
                  f"{R2018} assignment_2/part1/dataset.py (PalindromeDataset)", "seqgraph.tasks.decimal:Decimal"),
        TaskEntry("binary", "palindrome", "the last bit of a binary palindrome (the 2020 variant)",
                  f"{D2020} (BinaryPalindromeDataset)", "seqgraph.tasks.binary:Binary"),
        TaskEntry("baum-sweet", "palindrome", "the Baum–Sweet label of an integer read bit by bit",
                  f"{D2020} (BaumSweetSequenceDataset)", "seqgraph.tasks.baum_sweet:BaumSweet"),
        TaskEntry("random-combinations", "palindrome", "the number missing from a permutation of 0..L−1",
                  f"{D2020} (RandomCombinationsDataset)",
                  "seqgraph.tasks.random_combinations:RandomCombinations"),
        TaskEntry("copy", "memory", "reproduce 10 symbols after a delay T (T + 20 steps)",
                  "Arjovsky, Shah & Bengio 2016 (uRNN); stwisdom/urnn memory_problem.py", "seqgraph.tasks.copy:Copy"),
        TaskEntry("adding", "memory", "the sum of the two marked values among T",
                  "Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015; state-spaces/s4 "
                  "src/dataloaders/datasets/adding.py", "seqgraph.tasks.adding:Adding"),
        TaskEntry("selective-copy", "memory", "recall, in order, 10 tokens scattered among T noise steps",
                  "Gu & Dao 2023 (Mamba) selective copying; state-spaces/s4 src/dataloaders/datasets/copying.py "
                  "(torch_copying_data, variable=True)", "seqgraph.tasks.selective_copy:SelectiveCopy"),
        TaskEntry("recall", "memory", "the value of a queried key after L key–value pairs",
                  "HazyResearch/safari src/dataloaders/synthetics.py (assoc_recall), "
                  "configs/dataset/icl_synthetics.yaml", "seqgraph.tasks.recall:Recall"),
        TaskEntry("digits", "memory", "the class of an 8×8 digit read pixel by pixel (sequential MNIST, offline)",
                  "Le, Jaitly & Hinton 2015 (pixel MNIST); sklearn.datasets.load_digits",
                  "seqgraph.tasks.digits:Digits"),
        TaskEntry("digits-permuted", "memory", "the class of an 8×8 digit read in one fixed shuffled pixel order",
                  "Le, Jaitly & Hinton 2015 (permuted MNIST); sklearn.datasets.load_digits",
                  "seqgraph.tasks.digits:DigitsPermuted"),
        TaskEntry("mqar", "memory", "recall the value of each of L keys queried again after the L pairs",
                  "Arora et al. 2023 (Zoology); HazyResearch/zoology zoology/data/associative_recall.py "
                  "(multiquery_ar)", "seqgraph.tasks.mqar:Mqar"),
    )
}


def task_names(family: str | None = None) -> tuple[str, ...]:
    """Every task's name (of ``family``), in the registry's order."""
    return tuple(n for n, e in TASKS.items() if family in (None, e.family))


def check_task(name: str, family: str | None = None) -> TaskEntry:
    """The entry of ``name``; an unknown name is a ConfigError listing the choices."""
    entry = TASKS.get(name)
    if entry is None or family not in (None, entry.family):
        raise ConfigError(f"unknown task {name!r} (choose from {', '.join(task_names(family))})")
    return entry


@cache
def get_task(name: str) -> Task:
    """The task ``name`` (imports torch)."""
    module, _, attr = check_task(name).cls.partition(":")
    return getattr(importlib.import_module(module), attr)()
