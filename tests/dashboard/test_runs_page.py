"""AppTest of the Runs page: listing, damaged runs, overlay and comparison, delete with confirmation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.runs.runstore import RunStore
from tests.dashboard.shown import shown
from tests.support.sample_runs import stopped_sample_run

PAGE = "views/runs.py"
FIXTURE_RUN = "fixture-mf-1epoch"


@pytest.fixture
def runs_dir(trained_runs_dir: Path, tmp_path: Path) -> Path:
    """Three runs: the trained fixture, a copy with better test metrics, and one with a torn metrics line."""
    shutil.copytree(trained_runs_dir / FIXTURE_RUN, tmp_path / FIXTURE_RUN)
    better = tmp_path / "better-copy"
    shutil.copytree(trained_runs_dir / FIXTURE_RUN, better)
    summary = json.loads((better / "summary.json").read_text())
    summary["test"] = {key: value + 0.1 for key, value in summary["test"].items()}
    (better / "summary.json").write_text(json.dumps(summary))
    torn = tmp_path / "torn-metrics"
    shutil.copytree(trained_runs_dir / FIXTURE_RUN, torn)
    with (torn / "metrics.jsonl").open("a") as stream:
        stream.write('{"epoch": 2, "loss": 0.')
    return tmp_path


def test_every_run_is_listed_with_damaged_ones_marked(app_at, frame_with, runs_dir: Path) -> None:
    (runs_dir / "no-status").mkdir()
    (runs_dir / "no-status" / "config.json").write_text(json.dumps({"model": "mf", "dataset": "synthetic"}))
    at = app_at(PAGE, runs_dir=runs_dir)
    assert not at.exception
    table = frame_with(at, "best NDCG").set_index("run")
    assert set(table.index) == {FIXTURE_RUN, "better-copy", "torn-metrics", "no-status"}
    assert table.loc[FIXTURE_RUN, "status"] == "finished"
    assert table.loc["torn-metrics", "status"] == "finished (damaged)"
    assert table.loc["no-status", "status"] == "unknown (damaged)"
    assert table.loc[FIXTURE_RUN, "best NDCG"] > 0 and table.loc[FIXTURE_RUN, "model"] == "mf"
    assert table.loc[FIXTURE_RUN, "epochs"] == "1/1"
    damaged = " ".join(shown(markdown.value) for markdown in at.markdown)
    assert "torn-metrics" in damaged and "status.json is missing" in damaged


def test_selected_runs_are_overlaid_and_compared_with_the_best_highlighted(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.multiselect(key=keys.RUNS_SELECTED).set_value([FIXTURE_RUN, "better-copy"]).run()
    at.selectbox(key=keys.RUNS_METRIC).set_value("loss").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in figure["data"]] == [FIXTURE_RUN, "better-copy"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "BPR loss"  # MF's loss, named by its kind
    comparison = frame_with(at, "better-copy")  # one row per metric, one column per run
    assert list(comparison.columns) == [FIXTURE_RUN, "better-copy"] and "ndcg@20" in comparison.index
    assert (comparison["better-copy"] > comparison[FIXTURE_RUN]).all()


def test_delete_asks_for_confirmation_then_removes_the_run(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.RUNS_DELETE_PICK).set_value("better-copy").run()
    next(button for button in at.button if button.label == "Delete…").click().run()
    assert (runs_dir / "better-copy").is_dir()
    assert any("cannot be undone" in warning.value for warning in at.warning)
    next(button for button in at.button if button.label == "Cancel").click().run()
    assert (runs_dir / "better-copy").is_dir() and not at.warning
    next(button for button in at.button if button.label == "Delete…").click().run()
    next(button for button in at.button if button.label == "Yes, delete").click().run()
    assert not at.exception
    assert not (runs_dir / "better-copy").exists()
    assert "better-copy" not in set(frame_with(at, "best NDCG")["run"])


def test_a_running_run_cannot_be_deleted(app_at, runs_dir: Path) -> None:
    status = json.loads((runs_dir / FIXTURE_RUN / "status.json").read_text())
    (runs_dir / FIXTURE_RUN / "status.json").write_text(json.dumps({**status, "state": "running", "pid": 1}))
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.RUNS_DELETE_PICK).set_value(FIXTURE_RUN).run()
    next(button for button in at.button if button.label == "Delete…").click().run()
    next(button for button in at.button if button.label == "Yes, delete").click().run()
    assert not at.exception
    assert any("stop it first" in error.value for error in at.error)
    assert RunStore(runs_dir).get(FIXTURE_RUN).state == "running"


def test_empty_runs_directory_says_how_to_start(app_at, tmp_path: Path) -> None:
    at = app_at(PAGE, runs_dir=tmp_path / "created-on-demand")
    assert not at.exception
    assert (tmp_path / "created-on-demand").is_dir()
    assert "No runs in" in at.info[0].value


def test_cleared_runs_directory_field_falls_back_to_the_default(app_at, tmp_path: Path, monkeypatch) -> None:
    """A blank (or spaces-only) runs directory field means the launch default, never the server's working directory."""
    default = tmp_path / "the-default"
    monkeypatch.setenv("GNN_EXPLORER_RUNS_DIR", str(default))
    at = app_at(PAGE, runs_dir="   ")
    assert not at.exception
    assert default.is_dir()
    assert any("using the default" in shown(c.value) and str(default) in shown(c.value) for c in at.sidebar.caption)
    assert "No runs in" in at.info[0].value and str(default) in shown(at.info[0].value)


def _confirm_delete(at, run_id: str):
    at.selectbox(key=keys.RUNS_DELETE_PICK).set_value(run_id).run()
    next(button for button in at.button if button.label == "Delete…").click().run()
    return next(button for button in at.button if button.label == "Yes, delete").click().run()


def test_delete_refuses_a_project_folder_that_holds_a_config_json(app_at, runs_dir: Path) -> None:
    project = runs_dir / "my-project"
    (project / "src").mkdir(parents=True)
    (project / "config.json").write_text('{"name": "my-project"}')
    (project / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    at = _confirm_delete(app_at(PAGE, runs_dir=runs_dir), "my-project")
    assert not at.exception
    assert any("not a run this engine wrote" in shown(error.value) for error in at.error)
    assert (project / "config.json").is_file() and (project / "src" / "main.c").is_file()


def test_delete_keeps_a_notes_file_in_a_run_and_says_so(app_at, runs_dir: Path) -> None:
    (runs_dir / "better-copy" / "notes.txt").write_text("keep me")
    at = _confirm_delete(app_at(PAGE, runs_dir=runs_dir), "better-copy")
    assert not at.exception
    assert any("kept its folder" in shown(w.value) and "notes.txt" in shown(w.value) for w in at.warning)
    assert [path.name for path in (runs_dir / "better-copy").iterdir()] == ["notes.txt"]


def test_a_stopped_runs_missing_values_read_as_a_dash(app_at, frame_with, runs_dir: Path) -> None:
    stopped_sample_run(runs_dir, "stopped-mf", "mf")
    reason = RunStore(runs_dir).get("stopped-mf").status["reason"]  # written by the trainer on SIGTERM
    assert reason.startswith("stopped on request (SIGTERM") and "no test metrics" in reason
    at = app_at(PAGE, runs_dir=runs_dir)
    at.multiselect(key=keys.RUNS_SELECTED).set_value([FIXTURE_RUN, "stopped-mf"]).run()
    assert not at.exception
    comparison = frame_with(at, "stopped-mf")
    assert comparison["stopped-mf"].isna().all() and comparison[FIXTURE_RUN].notna().all()
    # Streamlit shows "None" otherwise; the tables: runs, test metrics, config diff
    assert [frame.proto.placeholder for frame in at.dataframe] == ["–", "–", "–"]
    assert any("– where a run has no final test metrics" in caption.value for caption in at.caption)


def test_runs_of_two_datasets_are_said_apart_and_never_ranked_together(app_at, frame_with, runs_dir: Path) -> None:
    """Issue 25, points 7 and 10: runs of another dataset are ticked beside synthetic ones."""
    other = runs_dir / "other-dataset"
    shutil.copytree(runs_dir / FIXTURE_RUN, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "dataset": "movielens-latest-small"}))
    at = app_at(PAGE, runs_dir=runs_dir)
    at.multiselect(key=keys.RUNS_SELECTED).set_value([FIXTURE_RUN, "better-copy", "other-dataset"]).run()
    assert not at.exception
    (warning,) = [shown(w.value) for w in at.warning]
    assert "on 2 datasets or splits (movielens-latest-small; synthetic)" in warning and "not comparable" in warning
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in figure["data"]] == [
        f"{FIXTURE_RUN} · synthetic",
        "better-copy · synthetic",
        "other-dataset · movielens-latest-small",
    ]
    text = [shown(markdown.value) for markdown in at.markdown]
    assert "On movielens-latest-small" in text and "On synthetic" in text  # one table per dataset
    runs_tables = [frame.value for frame in at.dataframe if "best NDCG" in frame.value.columns]
    assert sorted(sorted(table["run"]) for table in runs_tables) == [
        ["better-copy", FIXTURE_RUN, "torn-metrics"], ["other-dataset"]
    ]  # fmt: skip
    compared = [list(frame.value.columns) for frame in at.dataframe if "ndcg@20" in frame.value.index]
    assert compared == [[FIXTURE_RUN, "better-copy"], ["other-dataset"]]  # never side by side
    captions = " ".join(shown(caption.value) for caption in at.caption)
    assert "the test split holds 20% of each user's interactions and the validation slice 10%" in captions
