"""The files in examples/ work as they are."""

from pathlib import Path

import pytest

from seqgraph.config import CharLMRun, PalindromeOptions, PalindromeRun, TrainOptions, read_toml, resolve_sweep
from seqgraph.tasks.graphs import load_graph

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_configs_resolve(path):
    spec, options = (CharLMRun, TrainOptions) if "train" in read_toml(path) else (PalindromeRun, PalindromeOptions)
    sweep = resolve_sweep(spec, options, path)
    assert len(sweep.runs()) > 1


@pytest.mark.parametrize("path", sorted((EXAMPLES / "graphs").glob("*.json")), ids=lambda p: p.name)
def test_example_graphs_load(path):
    g = load_graph(path)
    assert g.num_nodes >= 6 and g.num_edges >= 6
