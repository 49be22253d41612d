"""AppTest of the Runs page's config diff: the fields two runs differ in, model parameters included."""

from __future__ import annotations

from pathlib import Path

from dashboard.state import keys
from tests.support.run_files import fake_run

PAGE = "views/runs.py"


def test_two_runs_show_the_fields_they_differ_in(app_at, frame_with, tmp_path: Path) -> None:
    fake_run(tmp_path, "a", lr=0.01, params={"num_layers": 2})
    fake_run(tmp_path, "b", lr=0.05, params={"num_layers": 3})
    fake_run(tmp_path, "c", lr=0.01, params={"num_layers": 2})
    at = app_at(PAGE, runs_dir=tmp_path)
    at.multiselect(key=keys.RUNS_DIFF).set_value(["a", "b"]).run()
    assert not at.exception
    table = frame_with(at, "field").set_index("field")
    assert list(table.columns) == ["a", "b"]
    assert table.to_dict("index") == {"lr": {"a": "0.01", "b": "0.05"}, "params.num_layers": {"a": "2", "b": "3"}}
    at.multiselect(key=keys.RUNS_DIFF).set_value(["a", "c"]).run()
    assert "a and c have identical configs" in at.success[0].value
    at.multiselect(key=keys.RUNS_DIFF).set_value(["a"]).run()
    assert any("Pick two runs" in caption.value for caption in at.caption)


def test_the_diff_starts_at_the_first_two_compared_runs(app_at, frame_with, tmp_path: Path) -> None:
    fake_run(tmp_path, "a", seed=1)
    fake_run(tmp_path, "b", seed=2)
    fake_run(tmp_path, "c", seed=3)
    at = app_at(PAGE, runs_dir=tmp_path, **{keys.RUNS_SELECTED: ["c", "a"]})
    assert at.multiselect(key=keys.RUNS_DIFF).value == ["c", "a"]
    assert frame_with(at, "field").to_dict("records") == [{"field": "seed", "c": "3", "a": "1"}]
