"""TensorBoard's embedding projector format: write a run's snapshot as it, and make a run of such files.

The projector (``tensorboard --logdir DIR``, or projector.tensorflow.org's *Load*) reads, per embedding of
``projector_config.pbtxt`` (text format of TensorBoard's ``ProjectorConfig`` proto, fields ``embeddings``,
``tensor_name``, ``tensor_path``, ``metadata_path``, ``tensor_shape``):

- ``tensors.tsv``: one point a line, its values separated by tabs, no header;
- ``metadata.tsv``: one line a point; with more than one column, a first line of column names.

Points are the run's nodes in global order — users, then items — so a file of ``U + I`` rows maps back without
names; a ``name`` column (``user:42``, ``item:1193``) places rows by name instead, in any order.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.graph import InteractionGraph
from engine.runs.jsonio import write_text_atomic
from engine.runs.rundir import RunDir

TENSORS, METADATA, CONFIG = "tensors.tsv", "metadata.tsv", "projector_config.pbtxt"
METADATA_COLUMNS = ("name", "type", "title", "genres", "degree")
IMPORTED_MODEL = "imported"  # the config's model of a run made from projector files: no model of the engine made it
_FIELD = re.compile(r'\b(tensor_path|metadata_path)\s*:\s*"((?:[^"\\]|\\.)*)"')


class ProjectorError(ValueError):
    """Projector files that cannot be read or do not fit the dataset; the message names the file and the value."""


@dataclass(frozen=True)
class ProjectorFiles:
    """What :func:`read_projector` read: ``(U + I, d)`` float32 rows in the dataset's global order."""

    vectors: np.ndarray
    num_users: int


def metadata_rows(graph: InteractionGraph) -> list[list[str]]:
    """One row per node in global order: name, type, title, genres (``A|B``), degree in the dataset."""
    degree = graph.csr.degree()
    genres = graph.items["genres"].astype(str) if "genres" in graph.items.columns else None
    rows = []
    for node in range(graph.num_nodes):
        item = node - graph.num_users
        is_item = item >= 0
        rows.append(
            [
                graph.node_name(node),
                "item" if is_item else "user",
                graph.item_title(item) if is_item else "",
                str(genres.iat[item]) if is_item and genres is not None else "",
                str(int(degree[node])),
            ]
        )
    return rows


def write_projector(out: Path, vectors: np.ndarray, graph: InteractionGraph, tensor_name: str) -> list[Path]:
    """Write ``vectors`` (``(U + I, d)``, global order) with ``graph``'s metadata as projector files in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tensors = "".join("\t".join(f"{value:.9g}" for value in row) + "\n" for row in vectors.tolist())
    metadata = [list(METADATA_COLUMNS), *metadata_rows(graph)]
    metadata_text = "".join("\t".join(_cell(cell) for cell in row) + "\n" for row in metadata)
    config = (
        "embeddings {\n"
        f'  tensor_name: "{_quoted(tensor_name)}"\n'
        f'  tensor_path: "{TENSORS}"\n'
        f'  metadata_path: "{METADATA}"\n'
        f"  tensor_shape: {vectors.shape[0]}\n"
        f"  tensor_shape: {vectors.shape[1]}\n"
        "}\n"
    )
    paths = [out / TENSORS, out / METADATA, out / CONFIG]
    for path, text in zip(paths, (tensors, metadata_text, config), strict=True):
        write_text_atomic(path, text)
    return paths


def read_projector(folder: Path, graph: InteractionGraph) -> ProjectorFiles:
    """Read projector files from ``folder`` and order their rows as ``graph``'s nodes.

    Raises:
        ProjectorError: A missing file, a non-numeric or non-finite value, rows of different lengths, a metadata
            file whose row count differs, or rows that do not match the dataset's nodes.
    """
    if not folder.is_dir():
        raise ProjectorError(f"{folder} is not a folder of projector files ({TENSORS}, {METADATA}, {CONFIG})")
    tensor_path, metadata_path = _paths(folder)
    if not tensor_path.is_file():
        raise ProjectorError(f"{tensor_path} is missing: a projector folder holds the vectors in {TENSORS}")
    vectors = _read_tensors(tensor_path)
    names = None
    if metadata_path is not None and metadata_path.is_file():
        names = _read_names(metadata_path, len(vectors), tensor_path)
    if names is None:
        if len(vectors) != graph.num_nodes:
            raise ProjectorError(
                f"{tensor_path} has {len(vectors)} rows but dataset {graph.name!r} has {graph.num_nodes} nodes "
                f"({graph.num_users} users, then {graph.num_items} items); give one row per node in that order, or "
                f"a {METADATA} with a 'name' column (user:ID, item:ID)"
            )
        return ProjectorFiles(vectors, graph.num_users)
    order = np.empty(len(names), dtype=np.int64)
    for row, name in enumerate(names):
        try:
            order[row] = graph.node_id(name)
        except ValueError:
            raise ProjectorError(
                f"{metadata_path} row {row + 2} names {name!r}, which is no node of dataset {graph.name!r}"
            ) from None
    if len(np.unique(order)) != len(order) or len(order) != graph.num_nodes:
        raise ProjectorError(
            f"{metadata_path} names {len(np.unique(order))} distinct nodes of dataset {graph.name!r} in "
            f"{len(order)} rows; it needs each of its {graph.num_nodes} nodes exactly once"
        )
    placed = np.empty_like(vectors)
    placed[order] = vectors
    return ProjectorFiles(placed, graph.num_users)


def write_imported_run(run_dir: Path, files: ProjectorFiles, dataset: str, data_dir, source: Path) -> RunDir:
    """A finished one-epoch run of ``dataset`` holding the imported vectors as its epoch-1 snapshot."""
    run = RunDir(run_dir)
    run.path.mkdir(parents=True)
    run.write_marker()
    config = {"model": IMPORTED_MODEL, "dataset": dataset, "epochs": 1, "dim": int(files.vectors.shape[1])}
    run.write_config(config | ({"data_dir": str(data_dir)} if data_dir else {}))
    now = time.time()
    run.save_snapshot(1, files.vectors[: files.num_users], files.vectors[files.num_users :])
    run.update_status(
        state="finished", epoch=1, total_epochs=1, started_at=now, finished_at=now, reason=f"imported from {source}"
    )
    return run


def _paths(folder: Path) -> tuple[Path, Path | None]:
    """``tensors.tsv`` and ``metadata.tsv`` as the first embedding of ``projector_config.pbtxt`` names them."""
    config = folder / CONFIG
    tensor, metadata = TENSORS, METADATA
    if config.is_file():
        text = config.read_text(encoding="utf-8", errors="replace")
        block = text.split("embeddings", 2)[1] if "embeddings" in text else ""
        fields = dict(_FIELD.findall(block))
        tensor, metadata = fields.get("tensor_path", TENSORS), fields.get("metadata_path")
    inside = [(folder / p).resolve() for p in (tensor, metadata) if p]
    if any(not path.is_relative_to(folder.resolve()) for path in inside):
        raise ProjectorError(f"{config} names files outside {folder}; keep the projector files in one folder")
    return folder / tensor, None if metadata is None else folder / metadata


def _read_tensors(path: Path) -> np.ndarray:
    rows, width = [], None
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            try:
                row = [float(cell) for cell in cells]
            except ValueError:
                bad = next(cell for cell in cells if not _is_number(cell))
                raise ProjectorError(f"{path} line {number} holds {bad[:40]!r}, not a number") from None
            if not all(math.isfinite(value) for value in row):
                raise ProjectorError(f"{path} line {number} holds NaN or infinity; every value must be finite")
            if width is not None and len(row) != width:
                raise ProjectorError(f"{path} line {number} has {len(row)} values, line 1 has {width}")
            width = len(row)
            rows.append(row)
    if not rows:
        raise ProjectorError(f"{path} holds no vectors")
    return np.asarray(rows, dtype=np.float32)


def _read_names(path: Path, num_rows: int, tensor_path: Path) -> list[str] | None:
    """The ``name`` column of ``metadata.tsv`` (``None`` without one), after checking its row count."""
    lines = [line.rstrip("\n") for line in path.open(encoding="utf-8", errors="replace")]
    while lines and not lines[-1]:
        lines.pop()
    header = lines[0].split("\t") if lines else []
    has_header = len(header) > 1  # the projector's rule: a single-column file has no header line
    count = len(lines) - (1 if has_header else 0)
    if count != num_rows:
        raise ProjectorError(f"{tensor_path} has {num_rows} rows but {path} has {count}; they must match line by line")
    if not has_header or "name" not in header:
        return None
    column = header.index("name")
    return [line.split("\t")[column] if column < len(line.split("\t")) else "" for line in lines[1:]]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(value: str) -> str:
    return " ".join(str(value).split())  # tabs and line breaks would break the columns


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
