"""Progress and ETA of a run from its status and metrics (pure: no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.runs.rundir import RunInfo


@dataclass(frozen=True)
class RunProgress:
    """How far a run is."""

    epoch: int  # epochs completed
    total_epochs: int  # epochs planned (0 when unknown)
    fraction: float  # in [0, 1], counting the batches of the epoch in progress
    seconds_per_epoch: float | None  # mean over completed epochs, None before the first
    eta_seconds: float | None  # remaining time at that pace, None when unknown or finished

    @property
    def label(self) -> str:
        """``epoch 3/30 · ETA 1m 05s``."""
        total = self.total_epochs or "?"
        text = f"epoch {self.epoch}/{total}"
        if self.eta_seconds is not None:
            text += f" · ETA {format_seconds(self.eta_seconds)}"
        return text


def run_progress(run: RunInfo) -> RunProgress:
    """Progress of ``run`` from its ``status`` (epoch, batch) and ``metrics`` (seconds per epoch)."""
    status = run.status
    total = _int(status.get("total_epochs")) or _int(run.config.get("epochs"))
    epochs = [_int(record.get("epoch")) for record in run.metrics]
    epoch = max([_int(status.get("epoch")), *epochs])
    seconds = [float(r["seconds"]) for r in run.metrics if isinstance(r.get("seconds"), (int, float))]
    seconds_per_epoch = sum(seconds) / len(seconds) if seconds else None
    batch, batches = _int(status.get("batch")), _int(status.get("total_batches"))
    within = batch / batches if batches and epoch < total and run.state == "running" else 0.0
    fraction = min((epoch + within) / total, 1.0) if total else 0.0
    if run.state == "finished":
        fraction = 1.0
    eta = None
    if seconds_per_epoch is not None and run.state in ("queued", "running") and total:
        eta = max(total - epoch - within, 0.0) * seconds_per_epoch
    return RunProgress(epoch, total, fraction, seconds_per_epoch, eta)


def format_seconds(seconds: float) -> str:
    """``42s``, ``3m 07s``, ``1h 02m``."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
