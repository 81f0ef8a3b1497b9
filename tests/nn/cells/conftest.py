"""Shared by the cell tests: float64 throughout, and the comparison with torch's layers."""

import pytest
import torch

from seqgraph.nn.cells import GRUCell
from seqgraph.nn.registry import cell_class

B, I, H, T = 3, 5, 4, 7


@pytest.fixture(autouse=True)
def _double_precision():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _copy_from(ours, ref, suffix=""):
    """Give ``ours`` the weights of torch's ``ref`` (layer ``suffix``, e.g. ``_l0``): the GRU
    keeps both biases, the other cells hold their sum."""
    with torch.no_grad():
        ours.weight_ih.copy_(getattr(ref, "weight_ih" + suffix))
        ours.weight_hh.copy_(getattr(ref, "weight_hh" + suffix))
        b_ih, b_hh = getattr(ref, "bias_ih" + suffix), getattr(ref, "bias_hh" + suffix)
        if isinstance(ours, GRUCell):
            ours.bias_ih.copy_(b_ih)
            ours.bias_hh.copy_(b_hh)
        else:
            ours.bias.copy_(b_ih + b_hh)


@pytest.fixture
def copy_from():
    return _copy_from


@pytest.fixture
def equals_torch_layer():
    """Check cell ``name`` over a sequence against torch's layer ``ref_cls`` with copied
    weights: outputs and the gradients of the input, initial state and parameters."""

    def check(name, ref_cls):
        torch.manual_seed(1)
        ref, ours = ref_cls(I, H), cell_class(name)(I, H)
        _copy_from(ours, ref, "_l0")
        x = torch.randn(T, B, I, requires_grad=True)
        n_state = 2 if name == "lstm" else 1
        h0 = [torch.randn(B, H, requires_grad=True) for _ in range(n_state)]
        ref_h0 = tuple(h.unsqueeze(0) for h in h0) if name == "lstm" else h0[0].unsqueeze(0)
        out_ref, _ = ref(x, ref_h0)
        out, _ = ours.scan(x, tuple(h0))
        torch.testing.assert_close(out, out_ref)
        g = torch.randn_like(out)
        wrt_ref = [x, *h0, ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0]
        wrt = [x, *h0, ours.weight_ih, ours.weight_hh, ours.bias_ih if name == "gru" else ours.bias]
        for a, b in zip(torch.autograd.grad((out_ref * g).sum(), wrt_ref),
                        torch.autograd.grad((out * g).sum(), wrt), strict=True):
            torch.testing.assert_close(b, a)

    return check
