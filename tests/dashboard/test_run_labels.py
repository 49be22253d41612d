"""AppTest of the Runs page's tags and note form: saved to tags.json, shown in the table, or refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.runs.rundir import RunDir, read_run
from tests.support.run_files import fake_run, held_by_another_process

PAGE = "views/runs.py"


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    fake_run(tmp_path / "runs", "a").edit_tags(add=["old", "kept"], note="before")
    fake_run(tmp_path / "runs", "b")
    return tmp_path / "runs"


def save(at, run_id: str, tags: str, note: str):
    at.selectbox(key=keys.RUNS_LABEL_PICK).set_value(run_id).run()
    at.text_input(key=keys.RUNS_LABEL_TAGS + run_id).set_value(tags)
    at.text_area(key=keys.RUNS_LABEL_NOTE + run_id).set_value(note)
    return next(button for button in at.button if button.label == "Save").click().run()


def test_the_form_saves_tags_and_note_and_the_table_shows_them(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.RUNS_LABEL_PICK).set_value("a").run()
    assert at.text_input(key=keys.RUNS_LABEL_TAGS + "a").value == "old, kept"
    assert at.text_area(key=keys.RUNS_LABEL_NOTE + "a").value == "before"
    config = RunDir(runs_dir / "a").config_path.read_bytes()
    at = save(at, "a", "kept, baseline ,, new one", "lr sweep, see #22")
    assert not at.exception and not at.error
    info = read_run(runs_dir / "a")
    assert info.tags == ["kept", "baseline", "new one"] and info.note == "lr sweep, see #22"
    assert RunDir(runs_dir / "a").config_path.read_bytes() == config
    at.segmented_control[0].set_value("labels").run()
    table = frame_with(at, "tags").set_index("run")
    assert table.loc["a", "tags"] == "kept, baseline, new one" and table.loc["a", "note"] == "lr sweep, see #22"


@pytest.mark.parametrize(
    ("tags", "note", "message"),
    [
        ("x" * 65, "", "a tag has at most 64"),
        ("fine", "n" * 10_001, "at most 10000 bytes"),
    ],
)
def test_a_bad_tag_or_note_is_refused_with_nothing_written(app_at, runs_dir: Path, tags, note, message) -> None:
    before = (runs_dir / "a" / "tags.json").read_bytes()
    at = save(app_at(PAGE, runs_dir=runs_dir), "a", tags, note)
    assert not at.exception
    assert message in at.error[0].value and "Nothing saved" in at.error[0].value
    assert (runs_dir / "a" / "tags.json").read_bytes() == before and not (runs_dir / "b" / "tags.json").exists()


def test_a_locked_run_is_refused(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    with held_by_another_process(runs_dir / "b") as holder:
        at = save(at, "b", "x", "")
    assert f"is in use by pid {holder.pid}" in at.error[0].value
    assert not (runs_dir / "b" / "tags.json").exists()


def test_a_run_outside_the_runs_directory_is_read_only(app_at, runs_dir: Path, tmp_path: Path) -> None:
    elsewhere = fake_run(tmp_path / "elsewhere", "c")
    os.symlink(elsewhere.path, runs_dir / "linked")
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.RUNS_LABEL_PICK).set_value("linked").run()
    assert next(button for button in at.button if button.label == "Save").disabled
    assert not elsewhere.tags_path.exists()
    assert json.loads((runs_dir / "a" / "tags.json").read_text())["tags"] == ["old", "kept"]
