"""Searches over run settings with Optuna (``seqgraph search``): the space
(:mod:`~seqgraph.search.space`), pruning where runs train (:mod:`~seqgraph.search.pruning`) and
the study driven round by round on the sweep engine (:mod:`~seqgraph.search.study`)."""
