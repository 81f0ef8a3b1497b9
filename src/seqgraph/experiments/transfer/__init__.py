"""The graph-transfer benchmark (``seqgraph gcn transfer``)."""
