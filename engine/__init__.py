"""GNN RecSys Explorer's training engine: data, samplers, models, training, metrics, run store.

The engine never imports streamlit; the dashboard uses only the names it exports.
"""

from engine.graph import CSR, ITEM, NODE_TYPES, USER, InteractionGraph, LoadReport, NodeError

__all__ = ["CSR", "ITEM", "NODE_TYPES", "USER", "InteractionGraph", "LoadReport", "NodeError"]
