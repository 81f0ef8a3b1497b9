"""Training pieces every experiment shares: the loop, per-run optimizers, progress events,
checkpoints."""

OPTIMIZERS = ("rmsprop", "adam", "sgd")  # seqgraph.train.loop.make_optimizer, seqgraph.train.optim.RunOptimizer
