"""The sequence trainer's scoring, against the definitions written out in numpy."""

import numpy as np
import torch

from seqgraph.experiments.sequence import Scoring
from seqgraph.tasks.base import IGNORE
from seqgraph.tasks.registry import get_task


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_class_at_steps_loss_is_the_mean_over_labelled_steps_and_accuracy_counts_the_answers():
    task = get_task("copy")  # answers: the last 10 steps of each run
    K, B, T, C = 2, 3, 14, 9
    g = torch.Generator().manual_seed(0)
    out = torch.randn(K, B, T, C, generator=g, dtype=torch.float64)
    y = torch.randint(0, C, (K, B, T), generator=g)
    last = torch.tensor([13, 11])
    y[1, :, 12:] = IGNORE  # run 1 is two steps shorter: right padding
    y[0, 0, 2] = IGNORE  # and a step without loss inside a run
    loss, acc = Scoring(task)(out, y, last)
    o, yy = out.numpy(), y.numpy()
    for k in range(K):
        terms, hits, answers = [], 0, 0
        for b in range(B):
            for t in range(T):
                if yy[k, b, t] != IGNORE:
                    terms.append(-log_softmax(o[k, b, t])[yy[k, b, t]])
                if last[k] - 10 < t <= last[k]:
                    answers += 1
                    hits += int(o[k, b, t].argmax() == yy[k, b, t])
        assert np.isclose(float(loss[k]), np.mean(terms))
        assert np.isclose(float(acc[k]), hits / answers)


def test_class_at_last_is_cross_entropy_and_accuracy():
    out = torch.randn(2, 5, 4, dtype=torch.float64)
    y = torch.randint(0, 4, (2, 5))
    loss, acc = Scoring(get_task("recall"))(out, y, torch.tensor([9, 9]))
    ls = log_softmax(out.numpy())
    for k in range(2):
        assert np.isclose(float(loss[k]), -np.mean([ls[k, b, y[k, b]] for b in range(5)]))
        assert np.isclose(float(acc[k]), np.mean(out.numpy()[k].argmax(-1) == y.numpy()[k]))


def test_value_at_last_is_the_squared_error_and_lower_is_better():
    out = torch.randn(3, 6, 1, dtype=torch.float64)
    y = torch.rand(3, 6, dtype=torch.float64)
    s = Scoring(get_task("adding"))
    loss, mse = s(out, y, torch.tensor([4, 4, 4]))
    expect = ((out.numpy()[..., 0] - y.numpy()) ** 2).mean(1)
    assert np.allclose(loss.numpy(), expect) and np.allclose(mse.numpy(), expect)
    assert s.better(0.1, 0.2) and not s.better(0.3, 0.2) and s.better(5.0, None)
    assert Scoring(get_task("copy")).better(0.3, 0.2)
