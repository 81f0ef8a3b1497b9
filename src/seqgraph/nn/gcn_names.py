"""The names the GCN code takes: normalisations of ``gcn_norm`` and activations of ``GCNLayer``.
No torch here, so help text and shell completion (``seqgraph gcn --help``) stay instant."""

VARIANTS = ("sym", "rw")  # D̃^-1/2 Ã D̃^-1/2 (Kipf & Welling) | D̃^-1 Ã (random walk)
ACTIVATIONS = ("relu", "tanh", "none")  # σ of GCNLayer
