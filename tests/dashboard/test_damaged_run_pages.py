"""Hardening II, points 4 and 5, on the pages: a run with one damaged file (a truncated ``.npz``, a JSON field of the
wrong type, a damaged ``experiment.json``) on each page that shows runs. No page raises; a page that reads the
damaged file says so in a message naming the run; and the other run of the directory is still shown."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import keys
from engine.analysis import ProjectionStore
from engine.cli import main
from engine.experiments import ExperimentSpec, run_experiment
from engine.runs.rundir import RunDir
from tests.dashboard.shown import shown

EXPERIMENT = "pair"
DAMAGED = f"{EXPERIMENT}-lightgcn-g0-s0"  # the experiment's one member: one of its files is damaged
INTACT = "intact-run"  # a copy of it, left whole


@pytest.fixture(scope="module")
def whole_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An experiment of one LightGCN run (1 epoch, 8-d, PCA map computed) and a copy of that run, both whole."""
    runs_dir = tmp_path_factory.mktemp("damage-table")
    spec = ExperimentSpec(EXPERIMENT, "synthetic", ["lightgcn"], [0], epochs=1, base={"ks": [10], "dim": 8})
    run_experiment(spec, runs_dir, progress=False)
    ProjectionStore(runs_dir / DAMAGED).compute(1, "pca")
    shutil.copytree(runs_dir / DAMAGED, runs_dir / INTACT)
    return runs_dir


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _edit_json(path: Path, edit: Callable[[dict], None]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def _edit_metrics(path: Path, edit: Callable[[dict], None]) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    edit(lines[-1])
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def _snapshot(run: Path) -> Path:
    return RunDir(run).epoch_snapshot_path(max(RunDir(run).snapshot_epochs()))


def _projection(run: Path) -> Path:
    return next(RunDir(run).projections_dir.glob("*_pca.npz"))


# name -> what it does to the runs directory (the damaged run, or the experiment's file)
DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated split.npz": lambda runs: _truncate(RunDir(runs / DAMAGED).split_path),
    "truncated per_user.npz": lambda runs: _truncate(RunDir(runs / DAMAGED).per_user_path),
    "truncated snapshot": lambda runs: _truncate(_snapshot(runs / DAMAGED)),
    "truncated projection": lambda runs: _truncate(_projection(runs / DAMAGED)),
    "status started_at 'yesterday'": lambda runs: _edit_json(
        RunDir(runs / DAMAGED).status_path, lambda d: d.update(started_at="yesterday")
    ),
    "summary test a list": lambda runs: _edit_json(RunDir(runs / DAMAGED).summary_path, lambda d: d.update(test=[0.1])),
    "summary test a string metric": lambda runs: _edit_json(
        RunDir(runs / DAMAGED).summary_path, lambda d: d["test"].update({"ndcg@10": "high"})
    ),
    "metrics loss a string": lambda runs: _edit_metrics(
        RunDir(runs / DAMAGED).metrics_path, lambda d: d.update(loss="low")
    ),
    "config dataset a list": lambda runs: _edit_json(
        RunDir(runs / DAMAGED).config_path, lambda d: d.update(dataset=["synthetic"])
    ),
    "experiment.json without spec": lambda runs: _edit_json(
        ExperimentSpec(EXPERIMENT, "", [], []).path(runs), lambda d: d.pop("spec")
    ),
    "experiment.json spec.models 5": lambda runs: _edit_json(
        ExperimentSpec(EXPERIMENT, "", [], []).path(runs), lambda d: d["spec"].update(models=5)
    ),
}
# page -> the session state that points it at the damaged run, and the select box that lists the runs
PAGES = {
    "views/train.py": ({keys.TRAIN_RUN_ID: DAMAGED}, keys.TRAIN_RUN_ID),
    "views/runs.py": ({keys.RUNS_SELECTED: [DAMAGED, INTACT]}, None),  # the runs table lists them
    "views/neighborhood.py": ({keys.NEIGHBORHOOD_RUN: DAMAGED}, keys.NEIGHBORHOOD_RUN),
    "views/embeddings.py": ({keys.EMBEDDINGS_RUN: DAMAGED}, keys.EMBEDDINGS_RUN),
    "views/recommend.py": ({keys.RECOMMEND_RUN: DAMAGED, keys.RECOMMEND_COLD_ITEMS: [0, 1]}, keys.RECOMMEND_RUN),
}
NPZ = "is truncated or damaged (a write cut short by a kill or a full disk)"
EVERY_PAGE = set(PAGES)
# damage -> (the pages that read the damaged file, the phrase their message holds beside the run's name). A page
# that never reads the file (Recommend rebuilds the split from the config, say) only has to keep working.
READ_BY: dict[str, tuple[set[str], str]] = {
    "truncated split.npz": ({"views/neighborhood.py"}, NPZ),
    "truncated per_user.npz": ({"views/runs.py"}, NPZ),  # the experiment's comparison
    "truncated snapshot": ({"views/embeddings.py", "views/recommend.py"}, NPZ),
    "truncated projection": ({"views/embeddings.py", "views/recommend.py"}, NPZ),
    "status started_at 'yesterday'": (EVERY_PAGE, "status.json: 'started_at' is 'yesterday', not a number or null"),
    "summary test a list": (EVERY_PAGE, "summary.json: 'test' is [0.1], not an object"),
    "summary test a string metric": (EVERY_PAGE, "summary.json: 'test' is {"),
    "metrics loss a string": (EVERY_PAGE, "metrics.jsonl: 'loss' is 'low', not a number or null"),
    "config dataset a list": (EVERY_PAGE, "config.json: 'dataset' is ['synthetic'], not text"),
    "experiment.json without spec": ({"views/runs.py"}, "has a damaged experiment.json (it has no 'spec' object)"),
    "experiment.json spec.models 5": (
        {"views/runs.py"},
        "has a damaged experiment.json (spec: 'models' is 5, not a list",
    ),
}
MESSAGES = ("markdown", "caption", "error", "warning", "info")


def messages(at: AppTest) -> list[str]:
    return [shown(str(element.value)) for kind in MESSAGES for element in getattr(at, kind)]


def listed_runs(at: AppTest, picker: str | None) -> list[str]:
    """The run ids the page offers: its select box's options, or the Runs page's tables (one per dataset)."""
    if picker is None:
        return [run for frame in at.dataframe if "best NDCG" in frame.value.columns for run in frame.value["run"]]
    return [option.split(" ")[0] for option in at.selectbox(key=picker).options]


@pytest.fixture
def damaged_runs(whole_runs: Path, tmp_path: Path) -> Callable[[str], Path]:
    def damage(name: str) -> Path:
        runs_dir = Path(shutil.copytree(whole_runs, tmp_path / "runs"))
        DAMAGES[name](runs_dir)
        return runs_dir

    return damage


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_run_file_is_a_message_naming_it_and_the_other_run_still_shows(
    app_at, damaged_runs, damage: str, page: str
) -> None:
    session, picker = PAGES[page]
    at = app_at(page, runs_dir=damaged_runs(damage), **session)
    assert not at.exception, at.exception
    assert INTACT in listed_runs(at, picker)
    readers, phrase = READ_BY[damage]
    if page in readers:
        named = f"experiments/{EXPERIMENT}/experiment.json" if damage.startswith("experiment") else DAMAGED
        said = messages(at)
        assert any(named in message and phrase in message for message in said), said


@pytest.mark.parametrize("damage", [name for name in DAMAGES if name.startswith("experiment")])
@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["report", EXPERIMENT, "--out", "{tmp}/r.html"], id="report"),
        pytest.param(["compare", "--experiment", EXPERIMENT, "--baseline", "lightgcn"], id="compare"),
        pytest.param(["runs"], id="runs"),
    ],
)
def test_the_cli_says_a_damaged_experiment_json_in_one_line(
    damaged_runs, tmp_path: Path, capsys, damage: str, argv: list[str]
) -> None:
    runs_dir = damaged_runs(damage)
    code = main([*(word.replace("{tmp}", str(tmp_path)) for word in argv), "--runs-dir", str(runs_dir)])
    out, err = capsys.readouterr()
    if argv[0] == "runs":  # the listing does not read experiment.json: both runs as ever
        assert code == 0 and DAMAGED in out and INTACT in out, err
        return
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert f"experiments/{EXPERIMENT}/experiment.json" in lines[0] and READ_BY[damage][1] in lines[0]
    assert not (tmp_path / "r.html").exists()
