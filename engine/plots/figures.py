"""Plotly figure builders for the Data, Train and Runs pages (pure: arrays and dicts in, figures out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.plots.theme import PALETTE, themed
from engine.runs.config import METRIC_NAMES

USER_COLOUR, ITEM_COLOUR, LOSS_COLOUR = PALETTE[0], PALETTE[1], PALETTE[3]
# Margins, title and legend placement come from the theme (engine.plots.theme); only the height is the figure's.
LAYOUT = {"height": 360}
DEFAULT_CURVES = ("recall", "ndcg")
# The long-tail curve is drawn through at most this many ranks (evenly spaced, first and last kept): one point per
# item would send a million-item catalogue to the browser point by point for a curve a few hundred pixels wide.
MAX_CURVE_POINTS = 2_000
# Distinct hues, one per run: the theme's palette.
RUN_COLOURS = PALETTE


def degree_distribution(user_degree: np.ndarray, item_degree: np.ndarray) -> go.Figure:
    """How many nodes have each degree, users and items, on log–log axes (nodes of degree 0 cannot be drawn there).

    Args:
        user_degree (np.ndarray): Interactions per user, ``(U,)``.
        item_degree (np.ndarray): Interactions per item, ``(I,)``.
    """
    figure = go.Figure()
    for label, degree, colour in (("users", user_degree, USER_COLOUR), ("items", item_degree, ITEM_COLOUR)):
        values, counts = np.unique(np.asarray(degree)[np.asarray(degree) > 0], return_counts=True)
        figure.add_trace(
            go.Scatter(
                x=values,
                y=counts,
                mode="markers",
                name=label,
                marker={"color": colour, "size": 6, "opacity": 0.75},
                hovertemplate=f"degree %{{x}}<br>%{{y}} {label}<extra></extra>",
            )
        )
    figure.update_xaxes(type="log", title="degree (interactions)")
    figure.update_yaxes(type="log", title="number of nodes")
    figure.update_layout(title=_title("Degree distribution"), **LAYOUT)
    return themed(figure)


def popularity_long_tail(item_degree: np.ndarray, head_share: float = 0.2) -> go.Figure:
    """Item interactions against popularity rank (log y), with the share of interactions the head holds.

    The curve is non-increasing, so above :data:`MAX_CURVE_POINTS` items it is drawn through that many evenly spaced
    ranks (the first and the last included); the head's share is computed from every item.

    Args:
        item_degree (np.ndarray): Interactions per item, ``(I,)``.
        head_share (float): Fraction of the catalogue counted as the head. (default: ``0.2``)
    """
    ranked = np.sort(np.asarray(item_degree))[::-1]  # (I,)
    total = max(int(ranked.sum()), 1)
    head = max(int(round(head_share * len(ranked))), 1) if len(ranked) else 0
    head_fraction = ranked[:head].sum() / total
    ranks = np.arange(1, len(ranked) + 1)
    if len(ranked) > MAX_CURVE_POINTS:
        ranks = np.unique(np.round(np.linspace(1, len(ranked), MAX_CURVE_POINTS)).astype(np.int64))
    ranked = ranked[ranks - 1]
    figure = go.Figure(
        go.Scatter(
            x=ranks,
            y=np.where(ranked > 0, ranked, np.nan),
            mode="lines",
            fill="tozeroy",
            line={"color": ITEM_COLOUR},
            name="items",
            hovertemplate="rank %{x}<br>%{y} interactions<extra></extra>",
        )
    )
    if head:
        figure.add_vline(x=head, line_dash="dot", line_color="grey")
        figure.add_annotation(
            x=head,
            y=1,
            yref="paper",
            text=f"top {head_share:.0%} of items: {head_fraction:.0%} of interactions",
            showarrow=False,
            xanchor="left",
            yanchor="top",
        )
    figure.update_xaxes(title="item popularity rank")
    figure.update_yaxes(type="log", title="interactions")
    figure.update_layout(title=_title("Item popularity long tail"), **LAYOUT)
    return themed(figure)


def metric_keys(metrics: Sequence[Mapping]) -> list[str]:
    """Evaluation metric names present in a run's epoch records (``recall@20``, ``ndcg@20``, ``mrr`` …), sorted.

    Only ``<metric>`` and ``<metric>@<K>`` keys count, so nothing else from a run directory reaches a figure label.
    """
    keys = {key for record in metrics for key, value in record.items() if _is_metric_key(key) and _is_number(value)}
    return sorted(keys, key=lambda key: (key.split("@")[0], _cutoff(key)))


def loss_curve(metrics: Sequence[Mapping]) -> go.Figure:
    """Training loss per epoch of one run."""
    points = [(record["epoch"], record["loss"]) for record in metrics if _is_number(record.get("loss"))]
    figure = go.Figure(
        go.Scatter(
            x=[epoch for epoch, _ in points],
            y=[loss for _, loss in points],
            mode="lines+markers",
            name="loss",
            line={"color": LOSS_COLOUR},
        )
    )
    _epoch_axis(figure, metrics)
    figure.update_yaxes(title="training loss")
    figure.update_layout(title=_title("Loss"), showlegend=False, **LAYOUT)
    return themed(figure)


def metric_curves(metrics: Sequence[Mapping], keys: Sequence[str] | None = None) -> go.Figure:
    """Evaluation metrics per evaluated epoch of one run, one line per metric.

    Args:
        metrics (Sequence[Mapping]): The run's metrics records (``RunInfo.metrics``).
        keys (Sequence[str], optional): Metrics to draw. (default: :func:`default_curves`)
    """
    figure = go.Figure()
    for key in default_curves(metrics) if keys is None else keys:
        points = [(record["epoch"], record[key]) for record in metrics if _is_number(record.get(key))]
        figure.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=key))
    _epoch_axis(figure, metrics)
    split = curve_split(metrics)
    figure.update_yaxes(title=f"{split or 'evaluation'} metric", rangemode="tozero")
    title = {"validation": "Metrics on the validation split", "test": "Metrics on the test split (test-selected run)"}
    figure.update_layout(title=_title(title.get(split, "Metrics")), showlegend=True, **LAYOUT)
    return themed(figure)


def curve_split(metrics: Sequence[Mapping]) -> str | None:
    """``validation`` or ``test``: the split a run's epoch metrics were computed on (its records' ``split``)."""
    splits = {record.get("split") for record in metrics if record.get("split") in ("val", "test")}
    if splits == {"val"}:
        return "validation"
    return "test" if splits == {"test"} else None


def overlay_curves(
    runs: Mapping[str, Sequence[Mapping]],
    metric: str,
    *,
    labels: Mapping[str, str] | None = None,
    loss_kinds: Mapping[str, str] | None = None,
) -> go.Figure:
    """One metric (or ``loss``) of several runs, one line per run, each run in its own distinct colour.

    Losses of different kinds (BPR, PinSage's max-margin) differ in scale, so with ``loss_kinds`` the loss of each
    kind gets its own panel and y axis, titled with the kind.

    Args:
        runs (Mapping[str, Sequence[Mapping]]): Run id -> its metrics records (``RunInfo.metrics``).
        metric (str): Key to draw, e.g. ``"ndcg@20"`` or ``"loss"``.
        labels (Mapping[str, str], optional): Run id -> legend label; hover shows the full id. (default: the id)
        loss_kinds (Mapping[str, str], optional): Run id -> loss kind (``Recommender.loss_kind``). (default: one kind)
    """
    kinds = [None]
    if metric == "loss" and loss_kinds:
        kinds = list(dict.fromkeys(loss_kinds.get(run_id, "unknown") for run_id in runs))
    figure = make_subplots(
        rows=len(kinds),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
    )
    for index, (run_id, metrics) in enumerate(runs.items()):
        label = (labels or {}).get(run_id, run_id)
        row = kinds.index(loss_kinds.get(run_id, "unknown")) + 1 if kinds != [None] else 1
        points = [(record["epoch"], record[metric]) for record in metrics if _is_number(record.get(metric))]
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="lines+markers",
                name=label,
                line={"color": RUN_COLOURS[index % len(RUN_COLOURS)]},
                hovertemplate=f"{run_id}<br>epoch %{{x}}<br>{metric} %{{y:.4f}}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    for row, kind in enumerate(kinds, start=1):
        figure.update_yaxes(title=f"{kind} loss" if kind else metric, row=row, col=1)
    _epoch_axis(figure, [record for records in runs.values() for record in records])
    figure.update_xaxes(title=None)
    figure.update_xaxes(title="epoch", row=len(kinds), col=1)
    title = "loss by epoch, one panel per loss kind" if len(kinds) > 1 else f"{metric} by epoch"
    height = 440 if len(kinds) == 1 else 300 * len(kinds) + 80
    figure.update_layout(title=_title(title), showlegend=True, height=height)
    return themed(figure)


def default_curves(metrics: Sequence[Mapping]) -> list[str]:
    """Recall@K and NDCG@K at every K the run reports (the curves most people read first)."""
    return [key for key in metric_keys(metrics) if key.split("@")[0] in DEFAULT_CURVES]


def _title(text: str) -> dict:
    return {"text": text}  # placed by the theme


def _epoch_axis(figure: go.Figure, metrics: Sequence[Mapping]) -> None:
    """Epochs are whole numbers: integer ticks, one per epoch while there are few."""
    last = max((record["epoch"] for record in metrics if _is_number(record.get("epoch"))), default=1)
    figure.update_xaxes(title="epoch", rangemode="tozero", tickformat="d", dtick=1 if last <= 12 else None)


def _is_metric_key(key: str) -> bool:
    name, at, k = key.partition("@")
    return name in METRIC_NAMES and (not at or k.isdigit())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _cutoff(key: str) -> int:
    _, _, k = key.partition("@")
    return int(k) if k.isdigit() else 0
