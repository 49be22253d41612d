"""Tables of runs for the Runs page, built from ``engine.training.RunInfo`` (pure: no Streamlit)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from engine.experiments import SPLIT_FIELDS
from engine.plots.figures import metric_keys
from engine.runs.query import MISSING as NOT_SET
from engine.runs.query import flat_config, shown_value
from engine.runs.rundir import RunInfo

# Metrics where more is better. Coverage is not one: a random ranker covers the most of the catalogue.
HIGHER_IS_BETTER = ("recall", "ndcg", "precision", "hit", "mrr")
# Config fields whose values must agree for two runs' metrics to be comparable (data_dir is where the files were
# found, not which data: the same dataset read from two folders is still one dataset)
COMPARABLE_FIELDS = tuple(name for name in SPLIT_FIELDS if name != "data_dir")
# (field, how a label names it, the default a label leaves out)
SPLIT_SETTINGS = (("test_ratio", "test", 0.2), ("val_ratio", "validation", 0.1), ("min_rating", "rating ≥", None),
                  ("k_core", "k-core", 0))  # fmt: skip
# The runs table's two views (run ids, then either the metrics or the time columns), to fit a laptop screen
METRIC_COLUMNS = ("run", "model", "status", "chosen on", "best NDCG", "best Recall", "epochs")
TIME_COLUMNS = ("run", "model", "status", "K", "epochs", "seconds", "started")
LABEL_COLUMNS = ("run", "model", "status", "tags", "note")
RUN_FRAME_COLUMNS = ("run", "model", "dataset", "status", "chosen on", "best NDCG", "best Recall", "K", "epochs",
                     "seconds", "started", "tags", "note")  # fmt: skip
TEST_PREFIX = "test "  # a chosen column of a final test metric: "test ndcg@20"
TABLE_WIDTH = 800  # px: the page's width beside the sidebar on a 1280x720 screen, less the table's border
MIN_RUN_WIDTH = 160  # px: the run column never gets less; longer ids are cut and shown whole on hover
CHAR_WIDTH, CELL_PADDING = 6.5, 18  # px: a character of the table's 14-px font (on average), and around a cell's text
LEGEND_ID_CHARS = 24  # run ids longer than this get a short legend label
MISSING = "–"  # shown for a value a run does not have (Streamlit shows "None" unless told)


def headline_key(run: RunInfo, metric: str) -> str | None:
    """``metric@K`` at the run's largest K (e.g. ``ndcg@20``), or ``None`` when the run never reported it."""
    reported = metric_keys(run.metrics) + metric_keys([(run.summary or {}).get("test") or {}])
    keys = [key for key in reported if key.startswith(f"{metric}@") and key.partition("@")[2].isdigit()]
    return max(keys, key=lambda key: int(key.partition("@")[2]), default=None)


def best_value(run: RunInfo, key: str | None) -> float:
    """Best value of ``key`` over the run's evaluated epochs, NaN when none."""
    if key is None:
        return float("nan")
    values = [record[key] for record in run.metrics if isinstance(record.get(key), (int, float))]
    return float(max(values)) if values else float("nan")


def duration_seconds(run: RunInfo) -> float:
    """Wall time from start to the last status update (training time once the run has a summary)."""
    summary_seconds = (run.summary or {}).get("train_seconds")
    if isinstance(summary_seconds, (int, float)):
        return float(summary_seconds)
    started, updated = run.status.get("started_at"), run.status.get("updated_at")
    if isinstance(started, (int, float)) and isinstance(updated, (int, float)):
        return max(float(updated) - float(started), 0.0)
    return float("nan")


def state_label(run: RunInfo) -> str:
    """The run's state, with ``(damaged)`` when part of its directory could not be read."""
    return f"{run.state} (damaged)" if run.damaged else run.state


def chosen_on(run: RunInfo) -> str:
    """The split that chose the run's weights, or that its test metrics were reported by the user (a run logged
    with engine.track without a split: the engine computed none of them)."""
    if (run.summary or {}).get("test_source") == "user":
        return "metrics reported by the user"
    return "validation" if run.protocol == "validation-selected" else "test (test-selected)"


def runs_frame(runs: Sequence[RunInfo]) -> pd.DataFrame:
    """One row per run: run, model, dataset, status, the split that chose its weights, best NDCG@K and Recall@K
    (on that split), epochs, duration, start time, and the user's tags and note.

    The metric columns hold each run's values at its own largest K (column ``K``), so runs sort on one column.
    """
    rows = []
    for run in runs:
        ndcg_key, recall_key = headline_key(run, "ndcg"), headline_key(run, "recall")
        started = run.status.get("started_at")
        epochs = [record.get("epoch") for record in run.metrics if isinstance(record.get("epoch"), int)]
        rows.append(
            {
                "run": run.run_id,
                "model": run.config.get("model", "?"),
                "dataset": run.config.get("dataset", "?"),
                "status": state_label(run),
                "chosen on": chosen_on(run),
                "best NDCG": best_value(run, ndcg_key),
                "best Recall": best_value(run, recall_key),
                "K": int(ndcg_key.partition("@")[2]) if ndcg_key else None,
                "epochs": f"{max(epochs, default=0)}/{run.status.get('total_epochs') or run.config.get('epochs', '?')}",
                "seconds": round(duration_seconds(run), 1),
                "started": datetime.fromtimestamp(started) if isinstance(started, (int, float)) else pd.NaT,
                "tags": ", ".join(run.tags),
                "note": run.note,
            }
        )
    return pd.DataFrame(rows, columns=RUN_FRAME_COLUMNS)


def extra_columns(runs: Sequence[RunInfo]) -> list[str]:
    """Columns a user can add to the runs table: every config field of the runs (``params.<name>`` for a model
    parameter; ``config.<field>`` where the table already has a column of that name), then every final test metric
    (``test ndcg@20``)."""
    fields = sorted({field for run in runs for field in flat_config(run.config)})
    metrics = metric_keys([(run.summary or {}).get("test") or {} for run in runs])
    return [_config_column(field) for field in fields] + [TEST_PREFIX + key for key in metrics]


def _config_column(field: str) -> str:
    return f"config.{field}" if field in RUN_FRAME_COLUMNS else field


def with_extra_columns(table: pd.DataFrame, runs: Sequence[RunInfo], columns: Sequence[str]) -> pd.DataFrame:
    """``table`` (one row per run, as :func:`runs_frame` made it from ``runs``) with the chosen ``columns`` of
    :func:`extra_columns`: metrics as numbers, config fields as numbers when every run's value is one (NaN where a
    run lacks it), else as JSON text (``(not set)`` where a run lacks it)."""
    table = table.copy()
    by_id = {run.run_id: run for run in runs}
    ordered = [by_id[run_id] for run_id in table["run"]]
    configs = [{_config_column(field): value for field, value in flat_config(run.config).items()} for run in ordered]
    for column in columns:
        if column.startswith(TEST_PREFIX):
            key = column.removeprefix(TEST_PREFIX)
            table[column] = [_number(((run.summary or {}).get("test") or {}).get(key)) for run in ordered]
            continue
        values = [config.get(column, NOT_SET) for config in configs]
        if all(value is NOT_SET or _is_number(value) for value in values):
            table[column] = [_number(value) for value in values]
        else:
            table[column] = [shown_value(value) for value in values]
    return table


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def split_group(run: RunInfo) -> str:
    """The dataset and split a run was evaluated on, e.g. ``"synthetic"`` for the defaults, else
    ``"synthetic, temporal split, test 0.3"``: runs of different groups have metrics that cannot be compared."""
    config = run.config
    parts = [str(config.get("dataset", "?"))]
    if config.get("split") not in (None, "random"):
        parts.append(f"{config['split']} split")
    for name, words, default in SPLIT_SETTINGS:
        value = config.get(name)
        if value is not None and value != default:
            parts.append(f"{words} {value}")
    return ", ".join(parts)


def split_groups(runs: Sequence[RunInfo]) -> dict[str, str]:
    """:func:`split_group` of each run by run id, runs whose :data:`COMPARABLE_FIELDS` agree sharing one label."""
    labels: dict[tuple, str] = {}
    groups = {}
    for run in runs:
        key = tuple(repr(run.config.get(name)) for name in COMPARABLE_FIELDS)
        groups[run.run_id] = labels.setdefault(key, split_group(run))
    return groups


def column_widths(cells: Mapping[str, Sequence[str]], width: int = TABLE_WIDTH) -> dict[str, int]:
    """Pixel width of each column of a table ``width`` wide: each column but ``run`` as wide as its longest text
    (header included), ``run`` the rest (at least :data:`MIN_RUN_WIDTH`), so the table needs no horizontal scroll.

    Args:
        cells (Mapping[str, Sequence[str]]): Column -> its header and cells, as the table shows them.
        width (int): The table's width in pixels. (default: :data:`TABLE_WIDTH`)
    """
    widths = {
        column: int(CHAR_WIDTH * max(map(len, texts), default=1) + CELL_PADDING)
        for column, texts in cells.items()
        if column != "run"
    }
    if "run" in cells:
        widths["run"] = max(MIN_RUN_WIDTH, width - sum(widths.values()))
    return widths


def legend_labels(runs: Sequence[RunInfo]) -> dict[str, str]:
    """Short legend labels by run id: ``model HH:MM:SS`` (its start time) for generated ids, else the id itself;
    followed by ``· dataset`` (:func:`split_group`) when the runs are on several datasets or splits.

    Generated ids (``lightgcn-synthetic-20261202-015800-ab12cd34``) differ only at the end, which a legend cuts off;
    a label shared by two runs gets the id's last 4 characters.
    """
    groups = split_groups(runs)
    several = len(set(groups.values())) > 1
    labels = {}
    for run in runs:
        started = run.status.get("started_at")
        if len(run.run_id) > LEGEND_ID_CHARS and isinstance(started, (int, float)):
            labels[run.run_id] = f"{run.config.get('model', '?')} {datetime.fromtimestamp(started):%H:%M:%S}"
        else:
            labels[run.run_id] = run.run_id
    counts = Counter(labels.values())
    labels = {
        run_id: f"{label} …{run_id[-4:]}" if counts[label] > 1 and label != run_id else label
        for run_id, label in labels.items()
    }
    return {run_id: f"{label} · {groups[run_id]}" if several else label for run_id, label in labels.items()}


def comparison_frame(runs: Sequence[RunInfo]) -> pd.DataFrame:
    """Final test metrics of runs side by side: one row per run, one column per metric (``RunInfo.summary``'s ``test``).

    Runs without a summary keep a row of NaN so the table still lists every selected run.
    """
    tests = {run.run_id: (run.summary or {}).get("test") or {} for run in runs}
    keys = metric_keys(list(tests.values()))
    frame = pd.DataFrame(
        [[_number(tests[run_id].get(key)) for key in keys] for run_id in tests], index=list(tests), columns=keys
    )
    frame.index.name = "run"
    return frame


def best_per_column(frame: pd.DataFrame, groups: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Run ids holding the best value of each higher-is-better metric column (:data:`HIGHER_IS_BETTER`), one per
    group of comparable runs (:func:`split_groups`; default: all runs one group); a group needs two runs with a
    value for one to be best, and runs of different groups are never compared."""
    groups = groups or {}
    best: dict[str, list[str]] = {}
    for column in frame.columns:
        if column.split("@")[0] not in HIGHER_IS_BETTER:
            continue
        values = frame[column].dropna()
        for group in dict.fromkeys(groups.get(run_id, "") for run_id in values.index):
            members = values[[groups.get(run_id, "") == group for run_id in values.index]]
            if len(members) > 1:
                best.setdefault(column, []).append(str(members.idxmax()))
    return best


def highlight_best(
    frame: pd.DataFrame, labels: Mapping[str, str] | None = None, groups: Mapping[str, str] | None = None
) -> pd.io.formats.style.Styler:
    """The comparison table turned to one row per metric and one column per run (a dozen metric columns ran off
    the right of a laptop screen), each metric's best value within each group of comparable runs in bold on a
    green background.

    Args:
        frame (pd.DataFrame): :func:`comparison_frame`'s table, one row per run.
        labels (Mapping[str, str], optional): Run id -> column header (:func:`legend_labels`). (default: the id)
        groups (Mapping[str, str], optional): Run id -> its dataset and split (:func:`split_groups`); a best is
            marked within each, never across. (default: one group)
    """
    best = {
        metric: {(labels or {}).get(run_id, run_id) for run_id in run_ids}
        for metric, run_ids in best_per_column(frame, groups).items()
    }
    table = frame.T.rename(columns=lambda run_id: (labels or {}).get(run_id, run_id))
    table.index.name, table.columns.name = "metric", None

    def style(row: pd.Series) -> list[str]:
        winners = best.get(str(row.name), set())
        return ["font-weight: bold; background-color: #c8f7c5" if column in winners else "" for column in row.index]

    return table.style.apply(style, axis=1).format("{:.4f}", na_rep=MISSING)


def metrics_by_cutoff(test: Mapping[str, object]) -> tuple[pd.DataFrame, dict[str, float]]:
    """One run's test metrics as a metric x K table (``recall`` row, ``@20`` column) plus those without a K (MRR)."""
    cells: dict[str, dict[str, float]] = {}
    flat: dict[str, float] = {}
    for key in metric_keys([test]):
        name, _, k = key.partition("@")
        if k.isdigit():
            cells.setdefault(name, {})[f"@{k}"] = _number(test[key])
        else:
            flat[key] = _number(test[key])
    frame = pd.DataFrame.from_dict(cells, orient="index")
    frame = frame[sorted(frame.columns, key=lambda column: int(column[1:]))] if len(frame) else frame
    frame.index.name = "metric"
    return frame, flat


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    return float("nan")
