"""``python -m engine sample``: JSON output for both samplers, and errors a user can act on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

REPO = Path(__file__).resolve().parents[3]
MOVIELENS_SMALL = REPO.parent / "shared" / "data" / "ml-latest-small"


@pytest.fixture
def dataset(tmp_path: Path) -> str:
    """A 4-user, 5-item CSV dataset with titles: users 1-3 share items, user 4 watched item 50 only."""
    rows = ["user,item", "1,10", "1,20", "1,30", "2,10", "2,20", "2,40", "3,20", "3,30", "3,40", "4,50"]
    (tmp_path / "interactions.csv").write_text("\n".join(rows) + "\n")
    titles = ["item_id,title", "10,Alpha", "20,Beta", "30,Gamma", "40,Delta", "50,Epsilon"]
    (tmp_path / "items.csv").write_text("\n".join(titles) + "\n")
    return f"csv:{tmp_path / 'interactions.csv'}"


def run_json(capsys, *argv: str) -> dict:
    assert main(["sample", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_fanout_prints_nodes_edges_and_hop_counts(capsys, dataset):
    out = run_json(capsys, "--dataset", dataset, "--node", "item:20", "--sampler", "fanout", "--fanouts", "2,-1")
    assert out["sampler"] == "fanout" and out["fanouts"] == [2, -1] and out["replace"] is False
    assert out["seeds"] == [{"id": 5, "name": "item:20", "type": "item", "title": "Beta"}]
    nodes = {node["id"]: node for node in out["nodes"]}
    assert nodes[5]["hop"] == 0
    hop1 = [node for node in out["nodes"] if node["hop"] == 1]
    assert len(hop1) == 2 and all(node["type"] == "user" for node in hop1)
    assert all(node["type"] == "item" and "title" in node for node in out["nodes"] if node["hop"] == 2)
    assert out["hops"][0] == {"hop": 1, "sampled": 2, "degree": 3}
    assert out["hops"][1]["sampled"] == out["hops"][1]["degree"] == 6  # -1 takes all: two users x 3 items
    for edge in out["edges"]:
        assert nodes[edge["dst"]]["hop"] == edge["hop"] - 1 and edge["src"] in nodes


def test_randomwalk_prints_neighbors_with_visits_weights_and_traces(capsys, dataset):
    out = run_json(
        capsys, "--dataset", dataset, "--node", "item:10", "--node", "item:50", "--sampler", "randomwalk",
        "--num-walks", "50", "--walk-length", "2", "--restart-prob", "0.5", "--top-t", "3", "--traces",
    )  # fmt: skip
    assert out["top_t"] == 3 and out["num_walks"] == 50
    first, isolated_pair = out["results"]
    assert first["seed"]["title"] == "Alpha"
    names = [n["name"] for n in first["neighbors"]]
    assert set(names) <= {"item:20", "item:30", "item:40"} and "item:10" not in names
    assert abs(sum(n["weight"] for n in first["neighbors"]) - 1) < 1e-4
    assert [n["visits"] for n in first["neighbors"]] == sorted((n["visits"] for n in first["neighbors"]), reverse=True)
    assert len(first["traces"]) == 50 and all(walk[0] == first["seed"]["id"] for walk in first["traces"])
    assert isolated_pair["neighbors"] == []  # item 50's only user watched nothing else


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--node", "item:999"], "unknown item '999'"),
        (["--node", "movie:10"], "must look like 'user:<id>' or 'item:<id>'"),
        (["--node", "item:10", "--fanouts", "ten"], "fanouts must be comma-separated integers"),
        (["--node", "item:10", "--fanouts", "0,3"], "'fanouts' must be"),
        (["--node", "item:10", "--sampler", "randomwalk", "--num-walks", "0"], "'num_walks' must be a positive"),
        (["--node", "item:10", "--sampler", "randomwalk", "--restart-prob", "2"], "'restart_prob' must be"),
        (["--node", "item:10", "--sampler", "randomwalk", "--top-t", "-1"], "'top_t' must be a positive"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_error(capsys, dataset, argv, message):
    assert main(["sample", "--dataset", dataset, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_unknown_dataset_lists_the_known_ones(capsys):
    assert main(["sample", "--dataset", "nope", "--node", "item:1"]) == 2
    assert "synthetic" in capsys.readouterr().err


@pytest.mark.skipif(not MOVIELENS_SMALL.exists(), reason="MovieLens ml-latest-small is not in ../shared/data")
def test_module_entry_point_on_movielens(tmp_path):
    argv = [sys.executable, "-m", "engine", "sample", "--dataset", "movielens-latest-small"]
    argv += ["--data-dir", str(MOVIELENS_SMALL), "--node", "item:1193", "--sampler", "randomwalk", "--top-t", "5"]
    completed = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)["results"][0]
    assert result["seed"]["title"].startswith("One Flew Over the Cuckoo's Nest")
    assert len(result["neighbors"]) == 5 and all(n["type"] == "item" for n in result["neighbors"])
