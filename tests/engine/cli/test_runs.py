"""``python -m engine runs --where FIELD=VALUE --tag TAG``: the runs table and JSON, filtered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.experiments.runner import EXPERIMENT_FORMAT
from engine.runs.jsonio import write_json_atomic
from engine.runs.names import experiment_path
from tests.support.run_files import fake_run


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """Four runs: mf and lightgcn on synthetic, lightgcn on ml-100k, one failed; two tagged, two in an experiment."""
    fake_run(tmp_path, "mf-syn").edit_tags(add=["baseline"], note="first try\nsecond line")
    fake_run(tmp_path, "lgcn-syn", model="lightgcn").edit_tags(add=["baseline", "sweep"])
    fake_run(tmp_path, "lgcn-ml", model="lightgcn", dataset="ml-100k")
    fake_run(tmp_path, "failed-syn", state="failed")
    members = [
        {"run_id": run_id, "model": model, "seed": 0, "grid_point": 0, "settings": None}
        for run_id, model in (("mf-syn", "mf"), ("lgcn-syn", "lightgcn"))
    ]
    spec = {"name": "cmp", "dataset": "synthetic", "models": ["mf", "lightgcn"], "seeds": [0], "grid": {}, "base": {}}
    write_json_atomic(experiment_path(tmp_path, "cmp"), {"format": EXPERIMENT_FORMAT, "spec": spec, "members": members})
    return tmp_path


def listed(runs_dir: Path, capsys, *argv: str) -> list[str]:
    assert main(["runs", "--runs-dir", str(runs_dir), "--json", *argv]) == 0
    return sorted(run["run_id"] for run in json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["failed-syn", "lgcn-ml", "lgcn-syn", "mf-syn"]),
        (["--where", "dataset=synthetic"], ["failed-syn", "lgcn-syn", "mf-syn"]),
        (["--where", "dataset=synthetic", "--where", "model=lightgcn"], ["lgcn-syn"]),
        (["--where", "model=lightgcn", "--tag", "baseline"], ["lgcn-syn"]),
        (["--tag", "baseline"], ["lgcn-syn", "mf-syn"]),
        (["--tag", "baseline", "--tag", "sweep"], ["lgcn-syn"]),
        (["--where", "tag=sweep"], ["lgcn-syn"]),
        (["--where", "state=failed"], ["failed-syn"]),
        (["--where", "experiment=cmp"], ["lgcn-syn", "mf-syn"]),
        (["--where", "experiment=other"], []),
        (["--where", "dataset=movielens"], []),
    ],
)
def test_where_and_tag_keep_the_runs_that_match_all(runs_dir: Path, capsys, argv, expected) -> None:
    assert listed(runs_dir, capsys, *argv) == expected


def test_the_json_and_the_table_show_tags_and_the_note(runs_dir: Path, capsys) -> None:
    assert main(["runs", "--runs-dir", str(runs_dir), "--json", "--tag", "baseline"]) == 0
    by_id = {run["run_id"]: run for run in json.loads(capsys.readouterr().out)}
    assert by_id["mf-syn"]["tags"] == ["baseline"] and by_id["mf-syn"]["note"] == "first try\nsecond line"
    assert main(["runs", "--runs-dir", str(runs_dir), "--where", "dataset=synthetic"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "TAGS" in lines[0] and "NOTE" in lines[0] and len(lines) == 4
    row = next(line for line in lines if line.startswith("mf-syn "))
    assert "baseline" in row and row.endswith("first try")  # the note's first line only
    assert "baseline,sweep" in next(line for line in lines if line.startswith("lgcn-syn "))


def test_no_match_says_what_was_asked(runs_dir: Path, capsys) -> None:
    assert main(["runs", "--runs-dir", str(runs_dir), "--where", "model=pinsage"]) == 0
    assert capsys.readouterr().out.strip() == f"no runs in {runs_dir} match model=pinsage"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("color=red", "--where: unknown field 'color'; the fields are: dataset, model, state, tag, experiment"),
        ("dataset", "--where expects FIELD=VALUE (got 'dataset')"),
    ],
)
def test_a_bad_where_is_one_error_line(runs_dir: Path, capsys, where: str, message: str) -> None:
    assert main(["runs", "--runs-dir", str(runs_dir), "--where", where]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and message in err
