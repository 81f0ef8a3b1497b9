"""What --help shows: every real default, the allowed names from their one source, and shell
completion of those names."""

import re
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.config import DEVICES
from seqgraph.experiments.charlm.spec import CharLMRun
from seqgraph.experiments.node_classification import NodeClassificationConfig
from seqgraph.experiments.palindrome.spec import INITS, PalindromeRun, palindrome_tasks
from seqgraph.graphs import FORMATS
from seqgraph.nn.gcn_names import ACTIVATIONS, VARIANTS
from seqgraph.nn.registry import CHAR_CELLS_EXTRA, KERNELS, cell_names, unidirectional_cells
from seqgraph.plots import KINDS
from seqgraph.sweep.grid import EXECUTORS
from seqgraph.tasks.registry import ENCODINGS
from seqgraph.train import OPTIMIZERS

runner = CliRunner()


def commands(group=None, path=()):
    group = typer.main.get_command(app) if group is None else group
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click: no isinstance)
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


ALL = dict(commands())


def help_text(path, monkeypatch):
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    r = runner.invoke(app, [*path, "--help"])
    assert r.exit_code == 0, r.output
    # one line of text per option: drop the box drawing, join wrapped lines
    return " ".join(line.strip(" │╭╮╰╯─") for line in r.stdout.splitlines())


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("path", sorted(ALL), ids=" ".join)
def test_every_option_with_a_value_shows_its_default(path, monkeypatch):
    text = squash(help_text(path, monkeypatch))
    options = [p for p in ALL[path].params if p.param_type_name == "option" and not p.is_flag
               and p.default is not None]
    assert options or path[0] in ("examples", "table"), path  # the check below checks something
    for p in options:
        if p.default == "":  # an empty default must say what it means
            assert "Default:" in p.help or '""' in p.help, (path, p.name)
            continue
        shown = p.default if not isinstance(p.default, (list, tuple)) else ",".join(map(str, p.default))
        shown = '""' if shown == "" else str(shown)
        assert squash(f"[default: {shown}]") in text, (path, p.name, shown)


def test_defaults_come_from_the_dataclasses(monkeypatch):
    train = squash(help_text(("train",), monkeypatch))
    assert f"[default:{CharLMRun.steps}]" in train and f"[default:{CharLMRun.seq_length}]" in train
    pal = squash(help_text(("palindrome",), monkeypatch))
    assert f"[default:{PalindromeRun.eval_every}]" in pal and "[default:rnn,lstm]" in pal
    gcn = squash(help_text(("gcn", "train"), monkeypatch))
    assert f"[default:{NodeClassificationConfig.epochs}]" in gcn and f"[default:{NodeClassificationConfig.out}]" in gcn


NAMES = {
    # command: {option: the names help must list}
    ("palindrome",): {"model": cell_names(), "task": palindrome_tasks(), "optimizer": OPTIMIZERS, "device": DEVICES,
                      "executor": EXECUTORS, "kernel": KERNELS, "encoding": ENCODINGS, "init": INITS},
    ("train",): {"cell": (*unidirectional_cells(), *CHAR_CELLS_EXTRA), "optimizer": OPTIMIZERS, "device": DEVICES,
                 "kernel": KERNELS},
    ("sample",): {"device": DEVICES},
    ("evaluate",): {"device": DEVICES},
    ("params",): {"model": cell_names()},
    ("grads",): {"model": unidirectional_cells(), "device": DEVICES},
    ("reproduce",): {"device": DEVICES, "executor": EXECUTORS},
    ("plot",): {"kind": tuple(KINDS)},
    ("gcn", "adjacency"): {"variant": VARIANTS, "fmt": FORMATS},
    ("gcn", "layer"): {"activation": ACTIVATIONS, "fmt": FORMATS},
    ("gcn", "train"): {"device": DEVICES},
}


@pytest.mark.parametrize("path", sorted(NAMES), ids=" ".join)
def test_name_options_list_their_choices(path, monkeypatch):
    cmd = ALL[path]
    for option, names in NAMES[path].items():
        param = next(p for p in cmd.params if p.name == option)
        assert all(n in param.help for n in names), (path, option, param.help)
    text = help_text(path, monkeypatch)
    assert "one of:" in text


@pytest.mark.parametrize("words, expected", [
    ("seqgraph palindrome --model rnn,l", ["rnn,lstm", "rnn,lru"]),
    ("seqgraph train --device c", ["cpu", "cuda"]),
    ("seqgraph train --optimizer a", ["adam"]),
    ("seqgraph gcn adjacency x --variant r", ["rw"]),
    ("seqgraph gcn hops kar", ["karate"]),
    ("seqgraph examples copy lr", ["lr-sweep"]),
    ("seqgraph palindrome --config palindrome-s", ["palindrome-sweep"]),
    ("seqgraph train --config charlm", ["charlm-grid"]),
    ("seqgraph palindrome --config results/", []),  # no name matches: the shell completes the path
])
def test_shell_completion_of_names(words, expected):
    env = {"_SEQGRAPH_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    code = "from seqgraph.cli import main; main()"
    import os

    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == expected


def test_completion_can_be_installed():
    r = runner.invoke(app, ["--help"])
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
