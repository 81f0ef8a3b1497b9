import pytest

from seqgraph.errors import ConfigError
from seqgraph.experiments.reproduce import Budget, diversity, reproduce
from seqgraph.train.progress import Recorder, RunStarted

TINY = Budget(lengths="3", models="rnn,lstm", seeds="1", steps=10, binary_steps=4, grads_seeds="1",
              grads_train_steps=0, text_steps=12, sample_chars=40, copy_lengths="2", adding_lengths="4",
              lit_steps=3, lit_seeds="1")


class Count(Recorder):
    @property
    def runs(self):
        return sum(1 for e in self.of(RunStarted) if " L=" in e.label)  # palindrome runs


@pytest.mark.slow
def test_reproduce_writes_a_report_and_reuses_finished_work(tmp_path, is_drawn):
    first = Count()
    report = reproduce(TINY, str(tmp_path / "r"), device="cpu", progress=first)
    text = report.read_text()
    for heading in ("## 1. Memory", "## 2. Peephole", "## 3. Gradient flow", "## 4. LSTM parameter count",
                    "## 5. Character-level LSTM", "## 6. The course graph", "## 7. Beyond the course"):
        assert heading in text
    assert "**Course reports" not in text  # no claim without a source file
    assert "**Course question** (`uvadlc/DL_assignments_2019` `assignment_2/README.md`" in text
    assert "**Not learned (baseline):** 0.6" in text and "chance is 0.5" not in text
    assert "**seqgraph measured**" in text
    assert "4 updates from C to E" in text
    assert "72,458" in text
    for fig in ("memory/accuracy.png", "memory/curves.png", "grads/grads.png", "charlm/curves.png"):
        assert is_drawn(tmp_path / "r" / fig)
        assert fig in text
    assert first.runs == 2 + 6 + 6  # memory: 2 models × 1 length; binary: 2 lengths × 3 seeds; copy, adding: 3 models
    assert "| copy | 2 | lstm | accuracy |" in text and "| adding | 4 | gru | mse |" in text
    assert "Arjovsky, Shah & Bengio 2016" in text  # each task's source
    again = Count()
    reproduce(TINY, str(tmp_path / "r"), device="cpu", progress=again)
    assert again.runs == 0  # everything reused
    with pytest.raises(ConfigError, match="holds a 'custom' reproduction"):
        reproduce("quick", str(tmp_path / "r"), device="cpu")


def test_unknown_budget(tmp_path):
    with pytest.raises(ConfigError, match="unknown budget"):
        reproduce("huge", str(tmp_path))


def test_diversity():
    ent, distinct = diversity("abababab")
    assert ent == pytest.approx(1.0) and distinct == pytest.approx(2 / 5)
    ent, distinct = diversity("abcdefgh")
    assert ent == pytest.approx(3.0) and distinct == 1.0
