"""Every registered cell on CUDA computes what it computes on the CPU: outputs and every gradient, one
model and K runs stacked as one model (runs of different lengths, each read at its own last step)."""

import copy

import pytest
import torch

from seqgraph.nn.models import SequenceClassifier
from seqgraph.nn.registry import cell_names, unidirectional_cells

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

B, T, H = 16, 12, 32


def forward_backward(model, x, final_at, device):
    model.zero_grad()
    out = model(x.to(device), None if final_at is None else final_at.to(device))
    weights = torch.linspace(-1, 1, out.numel(), device=device, dtype=out.dtype).view_as(out)
    ((out * weights).sum() + out.square().mean()).backward()
    return out.detach(), {n: p.grad.detach() for n, p in model.named_parameters()}


@pytest.mark.parametrize("runs", [None, 3])
@pytest.mark.parametrize("name", cell_names())
def test_every_cell_on_cuda_equals_the_cpu(name, runs, close):
    """One model reading every step (two layers), or three stacked runs of lengths 12, 5 and 8
    read at their own last step: logits and the gradient of every parameter, float32 (the
    modern cells take their parallel form on CUDA, their fused loop on the CPU)."""
    torch.manual_seed(0)
    cpu = SequenceClassifier(name, 10, H, 10, num_layers=2, runs=runs, forget_bias=1.0,
                             readout="steps" if runs is None else "last")
    gpu = copy.deepcopy(cpu).cuda()
    x = torch.randint(0, 10, (B, T) if runs is None else (runs, B, T))
    final_at = None if runs is None else torch.tensor([11, 4, 7])
    out_cpu, grads_cpu = forward_backward(cpu, x, final_at, "cpu")
    out_gpu, grads_gpu = forward_backward(gpu, x, final_at, "cuda")
    assert out_gpu.is_cuda
    close(out_gpu, out_cpu, f"{name}: logits")
    for pname, g in grads_cpu.items():
        close(grads_gpu[pname], g, f"{name}: ∂{pname}")


@pytest.mark.parametrize("name", unidirectional_cells())
def test_every_cell_scan_from_a_given_state_on_cuda_equals_the_cpu(name, close):
    """A cell's own scan over float inputs from a random initial state: outputs, final state and the
    gradients of input and initial state."""
    torch.manual_seed(1)
    cell = SequenceClassifier(name, 5, H, 2).rnn.cells[0]
    results = []
    x0 = torch.randn(T, B, 5)
    h0 = [torch.randn(B, H) for _ in range(cell.state_size)]
    for device in ("cpu", "cuda"):
        c = copy.deepcopy(cell).to(device)
        x = x0.to(device).requires_grad_()
        h = [s.to(device).requires_grad_() for s in h0]
        out, final = c.scan(x, tuple(h))
        weights = torch.linspace(-1, 1, out.numel(), device=device).view_as(out)
        loss = (out * weights).sum() + sum(f.square().sum() for f in final)
        results.append((out, *final, *torch.autograd.grad(loss, [x, *h], allow_unused=True)))
    for what, a, b in zip(("output", *(f"final[{i}]" for i in range(cell.state_size)), "∂x",
                           *(f"∂h0[{i}]" for i in range(cell.state_size))), results[1], results[0], strict=True):
        if a is None or b is None:  # the LRU's first state component, y, is an output, not recurred on
            assert a is None and b is None, what
            continue
        close(a, b, f"{name}: {what}")
