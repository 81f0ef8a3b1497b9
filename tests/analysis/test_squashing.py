"""GCN sensitivity against finite differences, its closed form without activation, and its bound."""

import numpy as np
import pytest

from seqgraph.analysis.smoothing import random_features
from seqgraph.analysis.squashing import jacobian, propagation_weights, sensitivity
from seqgraph.graphs import load_graph
from seqgraph.nn.gcn import gcn_norm


def forward(A, X, Ws, relu=True):
    H = X
    for W in Ws:
        H = A @ H @ W
        H = np.maximum(H, 0) if relu else H
    return H


def test_jacobian_matches_finite_differences():
    g = load_graph("karate")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((g.num_nodes, 3))
    Ws = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    A = gcn_norm(g).A_hat.toarray()
    u, v = 0, 5
    J = jacobian(g, X, Ws, u, v)
    eps = 1e-6
    fd = np.zeros_like(J)
    for f in range(3):
        Xp, Xm = X.copy(), X.copy()
        Xp[u, f] += eps
        Xm[u, f] -= eps
        fd[:, f] = (forward(A, Xp, Ws)[v] - forward(A, Xm, Ws)[v]) / (2 * eps)
    assert np.allclose(J, fd, atol=1e-6)


def test_without_activation_the_jacobian_is_the_propagation_weight_times_the_weights():
    g = load_graph("course-2020")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 3))
    Ws = [rng.standard_normal((3, 3)) for _ in range(3)]
    u, v = g.index("C"), g.index("E")
    J = jacobian(g, X, Ws, u, v, activation="none")
    A3 = np.linalg.matrix_power(gcn_norm(g).A_hat.toarray(), 3)
    assert np.allclose(J, A3[v, u] * (Ws[0] @ Ws[1] @ Ws[2]).T)
    assert propagation_weights(g, u, [3])[3][v] == pytest.approx(A3[v, u])


def test_sensitivity_is_zero_out_of_reach_and_below_its_bound():
    g = load_graph("course-2020")
    X = random_features(g, 16, seed=0)
    s = sensitivity(g, "C", "E", list(range(1, 8)), X)
    assert s.hops == 4
    assert s.resistance == pytest.approx(3.0)
    for r in s.rows:
        if r["layers"] < 4:
            assert r["sensitivity"] == 0 and r["propagation"] == 0
        else:
            assert 0 < r["sensitivity"] <= r["bound"] * (1 + 1e-12)
