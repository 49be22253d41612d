"""Bad input to ``python -m engine train`` and ``sample``: one ``error:`` line, exit 2, and no run directory.

Each case once ended in a traceback, in a failed run directory, in training on a value that can only be a
mistake, or in argparse's multi-line usage dump.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main

TRAIN = ["train", "--dataset", "synthetic", "--model", "mf", "--epochs", "1", "--quiet"]
SAMPLE = ["sample", "--dataset", "synthetic", "--node", "item:1"]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """Datasets and config files the cases below name as ``{tmp}/...``."""
    (tmp_path / "one.csv").write_text("user,item\n1,1\n")
    rows = [f"{user},{item}" for user in range(1, 7) for item in range(1, 6) if (user + item) % 3]
    (tmp_path / "five_items.csv").write_text("user,item\n" + "\n".join(rows) + "\n")
    (tmp_path / "a-folder").mkdir()
    configs = {
        "params_list": {"model": "mf", "params": [1, 2]},
        "data_dir_number": {"model": "mf", "epochs": 1, "data_dir": 5},
        "model_list": {"model": ["mf"]},
        "ks_number": {"model": "mf", "ks": 5},
        "min_rating_nan": {"model": "mf", "min_rating": float("nan")},
    }
    for name, values in configs.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(values))
    return tmp_path


CASES = [
    # --- CLI point 10
    pytest.param(
        [*SAMPLE, "--fanouts", "99999999999999999999"],
        "'fanouts' must be a non-empty list of integers in [1, 1000000] or -1",
        id="fanouts-beyond-int64",
    ),
    pytest.param(["train", "--config", "{tmp}/a-folder"], "is a folder; pass a JSON file", id="config-is-a-folder"),
    pytest.param(
        ["train", "--config", "{tmp}/params_list.json"],
        "'params' must map parameter names of model 'mf' (reg, init_std) to values (got [1, 2])",
        id="config-params-is-a-list",
    ),
    pytest.param(
        ["train", "--config", "{tmp}/params_list.json", "--param", "reg=0.1"],
        "'params' in {tmp}/params_list.json must be a JSON object",
        id="config-params-list-with-param-flag",
    ),
    pytest.param(
        [*TRAIN, "--dim", "1000000000"],
        "'dim' must be an integer in [1, 4096] (got 1000000000); the default is 64",
        id="dim-of-a-billion",
    ),
    pytest.param(
        [*TRAIN, "--seed", "1e23"],
        "argument --seed: expected a whole number such as 10 (got '1e23') (see python -m engine train --help)",
        id="seed-written-as-float",
    ),
    pytest.param(
        [*TRAIN, "--seed", "100000000000000000000000"],
        "'seed' must be an integer in [0, 4294967295] (got 100000000000000000000000)",
        id="seed-beyond-64-bits",
    ),
    pytest.param(
        [*TRAIN, "--min-rating", "nan"],
        "argument --min-rating: expected a finite number (got 'nan')",
        id="min-rating-nan",
    ),
    pytest.param(
        ["train", "--config", "{tmp}/min_rating_nan.json"],
        "'min_rating' must be a finite number, or null to keep every rating (got nan)",
        id="config-min-rating-nan",
    ),
    pytest.param(
        [*TRAIN, "--min-rating", "100"],
        "no training interactions are left of the 50,000 in dataset 'synthetic' after min_rating=100.0",
        id="min-rating-above-every-rating",
    ),
    pytest.param(
        [*TRAIN, "--k-core", "100000"], "'k_core' must be an integer in [0, 10000] (got 100000)", id="k-core-absurd"
    ),
    pytest.param(
        [*TRAIN, "--k-core", "5000"],
        "no training interactions are left of the 50,000 in dataset 'synthetic' after min_rating=None and "
        "k_core=5000; lower --min-rating or --k-core",
        id="k-core-empties-the-data",
    ),
    pytest.param(
        ["train", "--dataset", "csv:{tmp}/one.csv", "--model", "mf", "--epochs", "1"],
        "holds out no test interaction (of 1 left): a user needs at least two interactions to be tested",
        id="one-interaction-dataset",
    ),
    pytest.param(
        ["train", "--config", "{tmp}/data_dir_number.json"],
        "'data_dir' must be the path of a folder, or null for the dataset's own place (got 5)",
        id="config-data-dir-number",
    ),
    pytest.param(
        [*TRAIN, "--data-dir", "/nonexistent"],
        "data folder '/nonexistent' is not an existing folder; fix --data-dir or leave it out",
        id="data-dir-missing",
    ),
    pytest.param(
        [*SAMPLE, "--data-dir", "/nonexistent"],
        "data folder '/nonexistent' is not an existing folder",
        id="sample-data-dir-missing",
    ),
    pytest.param(
        ["train", "--config", "{tmp}/model_list.json"], "unknown model ['mf']: choose one of", id="config-model-list"
    ),
    pytest.param(
        ["train", "--config", "{tmp}/ks_number.json"],
        "every K must be an integer in [1, 10000] (got 5)",
        id="config-ks-number",
    ),
    pytest.param(
        [*TRAIN, "--epochs", "2.5"],
        "argument --epochs: expected a whole number such as 10 (got '2.5')",
        id="epochs-fraction",
    ),
    pytest.param(
        [*SAMPLE, "--seed", "99999999999999999999"],
        "'seed' must be an integer in [0, 9223372036854775807] for 'FanoutSampler' (got 99999999999999999999)",
        id="sample-seed-beyond-int64",
    ),
    pytest.param(
        [*SAMPLE, "--sampler", "randomwalk", "--top-t", "1000000000000"],
        "'top_t' must be at most 10000 for 'RandomWalkSampler' (got 1000000000000)",
        id="top-t-of-a-trillion",
    ),
    # --- point 11: sizes that can only mean a mistake, refused with the limit named
    pytest.param(
        [*TRAIN, "--epochs", "99999999"], "'epochs' must be an integer in [1, 10000] (got 99999999)", id="epochs-absurd"
    ),
    pytest.param(
        [*TRAIN, "--batch-size", "10000000"],
        "'batch_size' must be an integer in [1, 1000000] (got 10000000)",
        id="batch-size-absurd",
    ),
    pytest.param(
        [*TRAIN, "--batch-size", "1000000", "--negatives", "100"],
        "batch_size x num_negatives = 1000000 x 100 exceeds the 50,000,000 negatives one step may draw",
        id="negatives-per-step-absurd",
    ),
    pytest.param(
        ["train", "--dataset", "csv:{tmp}/five_items.csv", "--model", "mf", "--negatives", "10"],
        "'num_negatives' (10) must be below the 5 items of dataset 'csv:{tmp}/five_items.csv'",
        id="negatives-above-the-catalogue",
    ),
    pytest.param(
        [*TRAIN, "--k", "99999999999"], "every K must be an integer in [1, 10000] (got [99999999999])", id="k-absurd"
    ),
    pytest.param([*TRAIN, "--param", "reg=nan"], "'reg' of MFParams must lie in [0.0, 1.0] (got nan)", id="param-nan"),
]


@pytest.mark.parametrize(("argv", "message"), CASES)
def test_bad_input_is_one_error_line_before_any_run_directory(files, capsys, argv, message):
    runs = files / "runs"
    argv = [part.replace("{tmp}", str(files)) for part in argv]
    if argv[0] == "train":
        argv += ["--runs-dir", str(runs)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    assert message.replace("{tmp}", str(files)) in captured.err
    assert captured.out == ""
    assert not runs.exists(), "no run directory may be created for bad input"


def test_a_negative_fanout_may_follow_the_flag_or_an_equals_sign(capsys):
    assert main([*SAMPLE, "--fanouts=-1,-1"]) == 0
    with_equals = json.loads(capsys.readouterr().out)
    assert main([*SAMPLE, "--fanouts", "-1,-1"]) == 0
    assert json.loads(capsys.readouterr().out) == with_equals
    assert with_equals["fanouts"] == [-1, -1]


def test_spaces_around_a_node_name_are_ignored(capsys):
    assert main(["sample", "--dataset", "synthetic", "--node", " user : 1 ", "--fanouts", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["seeds"][0]["name"] == "user:1"
