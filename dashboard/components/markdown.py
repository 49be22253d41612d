"""User-supplied strings inside Streamlit's Markdown: titles, genres, ids, file names, run ids, error messages.

``st.markdown``, ``st.caption``, ``st.subheader``, ``st.error`` and the other alerts, ``st.toast``, and widget labels
and help all render Markdown: a dataset title ``![x](http://host/pixel.png)`` would make the browser fetch that URL,
``[t](http://…)`` would become a live link. Every user string goes through :func:`plain` on its way into one of them;
a string shown on its own may use ``st.text`` or ``st.code`` instead, which render no Markdown.
"""

from __future__ import annotations

import re
import string

# CommonMark lets a backslash escape any ASCII punctuation character, and an escaped one starts nothing: no link,
# image, emphasis, code span, heading, list, HTML tag or entity, <autolink>, $math$, :emoji: or :red[directive].
_ESCAPES = str.maketrans({character: "\\" + character for character in string.punctuation})
# GitHub-flavoured Markdown links bare http://…, www.… and name@host.tld after parsing, so escapes do not stop it;
# a word joiner (U+2060, zero width) after "http", "www" and "@" breaks those patterns and is not seen.
_BARE_LINK = re.compile(r"(https?(?=:)|www(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(value: object) -> str:
    """Markdown source that Streamlit renders as the text ``str(value)``, no part of it taking effect as Markdown.

    The rendered text differs only by invisible word joiners after ``http``, ``www`` and ``@``, and Markdown's
    usual whitespace (a line break shows as a space).

    Args:
        value (object): Any value; it is shown as ``str(value)``.
    """
    return _BARE_LINK.sub(r"\1" + WORD_JOINER, str(value)).translate(_ESCAPES)
