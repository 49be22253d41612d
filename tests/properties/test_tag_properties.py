"""Property tests of a run's tags and note: no input crashes the writer, and a refused one writes nothing.

Whatever text ``python -m engine tag`` is given (control characters, lone surrogates, emoji, blank or huge tags, notes
around the 10 kB limit), it either writes a ``tags.json`` that reads back as exactly what was asked, or prints one
``error:`` line, exits 2 and leaves the run directory as it was.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.runs.names import MAX_RUN_NOTE_BYTES
from engine.runs.rundir import read_run
from tests.support.run_files import fake_run

PROPERTY = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
tags = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "a\n", "\x00", "\ud800", "x" * 64, "x" * 65, "🙂"]))
notes = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.integers(MAX_RUN_NOTE_BYTES - 3, MAX_RUN_NOTE_BYTES + 3).map(lambda size: "n" * size),
    st.integers(MAX_RUN_NOTE_BYTES // 2 - 2, MAX_RUN_NOTE_BYTES // 2 + 2).map(lambda size: "é" * size),
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@PROPERTY
@given(add=st.lists(tags, max_size=3), remove=st.lists(tags, max_size=2), note=notes)
@example(add=["two\nlines"], remove=[], note=None)
@example(add=["ok"], remove=[], note="\ud800")
@example(add=["ok"], remove=["ok"], note="é" * (MAX_RUN_NOTE_BYTES // 2 + 1))
def test_no_tag_or_note_crashes_the_writer(add: list[str], remove: list[str], note: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        run = fake_run(Path(folder), "a")
        run.edit_tags(add=["kept"], note="old")
        before = snapshot(run.path)
        argv = ["tag", "a", "--runs-dir", folder]
        argv += [f"--add={tag}" for tag in add] + [f"--remove={tag}" for tag in remove]
        argv += [] if note is None else [f"--note={note}"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        info = read_run(run.path)
        if code == 0:
            assert err.getvalue() == "" and not info.damaged
            expected = [tag for tag in dict.fromkeys(["kept", *add]) if tag not in remove]
            assert info.tags == expected and info.note == ("old" if note is None else note)
        else:
            assert code == 2 and out.getvalue() == ""
            assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
            assert snapshot(run.path) == before
            assert info.tags == ["kept"] and info.note == "old"
