"""A run's tags and free-text note: ``tags.json`` in the run directory, apart from the config it never changes.

``{"tags": ["baseline", ...], "note": "lr sweep, see ..."}``, written by ``python -m engine tag`` and the Runs page
under the run's lock, read by :meth:`engine.runs.rundir.RunDir.read` with a schema check, so a damaged file lists the
run as damaged (and its tags as none) instead of failing.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.runs.jsonio import read_json
from engine.runs.names import MAX_JSON_BYTES, MAX_RUN_NOTE_BYTES, MAX_TAG_CHARS, TAGS, RunDirError
from engine.runs.schema import TAGS_FIELDS, checked


def check_tag(tag: str) -> str:
    """Return ``tag`` if it is 1-64 characters with no control character (newline, tab, NUL ...); raise otherwise.

    Raises:
        RunDirError: The tag is empty, too long or holds a control character; the message shows it.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise RunDirError(f"a tag must not be empty (got {tag!r})")
    if len(tag) > MAX_TAG_CHARS:
        raise RunDirError(f"tag {tag[:20]!r}... is {len(tag)} characters; a tag has at most {MAX_TAG_CHARS}")
    if any(unicodedata.category(char).startswith("C") for char in tag):
        raise RunDirError(f"tag {tag!r} holds a control character (newline, tab ...); a tag is one line of text")
    return tag


def check_note(note: str) -> str:
    """Return ``note`` if it is text of at most ``MAX_RUN_NOTE_BYTES`` bytes in UTF-8; raise otherwise.

    Raises:
        RunDirError: The note is too long (the message says the limit) or cannot be stored as UTF-8.
    """
    try:
        size = len(note.encode("utf-8"))
    except UnicodeEncodeError:
        raise RunDirError("the note holds characters that cannot be stored as UTF-8 (lone surrogates)") from None
    if size > MAX_RUN_NOTE_BYTES:
        raise RunDirError(
            f"the note is {size} bytes; a run's note holds at most {MAX_RUN_NOTE_BYTES} bytes (10 kB) of UTF-8"
        )
    return note


def read_tags(path: Path, within: Path) -> tuple[list[str], str, list[str]]:
    """The tags and note in ``path``, and what could not be read (a missing file is no tags, not a problem)."""
    if not os.path.lexists(path):
        return [], "", []
    document, problem = read_json(path, MAX_JSON_BYTES, within)
    if problem or not isinstance(document, dict):
        return [], "", [problem or f"{TAGS} is not a JSON object"]
    document, problems = checked(document, TAGS_FIELDS, TAGS)
    return list(document.get("tags", [])), str(document.get("note", "")), problems


def edited(
    path: Path, within: Path, add: Sequence[str] = (), remove: Sequence[str] = (), note: str | None = None
) -> dict[str, Any]:
    """The tags file ``path`` with ``add`` added (in the order given, after the run's own), ``remove`` removed (one
    the run lacks is ignored) and the note replaced unless ``note`` is ``None`` (``""`` clears it); what
    :meth:`engine.runs.rundir.RunDir.edit_tags` writes.

    Raises:
        RunDirError: A bad tag or note (:func:`check_tag`, :func:`check_note`).
    """
    for tag in [*add, *remove]:
        check_tag(tag)
    if note is not None:
        check_note(note)
    tags, old_note, _ = read_tags(path, within)
    tags = [tag for tag in dict.fromkeys([*tags, *add]) if tag not in set(remove)]
    return {"tags": tags, "note": old_note if note is None else note}
