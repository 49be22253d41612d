"""Readable JSON with wrong field types in a run's files (Hardening II, point 5): no reader raises, the run lists as
damaged naming the field, and the other runs of the directory list as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.runs.config import TrainConfig
from engine.runs.rundir import read_run
from engine.runs.runstore import RunStore
from engine.runs.schema import (
    CONFIG_FIELDS,
    METRIC_FIELDS,
    METRIC_VALUE,
    STATUS_FIELDS,
    SUMMARY_FIELDS,
    conforms,
)
from engine.training import train

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FILES = {"config.json": CONFIG_FIELDS, "status.json": STATUS_FIELDS, "summary.json": SUMMARY_FIELDS}


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = TrainConfig(model="mf", dataset="synthetic", epochs=2, dim=8, val_ratio=0.1)
    return train(config, tmp_path_factory.mktemp("good"), run_id="good", progress=False)


def _damaged_copy(good_run: Path, root: Path, file: str, field: str, value) -> Path:
    runs_dir = root / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    shutil.copytree(good_run.parent, runs_dir)
    run = shutil.copytree(good_run, runs_dir / "damaged")
    if file == "metrics.jsonl":
        lines = [json.loads(line) for line in (run / file).read_text().splitlines()]
        lines[-1][field] = value
        (run / file).write_text("".join(json.dumps(line) + "\n" for line in lines))
    else:
        document = json.loads((run / file).read_text())
        document[field] = value
        (run / file).write_text(json.dumps(document))
    return run


@pytest.mark.parametrize(
    ("file", "field", "value", "problem"),
    [
        ("status.json", "started_at", "yesterday", "status.json: 'started_at' is 'yesterday', not a number or null"),
        ("status.json", "state", 5, "status.json: 'state' is 5, not text"),
        ("status.json", "state", "done", "status.json: 'state' is 'done', not one of queued, running, finished"),
        ("summary.json", "test", [0.1], "summary.json: 'test' is [0.1], not an object whose values are a number"),
        ("summary.json", "best_epoch", "2", "summary.json: 'best_epoch' is '2', not a whole number or null"),
        ("config.json", "dataset", ["synthetic"], "config.json: 'dataset' is ['synthetic'], not text"),
        ("metrics.jsonl", "loss", "low", "metrics.jsonl: 'loss' is 'low', not a number or null"),
        ("metrics.jsonl", "ndcg@20", [1], "metrics.jsonl: 'ndcg@20' is [1], not a number or null"),
    ],
    ids=lambda value: str(value)[:20],
)
def test_a_wrong_typed_field_lists_the_run_as_damaged_naming_it(
    good_run, tmp_path, capsys, file, field, value, problem
):
    """`runs` used to fail for the whole directory on `started_at: "yesterday"`; now only that run is damaged."""
    run = _damaged_copy(good_run, tmp_path, file, field, value)
    info = read_run(run)
    assert any(damage.startswith(problem) for damage in info.damaged), info.damaged
    assert main(["runs", "--runs-dir", str(run.parent)]) == 0
    out = capsys.readouterr().out
    assert "good " in out and "damaged" in out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_reader_raises_on_any_json_in_any_field(good_run, tmp_path, data) -> None:
    file = data.draw(st.sampled_from([*FILES, "metrics.jsonl"]), label="file")
    fields = METRIC_FIELDS if file == "metrics.jsonl" else FILES[file]
    field = data.draw(st.sampled_from([*fields, "ndcg@20"] if file == "metrics.jsonl" else list(fields)), label="f")
    value = data.draw(json_values, label="value")
    run = _damaged_copy(good_run, tmp_path, file, field, value)
    info = read_run(run)
    for document, schema in (
        (info.config, CONFIG_FIELDS),
        (info.status, STATUS_FIELDS),
        (info.summary or {}, SUMMARY_FIELDS),
    ):
        assert all(conforms(v, schema[k]) for k, v in document.items() if k in schema)
    for line in info.metrics:
        assert all(conforms(v, METRIC_FIELDS.get(k, METRIC_VALUE)) for k, v in line.items())
    listed = {run.run_id: run for run in RunStore(run.parent).list()}
    assert set(listed) == {"good", "damaged"} and not listed["good"].damaged
