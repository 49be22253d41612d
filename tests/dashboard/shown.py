"""What a page shows for Markdown whose user strings went through ``plain``: escapes undone, word joiners unseen."""

from __future__ import annotations

import re
import string

from dashboard.components.markdown import WORD_JOINER

_ESCAPED = re.compile("\\\\([" + re.escape(string.punctuation) + "])")


def shown(markdown: str) -> str:
    """The text Streamlit displays for ``markdown``: CommonMark's backslash escapes resolved, without the invisible
    word joiners."""
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")
