"""Memory presets: each value a run setting with its source, the unmatched said, the docs page
naming every preset; a preset's task and another --task conflict."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqgraph.cli import app
from seqgraph.errors import ConfigError
from seqgraph.experiments.memory.presets import PRESETS, check_preset_task
from seqgraph.experiments.memory.spec import MemoryRun
from seqgraph.sweep.spec import spec_fields

PAGE = Path(__file__).resolve().parents[2] / "docs" / "experiments" / "memory.md"  # the presets table


@pytest.mark.parametrize("name", PRESETS)
def test_every_value_is_a_run_setting_with_its_source(name):
    preset = PRESETS[name]
    assert set(preset.values) <= set(spec_fields(MemoryRun))
    assert set(preset.values) == set(preset.sources), name  # every value says where it comes from
    repo = preset.sources["task"].split()[0]
    assert all(source.startswith(repo) for source in preset.sources.values()), name
    MemoryRun(**preset.values).validate()


def test_the_docs_name_every_preset():
    text = PAGE.read_text(encoding="utf-8")
    for name in PRESETS:
        assert f"`{name}`" in text, name


def test_a_presets_task_and_another_task_conflict(tmp_path, user_error):
    with pytest.raises(ConfigError, match="preset urnn-copy holds the settings of the copy task"):
        check_preset_task("urnn-copy", "copy,adding")
    check_preset_task("urnn-copy", "copy")
    check_preset_task("urnn-copy", None)
    r = CliRunner().invoke(app, ["memory", "--preset", "indrnn-adding", "--task", "copy", "--out", str(tmp_path / "x")])
    user_error(r, "preset indrnn-adding holds the settings of the adding task, not --task copy")
    assert not (tmp_path / "x").exists()


def test_a_preset_is_a_layer_under_the_flags(tmp_path):
    r = CliRunner().invoke(app, ["memory", "--preset", "indrnn-adding", "--steps", "4", "--eval-every", "2",
                                 "--lengths", "4", "--seeds", "1", "--eval-batch-size", "16",
                                 "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    import pandas as pd

    row = pd.read_csv(tmp_path / "p" / "summary.csv").iloc[0]
    assert (row["model"], row["hidden"], row["batch_size"], row["lr"], row["length"], row["steps"]) == \
        ("lstm", 128, 50, 2e-4, 4, 4)
