"""The files in examples/ work as they are."""

from pathlib import Path

import pytest

from seqgraph.config import PalindromeOptions, PalindromeRun, resolve_sweep
from seqgraph.tasks.graphs import load_graph

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_configs_resolve(path):
    sweep = resolve_sweep(PalindromeRun, PalindromeOptions, path)
    assert sweep.runs()


@pytest.mark.parametrize("path", sorted((EXAMPLES / "graphs").glob("*.json")), ids=lambda p: p.name)
def test_example_graphs_load(path):
    g = load_graph(path)
    assert g.num_nodes >= 6 and g.num_edges >= 6
