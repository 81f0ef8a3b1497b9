"""Checks every registered cell must pass: the hand-written backward against gradcheck
(float64), ids against one-hot input, the no-grad path, K runs stacked as one model against K
models, the parameter count, the sampling step; and the registry against the cell classes.
A new cell gets all of them by its line in :mod:`seqgraph.nn.registry`."""

import pytest
import torch
from torch import nn

from seqgraph.analysis.params import count_params
from seqgraph.nn.cells import CourseGRUCell, GRUCell, ParallelScanCell, TimeGatedLSTMCell, time_gate
from seqgraph.nn.models import SequenceClassifier
from seqgraph.nn.registry import CELLS as REGISTRY
from seqgraph.nn.registry import cell_class, cell_names, unidirectional_cells

CELLS = {name: cell_class(name) for name in unidirectional_cells()}  # bilstm is two LSTMs: tests/nn/test_models.py

B, I, H, T = 3, 5, 4, 7


@pytest.mark.parametrize("name", sorted(CELLS))
def test_hand_written_backward_passes_gradcheck(name):
    torch.manual_seed(2)
    cell = CELLS[name](I, H)
    x = torch.randn(5, 2, I, requires_grad=True)
    h0 = tuple(torch.randn(2, H, requires_grad=True) for _ in range(cell.state_size))

    def f(x, *h):
        out, final = cell.scan(x, h)
        return (out, *final)

    assert torch.autograd.gradcheck(f, (x, *h0))
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]
    assert torch.autograd.gradcheck(lambda *ps: _scan_params(cell, ps, x.detach()), tuple(params))


def _scan_params(cell, ps, x):
    """The time loop driven with explicit parameter tensors (so gradcheck can perturb them)."""
    from seqgraph.nn.scan import scan

    names = [n for n, _ in cell.named_parameters()]
    p = dict(zip(names, ps, strict=True))
    if isinstance(cell, ParallelScanCell):  # no loop weights: the cell's own scan on the perturbed parameters
        return torch.func.functional_call(_Scanning(cell), {f"cell.{n}": v for n, v in p.items()}, (x,))
    if isinstance(cell, CourseGRUCell):  # no biases; U_h (the last H rows of weight_hh) is a step weight
        H = cell.hidden_size
        z = x.new_zeros(H, x.shape[1])
        out, _ = scan(cell, (torch.einsum("gi,tbi->tgb", p["weight_ih"], x),), p["weight_hh"][: 2 * H], None, (z,),
                      step_weights=(p["weight_hh"][2 * H :],))
        return out
    if isinstance(cell, GRUCell):
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias_ih"][:, None],)
        b_hh = p["bias_hh"]
    elif isinstance(cell, TimeGatedLSTMCell):
        k = time_gate(torch.arange(x.shape[0]), p["tau"], p["shift"], p["r_on"], cell.leak)
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias"][:, None], k.unsqueeze(-1))
        b_hh = None
    else:
        seqs = (torch.einsum("gi,tbi->tgb", p["weight_ih"], x) + p["bias"][:, None],)
        b_hh = None
    z = x.new_zeros(cell.hidden_size, x.shape[1])
    out, _ = scan(cell, seqs, p["weight_hh"], b_hh, tuple(z for _ in range(cell.state_size)))
    return out


class _Scanning(nn.Module):
    """``cell.scan(x)``'s output as a module's forward (for torch.func.functional_call)."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x):
        return self.cell.scan(x)[0]


SCAN_CELLS = sorted(n for n, c in CELLS.items() if issubclass(c, ParallelScanCell))


def test_the_parallel_scan_cells_are_registered():
    assert {"mingru", "minlstm", "lru"} <= set(SCAN_CELLS)


@pytest.mark.parametrize("runs", [None, 2])
@pytest.mark.parametrize("name", SCAN_CELLS)
def test_both_scans_equal_the_step_loop(name, runs):
    """The training paths (the parallel form, CUDA's default, and the fused time loop, the CPU's)
    against the sampling path (the sequential equations, step by step), in float64: outputs, final
    states and the gradients of input, initial state and every parameter, from a random initial
    state; with K runs also each run read at its own step."""
    torch.manual_seed(12)
    cell = CELLS[name](I, H, runs=runs).double()
    lead = () if runs is None else (runs,)
    x = torch.randn(T, *lead, B, I, dtype=torch.float64, requires_grad=True)
    h0 = tuple(torch.randn(*lead, B, H, dtype=torch.float64, requires_grad=True) for _ in range(cell.state_size))
    wrt = [x, *h0, *cell.parameters()]
    results = {}
    for method in ("steps", "parallel", "sequential"):
        out, final = cell.scan(x, h0, method=method)
        loss = (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum()
        loss = loss + sum(f.square().sum() for f in final)
        if runs is not None:
            _, read = cell.scan(x, h0, outputs=False, final_at=torch.tensor([T - 1, 2]), method=method)
            loss = loss + sum(r.sin().sum() for r in read)
        results[method] = (out, *final, *torch.autograd.grad(loss, wrt, allow_unused=True))
    for method in ("parallel", "sequential"):
        for a, b in zip(results[method], results["steps"], strict=True):
            if a is None or b is None:
                assert a is None and b is None
                continue
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("method", ["steps", "parallel", "sequential"])
@pytest.mark.parametrize("name", SCAN_CELLS)
def test_every_scan_passes_gradcheck(name, method):
    torch.manual_seed(13)
    cell = CELLS[name](I, H).double()
    x = torch.randn(4, 2, I, dtype=torch.float64, requires_grad=True)
    h0 = tuple(torch.randn(2, H, dtype=torch.float64, requires_grad=True) for _ in range(cell.state_size))

    def f(x, *h):
        out, final = cell.scan(x, h, method=method)
        return (out, *final)

    assert torch.autograd.gradcheck(f, (x, *h0))


@pytest.mark.parametrize("name", sorted(CELLS))
def test_symbol_ids_equal_one_hot_input(name):
    torch.manual_seed(4)
    cell = CELLS[name](6, H)
    tokens = torch.randint(0, 6, (T, B))
    one_hot = nn.functional.one_hot(tokens, 6).double()
    out_ids, _ = cell.scan(tokens)
    out_hot, _ = cell.scan(one_hot)
    torch.testing.assert_close(out_ids, out_hot)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_no_grad_path_equals_grad_path(name):
    torch.manual_seed(5)
    cell = CELLS[name](I, H)
    x = torch.randn(T, B, I)
    with torch.no_grad():
        a, _ = cell.scan(x)
    b, _ = cell.scan(x.requires_grad_())
    torch.testing.assert_close(a, b.detach())


# --- many runs as one model: a leading run dimension K --------------------------------------

def _stack_of(singles, layers=1, **kw):
    first = singles[0]
    stack = SequenceClassifier(kw.pop("name"), 10, first.rnn.cells[0].hidden_size, 10,
                               layers, runs=len(singles), **kw)
    stack.load_state_dict({k: torch.stack([s.state_dict()[k] for s in singles]) for k in first.state_dict()})
    return stack


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("name", cell_names())
def test_k_runs_stacked_equal_k_models_alone(name, layers):
    """Forward and every parameter gradient of K stacked runs equal K separate models, also
    when the runs have different lengths (right-padded, each read at its own last step; a
    bidirectional model reverses each run within its own length)."""
    torch.manual_seed(10)
    K, Bk, Tk = 3, 4, 6
    singles = [SequenceClassifier(name, 10, H, 10, layers, forget_bias=1.0) for _ in range(K)]
    stack = _stack_of(singles, layers, name=name)
    lengths = torch.tensor([6, 3, 5])
    x, y = torch.randint(0, 10, (K, Bk, Tk)), torch.randint(0, 10, (K, Bk))
    logits = stack(x, final_at=lengths - 1)
    nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(1).sum().backward()
    for k, single in enumerate(singles):
        alone = single(x[k, :, : lengths[k]])
        nn.functional.cross_entropy(alone, y[k]).backward()
        torch.testing.assert_close(logits[k], alone)
        for (pname, p), (_, q) in zip(single.named_parameters(), stack.named_parameters(), strict=True):
            torch.testing.assert_close(q.grad[k], p.grad, msg=f"{name}: {pname}")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_hand_written_backward_with_runs_passes_gradcheck(name):
    torch.manual_seed(11)
    cell = CELLS[name](I, H, runs=2)
    x = torch.randn(4, 2, 3, I, requires_grad=True)  # (T, K, B, I)
    h0 = tuple(torch.randn(2, 3, H, requires_grad=True) for _ in range(cell.state_size))
    final_at = torch.tensor([3, 1])

    def f(x, *h):
        out, final = cell.scan(x, h)
        _, read = cell.scan(x, h, outputs=False, final_at=final_at)
        return (out, *final, *read)

    assert torch.autograd.gradcheck(f, (x, *h0))


@pytest.mark.parametrize("name", [n for n in sorted(CELLS) if CELLS[n].step_inference is not None])
def test_step_inference_equals_the_training_step(name):
    """The sampling step (batch-major, torch.tanh, no cache) against the loop's step
    (feature-major, 2σ(2x) − 1) on the same pre-activations and state."""
    torch.manual_seed(0)
    cell = CELLS[name](4, 6).double()
    B = 3
    rec = torch.randn(B, cell.gates * 6, dtype=torch.float64)
    state = tuple(torch.randn(B, 6, dtype=torch.float64) for _ in range(cell.state_size))
    ref, _ = cell.step((rec.t().clone(),), rec.t().clone(), tuple(s.t() for s in state))
    ours = cell.step_inference(rec.clone(), state)
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b.t(), atol=1e-14, rtol=0)


@pytest.mark.parametrize("model", cell_names())
@pytest.mark.parametrize("d, n, c, layers", [(10, 128, 10, 1), (3, 7, 2, 1), (5, 16, 4, 3)])
def test_total_equals_numel_of_the_module(model, d, n, c, layers):
    pc = count_params(model, d, n, c, layers)
    module = SequenceClassifier(model, d, n, c, layers)
    assert pc.total == sum(p.numel() for p in module.parameters()) == pc.module_total
    assert sum(pc.parts.values()) == pc.total


# --- the registry -------------------------------------------------------------------------

def test_registry_lists_every_cell_class():
    """Every RecurrentCell subclass in every module of seqgraph.nn.cells is registered, under
    the module that defines it, and importable from the package (the base classes of base.py
    excepted: ParallelScanCell is a contract, not a cell)."""
    import importlib
    import inspect
    import pkgutil

    from seqgraph.nn import cells

    defined = set()
    for module in pkgutil.iter_modules(cells.__path__, cells.__name__ + "."):
        defined |= {c for _, c in inspect.getmembers(importlib.import_module(module.name), inspect.isclass)
                    if issubclass(c, cells.RecurrentCell) and c not in (cells.RecurrentCell, ParallelScanCell)}
    assert set(CELLS.values()) == defined
    for name, entry in REGISTRY.items():
        cls = cell_class(name)
        assert entry.cls == f"{cls.__module__}:{cls.__qualname__}", name
        assert getattr(cells, cls.__name__) is cls, name


def test_forget_gate_cells_are_those_with_forget_gate_rows():
    from seqgraph.nn.registry import FORGET_GATE_CELLS

    have = {n for n in unidirectional_cells() if cell_class(n)(2, 3).forget_gate_rows() is not None}
    assert set(FORGET_GATE_CELLS) == have | {n for n, e in REGISTRY.items() if e.bidirectional}


def test_unknown_cell_is_a_config_error():
    from seqgraph.errors import ConfigError
    from seqgraph.nn.models import make_cell

    with pytest.raises(ConfigError, match="unknown model 'lstn'"):
        make_cell("lstn", 3, 4)
