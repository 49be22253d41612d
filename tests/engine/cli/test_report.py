"""Bad input to ``python -m engine report``: one ``error:`` line, exit 2, and no file written (no run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.commands import experiment_command
from engine.experiments import ExperimentSpec


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["nope", "--out", "{tmp}/r.html"],
            "'nope' is no run directory, and no run or experiment of that name is in {tmp}/runs",
            id="unknown-run-or-experiment",
        ),
        pytest.param(
            ["{tmp}/junk", "--out", "{tmp}/r.html"], "{tmp}/junk is not a run this engine wrote", id="not-a-run"
        ),
        pytest.param(["../etc", "--out", "{tmp}/r.html"], "'../etc' is no run directory", id="path-like-name"),
        pytest.param(
            ["nope", "--out", "{tmp}/missing/r.html"], "folder {tmp}/missing does not exist; create it", id="out-folder"
        ),
        pytest.param(["nope", "--out", "{tmp}/junk"], "--out {tmp}/junk is a folder", id="out-is-a-folder"),
        pytest.param(["nope"], "the following arguments are required: --out", id="no-out"),
        pytest.param(["nope", "--out", "{tmp}/r.html", "--k", "2.5"], "expected a whole number", id="k-not-whole"),
    ],
)
def test_bad_input_is_one_error_line(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("not a run")
    argv = [word.replace("{tmp}", str(tmp_path)) for word in argv]
    assert main(["report", *argv, "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert message.replace("{tmp}", str(tmp_path)) in err[0]
    assert not (tmp_path / "r.html").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["junk"]  # nothing written, no runs folder made


def test_experiment_command_refuses_a_spec_it_cannot_reproduce() -> None:
    """An experiment made through the Python API with a shared ``dim`` has no command line: saying so beats printing
    a command that would be refused as "other settings" or, worse, train something else."""
    spec = ExperimentSpec("api-made", "synthetic", ["mf"], [0], base={"dim": 16, "ks": [10]}).to_dict()
    with pytest.raises(ValueError, match=r"no flag for \(dim=16\)"):
        experiment_command(spec, "runs")
    spec["base"] = {"ks": [10], "val_ratio": 0.2}
    command = " ".join(experiment_command(spec, "runs", quiet=False))
    assert command.endswith("--val-ratio 0.2 --models mf --seeds 0 --k 10 --runs-dir runs")


@pytest.mark.parametrize(
    ("marker", "out", "kind"),
    [
        pytest.param(".gnn-run", "config.json", "run", id="a-runs-config"),
        pytest.param(".gnn-run", "embeddings/report.html", "run", id="a-subfolder-of-a-run"),
        pytest.param("experiment.json", "experiment.json", "experiment", id="an-experiments-spec"),
    ],
)
def test_out_inside_a_run_or_experiment_folder_is_refused(
    marker: str, out: str, kind: str, tmp_path: Path, capsys
) -> None:
    """``report --out RUN/config.json`` used to replace the run's config with the HTML: refused, the file unchanged."""
    folder = tmp_path / "owned"
    (folder / "embeddings").mkdir(parents=True)
    (folder / marker).write_text("{}")
    (folder / "config.json").write_text('{"model": "mf"}')
    assert main(["report", str(folder), "--out", str(folder / out), "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: --out {folder / out} is inside the {kind} folder {folder}, whose files the explorer owns; write "
        "the report outside it, e.g. --out owned-report.html"
    ]
    assert (folder / "config.json").read_text() == '{"model": "mf"}'
    assert sorted(p.name for p in folder.rglob("*")) == sorted([marker, "config.json", "embeddings"])
