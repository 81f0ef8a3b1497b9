"""The search space: ranges, choices and fixed values, parsed and checked as the sweep checks them."""

import math

import optuna
import pytest

from seqgraph.errors import ConfigError
from seqgraph.experiments.palindrome.spec import PalindromeRun
from seqgraph.search.space import Dimension, base_settings, check_space, parse_range, split_space


def test_ranges_parse_to_their_distribution():
    lr = parse_range(PalindromeRun, "lr", "1e-4..1e-1:log")
    assert (lr.kind, lr.low, lr.high, lr.log, lr.step) == ("float", 1e-4, 1e-1, True, None)
    hidden = parse_range(PalindromeRun, "hidden", "32..256:32")
    assert (hidden.kind, hidden.low, hidden.high, hidden.step) == ("int", 32, 256, 32)
    assert parse_range(PalindromeRun, "max_norm", "0..10").text() == "0..10"
    assert lr.text() == "0.0001..0.1:log" and hidden.text() == "32..256:32"


@pytest.mark.parametrize(("field", "text", "fragment"), [
    ("lr", "1e-1..1e-4", "inverted"),
    ("lr", "0.01..0.01", "empty"),
    ("lr", "0..1e-1:log", "log range needs both ends > 0"),
    ("lr", "-1..1e-1:log", "log range needs both ends > 0"),
    ("hidden", "8..100:16", "not a whole number of steps"),
    ("hidden", "8..64:0", "step must be > 0"),
    ("hidden", "8.5..64", "not a whole number"),
    ("lr", "a..1", "is not a number"),
    ("lr", "1e-3..1e-1:lin", "is not a number"),
    ("model", "rnn..lstm", "is not a number"),
    ("lr", "1e-3..inf", "finite"),
])
def test_bad_ranges_are_refused(field, text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_range(PalindromeRun, field, text)


def test_flags_split_into_fixed_values_choices_and_ranges():
    fixed, dims = split_space(PalindromeRun, {"model": "lstm,gru", "lengths": "20", "lr": "1e-4..1e-1:log",
                                              "hidden": "64,128,256", "out": "x"})
    assert fixed == {"lengths": "20", "out": "x"}
    by = {d.field: d for d in dims}
    assert by["model"] == Dimension("model", "model", "choice", choices=("lstm", "gru"))
    assert by["hidden"].choices == (64, 128, 256)
    assert by["lr"].log


@pytest.mark.parametrize("seeds", ["1,2", "1..5"])
def test_a_trial_is_one_seed(seeds):
    with pytest.raises(ConfigError, match="one seed"):
        split_space(PalindromeRun, {"seeds": seeds})


def test_a_setting_left_at_a_default_of_several_values_is_refused_but_the_seed():
    axes = {f: [v] for f, v in vars(PalindromeRun()).items()} | {"length": [5, 15], "seed": [1, 2, 3]}
    with pytest.raises(ConfigError, match="--lengths: its default is several values"):
        base_settings(PalindromeRun, axes, [])
    base = base_settings(PalindromeRun, axes | {"length": [5]}, [])
    assert base["seed"] == 1 and base["length"] == 5


def test_range_ends_are_checked_as_run_settings():
    base = vars(PalindromeRun())
    with pytest.raises(ConfigError, match=r"hidden 0\.\.8"):
        check_space(PalindromeRun, base, [parse_range(PalindromeRun, "hidden", "0..8")])
    check_space(PalindromeRun, base, [parse_range(PalindromeRun, "hidden", "1..8")])


def test_suggested_values_lie_in_the_space():
    dims = [parse_range(PalindromeRun, "lr", "1e-4..1e-1:log"), parse_range(PalindromeRun, "hidden", "32..256:32"),
            Dimension("model", "model", "choice", choices=("lstm", "gru"))]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(40):
        t = study.ask()
        lr, hidden, model = (d.suggest(t) for d in dims)
        assert 1e-4 <= lr <= 1e-1 and hidden in range(32, 257, 32) and model in ("lstm", "gru")
        study.tell(t, 0.0)
    lrs = [t.params["lr"] for t in study.trials]
    assert min(lrs) < 1e-3 < max(lrs) and not math.isclose(min(lrs), max(lrs))  # log-uniform: decades covered
    assert optuna.trial.FixedTrial({"lr": 0.01}).suggest_float("lr", 1e-4, 1e-1, log=True) == 0.01
