"""Per-run optimizers and clipping against torch.optim and clip_grad_norm_ on each run alone."""

import pytest
import torch

from seqgraph.train.optim import RunOptimizer, clip_grad_norm_per_run_

SHAPES = [(4, 5), (6,), (2, 3, 2)]


def stacked(K, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(K, *s, generator=g, dtype=torch.float64, requires_grad=True) for s in SHAPES]


def test_per_run_clipping_equals_clip_grad_norm_of_each_run_alone():
    K = 4
    grads = [torch.randn(K, *s, dtype=torch.float64) * 3 for s in SHAPES]
    max_norm = torch.tensor([0.5, 0.0, 100.0, 2.0], dtype=torch.float64)  # 0: no clipping for that run
    ours = [g.clone() for g in grads]
    norms = clip_grad_norm_per_run_(ours, max_norm)
    for k in range(K):
        params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
        for p, g in zip(params, grads, strict=True):
            p.grad = g[k].clone()
        if max_norm[k] > 0:
            ref = torch.nn.utils.clip_grad_norm_(params, float(max_norm[k]))
        else:
            ref = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in params]))
        torch.testing.assert_close(norms[k], ref)
        for p, g in zip(params, ours, strict=True):
            torch.testing.assert_close(g[k], p.grad)


@pytest.mark.parametrize("name, cls", [("rmsprop", torch.optim.RMSprop), ("adam", torch.optim.Adam),
                                       ("sgd", torch.optim.SGD)])
def test_stacked_optimizer_equals_torch_optim_on_each_run(name, cls):
    K = 3
    params = stacked(K)
    lrs = torch.tensor([1e-3, 1e-2, 0.3], dtype=torch.float64)
    alone = [[p[k].detach().clone().requires_grad_() for p in params] for k in range(K)]
    opt = RunOptimizer(name, params, lrs.clone())
    refs = [cls(alone[k], lr=float(lrs[k])) for k in range(K)]
    g = torch.Generator().manual_seed(1)
    for _ in range(6):
        grads = [torch.randn(K, *s, generator=g, dtype=torch.float64) for s in SHAPES]
        for p, gr in zip(params, grads, strict=True):
            p.grad = gr.clone()
        opt.step()
        for k in range(K):
            for q, gr in zip(alone[k], grads, strict=True):
                q.grad = gr[k].clone()
            refs[k].step()
    for k in range(K):
        for p, q in zip(params, alone[k], strict=True):
            torch.testing.assert_close(p[k], q, rtol=1e-12, atol=1e-12)


def test_reset_and_select_keep_runs_independent():
    """A slot handed to a new run starts from fresh state; dropping runs keeps the others' state."""
    params = stacked(3)
    opt = RunOptimizer("adam", params, torch.full((3,), 1e-2, dtype=torch.float64))
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step()
    opt.reset(1, lr=0.5)
    assert float(opt.steps[1]) == 0 and float(opt.lr[1]) == 0.5
    assert all(float(s[1].abs().sum()) == 0 for state in opt.state for s in state)
    index = torch.tensor([0, 2])
    kept = [p.detach()[index].requires_grad_() for p in params]
    opt.select(index, kept)
    assert opt.steps.tolist() == [1.0, 1.0] and len(opt.params) == len(SHAPES)
    assert opt.state[0][0].shape[0] == 2


def test_unknown_optimizer():
    from seqgraph.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown optimizer"):
        RunOptimizer("adagrad", stacked(1), torch.ones(1))
