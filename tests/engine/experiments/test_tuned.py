"""A tuned comparison's experiment: each model at its study's best configuration, the studies checked to be
comparable, their budgets recorded and stated by the comparison (with a warning that opens it when they differ)."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import optuna
import pytest

from engine.cli import build_parser
from engine.cli.experiment import spec_from_args
from engine.commands import experiment_command
from engine.experiments import ExperimentSpec, experiment_comparison, render, run_experiment
from engine.experiments.tuned import tuned_spec
from engine.report.builder import experiment_report
from engine.tuning import best_config, load_study
from engine.tuning.storage import open_storage
from tests.support.studies import tune_sample_study


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Studies of one trial's epoch each: mf and lightgcn with 2 trials, lightgcn with 6 (a larger budget), mf on
    another test share, and one study without a finished trial."""
    folder = tmp_path_factory.mktemp("tuned")
    tune_sample_study(folder, "mf-a", "mf", trials=2, epochs=1)
    tune_sample_study(folder, "lightgcn-a", "lightgcn", trials=2, epochs=1)
    tune_sample_study(folder, "lightgcn-big", "lightgcn", trials=6, epochs=1)
    tune_sample_study(folder, "mf-other-split", "mf", trials=1, epochs=1, test_ratio=0.3)
    young = optuna.create_study(study_name="young", storage=open_storage(folder, "young", create=True))
    young.set_user_attr("meta", load_study(folder, "mf-a").user_attrs["meta"])
    return folder


def test_each_model_runs_its_studys_best_configuration_over_the_seeds(runs_dir: Path) -> None:
    spec = tuned_spec(runs_dir, "cmp", "mf-a,lightgcn-a", seeds="0,1")
    assert spec.models == ["mf", "lightgcn"] and spec.seeds == [0, 1] and spec.dataset == "synthetic"
    members = spec.members()
    assert [(m.model, m.seed, m.grid_point) for m in members] == [
        ("mf", 0, 0), ("mf", 1, 0), ("lightgcn", 0, 0), ("lightgcn", 1, 0)
    ]  # fmt: skip
    for member in members:
        best = best_config(runs_dir, spec.tuned[member.model]["study"])
        assert member.config == dataclasses.replace(best, seed=member.seed)
    budget = spec.tuned["lightgcn"]
    info = load_study(runs_dir, "lightgcn-a")
    assert budget["study"] == "lightgcn-a" and budget["trials"] == 2 and budget["best_trial"] == info.best_trial.number
    assert budget["best_value"] == pytest.approx(info.best_value) and budget["metric"] == "validation ndcg@20"
    assert budget["cpu_minutes"] > 0


def test_the_experiment_command_of_a_tuned_spec_rebuilds_it(runs_dir: Path) -> None:
    spec = tuned_spec(runs_dir, "cmp", "mf-a,lightgcn-a", seeds="0,1")
    words = experiment_command(spec, runs_dir, python="python")
    assert words[words.index("--tuned") + 1] == "mf-a,lightgcn-a" and "--models" not in words
    assert spec_from_args(build_parser().parse_args(words[3:])) == spec
    unequal = tuned_spec(runs_dir, "cmp2", "mf-a,lightgcn-big", seeds="0", allow_unequal_budgets=True)
    words = experiment_command(unequal, runs_dir, python="python")
    assert "--allow-unequal-budgets" in words
    assert spec_from_args(build_parser().parse_args(words[3:])) == unequal
    refit = tuned_spec(runs_dir, "cmp3", "mf-a,lightgcn-a", seeds="0", refit=True)
    words = experiment_command(refit, runs_dir, python="python")
    assert refit.refit and "--refit" in words and spec_from_args(build_parser().parse_args(words[3:])) == refit


@pytest.mark.parametrize(
    ("studies", "message"),
    [
        ("mf-a,nope", "no study 'nope' in {runs}/studies (studies there: lightgcn-a, lightgcn-big, mf-a, "),
        ("mf-a,mf-a", "--tuned names a study twice ('mf-a,mf-a')"),
        (" , ", "--tuned expects comma-separated study names"),
        ("mf-a,young", "study 'young' has no finished trial yet (0 running, 0 pruned, 0 failed)"),
        ("lightgcn-a,lightgcn-big", "studies 'lightgcn-a' and 'lightgcn-big' both tune lightgcn"),
        ("mf-other-split,lightgcn-a", "studies 'mf-other-split' and 'lightgcn-a' differ in test_ratio (0.3 vs 0.2)"),
        ("mf-a,lightgcn-big", "unequal tuning budgets: lightgcn got 6 trials and mf 2 (3.0x); lightgcn got"),
    ],
)
def test_studies_that_cannot_be_compared_are_refused_naming_why(runs_dir: Path, studies: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        tuned_spec(runs_dir, "cmp", studies, seeds="0")
    assert message.format(runs=runs_dir) in str(refused.value)
    assert not (runs_dir / "experiments").exists()


def test_the_comparison_states_the_budgets_and_opens_with_a_warning_when_they_differ(runs_dir: Path) -> None:
    run_experiment(tuned_spec(runs_dir, "fair", "mf-a,lightgcn-a", seeds="0"), runs_dir, progress=False)
    fair = experiment_comparison(runs_dir, "fair", "mf", 10)
    assert set(fair["budgets"]) == {"mf", "lightgcn"} and fair["budget_warning"] is None
    text = render(fair)
    assert "tuning budget per model" in text and "mf: study mf-a, 2 trials (0 pruned, 0 failed)" in text
    assert "WARNING" not in text

    spec = tuned_spec(runs_dir, "unfair", "mf-a,lightgcn-big", seeds="0", allow_unequal_budgets=True)
    run_experiment(spec, runs_dir, progress=False)
    unfair = experiment_comparison(runs_dir, "unfair", "mf", 10)
    assert unfair["headline"][0] == unfair["budget_warning"]
    assert unfair["budget_warning"].startswith("WARNING: unequal tuning budgets: lightgcn got 6 trials and mf 2")
    assert render(unfair).splitlines()[0] == unfair["budget_warning"]

    report = experiment_report(runs_dir, "unfair", "mf")  # the report opens with the same warning, states budgets
    assert html.escape(unfair["budget_warning"]) in report and "Tuning budget of mf: study mf-a, 2 trials" in report
    assert "--allow-unequal-budgets" in report  # its Reproduce command would be refused without it


def test_an_experiment_without_studies_saves_the_spec_it_always_did() -> None:
    """Its saved spec must not grow a ``tuned`` field: a spec that differs from the saved one refuses to resume."""
    assert "tuned" not in ExperimentSpec("plain", "synthetic", ["mf"], [0]).to_dict()
