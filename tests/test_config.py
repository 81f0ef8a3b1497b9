import pytest

from seqgraph.config import PalindromeConfig, parse_int_list, resolve
from seqgraph.errors import ConfigError


@pytest.mark.parametrize("spec, expected", [
    ("5:81:2", list(range(5, 82, 2))),
    ("5:9", [5, 6, 7, 8, 9]),
    ("5,10,20", [5, 10, 20]),
    ("7", [7]),
    ("5:5:3", [5]),
    ([3, 4], [3, 4]),
])
def test_parse_int_list(spec, expected):
    assert parse_int_list(spec, "lengths") == expected


def test_range_end_is_inclusive():
    assert parse_int_list("5:81:2", "lengths")[-1] == 81
    assert len(parse_int_list("5:81:2", "lengths")) == 39


@pytest.mark.parametrize("spec, message", [
    ("5:81:0", "step must be positive"),
    ("81:5:2", "before the start"),
    ("abc", "expected start:stop"),
    ("5:", "expected start:stop"),
    ("1:2:3:4", "expected start:stop"),
    ("", "no lengths"),
    (["a"], "expected an integer"),
])
def test_bad_int_lists(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_int_list(spec, "lengths")


def test_precedence_defaults_then_toml_then_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('steps = 77\nhidden = 32\nlengths = "5:9:2"\nmodel = ["rnn", "gru"]\n')
    cfg = resolve(PalindromeConfig, f, hidden=16, steps=None)
    assert cfg.steps == 77  # from the file
    assert cfg.hidden == 16  # the flag wins
    assert cfg.lengths == [5, 7, 9]
    assert cfg.model == ["rnn", "gru"]
    assert cfg.batch_size == PalindromeConfig().batch_size  # default


def test_toml_section_is_accepted(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[palindrome]\nsteps = 5\n")
    assert resolve(PalindromeConfig, f).steps == 5


@pytest.mark.parametrize("text, message", [
    ("stepz = 3\n", "unknown key 'stepz'"),
    ("steps = \n", "malformed TOML"),
    ('steps = "many"\n', "bad value for steps"),
    ("resume = true\n", "unknown key 'resume'"),
    ("lr = -1.0\n", "lr must be positive"),
])
def test_bad_toml(tmp_path, text, message):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        resolve(PalindromeConfig, f)


def test_missing_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        resolve(PalindromeConfig, tmp_path / "nope.toml")


@pytest.mark.parametrize("flags, message", [
    ({"model": "rnn,lstn"}, "unknown model 'lstn'"),
    ({"steps": 0}, "steps must be positive"),
    ({"batch_size": -1}, "batch-size must be positive"),
    ({"lengths": "1,5"}, "too short"),
    ({"optimizer": "adagrad"}, "unknown optimizer"),
    ({"task": "ternary"}, "unknown task"),
    ({"device": "tpu"}, "unknown device"),
])
def test_bad_flags(flags, message):
    with pytest.raises(ConfigError, match=message):
        resolve(PalindromeConfig, None, **flags)


def test_model_all():
    assert resolve(PalindromeConfig, None, model="all").model == ["rnn", "lstm", "peep", "gru", "tglstm"]
