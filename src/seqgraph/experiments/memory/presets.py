"""Presets of ``seqgraph memory``: a paper's or repository's settings for a benchmark, every
value with its source (the table of docs/experiments/memory.md and ``seqgraph memory --help``
read them), and what the source does that no seqgraph setting matches (``unmatched``), said
rather than hidden. A preset is a layer of defaults: built-in defaults < preset < TOML file <
flags. No torch here.
"""

from __future__ import annotations

from seqgraph.errors import ConfigError
from seqgraph.presets import Preset

URNN = "stwisdom/urnn (27932b3)"
EXPRNN = "lezcano/expRNN 1_copying.py"
INDRNN = "batzner/indrnn examples/addition_rnn.py (2817797)"
SAFARI = "HazyResearch/safari configs"

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "urnn-copy", "the uRNN paper's copy task, LSTM (Arjovsky, Shah & Bengio 2016)",
            {"task": "copy", "length": 1000, "model": "lstm", "hidden": 68, "steps": 10000, "batch_size": 20,
             "optimizer": "rmsprop", "lr": 1e-3, "early_stop": False},
            {"task": f"{URNN} memory_problem.py (generate_data, n_sequence = 10)",
             "length": f"{URNN} run_memory_problem.sh: for t in 1000 2000 (the first)",
             "model": f"{URNN} run_memory_problem.sh: LSTM,68 (the script runs no tanh RNN)",
             "hidden": f"{URNN} run_memory_problem.sh: LSTM,68",
             "steps": f"{URNN} run_memory_problem.sh: niter=10000 (memory_problem.py's unused default: 20000)",
             "batch_size": f"{URNN} run_memory_problem.sh: batch_size=20",
             "optimizer": f"{URNN} memory_problem.py: rms_prop(learning_rate, ...)",
             "lr": f"{URNN} run_memory_problem.sh: learning_rate=0.001",
             "early_stop": f"{URNN} memory_problem.py: a fixed number of iterations"},
            {"max_norm": f"{URNN} memory_problem.py clips each gradient element to ±1 (T.clip(g, -1, 1)); seqgraph "
                         "clips the norm: its default 1 stays",
             "data": f"{URNN} memory_problem.py trains on a fixed set of 100,000 sequences (n_train=int(1e5)); "
                     "seqgraph draws a fresh batch every step",
             "init": f"{URNN} models.py's LSTM initialisation was not read: seqgraph's default stays"}),
        Preset(
            "exprnn-copy", "expRNN's copying problem, LSTM (Lezcano-Casado & Martínez-Rubio 2019)",
            {"task": "copy", "length": 1000, "model": "lstm", "hidden": 190, "steps": 4000, "batch_size": 128,
             "optimizer": "rmsprop", "lr": 2e-4, "max_norm": 0.0, "seed": 5544, "early_stop": False,
             "forget_bias": 0.0},
            {"task": f"{EXPRNN}: copying_data (K = 10, n_len = L + 2K)",
             "length": f"{EXPRNN}: --L default 1000 (README: --L 1000 and --L 2000)",
             "model": f"{EXPRNN}: -m lstm (nn.LSTMCell)",
             "hidden": f"{EXPRNN}: --hidden_size default 190 (one size for every model)",
             "steps": f"{EXPRNN}: --T default 4000 (iterations, not the delay)",
             "batch_size": f"{EXPRNN}: --batch_size default 128",
             "optimizer": f"{EXPRNN}: torch.optim.RMSprop(model.parameters(), lr=args.lr)",
             "lr": f"{EXPRNN}: --lr default 2e-4",
             "max_norm": f"{EXPRNN}: no gradient clipping",
             "seed": f"{EXPRNN}: torch.manual_seed(5544)",
             "early_stop": f"{EXPRNN}: a fixed number of iterations",
             "forget_bias": f"{EXPRNN}: nn.LSTMCell's own initialisation, no forget-gate offset"},
            {"layout": f"{EXPRNN} puts L blanks before the marker and 9 after it; seqgraph's copy (uRNN's) T − 1 "
                       "and 10: the same T + 20 steps, the marker one step earlier",
             "forget_bias": "nn.LSTMCell draws the forget-gate bias U(±1/√n); seqgraph sets it to the constant 0",
             "head": f"{EXPRNN} initialises the output layer Kaiming-normal with a zero bias; seqgraph's "
                     "init applies to every layer alike"}),
        Preset(
            "indrnn-adding", "the IndRNN example's adding problem, its LSTM line (Li et al. 2018)",
            {"task": "adding", "length": 100, "model": "lstm", "hidden": 128, "layers": 1, "steps": 20000,
             "batch_size": 50, "optimizer": "adam", "lr": 2e-4, "max_norm": 0.0, "forget_bias": 1.0},
            {"task": f"{INDRNN}: get_batch (one marker in each half, the sum of the marked values, MSE)",
             "length": f"{INDRNN}: TIME_STEPS = 100",
             "model": f"{INDRNN}: cell = tf.nn.rnn_cell.BasicLSTMCell(NUM_UNITS)  (the LSTM line)",
             "hidden": f"{INDRNN}: NUM_UNITS = 128",
             "layers": f"{INDRNN}: the LSTM line replaces the 2-layer IndRNN with one cell",
             "steps": f"{INDRNN}: 'should converge ... after 1500-20000 steps' (the script never stops)",
             "batch_size": f"{INDRNN}: BATCH_SIZE = 50",
             "optimizer": f"{INDRNN}: tf.train.AdamOptimizer", "lr": f"{INDRNN}: LEARNING_RATE_INIT = 0.0002",
             "max_norm": f"{INDRNN}: no gradient clipping",
             "forget_bias": f"{INDRNN}: BasicLSTMCell's forget_bias=1.0"},
            {"lr": f"{INDRNN} decays the learning rate ×0.1 every 20,000 steps; seqgraph keeps it constant",
             "head": f"{INDRNN} starts the output bias at 0.1"}),
        Preset(
            "safari-recall", "H3/Hyena's associative recall, vocabulary 20 (HazyResearch/safari)",
            {"task": "recall", "length": 20, "batch_size": 32, "optimizer": "adam", "lr": 5e-4, "hidden": 32,
             "layers": 2, "steps": 62800},
            {"task": f"{SAFARI}/dataset/icl_synthetics.yaml: vocab_size 20 (seqgraph's recall vocabulary)",
             "length": f"{SAFARI}/dataset/icl_synthetics.yaml: input_seq_len 40, i.e. 20 key-value pairs",
             "batch_size": f"{SAFARI}/experiment/synthetics/associative_recall/base.yaml: dataset.batch_size 32",
             "optimizer": f"{SAFARI}/pipeline/assoc_recall.yaml: adamw (weight decay: unmatched)",
             "lr": f"{SAFARI}/experiment/synthetics/associative_recall/base.yaml: lr 5e-4",
             "hidden": f"{SAFARI}/model (transformer.yaml, h3.yaml): d_model 32, taken as the hidden size",
             "layers": f"{SAFARI}/model (transformer.yaml, h3.yaml): n_layer 2",
             "steps": f"{SAFARI}/experiment/synthetics/associative_recall/base.yaml: max_epochs 400 of "
                      "num_examples 5,000 at batch 32 (157 steps each)"},
            {"optimizer": f"{SAFARI}: AdamW with weight_decay 0.1 and a linear warm-up over 10% of the steps; "
                          "seqgraph's Adam has neither",
             "data": f"{SAFARI}: a fixed set of 5,000 training sequences; seqgraph draws a fresh batch every step",
             "model": f"{SAFARI}'s models are attention and state-space layers with embedding dropout 0.1; here a "
                      "recurrent cell (--model, default lstm) reads one-hot symbols"}),
    )
}


def get_preset(name: str) -> Preset:
    """The preset ``name``; an unknown name is a ConfigError listing the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None


def check_preset_task(name: str, task: str | None) -> None:
    """A ConfigError when ``task`` (as given on the command line: a name or a comma list) is
    not the task preset ``name`` is for: its settings belong to that task."""
    want = get_preset(name).values.get("task")
    if task is None or want is None:
        return
    asked = [t.strip() for t in str(task).split(",") if t.strip()]
    if asked != [want]:
        raise ConfigError(f"preset {name} holds the settings of the {want} task, not --task {task}: "
                          f"drop --task, or give the {want} task's settings yourself")
