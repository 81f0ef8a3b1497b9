import pytest

from seqgraph.config import parse_float_list, parse_int_list
from seqgraph.errors import ConfigError
from seqgraph.experiments.charlm.spec import CharLMRun, TrainOptions
from seqgraph.experiments.palindrome.spec import PalindromeOptions, PalindromeRun
from seqgraph.nn.registry import cell_names
from seqgraph.sweep.grid import default_text, resolve_sweep
from seqgraph.sweep.spec import run_id


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


def test_parse_float_list():
    assert parse_float_list("1e-3, 1e-2", "lr") == [1e-3, 1e-2]
    assert parse_float_list([1, 0.5], "lr") == [1.0, 0.5]
    with pytest.raises(ConfigError, match="bad lr 'fast'"):
        parse_float_list("1e-3,fast", "lr")


def sweep(toml=None, **flags):
    return resolve_sweep(PalindromeRun, PalindromeOptions, toml, **flags)


def test_precedence_defaults_then_toml_then_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('steps = 77\nhidden = 32\nlengths = "5:9:2"\nmodel = ["rnn", "gru"]\nout = "elsewhere"\n')
    s = sweep(f, hidden="16")
    assert s.axes["steps"] == [77]  # from the file
    assert s.axes["hidden"] == [16]  # the flag wins
    assert s.axes["length"] == [5, 7, 9]
    assert s.axes["model"] == ["rnn", "gru"]
    assert s.axes["batch_size"] == [PalindromeRun().batch_size]  # default
    assert s.options.out == "elsewhere"


def test_every_setting_given_as_a_list_is_an_axis():
    s = sweep(model="rnn,lstm", lengths="5:9:4", lr="1e-3,1e-2", hidden="64,128", optimizer="sgd,rmsprop,adam",
              seeds="1,2,3")
    runs = s.runs()
    assert len(runs) == 2 * 2 * 2 * 2 * 3 * 3
    assert len({run_id(r) for r in runs}) == len(runs)
    assert set(s.varying()) == {"model", "length", "seed", "hidden", "optimizer", "lr"}
    # outer axes first (length, then model), seeds innermost
    assert [r.seed for r in runs[:3]] == [1, 2, 3]
    assert runs[0].length == 5 and runs[-1].length == 9


def test_defaults_of_the_sweep():
    s = sweep()
    assert len(s.runs()) == 2 * 5 * 3
    assert [(r.model, r.length, r.seed) for r in s.runs()][:4] == [("rnn", 5, 1), ("rnn", 5, 2), ("rnn", 5, 3),
                                                                   ("lstm", 5, 1)]
    assert default_text(PalindromeRun, "seed") == "1,2,3"
    assert default_text(PalindromeRun, "length") == "5,10,15,20,25"
    assert default_text(PalindromeRun, "lr") == "0.001"


def test_toml_lists_and_section(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[palindrome]\nsteps = 5\nlr = [1e-3, 1e-2]\nearly_stop = [true, false]\n")
    s = sweep(f)
    assert s.axes["steps"] == [5] and s.axes["lr"] == [1e-3, 1e-2] and s.axes["early_stop"] == [True, False]


def test_run_id_names_every_setting_that_defines_a_run():
    a = PalindromeRun(model="lstm", length=10, seed=1)
    assert run_id(a) == run_id(PalindromeRun(model="lstm", length=10, seed=1))
    assert run_id(a) != run_id(PalindromeRun(model="lstm", length=10, seed=1, lr=2e-3))
    # a text-model run continued with more steps is the same run
    assert run_id(CharLMRun(steps=10)) == run_id(CharLMRun(steps=20))
    assert run_id(CharLMRun(lr=1e-3)) != run_id(CharLMRun(lr=2e-3))


def test_settings_added_later_change_no_earlier_run_id():
    # the ids these runs had before t0 was a setting (seqgraph at 9edc4cd)
    assert run_id(PalindromeRun()) == "900172faebe2"
    assert run_id(PalindromeRun(model="tglstm", length=7, seed=3)) == "29c62cf9b2cf"
    assert run_id(PalindromeRun(model="tglstm", length=7, seed=3, t0=0)) == "29c62cf9b2cf"
    assert run_id(PalindromeRun(model="tglstm", length=7, seed=3, t0=1)) != "29c62cf9b2cf"


@pytest.mark.parametrize("text, message", [
    ("stepz = 3\n", "unknown key 'stepz'"),
    ("steps = \n", "malformed TOML"),
    ('steps = "many"\n', "bad steps 'many'"),
    ("resume = true\n", "unknown key 'resume'"),
    ("lr = -1.0\n", "lr must be positive"),
])
def test_bad_toml(tmp_path, text, message):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        sweep(f)


def test_missing_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        sweep(tmp_path / "nope.toml")


@pytest.mark.parametrize("flags, message", [
    ({"model": "rnn,lstn"}, "unknown model 'lstn'"),
    ({"steps": "0"}, "steps must be positive"),
    ({"batch_size": "-1"}, "batch-size must be positive"),
    ({"lengths": "1,5"}, "too short"),
    ({"optimizer": "adagrad"}, "unknown optimizer"),
    ({"task": "ternary"}, "unknown task"),
    ({"device": "tpu"}, "unknown device"),
    ({"executor": "slurm"}, "unknown executor 'slurm'"),
    ({"lr": "1e-3,-1"}, "lr must be positive"),
    ({"t0": "2"}, "t0 must be 0 or 1"),
    ({"seeds": "-1"}, "seeds must be in"),
    ({"resume": True, "overwrite": True}, "contradict"),
])
def test_bad_flags(flags, message):
    with pytest.raises(ConfigError, match=message):
        sweep(**flags)


def test_model_all():
    assert sweep(model="all").axes["model"] == list(cell_names())


def test_text_model_sweep_and_single_run():
    s = resolve_sweep(CharLMRun, TrainOptions, None, lr="2e-4,2e-3,2e-2", seq_length="30,60", layers="1,2",
                      hidden="128,256")
    assert len(s.runs()) == 24 and s.options.out == "results/charlm"
    one = resolve_sweep(CharLMRun, TrainOptions, None, cell="gru", steps="7").single()
    assert one.cell == "gru" and one.steps == 7
    with pytest.raises(ConfigError, match="unknown cell 'lstn'"):
        resolve_sweep(CharLMRun, TrainOptions, None, cell="lstn")


# --- course presets: defaults < preset < TOML file < flags --------------------------------

def test_a_preset_sets_every_value_it_names():
    from seqgraph.presets import PRESETS

    for name, preset in PRESETS.items():
        s = sweep(preset=name)
        assert s.preset == name
        for field, value in preset.values.items():
            assert s.axes[field] == [value], (name, field)
        assert set(preset.sources) == set(preset.values), name  # every value names its source


def test_preset_2018_is_the_template_decimal_task():
    s = sweep(preset="2018")
    (run,) = [r for r in s.runs() if r.model == "rnn" and r.seed == 1]
    # train.py: --input_length 10 digits read, PalindromeDataset(input_length + 1): L = 11
    assert (run.task, run.length, run.encoding, run.num_classes()) == ("decimal", 11, "scalar", 10)
    assert (run.steps, run.early_stop, run.batch_size, run.hidden) == (10000, False, 128, 128)
    assert (run.optimizer, run.lr, run.max_norm) == ("rmsprop", 1e-3, 10.0)


def test_preset_2020_binary_has_length_many_classes():
    s = sweep(preset="2020-binary", lengths="4,8")
    runs = s.runs()
    assert {(r.length, r.num_classes()) for r in runs} == {(4, 4), (8, 8)}
    assert {(r.task, r.encoding, r.optimizer, r.batch_size, r.hidden, r.steps, r.early_stop) for r in runs} == {
        ("binary", "scalar", "adam", 256, 256, 3000, False)}


def test_preset_precedence_file_over_preset_flags_over_file(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('preset = "2019"\nsteps = 77\nhidden = 32\n')
    s = sweep(f, hidden="16")
    assert s.preset == "2019"
    assert s.axes["steps"] == [77]  # the file over the preset
    assert s.axes["hidden"] == [16]  # the flag over the file
    assert s.axes["optimizer"] == ["rmsprop"] and s.axes["early_stop"] == [False]  # the preset
    assert sweep(f, preset="2020-binary").axes["task"] == ["binary"]  # a flag's preset over the file's
    assert sweep(f, preset="2020-binary").axes["steps"] == [77]  # still under the file's values


def test_resolved_config_records_the_preset_and_reads_back(tmp_path):
    from seqgraph.config import write_toml

    s = sweep(preset="2020-binary", model="gru")
    data = s.to_dict()
    assert data["preset"] == "2020-binary"
    write_toml(tmp_path / "config.toml", data)
    again = sweep(tmp_path / "config.toml")
    assert again.preset == "2020-binary" and again.axes == s.axes
    assert "preset" not in sweep().to_dict()


def test_unknown_preset_and_bad_classes_are_config_errors():
    with pytest.raises(ConfigError, match="unknown preset '1999'"):
        sweep(preset="1999")
    with pytest.raises(ConfigError, match="too few"):
        sweep(classes="5")  # decimal labels need 10
    with pytest.raises(ConfigError, match="bad classes"):
        sweep(classes="many")
    with pytest.raises(ConfigError, match="unknown encoding"):
        sweep(encoding="embedding")
    with pytest.raises(ConfigError, match="unknown init"):
        sweep(init="xavier")


def test_new_settings_are_axes_and_define_the_run():
    s = sweep(model="rnn", lengths="12", seeds="1", encoding="onehot,scalar", init="default,kaiming-normal",
              classes="task,length,12")
    runs = s.runs()
    assert len(runs) == 2 * 2 * 3
    assert len({run_id(r) for r in runs}) == len(runs)
    assert {r.num_classes() for r in runs} == {10, 12}


def test_grads_all_means_every_cell_that_reads_forward():
    from seqgraph.analysis.settings import GradsConfig
    from seqgraph.config import resolve
    from seqgraph.nn.registry import unidirectional_cells

    cfg = resolve(GradsConfig, None, model="all", length=5, device="cpu")
    assert cfg.model == list(unidirectional_cells()) and "bilstm" not in cfg.model


def test_train_cell_all_means_every_cell_a_character_model_takes():
    from seqgraph.nn.registry import char_cells

    s = resolve_sweep(CharLMRun, TrainOptions, None, cell="all")
    assert s.axes["cell"] == list(char_cells()) and "bilstm" not in s.axes["cell"] and "torch" in s.axes["cell"]
    with pytest.raises(ConfigError, match="cell 'bilstm' reads each sequence both ways"):
        resolve_sweep(CharLMRun, TrainOptions, None, cell="gru,bilstm")


def test_every_list_of_values_counts_a_value_given_twice_once():
    from seqgraph.config import parse_bool_list, parse_float_list, parse_int_list, parse_name_list

    assert parse_int_list("3,1,3,1", "seeds") == [3, 1] and parse_int_list([2, 2], "seeds") == [2]
    assert parse_float_list("1e-3,0.001,1e-2", "lr") == [1e-3, 1e-2]
    assert parse_bool_list("true,yes,false", "learn") == [True, False]
    assert parse_name_list("lstm,rnn,LSTM", "model", ("rnn", "lstm")) == ["lstm", "rnn"]
