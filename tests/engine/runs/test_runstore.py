"""The run directory: atomic writes, tolerant readers, interrupted runs, safe and unique run ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from engine.runs.jsonio import append_jsonl, read_jsonl, write_json_atomic
from engine.runs.names import check_run_id, process_alive
from engine.runs.rundir import RunDir, read_run
from engine.runs.runstore import RunNotFound, RunStore


def _make_run(store: RunStore, run_id: str, state: str = "finished", pid: int | None = None) -> RunDir:
    run = store.create("mf", "synthetic", run_id)
    run.write_config({"model": "mf", "dataset": "synthetic", "epochs": 2})
    run.update_status(state=state, pid=pid, epoch=2, total_epochs=2, started_at=1.0)
    run.append_metrics({"epoch": 1, "loss": 0.7, "seconds": 0.1})
    run.append_metrics({"epoch": 2, "loss": 0.5, "seconds": 0.1, "ndcg@10": 0.2})
    return run


def test_written_run_reads_back_whole(tmp_path):
    store = RunStore(tmp_path)
    run = _make_run(store, "mf-a")
    run.write_summary({"test": {"ndcg@10": 0.2}, "best_epoch": 2})
    run.save_snapshot(2, np.ones((3, 4)), np.zeros((5, 4)))
    info = store.get("mf-a")
    assert info.state == "finished"
    assert info.config["model"] == "mf"
    assert [m["epoch"] for m in info.metrics] == [1, 2]
    assert info.summary["best_epoch"] == 2
    assert info.damaged == []
    with np.load(info.snapshots["epoch_0002"]) as snapshot:
        assert snapshot["user"].dtype == np.float32 and snapshot["item"].shape == (5, 4)
    assert [run.run_id for run in store.list()] == ["mf-a"]


def test_half_written_last_metrics_line_is_skipped_and_reported(tmp_path):
    run = _make_run(RunStore(tmp_path), "torn")
    with (run.path / "metrics.jsonl").open("a") as stream:
        stream.write('{"epoch": 3, "loss": 0.4')  # the writer was killed mid-line
    info = read_run(run.path)
    assert [m["epoch"] for m in info.metrics] == [1, 2]
    assert any("half-written last line" in problem for problem in info.damaged)


def test_missing_and_corrupt_files_are_reported_not_raised(tmp_path):
    run = _make_run(RunStore(tmp_path), "broken")
    (run.path / "config.json").unlink()
    (run.path / "status.json").write_text("{not json")
    (run.path / "summary.json").write_text("[1, 2")
    info = read_run(run.path)
    assert info.config == {} and info.state == "unknown" and info.summary is None
    joined = " ".join(info.damaged)
    assert "config.json is missing" in joined
    assert "status.json is not valid JSON" in joined
    assert "summary.json is not valid JSON" in joined


def test_running_run_with_dead_pid_reads_as_interrupted(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    run = _make_run(RunStore(tmp_path), "dead", state="running", pid=process.pid)
    assert not process_alive(process.pid)
    info = read_run(run.path)
    assert info.state == "interrupted"
    assert info.status["recorded_state"] == "running"


def test_running_run_with_live_pid_stays_running(tmp_path):
    run = _make_run(RunStore(tmp_path), "alive", state="running", pid=os.getpid())
    assert read_run(run.path).state == "running"
    with pytest.raises(ValueError, match="stop it first"):
        RunStore(tmp_path).delete("alive")


def test_unreaped_child_counts_as_dead():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not _is_zombie(process.pid):
            time.sleep(0.05)
        assert not process_alive(process.pid)
    finally:
        process.wait()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stream:
            return stream.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False


@pytest.mark.parametrize("bad_id", ["../escape", "..", "a/b", "/etc", "", ".hidden", "x" * 129, "a b", "run\n"])
def test_run_ids_that_could_escape_are_refused(tmp_path, bad_id):
    store = RunStore(tmp_path)
    with pytest.raises(ValueError, match="run id"):
        store.get(bad_id)
    with pytest.raises(ValueError, match="run id"):
        check_run_id(bad_id)


def test_unknown_run_and_existing_run_id(tmp_path):
    store = RunStore(tmp_path)
    with pytest.raises(RunNotFound, match="no run 'nope'"):
        store.get("nope")
    _make_run(store, "taken")
    with pytest.raises(ValueError, match="already exists"):
        store.create("mf", "synthetic", "taken")


def test_generated_ids_are_unique_when_runs_start_at_once(tmp_path):
    store = RunStore(tmp_path)
    created: list[str] = []

    def start() -> None:
        for _ in range(20):
            created.append(store.create("lightgcn", "csv:/data/my file.csv").path.name)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == len(set(created)) == 80
    assert all(name.startswith("lightgcn-my-file-") for name in created)
    assert all(check_run_id(name) for name in created)


def test_delete_removes_a_finished_run(tmp_path):
    store = RunStore(tmp_path)
    _make_run(store, "old")
    store.delete("old")
    assert store.list() == []


def test_per_user_results_read_back_and_go_with_the_run(tmp_path):
    from engine.runs.names import RunDirError

    store = RunStore(tmp_path)
    run = _make_run(store, "paired")
    with pytest.raises(RunDirError, match="'paired' has no per-user test results: per_user.npz is missing"):
        run.read_per_user()
    run.save_per_user({"users": np.array([0, 3]), "ndcg@10": np.array([0.5, 0.25])})
    arrays = run.read_per_user()
    assert arrays["users"].tolist() == [0, 3] and arrays["ndcg@10"].tolist() == [0.5, 0.25]
    assert sorted(path.name for path in run.path.iterdir() if "per_user" in path.name) == ["per_user.npz"]
    store.delete("paired")
    assert not run.path.exists()


def test_protocol_falls_back_to_the_config_for_older_runs(tmp_path):
    run = _make_run(RunStore(tmp_path), "old")
    assert read_run(run.path).protocol == "test-selected"  # no val_ratio in its config: it had none
    run.write_config({"model": "mf", "dataset": "synthetic", "val_ratio": 0.1})
    assert read_run(run.path).protocol == "validation-selected"
    run.update_status(protocol="test-selected")  # the trainer found no validation interaction after all
    assert read_run(run.path).protocol == "test-selected"


def test_runs_are_listed_newest_first_and_strangers_ignored(tmp_path):
    store = RunStore(tmp_path)
    older = _make_run(store, "older")
    newer = _make_run(store, "newer")
    older.update_status(started_at=100.0)
    newer.update_status(started_at=200.0)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    assert [run.run_id for run in store.list()] == ["newer", "older"]
    assert RunStore(tmp_path / "missing").list() == []


def test_atomic_json_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "doc.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert [path.name for path in tmp_path.iterdir()] == ["doc.json"]


def test_jsonl_reports_a_bad_middle_line(tmp_path):
    log = tmp_path / "log.jsonl"
    append_jsonl(log, {"epoch": 1})
    with log.open("a") as stream:
        stream.write("garbage\n")
    append_jsonl(log, {"epoch": 3})
    records, problem = read_jsonl(log, max_bytes=2**20)
    assert [r["epoch"] for r in records] == [1, 3]
    assert "1 unreadable line(s): 2" in problem


def test_truncate_metrics_keeps_epochs_up_to_the_checkpoint(tmp_path):
    run = _make_run(RunStore(tmp_path), "resumed")
    run.truncate_metrics(1)
    assert [m["epoch"] for m in run.read_metrics()] == [1]
