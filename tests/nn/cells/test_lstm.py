"""The LSTM against torch's, with copied weights: one step, a sequence, a two-layer stack."""

import torch
from torch import nn

from seqgraph.nn.cells import LSTMCell
from seqgraph.nn.models import RecurrentStack, SequenceClassifier

B, I, H, T = 3, 5, 4, 7


def test_single_step_equals_torch_cell(copy_from):
    torch.manual_seed(0)
    ref, ours = nn.LSTMCell(I, H), LSTMCell(I, H)
    copy_from(ours, ref)
    x = torch.randn(B, I)
    hx = (torch.randn(B, H), torch.randn(B, H))
    h_ref, c_ref = ref(x, hx)
    h, c = ours(x, hx)
    torch.testing.assert_close(c, c_ref)
    torch.testing.assert_close(h, h_ref)


def test_sequence_and_gradients_equal_torch_layer(equals_torch_layer):
    equals_torch_layer("lstm", nn.LSTM)


def test_two_layer_stack_equals_torch_lstm(copy_from):
    torch.manual_seed(6)
    ref = nn.LSTM(I, H, num_layers=2)
    stack = RecurrentStack("lstm", I, H, num_layers=2)
    for k, cell in enumerate(stack.cells):
        copy_from(cell, ref, f"_l{k}")
    x = torch.randn(T, B, I, requires_grad=True)
    out_ref, (_h_ref, c_ref) = ref(x)
    out, states = stack(x)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(torch.stack([s[1] for s in states]), c_ref)
    gx_ref, = torch.autograd.grad(out_ref.sum(), x)
    gx, = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(gx, gx_ref)


def test_classifier_reads_last_step_only():
    torch.manual_seed(7)
    model = SequenceClassifier("lstm", 10, 8, 10)
    tokens = torch.randint(0, 10, (4, 6))
    logits = model(tokens)
    assert logits.shape == (4, 10)
    out, _ = model.rnn(tokens.t())
    torch.testing.assert_close(logits, model.head(out[-1]))
