"""``python -m engine diff RUN_A RUN_B``: the config fields that differ, model parameters included."""

from __future__ import annotations

import json
from pathlib import Path

from engine.cli import main
from engine.runs.query import MISSING
from tests.support.run_files import fake_run


def test_fields_that_differ_are_side_by_side_params_flattened(tmp_path: Path, capsys) -> None:
    fake_run(tmp_path, "a", lr=0.01, seed=0, params={"num_layers": 2, "reg": 0.0})
    fake_run(tmp_path, "b", lr=0.05, seed=0, params={"num_layers": 3, "reg": 0.0}, dim=32)
    assert main(["diff", "a", "b", "--runs-dir", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["a"], result["b"], result["identical"]) == ("a", "b", False)
    assert result["differ"] == [
        {"field": "dim", "a": MISSING, "b": 32},
        {"field": "lr", "a": 0.01, "b": 0.05},
        {"field": "params.num_layers", "a": 2, "b": 3},
    ]
    assert main(["diff", "a", str(tmp_path / "b"), "--runs-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["FIELD", "a", "b"]
    assert lines[1:] == [
        "dim                (not set)  32",
        "lr                 0.01       0.05",
        "params.num_layers  2          3",
    ]


def test_identical_runs_say_so(tmp_path: Path, capsys) -> None:
    fake_run(tmp_path, "a", params={"reg": 0.1})
    fake_run(tmp_path, "b", params={"reg": 0.1})
    assert main(["diff", "a", "b", "--runs-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "runs a and b have identical configs"
    assert main(["diff", "a", "b", "--runs-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": "a", "b": "b", "identical": True, "differ": []}


def test_an_unknown_run_or_an_unreadable_config_is_one_error_line(tmp_path: Path, capsys) -> None:
    fake_run(tmp_path, "a")
    fake_run(tmp_path, "b").config_path.write_text("{broken")
    for other, message in (("nope", "no run 'nope'"), ("b", "run 'b' has no readable config.json")):
        assert main(["diff", "a", other, "--runs-dir", str(tmp_path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and message in err
