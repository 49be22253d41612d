"""Paths that arrive in a link's query string wait for the user's word before anything reads or creates them.

Any web page can send the browser to ``http://localhost:8501/?runs_dir=/any/new/folder``. Were the sidebar to take
that value as if typed, the server would create the folder tree and start a worker there, and
``?dataset_pick=CSV file…&csv_path=/etc/passwd`` would quote the file's lines in the load error. So a runs directory,
interactions CSV or MovieLens folder named by the URL that differs from the one this session uses is only shown, in
the sidebar, with *Use it* and *Keep current*; the pages wait until the user answers.

A path typed in the sidebar is the user's own: it is used at once and written to the URL, so a shared link or a
reload names it (and, as a new session, asks once). A URL value that normalises to the path in use asks nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import streamlit as st

from dashboard.components.markdown import plain
from dashboard.state import keys

# Query parameter (also the sidebar field's session-state key) -> what the path is, for the notice.
FIELDS = {keys.RUNS_DIR: "runs directory", keys.CSV_PATH: "interactions CSV", keys.DATA_DIR: "MovieLens data folder"}
USE_LABEL = "Use it"
KEEP_LABEL = "Keep current"


def normalised(path: str) -> str:
    """``path`` as an absolute, normalised path, computed from the text alone (nothing on disk is looked at)."""
    path = path.strip()
    return os.path.normpath(os.path.abspath(os.path.expanduser(path))) if path else ""


def nul_problem(what: str, path: str) -> str | None:
    """Why ``path`` cannot be a path at all (a NUL character, which no file name holds), or ``None``."""
    if "\x00" in path:
        return f"the {what} {path!r} holds a NUL character, which no path can; it cannot be used"
    return None


def requested(in_use: Mapping[str, str]) -> dict[str, str]:
    """The URL's paths that differ from the ones in use: query parameter -> the URL's value.

    Args:
        in_use (Mapping[str, str]): For each field of :data:`FIELDS` that the sidebar uses now, the path it uses
            (a field left out, such as the CSV path while another dataset is picked, is not asked about).
    """
    asked = {}
    for key, current in in_use.items():
        linked = st.query_params.get(key)
        if linked is not None and linked.strip() and normalised(linked) != normalised(current):
            asked[key] = linked
    return asked


def follow_field(key: str) -> None:
    """``on_change`` of a sidebar path field: the typed path goes into the URL (an empty field leaves it)."""
    value = str(st.session_state.get(key) or "").strip()
    if value:
        st.query_params[key] = value
    else:
        st.query_params.pop(key, None)


def _use(asked: dict[str, str]) -> None:
    for key, value in asked.items():
        st.session_state[key] = value


def _keep(asked: dict[str, str]) -> None:
    for key in asked:
        follow_field(key)


def ask(asked: dict[str, str]) -> None:
    """The sidebar notice for the link's paths, with *Use it* (disabled for a path that cannot be one) and *Keep
    current*; draw it inside ``st.sidebar``."""
    problems = [problem for key, value in asked.items() if (problem := nul_problem(FIELDS[key], value))]
    with st.container(border=True, key=keys.LINK_NOTICE):
        for key, value in asked.items():
            st.markdown(plain(f"This link asks to use {FIELDS[key]} {value!r}."))
        for problem in problems:
            st.error(plain(problem[0].upper() + problem[1:] + "."), icon=":material/block:")
        st.caption("Nothing there is read or created until you answer.")
        use, keep = st.columns(2)
        use.button(USE_LABEL, key=keys.LINK_USE, on_click=_use, args=(asked,), disabled=bool(problems))
        keep.button(KEEP_LABEL, key=keys.LINK_KEEP, on_click=_keep, args=(asked,))


def explain_wait(asked: dict[str, str]) -> None:
    """What the page shows instead of itself while the sidebar asks."""
    what = " and ".join(FIELDS[key] for key in asked)
    st.info(
        f"This link names a {what} other than the one in use. Answer in the sidebar (**{USE_LABEL}** or "
        f"**{KEEP_LABEL}**); this page opens once you do.",
        icon=":material/link:",
    )
