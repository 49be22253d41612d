"""Tables and a forest plot of an experiment's comparison (``engine.experiments.comparison``; pure: no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from engine.plots.figures import LAYOUT
from engine.plots.theme import PALETTE, themed


def seeds_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per model (the baseline marked), one column per test metric: ``mean ± std [low, high]`` over seeds,
    or ``mean (1 seed: no CI)``."""
    rows = {}
    for model, entry in summary["models"].items():
        label = f"{model} (baseline)" if model == summary["baseline"] else model
        cells = {"seeds": len(entry["seeds"])}
        for name in summary["metrics"]:
            figure = entry[name]
            if figure["ci95"] is None:
                cells[name] = f"{figure['mean']:.4f} (1 seed: no CI)"
            else:
                low, high = figure["ci95"]
                cells[name] = f"{figure['mean']:.4f} ± {figure['std']:.4f} [{low:.4f}, {high:.4f}]"
        rows[label] = cells
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "model"
    return frame


def paired_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (model, metric): mean paired per-user difference, its bootstrap CI and the p-values."""
    rows = []
    for model, paired in summary["paired"].items():
        for name, figure in paired.items():
            rows.append(
                {
                    "model": model,
                    "metric": name,
                    "difference": figure["mean_difference"],
                    "CI low": figure["ci95"][0],
                    "CI high": figure["ci95"][1],
                    "p": figure["p_value"],
                    "p (Holm)": figure["p_value_holm"],
                    "users": figure["users"],
                    "seeds": figure["seeds"],
                }
            )
    return pd.DataFrame(
        rows, columns=["model", "metric", "difference", "CI low", "CI high", "p", "p (Holm)", "users", "seeds"]
    )


def forest_plot(summary: Mapping[str, Any], metric: str) -> go.Figure:
    """Each model's mean paired per-user difference from the baseline on ``metric`` with its 95% bootstrap interval,
    one row per model, against the zero line (no difference)."""
    models = list(summary["paired"])
    figures = [summary["paired"][model][metric] for model in models]
    means = [figure["mean_difference"] for figure in figures]
    figure = go.Figure(
        go.Scatter(
            x=means,
            y=models,
            mode="markers",
            name=metric,
            marker={"size": 10, "color": PALETTE[0]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [f["ci95"][1] - m for f, m in zip(figures, means, strict=True)],
                "arrayminus": [m - f["ci95"][0] for f, m in zip(figures, means, strict=True)],
            },
            hovertemplate="%{y}: %{x:+.4f}<extra></extra>",
        )
    )
    figure.add_vline(x=0, line={"color": "#888", "dash": "dash"})
    figure.update_xaxes(title=f"{metric} minus {summary['baseline']}'s, per user<br>(95% bootstrap CI)")
    figure.update_yaxes(autorange="reversed")
    title = f"Paired difference from {summary['baseline']}"
    figure.update_layout(title=title, showlegend=False, height=160 + 50 * len(models))
    return themed(figure)


def activity_frame(summary: Mapping[str, Any], metric: str) -> pd.DataFrame:
    """Per quintile of training degree: the degree range, users, each model's mean and its gap to the baseline."""
    rows = []
    for row in summary["activity"]:
        cells = {"segment": row["segment"], "training degree": f"{row['degree_min']}-{row['degree_max']}"}
        cells["users"] = row["users"]
        for model, values in row["mean"].items():
            cells[model] = values.get(metric)
        for model, values in row["difference"].items():
            cells[f"{model} - {summary['baseline']}"] = values.get(metric)
        rows.append(cells)
    return pd.DataFrame(rows)


def activity_bars(summary: Mapping[str, Any], metric: str) -> go.Figure:
    """Each model's mean paired gap to the baseline on ``metric`` per quintile of users' training degree, as grouped
    bars: do the GNNs help the sparse users?"""
    rows = summary["activity"]
    segments = [f"{row['degree_min']}-{row['degree_max']}" for row in rows]
    figure = go.Figure()
    for model in summary["paired"]:
        gaps = [row["difference"].get(model, {}).get(metric) for row in rows]
        figure.add_trace(
            go.Bar(x=segments, y=gaps, name=model, hovertemplate=f"{model}<br>%{{x}}: %{{y:+.4f}}<extra></extra>")
        )
    figure.update_xaxes(title="users' training interactions (quintiles)", type="category")
    figure.update_yaxes(title=f"{metric} minus {summary['baseline']}'s")
    title = f"Gap to {summary['baseline']} by user activity"
    figure.update_layout(title=title, barmode="group", showlegend=True, **LAYOUT)
    return themed(figure)
