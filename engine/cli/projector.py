"""``python -m engine export-projector | import-projector``: TensorBoard's embedding projector files, both ways."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.args import UserError, run_path, whole_number
from engine.runs.names import DEFAULT_RUNS_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export-projector",
        help="write a run's embedding snapshot as TensorBoard projector files",
        description="Write one embedding snapshot of a run as tensors.tsv (one node a line, users then items), "
        "metadata.tsv (name, type, title, genres, degree in the dataset) and projector_config.pbtxt, so "
        "`tensorboard --logdir DIR` (or projector.tensorflow.org's Load) shows the map.",
    )
    export.add_argument("run", metavar="RUN", help="a run id in --runs-dir, or a run directory")
    export.add_argument("--epoch", type=whole_number, help="snapshot epoch (default: the last one)")
    export.add_argument("--out", required=True, metavar="DIR", help="folder to write the three files into")
    export.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="where RUN is looked up (default: %(default)s)")
    export.set_defaults(func=run_export)

    imported = subparsers.add_parser(
        "import-projector",
        help="make a run of TensorBoard projector files, so the Embeddings page shows them",
        description="Read tensors.tsv (and metadata.tsv, as projector_config.pbtxt names them) from DIR and write a "
        "finished run of --dataset holding them as its epoch-1 snapshot. Rows are the dataset's nodes, users then "
        "items, or placed by a 'name' column of metadata.tsv (user:ID, item:ID) in any order.",
    )
    imported.add_argument("folder", metavar="DIR", help="folder holding the projector files")
    imported.add_argument("--dataset", required=True, help="the dataset the vectors embed, e.g. synthetic")
    imported.add_argument("--data-dir", default=None, help="folder holding the MovieLens files")
    imported.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="where the run goes (default: %(default)s)")
    imported.add_argument("--run-id", help="name of the new run (default: imported-<dataset>-<utc time>-<hex>)")
    imported.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    from engine.analysis.projector import write_projector
    from engine.analysis.store import EmbeddingsMissing, ProjectionStore
    from engine.datasets import load_dataset
    from engine.runs.rundir import RunDir

    path = run_path(args.run, args.runs_dir)
    info = RunDir(path).read()
    store = ProjectionStore(path)
    epochs = store.epochs()
    if not epochs:
        raise UserError(f"run {path.name} has no embedding snapshots to export")
    epoch = epochs[-1] if args.epoch is None else args.epoch
    if epoch not in epochs:
        raise UserError(f"run {path.name} has no snapshot of epoch {epoch}; it has {epochs}")
    if not isinstance(info.config.get("dataset"), str):
        raise UserError(f"run {path.name}'s config names no dataset, so its nodes cannot be labelled")
    graph = load_dataset(info.config["dataset"], info.config.get("data_dir"))
    try:
        vectors, _ = store.stacked(epoch)
    except EmbeddingsMissing as error:
        raise UserError(str(error)) from None
    if len(vectors) != graph.num_nodes:
        raise UserError(
            f"the snapshot has {len(vectors)} rows but dataset {info.config['dataset']!r} has {graph.num_nodes} "
            "nodes; the dataset changed since this run was trained"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    write_projector(out, vectors, graph, f"{path.name} epoch {epoch}")
    print(f"{len(vectors)} vectors of {vectors.shape[1]} dimensions (run {path.name}, epoch {epoch}) -> {out}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from engine.analysis.projector import IMPORTED_MODEL, read_projector, write_imported_run
    from engine.datasets import load_dataset
    from engine.runs.names import check_run_id, new_run_id

    run_id = check_run_id(args.run_id) if args.run_id else new_run_id(IMPORTED_MODEL, args.dataset)
    run_dir = Path(args.runs_dir) / run_id
    if run_dir.exists():
        raise UserError(f"{run_dir} already exists; pick another --run-id")
    graph = load_dataset(args.dataset, args.data_dir)
    files = read_projector(Path(args.folder), graph)
    write_imported_run(run_dir, files, args.dataset, args.data_dir, Path(args.folder))
    print(f"imported {len(files.vectors)} vectors of {files.vectors.shape[1]} dimensions -> {run_dir}")
    return 0
