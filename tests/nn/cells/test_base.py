"""What every cell inherits from RecurrentCell."""

import torch

from seqgraph.nn.models import SequenceClassifier


def test_forget_bias_sets_only_the_forget_rows():
    for name in ("lstm", "peep"):
        model = SequenceClassifier(name, 10, 6, 10, forget_bias=1.0)
        b = model.rnn.cells[0].bias.detach()
        assert torch.all(b[6:12] == 1.0)
        assert torch.all(b[:6].abs() < 1.0) and torch.all(b[12:].abs() < 1.0)
    gru = SequenceClassifier("gru", 10, 6, 10, forget_bias=1.0)  # no forget gate: unchanged
    assert torch.all(gru.rnn.cells[0].bias_ih.abs() <= 1 / 6 ** 0.5)
