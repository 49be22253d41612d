"""Several ``tune`` processes share one study: through the journal file in the runs directory, and through a real
PostgreSQL server this test starts in a temporary folder (Optuna's own distributed mode). Trials are neither lost
nor run twice: the study ends with exactly the asked number, each with its own run."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState

from engine.tuning import list_studies, load_study
from engine.tuning.storage import database_url, shown_url

TRIALS = 3


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _tune(runs: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "engine", "tune", "--name", "shared", "--model", "mf", "--epochs", "1"]
    command += ["--dim", "8", "--device", "cpu", "--quiet", "--trials", str(TRIALS), "--runs-dir", str(runs), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _run_two(runs_a: Path, runs_b: Path, *extra: str) -> None:
    processes = [_tune(runs_a, *extra), _tune(runs_b, *extra)]
    for process in processes:
        out, err = process.communicate(timeout=400)
        assert process.returncode == 0, err
        assert "Warning" not in err, err  # Optuna's heartbeat and experimental warnings are not the user's concern


def _check_each_trial_ran_once(runs_dirs: list[Path]) -> None:
    study = load_study(runs_dirs[0], "shared")
    counted = [t for t in study.trials if not t.user_attrs.get("surplus")]
    assert [t.state for t in counted] == [TrialState.COMPLETE] * TRIALS
    run_ids = [t.user_attrs["run_id"] for t in counted]
    assert len(set(run_ids)) == TRIALS
    on_disk = sorted(p.name for runs in runs_dirs for p in runs.glob("shared-trial*"))
    assert on_disk == sorted(run_ids), "every trial trained exactly one run, none twice"
    assert list_studies(runs_dirs[0])[0].done == TRIALS


def test_two_processes_on_one_journal_file_finish_the_trials_once(tmp_path):
    runs = tmp_path / "runs"
    _run_two(runs, runs)
    assert (runs / "studies" / "shared.journal").is_file()
    _check_each_trial_ran_once([runs])


@pytest.fixture
def postgres() -> Iterator[str]:
    """A PostgreSQL server in a temporary folder (run as the ``postgres`` user: the server refuses root), stopped
    after the test; its URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="tune-pg-", dir="/tmp"))
    data = folder / "data"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        if as_postgres:
            shutil.chown(folder, "postgres")
        folder.chmod(0o755)
        subprocess.run([*as_postgres, initdb, "-D", str(data), "-U", "postgres", "--auth=trust"], check=True,
                       capture_output=True)  # fmt: skip
        options = f"-p {port} -k {folder} -h 127.0.0.1"
        subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start"],
                       check=True, capture_output=True)  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if data.exists():
            subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_processes_on_a_postgresql_server_finish_the_trials_once(tmp_path, postgres):
    runs_a, runs_b = tmp_path / "machine-a", tmp_path / "machine-b"  # two machines: each its own runs directory
    _run_two(runs_a, runs_b, "--storage", postgres)
    assert not (runs_a / "studies" / "shared.journal").exists()
    pointer = (runs_a / "studies" / "shared.storage.json").read_text()
    assert postgres.replace("postgresql://", "postgresql+psycopg://") in pointer
    _check_each_trial_ran_once([runs_a, runs_b])


def test_a_plain_postgresql_url_gets_the_psycopg_driver_and_passwords_are_hidden():
    assert database_url("postgresql://u:secret@db:5432/s") == "postgresql+psycopg://u:secret@db:5432/s"
    assert database_url("postgres://u@db/s") == "postgresql+psycopg://u@db/s"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert "secret" not in shown_url("postgresql+psycopg://u:secret@db:5432/s")
