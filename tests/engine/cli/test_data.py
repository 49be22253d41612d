"""``python -m engine datasets | stats | generate-synthetic``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.datasets import load_dataset

ROOT = Path(__file__).resolve().parents[3]
SHARED_LATEST_SMALL = ROOT.parent / "shared" / "data" / "ml-latest-small"


def test_datasets_lists_every_name_with_a_description(capsys):
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "synthetic",
        "movielens-100k",
        "movielens-1m",
        "movielens-10m",
        "movielens-20m",
        "movielens-25m",
        "movielens-32m",
        "movielens-latest-small",
        "csv:PATH",
        "lightgcn:DIR",
    ]


def test_stats_prints_the_synthetic_figures(capsys):
    assert main(["stats", "--dataset", "synthetic"]) == 0
    out = capsys.readouterr().out
    assert "users         1,000" in out and "items         1,000" in out
    assert "interactions  50,000" in out and "density       5.0000%" in out
    assert "rows dropped  0" in out


def test_stats_reports_dropped_rows_and_why(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("user,item,timestamp\n1,1,5\n1,1,9\n2,1,3\n")
    assert main(["stats", "--dataset", f"csv:{path}"]) == 0
    out = capsys.readouterr().out
    assert "rows read     3" in out and "rows dropped  1" in out
    assert "1 duplicate (user, item) rows (kept the latest)" in out


def test_unknown_dataset_exits_2_with_the_known_names(capsys):
    assert main(["stats", "--dataset", "imdb"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown dataset 'imdb'; known datasets: synthetic, movielens-100k")


def test_missing_data_dir_files_exit_2_naming_the_flag(tmp_path, capsys):
    assert main(["stats", "--dataset", "movielens-100k", "--data-dir", str(tmp_path)]) == 2
    assert "u.data, u.item, u.user not found for movielens-100k; --data-dir must point at" in capsys.readouterr().err


def test_generate_synthetic_writes_a_loadable_csv_dataset(tmp_path, capsys):
    out = tmp_path / "gen"
    args = ["generate-synthetic", "--out", str(out), "--users", "50", "--items", "40", "--interactions", "600"]
    assert main([*args, "--seed", "3"]) == 0
    assert "generated 600 interactions" in capsys.readouterr().out
    graph = load_dataset(f"csv:{out / 'interactions.csv'}")
    assert (graph.num_users, graph.num_edges) == (50, 600)
    assert {"title", "genres", "year"} <= set(graph.items.columns)


def test_generate_synthetic_refuses_impossible_sizes(tmp_path, capsys):
    args = ["generate-synthetic", "--out", str(tmp_path), "--users", "10", "--items", "40", "--interactions", "5"]
    assert main(args) == 2
    assert "num_interactions must lie in [50, 120]" in capsys.readouterr().err


@pytest.mark.skipif(not SHARED_LATEST_SMALL.is_dir(), reason="../shared/data/ml-latest-small is not present")
def test_stats_for_the_real_latest_small_as_a_subprocess():
    command = [sys.executable, "-m", "engine", "stats", "--dataset", "movielens-latest-small"]
    result = subprocess.run(
        [*command, "--data-dir", str(SHARED_LATEST_SMALL)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    graph = load_dataset("movielens-latest-small", data_dir=SHARED_LATEST_SMALL)
    assert f"users         {graph.num_users:,}" in result.stdout
    assert f"interactions  {graph.num_edges:,}" in result.stdout
    assert "ratings       0.5..5" in result.stdout
