"""Course presets: each value names its template file, and the docs page documents each preset."""

from pathlib import Path

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.presets import PRESETS, R2018, R2019, R2020
from seqgraph.sweep.spec import spec_fields

PAGE = Path(__file__).resolve().parents[1] / "docs" / "experiments" / "palindromes.md"  # the presets table


def test_every_preset_value_is_a_run_setting_with_a_source_file():
    fields = set(spec_fields(PalindromeRun))
    for name, preset in PRESETS.items():
        assert set(preset.values) <= fields, name
        repo = {"2018": R2018, "2019": R2019}.get(name, R2020)
        for field, source in preset.sources.items():
            assert "assignment_2/" in source and (repo in source or R2019 in source), (name, field)
        PalindromeRun(**preset.values).validate()


def test_the_docs_document_every_preset():
    text = PAGE.read_text(encoding="utf-8")
    for name in PRESETS:
        assert f"`{name}`" in text, name
