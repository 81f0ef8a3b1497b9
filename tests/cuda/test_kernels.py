"""On CUDA: cuDNN (``--kernel fused``) and the hand-written loop agree; ``auto`` picks by device as documented;
the modern cells' parallel form (CUDA's default) equals their sequential loop."""

import pytest
import torch

from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.experiments.palindrome.train import EXPERIMENT
from seqgraph.nn.cells import ParallelScanCell
from seqgraph.nn.charlm import CharLM
from seqgraph.nn.linear_scan import fused_scan, log_space_scan, scan_method
from seqgraph.nn.models import RecurrentStack, SequenceClassifier
from seqgraph.nn.registry import FUSED_CELLS, cell_class, unidirectional_cells

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

SCAN_CELLS = sorted(n for n in unidirectional_cells() if issubclass(cell_class(n), ParallelScanCell))


def values_and_grads(model, x):
    model.zero_grad()
    y = model(x)
    (y.square().sum() + y.sum()).backward()
    return y.detach(), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cell", sorted(FUSED_CELLS))
def test_cudnn_equals_the_loop_values_and_gradients(cell, dtype, close):
    torch.manual_seed(0)
    model = SequenceClassifier(cell, 10, 64, 10, num_layers=2, runs=1).to("cuda", dtype)
    x = torch.randint(0, 10, (1, 32, 20), device="cuda")
    model.rnn.set_kernel("seqgraph")
    y_loop, g_loop = values_and_grads(model, x)
    model.rnn.set_kernel("fused")
    assert model.rnn.path(x.movedim(-1, 0)) == "fused"
    y_fused, g_fused = values_and_grads(model, x)
    close(y_fused, y_loop, f"{cell}: logits")
    for i, (a, b) in enumerate(zip(g_fused, g_loop, strict=True)):
        close(a, b, f"{cell}: gradient {i}")


@pytest.mark.parametrize("cell", sorted(FUSED_CELLS))
def test_cudnn_from_a_given_state_equals_the_loop(cell, close):
    torch.manual_seed(1)
    stack = RecurrentStack(cell, 6, 16, num_layers=3).cuda().double()
    x = torch.randn(9, 4, 6, dtype=torch.float64, device="cuda")
    n = 2 if cell == "lstm" else 1
    hx = [tuple(torch.randn(4, 16, dtype=torch.float64, device="cuda") for _ in range(n)) for _ in range(3)]
    out_loop, s_loop = stack(x, hx)
    stack.set_kernel("fused")
    out_fused, s_fused = stack(x, hx)
    close(out_fused, out_loop, f"{cell}: output")
    for layer, (a, b) in enumerate(zip(s_fused, s_loop, strict=True)):
        for u, v in zip(a, b, strict=True):
            close(u, v, f"{cell}: final state of layer {layer}")


def test_char_model_dropout_draws_the_same_masks_on_cudnn_and_the_loop(close):
    """The character model trains on cuDNN on a GPU (kernel auto): with dropout between layers and
    before the head its numbers must be the loop's."""
    x = torch.randint(0, 9, (4, 6), device="cuda")
    outs = []
    for kernel in ("seqgraph", "fused"):
        torch.manual_seed(4)
        model = CharLM(9, hidden=16, layers=2, dropout=0.3, kernel=kernel).cuda().double().train()
        torch.manual_seed(5)
        outs.append(model(x)[0])
    close(outs[1], outs[0], "logits")


def test_auto_takes_cudnn_for_one_model_and_the_loop_for_batchable_runs():
    x = torch.zeros(5, 64, 3, device="cuda")
    assert RecurrentStack("lstm", 3, 4, kernel="auto").cuda().path(x) == "fused"
    runs = torch.zeros(5, 2, 64, 3, device="cuda")  # (T, K, B, I)
    assert RecurrentStack("lstm", 3, 4, runs=2, kernel="auto").cuda().path(runs) == "seqgraph"
    assert EXPERIMENT.run_kernel(PalindromeRun(model="lstm"), torch.device("cuda")) == "seqgraph"
    assert EXPERIMENT.stackable(PalindromeRun(model="lstm"), "cuda")


# --- the modern cells' two training paths -----------------------------------------------------

def test_cuda_tensors_take_the_parallel_form():
    assert scan_method(torch.zeros(1, device="cuda")) == "parallel"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("runs", [None, 2])
@pytest.mark.parametrize("name", SCAN_CELLS)
def test_parallel_form_equals_the_sequential_loop_on_cuda(name, runs, dtype, close):
    """Outputs, final states and the gradients of input, initial state and every parameter; with K
    runs also each run read at its own step. The default on CUDA is the parallel form, exactly."""
    torch.manual_seed(12)
    cell = cell_class(name)(5, 16, runs=runs).to("cuda", dtype)
    lead = () if runs is None else (runs,)
    x = torch.randn(40, *lead, 8, 5, dtype=dtype, device="cuda", requires_grad=True)
    h0 = tuple(torch.randn(*lead, 8, 16, dtype=dtype, device="cuda", requires_grad=True)
               for _ in range(cell.state_size))
    wrt = [x, *h0, *cell.parameters()]
    results = {}
    for method in ("parallel", "sequential", None):
        out, final = cell.scan(x, h0, method=method)
        loss = (out * torch.linspace(-1, 1, out.numel(), dtype=dtype, device="cuda").view_as(out)).sum()
        loss = loss + sum(f.square().sum() for f in final)
        if runs is not None:
            _, read = cell.scan(x, h0, outputs=False, final_at=torch.tensor([39, 17], device="cuda"), method=method)
            loss = loss + sum(r.sin().sum() for r in read)
        results[method] = (out, *final, *torch.autograd.grad(loss, wrt, allow_unused=True))
    for i, (a, b) in enumerate(zip(results["parallel"], results["sequential"], strict=True)):
        if a is None or b is None:  # the LRU's first state component, y, is an output, not recurred on
            assert a is None and b is None
            continue
        close(a, b, f"{name}: result {i}")
    forward = 1 + cell.state_size  # the default's forward is the parallel form's, op for op
    for a, b in zip(results[None][:forward], results["parallel"][:forward], strict=True):
        assert torch.equal(a, b)


def test_both_linear_scans_equal_the_recurrence_written_out_on_cuda(close):
    torch.manual_seed(0)
    T, B, H = 50, 3, 4
    log_a = -torch.rand(T, B, H, dtype=torch.float64, device="cuda") * 3
    log_b = torch.randn(T, B, H, dtype=torch.float64, device="cuda")
    h = h0 = torch.randn(B, H, dtype=torch.float64, device="cuda")
    want = []
    for a_t, b_t in zip(log_a.exp(), log_b.exp(), strict=True):
        h = a_t * h + b_t
        want.append(h)
    close(log_space_scan(log_a, log_b, h0), torch.stack(want), "log-space scan")
    p = torch.cat([log_a, log_b], -1)

    def coefficients(p):
        la, lb = p.chunk(2, -1)
        return la.exp(), lb.exp()

    def coefficient_grads(p, d_a, d_b, out):
        a, b = coefficients(p)
        out.copy_(torch.cat([d_a * a, d_b * b], -1))

    close(fused_scan(p, h0, coefficients, coefficient_grads), torch.stack(want), "fused loop")

