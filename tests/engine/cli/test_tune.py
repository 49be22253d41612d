"""``python -m engine tune``: its output, one ``error:`` line per bad input with nothing created, and Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState

from engine.cli import main
from engine.runs.config import TrainConfig
from engine.runs.rundir import RunDir
from engine.tuning import load_study
from engine.tuning.runner import TuneSettings, open_study

TINY = ["--model", "mf", "--epochs", "1", "--dim", "8", "--device", "cpu", "--quiet"]


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_last_line_is_the_refit_run_and_json_prints_the_summary(tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["tune", "--name", "cli", *TINY, "--trials", "1", "--refit", "--runs-dir", str(runs)]
    code, out, _ = _run(argv, capsys)
    last = Path(out.strip().splitlines()[-1])
    assert code == 0 and last == runs / "cli-trial0000-refit"
    assert RunDir(last).read().config["refit_of"] == "cli-trial0000"
    assert "best: trial 0, validation ndcg@20" in out and "refit on train + validation: test ndcg@20" in out
    code, out, _ = _run([*argv, "--json"], capsys)  # the study holds its trial: nothing runs again
    summary = json.loads(out)
    assert code == 0 and (summary["trials"], summary["refit_run"]) == (1, "cli-trial0000-refit")
    assert summary["run_dir"] == str(last) and summary["meta"]["model"] == "mf"
    assert sorted(p.name for p in runs.iterdir()) == ["cli-trial0000", "cli-trial0000-refit", "studies"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--model", "transformer"], "unknown model 'transformer': choose one of"),
        (["--space", "depth=1:3"], "unknown parameter 'depth' in the search space of model 'mf'; it can search: lr"),
        (["--space", "lr=0.01:0.01"], "--space 'lr=0.01:0.01': the range is empty"),
        (["--space", "lr=0.1:0.01"], "--space 'lr=0.1:0.01': the range is inverted"),
        (["--space", "lr=0:0.5"], "--space 'lr=0:0.5': 0.0 lies outside lr's bounds [1e-09, 1.0]"),
        (["--space", "reg"], "--space expects NAME=LOW:HIGH or NAME=V1,V2 (got 'reg')"),
        (["--space", "batch_size=64:big"], "--space 'batch_size=64:big': 'big' is not one of the whole numbers"),
        (["--trials", "0"], "--trials must be at least 1 (got 0)"),
        (["--timeout", "-5"], "--timeout must be a positive number of seconds (got -5.0)"),
        (["--metric", "auc@10"], "--metric 'auc@10' is not a validation metric"),
        (["--metric", "ndcg@10", "--k", "10", "20"], "--metric ndcg@10 needs 10 to be the largest --k"),
        (["--name", "../up"], "study name '../up' must be 1-80 letters, digits"),
        (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot reach storage postgresql+psycopg://nobody@"),
        (["--storage", "not a url"], "--storage 'not a url' is not a database URL"),
        (["--test-ratio", "2"], "'test_ratio' must be a number"),
        (["--val-ratio", "0"], "tune chooses on the validation slice, so --val-ratio must be above 0 (got 0.0)"),
    ],
)
def test_bad_tune_input_is_one_error_line_and_creates_nothing(tmp_path, capsys, flags, message):
    runs = tmp_path / "runs"
    argv = ["tune", "--name", "bad", *TINY, "--trials", "1", "--runs-dir", str(runs)]
    code, out, err = _run([*argv, *flags], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert not runs.exists(), "a refused command writes nothing"


@pytest.mark.parametrize(
    ("flags", "differs"),
    [
        (["--dataset", "movielens-latest-small"], "dataset 'synthetic' (now 'movielens-latest-small')"),
        (["--space", "lr=0.001:0.01"], "space {"),
        (["--model", "lightgcn"], "model 'mf' (now 'lightgcn')"),
    ],
)
def test_a_study_name_reused_with_other_settings_is_refused(tmp_path, capsys, flags, differs):
    runs = tmp_path / "runs"
    base = TrainConfig(dataset="synthetic", model="mf", epochs=1, dim=8, device="cpu")
    open_study(TuneSettings(name="taken", base=base), runs)
    before = sorted(p.name for p in runs.rglob("*"))
    code, out, err = _run(["tune", "--name", "taken", *TINY, "--runs-dir", str(runs), *flags], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: study 'taken' was started with other settings: ") and differs in err, err
    assert sorted(p.name for p in runs.rglob("*")) == before and not load_study(runs, "taken").trials


def test_ctrl_c_keeps_finished_trials_and_marks_the_running_one_failed(tmp_path):
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "engine", "tune", "--name", "stop", "--model", "mf", "--epochs", "12"]
    command += ["--dim", "8", "--device", "cpu", "--quiet", "--trials", "3", "--runs-dir", str(runs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = RunDir(runs / "stop-trial0001")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (second.status_path.exists() and second.read().state == "running"):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "study stop stopped" in err and "1 finished or pruned trial(s) kept" in err and "Traceback" not in err
    trials = load_study(runs, "stop").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert second.read().state == "stopped" and "SIGINT" in second.read().status["reason"]
    assert out.startswith("trial 0 finished")


def test_the_dashboards_tune_command_parses_to_the_study_it_describes(tmp_path):
    from engine.cli import build_parser
    from engine.cli.tune import settings_from_args
    from engine.commands import tune_command

    options = {"trials": 5, "timeout": 60, "epochs": 3, "metric": "recall@10", "val_ratio": 0.2}
    command = tune_command("ui", "synthetic", "lightgcn", tmp_path, options, space=["num_layers=1:2"], refit=True)
    settings = settings_from_args(build_parser().parse_args(command[3:]))
    assert (settings.name, settings.base.model, settings.trials, settings.timeout) == ("ui", "lightgcn", 5, 60.0)
    assert (settings.base.epochs, settings.metric, settings.base.val_ratio) == (3, "recall@10", 0.2)
    assert list(settings.space) == ["num_layers=1:2"] and settings.refit


def test_a_killed_tune_process_leaves_no_trial_running_forever(tmp_path):
    """SIGKILL (no handler runs): the next `tune` of the study marks the dead process's trial failed, says so, and
    draws a new trial in its place, so the budget is neither held nor short."""
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "engine", "tune", "--name", "kill", *TINY[:2], "--epochs", "30", *TINY[4:]]
    command += ["--trials", "2", "--runs-dir", str(runs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = RunDir(runs / "kill-trial0000")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (first.status_path.exists() and first.read().state == "running"):
        time.sleep(0.05)
    process.kill()
    process.communicate(timeout=60)
    assert [t.state for t in load_study(runs, "kill").trials] == [TrialState.RUNNING]
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=400)
    assert resumed.returncode == 0, resumed.stderr
    assert f"trial 0 marked failed: its tune process (pid {process.pid}" in resumed.stdout
    trials = load_study(runs, "kill").trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert "ended without finishing it" in trials[0].user_attrs["error"]
    assert first.read().state == "interrupted"  # the run itself reads as its process's end left it
