"""Training engine (never imports streamlit): data, samplers, models, the training loop, runs on disk, jobs, the CLI.

The engine never imports streamlit; the dashboard uses only the names it exports.
"""

from engine.graph import CSR, ITEM, NODE_TYPES, USER, InteractionGraph, LoadReport, NodeError

__all__ = ["CSR", "ITEM", "NODE_TYPES", "USER", "InteractionGraph", "LoadReport", "NodeError"]
