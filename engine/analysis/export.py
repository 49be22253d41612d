"""Self-contained HTML snapshots of a neighborhood view or an embedding map, for decks and offline use.

A snapshot must open from disk on a laptop with no network, so every script and stylesheet is
in-line; :func:`external_fetches` finds any tag that would still reach out, and export refuses such
a document instead of producing one that silently breaks offline.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

FETCHING_ATTRIBUTES = {"src", "href", "data", "poster", "srcset"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
REMOTE_CSS = re.compile(r"(?:@import|url\()\s*['\"]?(?:https?:)?//[^'\")\s]+", re.IGNORECASE)


class ExportError(ValueError):
    """A document that would not work offline."""


class _FetchFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if tag == "a" and name == "href":
                continue  # a link the reader may click is not a fetch
            if name in FETCHING_ATTRIBUTES and value and REMOTE.match(value):
                self.urls.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style":
            self.urls += [f"<style> {url}" for url in REMOTE_CSS.findall(data)]


def external_fetches(document: str) -> list[str]:
    """Tags (and style rules) in ``document`` that load something from the network."""
    finder = _FetchFinder()
    finder.feed(document)
    finder.close()
    return finder.urls


def snapshot_document(document: str, title: str, caption: str = "") -> str:
    """Give a full HTML document a ``<title>`` and a caption header; refuse it if it fetches anything.

    Args:
        document (str): A complete HTML document with every resource in-line.
        title (str): Snapshot title (escaped here).
        caption (str): One line shown above the content, e.g. dataset, node and sampler (escaped here).
            (default: ``""``)
    """
    fetches = external_fetches(document)
    if fetches:
        raise ExportError(f"snapshot {title!r} would fetch {len(fetches)} resource(s) from the network: {fetches[:3]}")
    header = (
        '<header style="font-family:sans-serif;margin:8px 0">'
        f"<strong>{html.escape(title)}</strong><br><small>{html.escape(caption)}</small></header>"
    )
    document = re.sub(r"<head>", f"<head><title>{html.escape(title)}</title>", document, count=1, flags=re.I)
    return re.sub(r"(<body[^>]*>)", lambda match: match.group(1) + header, document, count=1, flags=re.I)


def figure_document(figure, title: str, caption: str = "") -> str:
    """A plotly figure as a self-contained document (plotly.js in-line, about 4 MB).

    Args:
        figure (plotly.graph_objects.Figure): The figure to export.
        title (str): Snapshot title. caption (str): One line shown above the figure. (default: ``""``)
    """
    document = figure.to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False})
    return snapshot_document(document, title, caption)
