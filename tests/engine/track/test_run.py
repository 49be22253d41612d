"""engine.track writes a run the engine reads like its own: listed, loaded, evaluated and compared on one split."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import track
from engine.experiments.results import comparison
from engine.loader.reopen import open_run_graph
from engine.runs.npzio import load_npz
from engine.runs.rundir import RunDir, read_run
from engine.runs.runstore import RunStore
from engine.training import load_run

ROOT = Path(__file__).resolve().parents[3]


def best_snapshot(run_dir: Path) -> tuple[int, np.ndarray, np.ndarray]:
    summary = json.loads((run_dir / "summary.json").read_text())
    stored = load_npz(run_dir / "embeddings" / "best.npz")
    return summary["best_epoch"], stored["user"], stored["item"]


def log_copy(engine_run: Path, runs_dir: Path, run_id: str, **options) -> Path:
    """Log the engine run's own selected embeddings as an external run on its split."""
    epoch, user, item = best_snapshot(engine_run)
    with track.init("copy", runs_dir=runs_dir, split=track.split_of(engine_run), run_id=run_id, **options) as run:
        run.log(epoch, loss=0.5, metrics={"my_ndcg": 0.1})
        run.snapshot(epoch, users=user, items=item)
    return run.dir


def test_logging_an_engine_runs_snapshot_compares_with_difference_exactly_zero(engine_run, tmp_path):
    logged = log_copy(engine_run, engine_run.parent, "copy-of-mf")
    ours, theirs = RunDir(engine_run).read_per_user(), RunDir(logged).read_per_user()
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name
    summary = comparison([read_run(engine_run), read_run(logged)], "mf", 10)
    paired = summary["paired"]["track:copy"]
    assert paired and all(figure["mean_difference"] == 0.0 for figure in paired.values())
    assert all(figure["ties"] == figure["users"] for figure in paired.values())
    assert read_run(logged).summary["test"] == read_run(engine_run).summary["test"]
    result = subprocess.run(
        [sys.executable, "-m", "engine", "compare", str(engine_run), str(logged), "--baseline", "mf", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["paired"]["track:copy"]["ndcg@10"]["mean_difference"] == 0.0


def test_a_logged_run_is_an_ordinary_run_directory(engine_run, tmp_path):
    logged = log_copy(engine_run, tmp_path, "listed")
    info = RunStore(tmp_path).get("listed")
    assert info.state == "finished" and not info.damaged and RunDir(logged).foreign_problem() is None
    assert info.config["model"] == "track:copy" and info.config["dataset"] == "synthetic"
    assert info.config["seed"] == 3 and info.config["ks"] == [5, 10] and info.config["dim"] == 8
    assert info.metrics[0]["my_ndcg"] == 0.1 and info.metrics[0]["loss"] == 0.5
    assert info.summary["test_source"] == "engine" and info.summary["protocol"] == "validation-selected"
    assert json.loads(RunDir(logged).track_path.read_text())["split_source"] == "mf-engine"
    engine_graph, logged_graph = open_run_graph(engine_run), open_run_graph(logged)
    for part in ("train", "val", "test"):
        assert all(
            np.array_equal(a, b) for a, b in zip(engine_graph.parts[part], logged_graph.parts[part], strict=True)
        )
    loaded = load_run(logged)  # what the Recommend and Embeddings pages open
    _, user, item = best_snapshot(engine_run)
    user_emb, item_emb = loaded.model.embeddings()
    assert np.array_equal(user_emb.numpy(), user) and np.array_equal(item_emb.numpy(), item)
    items, _ = loaded.model.recommend([0], 5)
    assert not set(items[0]) & set(loaded.split.train.user_csr.neighbors(0).tolist())
    with pytest.raises(ValueError, match="cold start is not available"):
        loaded.model.embed_new_user([0, 1])


def test_select_best_picks_the_snapshot_the_validation_slice_prefers(engine_run, tmp_path):
    epoch, user, item = best_snapshot(engine_run)
    noise = np.random.default_rng(0)
    with track.init("best", runs_dir=tmp_path, split=track.split_of(engine_run), select="best") as run:
        run.snapshot(1, users=noise.normal(size=user.shape), items=noise.normal(size=item.shape))
        run.snapshot(2, users=user, items=item)
        run.snapshot(3, users=noise.normal(size=user.shape), items=noise.normal(size=item.shape))
    info = read_run(run.dir)
    assert info.summary["best_epoch"] == 2 and info.summary["selected_by"] == "validation ndcg@10"
    assert info.summary["test"] == read_run(engine_run).summary["test"]
    assert np.array_equal(load_npz(RunDir(run.dir).best_snapshot_path)["user"], user)


def test_without_a_split_the_users_test_metrics_are_marked_as_theirs(tmp_path):
    rng = np.random.default_rng(1)
    with track.init("own", runs_dir=tmp_path, dataset="synthetic", test={"ndcg@20": 0.25}) as run:
        run.log(1, loss=1.0)
        run.snapshot(1, users=rng.normal(size=(run.num_users, 4)), items=rng.normal(size=(run.num_items, 4)))
    info = read_run(run.dir)
    assert info.state == "finished" and info.summary["test"] == {"ndcg@20": 0.25}
    assert info.summary["test_source"] == "user"
    assert not RunDir(run.dir).per_user_path.exists()
    with pytest.raises(ValueError, match="no per-user test results"):
        RunDir(run.dir).read_per_user()
    assert load_run(run.dir).split.train.num_edges == 50_000  # no split: every interaction is a training edge


def test_an_exception_marks_the_run_failed_with_its_traceback_and_keeps_what_was_logged(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with track.init("boom", runs_dir=tmp_path, dataset="synthetic") as run:
            run.log(1, loss=2.0)
            1 / 0  # noqa: B018
    info = read_run(run.dir)
    assert info.state == "failed" and info.status["error"] == "ZeroDivisionError: division by zero"
    assert "1 / 0" in info.status["traceback"] and info.metrics[0]["loss"] == 2.0


def test_logging_after_finish_is_refused(tmp_path):
    with track.init("done", runs_dir=tmp_path, dataset="synthetic") as run:
        run.log(1, loss=1.0)
    for call in (lambda: run.log(2, loss=1.0), lambda: run.snapshot(2, users=None, items=None), run.finish):
        with pytest.raises(track.TrackError, match="has finished; start a new run with track.init"):
            call()
    assert len(read_run(run.dir).metrics) == 1


def _log_from_child(run, queue) -> None:
    try:
        run.log(2, loss=1.0)
        queue.put("logged")
    except track.TrackError as error:
        queue.put(str(error))


def test_a_second_process_cannot_log_into_the_run(tmp_path):
    with track.init("shared", runs_dir=tmp_path, dataset="synthetic", run_id="shared") as run:
        run.log(1, loss=1.0)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_log_from_child, args=(run, queue))
        child.start()
        child.join(60)
        message = queue.get(timeout=10)
        assert f"is logged by process {os.getpid()}, not this one" in message
        with pytest.raises(track.TrackError, match="'shared' already exists"):
            with track.init("shared", runs_dir=tmp_path, dataset="synthetic", run_id="shared"):
                pass
        run.log(2, loss=0.5)
    assert [line["epoch"] for line in read_run(run.dir).metrics] == [1, 2]
    assert read_run(run.dir).state == "finished"


KILLED = """
import os, signal
from engine import track
with track.init("killed", runs_dir={runs!r}, dataset="synthetic", run_id="killed") as run:
    run.log(1, loss=1.0)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_process_leaves_an_interrupted_run(tmp_path):
    result = subprocess.run([sys.executable, "-c", KILLED.format(runs=str(tmp_path))], cwd=ROOT, timeout=300)
    assert result.returncode == -signal.SIGKILL
    info = read_run(tmp_path / "killed")
    assert info.state == "interrupted" and info.metrics[0]["loss"] == 1.0


def test_log_batch_stores_a_pyg_batch_with_its_fanouts_in_the_run(tmp_path):
    from engine.analysis.pyg_batches import load_pyg_batches
    from tests.support.pyg_batches import hand_built

    with track.init("batches", runs_dir=tmp_path, dataset="synthetic", run_id="batches") as run:
        run.log(1, loss=1.0)
        run.log_batch(1, 0, hand_built(), num_neighbors=[-1, -1])
        with pytest.raises(TypeError, match="torch_geometric.data.Data or HeteroData"):
            run.log_batch(1, 1, object())  # not a PyG batch: refused, nothing stored
    (batch,) = load_pyg_batches(tmp_path / "batches")
    assert (batch.epoch, batch.index, batch.num_neighbors) == (1, 0, [-1, -1])
    with pytest.raises(track.TrackError):
        run.log_batch(1, 2, hand_built())  # after finish


def test_compare_refuses_a_logged_run_tested_on_other_edges(engine_run, tmp_path):
    """Same split settings and seed in config.json, other test edges: compare must not pair the users."""
    whole = track.split_of(engine_run)
    fewer = track.Split(
        train=whole.train, test=(whole.test[0][:50], whole.test[1][:50]), val=whole.val, settings=whole.settings
    )
    _, user, item = best_snapshot(engine_run)
    with track.init("subset", runs_dir=tmp_path, dataset="synthetic", split=fewer) as run:
        run.snapshot(1, users=user, items=item)
    assert read_run(run.dir).config["seed"] == 3
    with pytest.raises(ValueError, match=f"runs {run.dir.name} and mf-engine are not tested on the same edges"):
        comparison([read_run(engine_run), read_run(run.dir)], "mf", 10)
