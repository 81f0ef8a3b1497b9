"""What every command shares: error lines, JSON output."""


def test_json_output_is_standard_json_whatever_the_numbers(capsys):
    """NaN and infinities become null, also inside numpy arrays and torch tensors (an array
    went to .item() and raised), and numpy keys become plain ones."""
    import json

    import numpy as np
    import torch

    from seqgraph.cli.common import print_json

    def refuse(name):
        raise ValueError(name)

    print_json({"a": np.array([np.nan, 1.0, -np.inf]), "t": torch.tensor([[float("inf"), 2.0]]),
                "s": np.float32("nan"), np.int64(3): "k", float("nan"): [float("inf")]})
    assert json.loads(capsys.readouterr().out, parse_constant=refuse) == {
        "a": [None, 1.0, None], "t": [[None, 2.0]], "s": None, "3": "k", "nan": [None]}
