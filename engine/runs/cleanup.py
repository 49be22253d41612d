"""Which files make up a run, and removing them: a deleted run's files, and the temporary files of writes a kill
interrupted (swept when the run resumes). Links are removed, never followed; anything a run does not write stays."""

from __future__ import annotations

import re
from pathlib import Path

from engine.runs.names import (
    BEST,
    CHECKPOINT,
    CONFIG,
    EMBEDDINGS,
    LOCK,
    MARKER,
    METRICS,
    PER_USER,
    PROJECTIONS,
    PYG_BATCHES,
    SPLIT,
    STATUS,
    SUMMARY,
    TAGS,
    TRACK,
)

_ATOMIC_TEMPORARY = "|".join(
    re.escape(name)
    for name in (MARKER, CONFIG, STATUS, METRICS, SUMMARY, CHECKPOINT, BEST, SPLIT, PER_USER, TAGS, TRACK)
)
# Temporary files of atomic writes (engine.runs.jsonio.write_atomic, and the <pid> names of older versions),
# left behind only by a process killed mid-write: by folder, what resume sweeps.
_TEMPORARY = {
    "": re.compile(rf"\.(?:{_ATOMIC_TEMPORARY})\..+\.tmp|\.per_user\.\d+\.tmp\.npz"),
    EMBEDDINGS: re.compile(r"\.(?:epoch_\d+|best)\.(?:\d+\.tmp\.npz|npz\..+\.tmp)"),
}
# What a run consists of, by folder: the only names delete() removes (temporary files of interrupted writes included).
_RUN_FILES = re.compile(
    "|".join(
        re.escape(name)
        for name in (MARKER, LOCK, CONFIG, STATUS, METRICS, SUMMARY, CHECKPOINT, BEST, PER_USER, SPLIT, TAGS, TRACK)
    )
    + "|"
    + _TEMPORARY[""].pattern
)
_FOLDER_FILES = {
    EMBEDDINGS: re.compile(r"(?:epoch_\d+|best)\.npz|" + _TEMPORARY[EMBEDDINGS].pattern),
    PROJECTIONS: re.compile(
        r"\d+_[a-z0-9]+\.(?:npz|pending|error|progress)|[a-z0-9]+\.log|\.\d+_[a-z0-9]+\.(?:npz|progress)\.\d+\.partial"
    ),  # [a-z0-9]: the 3-D maps' methods are pca3d and umap3d
    PYG_BATCHES: re.compile(r"epoch-\d+-batch-\d+\.npz|\.epoch-\d+-batch-\d+\.npz\..+\.tmp"),
}


def sweep_temporary(path: Path) -> list[str]:
    """Delete the temporary files that writes killed mid-way left in run directory ``path`` (its writers must be
    gone: the caller holds the run's lock); returns their names relative to ``path``."""
    swept = []
    for folder, pattern in _TEMPORARY.items():
        where = path / folder
        for entry in sorted(where.iterdir()) if where.is_dir() and not where.is_symlink() else []:
            if _remove_matching(entry, pattern):
                swept.append(str(entry.relative_to(path)))
    return swept


def remove_run_files(path: Path) -> list[str]:
    """Delete the files and folders a run consists of from ``path``; anything else stays, and with it the folder.

    Returns:
        What stayed in the folder because no run writes it (sorted); empty when the folder is gone.
    """
    kept: list[str] = []
    for entry in sorted(path.iterdir()):
        pattern = _FOLDER_FILES.get(entry.name)
        if pattern is not None and entry.is_dir() and not entry.is_symlink():
            left = sorted(child.name for child in entry.iterdir() if not _remove_matching(child, pattern))
            kept += [f"{entry.name}/{name}" for name in left]
            if not left:
                entry.rmdir()
        elif not _remove_matching(entry, _RUN_FILES):
            kept.append(entry.name)
    if not kept:
        path.rmdir()
    return kept


def _remove_matching(path: Path, pattern: re.Pattern[str]) -> bool:
    """Unlink ``path`` when its name fits ``pattern`` and it is a file or a link (never a folder)."""
    if not pattern.fullmatch(path.name) or (path.is_dir() and not path.is_symlink()):
        return False
    path.unlink()
    return True
