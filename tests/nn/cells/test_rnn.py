"""The Elman RNN against torch's, with copied weights."""

import torch
from torch import nn

from seqgraph.nn.cells import RNNCell

B, I, H = 3, 5, 4


def test_single_step_equals_torch_cell(copy_from):
    torch.manual_seed(0)
    ref, ours = nn.RNNCell(I, H), RNNCell(I, H)
    copy_from(ours, ref)
    x, hx = torch.randn(B, I), torch.randn(B, H)
    torch.testing.assert_close(ours(x, hx), ref(x, hx))


def test_sequence_and_gradients_equal_torch_layer(equals_torch_layer):
    equals_torch_layer("rnn", nn.RNN)
