"""Filters and the config diff of engine.runs.query, on RunInfo objects built in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.runs.query import MISSING, config_diff, filter_runs, flat_config, parse_where, select_runs
from engine.runs.rundir import RunInfo


def run(run_id: str, model: str, dataset: str, state: str = "finished", tags=(), note: str = "") -> RunInfo:
    config = {"model": model, "dataset": dataset}
    return RunInfo(run_id, Path(run_id), config, {"state": state}, [], None, tags=list(tags), note=note)


RUNS = [
    run("a", "mf", "synthetic", tags=["baseline"]),
    run("b", "lightgcn", "synthetic", tags=["baseline", "sweep"], note="Deeper"),
    run("c", "lightgcn", "ml-100k", state="failed"),
]


def ids(runs: list[RunInfo]) -> list[str]:
    return [info.run_id for info in runs]


def test_where_needs_every_pair_and_experiments_come_from_the_caller() -> None:
    assert ids(filter_runs(RUNS, parse_where(["model=lightgcn", "dataset=synthetic"]))) == ["b"]
    assert ids(filter_runs(RUNS, [("tag", "baseline"), ("tag", "sweep")])) == ["b"]
    assert ids(filter_runs(RUNS, [("experiment", "e")], {"a": ["e"], "c": ["e", "f"]})) == ["a", "c"]
    assert ids(filter_runs(RUNS, [("experiment", "e")])) == []


@pytest.mark.parametrize(
    ("pair", "message"),
    [("colour=red", "unknown field 'colour'; the fields are: dataset, model, state, tag, experiment"),
     ("model", "expects FIELD=VALUE")],
)  # fmt: skip
def test_a_bad_where_names_the_known_fields(pair: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_where([pair])


def test_select_is_any_value_within_a_field_and_all_fields_and_search() -> None:
    assert ids(select_runs(RUNS, {"model": ["mf", "lightgcn"], "dataset": ["synthetic"]})) == ["a", "b"]
    assert ids(select_runs(RUNS, {"model": [], "state": ["failed"]})) == ["c"]
    assert ids(select_runs(RUNS, {}, "DEEP")) == ["b"]
    assert ids(select_runs(RUNS, {"tag": ["baseline"]}, "sweep")) == ["b"]


def test_the_diff_flattens_params_and_marks_a_missing_field() -> None:
    a = {"lr": 0.01, "params": {"num_layers": 2, "reg": 0.1}, "seed": 0}
    b = {"lr": 0.01, "params": {"num_layers": 3}, "seed": 0, "dim": 8}
    assert config_diff(a, b) == [
        ("dim", MISSING, 8),
        ("params.num_layers", 2, 3),
        ("params.reg", 0.1, MISSING),
    ]
    assert config_diff(a, dict(a)) == []
    assert flat_config({"params": [1], "lr": 1}) == {"lr": 1, "params": [1]}  # a damaged params stays whole
