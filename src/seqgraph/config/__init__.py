"""Configuration only: the values users type (:mod:`.parse`), TOML files and the precedence
defaults < TOML file < flags (:mod:`.toml`), and the limits every setting shares
(:mod:`.limits`).

Nothing here knows an experiment, a task or a cell: run specs live with their experiments
(:mod:`seqgraph.experiments`), the sweep grid and run ids with the engine
(:mod:`seqgraph.sweep`), single analyses' configs beside their analysis.
"""

from seqgraph.config.limits import (
    DEVICES,
    MAX_LAYERS,
    MAX_POINTS,
    MAX_RUNS,
    SIZE_LIMIT,
    check_choice,
    check_device,
    check_layers,
    check_memory,
    check_positive,
    check_seed,
)
from seqgraph.config.parse import (
    check_utf8,
    parse_bool_list,
    parse_float_list,
    parse_int_list,
    parse_name_list,
)
from seqgraph.config.toml import (
    SECTIONS,
    Settings,
    coerce,
    read_toml,
    resolve,
    to_dict,
    toml_data,
    toml_keys,
    write_toml,
)

__all__ = [
    "DEVICES", "MAX_LAYERS", "MAX_POINTS", "MAX_RUNS", "SECTIONS", "SIZE_LIMIT", "Settings", "check_choice",
    "check_device", "check_layers", "check_memory", "check_positive", "check_seed", "check_utf8", "coerce",
    "parse_bool_list", "parse_float_list", "parse_int_list", "parse_name_list", "read_toml", "resolve",
    "to_dict", "toml_data", "toml_keys", "write_toml",
]
