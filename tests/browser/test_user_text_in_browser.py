"""End to end in Chromium: dataset text written as Markdown or HTML shows as text on every page that shows it.

A tiny HTTP server on 127.0.0.1 records every request; the dataset's titles, genres, ids and folder name, a failed
run's error and the ``?run=`` parameter point images and links at it. If any string were rendered as Markdown, the
browser would fetch an image from it or the page would hold a link or image to it.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.hostile_data import HostileDataset, payloads, train_on, write_hostile_dataset

TEXT_TIMEOUT_MS = 30_000  # for a text to appear (a page may rerun once, e.g. when a background UMAP is ready)
SETTLE_MS = 1500  # after each page is drawn, time for any image it would load to be requested
# Attributes through which a page loads or links a URL.
LINKING_ATTRIBUTES = ("href", "src", "srcset", "xlink:href", "action", "formaction", "poster", "data", "style")
FIND_LINKS_TO = """([host, names]) => {
    const found = [];
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            if (names.includes(attribute.name) && attribute.value.includes(host)) {
                found.push(`<${element.tagName.toLowerCase()} ${attribute.name}="${attribute.value}">`);
            }
        }
    }
    return found;
}"""
SHOWS_TEXT = "(text) => document.body.innerText.replaceAll('\\u2060', '').includes(text)"


class RecordingServer(ThreadingHTTPServer):
    requests: list[str]


class Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.requests.append(self.path)
        self.send_response(204)
        self.end_headers()

    do_HEAD = do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the signature http.server calls)
        """Silent: the test reads ``server.requests``."""


@pytest.fixture(scope="module")
def recorder() -> Iterator[RecordingServer]:
    server = RecordingServer(("127.0.0.1", 0), Recorder)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def host(recorder: RecordingServer) -> str:
    return f"127.0.0.1:{recorder.server_address[1]}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, host: str) -> tuple[HostileDataset, Path, Path]:
    """The dataset, a runs directory (a LightGCN run trained on it and a failed run), and a CSV with a bad cell."""
    parent = tmp_path_factory.mktemp("hostile-browser")
    dataset = write_hostile_dataset(parent, host)
    runs_dir = parent / "runs"
    train_on(dataset, runs_dir, "hostile-lightgcn")
    failed = runs_dir / "hostile-failed"
    failed.mkdir()
    strings = payloads(host)
    (failed / "config.json").write_text(json.dumps({"model": strings["link"], "dataset": strings["image"]}))
    error = f"ValueError: {strings['image']} {strings['link']} {strings['html']} **bold**"
    (failed / "status.json").write_text(json.dumps({"state": "failed", "error": error, "started_at": 1.0}))
    bad_csv = parent / "bad" / "interactions.csv"
    bad_csv.parent.mkdir()
    bad_csv.write_text(f"user,item,rating\nu1,i1,4\nu1,i2,{strings['image']}\n")
    return dataset, runs_dir, bad_csv


def fill_sidebar(page, wait_for_app, label: str, value: str) -> None:
    field = page.locator("[data-testid='stSidebar']").get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_for_app(page)


def use_csv(page, wait_for_app, path: Path) -> None:
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Dataset").click()
    page.get_by_role("option", name="CSV file…").click()
    wait_for_app(page)
    fill_sidebar(page, wait_for_app, "Interactions CSV", str(path))


def assert_shown_as_text(page, recorder: RecordingServer, host: str, *texts: str) -> None:
    """Nothing fetched from, linked to or embedded from ``host``, no data made emphasis, and the texts on the page
    as text (checked again once they show, in case the page reran)."""
    assert page.locator("[data-testid='stException']").count() == 0
    page.wait_for_timeout(SETTLE_MS)
    assert_nothing_taken_as_markup(page, recorder, host)
    for text in texts:  # plain() puts invisible word joiners into bare URLs, so they are not linked
        page.wait_for_function(SHOWS_TEXT, arg=text, timeout=TEXT_TIMEOUT_MS)
    assert_nothing_taken_as_markup(page, recorder, host)


def assert_nothing_taken_as_markup(page, recorder: RecordingServer, host: str) -> None:
    assert recorder.requests == [], f"the page fetched {recorder.requests} from {host}"
    for frame in page.frames:  # the page, and the neighborhood drawing's iframe
        linked = frame.evaluate(FIND_LINKS_TO, [host, list(LINKING_ATTRIBUTES)])
        assert linked == [], f"links or images to {host} in {frame.url}: {linked}"
    for tag in ("strong", "b", "em"):  # "**bold**" in the data never becomes emphasis
        assert page.locator(tag).filter(has_text=re.compile(r"^bold$")).count() == 0, f"<{tag}>bold</{tag}>"


def test_dataset_text_renders_as_text_on_every_page(page, open_page, wait_for_app, recorder, host, hostile, app_url):
    dataset, runs_dir, bad_csv = hostile
    strings = payloads(host)
    fill_sidebar(page, wait_for_app, "Runs directory", str(runs_dir))
    use_csv(page, wait_for_app, dataset.interactions)
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    assert_shown_as_text(page, recorder, host, f"Dataset {dataset.name}")
    page.get_by_role("tab", name="Load report").click()
    assert_shown_as_text(page, recorder, host, str(dataset.interactions))

    open_page("Neighborhood")
    top_label = f"item:{dataset.top_item} — {strings['image']}"
    assert_shown_as_text(page, recorder, host, top_label, repr(dataset.name))
    page.get_by_label("Search item titles").fill("[t]")
    page.get_by_label("Search item titles").press("Enter")
    wait_for_app(page)
    assert_shown_as_text(page, recorder, host, strings["link"])  # the subheader of the picked item

    open_page("Embeddings")
    page.get_by_text("Or pick a node to select").click()
    page.get_by_label("Node id").fill(f"item:{dataset.top_item}")
    page.get_by_label("Node id").press("Enter")
    wait_for_app(page)
    assert_shown_as_text(page, recorder, host, f"Selected: {top_label}")

    open_page("Recommend")
    page.get_by_text("held-out items recovered").wait_for()
    picker = page.locator("[data-testid='stMultiSelect']").filter(has_text="Items the new user liked")
    picker.click()
    page.keyboard.type("item:")  # the open list of item labels
    page.get_by_role("option").filter(has_text="item:i-bold").first.wait_for()
    assert_shown_as_text(page, recorder, host, "item:i-bold — **bold**")
    page.keyboard.press("Escape")
    page.get_by_label("User id (or pick below)").fill(f"user:{strings['link']}")
    page.get_by_label("User id (or pick below)").press("Enter")
    wait_for_app(page)
    assert_shown_as_text(page, recorder, host, f"unknown user {strings['link']!r}")

    open_page("Train")
    page.locator("[data-testid='stSelectbox']").filter(has_text="Follow run").click()
    page.get_by_role("option", name="hostile-failed", exact=True).click()
    wait_for_app(page)
    assert_shown_as_text(page, recorder, host, f"ValueError: {strings['image']}", f"{strings['link']} on")

    open_page("Data")
    fill_sidebar(page, wait_for_app, "Interactions CSV", str(bad_csv))
    assert_shown_as_text(page, recorder, host, f"row 3, column 'rating': {strings['image']!r}")

    page.goto(f"{app_url}/train?run={urllib.parse.quote(strings['link'])}")
    wait_for_app(page)
    assert_shown_as_text(page, recorder, host, f"The link names run {strings['link']!r}")

    # The recorder does see what the browser asks of it, so the silence above means something.
    page.evaluate("(url) => fetch(url, {mode: 'no-cors'})", f"http://{host}/probe")
    page.wait_for_timeout(500)
    assert recorder.requests == ["/probe"]
