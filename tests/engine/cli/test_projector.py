"""``export-projector`` / ``import-projector``: TensorBoard's projector files, a round trip, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

from engine.analysis.projector import CONFIG, METADATA, TENSORS
from engine.analysis.store import ProjectionStore
from engine.cli import main
from engine.datasets import load_dataset
from engine.runs.rundir import RunDir
from tests.support.run_files import fake_run


@pytest.fixture(scope="module")
def graph():
    return load_dataset("synthetic")


@pytest.fixture
def run_with_snapshots(tmp_path, graph) -> RunDir:
    run = fake_run(tmp_path / "runs", "lightgcn-run", model="lightgcn")
    rng = np.random.default_rng(0)
    for epoch in (1, 2):
        run.save_snapshot(epoch, rng.normal(size=(graph.num_users, 8)), rng.normal(size=(graph.num_items, 8)))
    return run


def projector_config_class():
    """TensorBoard's ProjectorConfig message, built from the fields of its projector_config.proto."""
    file = descriptor_pb2.FileDescriptorProto(name="projector_config.proto", package="tensorboard", syntax="proto3")
    sprite = file.message_type.add(name="SpriteMetadata")
    sprite.field.add(name="image_path", number=1, type=9, label=1)
    sprite.field.add(name="single_image_dim", number=2, type=13, label=3)
    info = file.message_type.add(name="EmbeddingInfo")
    for name, number, kind, label in (
        ("tensor_name", 1, 9, 1), ("metadata_path", 2, 9, 1), ("bookmarks_path", 3, 9, 1),
        ("tensor_shape", 4, 13, 3), ("tensor_path", 6, 9, 1),
    ):  # fmt: skip
        info.field.add(name=name, number=number, type=kind, label=label)
    info.field.add(name="sprite", number=5, type=11, label=1, type_name=".tensorboard.SpriteMetadata")
    config = file.message_type.add(name="ProjectorConfig")
    config.field.add(name="model_checkpoint_path", number=1, type=9, label=1)
    config.field.add(name="embeddings", number=2, type=11, label=3, type_name=".tensorboard.EmbeddingInfo")
    config.field.add(name="model_checkpoint_dir", number=3, type=9, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorboard.ProjectorConfig"))


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_writes_the_projector_format(capsys, tmp_path, run_with_snapshots, graph):
    out = tmp_path / "projector"
    code, stdout, _ = run_cli(
        capsys, "export-projector", str(run_with_snapshots.path), "--epoch", "1", "--out", str(out)
    )
    assert code == 0 and f"{graph.num_nodes} vectors of 8 dimensions" in stdout
    config = text_format.Parse((out / CONFIG).read_text(), projector_config_class()())
    (embedding,) = config.embeddings
    assert (embedding.tensor_path, embedding.metadata_path) == (TENSORS, METADATA)
    assert list(embedding.tensor_shape) == [graph.num_nodes, 8] and "epoch 1" in embedding.tensor_name
    tensors = np.loadtxt(out / TENSORS, delimiter="\t", dtype=np.float32)
    user, item = ProjectionStore(run_with_snapshots.path).embeddings(1)
    assert np.array_equal(tensors, np.concatenate([user, item]))
    metadata = (out / METADATA).read_text().splitlines()
    assert metadata[0] == "name\ttype\ttitle\tgenres\tdegree" and len(metadata) == graph.num_nodes + 1
    item_row = metadata[1 + graph.num_users].split("\t")
    assert item_row[:3] == [graph.node_name(graph.num_users), "item", graph.item_title(0)]
    assert item_row[4] == str(int(graph.item_degree()[0]))


def test_export_then_import_gives_the_same_embeddings(capsys, tmp_path, run_with_snapshots):
    out, runs = tmp_path / "projector", tmp_path / "runs"
    assert main(["export-projector", "lightgcn-run", "--runs-dir", str(runs), "--out", str(out)]) == 0  # last epoch
    code, stdout, _ = run_cli(
        capsys, "import-projector", str(out), "--dataset", "synthetic", "--runs-dir", str(runs), "--run-id", "back"
    )
    assert code == 0 and str(runs / "back") in stdout
    original, imported = ProjectionStore(run_with_snapshots.path), ProjectionStore(runs / "back")
    assert imported.epochs() == [1]
    for left, right in zip(original.embeddings(2), imported.embeddings(1), strict=True):
        assert np.array_equal(left, right)
    info = RunDir(runs / "back").read()
    assert info.state == "finished" and info.config["dataset"] == "synthetic" and not info.damaged


def test_rows_are_placed_by_name_in_any_order(capsys, tmp_path, run_with_snapshots):
    out, runs = tmp_path / "projector", tmp_path / "runs"
    main(["export-projector", str(run_with_snapshots.path), "--out", str(out)])
    tensors, metadata = (out / TENSORS).read_text().splitlines(), (out / METADATA).read_text().splitlines()
    order = np.random.default_rng(1).permutation(len(tensors))
    (out / TENSORS).write_text("\n".join(tensors[i] for i in order) + "\n")
    (out / METADATA).write_text("\n".join([metadata[0], *(metadata[1 + i] for i in order)]) + "\n")
    assert main(["import-projector", str(out), "--dataset", "synthetic", "--runs-dir", str(runs), "--run-id", "b"]) == 0
    assert np.array_equal(
        ProjectionStore(runs / "b").stacked(1)[0], ProjectionStore(run_with_snapshots.path).stacked(2)[0]
    )


def broken(out: Path, what: str) -> None:
    tensors = (out / TENSORS).read_text().splitlines()
    if what == "rows":
        (out / METADATA).write_text("\n".join((out / METADATA).read_text().splitlines()[:-3]) + "\n")
    elif what == "text":
        (out / TENSORS).write_text("\n".join([tensors[0], "0.1\tabc" + "\t0" * 6, *tensors[2:]]) + "\n")
    elif what == "nan":
        (out / TENSORS).write_text("\n".join([tensors[0], "\t".join(["nan"] * 8), *tensors[2:]]) + "\n")
    elif what == "ragged":
        (out / TENSORS).write_text("\n".join([tensors[0], "1\t2", *tensors[2:]]) + "\n")
    elif what == "short":
        (out / TENSORS).write_text("\n".join(tensors[:-1]) + "\n")
        (out / METADATA).unlink()


@pytest.mark.parametrize(
    ("what", "dataset", "message"),
    [
        ("rows", "synthetic", "rows but"),
        ("text", "synthetic", "line 2 holds 'abc', not a number"),
        ("nan", "synthetic", "NaN or infinity"),
        ("ragged", "synthetic", "line 2 has 2 values, line 1 has 8"),
        ("short", "synthetic", "one row per node"),
        (None, "no-such-dataset", "no-such-dataset"),
    ],
)
def test_bad_projector_files_are_one_error_line_and_write_nothing(
    capsys, tmp_path, run_with_snapshots, what, dataset, message
):
    out, runs = tmp_path / "projector", tmp_path / "imports"
    main(["export-projector", str(run_with_snapshots.path), "--out", str(out)])
    capsys.readouterr()
    if what:
        broken(out, what)
    code, stdout, err = run_cli(capsys, "import-projector", str(out), "--dataset", dataset, "--runs-dir", str(runs))
    assert code == 2 and stdout == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert not runs.exists() or not any(runs.iterdir())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epoch", "7"], "no snapshot of epoch 7; it has [1, 2]"),
        (["--out", "FILE"], "is a file"),
    ],
)
def test_bad_export_requests(capsys, tmp_path, run_with_snapshots, argv, message):
    (tmp_path / "FILE").write_text("")
    argv = [str(tmp_path / "FILE") if a == "FILE" else a for a in argv]
    out = ["--out", str(tmp_path / "p")] if "--out" not in argv else []
    code, _, err = run_cli(capsys, "export-projector", str(run_with_snapshots.path), *argv, *out)
    assert code == 2 and message in err and not (tmp_path / "p").exists()
