"""What every registered task must do, whatever it is (a new task file is checked here too)."""

import importlib.util
import subprocess
import sys

import pytest
import torch

from seqgraph.errors import ConfigError
from seqgraph.tasks import registry
from seqgraph.tasks.base import EVAL, IGNORE, TRAIN, Task
from seqgraph.tasks.registry import TASKS, check_task, get_task, task_names


def available(name):
    """Whether the modules the task's data need (Task.requires, an extra) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in get_task(name).requires)


# a task whose extra is not installed is skipped, not failed (its own test checks the error)
NAMES = [pytest.param(n, marks=pytest.mark.skipif(not available(n), reason=f"needs {get_task(n).requires}"))
         for n in task_names()]


def lengths_of(task, count=4):
    """A few lengths the task takes (short, so the tests are quick)."""
    hi = min(task.max_length or task.min_length + 12, task.min_length + 12)
    step = max(1, (hi - task.min_length) // count)
    return list(range(task.min_length, hi + 1, step))[:count]


def test_the_registry_names_a_task_class_for_every_entry():
    for name, entry in TASKS.items():
        task = get_task(name)
        assert isinstance(task, Task) and task.name == name and task.entry is entry
        assert entry.summary and entry.source and entry.family
    with pytest.raises(ConfigError, match=r"unknown task 'trinary'.*decimal"):
        check_task("trinary")


def test_the_registry_and_task_declarations_import_no_torch():
    """Config validation, help and completion read tasks: no torch until data is drawn."""
    names = [n for n in TASKS if available(n)]
    code = ("import sys; from seqgraph.tasks.registry import get_task\n"
            f"for n in {names!r}: t = get_task(n); t.num_classes(t.min_length); t.baseline(t.min_length)\n"
            "print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("name", NAMES)
def test_shapes_sizes_and_symbol_ranges(name):
    task = get_task(name)
    for L in lengths_of(task):
        x, y = task.batch(64, L, seed=3)
        T = task.input_length(L)
        assert int(task.input_length(torch.tensor(L))) == T  # one formula for ints and tensors
        if task.encodings == ("features",):
            assert x.shape == (64, T, task.num_features(L)) and x.is_floating_point()
        else:
            assert set(task.encodings) <= {"onehot", "scalar"}
            assert x.shape == (64, T) and x.dtype == torch.long
            assert 0 <= int(x.min()) and int(x.max()) < task.num_symbols(L)
        if task.target == "value-at-last":
            assert y.shape == (64,) and y.is_floating_point()
            continue
        assert y.shape == ((64, T) if task.target == "class-at-steps" else (64,)) and y.dtype == torch.long
        scored = y[y != IGNORE]
        assert 0 <= int(scored.min()) and int(scored.max()) < task.num_classes(L)


@pytest.mark.parametrize("name", NAMES)
def test_a_run_gets_the_same_batch_alone_or_among_others(name):
    """K runs of different lengths in one call: each equals the run generated alone, right-padded."""
    task = get_task(name)
    ls = lengths_of(task)  # one length only where the task takes one
    lengths, seeds, counters = [ls[min(2, len(ls) - 1)], ls[0], ls[-1], ls[0]], [1, 2, 3, 2], [0, 5, 2, 6]
    x, y, last = task.batches(torch.tensor(lengths), torch.tensor(seeds), torch.tensor(counters), 32)
    for k in range(4):
        xa, ya = task.batch(32, lengths[k], seeds[k], counters[k])
        n = xa.shape[1]
        assert int(last[k]) == n - 1
        assert torch.equal(x[k, :, :n], xa) and torch.equal(y[k, :, :n] if y.dim() == 3 else y[k], ya)
        assert (x[k, :, n:] == 0).all()  # right padding
        if y.dim() == 3:
            assert (y[k, :, n:] == IGNORE).all()  # padding takes no loss
    order = [2, 0, 3, 1]  # the order of the runs does not matter either
    _, y2, _ = task.batches(torch.tensor(lengths)[order], torch.tensor(seeds)[order], torch.tensor(counters)[order],
                            32)
    assert torch.equal(y2, y[order])


@pytest.mark.parametrize("name", NAMES)
def test_batches_depend_on_seed_counter_and_stream_only(name):
    task = get_task(name)
    L = lengths_of(task)[-1]

    def draw(seed=7, counter=3, stream=TRAIN):
        return task.batch(256, L, seed, counter, stream)

    base = draw()
    assert all(torch.equal(a, b) for a, b in zip(draw(), base, strict=True))
    for other in (draw(seed=8), draw(counter=4), draw(stream=EVAL), draw(seed=2**40 + 7)):
        assert not torch.equal(other[0], base[0])


@pytest.mark.parametrize("name", NAMES)
def test_the_baseline_is_the_majority_rate_of_the_generators_labels(name):
    """The closed-form baseline equals what always answering the most frequent label scores on
    held-out batches (within 5 standard errors)."""
    task = get_task(name)
    n = 20_000
    for L in lengths_of(task, 3):
        one = torch.tensor([L])
        _, y, last = task.batches(one, torch.tensor([11]), torch.tensor([0]), n, EVAL)
        y = y[0]
        b = task.baseline(L)
        if task.metric == "mse":  # always answering the mean scores the variance
            assert abs(float(y.double().var()) - b) < 5 * b * (2 / n) ** 0.5, (L, float(y.var()), b)
            continue
        if task.target == "class-at-steps":  # the majority rate at each step the metric scores
            scored = task.answers(y[None], last)[0]  # (B, T)
            C = task.num_classes(L)
            step = torch.arange(y.shape[1]).expand_as(y)[scored]
            counts = torch.bincount(step * C + y[scored], minlength=y.shape[1] * C).view(-1, C).double()
            best = float(counts.max(1).values.sum() / counts.sum())
            assert scored.sum(1).min() > 0  # every sample is scored somewhere
        else:
            counts = torch.bincount(y, minlength=task.num_classes(L)).double() / n
            best = float(counts.max())
        assert abs(best - b) < 5 * (b * (1 - b) / n) ** 0.5 + 1e-9, (L, best, b)
        assert task.baseline_by_length or task.baseline(L) == task.baseline(task.min_length)


@pytest.mark.parametrize("name", NAMES)
def test_lengths_out_of_range_are_one_config_error(name):
    task = get_task(name)
    fixed = task.min_length == task.max_length  # one length only: the error says so
    with pytest.raises(ConfigError, match=f"{name} takes one length" if fixed else f"too short for {name}"):
        task.batch(4, task.min_length - 1, seed=0)
    if task.max_length is not None:
        with pytest.raises(ConfigError, match=f"{name} takes one length" if fixed else f"at most {task.max_length}"):
            task.batch(4, task.max_length + 1, seed=0)


def test_every_task_module_is_registered():
    """A Task subclass in seqgraph.tasks that the registry does not list is a task nobody can run."""
    import importlib
    import pkgutil

    import seqgraph.tasks

    for info in pkgutil.iter_modules(seqgraph.tasks.__path__):
        importlib.import_module(f"seqgraph.tasks.{info.name}")
    classes = {c for c in _subclasses(Task)}
    assert {type(get_task(n)) for n in registry.TASKS} == classes


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
