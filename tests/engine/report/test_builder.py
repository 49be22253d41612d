"""``python -m engine report``: the offline HTML report of a run or an experiment, on runs really trained by the CLI.

The sections are read back from the document; the reproduce commands are run (the experiment's) or parsed back into
the run's config (the training command); hostile dataset strings must reach the file only escaped.
"""

from __future__ import annotations

import html
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest

from engine.analysis import external_fetches
from engine.cli import build_parser, main
from engine.cli.train import config_from_args
from engine.experiments import comparison, runs_of_experiment
from engine.plots.theme import PALETTE
from engine.report import experiment_report, run_report
from engine.runs.config import TrainConfig, resolve
from engine.runs.rundir import RunDir
from tests.support.chart_colours import clashes, legend_colours
from tests.support.hostile_data import payloads, write_hostile_dataset
from tests.support.sample_runs import ROOT, train_sample_run, write_report

pytestmark = pytest.mark.slow
EXPERIMENT = "report-exp"
HOST = "127.0.0.1:9"


def _run(command: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GraphSAGE run, an experiment of MF and LightGCN over two seeds, and a GraphSAGE run on hostile titles."""
    runs = tmp_path_factory.mktemp("report-runs")
    train_sample_run(runs, "sage", "graphsage", epochs=1)
    _run(
        [sys.executable, "-m", "engine", "experiment", "--name", EXPERIMENT, "--models", "mf,lightgcn",
         "--seeds", "0,1", "--epochs", "1", "--grid", "mf.dim=16", "--grid", "lightgcn.dim=16",
         "--runs-dir", str(runs), "--quiet"]
    )  # fmt: skip
    hostile = write_hostile_dataset(tmp_path_factory.mktemp("hostile"), HOST)
    _run(
        [sys.executable, "-m", "engine", "train", "--dataset", hostile.name, "--model", "graphsage", "--epochs", "1",
         "--dim", "8", "--runs-dir", str(runs), "--run-id", "hostile", "--quiet"]
    )  # fmt: skip
    return runs


def sections(document: str) -> list[str]:
    return re.findall(r'<section id="([a-z]+)">', document)


def reproduce_commands(document: str) -> list[str]:
    part = document[document.index('<section id="reproduce">') :]
    return [html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", part, flags=re.S)]


def test_run_report_has_every_section_and_only_inline_scripts(runs_dir: Path) -> None:
    document = run_report(runs_dir / "sage")
    assert sections(document) == ["summary", "curves", "embeddings", "neighborhood", "reproduce"]
    assert external_fetches(document) == []
    assert not re.search(r"<script[^>]*\bsrc=", document)  # plotly.js is in the file, not linked
    assert document.count("Plotly.newPlot(") == 3  # loss, metric curves, map
    summary = RunDir(runs_dir / "sage").read().summary
    opening = document[: document.index('<section id="curves">')]
    for words in ("graphsage on dataset synthetic", "random split", "validation-selected", "tested once"):
        assert words in opening
    assert f"ndcg@20 {summary['test']['ndcg@20']:.4f}" in opening
    assert f"epoch {summary['best_epoch']}, chosen on {summary['selected_by']}" in opening


def test_run_report_training_command_reproduces_the_config(runs_dir: Path) -> None:
    (command,) = reproduce_commands(run_report(runs_dir / "sage"))
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "engine", "train"]
    args = build_parser().parse_args(words[3:])
    assert args.runs_dir == str(runs_dir)
    saved = RunDir(runs_dir / "sage").read().config
    assert config_from_args(args) == resolve(TrainConfig.from_dict(saved))


def test_neighborhood_drawing_is_the_runs_sampler_in_an_escaped_frame(runs_dir: Path) -> None:
    document = run_report(runs_dir / "sage")
    frame = re.search(r'<iframe id="neighborhood-frame" srcdoc="([^"]*)"', document)
    assert frame is not None
    inner = html.unescape(frame.group(1))
    assert inner.startswith("<!DOCTYPE html>") and "vis.Network(" in inner
    assert external_fetches(inner) == []
    assert "fanouts [10, 10]" in document  # GraphSAGE's default num_layers=2 x fanout 10, the run's own


def test_experiment_report_shows_the_comparison_compare_prints(runs_dir: Path) -> None:
    document = experiment_report(runs_dir, EXPERIMENT)
    assert sections(document) == ["summary", "comparison", "curves", "embeddings", "reproduce"]
    assert external_fetches(document) == []
    runs, notes = runs_of_experiment(runs_dir, EXPERIMENT)
    summary = comparison(runs, "mf", 10, notes)
    for sentence in summary["headline"]:
        assert html.escape(sentence) in document
    low, high = summary["models"]["lightgcn"]["ndcg@10"]["ci95"]
    assert f"[{low:.4f}, {high:.4f}]" in document  # the CI over seeds, as the dashboard's table formats it
    assert "mf (baseline)" in document
    assert "chosen on the validation split and tested once" in document[: document.index('<section id="comparison"')]


def test_reports_say_why_validation_and_test_differ_and_when_a_member_was_still_improving(runs_dir: Path) -> None:
    """Issue 25, points 8-10: every member trained one epoch (its best is its last); curves are on validation, the
    metrics in the sentences on test."""
    run = run_report(runs_dir / "sage")
    opening = html.unescape(run[: run.index('<section id="curves">')])
    assert "Validation and test figures are not on one scale: the test split holds 20% of each user's" in opening
    document = experiment_report(runs_dir, EXPERIMENT)
    opening = html.unescape(document[: document.index('<section id="comparison">')])
    assert "mf was still improving at its last epoch (seed 0: best validation ndcg@20 at its last evaluated" in opening
    assert "the comparison may reflect training length, not the model." in opening
    comparison_part = html.unescape(document[document.index('<section id="comparison">') :])
    assert "clipped to [0, 1]" in comparison_part and "2 seeds: too few to tell" in comparison_part
    curves = html.unescape(document[document.index('<section id="curves">') :])
    assert curves.index("The curves are on the validation slice. Validation and test figures") < curves.index(
        "Plotly.newPlot("
    )


def test_experiment_table_has_one_header_row_and_the_model_as_a_column(runs_dir: Path) -> None:
    document = experiment_report(runs_dir, EXPERIMENT)
    part = document[document.index('<section id="comparison">') :]
    table = part[part.index("<table") : part.index("</table>")]
    head = table[table.index("<thead>") : table.index("</thead>")]
    assert head.count("<tr") == 1, head  # no second header row naming the pandas index ("model")
    cells = re.findall(r"<th>(.*?)</th>", head)
    assert cells[:2] == ["model", "seeds"] and "ndcg@10" in cells, cells
    assert re.search(r"<td>mf \(baseline\)</td>", table) and re.search(r"<td>lightgcn</td>", table)


def report_figures(document: str) -> list[dict]:
    """Every ``Plotly.newPlot(id, data, layout, config)`` of a report, as ``{"data": ..., "layout": ...}``."""
    decoder, found = json.JSONDecoder(), []
    for match in re.finditer(r"Plotly\.newPlot\(", document):
        position, values = match.end(), []
        while len(values) < 3:
            position = len(document) - len(document[position:].lstrip(" \n\t,"))
            value, position = decoder.raw_decode(document, position)
            values.append(value)
        found.append({"data": values[1], "layout": values[2]})
    return found


@pytest.mark.parametrize("target", ["sage", EXPERIMENT])
def test_report_charts_are_the_same_when_built_in_the_dashboards_process(
    runs_dir: Path, tmp_path: Path, target: str
) -> None:
    plain = report_figures(write_report(runs_dir, target, tmp_path / "plain.html", streamlit=False))
    dashboard = report_figures(write_report(runs_dir, target, tmp_path / "dashboard.html", streamlit=True))
    assert len(plain) == (3 if target == "sage" else 4)  # loss, metrics, map | forest, metric and loss overlays, map
    assert dashboard == plain
    for spec in dashboard:
        figure = go.Figure(spec)
        assert list(figure.layout.template.layout.colorway) == list(PALETTE)
        assert figure.layout.template.layout.yaxis.automargin is True
        title = figure.layout.title.text
        assert clashes(legend_colours(figure)) == [], f"{title}: {legend_colours(figure)}"
    lines = go.Figure(dashboard[1])  # the run's metric curves; the experiment's overlay of its four runs
    assert len(legend_colours(lines)) >= (2 if target == "sage" else 4)  # each in its own hue (they were all black)


def test_experiment_commands_rerun_the_same_experiment(runs_dir: Path) -> None:
    experiment, compare = reproduce_commands(experiment_report(runs_dir, EXPERIMENT, baseline="lightgcn"))
    resumed = _run([sys.executable, *shlex.split(experiment)[1:], "--quiet"])
    assert "4 runs finished" in resumed.stdout  # same spec: every member is already done, nothing is retrained
    printed = _run([sys.executable, *shlex.split(compare)[1:]])
    runs, notes = runs_of_experiment(runs_dir, EXPERIMENT)
    (sentence,) = comparison(runs, "lightgcn", 10, notes)["headline"]
    assert sentence.startswith("mf ") and sentence in printed.stdout


def test_hostile_titles_reach_the_report_only_escaped(runs_dir: Path) -> None:
    document = run_report(runs_dir / "hostile")
    assert external_fetches(document) == []
    frame = re.search(r'<iframe id="neighborhood-frame" srcdoc="([^"]*)"', document)
    page = document[: frame.start()] + document[frame.end() :]
    # plotly writes its JSON with < > / as \u escapes; read them back to see the strings its hover will render as HTML
    decoded = page.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u002f", "/")
    raw = payloads(HOST)["html"]
    assert raw not in decoded and html.escape(raw) in decoded  # the title is in the map's hover, as text
    assert not re.search(r"<(img|a)\b[^>]*" + re.escape(HOST), decoded, flags=re.I)
    drawing = html.unescape(frame.group(1))  # the vis-network page, whose tooltips are set as text
    assert raw not in drawing and HOST in drawing
    assert not re.search(r"<(img|a)\b[^>]*" + re.escape(HOST), drawing, flags=re.I)
    assert external_fetches(drawing) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--baseline", "mf"], "--baseline and --k apply to an experiment; sage is a run", id="run"),
        pytest.param(["--k", "5"], "--baseline and --k apply to an experiment", id="k-for-a-run"),
    ],
)
def test_experiment_options_for_a_run_are_refused(
    argv: list[str], message: str, runs_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["report", "sage", "--runs-dir", str(runs_dir), "--out", str(tmp_path / "r.html"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not (tmp_path / "r.html").exists()


def test_unknown_baseline_and_missing_experiment_name_the_known_ones(runs_dir: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "r.html")
    assert main(["report", EXPERIMENT, "--runs-dir", str(runs_dir), "--out", out, "--baseline", "pinsage"]) == 2
    assert "error: baseline 'pinsage' has no runs here; the models are: lightgcn, mf" in capsys.readouterr().err
    assert main(["report", "report-ex", "--runs-dir", str(runs_dir), "--out", out]) == 2
    assert f"experiments there: {EXPERIMENT}" in capsys.readouterr().err
    assert not Path(out).exists()


def test_cli_writes_the_report_and_says_where(runs_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "sage.html"
    assert main(["report", str(runs_dir / "sage"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"report of run sage -> {out}")
    assert sections(out.read_text(encoding="utf-8"))[-1] == "reproduce"
