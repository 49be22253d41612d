"""One self-contained HTML report of a run or an experiment, to hand to stakeholders and open offline.

The report shows what the dashboard shows, with the dashboard's own figure builders (:mod:`engine.plots`): a summary
sentence, for an experiment the comparison against a baseline (what ``python -m engine compare`` prints, computed by
the same code), learning curves, the final snapshot's embedding map coloured by genre, one neighborhood drawn with
a GraphSAGE or PinSage run's own sampler, and the commands that reproduce it all. plotly.js and vis-network are
in-line, so the file opens from disk with no network; every dataset string is HTML-escaped.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import plotly.io as pio
from plotly.offline import get_plotlyjs

from engine.analysis.export import ExportError, external_fetches
from engine.analysis.store import ProjectionStore
from engine.commands import compare_command, experiment_command, train_command
from engine.experiments.budgets import budget_lines
from engine.experiments.results import comparison, runs_of_experiment, validation_test_note
from engine.experiments.runner import read_experiment
from engine.loader.reopen import RunGraph, open_run_graph
from engine.models.registry import is_tracked
from engine.plots import comparison as comparison_plots
from engine.plots import embedding_view, figures
from engine.plots.graph_view import fanout_view, random_walk_view
from engine.runs.config import TrainConfig
from engine.runs.names import RunDirError
from engine.runs.rundir import RunDir, RunInfo

SAMPLING_MODELS = ("graphsage", "pinsage")  # the models whose neighborhood the report draws
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 36px; border-bottom: 1px solid #ddd; }
.summary { font-size: 17px; line-height: 1.5; } .note { color: #555; font-size: 14px; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f4f4f4; text-align: left; } pre { background: #f6f6f6; padding: 10px; white-space: pre-wrap; }
iframe { width: 100%; height: 640px; border: 0; }
"""


@dataclass
class Section:
    """One part of the report: an ``id`` (the anchor tests and readers use), a heading and its HTML body, whose
    dataset strings are escaped already."""

    id: str
    heading: str
    body: str


def run_report(run_dir: str | Path) -> str:
    """The report of one run: summary, curves, embedding map, neighborhood (GraphSAGE and PinSage) and the
    command that trains it again.

    Raises:
        RunDirError: ``run_dir`` is missing or not a run this engine wrote.
    """
    run = _read_run(run_dir)
    run_graph = open_run_graph(run.path)
    sections = [
        Section("curves", "Learning curves", _figure(figures.loss_curve(run.metrics)) + _metric_curves(run)),
        _map_section(run, run_graph),
    ]
    if run.config.get("model") in SAMPLING_MODELS:
        sections.append(_neighborhood_section(run, run_graph))
    if is_tracked(str(run.config.get("model"))):  # trained by the user's own loop, which no engine command repeats
        body = _note("Logged with engine.track from a training loop outside the engine: run that script again.")
    else:
        command = shlex.join(train_command(TrainConfig.from_dict(run.config), run.path.parent, python="python"))
        body = _commands([command], "Train the run again (a new run id):")
    sections.append(Section("reproduce", "Reproduce", body))
    scales = validation_test_note(run.config) if run.protocol == "validation-selected" else None
    return _document(f"Run {run.run_id}", [_run_sentence(run), *([scales] if scales else [])], sections)


def experiment_report(runs_dir: str | Path, name: str, baseline: str | None = None, k: int | None = None) -> str:
    """The report of an experiment: the comparison against ``baseline`` (sentences, test metrics with their CIs over
    seeds, paired differences), every member's curves, the best model's map and neighborhood, and the commands.

    Args:
        runs_dir (str | Path): The runs directory holding ``experiments/<name>``.
        name (str): The experiment's name.
        baseline (str, optional): The model the others are paired with. (default: the experiment's first model)
        k (int, optional): Cut-off K. (default: the smallest K the experiment's runs report, as on the Runs page)

    Raises:
        ValueError: No such experiment, no finished member yet, or a baseline that is not one of its models.
    """
    document = read_experiment(runs_dir, name)
    spec = document["spec"]
    baseline = baseline or spec["models"][0]
    k = k or min((spec.get("base") or {}).get("ks") or [10])
    runs, notes = runs_of_experiment(runs_dir, name)
    result = comparison(runs, baseline, k, notes, spec.get("tuned") or None)  # a tuned comparison states budgets
    metric = f"ndcg@{k}"
    split = result["split"]
    opening = (
        f"Experiment {name}: {', '.join(result['models'])} on dataset {result['dataset']}, "
        f"{split['split']} split (test {split['test_ratio']}, validation {split['val_ratio']}), "
        f"{len(spec['seeds'])} seed(s) per model; each run's weights were chosen on the validation split and tested "
        f"once; baseline {baseline}, K = {k}."
    )
    by_mean = sorted(result["models"], key=lambda model: -result["models"][model][metric]["mean"])
    best = min((run for run in runs if run.config.get("model") == by_mean[0]), key=lambda run: run.config["seed"])
    sections = [_comparison_section(result, metric)]
    curves = {run.run_id: run.metrics for run in runs}
    scales = validation_test_note(runs[0].config) if runs[0].protocol == "validation-selected" else None
    on_validation = f"The curves are on the validation slice. {scales}" if scales else ""
    sections.append(
        Section(
            "curves",
            "Learning curves",
            (_note(on_validation) if on_validation else "")
            + _figure(figures.overlay_curves(curves, metric))
            + _figure(figures.overlay_curves(curves, "loss")),
        )
    )
    which = f"run {best.run_id}, the first seed of the best model on {metric}"
    sections.append(_map_section(best, open_run_graph(best.path), which))
    drawn = [run for run in runs if run.config.get("model") in SAMPLING_MODELS]
    if drawn:
        sections.append(_neighborhood_section(drawn[0], open_run_graph(drawn[0].path)))
    compare = compare_command(name, runs_dir, baseline, k)
    try:
        reproduce = shlex.join(experiment_command(spec, runs_dir, python="python", quiet=False))
        body = _commands([reproduce, compare], "Train every member, then compare:")
    except ValueError as error:  # made through the Python API with settings no flag gives
        body = _note(f"{error}.") + _commands([compare], "Compare the members again:")
    sections.append(Section("reproduce", "Reproduce", body))
    return _document(f"Experiment {name}", [opening, *result["headline"]], sections)


def _read_run(run_dir: str | Path) -> RunInfo:
    run = RunDir(run_dir)
    if not run.path.is_dir():
        raise RunDirError(f"run directory {run.path} does not exist")
    problem = run.foreign_problem()
    if problem:
        raise RunDirError(f"{run.path} is not a run this engine wrote ({problem})")
    info = run.read()
    if not info.config:
        raise RunDirError(f"cannot report on run {info.run_id}: {'; '.join(info.damaged) or 'its config is empty'}")
    return info


def _run_sentence(run: RunInfo) -> str:
    config, summary = run.config, run.summary or {}
    where = (
        f"Run {run.run_id}: {config.get('model')} on dataset {config.get('dataset')}, {config.get('split')} split "
        f"(test {config.get('test_ratio')}, validation {config.get('val_ratio')}), {config.get('epochs')} epochs"
    )
    if run.protocol == "validation-selected":
        protocol = (
            f"validation-selected: the weights of epoch {summary.get('best_epoch', '?')}, chosen on "
            f"{summary.get('selected_by', 'the validation split')}, were tested once"
        )
    else:
        protocol = "test-selected (no validation slice: its curves and chosen epoch are on the test split)"
    test = summary.get("test") or {}
    ks = sorted({int(key.partition("@")[2]) for key in test if key.partition("@")[2].isdigit()})
    if not ks:
        return f"{where}; {protocol}. No test metrics yet: the run is {run.state}."
    k = ks[-1]
    names = [f"{name}@{k}" for name in ("recall", "ndcg", "precision", "hit", "coverage")] + ["mrr"]
    shown = [f"{name} {test[name]:.4f}" for name in names if isinstance(test.get(name), (int, float))]
    if summary.get("test_source") == "user":
        return f"{where}. Test metrics reported by the user (not computed by the engine): {', '.join(shown)}."
    return f"{where}; {protocol}. Test metrics: {', '.join(shown)}."


def _metric_curves(run: RunInfo) -> str:
    if not figures.metric_keys(run.metrics):
        return _note("No evaluated epoch yet: metric curves appear after the first evaluation.")
    return _figure(figures.metric_curves(run.metrics))


def _map_section(run: RunInfo, run_graph: RunGraph, which: str | None = None) -> Section:
    """The final snapshot's map coloured by genre: the cached UMAP when there is one, else PCA (computed now)."""
    store = ProjectionStore(run.path)
    epochs = store.epochs()
    if not epochs:
        return Section("embeddings", "Embedding map", _note(f"Run {run.run_id} has no embedding snapshot yet."))
    epoch = epochs[-1]
    projection = store.load(epoch, "umap")
    if projection is None:
        projection = store.get_or_compute(epoch, "pca")
    graph = run_graph.dataset
    if len(projection.coords) != graph.num_nodes:
        raise RunDirError(
            f"the snapshot of run {run.run_id} has {len(projection.coords)} rows but dataset {graph.name!r} has "
            f"{graph.num_nodes} nodes; the dataset changed since the run was trained"
        )
    labels = embedding_view.categories(graph, "genre")
    shown = "UMAP" if projection.method == "umap" else "PCA"
    title = f"{run.run_id} · {run.config.get('model')} · epoch {epoch} · {shown}"
    figure = embedding_view.map_figure(
        projection, labels, embedding_view.hover_texts(graph), title=title, category_order=sorted(set(labels))
    )
    note = (
        f"{which or 'run ' + run.run_id}: {embedding_view.points_caption(graph.num_users, graph.num_items)} of the "
        f"final snapshot (epoch {epoch}), {shown}"
        + (
            ""
            if shown == "UMAP"
            else " (no UMAP cached yet: python -m engine project --run-dir RUN_DIR --method umap makes one)"
        )
        + "; users take the genre they interacted with most. Hover a point for its title and genres."
    )
    return Section("embeddings", "Embedding map", _note(note) + _figure(figure))


def _neighborhood_section(run: RunInfo, run_graph: RunGraph) -> Section:
    """The most interacted item of the run's training graph, sampled with the run's own sampler and settings."""
    from engine.sampling import FanoutSampler, RandomWalkSampler

    train, spec = run_graph.train, run_graph.sampling()
    node = train.num_users + int(np.argmax(train.item_degree()))
    seeds = np.array([node])
    if hasattr(spec, "fanouts"):
        sample = FanoutSampler(train, list(spec.fanouts), replace=spec.replace).sample(seeds, seed=0)
        view, how = fanout_view(train, sample), f"fanouts {list(spec.fanouts)}"
    else:
        sampler = RandomWalkSampler(train, spec.num_walks, spec.walk_length, spec.restart_prob, spec.top_t)
        walks = sampler.sample(seeds, seed=0, return_traces=True)
        view = random_walk_view(train, walks, restart_prob=spec.restart_prob)
        how = (
            f"{spec.num_walks} random walks of up to {spec.walk_length} steps (restart probability "
            f"{spec.restart_prob:g}), top-{spec.top_t}"
        )
    fetches = external_fetches(view.html)
    if fetches:
        raise ExportError(f"the neighborhood drawing would fetch {len(fetches)} resource(s): {fetches[:3]}")
    command = shlex.join(["python", "-m", "engine", "sample", "--run", str(run.path), "--node", train.node_name(node)])
    title = train.item_title(node - train.num_users)
    note = (
        f"What {run.config.get('model')} samples for {train.node_name(node)} ({title}), the most interacted item "
        f"of run {run.run_id}'s training graph: {how}, seed 0. {view.num_nodes} nodes, "
        f"{view.num_sampled_edges} sampled edges. Hover a node for its title."
    )
    frame = f'<iframe id="neighborhood-frame" srcdoc="{html.escape(view.html, quote=True)}"></iframe>'
    return Section("neighborhood", "Neighborhood", _note(note) + frame + _commands([command], "The same as JSON:"))


def _comparison_section(result: dict[str, Any], metric: str) -> Section:
    body = _note(
        f"Test metrics over seeds: mean ± std [95% CI, Student's t, clipped to [0, 1], the metrics' range]; each "
        f"model at its grid point chosen on validation. Paired tests: {result['test']}."
    )
    # The model is a column of its own: the frame's named index would print a second header row ("model").
    body += comparison_plots.seeds_frame(result).reset_index().to_html(index=False, escape=True, border=0)
    if result["paired"]:
        body += _figure(comparison_plots.forest_plot(result, metric))
        p_text = {column: _p_value for column in ("p", "p (Holm)")}
        paired = comparison_plots.paired_frame(result)
        body += paired.to_html(index=False, escape=True, border=0, float_format="{:.4f}".format, formatters=p_text)
    body += "".join(_note(note) for note in result["notes"])
    body += "".join(_note(f"Tuning budget of {line}") for line in budget_lines(result.get("budgets") or {}))
    return Section("comparison", "Comparison", body)


def _p_value(value: float) -> str:
    """As ``compare`` prints it: ``< 0.001``, else three decimals."""
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _figure(figure) -> str:
    return pio.to_html(figure, full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _commands(commands: Sequence[str], lead: str) -> str:
    return _note(lead) + "".join(f"<pre><code>{html.escape(command)}</code></pre>" for command in commands)


def _document(title: str, sentences: Sequence[str], sections: Sequence[Section]) -> str:
    """The page, plotly.js in-line once; refused when anything in it would reach the network."""
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)} — GNN RecSys Explorer report</title><style>{STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>',
        f'<header><h1>{html.escape(title)}</h1><section id="summary">',
        *(f'<p class="summary">{html.escape(sentence)}</p>' for sentence in sentences),
        "</section></header>",
    ]
    for section in sections:
        parts.append(f'<section id="{section.id}"><h2>{html.escape(section.heading)}</h2>{section.body}</section>')
    parts.append(f'<footer class="note">Made by GNN RecSys Explorer on {made}; opens offline.</footer></body></html>')
    document = "".join(parts)
    fetches = external_fetches(document)
    if fetches:
        raise ExportError(f"report {title!r} would fetch {len(fetches)} resource(s) from the network: {fetches[:3]}")
    return document
