import pytest

from seqgraph.analysis.params import count_params
from seqgraph.errors import ConfigError
from seqgraph.nn.registry import cell_names


def test_lstm_matches_the_course_formula():
    d, n, c = 10, 128, 10
    pc = count_params("lstm", d, n, c)
    assert pc.total == 4 * (d * n + n * n + n) + n * c + c == 72458
    assert pc.formula == "4·(d·n + n·n + n) + n·c + c"
    assert pc.filled.endswith("= 72458")


# Each cell's count written out by hand from its equations (one layer, input x, n units):
# the independent reference for the formula that seqgraph derives from the classes.
BY_HAND = {
    "rnn": lambda x, n: x * n + n * n + n,  # W_hx, W_hh, b_h
    "lstm": lambda x, n: 4 * (x * n + n * n + n),  # i, f, g, o: W_·x, W_·h, b_·
    "peep": lambda x, n: 4 * (x * n + n) + 3 * n * n,  # i, f, o, c: W_·x, b_·; peepholes for i, f, o
    "gru": lambda x, n: 3 * (x * n + n * n + 2 * n),  # r, z, n: W_i·, W_h·, b_i·, b_h·
    "course-gru": lambda x, n: 3 * (x * n + n * n),  # z, r, h~: W_·x and W_·h / U_h, no biases
    "tglstm": lambda x, n: 4 * (x * n + n * n + n) + 3 * n,  # the LSTM + τ, s, r_on per unit
    "bilstm": lambda x, n: 2 * 4 * (x * n + n * n + n),  # an LSTM each way
    "mingru": lambda x, n: 2 * (x * n + n),  # z, h~: Linear_·(x) with biases; no recurrent weight
    "minlstm": lambda x, n: 3 * (x * n + n),  # f, i, h~: Linear_·(x) with biases
    "lru": lambda x, n: 2 * x * n + x * n + 2 * n * n + 3 * n,  # complex B, real D, complex C, ν, θ, γ
}
# how many n-vectors a layer hands on (to the next layer and the head): both directions' h
WIDTH = {"bilstm": 2}


def test_every_registered_cell_has_a_hand_written_count():
    assert set(BY_HAND) == set(cell_names())


@pytest.mark.parametrize("model", cell_names())
@pytest.mark.parametrize("d, n, c, layers", [(10, 128, 10, 1), (3, 7, 2, 1), (5, 16, 4, 3)])
def test_total_equals_the_count_by_hand(model, d, n, c, layers):
    w = WIDTH.get(model, 1)
    expected = BY_HAND[model](d, n) + (layers - 1) * BY_HAND[model](w * n, n) + w * n * c + c
    assert count_params(model, d, n, c, layers).total == expected


def test_course_gru_formula_has_no_bias_term():
    pc = count_params("course-gru", 10, 128, 10)
    assert pc.formula == "3·(d·n + n·n) + n·c + c"
    assert pc.parts["biases"] == 0 and pc.total == 3 * (10 * 128 + 128 * 128) + 1290


def test_breakdown_parts():
    pc = count_params("peep", 10, 8, 3)
    assert pc.parts["peepholes"] == 3 * 8 * 8
    assert pc.parts["recurrent weights"] == 0
    assert pc.parts["output layer"] == 8 * 3 + 3
    rnn = count_params("rnn", 10, 8, 3)
    assert rnn.parts == {"input weights": 80, "recurrent weights": 64, "peepholes": 0, "biases": 8,
                         "time gate (τ, s, r_on)": 0, "output weights (C)": 0,
                         "output layer": 27}


@pytest.mark.parametrize("args", [("lstm", 0, 5), ("lstm", 5, -1), ("lstn", 5, 5)])
def test_bad_sizes(args):
    with pytest.raises(ConfigError):
        count_params(*args)


def test_time_gated_lstm_adds_three_parameters_per_unit():
    pc = count_params("tglstm", 10, 8, 3)
    assert pc.total == count_params("lstm", 10, 8, 3).total + 3 * 8
    assert pc.formula == "4·(d·n + n·n + n) + 3·n + n·c + c"


@pytest.mark.parametrize("d, n, c, layers", [(10, 128, 10, 1), (3, 7, 2, 1), (5, 16, 4, 3)])
def test_bilstm_count_equals_torch_bidirectional_lstm_less_its_second_biases(d, n, c, layers):
    from torch import nn

    ref = nn.LSTM(d, n, num_layers=layers, bidirectional=True)  # bias_ih and bias_hh per gate; we hold one
    expected = sum(p.numel() for p in ref.parameters()) - 2 * layers * 4 * n + 2 * n * c + c
    pc = count_params("bilstm", d, n, c, layers)
    assert pc.total == expected == pc.module_total
    assert pc.formula == ("2·4·(d·n + n·n + n) + 2·n·c + c" if layers == 1 else
                          "2·4·(d·n + n·n + n) + (L−1)·[2·4·(2·n·n + n·n + n)] + 2·n·c + c")


@pytest.mark.parametrize("model, n", [("lstm", 2147483647), ("lstm", 1600000000), ("gru", 1000000000),
                                      ("bilstm", 2147483647)])
def test_sizes_too_large_for_torch_to_lay_out_are_counted_by_formula(model, n):
    """The meta device refuses a weight whose size in bytes overflows int64 ("Storage size
    calculation overflowed"): the count is the closed formula's, checked at small sizes."""
    pc = count_params(model, 10, n, 10)
    assert pc.total == BY_HAND[model](10, n) + WIDTH.get(model, 1) * n * 10 + 10
    assert pc.module_total is None and pc.checked_at == {"d": 5, "n": 7, "c": 3, "layers": 1}
    assert pc.as_dict()["module_total"] is None


def test_the_cli_counts_the_largest_sizes_it_allows():
    from typer.testing import CliRunner

    from seqgraph.cli import app

    for args in (["--d", "10", "--n", "2147483647"], ["--model", "gru", "--n", "1000000000"]):
        r = CliRunner().invoke(app, ["params", *args])
        assert r.exit_code == 0 and "too large for torch to lay out" in r.stdout, r.output
