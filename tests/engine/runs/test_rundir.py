"""Hostile or broken run directories, one section per run-directory point of the "Hardening" issue."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.analysis import ProjectionStore
from engine.cli import main
from engine.jobs.process import start_maps
from engine.runs.config import TrainConfig
from engine.runs.names import MAX_METRICS_BYTES, RunDirError
from engine.runs.rundir import RunDir, read_run
from engine.runs.runstore import RunStore
from engine.training import train
from tests.support.run_files import held_by_another_process

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run really trained for one epoch with a validation slice (so best.pt and best.npz exist) and a PCA map."""
    config = TrainConfig(model="mf", dataset="synthetic", epochs=1, dim=8, val_ratio=0.1)
    run_dir = train(config, tmp_path_factory.mktemp("trained"), run_id="trained", progress=False)
    ProjectionStore(run_dir).compute(1, "pca")
    return run_dir


def copy_run(trained: Path, runs_dir: Path, run_id: str) -> Path:
    return Path(shutil.copytree(trained, runs_dir / run_id, symlinks=True))


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# ------------------------------------------------------------------------------------------------ 1. delete


def _project_with_config(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.json").write_text('{"name": "my-project"}')
    (folder / "src").mkdir()
    (folder / "src" / "main.c").write_text("int main(void) { return 0; }\n")


def _another_tools_status(folder: Path) -> None:
    folder.mkdir()
    (folder / "config.json").write_text('{"model": "resnet", "dataset": "imagenet", "layers": 50}')
    (folder / "status.json").write_text('{"state": "finished"}')
    (folder / "weights.bin").write_bytes(b"\0" * 16)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_project_with_config, "status.json is missing"),
        (_another_tools_status, "config.json has keys no training config has (layers)"),
    ],
    ids=["project-folder-with-config-json-and-src", "another-tools-config-and-status"],
)
def test_delete_refuses_folders_this_engine_did_not_write(tmp_path: Path, make, reason: str) -> None:
    make(tmp_path / "victim")
    before = tree(tmp_path / "victim")
    with pytest.raises(RunDirError, match="not a run this engine wrote") as refused:
        RunStore(tmp_path).delete("victim")
    assert reason in str(refused.value)
    assert tree(tmp_path / "victim") == before


def test_delete_refuses_a_link_to_another_run(tmp_path: Path, trained: Path) -> None:
    copy_run(trained, tmp_path, "real")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    before = tree(tmp_path / "real")
    with pytest.raises(RunDirError, match="is a link to"):
        RunStore(tmp_path).delete("alias")
    assert tree(tmp_path / "real") == before


def test_delete_removes_every_file_a_run_writes(tmp_path: Path, trained: Path) -> None:
    run = RunDir(copy_run(trained, tmp_path, "complete"))
    run.projection_error_path(1, "umap").write_text("failed")
    run.projection_pending_path(1, "umap").write_text("123")
    run.projection_log_path("umap").write_text("log")
    run.projection_pending_path(1, "umap3d").write_text("123")  # the 3-D maps' files (issue 22)
    (run.path / "projections" / "1_pca3d.npz").write_bytes(b"npz")
    (run.path / "pyg_batches").mkdir()  # PyG batches logged by engine.track (issue 21)
    (run.path / "pyg_batches" / "epoch-0001-batch-00000.npz").write_bytes(b"npz")
    (run.path / "pyg_batches" / ".epoch-0001-batch-00001.npz.x1y2.tmp").write_bytes(b"np")
    run.log_path.parent.mkdir()
    run.log_path.write_text("training output")
    (run.path / ".status.json.tmpabc.tmp").write_text("{")  # left by a writer killed mid-write
    assert RunStore(tmp_path).delete("complete") == []
    assert not run.path.exists() and not run.log_path.exists()


def test_delete_keeps_files_no_run_writes_and_says_which(tmp_path: Path, trained: Path) -> None:
    run = RunDir(copy_run(trained, tmp_path, "with-notes"))
    (run.path / "notes.txt").write_text("my notes")
    (run.embeddings_dir / "figure.png").write_bytes(b"png")
    assert RunStore(tmp_path).delete("with-notes") == ["embeddings/figure.png", "notes.txt"]
    assert tree(run.path) == ["embeddings", "embeddings/figure.png", "notes.txt"]


def test_runs_from_before_the_marker_are_deleted_by_their_shape(tmp_path: Path, trained: Path) -> None:
    run = RunDir(copy_run(trained, tmp_path, "legacy"))
    run.marker_path.unlink()
    assert run.foreign_problem() is None
    assert RunStore(tmp_path).delete("legacy") == []
    assert not run.path.exists()


# ---------------------------------------------------------------------------------------- 4. bounded reads


def _metrics_over_the_limit(run: RunDir, outside: Path) -> str:
    with run.metrics_path.open("wb") as stream:
        stream.truncate(MAX_METRICS_BYTES + 1)  # sparse: no disk used
    return f"metrics.jsonl has {MAX_METRICS_BYTES + 1:,} bytes, over the 64 MiB limit; it was not read"


def _status_linked_outside(run: RunDir, outside: Path) -> str:
    (outside / "status.json").write_text(json.dumps({"state": "finished", "epoch": 1}))
    run.status_path.unlink()
    run.status_path.symlink_to(outside / "status.json")
    return f"status.json is a link to {outside / 'status.json'}, outside {run.path}"


def _config_linked_to_a_device(run: RunDir, outside: Path) -> str:
    run.config_path.unlink()
    run.config_path.symlink_to("/dev/zero")
    return "config.json is a link to /dev/zero"


@pytest.mark.parametrize(
    "damage",
    [_metrics_over_the_limit, _status_linked_outside, _config_linked_to_a_device],
    ids=["metrics-jsonl-over-64MiB", "status-json-symlink-outside-run", "config-json-symlink-to-dev-zero"],
)
def test_oversized_or_linked_run_files_are_damaged_not_read(tmp_path: Path, trained: Path, damage) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run = RunDir(copy_run(trained, tmp_path / "runs", "hostile"))
    message = damage(run, outside)
    info = read_run(run.path)
    assert any(message in problem for problem in info.damaged), info.damaged


def test_runs_listing_survives_metrics_linked_to_dev_zero(tmp_path: Path, trained: Path) -> None:
    """Before: ``python -m engine runs`` read /dev/zero until it held gigabytes; here memory is capped at 3 GiB."""
    copy_run(trained, tmp_path, "good")
    hostile = RunDir(copy_run(trained, tmp_path, "zero-metrics"))
    hostile.metrics_path.unlink()
    hostile.metrics_path.symlink_to("/dev/zero")

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    listing = subprocess.run(
        [sys.executable, "-m", "engine", "runs", "--runs-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=cap_memory,
    )
    assert listing.returncode == 0, listing.stderr
    assert "zero-metrics (damaged)" in listing.stdout and "good " in listing.stdout


# ----------------------------------------------------------------------------- 5. undecodable run files


@pytest.mark.parametrize("name", ["status.json", "config.json", "metrics.jsonl"], ids=lambda n: f"latin-1-{n}")
def test_a_run_file_that_is_not_utf8_marks_only_that_run_damaged(tmp_path: Path, trained: Path, capsys, name) -> None:
    copy_run(trained, tmp_path, "good")
    broken = copy_run(trained, tmp_path, "broken")
    (broken / name).write_bytes('{"state": "finished", "note": "Müller"}\n'.encode("latin-1"))
    code, out, err = run_cli(["runs", "--runs-dir", str(tmp_path), "--json"], capsys)
    assert code == 0 and err == ""
    runs = {run["run_id"]: run for run in json.loads(out)}
    assert runs["good"]["damaged"] == [] and runs["good"]["state"] == "finished"
    assert runs["broken"]["damaged"] == [f"{name} is not UTF-8 text (byte 0xfc at offset 32)"]
    code, out, _ = run_cli(["runs", "--runs-dir", str(tmp_path)], capsys)
    assert code == 0 and "broken (damaged)" in out and "good " in out


# ------------------------------------------------------------------------------- 6. one trainer per run


def test_resume_refuses_a_run_another_process_holds(tmp_path: Path, trained: Path, capsys) -> None:
    run = RunDir(copy_run(trained, tmp_path, "held"))
    run.update_status(state="stopped")
    with held_by_another_process(run.path) as holder:
        code, out, err = run_cli(["train", "--resume", str(run.path), "--epochs", "3", "--quiet"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert f"run 'held' is in use by pid {holder.pid}" in err
    assert read_run(run.path).status["state"] == "stopped" and len(read_run(run.path).metrics) == 1


@pytest.mark.slow
def test_a_training_process_holds_its_run_for_its_whole_life(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "engine", "train", "--model", "mf", "--dim", "8", "--batch-size", "64",
               "--epochs", "500", "--runs-dir", str(tmp_path), "--run-id", "busy", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run = RunDir(tmp_path / "busy")
    try:
        deadline = time.monotonic() + 240
        while read_run(run.path).state != "running" and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.1)
        with pytest.raises(RunDirError, match=f"in use by pid {process.pid}"):
            with run.lock():
                pass
    finally:
        process.terminate()
        process.wait(timeout=120)
    with run.lock():  # released with the process
        pass


# ------------------------------------------------------------------------ 7. unusable runs directories


def _parent_is_a_file(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "file").write_text("x")
    runs = tmp_path / "file" / "runs"
    return runs, f"cannot create a run in the runs directory {runs}: Not a directory"


def _runs_dir_is_a_file(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "runs").write_text("x")
    return tmp_path / "runs", f"the runs directory {tmp_path / 'runs'} is a file, not a folder"


def _read_only_runs_dir(tmp_path: Path) -> tuple[Path, str]:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the non-folder cases cover the same path")
    (tmp_path / "runs").mkdir(mode=0o555)
    return tmp_path / "runs", f"cannot create a run in the runs directory {tmp_path / 'runs'}: Permission denied"


@pytest.mark.parametrize(
    "make",
    [_parent_is_a_file, _runs_dir_is_a_file, _read_only_runs_dir],
    ids=["runs-dir-under-a-file", "runs-dir-is-a-file", "read-only-runs-dir"],
)
def test_train_into_an_unusable_runs_directory_is_one_line(tmp_path: Path, capsys, make) -> None:
    runs, message = make(tmp_path)
    code, out, err = run_cli(["train", "--model", "mf", "--epochs", "1", "--runs-dir", str(runs), "--quiet"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


def test_resume_of_a_run_that_cannot_be_locked_is_one_line(tmp_path: Path, trained: Path, capsys) -> None:
    run = RunDir(copy_run(trained, tmp_path, "unlockable"))
    run.lock_path.unlink()
    run.lock_path.mkdir()  # stands for any lock file this user cannot open for writing
    code, _, err = run_cli(["train", "--resume", str(run.path), "--epochs", "2", "--quiet"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"error: cannot lock run 'unlockable' (Is a directory: {run.lock_path})" in err


# ------------------------------------------------------------------------------ 8. what resume refuses


def test_resume_refuses_a_folder_with_a_one_line_config(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "not-a-run"
    folder.mkdir()
    (folder / "config.json").write_text('{"model": "mf"}\n')
    code, out, err = run_cli(["train", "--resume", str(folder), "--quiet"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"error: cannot resume {folder}: it is not a run this engine wrote" in err
    assert "status.json is missing" in err
    assert tree(folder) == ["config.json"], "a refused resume writes nothing"


@pytest.mark.parametrize(
    ("state", "epochs"), [("finished", "2"), ("stopped", "1")], ids=["finished-run-checkpoint-pt-deleted",
                                                                     "stopped-run-checkpoint-pt-deleted"]
)  # fmt: skip
def test_resume_refuses_a_run_whose_checkpoint_is_gone(tmp_path, trained, capsys, state, epochs) -> None:
    run = RunDir(copy_run(trained, tmp_path, "lost"))
    run.update_status(state=state)
    run.checkpoint_path.unlink()
    code, out, err = run_cli(["train", "--resume", str(run.path), "--epochs", epochs, "--quiet"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"it recorded 1 epoch(s) but its checkpoint {run.checkpoint_path} is missing" in err
    assert f"python -m engine train --config {run.config_path}" in err
    assert len(read_run(run.path).metrics) == 1 and read_run(run.path).state == state


def test_a_run_from_before_the_marker_resumes_and_gains_it(tmp_path: Path, trained: Path, capsys) -> None:
    run = RunDir(copy_run(trained, tmp_path, "legacy"))
    run.marker_path.unlink()
    code, _, err = run_cli(["train", "--resume", str(run.path), "--epochs", "2", "--quiet"], capsys)
    assert code == 0, err
    assert [record["epoch"] for record in read_run(run.path).metrics] == [1, 2]
    assert run.foreign_problem() is None and run.marker_path.is_file()


# ------------------------------------------------------------- Hardening II, 1. a kill while resume rewrites the log

KEPT_LINES = 3000  # enough lines that re-appending them one fsync at a time (the old rewrite) took ~0.5 s


@pytest.mark.slow
def test_kill_9_while_resume_rewrites_the_metrics_log_loses_no_kept_line(tmp_path: Path, trained: Path) -> None:
    """A resume drops the log's lines after the checkpoint's epoch. The old rewrite deleted metrics.jsonl and
    re-appended it line by line: a kill -9 in between left a run with 47 of 400 lines and an empty validation.

    A real resume is killed at the first change of the log the poller sees (a new inode or size); the kept lines
    must all be there. On the old rewrite that first change is the deletion or a half-appended file."""
    run = RunDir(copy_run(trained, tmp_path, "rewrite"))
    run.update_status(state="stopped")
    kept = read_run(run.path).metrics[0]
    assert kept["epoch"] == 1
    text = json.dumps(kept, sort_keys=True) + "\n"
    run.metrics_path.write_text(text * KEPT_LINES + json.dumps({**kept, "epoch": 2}) + "\n")  # epoch 2: to drop
    before = os.stat(run.metrics_path)
    command = [sys.executable, "-m", "engine", "train", "--resume", str(run.path), "--epochs", "3", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, changed = time.monotonic() + 240, None
    try:
        while changed is None and time.monotonic() < deadline and process.poll() is None:
            try:
                now = os.stat(run.metrics_path)
                if (now.st_ino, now.st_size) != (before.st_ino, before.st_size):
                    changed = "replaced or resized"
            except FileNotFoundError:
                changed = "deleted"
            if changed:
                process.kill()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert changed, f"the resume never touched metrics.jsonl (exit {process.returncode}): {process.stderr.read()}"
    lines = run.metrics_path.read_text().splitlines() if run.metrics_path.exists() else []
    epochs = [json.loads(line)["epoch"] for line in lines if line.strip()]
    assert epochs.count(1) == KEPT_LINES, f"killed when the log was {changed}: {epochs.count(1)} kept lines left"
    assert 2 not in epochs[:KEPT_LINES]


# ------------------------------------------------------------------------ Hardening II, 2. a disk that fills up


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: a real file system that fills up (ENOSPC). Mounting needs root, as CI and these machines run."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up: {mounted.stderr.decode().strip()} (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(disk: Path, leave: int) -> Path:
    """Write a filler file until only ``leave`` bytes of ``disk`` are free (0: until a write fails)."""
    filler = disk / "filler"
    with filler.open("wb") as stream:
        with contextlib.suppress(OSError):
            while (free := os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize) > leave:
                stream.write(b"\0" * min(free - leave, 2**16))
                stream.flush()
    return filler


def _train_until_the_disk_fills(disk: Path, leave: int) -> tuple[subprocess.CompletedProcess, RunDir]:
    command = [sys.executable, "-m", "engine", "train", "--model", "mf", "--dim", "8", "--epochs", "10000",
               "--runs-dir", str(disk), "--run-id", "full", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = RunDir(disk / "full")
    deadline = time.monotonic() + 240
    while not (run.metrics_path.exists() and run.metrics_path.read_text().strip()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    _fill(disk, leave)
    out, err = process.communicate(timeout=240)
    return subprocess.CompletedProcess(command, process.returncode, out, err), run


def _leftovers(run: RunDir) -> list[str]:
    return [str(p.relative_to(run.path)) for p in run.path.rglob("*") if ".tmp" in p.name or p.name.endswith("tmp")]


@pytest.mark.slow
def test_a_full_disk_fails_the_run_naming_the_file_and_leaves_no_temporary_file(small_disk: Path) -> None:
    """It used to say "[Errno 28] No space left on device" naming no file, and left .checkpoint.pt.<pid>.tmp behind."""
    done, run = _train_until_the_disk_fills(small_disk, leave=48 * 2**10)  # room for a status, not a checkpoint
    assert done.returncode == 2, done
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: disk full while writing {run.path}/"), err
    assert err[0].endswith("(No space left on device); free space on that disk, then try again")
    status = run.read_status()
    assert status["state"] == "failed" and status["error"] == err[0].removeprefix("error: ")
    assert _leftovers(run) == []

    # A temporary file a kill -9 left mid-write (the old <pid> name) is swept when the run resumes on a freed disk.
    (run.path / ".checkpoint.pt.99999.tmp").write_bytes(b"\0" * 1024)
    (small_disk / "filler").unlink()
    epochs = str(read_run(run.path).status["epoch"] + 1)
    resumed = subprocess.run([sys.executable, "-m", "engine", "train", "--resume", str(run.path), "--epochs", epochs,
                              "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert read_run(run.path).state == "finished" and _leftovers(run) == []


@pytest.mark.slow
def test_a_disk_too_full_to_record_the_failure_says_so_in_one_line(small_disk: Path) -> None:
    done, run = _train_until_the_disk_fills(small_disk, leave=0)
    assert done.returncode == 2, done
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: disk full while writing {run.path}/"), err
    assert err[0].endswith(
        f"the disk is too full to record the failure in {run.status_path} either, so the run lists as interrupted "
        "until it is resumed"
    )
    assert RunStore(small_disk).get("full").state == "interrupted"
    assert _leftovers(run) == []


# ---------------------------------------------------------------- Hardening II, 3. one experiment, two processes


def _experiment(runs_dir: Path, epochs: str) -> list[str]:
    return [sys.executable, "-m", "engine", "experiment", "--name", "same", "--dataset", "synthetic", "--models", "mf",
            "--seeds", "0", "--epochs", epochs, "--patience", "0", "--runs-dir", str(runs_dir), "--quiet"]  # fmt: skip


@pytest.mark.slow
def test_a_second_process_of_the_same_experiment_is_refused_naming_the_first(tmp_path: Path) -> None:
    """Two `experiment --name same` at once: one used to exit 2 saying "pick another --run-id or use --resume", and
    with the window widened the second deleted the first's new member folder and both trained into it."""
    first = subprocess.Popen(_experiment(tmp_path, "10000"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    member = RunDir(tmp_path / "same-mf-g0-s0")
    try:
        deadline = time.monotonic() + 240
        while not member.metrics_path.exists():  # the first is training its member, inside the window's far side
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        second = subprocess.run(_experiment(tmp_path, "10000"), cwd=ROOT, capture_output=True, text=True, timeout=240)
        status = read_run(member.path).status  # the first still trains its member, untouched
        assert status["pid"] == first.pid and status["state"] == "running"
    finally:
        first.terminate()
        first.wait(timeout=120)
    assert second.returncode == 2 and second.stdout == ""
    lock = tmp_path / "experiments" / "same" / ".experiment.lock"
    assert second.stderr.splitlines() == [
        f"error: experiment 'same' is in use by pid {first.pid}, which holds {lock}; wait for it to finish or stop it "
        "first"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiments", "same-mf-g0-s0"]


def test_a_member_folder_another_process_is_still_creating_is_never_deleted(tmp_path: Path, capsys) -> None:
    """A member folder with no config yet is deleted and retrained, unless a process holds it (it is between
    creating the folder and writing its config): then the experiment is refused, naming that process."""
    run = RunStore(tmp_path).create("mf", "synthetic", "same-mf-g0-s0")
    with held_by_another_process(run.path) as holder:
        code, out, err = run_cli(_experiment(tmp_path, "1")[3:], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: run 'same-mf-g0-s0' is in use by pid {holder.pid}, which holds {run.lock_path}; wait for it to "
        "finish or stop it first"
    ]
    assert sorted(p.name for p in run.path.iterdir()) == [".gnn-run", ".train.lock"]


# -------------------------------------------------- Hardening II, 7. a link to a run elsewhere is read-only


def _snapshot_of(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*")}


def test_a_linked_run_is_listed_outside_and_never_written(tmp_path: Path, trained: Path, capsys) -> None:
    """A link in the runs directory to a run elsewhere was listed with no mark, and resume wrote into the outside
    folder: now it is marked, and every writer refuses it."""
    elsewhere = copy_run(trained, tmp_path / "elsewhere", "real")
    RunDir(elsewhere).update_status(state="stopped")
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    (runs_dir / "linked").symlink_to(elsewhere, target_is_directory=True)
    before = _snapshot_of(elsewhere)

    code, out, _ = run_cli(["runs", "--runs-dir", str(runs_dir)], capsys)
    assert code == 0 and "linked (outside the runs directory)" in out
    code, out, _ = run_cli(["runs", "--runs-dir", str(runs_dir), "--json"], capsys)
    assert [run["outside"] for run in json.loads(out)] == [True]

    code, out, err = run_cli(["train", "--resume", str(runs_dir / "linked"), "--epochs", "2", "--quiet"], capsys)
    assert code == 2 and err.splitlines() == [
        f"error: run 'linked' is a link to {elsewhere.resolve()}, outside the runs directory: it is read-only here "
        "(training refused); copy the run into the runs directory to change it"
    ]
    linked = RunDir(runs_dir / "linked")
    for write in (lambda: linked.update_status(state="running"), lambda: linked.write_summary({})):
        with pytest.raises(RunDirError, match="outside the runs directory"):
            write()
    assert _snapshot_of(elsewhere) == before


def test_maps_of_a_linked_run_are_computed_in_memory_never_written(tmp_path: Path, trained: Path) -> None:
    """The Embeddings page wrote PCA maps into a linked run's outside folder and started a UMAP there."""
    elsewhere = copy_run(trained, tmp_path / "elsewhere", "real")
    shutil.rmtree(elsewhere / "projections")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "linked").symlink_to(elsewhere, target_is_directory=True)
    before = _snapshot_of(elsewhere)
    store = ProjectionStore(tmp_path / "runs" / "linked")
    assert store.get_or_compute(1, "pca").coords.shape[1] == 2
    assert start_maps(store, [], "umap") == []
    with pytest.raises(RunDirError, match=r"outside the runs directory: it is read-only here \(computing the UMAP"):
        start_maps(store, [1], "umap")
    assert _snapshot_of(elsewhere) == before
