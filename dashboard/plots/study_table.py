"""Tables of the Tune page: the studies of a runs directory, a study's progress, its best configuration (pure:
no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from engine.tuning import StudyInfo

STUDY_COLUMNS = ("study", "model", "dataset", "metric", "finished", "pruned", "running", "failed", "CPU-min", "best")


def studies_frame(studies: Sequence[StudyInfo]) -> pd.DataFrame:
    """One row per study: its model, dataset and validation metric, trials by state, CPU-minutes and best value
    (``None`` where a study has no finished trial, or could not be read)."""
    rows = [
        {
            "study": info.name,
            "model": info.model,
            "dataset": info.dataset,
            "metric": info.metric,
            "finished": info.done,
            "pruned": info.pruned,
            "running": info.running,
            "failed": info.failed,
            "CPU-min": round(info.cpu_seconds / 60, 2),
            "best": info.best_value,
        }
        for info in studies
    ]
    return pd.DataFrame(rows, columns=list(STUDY_COLUMNS))


def without_idle_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``running`` and ``failed`` columns where every study has none: the table then fits the
    page at 1280 px (each study's own line still says both)."""
    return frame.drop(columns=[name for name in ("running", "failed") if name in frame and not frame[name].any()])


def progress_text(info: StudyInfo, target: int | None = None) -> str:
    """``"3/20 trials: 2 finished, 1 pruned, 1 running, 0 failed · 0.42 CPU-minutes"`` (``target``: the trials the
    study was asked to hold, when known)."""
    counted = f"{info.trials}/{target}" if target else str(info.trials)
    return (
        f"{counted} trials: {info.done} finished, {info.pruned} pruned, {info.running} running, {info.failed} failed"
        f" · {cpu_minutes(info.cpu_seconds)} CPU-minutes"
    )


def cpu_minutes(seconds: float) -> str:
    """``"12.3"``, or two decimals under a minute (``"0.04"``), where one would read as nothing spent."""
    minutes = seconds / 60
    return f"{minutes:.2f}" if minutes < 1 else f"{minutes:.1f}"


def searched_range(dimension: dict[str, Any] | None) -> str:
    """A space dimension as read back from a study: ``"1e-4 – 0.1 (log)"``, ``"512, 1024"``; ``"fixed"`` for a
    setting the study did not search."""
    if not dimension:
        return "fixed"
    if "choices" in dimension:
        return ", ".join(map(str, dimension["choices"]))
    scale = " (log)" if dimension.get("log") else ""
    return f"{dimension['low']:g} – {dimension['high']:g}{scale}"


def best_config_frame(info: StudyInfo) -> pd.DataFrame:
    """The best trial's sampled values, one row per searched parameter with the range it was drawn from."""
    space = info.space
    rows = [
        {"parameter": name, "value": _value(value), "searched": searched_range(space.get(name))}
        for name, value in sorted(info.best_params.items())
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "searched"])


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
