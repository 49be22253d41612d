"""A study runs ordinary runs as trials, picks on validation, prunes a hopeless trial, resumes, refits."""

from __future__ import annotations

import json

import pytest
from optuna.trial import TrialState

from engine.runs.config import TrainConfig
from engine.runs.rundir import RunDir
from engine.tuning import best_config, list_studies, load_study
from engine.tuning.runner import TuneSettings, open_study, run_study

GOOD_LR, BAD_LR = 0.05, 1e-6


def settings(name: str, **changes) -> TuneSettings:
    base = TrainConfig(dataset="synthetic", model="mf", epochs=2, dim=8, seed=0, device="cpu")
    values = {"name": name, "base": base, "space": [f"lr={BAD_LR},{GOOD_LR}"], "trials": 3, "pruner_startup": 5}
    return TuneSettings(**{**values, **changes})


def test_a_tiny_study_finds_the_better_of_two_learning_rates(tmp_path):
    lines: list[str] = []
    info = run_study(settings("lr"), tmp_path, report=lines.append)
    study = load_study(tmp_path, "lr")
    tried = {t.params["lr"] for t in study.trials}
    assert tried == {BAD_LR, GOOD_LR}, "both learning rates must be tried for the choice to mean something"
    assert info.done == 3 and info.best_params["lr"] == GOOD_LR
    for trial in study.trials:  # every trial is an ordinary run whose config names the study and trial
        run = RunDir(tmp_path / trial.user_attrs["run_id"]).read()
        assert (run.config["study"], run.config["trial"], run.config["lr"]) == ("lr", trial.number, trial.params["lr"])
        assert trial.value == run.summary["validation"]["ndcg@20"]  # the validation metric, never the test one
    assert best_config(tmp_path, "lr").lr == GOOD_LR
    listed = list_studies(tmp_path)
    shown = [(s.name, s.dataset, s.model, s.metric, s.trials) for s in listed]
    assert shown == [("lr", "synthetic", "mf", "ndcg@20", 3)]
    assert listed[0].best_run == info.best_run and listed[0].cpu_seconds > 0
    assert listed[0].best_epoch == 2 and listed[0].storage == str(tmp_path / "studies" / "lr.journal")
    assert listed[0].space["lr"] == {"choices": [BAD_LR, GOOD_LR]}
    assert len(lines) == 3 and all(line.startswith(f"trial {n} finished") for n, line in enumerate(lines))


def test_pruning_stops_a_hopeless_trial_early(tmp_path):
    tune = settings("prune", base=TrainConfig(dataset="synthetic", model="mf", epochs=4, dim=8, device="cpu"))
    tune = TuneSettings(**{**tune.__dict__, "pruner_startup": 2})
    study = open_study(tune, tmp_path)
    for lr in (GOOD_LR, GOOD_LR, BAD_LR):  # Optuna's own queue fixes which trial is hopeless
        study.enqueue_trial({"lr": lr})
    info = run_study(tune, tmp_path, report=lambda line: None)
    trials = load_study(tmp_path, "prune").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED]
    hopeless = RunDir(tmp_path / trials[2].user_attrs["run_id"]).read()
    assert hopeless.state == "stopped" and hopeless.status["epoch"] < 4
    assert "pruned by study prune" in hopeless.status["reason"] and hopeless.summary is None  # no test metrics
    assert (info.done, info.pruned) == (2, 1)


def test_running_the_same_study_again_continues_its_trial_count(tmp_path):
    first = run_study(settings("resume", trials=2), tmp_path, report=lambda line: None)
    lines: list[str] = []
    second = run_study(settings("resume", trials=3), tmp_path, report=lines.append)
    assert (first.done, second.done) == (2, 3)
    assert len(lines) == 1 and lines[0].startswith("trial 2 finished")
    assert [t.number for t in load_study(tmp_path, "resume").trials] == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.glob("resume-trial*")) == [f"resume-trial000{n}" for n in range(3)]
    again = run_study(settings("resume", trials=3), tmp_path, report=lines.append)
    assert again.done == 3 and len(lines) == 1, "a study that holds its trials runs none"


def test_refit_trains_the_best_trial_on_train_and_validation(tmp_path):
    info = run_study(settings("refit", trials=2, refit=True), tmp_path, report=lambda line: None)
    refit = RunDir(tmp_path / info.refit_run).read()
    selected = RunDir(tmp_path / info.best_run).read()
    assert refit.config["refit_of"] == info.best_run and refit.config["epochs"] == selected.summary["best_epoch"]
    assert refit.summary["validation"] == selected.summary["validation"]
    assert refit.summary["refit"]["of"] == info.best_run and "test read once" in refit.summary["selected_by"]
    assert load_study(tmp_path, "refit").user_attrs["refit_run"] == info.refit_run
    assert json.loads((tmp_path / info.refit_run / "config.json").read_text())["study"] == "refit"


def test_a_study_name_reused_with_other_settings_is_refused_naming_them(tmp_path):
    open_study(settings("same"), tmp_path)
    with pytest.raises(ValueError, match=r"dataset 'synthetic' \(now 'movielens-latest-small'\)"):
        other = settings("same", base=TrainConfig(dataset="movielens-latest-small", model="mf", epochs=2, dim=8))
        open_study(other, tmp_path)
    with pytest.raises(ValueError, match=r"space .*lr"):
        open_study(settings("same", space=["lr=0.001:0.01"]), tmp_path)


def test_the_same_seed_proposes_the_same_trials(tmp_path):
    tune = settings("seeded", trials=2, space=[], base=TrainConfig(dataset="synthetic", model="mf", epochs=1, dim=8))
    drawn = []
    for folder in ("a", "b"):
        run_study(tune, tmp_path / folder, report=lambda line: None)
        drawn.append([t.params for t in load_study(tmp_path / folder, "seeded").trials])
    assert drawn[0] == drawn[1] and drawn[0][0] != drawn[0][1]


def test_trials_failing_in_a_row_stop_the_study_in_words(tmp_path):
    (tmp_path / "wall-trial0000").mkdir()  # a folder where each trial's run would go makes every trial fail
    (tmp_path / "wall-trial0001").mkdir()
    (tmp_path / "wall-trial0002").mkdir()
    lines: list[str] = []
    with pytest.raises(ValueError, match="3 trials of study 'wall' failed in a row"):
        run_study(settings("wall", trials=1), tmp_path, report=lines.append)
    assert [line.split(":")[0] for line in lines] == [f"trial {n} failed" for n in range(3)]
    study = load_study(tmp_path, "wall")
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3 and "error" in study.trials[0].user_attrs


def test_defaults_first_starts_a_new_study_from_the_models_defaults_inside_its_space(tmp_path):
    space = ["lr=1e-4:1e-1", "batch_size=1024,2048", "reg=1e-2:1e-1"]  # MF's default reg (1e-4) lies outside
    lines: list[str] = []
    run_study(settings("defaults", space=space, trials=2, defaults_first=True), tmp_path, report=lines.append)
    first = load_study(tmp_path, "defaults").trials[0]
    assert first.params["lr"] == 0.005 and first.params["batch_size"] == 2048 and first.user_attrs["defaults"]
    assert first.params["reg"] != 1e-4 and 1e-2 <= first.params["reg"] <= 1e-1, "a default outside is drawn"
    assert "(the model's defaults)" in lines[0] and "(the model's defaults)" not in lines[1]
    run_study(settings("defaults", space=space, trials=3, defaults_first=True), tmp_path, report=lines.append)
    assert sum(bool(t.user_attrs.get("defaults")) for t in load_study(tmp_path, "defaults").trials) == 1


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")  # this test asks by hand
def test_a_database_trial_whose_heartbeat_stopped_is_failed_by_the_next_process(tmp_path, monkeypatch):
    """A trial of another machine (not this host's process to check) whose heartbeat went silent for the grace
    period is marked failed before the next trial is drawn; one still beating is left running."""
    import time

    from engine.tuning import storage as storages
    from engine.tuning.runner import reap_stale_trials

    monkeypatch.setattr(storages, "GRACE_S", 1)
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = open_study(settings("beat", storage=url), tmp_path)
    assert study._storage.get_heartbeat_interval() == storages.HEARTBEAT_S
    silent, beating = study.ask(), study.ask()
    for trial in (silent, beating):
        trial.set_user_attr("host", "another-machine")
        trial.set_user_attr("pid", 1)
        study._storage.record_heartbeat(trial._trial_id)
    time.sleep(2.5)
    study._storage.record_heartbeat(beating._trial_id)
    assert reap_stale_trials(study, report=lambda line: None) == []  # Optuna's own reaper: not this host's trials
    states = {t.number: t.state for t in load_study(tmp_path, "beat").trials}
    assert states == {silent.number: TrialState.FAIL, beating.number: TrialState.RUNNING}


def test_a_cpu_budget_stops_the_trial_that_spends_it_and_starts_no_other(tmp_path):
    base = TrainConfig(dataset="synthetic", model="mf", epochs=40, dim=8, seed=0, device="cpu", patience=50)
    tune = settings("budget", base=base, trials=50, cpu_minutes=0.01)  # 0.6 CPU-seconds: less than one trial
    lines: list[str] = []
    info = run_study(tune, tmp_path, report=lines.append)
    trials = load_study(tmp_path, "budget").trials
    assert len(trials) == 1 and trials[0].state == TrialState.PRUNED and trials[0].user_attrs["budget"]
    run = RunDir(tmp_path / trials[0].user_attrs["run_id"]).read()
    assert run.state == "stopped" and "CPU budget of 0.01 CPU-minutes is spent" in run.status["reason"]
    assert run.status["epoch"] < 40 and lines == [lines[0]] and "stopped, the CPU budget spent," in lines[0]
    assert info.cpu_seconds >= 0.6
    again = run_study(TuneSettings(**{**tune.__dict__, "cpu_minutes": 0.01}), tmp_path, report=lines.append)
    assert again.pruned == 1 and len(lines) == 1, "a spent budget starts nothing when the command runs again"


def test_a_bad_cpu_budget_is_refused():
    from engine.tuning.runner import prepare

    for minutes in (0, -1.0):
        with pytest.raises(ValueError, match="--cpu-minutes must be a positive number of minutes"):
            prepare(settings("bad", cpu_minutes=minutes))
