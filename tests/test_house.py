"""The house rules that code review alone would let slip: layers import downward only, contract
members are declared (never found with getattr), every settings class names a known TOML
table, and the core never prints, exits or installs signal handlers."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import seqgraph
from seqgraph.config import SECTIONS, Settings
from seqgraph.sweep.jobs import Experiment
from seqgraph.sweep.spec import RunSpec

SRC = Path(seqgraph.__file__).parent
# a package may import only the ones listed (besides itself, errors, and the standard library)
ALLOWED = {
    "config": {"io", "perf", "examples"},
    "nn": {"graphs"},  # gcn_norm's argument type only (under TYPE_CHECKING)
    "tasks": {"io"},
}


def modules(package: str):
    for path in sorted((SRC / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_lower_layers_import_nothing_above_them(package):
    for path, tree in modules(package):
        for name in imported(tree):
            parts = name.split(".")
            if parts[0] != "seqgraph" or len(parts) < 2:
                continue
            assert parts[1] in {package, "errors", *ALLOWED[package]}, f"{path.name} imports {name}"


def contract_members():
    members = set()
    for cls in (Experiment, RunSpec, Settings):
        members |= {n for n in vars(cls) if not n.startswith("_")}
        members |= set(getattr(cls, "__annotations__", {}))
    return members - {"name"}  # 'name' is too common a word to police


def test_no_contract_member_is_looked_up_with_getattr_or_hasattr():
    members = contract_members()
    assert {"batchable", "memory", "complete", "toml_section", "plural", "continuable", "preset"} <= members
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            lookup = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("getattr", "hasattr")
            if lookup and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                assert node.args[1].value not in members, f"{path.relative_to(SRC)}:{node.lineno} {node.args[1].value}"


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_settings_class_names_a_known_toml_table():
    for info in pkgutil.walk_packages(seqgraph.__path__, "seqgraph."):
        if not info.name.startswith("seqgraph.cli"):
            importlib.import_module(info.name)
    classes = [c for c in all_subclasses(Settings) if c is not RunSpec]
    assert {c.__name__ for c in classes} >= {"PalindromeRun", "CharLMRun", "GradsConfig", "NodeClassificationConfig",
                                            "RunOptions", "TimeGateConfig"}
    for cls in classes:
        assert cls.toml_section in ("", *SECTIONS), cls
    used = {c.toml_section for c in classes} - {""}
    assert used == set(SECTIONS)  # no table is named that nothing reads


def test_the_core_never_prints_exits_or_handles_signals():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("cli",) or rel.name in ("__main__.py",):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                assert name != "print", f"{rel}:{node.lineno} prints"
                assert not (owner == "sys" and name == "exit"), f"{rel}:{node.lineno} exits"
                assert not (owner == "signal" and name == "signal"), f"{rel}:{node.lineno} installs a signal handler"
                assert not (owner == "torch" and name == "manual_seed"), f"{rel}:{node.lineno} seeds torch globally"
