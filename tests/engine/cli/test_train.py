"""Bad input to ``python -m engine train / evaluate / runs`` fails with one clear line before any work starts."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from engine.cli import main
from engine.cli.train import config_from_args
from engine.commands import train_command
from engine.runs.config import TrainConfig, resolve
from engine.runs.runstore import RunStore
from engine.training.checkpoint import FORMAT, VERSION


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--model", "transformer"], "unknown model 'transformer': choose one of"),
        (["--epochs", "-3"], "'epochs' must be an integer in [1, 10000] (got -3); the default is 20"),
        (["--epochs", "0"], "'epochs' must be an integer in [1, 10000] (got 0)"),
        (["--k", "0"], "every K must be an integer in [1, 10000]"),
        (["--k", "10", "-5"], "every K must be an integer in [1, 10000]"),
        (["--dim", "0"], "'dim' must be an integer in [1, 4096] (got 0); the default is 64"),
        (["--dim", "-8"], "'dim' must be an integer in [1, 4096] (got -8)"),
        (["--lr", "0"], "'lr' must be a number in [1e-09, 1.0] (got 0.0); the default is 0.005"),
        (["--lr", "-0.1"], "'lr' must be a number in [1e-09, 1.0]"),
        (["--device", "tpu"], "unknown device 'tpu': choose one of auto, cpu, cuda"),
        (["--split", "by-phase"], "unknown split 'by-phase'"),
        (["--test-ratio", "1.5"], "'test_ratio' must be a number in [0.01, 0.9] (got 1.5)"),
        (["--batch-size", "0"], "'batch_size' must be an integer in [1, 1000000]"),
        (["--negatives", "0"], "'num_negatives' must be an integer in [1, 1000]"),
        (["--monitor", "auc"], "unknown monitor metric 'auc'"),
        (["--param", "no_such=1"], "unknown parameter(s) no_such for model 'mf'"),
        (["--param", "reg=-1"], "'reg' of MFParams must lie in"),
        (["--param", "reg=lots"], "parameter 'reg' of model 'mf' must be float (got 'lots')"),
        (["--param", "reg"], "--param expects NAME=VALUE"),
    ],
)
def test_bad_train_values_fail_before_any_work(tmp_path, capsys, flags, message):
    runs = tmp_path / "runs"
    base = ["train", "--dataset", "synthetic", "--model", "mf", "--runs-dir", str(runs), "--quiet"]
    code, out, err = _run(base + flags, capsys)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert out == ""
    assert not runs.exists(), "no run directory may be created for bad input"


def test_an_empty_pinsage_hard_negative_band_fails_before_any_work(tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["train", "--model", "pinsage", "--runs-dir", str(runs), "--quiet"]
    code, out, err = _run(argv + ["--param", "hard_band_lo=0.3", "--param", "hard_band_hi=0.1"], capsys)
    assert code == 2 and "hard_band_lo (0.3) must be below hard_band_hi (0.1)" in err
    assert not runs.exists()


def test_cuda_without_a_gpu_is_refused(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = _run(["train", "--model", "mf", "--device", "cuda", "--runs-dir", str(tmp_path)], capsys)
    assert code == 2 and "torch sees no CUDA GPU; use --device cpu or auto" in err


def test_unknown_flag_is_one_error_line_pointing_at_the_help(capsys):
    assert main(["train", "--modle", "mf"]) == 2
    assert capsys.readouterr().err == "error: unrecognized arguments: --modle mf (see python -m engine --help)\n"


def test_bad_config_file(tmp_path, capsys):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{model: mf")
    code, _, err = _run(["train", "--config", str(bad_json), "--runs-dir", str(tmp_path / "r")], capsys)
    assert code == 2 and "is not valid JSON" in err
    unknown_key = tmp_path / "typo.json"
    unknown_key.write_text(json.dumps({"modle": "mf"}))
    code, _, err = _run(["train", "--config", str(unknown_key), "--runs-dir", str(tmp_path / "r")], capsys)
    assert code == 2 and "unknown config key(s) modle" in err
    code, _, err = _run(["train", "--config", str(tmp_path / "none.json")], capsys)
    assert code == 2 and "does not exist" in err


def test_existing_run_id_and_escaping_run_id(tmp_path, capsys):
    RunStore(tmp_path).create("mf", "synthetic", "taken")
    code, _, err = _run(["train", "--model", "mf", "--runs-dir", str(tmp_path), "--run-id", "taken"], capsys)
    assert code == 2 and "already exists" in err
    code, _, err = _run(["train", "--model", "mf", "--runs-dir", str(tmp_path), "--run-id", "../out"], capsys)
    assert code == 2 and "invalid run id '../out'" in err


def _fake_run(tmp_path, checkpoint_contents=None, raw_bytes: bytes | None = None):
    run = RunStore(tmp_path).create("mf", "synthetic", "fake")
    run.write_config(resolve(TrainConfig(model="mf", epochs=2)).to_dict())
    run.update_status(state="stopped", pid=None, epoch=1, total_epochs=2)
    if raw_bytes is not None:
        run.checkpoint_path.write_bytes(raw_bytes)
    else:
        torch.save(checkpoint_contents, run.checkpoint_path)
    return run


class Foreign(torch.nn.Module):
    """A pickled module: not loadable with weights_only=True."""


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "is unreadable"),
        ("text", "is unreadable"),
        ("state_dict", "is not a GNN RecSys Explorer checkpoint"),
        ("pickled_module", "cannot be loaded safely with weights_only=True"),
        ("other_model", "holds model 'lightgcn' but the run's config names 'mf'"),
    ],
)
def test_corrupt_or_foreign_checkpoint_is_refused(tmp_path, capsys, kind, message):
    ours = {"format": FORMAT, "version": VERSION, "model": "lightgcn", "model_state": {}}
    if kind == "truncated":
        torch.save({"format": FORMAT, "weights": torch.ones(1000)}, tmp_path / "whole.pt")
        run = _fake_run(tmp_path, raw_bytes=(tmp_path / "whole.pt").read_bytes()[:300])
    elif kind == "text":
        run = _fake_run(tmp_path, raw_bytes=b"this is not a checkpoint")
    elif kind == "state_dict":
        run = _fake_run(tmp_path, {"weight": torch.ones(3)})
    elif kind == "pickled_module":
        run = _fake_run(tmp_path, Foreign())
    else:
        run = _fake_run(tmp_path, ours)
    code, out, err = _run(["evaluate", str(run.path)], capsys)
    assert code == 2 and message in err and out == ""
    code, out, err = _run(["train", "--resume", str(run.path), "--quiet"], capsys)
    assert code == 2 and message in err
    assert json.loads((run.path / "status.json").read_text())["state"] == "stopped", "a refused resume changes nothing"


def test_resume_refuses_changed_settings_and_missing_dirs(tmp_path, capsys):
    run = _fake_run(tmp_path, {"weight": torch.ones(1)})
    code, _, err = _run(["train", "--resume", str(run.path), "--model", "lightgcn"], capsys)
    assert code == 2 and "only --epochs and --device may change (got --model)" in err
    code, _, err = _run(["train", "--resume", str(tmp_path / "missing")], capsys)
    assert code == 2 and "does not exist" in err


def test_evaluate_and_runs_on_missing_things(tmp_path, capsys):
    code, _, err = _run(["evaluate", str(tmp_path / "nope")], capsys)
    assert code == 2 and "does not exist" in err
    code, out, _ = _run(["runs", "--runs-dir", str(tmp_path / "empty")], capsys)
    assert code == 0 and "no runs in" in out


def test_train_command_round_trips_through_the_parser(tmp_path):
    from engine.cli import build_parser

    config = TrainConfig(model="mf", dataset="synthetic", epochs=3, dim=16, ks=[5, 10], params={"reg": 0.001})
    command = train_command(config, tmp_path / "runs", run_id="abc")
    assert command[:4] == [sys.executable, "-m", "engine", "train"]
    args = build_parser().parse_args(command[3:])
    rebuilt = config_from_args(args)
    assert rebuilt.to_dict() == resolve(config).to_dict()
    assert args.run_id == "abc" and args.runs_dir == str(tmp_path / "runs")
