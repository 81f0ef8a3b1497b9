"""Graphs: the :class:`Graph` type (``graph``), reading the formats users bring (``readers``;
the fast integer parser of big edge lists in ``intparse``), the files the gcn commands write
(``io``) and one GCN/GAT layer on a graph (``layer``). Importing this package imports numpy,
never torch or pandas."""

from seqgraph.graphs.graph import Graph, karate_club, load_features, node_labels
from seqgraph.graphs.readers import FORMATS, load_graph

__all__ = ["FORMATS", "Graph", "karate_club", "load_features", "load_graph", "node_labels"]
