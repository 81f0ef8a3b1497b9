"""``seqgraph memory``: the memory benchmarks of the research literature."""
