"""``python -m engine experiment --tuned STUDY1,STUDY2``: each model at its study's best configuration over the seeds,
each model's budget printed, unequal budgets refused (or run and warned about with --allow-unequal-budgets), bad
input one ``error:`` line with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.experiments import list_experiments, member_states, read_experiment
from engine.tuning import best_config
from tests.support.studies import tune_sample_study


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mf and lightgcn studies of 2 one-epoch trials, and a lightgcn study of 6 (a budget 3x theirs)."""
    folder = tmp_path_factory.mktemp("tuned-cli")
    tune_sample_study(folder, "mf-s", "mf", trials=2, epochs=1)
    tune_sample_study(folder, "lightgcn-s", "lightgcn", trials=2, epochs=1)
    tune_sample_study(folder, "lightgcn-big", "lightgcn", trials=6, epochs=1)
    return folder


def experiment(runs_dir: Path, name: str, *flags: str) -> list[str]:
    return ["experiment", "--name", name, *flags, "--runs-dir", str(runs_dir), "--quiet"]


def test_tuned_runs_each_best_configuration_and_compare_states_the_budgets(runs_dir: Path, capsys) -> None:
    assert main(experiment(runs_dir, "tuned", "--tuned", "mf-s,lightgcn-s", "--seeds", "0,1")) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("tuning budget: mf: study mf-s, 2 trials (0 pruned, 0 failed), ") for line in out)
    assert any(line.startswith("tuning budget: lightgcn: study lightgcn-s, 2 trials") for line in out)
    assert out[-1] == str(runs_dir / "experiments" / "tuned" / "experiment.json")
    assert set(member_states(runs_dir, "tuned").values()) == {"finished"} and len(member_states(runs_dir, "tuned")) == 4
    saved = read_experiment(runs_dir, "tuned")
    assert [saved["spec"]["tuned"][model]["study"] for model in ("mf", "lightgcn")] == ["mf-s", "lightgcn-s"]
    member = json.loads((runs_dir / "tuned-lightgcn-g0-s1" / "config.json").read_text())
    best = best_config(runs_dir, "lightgcn-s")
    assert (member["lr"], member["batch_size"], member["params"]) == (best.lr, best.batch_size, best.params)

    assert main(["compare", "--experiment", "tuned", "--baseline", "mf", "--runs-dir", str(runs_dir)]) == 0
    text = capsys.readouterr().out
    assert "tuning budget per model" in text and "  lightgcn: study lightgcn-s, 2 trials" in text
    assert "WARNING" not in text
    assert main(["compare", "--experiment", "tuned", "--baseline", "mf", "--runs-dir", str(runs_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["budgets"]["mf"]["trials"] == 2 and summary["budget_warning"] is None


def test_tuned_with_refit_compares_each_members_refit_on_train_and_validation(runs_dir: Path, capsys) -> None:
    assert main(experiment(runs_dir, "refit", "--tuned", "mf-s,lightgcn-s", "--seeds", "0", "--refit")) == 0
    capsys.readouterr()
    assert main(["compare", "--experiment", "refit", "--baseline", "mf", "--runs-dir", str(runs_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sorted(member["run_id"] for member in summary["members"]) == ["refit-lightgcn-g0-s0-refit",
                                                                        "refit-mf-g0-s0-refit"]  # fmt: skip
    assert summary["budgets"]["lightgcn"]["study"] == "lightgcn-s"
    refit = json.loads((runs_dir / "refit-mf-g0-s0-refit" / "config.json").read_text())
    assert refit["refit_of"] == "refit-mf-g0-s0" and refit["lr"] == best_config(runs_dir, "mf-s").lr


def test_unequal_budgets_are_refused_and_nothing_is_written(runs_dir: Path, capsys) -> None:
    assert main(experiment(runs_dir, "unequal", "--tuned", "mf-s,lightgcn-big", "--seeds", "0")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: unequal tuning budgets: lightgcn got 6 trials and mf 2 (3.0x)")
    assert "--allow-unequal-budgets" in err[0]
    assert "unequal" not in list_experiments(runs_dir) and not (runs_dir / "unequal-mf-g0-s0").exists()


def test_unequal_budgets_run_when_allowed_and_the_comparison_opens_with_a_warning(runs_dir: Path, capsys) -> None:
    flags = ("--tuned", "mf-s,lightgcn-big", "--seeds", "0", "--allow-unequal-budgets")
    assert main(experiment(runs_dir, "allowed", *flags)) == 0
    assert "WARNING: unequal tuning budgets: lightgcn got 6 trials" in capsys.readouterr().err
    assert main(["compare", "--experiment", "allowed", "--baseline", "mf", "--runs-dir", str(runs_dir)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("WARNING: unequal tuning budgets: lightgcn got 6 trials and mf 2 (3.0x)")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--tuned", "mf-s,nope"), "error: no study 'nope' in {runs}/studies (studies there: lightgcn-big, "),
        (
            ("--tuned", "mf-s,lightgcn-s", "--models", "mf"),
            "takes the dataset, models, split and training settings from its studies; leave out --models",
        ),  # fmt: skip
        (("--tuned", "mf-s,lightgcn-s", "--dataset", "synthetic", "--k", "5"), "leave out --dataset, --k"),
        (("--tuned", "lightgcn-s,lightgcn-big", "--allow-unequal-budgets"), "both tune lightgcn"),
        (("--tuned", "mf-s,lightgcn-s", "--seeds", "0,x"), "--seeds expects comma-separated whole numbers"),
        (("--models", "mf", "--allow-unequal-budgets"), "--allow-unequal-budgets goes with --tuned"),
        ((), "give --models MODEL1,MODEL2 (or --tuned STUDY1,STUDY2"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_is_written(runs_dir: Path, capsys, flags: tuple, message: str) -> None:
    assert main(experiment(runs_dir, "bad", *flags)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message.format(runs=runs_dir) in err[0], err
    assert "bad" not in list_experiments(runs_dir) and not list(runs_dir.glob("bad-*"))
