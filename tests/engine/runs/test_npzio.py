"""Truncated or foreign ``.npz`` files in a run (Hardening II, point 4): every CLI reader says so in one ``error:``
line naming the file, never a ``zipfile.BadZipFile`` traceback, and never passes on numpy's advice to load with
``allow_pickle``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.analysis import ProjectionStore
from engine.cli import main
from engine.runs.config import TrainConfig
from engine.training import train


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = TrainConfig(model="mf", dataset="synthetic", epochs=2, dim=8, val_ratio=0.1)
    runs_dir = tmp_path_factory.mktemp("good")
    run = train(config, runs_dir, run_id="good", progress=False)
    ProjectionStore(run).compute(2, "pca")
    train(TrainConfig(model="lightgcn", epochs=1, dim=8, val_ratio=0.1), runs_dir, run_id="other", progress=False)
    return run


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _pickled(path: Path) -> None:
    import pickle

    path.write_bytes(pickle.dumps({"user": [1, 2]}))


DAMAGES = {"truncated": (_truncate, "is truncated or damaged"), "pickled": (_pickled, "holds Python objects")}
READERS = [
    pytest.param("split.npz", ["split", "{run}"], id="split-split"),
    pytest.param("split.npz", ["report", "{run}", "--out", "{tmp}/r.html"], id="report-split"),
    pytest.param("per_user.npz", ["compare", "{run}", "{other}", "--baseline", "mf"], id="compare-per_user"),
    pytest.param("embeddings/epoch_0002.npz", ["project", "{run}", "--epochs", "2"], id="project-snapshot"),
    pytest.param("projections/0002_pca.npz", ["report", "{run}", "--out", "{tmp}/r.html"], id="report-projection"),
]


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize(("file", "argv"), READERS)
def test_a_damaged_npz_is_one_error_line_naming_it(good_run, tmp_path, capsys, damage, file, argv) -> None:
    run = Path(shutil.copytree(good_run, tmp_path / "runs" / "good"))
    damage_file, phrase = DAMAGES[damage]
    damage_file(run / file)
    other = good_run.parent / "other"
    argv = [
        word.replace("{run}", str(run)).replace("{other}", str(other)).replace("{tmp}", str(tmp_path)) for word in argv
    ]
    code = main(argv)  # a BadZipFile used to escape it as a traceback
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and err, f"{argv[0]} read a {damage} {file} without a word"
    assert any(str(run / file) in line and phrase in line for line in err), err
    assert all(line.startswith(("error: ", "epoch ")) for line in err), err
    assert "allow_pickle" not in "\n".join(err)
    assert not (tmp_path / "r.html").exists()
