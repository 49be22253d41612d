"""Fixture runs really trained by the training CLI on the bundled sample data, shared by the dashboard tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.runs.rundir import RunDir
from engine.runs.runstore import RunStore

ROOT = Path(__file__).resolve().parents[2]
STOP_WAIT_SECONDS = 300


def sample_command(runs_dir: Path, run_id: str, model: str, epochs: int) -> list[str]:
    """``python -m engine train`` of ``model`` for ``epochs`` on ``synthetic`` with 16-d embeddings."""
    return [
        sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--model", model, "--epochs", str(epochs),
        "--dim", "16", "--runs-dir", str(runs_dir), "--run-id", run_id, "--quiet",
    ]  # fmt: skip


def train_sample_run(runs_dir: Path, run_id: str, model: str, epochs: int) -> Path:
    """Train ``model`` for ``epochs`` on ``synthetic`` with ``python -m engine train``; returns the run directory."""
    result = subprocess.run(
        sample_command(runs_dir, run_id, model, epochs), cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"training {run_id} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip().splitlines()[-1].endswith(run_id)
    return runs_dir / run_id


def stopped_sample_run(runs_dir: Path, run_id: str, model: str, epochs: int = 10_000) -> Path:
    """Start a long run, send it SIGTERM (what the Train page's Stop does) after its first epoch, wait until it
    has marked itself stopped; returns the run directory."""
    process = subprocess.Popen(
        sample_command(runs_dir, run_id, model, epochs), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    metrics = RunDir(runs_dir / run_id).metrics_path
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    try:
        while not (metrics.is_file() and metrics.read_text().strip()):
            assert process.poll() is None, f"training {run_id} exited early: {process.stderr.read().decode()}"
            assert time.monotonic() < deadline, f"training {run_id} wrote no epoch in {STOP_WAIT_SECONDS}s"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    state = RunStore(runs_dir).get(run_id).state
    assert state == "stopped", f"run {run_id} ended {state!r}, not stopped"
    return runs_dir / run_id


def write_report(runs_dir: Path, target: str, out: Path, *, streamlit: bool) -> str:
    """``python -m engine report TARGET`` in a fresh process, writing ``out``; returns the document. With
    ``streamlit``, streamlit is imported first, as in the dashboard's process, whose Runs page builds the same report
    for its *Download report* (importing streamlit changes plotly's default template)."""
    argv = ["engine", "report", target, "--runs-dir", str(runs_dir), "--out", str(out)]
    script = ("import streamlit\n" if streamlit else "") + (
        f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_module('engine', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"the report of {target} failed:\n{result.stdout}\n{result.stderr}"
    return out.read_text(encoding="utf-8")


def engine_processes(runs_dir: Path, command: str) -> list[int]:
    """Pids of live ``python -m engine COMMAND`` processes whose command line names ``runs_dir``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            words = proc.joinpath("cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command.encode() in words and str(runs_dir).encode() in words:
            pids.append(int(proc.name))
    return pids
