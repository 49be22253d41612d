"""``python -m engine experiment`` and ``compare`` on the sample data: members, resumption, grid choice on validation,
the comparison's output, and every refusal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.experiments import ExperimentSpec, read_experiment, run_experiment
from engine.runs.config import TrainConfig
from engine.runs.rundir import read_run
from engine.runs.runstore import RunStore
from engine.training import train

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """mf and lightgcn, seeds 0 and 1, one epoch each."""
    runs_dir = tmp_path_factory.mktemp("runs")
    spec = ExperimentSpec("small", "synthetic", ["mf", "lightgcn"], [0, 1], epochs=1, base={"ks": [10]})
    run_experiment(spec, runs_dir, progress=False)
    return runs_dir


def test_members_are_ordinary_runs_grouped_by_the_experiment(experiment):
    document = read_experiment(experiment, "small")
    ids = [member["run_id"] for member in document["members"]]
    assert ids == ["small-mf-g0-s0", "small-mf-g0-s1", "small-lightgcn-g0-s0", "small-lightgcn-g0-s1"]
    listed = {run.run_id: run for run in RunStore(experiment).list()}
    assert set(listed) == set(ids), "runs lists the members and nothing else of the experiments folder"
    assert all(listed[i].state == "finished" and listed[i].protocol == "validation-selected" for i in ids)
    assert listed["small-mf-g0-s1"].config["seed"] == 1 and listed["small-mf-g0-s1"].config["epochs"] == 1
    assert set(document["selected"]) == {"mf", "lightgcn"}


def test_a_finished_experiment_is_not_rerun(experiment, monkeypatch):
    from engine.training import trainer

    calls = []
    monkeypatch.setattr(trainer, "train", lambda *args, **kwargs: calls.append(args))
    monkeypatch.setattr(trainer, "resume", lambda *args, **kwargs: calls.append(args))
    assert main(["experiment", "--name", "small", "--models", "mf,lightgcn", "--seeds", "0,1", "--epochs", "1",
                 "--k", "10", "--runs-dir", str(experiment), "--quiet"]) == 0  # fmt: skip
    assert calls == []


def test_compare_prints_seeds_paired_tests_and_segments(experiment, capsys):
    assert main(["compare", "--experiment", "small", "--runs-dir", str(experiment), "--baseline", "mf"]) == 0
    text = capsys.readouterr().out
    assert "test metrics over seeds: mean ± std [95% CI, Student's t]" in text
    assert "lightgcn, 2 seed(s)" in text and "mf (baseline), 2 seed(s)" in text
    assert "Wilcoxon signed-rank (scipy.stats.wilcoxon), Holm-corrected" in text
    assert "ndcg@10 by user activity (quintiles of training degree" in text
    assert "lightgcn beats mf on ndcg@10" in text or "lightgcn is not distinguishable from mf" in text

    assert main(["compare", "--experiment", "small", "--runs-dir", str(experiment), "--baseline", "mf", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    ndcg = summary["models"]["lightgcn"]["ndcg@10"]
    assert set(ndcg) == {"mean", "std", "ci95", "seeds", "note"} and ndcg["seeds"] == 2
    tested = [read_run(experiment / f"small-lightgcn-g0-s{seed}").summary["test"]["ndcg@10"] for seed in (0, 1)]
    assert ndcg["mean"] == pytest.approx(sum(tested) / 2)
    paired = summary["paired"]["lightgcn"]["ndcg@10"]
    assert {"mean_difference", "ci95", "p_value", "p_value_holm", "users"} <= set(paired)
    assert len(summary["activity"]) == 5 and summary["dataset"] == "synthetic"
    assert summary["split"]["val_ratio"] == 0.1


def test_compare_says_an_undertrained_experiment_may_reflect_training_length(experiment, capsys):
    """Issue 25, point 8: every member trained one epoch, so each one's best validation epoch is its last; the
    sentence, the text and --json say so."""
    assert main(["compare", "--experiment", "small", "--runs-dir", str(experiment), "--baseline", "mf"]) == 0
    text = capsys.readouterr().out
    (sentence,) = [line for line in text.splitlines() if line.startswith("lightgcn ") and "on ndcg@10:" in line]
    assert (
        "mf was still improving at its last epoch (seed 0: best validation ndcg@10 at its last evaluated epoch, 1 of "
        "1; seed 1: best validation ndcg@10 at its last evaluated epoch, 1 of 1): the comparison may reflect training "
        "length, not the model." in sentence
    )
    assert "lightgcn was still improving at its last epoch" in sentence
    assert "training length per member" in text and text.count("yes: best at its last epoch") == 4

    assert main(["compare", "--experiment", "small", "--runs-dir", str(experiment), "--baseline", "mf", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    members = {member["run_id"]: member for member in summary["members"]}
    assert set(members) == {f"small-{m}-g0-s{s}" for m in ("mf", "lightgcn") for s in (0, 1)}
    assert all(m["best_is_last"] is True and m["best_epoch"] == m["last_epoch"] == 1 for m in members.values())
    assert members["small-mf-g0-s1"]["monitor"] == "validation ndcg@10" and members["small-mf-g0-s1"]["seed"] == 1
    assert "training length, not the model" in summary["headline"][0]


def test_a_converged_member_is_not_flagged(tmp_path, capsys):
    """LightGCN at lr 1e-9 does not move: its flat curve peaks at its first epoch, so it is not still improving."""
    command = ["experiment", "--name", "flat", "--models", "lightgcn", "--seeds", "0", "--epochs", "3", "--grid",
               "lightgcn.lr=1e-9", "--k", "10", "--patience", "0", "--runs-dir", str(tmp_path), "--quiet"]  # fmt: skip
    assert main(command) == 0
    capsys.readouterr()
    compare = ["compare", "--experiment", "flat", "--runs-dir", str(tmp_path), "--baseline", "lightgcn", "--json"]
    assert main(compare) == 0
    (member,) = json.loads(capsys.readouterr().out)["members"]
    assert (member["best_epoch"], member["last_epoch"], member["best_is_last"]) == (1, 3, False)
    assert member["still_improving"] is False


def test_single_runs_compare_without_a_seed_interval(experiment, capsys):
    runs = [str(experiment / "small-mf-g0-s0"), str(experiment / "small-lightgcn-g0-s0")]
    assert main(["compare", *runs, "--baseline", "mf"]) == 0
    text = capsys.readouterr().out
    assert "(1 seed: no CI)" in text and "mf has 1 seed: no interval over seeds" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--models", "mf,svd"], "unknown model 'svd'"),
        (["--models", "mf", "--grid", "mf.lr"], "--grid expects MODEL.PARAM=V1,V2"),
        (["--models", "mf", "--grid", "mf.lr=0.1,"], "--grid expects MODEL.PARAM=V1,V2"),
        (["--models", "mf", "--grid", "mf.depth=1,2"], "mf has no parameter 'depth'; a grid can vary: batch_size"),
        (["--models", "mf", "--grid", "lightgcn.num_layers=1,2"], "model 'lightgcn' is not in --models mf"),
        (["--models", "mf", "--grid", "mf.lr=fast"], "lr must be a number"),
        (["--models", "mf", "--grid", "mf.lr=5"], "'lr' must be a number in [1e-09, 1.0]"),
        (["--models", "mf,lightgcn", "--grid", "mf.lr=0.1,0.01"], "same tuning budget, but the grid gives mf 2"),
        (["--models", "mf", "--seeds", "0,x"], "--seeds expects comma-separated whole numbers"),
        (["--models", "mf", "--grid", "mf.lr=0.1,0.01", "--val-ratio", "0"], "--val-ratio 0 leaves none"),
        (["--models", "mf", "--test-ratio", "0.95"], "'test_ratio' must be a number in [0.01, 0.9]"),
        (["--models", "mf", "--split", "weekly"], "unknown split 'weekly'"),
        (["--models", "mf", "--name", "../up"], "invalid experiment name '../up'"),
    ],
)
def test_bad_experiment_settings_are_refused_before_anything_trains(tmp_path, capsys, arguments, message):
    command = ["experiment", "--name", "bad", "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--quiet"]
    assert main(command + arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error, error
    assert not (tmp_path / "runs").exists()


def test_an_existing_experiment_with_other_settings_is_refused(experiment, capsys):
    command = ["experiment", "--name", "small", "--models", "mf", "--seeds", "0,1", "--epochs", "1", "--k", "10"]
    assert main([*command, "--runs-dir", str(experiment), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "experiment 'small' already exists" in error and "models: ['mf', 'lightgcn'] there, ['mf'] now" in error


def test_bad_comparisons_are_refused(experiment, tmp_path, capsys):
    other = train(
        TrainConfig(model="mf", epochs=1, dim=8, ks=[10], test_ratio=0.3), tmp_path, "other-split", progress=False
    )
    mf = str(experiment / "small-mf-g0-s0")
    cases = [
        ([mf, str(other)], "mf", "runs small-mf-g0-s0 and other-split are on different datasets or splits (test_ratio"),
        ([mf, str(experiment / "small-mf-g0-s1"), mf], "mf", "are both model mf with seed 0"),
        ([mf], "pinsage", "baseline 'pinsage' has no runs here; the models are: mf"),
        (["--experiment", "nothing", "--runs-dir", str(experiment)], "mf", "no experiment 'nothing'"),
        ([], "mf", "give either --experiment NAME or RUN_DIR"),
        ([mf, "--k", "20"], "mf", "run small-mf-g0-s0 has no per-user recall@20"),
    ]
    for arguments, baseline, message in cases:
        assert main(["compare", *arguments, "--baseline", baseline]) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: ") and message in error, (arguments, error)


def test_a_damaged_experiment_file_is_reported(tmp_path, capsys):
    folder = tmp_path / "experiments" / "broken"
    folder.mkdir(parents=True)
    (folder / "experiment.json").write_text('{"format": "gnn-recsys-explorer/experiment", "spec": {"nam": 1}}')
    assert main(["compare", "--experiment", "broken", "--runs-dir", str(tmp_path), "--baseline", "mf"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: experiment 'broken'") and "has a damaged experiment.json" in error


def test_the_grid_point_is_chosen_on_validation(tmp_path, capsys):
    # lr 1e-9 leaves LightGCN's embeddings at their initial values: validation must pick lr 0.005
    command = ["experiment", "--name", "tuned", "--models", "lightgcn", "--seeds", "0", "--epochs", "1",
               "--grid", "lightgcn.lr=1e-9,0.005", "--k", "10", "--test-ratio", "0.25", "--patience", "0",
               "--runs-dir", str(tmp_path), "--quiet"]  # fmt: skip
    assert main(command) == 0
    selected = read_experiment(tmp_path, "tuned")["selected"]["lightgcn"]
    assert selected["settings"] == {"lr": 0.005} and selected["grid_point"] == 1
    config = read_run(tmp_path / "tuned-lightgcn-g1-s0").config
    assert config["lr"] == 0.005 and config["test_ratio"] == 0.25 and config["patience"] == 0
    capsys.readouterr()
    assert main(["compare", "--experiment", "tuned", "--runs-dir", str(tmp_path), "--baseline", "lightgcn"]) == 0
    text = capsys.readouterr().out
    assert "lightgcn: grid point {'lr': 0.005} chosen on validation ndcg@10" in text


def test_a_stopped_experiment_resumes_its_member_and_skips_the_finished(tmp_path, monkeypatch):
    """SIGTERM during the second member stops it; the same command again resumes that member only."""
    command = ["experiment", "--name", "cut", "--models", "mf", "--seeds", "0,1", "--epochs", "8", "--grid",
               "mf.batch_size=256", "--runs-dir", str(tmp_path), "--quiet"]  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "engine", *command], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    second = tmp_path / "cut-mf-g0-s1"
    deadline = time.time() + 300
    try:
        while not (second.is_dir() and read_run(second).status.get("epoch", 0) >= 1):
            assert process.poll() is None and time.time() < deadline, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1 and "member cut-mf-g0-s1 was stopped; run the same experiment command again" in err
    assert read_run(tmp_path / "cut-mf-g0-s0").state == "finished" and read_run(second).state == "stopped"

    from engine.training import trainer

    calls = []
    real_train, real_resume = trainer.train, trainer.resume
    monkeypatch.setattr(trainer, "train", lambda *a, **k: calls.append("train") or real_train(*a, **k))
    monkeypatch.setattr(
        trainer, "resume", lambda *a, **k: calls.append(("resume", Path(a[0]).name)) or real_resume(*a, **k)
    )
    assert main(command) == 0
    assert calls == [("resume", "cut-mf-g0-s1")]
    info = read_run(second)
    assert info.state == "finished" and [r["epoch"] for r in info.metrics] == list(range(1, 9))


def test_the_dashboards_command_is_the_experiment_it_describes(tmp_path):
    """experiment_command renders a spec as flags that spec_from_args reads back into the same spec (so an experiment
    started on the Train page and the same command typed in a shell resume each other)."""
    from engine.cli import build_parser
    from engine.cli.experiment import spec_from_args
    from engine.commands import experiment_command

    spec = ExperimentSpec(
        "roundtrip",
        "movielens-latest-small",
        ["mf", "lightgcn"],
        [0, 3],
        grid={"mf": {"lr": [0.01, 1e-05]}, "lightgcn": {"num_layers": [2, 3]}},
        epochs=4,
        base={"data_dir": "/data/ml small", "ks": [10, 20], "val_ratio": 0.15, "patience": 0, "split": "temporal"},
    )
    command = experiment_command(spec, tmp_path, python="python")
    assert command[:4] == ["python", "-m", "engine", "experiment"] and command[-1] == "--quiet"
    assert spec_from_args(build_parser().parse_args(command[3:])) == spec
    bare = ExperimentSpec("bare", "synthetic", ["pinsage"], [1])
    assert spec_from_args(build_parser().parse_args(experiment_command(bare, tmp_path)[3:])) == bare


def test_member_states_count_the_finished_members(experiment, tmp_path):
    from engine.experiments import member_states

    states = member_states(experiment, "small")
    assert list(states) == ["small-mf-g0-s0", "small-mf-g0-s1", "small-lightgcn-g0-s0", "small-lightgcn-g0-s1"]
    assert set(states.values()) == {"finished"}
    with pytest.raises(ValueError, match="no experiment 'absent'"):
        member_states(experiment, "absent")


def test_an_experiment_whose_member_is_running_is_not_started_twice(tmp_path):
    import os

    from engine.experiments import check_experiment
    from engine.runs.jsonio import write_json_atomic

    spec = ExperimentSpec("busy", "synthetic", ["mf"], [0], epochs=1)
    document = {"format": "gnn-recsys-explorer/experiment", "spec": spec.to_dict(), "members": []}
    spec.path(tmp_path).parent.mkdir(parents=True)
    write_json_atomic(spec.path(tmp_path), document)
    assert [member.run_id for member in check_experiment(spec, tmp_path)] == ["busy-mf-g0-s0"]
    run = RunStore(tmp_path).create("mf", "synthetic", "busy-mf-g0-s0")
    run.update_status(state="running", pid=os.getpid(), epoch=0, total_epochs=1)
    with pytest.raises(ValueError, match=r"experiment 'busy' is already running: its member busy-mf-g0-s0 is running"):
        check_experiment(spec, tmp_path)


def test_experiment_refit_compares_the_refits_of_the_chosen_settings(tmp_path, capsys):
    argv = ["experiment", "--name", "rf", "--models", "mf", "--seeds", "0,1", "--epochs", "2", "--k", "10"]
    argv += ["--grid", "mf.lr=0.05,0.0001", "--runs-dir", str(tmp_path), "--quiet", "--refit"]
    assert main(argv) == 0
    document = read_experiment(tmp_path, "rf")
    assert document["spec"]["refit"] is True and document["selected"]["mf"]["settings"] == {"lr": 0.05}
    assert document["refits"] == {f"rf-mf-g0-s{seed}": f"rf-mf-g0-s{seed}-refit" for seed in (0, 1)}
    refit = read_run(tmp_path / "rf-mf-g0-s1-refit")
    assert refit.config["refit_of"] == "rf-mf-g0-s1" and refit.config["lr"] == 0.05
    capsys.readouterr()
    assert main(["compare", "--experiment", "rf", "--runs-dir", str(tmp_path), "--baseline", "mf", "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert sorted(member["run_id"] for member in compared["members"]) == ["rf-mf-g0-s0-refit", "rf-mf-g0-s1-refit"]
    for member in compared["members"]:  # a refit evaluates nothing while training: its length is the selected run's
        selected = read_run(tmp_path / member["run_id"].removesuffix("-refit"))
        assert member["monitor"] == "validation ndcg@10 of the run it refits"
        assert (member["best_epoch"], member["last_epoch"]) == (selected.summary["best_epoch"], 2)
    assert "--refit" in experiment_command_of(tmp_path, "rf")


def experiment_command_of(runs_dir: Path, name: str) -> list[str]:
    from engine.commands import experiment_command

    return experiment_command(read_experiment(runs_dir, name)["spec"], runs_dir)
