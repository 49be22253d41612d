"""``python -m engine tag``: tags and a note in the run's tags.json; a refused input writes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.cli import main
from engine.runs.names import MAX_RUN_NOTE_BYTES
from engine.runs.rundir import RunDir, read_run
from engine.runs.runstore import RunStore
from tests.support.run_files import fake_run, held_by_another_process


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def tag(runs_dir: Path, *argv: str) -> list[str]:
    return ["tag", *argv, "--runs-dir", str(runs_dir)]


def test_tags_and_note_are_added_removed_and_kept_apart_from_the_config(tmp_path: Path, capsys) -> None:
    run = fake_run(tmp_path, "a")
    config = run.config_path.read_bytes()
    code, out, err = run_cli(tag(tmp_path, "a", "--add", "baseline", "--add", "old", "--note", "lr sweep"), capsys)
    assert (code, err) == (0, "") and "baseline, old" in out
    code, _, _ = run_cli(tag(tmp_path, "a", "--remove", "old", "--add", "baseline", "--add", "best"), capsys)
    assert code == 0
    info = read_run(run.path)
    assert info.tags == ["baseline", "best"] and info.note == "lr sweep" and not info.damaged
    assert json.loads(run.tags_path.read_text()) == {"tags": ["baseline", "best"], "note": "lr sweep"}
    assert run.config_path.read_bytes() == config
    assert run_cli(tag(tmp_path, str(run.path), "--note", ""), capsys)[0] == 0  # a path works as well as an id
    assert read_run(run.path).note == "" and read_run(run.path).tags == ["baseline", "best"]


def test_deleting_a_tagged_run_removes_its_tags_file(tmp_path: Path, capsys) -> None:
    fake_run(tmp_path, "a")
    assert run_cli(tag(tmp_path, "a", "--add", "x"), capsys)[0] == 0
    assert RunStore(tmp_path).delete("a") == [] and not (tmp_path / "a").exists()


BAD = [
    pytest.param(["nope", "--add", "x"], "no run 'nope'", id="unknown-run"),
    pytest.param(["a", "--add", "two\nlines"], "holds a control character", id="newline-in-tag"),
    pytest.param(["a", "--add", "tab\there"], "holds a control character", id="tab-in-tag"),
    pytest.param(["a", "--add", "nul\0"], "holds a control character", id="nul-in-tag"),
    pytest.param(["a", "--add", "x" * 65], "is 65 characters; a tag has at most 64", id="tag-over-64"),
    pytest.param(["a", "--add", ""], "a tag must not be empty", id="empty-tag"),
    pytest.param(["a", "--add", "  "], "a tag must not be empty", id="blank-tag"),
    pytest.param(["a", "--remove", ""], "a tag must not be empty", id="empty-removed-tag"),
    pytest.param(
        ["a", "--add", "ok", "--note", "n" * (MAX_RUN_NOTE_BYTES + 1)],
        f"is {MAX_RUN_NOTE_BYTES + 1} bytes; a run's note holds at most {MAX_RUN_NOTE_BYTES} bytes",
        id="note-over-10kB",
    ),
    pytest.param(
        ["a", "--note", "é" * (MAX_RUN_NOTE_BYTES // 2 + 1)], "at most 10000 bytes", id="note-over-10kB-in-utf8"
    ),
    pytest.param(["linked", "--add", "x"], "outside the runs directory", id="run-outside-the-runs-directory"),
    pytest.param(["{tmp}", "--add", "x"], "is not a run directory", id="a-folder-that-is-no-run"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path: Path, capsys, argv, message) -> None:
    runs_dir = tmp_path / "runs"
    fake_run(runs_dir, "a")
    elsewhere = fake_run(tmp_path / "elsewhere", "b")
    os.symlink(elsewhere.path, runs_dir / "linked")
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")}
    argv = [part.replace("{tmp}", str(tmp_path)) for part in argv]
    code, out, err = run_cli(tag(runs_dir, *argv), capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")} == before
    assert not RunDir(runs_dir / "a").tags_path.exists() and not elsewhere.tags_path.exists()


def test_a_run_whose_lock_another_process_holds_is_refused(tmp_path: Path, capsys) -> None:
    run = fake_run(tmp_path, "held")
    with held_by_another_process(run.path) as holder:
        code, out, err = run_cli(tag(tmp_path, "held", "--add", "x"), capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"run 'held' is in use by pid {holder.pid}" in err
    assert not run.tags_path.exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "tags.json is not a JSON object"),
        ("{not json", "tags.json is not valid JSON"),
        ('{"tags": "baseline"}', "tags.json: 'tags' is 'baseline', not a list whose items are text"),
        ('{"tags": ["a"], "note": 5}', "tags.json: 'note' is 5, not text"),
    ],
)
def test_a_damaged_tags_file_lists_the_run_as_damaged(tmp_path: Path, capsys, text: str, problem: str) -> None:
    run = fake_run(tmp_path, "a")
    run.tags_path.write_text(text)
    info = read_run(run.path)
    assert any(problem in line for line in info.damaged), info.damaged
    assert isinstance(info.tags, list) and isinstance(info.note, str)
    code, out, _ = run_cli(["runs", "--runs-dir", str(tmp_path)], capsys)
    assert code == 0 and "a (damaged)" in out
