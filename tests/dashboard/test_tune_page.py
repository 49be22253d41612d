"""AppTest of the Tune page on studies really run by the tune engine: the studies with their progress, Optuna's
figures in our theme, the best configuration and its runs, and *Start an experiment with the best configurations*
(a real ``experiment --tuned`` process; unequal budgets warned about, then refused)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.experiments import list_experiments, member_states, read_experiment, run_experiment
from engine.experiments.tuned import tuned_spec
from engine.plots import theme
from engine.tuning import study_info
from tests.dashboard.shown import shown
from tests.support.sample_runs import engine_processes
from tests.support.studies import tune_sample_study

PAGE = "views/tune.py"
WAIT_SECONDS = 300


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory):
    """Studies of one-epoch trials: mf and lightgcn with 3 trials, lightgcn with 8 (a larger budget); experiment
    processes still writing into it at the end are killed."""
    folder = tmp_path_factory.mktemp("tune-page")
    tune_sample_study(folder, "mf-s", "mf", trials=3, epochs=1)
    tune_sample_study(folder, "lightgcn-s", "lightgcn", trials=3, epochs=1)
    tune_sample_study(folder, "lightgcn-big", "lightgcn", trials=8, epochs=1)
    yield folder
    for pid in engine_processes(folder, "experiment"):
        os.kill(pid, signal.SIGKILL)


def chart(at) -> dict:
    (figure,) = at.get("plotly_chart")
    return json.loads(figure.proto.spec)


def test_without_studies_the_page_says_how_to_start_one(app_at, tmp_path: Path) -> None:
    at = app_at(PAGE, runs_dir=tmp_path)
    assert not at.exception
    assert any("No studies in" in shown(box.value) and "python -m engine tune" in box.value for box in at.info)


def test_studies_are_listed_with_their_progress_and_best(app_at, runs_dir: Path, frame_with) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    assert not at.exception and not at.error
    table = frame_with(at, "pruned").set_index("study")
    assert list(table.index) == ["lightgcn-big", "lightgcn-s", "mf-s"]
    assert table.loc["lightgcn-big", "finished"] + table.loc["lightgcn-big", "pruned"] == 8
    assert table.loc["mf-s", "model"] == "mf" and table.loc["mf-s", "metric"] == "ndcg@20"
    assert table.loc["mf-s", "best"] == pytest.approx(study_info(runs_dir, "mf-s").best_value)
    # no study is running or has failed: those columns give way so the table fits 1280 px
    assert "running" not in table.columns and "failed" not in table.columns
    assert at.selectbox(key=keys.TUNE_STUDY).value == "lightgcn-big"
    assert any("8 trials:" in shown(caption.value) for caption in at.caption)
    assert not any("pruned trial" in caption.value for caption in at.caption), "nothing pruned, nothing to explain"


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("History", "Optimisation history"),
        ("Importances", "Parameter importances"),
        ("Parallel coordinates", "Parallel coordinates"),
        ("Slices", "Slice plots"),
        ("Trial curves", "Validation curves of every trial"),
    ],
)
def test_each_of_optunas_figures_is_drawn_in_our_theme(app_at, runs_dir: Path, label: str, title: str) -> None:
    at = app_at(PAGE, runs_dir=runs_dir, query={"study": "mf-s"})
    at.segmented_control(key=keys.TUNE_FIGURE).set_value(label).run()
    assert not at.exception
    spec = chart(at)
    assert spec["layout"]["title"]["text"].startswith(title) and "validation ndcg@20" in json.dumps(spec)
    assert spec["layout"]["template"]["layout"]["colorway"] == list(theme.PALETTE)


def test_the_best_configuration_and_its_runs(app_at, runs_dir: Path, frame_with) -> None:
    at = app_at(PAGE, runs_dir=runs_dir, query={"study": "lightgcn-s"})
    assert at.selectbox(key=keys.TUNE_STUDY).value == "lightgcn-s"
    info = study_info(runs_dir, "lightgcn-s")
    best = frame_with(at, "searched").set_index("parameter")
    assert sorted(best.index) == sorted(info.best_params) == ["batch_size", "lr", "num_layers", "reg"]
    assert best.loc["num_layers", "value"] == str(info.best_params["num_layers"])
    assert best.loc["lr", "searched"].endswith("(log)")
    runs = frame_with(at, "role")
    assert runs["run"].tolist()[0] == info.best_run and runs["state"].tolist()[0] == "finished"
    assert runs["open"].tolist()[0] == f"/train?run={info.best_run}"
    heading = f"Trial {info.best_trial}: validation ndcg@20 {info.best_value:.4f}"
    assert any(heading in shown(markdown.value) for markdown in at.markdown)


def start(at, name: str, studies: list[str], seeds: str = "0", unequal: bool = False):
    at.text_input(key=keys.TUNED_NAME).set_value(name)
    at.multiselect(key=keys.TUNED_STUDIES).set_value(studies)
    at.text_input(key=keys.TUNED_SEEDS).set_value(seeds)
    at.checkbox(key=keys.TUNED_UNEQUAL).set_value(unequal)
    button = next(b for b in at.button if b.label == "Start an experiment with the best configurations")
    return button.click().run()


def test_unequal_budgets_are_shown_and_refused_unless_allowed(app_at, runs_dir: Path) -> None:
    at = start(app_at(PAGE, runs_dir=runs_dir, query={"study": "mf-s"}), "unequal", ["mf-s", "lightgcn-big"])
    assert not at.exception
    assert any("Unequal tuning budgets: lightgcn got 8 trials and mf 3" in shown(box.value) for box in at.warning)
    errors = [shown(box.value) for box in at.error]
    assert any("Not started: unequal tuning budgets" in text and "allow-unequal-budgets" in text for text in errors)
    for name, studies, message in [
        ("", ["mf-s", "lightgcn-s"], "give the experiment a name"),
        ("x", [], "pick the studies"),
        ("x", ["lightgcn-s", "lightgcn-big"], "both tune lightgcn"),
        ("x", ["mf-s", "lightgcn-s"], "--seeds expects comma-separated whole numbers"),
    ]:
        at = start(at, name, studies, seeds="0,x" if "seeds" in message else "0", unequal=True)
        assert any(message in shown(box.value) for box in at.error), [box.value for box in at.error]
    assert {"unequal", "x"}.isdisjoint(list_experiments(runs_dir)) and engine_processes(runs_dir, "experiment") == []


def test_the_button_starts_a_tuned_experiment_and_shows_its_progress(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir, query={"study": "mf-s"})
    assert at.multiselect(key=keys.TUNED_STUDIES).value == ["mf-s", "lightgcn-big"]  # one per model, current first
    at = start(at, "tuned-app", ["mf-s", "lightgcn-s"], seeds="0")
    assert not at.exception and not at.error
    deadline = time.monotonic() + WAIT_SECONDS
    while engine_processes(runs_dir, "experiment") or "tuned-app" not in list_experiments(runs_dir):
        assert time.monotonic() < deadline, "the experiment process did not finish"
        time.sleep(0.5)
    states = member_states(runs_dir, "tuned-app")
    assert states == {"tuned-app-mf-g0-s0": "finished", "tuned-app-lightgcn-g0-s0": "finished"}
    tuned = read_experiment(runs_dir, "tuned-app")["spec"]["tuned"]
    assert {model: budget["study"] for model, budget in tuned.items()} == {"mf": "mf-s", "lightgcn": "lightgcn-s"}
    at.run()
    assert any("2/2 runs finished" in shown(bar.proto.text) for bar in at.get("progress"))
    assert any(link.proto.query_string == "experiment=tuned-app" for link in at.get("page_link"))
    runs = [frame.value for frame in at.dataframe if "role" in frame.value.columns][0]
    assert "experiment tuned-app, seed 0" in runs["role"].tolist()  # the best configuration's runs include it


def test_the_runs_pages_comparison_states_the_budgets_and_warns_when_they_differ(app_at, runs_dir: Path) -> None:
    spec = tuned_spec(runs_dir, "runs-unequal", "mf-s,lightgcn-big", seeds="0", allow_unequal_budgets=True)
    run_experiment(spec, runs_dir, progress=False)
    at = app_at("views/runs.py", runs_dir=runs_dir, query={"experiment": "runs-unequal"})
    assert not at.exception
    assert at.selectbox(key=keys.RUNS_EXPERIMENT).value == "runs-unequal"
    warnings = [shown(box.value) for box in at.warning]
    assert any(text.startswith("WARNING: unequal tuning budgets: lightgcn got 8 trials and mf 3") for text in warnings)
    captions = [shown(caption.value) for caption in at.caption]
    assert any(text.startswith("Tuning budget of mf: study mf-s, 3 trials") for text in captions), captions
    assert any(text.startswith("Tuning budget of lightgcn: study lightgcn-big, 8 trials") for text in captions)
