"""The fused kernel path (torch's oneDNN/cuDNN kernels on seqgraph's weights) against the
hand-written loop, and against torch's own modules with copied weights."""

import pytest
import torch
from torch import nn

from seqgraph.errors import ConfigError
from seqgraph.nn.fused import auto_kernel, resolve_kernel
from seqgraph.nn.models import RecurrentStack, SequenceClassifier

FUSABLE = ("rnn", "lstm", "gru")


def values_and_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.square().sum() + y.sum()).backward()
    return y.detach(), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("cell", FUSABLE)
@pytest.mark.parametrize("runs", [None, 1])
@pytest.mark.parametrize("encoding", ["onehot", "scalar"])
def test_fused_equals_the_loop_values_and_gradients(cell, runs, encoding):
    torch.manual_seed(0)
    model = SequenceClassifier(cell, 10, 16, 10, num_layers=2, runs=runs, encoding=encoding).double()
    x = torch.randint(0, 10, (5, 7) if runs is None else (1, 5, 7))
    model.rnn.set_kernel("seqgraph")
    y_loop, g_loop = values_and_grads(model, x)
    model.rnn.set_kernel("fused")
    y_fused, g_fused = values_and_grads(model, x)
    torch.testing.assert_close(y_fused, y_loop, atol=1e-12, rtol=0)
    for a, b in zip(g_fused, g_loop, strict=True):
        torch.testing.assert_close(a, b, atol=1e-11, rtol=0)


@pytest.mark.parametrize("cell", FUSABLE)
def test_fused_outputs_and_states_from_a_given_state(cell):
    torch.manual_seed(1)
    stack = RecurrentStack(cell, 6, 8, num_layers=3).double()
    x = torch.randn(4, 3, 6, dtype=torch.float64)
    n = 2 if cell == "lstm" else 1
    hx = [tuple(torch.randn(3, 8, dtype=torch.float64) for _ in range(n)) for _ in range(3)]
    out_loop, s_loop = stack(x, hx)
    stack.set_kernel("fused")
    out_fused, s_fused = stack(x, hx)
    torch.testing.assert_close(out_fused, out_loop, atol=1e-12, rtol=0)
    for a, b in zip(s_fused, s_loop, strict=True):
        for u, v in zip(a, b, strict=True):
            torch.testing.assert_close(u, v, atol=1e-12, rtol=0)


@pytest.mark.parametrize("cell", FUSABLE)
def test_fused_equals_torch_modules_with_copied_weights(cell):
    """Independent reference: nn.RNN / nn.LSTM / nn.GRU given seqgraph's weights (the single
    course-style bias as bias_ih, bias_hh zero)."""
    torch.manual_seed(2)
    stack = RecurrentStack(cell, 5, 7, num_layers=2, kernel="fused").double()
    ref = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](5, 7, num_layers=2).double()
    with torch.no_grad():
        for layer, c in enumerate(stack.cells):
            w_ih, w_hh, b_ih, b_hh = c.fused_weights()
            getattr(ref, f"weight_ih_l{layer}").copy_(w_ih)
            getattr(ref, f"weight_hh_l{layer}").copy_(w_hh)
            getattr(ref, f"bias_ih_l{layer}").copy_(b_ih)
            getattr(ref, f"bias_hh_l{layer}").copy_(b_hh)
    x = torch.randn(6, 2, 5, dtype=torch.float64)
    out, _ = stack(x)
    expected, _ = ref(x)
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


def test_dropout_between_layers_draws_the_same_masks_on_both_paths():
    torch.manual_seed(3)
    stack = RecurrentStack("lstm", 4, 8, num_layers=3, dropout=0.5).double().train()
    x = torch.randn(5, 2, 4, dtype=torch.float64)
    torch.manual_seed(9)
    a, _ = stack(x)
    stack.set_kernel("fused")
    torch.manual_seed(9)
    b, _ = stack(x)
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_auto_picks_per_device_cell_and_batch():
    assert auto_kernel("lstm", "cpu", 128) == "fused"
    assert auto_kernel("lstm", "cpu", 1) == "seqgraph"  # sampling: the loop is faster at batch 1
    assert auto_kernel("rnn", "cpu", 128) == "seqgraph"  # the hand-written RNN and GRU win on the CPU
    assert auto_kernel("gru", "cpu", 128) == "seqgraph"
    for mode in FUSABLE:
        assert auto_kernel(mode, "cuda", 1) == "fused"  # cuDNN
        # runs an experiment may train K at once (palindromes) take the loop on a GPU: the batched executor
        assert auto_kernel(mode, "cuda", 128, batchable=True) == "seqgraph"
    assert auto_kernel("lstm", "cpu", 128, batchable=True) == "fused"  # on the CPU they train alone
    assert auto_kernel(None, "cuda", 128) == "seqgraph"


def test_resolve_kernel_rules():
    assert resolve_kernel("auto", ["lstm"], "cpu", 128) == "fused"
    assert resolve_kernel("auto", ["lstm"], "cuda", 128, batchable=True) == "seqgraph"
    assert resolve_kernel("auto", ["peep"], "cuda", 128) == "seqgraph"
    assert resolve_kernel("auto", [], "cpu", 128) == "seqgraph"
    assert resolve_kernel("seqgraph", ["lstm"], "cuda", 128) == "seqgraph"
    assert resolve_kernel("fused", ["rnn", "gru"], "cpu", 1) == "fused"
    assert resolve_kernel("auto", ["bilstm"], "cuda", 128) == "seqgraph"
    with pytest.raises(ConfigError, match="bilstm has no fused kernel"):
        resolve_kernel("fused", ["bilstm"], "cpu", 128)
    with pytest.raises(ConfigError, match="peep has no fused kernel"):
        resolve_kernel("fused", ["lstm", "peep"], "cpu", 128)
    with pytest.raises(ConfigError, match="unknown kernel"):
        resolve_kernel("cudnn", ["lstm"], "cpu", 128)


def test_stack_refuses_fused_where_it_cannot_run():
    with pytest.raises(ValueError, match="no fused kernel"):
        RecurrentStack("tglstm", 3, 4, kernel="fused")
    with pytest.raises(ValueError, match="K stacked runs"):
        RecurrentStack("lstm", 3, 4, runs=2, kernel="fused")
    stack = RecurrentStack("lstm", 3, 4, runs=2, kernel="auto")
    assert stack.path(torch.zeros(5, 2, 64, 3)) == "seqgraph"  # K runs: always the loop
    single = RecurrentStack("lstm", 3, 4, runs=1, kernel="auto")
    assert single.path(torch.zeros(5, 1, 64, 3)) == "fused"
    assert single.path(torch.zeros(5, 1, 64, 3), final_at=torch.tensor([3])) == "seqgraph"


def test_char_model_with_dropout_is_the_same_on_both_kernels():
    """CharLM applies dropout to the stack's output too: its mask must not depend on the kernel."""
    from seqgraph.nn.charlm import CharLM

    x = torch.randint(0, 9, (4, 6))
    outs = []
    for kernel in ("seqgraph", "fused"):
        torch.manual_seed(4)
        model = CharLM(9, hidden=8, layers=2, dropout=0.3, kernel=kernel).double().train()
        torch.manual_seed(5)
        outs.append(model(x)[0])
    torch.testing.assert_close(outs[0], outs[1], atol=1e-12, rtol=0)


@pytest.mark.parametrize("cell", FUSABLE)
def test_fused_float32_gradients_match_the_loop(cell):
    """float32 takes oneDNN's kernel on the CPU (float64 takes torch's reference kernel)."""
    torch.manual_seed(5)
    model = SequenceClassifier(cell, 10, 32, 10, num_layers=2, runs=1)
    x = torch.randint(0, 10, (1, 64, 12))
    y_loop, g_loop = values_and_grads(model, x)
    model.rnn.set_kernel("fused")
    y_fused, g_fused = values_and_grads(model, x)
    torch.testing.assert_close(y_fused, y_loop, atol=2e-5, rtol=1e-4)
    for a, b in zip(g_fused, g_loop, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-3)
